// The dashboard's daily rollups (migration 013): folding the pending deltas into them, rebuilding them
// from the raw rows, and checking them against the raw rows. The SQL functions are the owner's only
// (the system: asSystem, pg_cron, the CLI); each call here is one transaction of its own.
import { type Kysely, sql } from 'kysely'
import { InvalidInputError } from '../errors.js'
import { asSystem } from '../session.js'
import type { Database, Json } from '../types.js'

/** The rollup tables of schema private, in the order rebuild reports them. */
export const ROLLUPS = ['revenue_daily', 'activities_daily', 'ai_usage_daily', 'ai_usage_model_daily', 'ai_usage_user_daily'] as const
export type Rollup = (typeof ROLLUPS)[number]

/**
 * The rollups that own a delta log, private.<name>_deltas. AI usage's log feeds ai_usage_daily and its
 * admin grains (ai_usage_model_daily per day and model, ai_usage_user_daily per day and user) at once.
 */
export const DELTA_LOGS = ['revenue_daily', 'activities_daily', 'ai_usage_daily'] as const
export type DeltaLog = (typeof DELTA_LOGS)[number]

export interface RebuiltRollup {
  rollup: Rollup
  /** Rollup rows written (inserted or overwritten). */
  rowsWritten: number
  /** Pending deltas dropped because the raw rows they describe were read (AI usage's: on ai_usage_daily, 0 on its admin grains). */
  deltasDiscarded: number
}

/** One place where rollup + pending deltas and the raw rows disagree. */
export interface RollupDifference {
  rollup: Rollup
  organizationId: string
  /** The day, 'YYYY-MM-DD' (UTC day of created_at for activities). */
  day: string
  /** The type (activities), "model user_id" (ai_usage_daily), the model or the user_id (its admin grains); null for revenue. */
  dimension: string | null
  /** What the raw rows give; null: no raw row. */
  raw: Json
  /** What rollup + deltas give; null: nothing kept. */
  kept: Json
}

/** A row of the SQL functions' results whose rollup is one this module knows. */
function ofRollup<R extends { rollup: string }>(row: R): row is R & { rollup: Rollup } {
  return ROLLUPS.some((name) => name === row.rollup)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function checkOrganization(id: string | undefined): string | null {
  if (id === undefined) return null
  if (!UUID.test(id)) throw new InvalidInputError(`organization id must be a uuid, not "${id}"`, { table: 'organizations', column: 'id' })
  return id
}

/**
 * Folds at most maxRows pending deltas (default: all), oldest first, in one transaction; returns how
 * many. Two at once never double-count: the second waits for the first and folds what is left.
 */
export async function mergeRollups(db: Kysely<Database>, options: { maxRows?: number } = {}): Promise<number> {
  const max = options.maxRows ?? null
  if (max !== null && (!Number.isInteger(max) || max < 1 || max > 2_147_483_647)) {
    throw new InvalidInputError(`maxRows must be a whole number from 1 to 2147483647, not ${max}`)
  }
  return asSystem(db, async (trx) => {
    const r = await sql<{ folded: number }>`select private.rollups_merge(${max}::integer) as folded`.execute(trx)
    return r.rows[0]?.folded ?? 0
  })
}

/** Pending deltas per delta log (what the next fold has to do). */
export async function pendingDeltas(db: Kysely<Database>): Promise<Record<DeltaLog, number>> {
  return asSystem(db, async (trx) => {
    const r = await sql<{ revenue: string; activities: string; ai_usage: string }>`
      select (select count(*) from private.revenue_daily_deltas) as revenue,
             (select count(*) from private.activities_daily_deltas) as activities,
             (select count(*) from private.ai_usage_daily_deltas) as ai_usage`.execute(trx)
    const row = r.rows[0]
    return {
      revenue_daily: Number(row?.revenue ?? 0), activities_daily: Number(row?.activities ?? 0), ai_usage_daily: Number(row?.ai_usage ?? 0),
    }
  })
}

/**
 * Recomputes the rollups of one organization (default: every one) from the raw rows; safe beside
 * writers and folds. For a bulk load made with the rollup triggers off, or a repair.
 */
export async function rebuildRollups(db: Kysely<Database>, options: { organizationId?: string } = {}): Promise<RebuiltRollup[]> {
  const org = checkOrganization(options.organizationId)
  return asSystem(db, async (trx) => {
    const r = await sql<{ rollup: string; rows_written: string; deltas_discarded: string }>`
      select * from private.rollups_rebuild(${org}::uuid)`.execute(trx)
    return r.rows.filter(ofRollup).map((x) => ({
      rollup: x.rollup, rowsWritten: Number(x.rows_written), deltasDiscarded: Number(x.deltas_discarded),
    }))
  })
}

/** Every difference between rollup + pending deltas and the raw rows (one organization, or all); [] when exact. */
export async function verifyRollups(db: Kysely<Database>, options: { organizationId?: string } = {}): Promise<RollupDifference[]> {
  const org = checkOrganization(options.organizationId)
  return asSystem(db, async (trx) => {
    const r = await sql<{ rollup: string; organization: string; day: string; dimension: string | null; raw: Json; kept: Json }>`
      select * from private.rollups_verify(${org}::uuid) order by rollup, organization, day, dimension`.execute(trx)
    return r.rows.filter(ofRollup).map((x) => ({
      rollup: x.rollup, organizationId: x.organization, day: x.day, dimension: x.dimension, raw: x.raw, kept: x.kept,
    }))
  })
}
