// The dashboard's answers as a person reads them: periods from the command line, and one renderer per
// question (a table, a chart for revenue by month). Shared by `tenantry dashboard` and the demo.
import {
  type ActivitiesByTypeRow, addMonths, type AiUsageByDayRow, type AiUsageByModelRow, type AiUsageTotals, type Customer,
  InvalidInputError, lastCompleteMonth, type MonthlyRevenueRow, type OrganizationSummary, parseMonth, type Period,
  type SearchActivitiesPage, type TopCustomerRow,
} from '../lib/db/index.js'
import { barChart, formatDecimal } from './chart.js'
import { renderTable, type Row } from './table.js'

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/

/** A YYYY-MM-DD day, checked (2025-02-30 is refused). */
export function parseDay(text: string, what: string): string {
  const t = text.trim()
  if (!DAY.test(t) || new Date(`${t}T00:00:00Z`).toISOString().slice(0, 10) !== t) {
    throw new InvalidInputError(`${what} must be a day as YYYY-MM-DD or a month as YYYY-MM, not "${text}"`)
  }
  return t
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

/** The first day a --from names: a month's first day, or the day itself. */
function startOf(text: string, what: string): string {
  return /^\d{4}-\d{2}$/.test(text.trim()) ? parseMonth(text, what).first : parseDay(text, what)
}

/** The first day after what a --to names (it is inclusive): the next month's first day, or the next day. */
function endAfter(text: string, what: string): string {
  const t = text.trim()
  return /^\d{4}-\d{2}$/.test(t) ? parseMonth(addMonths(t, 1)).first : nextDay(parseDay(t, what))
}

/**
 * The half-open period [start, end) that --from and --to name, each a month (YYYY-MM) or a day
 * (YYYY-MM-DD), both inclusive. Without them: the `months` months that end with the last complete one.
 */
export function periodOf(options: { from?: string; to?: string }, months: number, now = new Date()): Period {
  const lastMonth = lastCompleteMonth(now)
  const end = options.to === undefined ? parseMonth(addMonths(lastMonth, 1)).first : endAfter(options.to, '--to')
  const start = options.from === undefined
    ? parseMonth(addMonths(end.slice(0, 7), -months)).first
    : startOf(options.from, '--from')
  if (start >= end) throw new InvalidInputError(`--from (${start}) must come before --to (the period ends before ${end})`)
  return { start, end }
}

/** A period in words: "2025-01-01 to 2025-12-31". */
export function periodText(period: Period): string {
  return `${period.start} to ${new Date(Date.parse(`${period.end}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)}`
}

const count = (text: string): string => formatDecimal(text, 0)
const money = (text: string): string => formatDecimal(text)

export function renderSummary(summary: OrganizationSummary | null, asOf: string): string {
  if (!summary) return 'No organization: the user belongs to none (the dashboard shows an organization\'s data).'
  return renderTable([
    { measure: 'customers: active', value: count(summary.active_customers) },
    { measure: 'customers: inactive', value: count(summary.inactive_customers) },
    { measure: 'customers: churned', value: count(summary.churned_customers) },
    { measure: `revenue in ${asOf.slice(0, 7)}`, value: money(summary.revenue_this_month) },
    { measure: `revenue in ${addMonths(asOf.slice(0, 7), -1)}`, value: money(summary.revenue_last_month) },
    { measure: 'users', value: count(summary.active_users) },
  ], { right: ['value'] })
}

/** Revenue by month as a bar chart, every month of the period shown (a month without revenue as 0). */
export function renderMonthlyRevenue(rows: readonly MonthlyRevenueRow[], period: Period): string {
  if (rows.length === 0) return `No revenue from ${periodText(period)}.`
  const byMonth = new Map(rows.map((r) => [r.month.slice(0, 7), r]))
  const bars = []
  for (let m = period.start.slice(0, 7); `${m}-01` < period.end; m = addMonths(m, 1)) {
    const r = byMonth.get(m)
    bars.push({
      label: m,
      value: r ? Number(r.total) : 0,
      text: r ? `${money(r.total)}  (${count(r.invoices)} invoice${r.invoices === '1' ? '' : 's'})` : '0.00',
    })
  }
  const total = rows.reduce((sum, r) => sum + Math.round(Number(r.total) * 100), 0)
  return `${barChart(bars)}\ntotal ${money((total / 100).toFixed(2))} from ${periodText(period)}`
}

export function renderTopCustomers(rows: readonly TopCustomerRow[]): string {
  if (rows.length === 0) return 'No customers.'
  return renderTable(rows.map((r, i) => ({
    '#': i + 1, name: r.name, company: r.company, status: r.status, revenue: money(r.total_revenue), 'last purchase': r.last_purchase_date,
  })), { right: ['#', 'revenue'] })
}

export function renderCustomers(rows: readonly Customer[]): string {
  if (rows.length === 0) return 'No customers match.'
  return renderTable(rows.map((c) => ({
    name: c.name, company: c.company, industry: c.industry, status: c.status,
    revenue: money(c.total_revenue), since: c.created_at.toISOString().slice(0, 10),
  })), { max: 32, right: ['revenue'] })
}

export function renderActivitiesByType(rows: readonly ActivitiesByTypeRow[], period: Period): string {
  if (rows.length === 0) return `No activities from ${periodText(period)}.`
  return renderTable(rows.map((r) => ({ type: r.type, activities: count(r.activities) })), { right: ['activities'] })
}

/** The page, each activity with its customer's name where the caller may read it (`customers`: id -> name). */
export function renderSearch(page: SearchActivitiesPage, customers: ReadonlyMap<string, string>): string {
  if (page.rows.length === 0) return 'No activity has that metadata.'
  return renderTable(page.rows.map((a) => ({
    when: a.created_at.toISOString().replace('T', ' ').slice(0, 16), type: a.type,
    customer: a.customer_id === null ? null : (customers.get(a.customer_id) ?? a.customer_id), metadata: a.metadata,
  })), { max: 48 })
}

const USAGE_COLUMNS = ['calls', 'input tokens', 'output tokens', 'cost (USD)']

function usageColumns(r: AiUsageTotals): Row {
  return { calls: count(r.calls), 'input tokens': count(r.input_tokens), 'output tokens': count(r.output_tokens), 'cost (USD)': formatDecimal(r.cost_usd, 4) }
}

export function renderAiUsage<R extends AiUsageTotals>(rows: readonly R[], first: (r: R) => Row, period: Period): string {
  if (rows.length === 0) return `No AI usage from ${periodText(period)}.`
  return renderTable(rows.map((r) => ({ ...first(r), ...usageColumns(r) })), { right: USAGE_COLUMNS })
}

export const aiDay = (r: AiUsageByDayRow): Row => ({ day: r.day })
export const aiModel = (r: AiUsageByModelRow): Row => ({ model: r.model })
