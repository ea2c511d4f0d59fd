// Calendar months as YYYY-MM text, in UTC: the one parser every month option and month argument goes
// through (the audit trail's retention, the seed's end month, the dashboard's periods).
import { InvalidInputError } from './errors.js'

export interface Month {
  year: number
  /** 1-12. */
  month: number
  /** The month's first day, 'YYYY-MM-01': a DATE for PostgreSQL. */
  first: string
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/

/** A YYYY-MM month, checked: an InvalidInputError naming `what` otherwise (a TenantryError). */
export function parseMonth(text: string, what = 'month'): Month {
  const m = MONTH.exec(text.trim())
  const year = Number(m?.[1])
  if (!m || year < 1970) throw new InvalidInputError(`${what} must be a month as YYYY-MM (1970 or later), e.g. 2025-06, not "${text}"`)
  return { year, month: Number(m[2]), first: `${m[1]}-${m[2]}-01` }
}

/** YYYY-MM of a date, in UTC, shifted by `shift` months. */
export function monthOf(date: Date, shift = 0): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + shift, 1))
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

/** The YYYY-MM month `shift` months after (or before) `month`. */
export function addMonths(month: string, shift: number): string {
  const { year, month: m } = parseMonth(month)
  return monthOf(new Date(Date.UTC(year, m - 1, 1)), shift)
}

/** The month before the current one (UTC): the last complete month. */
export function lastCompleteMonth(now: Date = new Date()): string {
  return monthOf(now, -1)
}
