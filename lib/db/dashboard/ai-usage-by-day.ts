// AI usage per day: public.dashboard_ai_usage_by_day (migration 009; over the daily rollups of 013).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { Database, DateString, Decimal, Int8 } from '../types.js'
import type { Period } from './monthly-revenue.js'
import { callFunction } from './call-function.js'

/** Calls, tokens and cost of a group of AI usage rows. */
export interface AiUsageTotals {
  calls: Int8
  input_tokens: Int8
  output_tokens: Int8
  /** US dollars, exact. */
  cost_usd: Decimal
}

export interface AiUsageByDayRow extends AiUsageTotals {
  day: DateString
}

/**
 * AI usage over [start, end) (at most 366 days) by day, oldest first. A member counts their own
 * usage, an admin the organization's (the policy on ai_usage_log).
 */
export async function aiUsageByDay(db: Kysely<Database>, period: Period): Promise<AiUsageByDayRow[]> {
  const r = await translated(() => aiUsageByDayQuery(period).execute(db))
  return r.rows
}

/** The statement aiUsageByDay sends: for EXPLAIN (the bench, the plan tests). */
export function aiUsageByDayQuery(period: Period): RawBuilder<AiUsageByDayRow> {
  return callFunction<'dashboard_ai_usage_by_day', AiUsageByDayRow>('dashboard_ai_usage_by_day', { period_start: period.start, period_end: period.end })
}
