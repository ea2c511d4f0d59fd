// Monthly revenue of the caller's organization: public.dashboard_monthly_revenue (migration 009; over the daily rollups of 013).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { Database, DateString, Decimal, Int8 } from '../types.js'
import { callFunction } from './call-function.js'

export interface MonthlyRevenueRow {
  /** First day of the month, 'YYYY-MM-DD'. */
  month: DateString
  /** Sum of the month's live revenue, exact. */
  total: Decimal
  /** Revenue rows of the month. */
  invoices: Int8
}

export interface Period {
  /** First day of the period, 'YYYY-MM-DD'. */
  start: DateString
  /** First day after the period (exclusive), 'YYYY-MM-DD'. */
  end: DateString
}

/**
 * Live revenue by calendar month over [start, end) (at most 1,096 days), months without revenue left
 * out; what the caller's policies let them read. A bad period is an InvalidInputError.
 */
export async function monthlyRevenue(db: Kysely<Database>, period: Period): Promise<MonthlyRevenueRow[]> {
  const r = await translated(() => monthlyRevenueQuery(period).execute(db))
  return r.rows
}

/** The statement monthlyRevenue sends: for EXPLAIN (the bench, the plan tests). */
export function monthlyRevenueQuery(period: Period): RawBuilder<MonthlyRevenueRow> {
  return callFunction<'dashboard_monthly_revenue', MonthlyRevenueRow>('dashboard_monthly_revenue',
    { period_start: period.start, period_end: period.end })
}
