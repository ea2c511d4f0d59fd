// AI usage per user: public.dashboard_ai_usage_by_user (migration 009; over the daily rollups of 013).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { Database } from '../types.js'
import type { AiUsageTotals } from './ai-usage-by-day.js'
import type { Period } from './monthly-revenue.js'
import { callFunction } from './call-function.js'

export interface AiUsageByUserRow extends AiUsageTotals {
  user_id: string
}

/** AI usage over [start, end) (at most 366 days) by user, costliest first: a member gets their own row only. */
export async function aiUsageByUser(db: Kysely<Database>, period: Period): Promise<AiUsageByUserRow[]> {
  const r = await translated(() => aiUsageByUserQuery(period).execute(db))
  return r.rows
}

/** The statement aiUsageByUser sends: for EXPLAIN (the bench, the plan tests). */
export function aiUsageByUserQuery(period: Period): RawBuilder<AiUsageByUserRow> {
  return callFunction<'dashboard_ai_usage_by_user', AiUsageByUserRow>('dashboard_ai_usage_by_user', { period_start: period.start, period_end: period.end })
}
