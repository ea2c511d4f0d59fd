// Activities by type over a period: public.dashboard_activities_by_type (migration 009; over the daily rollups of 013).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { ActivityType, Database, Int8 } from '../types.js'
import { callFunction } from './call-function.js'

export interface ActivitiesByTypeRow {
  type: ActivityType
  activities: Int8
}

/** A timestamptz bound: a Date, or ISO 8601 text with an offset (read by PostgreSQL, microseconds kept). */
export type Instant = Date | string

/** Live activities over [since, until) (at most 366 days) counted by type, most frequent first. */
export async function activitiesByType(db: Kysely<Database>, period: { since: Instant; until: Instant }): Promise<ActivitiesByTypeRow[]> {
  const r = await translated(() => activitiesByTypeQuery(period).execute(db))
  return r.rows
}

/** The statement activitiesByType sends: for EXPLAIN (the bench, the plan tests). */
export function activitiesByTypeQuery(period: { since: Instant; until: Instant }): RawBuilder<ActivitiesByTypeRow> {
  return callFunction<'dashboard_activities_by_type', ActivitiesByTypeRow>('dashboard_activities_by_type',
    { since: period.since, until: period.until })
}
