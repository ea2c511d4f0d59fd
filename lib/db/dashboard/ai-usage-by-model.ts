// AI usage per model: public.dashboard_ai_usage_by_model (migration 009; over the daily rollups of 013).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { Database } from '../types.js'
import type { AiUsageTotals } from './ai-usage-by-day.js'
import type { Period } from './monthly-revenue.js'
import { callFunction } from './call-function.js'

export interface AiUsageByModelRow extends AiUsageTotals {
  model: string
}

/** AI usage over [start, end) (at most 366 days) by model, costliest first; whose usage as aiUsageByDay. */
export async function aiUsageByModel(db: Kysely<Database>, period: Period): Promise<AiUsageByModelRow[]> {
  const r = await translated(() => aiUsageByModelQuery(period).execute(db))
  return r.rows
}

/** The statement aiUsageByModel sends: for EXPLAIN (the bench, the plan tests). */
export function aiUsageByModelQuery(period: Period): RawBuilder<AiUsageByModelRow> {
  return callFunction<'dashboard_ai_usage_by_model', AiUsageByModelRow>('dashboard_ai_usage_by_model', { period_start: period.start, period_end: period.end })
}
