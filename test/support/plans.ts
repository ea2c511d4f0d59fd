// The plan tests' data: the bench dataset at a size where the planner chooses as it would on a real
// tenant table (analyzed, the rollups folded), and the indexes led by organization_id that their plans must use.
import { type Kysely, sql } from 'kysely'
import { type Database, mergeRollups } from '../../lib/db/index.js'
import { buildDataset, type Dataset } from '../../bench/dataset.js'

export interface PlanData {
  dataset: Dataset
  /** Indexes whose first column is organization_id, by table. */
  orgIndexes: Map<string, Set<string>>
}

/** Builds the dataset in db (40 organizations, a large and a small one), analyzes it and lists the organization_id indexes. */
export async function seedForPlans(db: Kysely<Database>): Promise<PlanData> {
  const dataset = await buildDataset(db, {
    organizations: 40, customers: 4000, revenue: 20_000, activities: 20_000, seed: 7, endMonth: '2025-06',
  })
  // The dashboard's rollups (migration 013) as a scheduled fold leaves them: every delta folded.
  await mergeRollups(db)
  await sql`analyze`.execute(db)
  const r = await sql<{ table_name: string; index_name: string }>`
    select c.relname as table_name, i.relname as index_name
      from pg_catalog.pg_index x
      join pg_catalog.pg_class c on c.oid = x.indrelid
      join pg_catalog.pg_class i on i.oid = x.indexrelid
      join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = x.indkey[0]
     where c.relnamespace = 'public'::regnamespace and a.attname = 'organization_id'`.execute(db)
  const orgIndexes = new Map<string, Set<string>>()
  for (const row of r.rows) {
    const set = orgIndexes.get(row.table_name) ?? new Set<string>()
    set.add(row.index_name)
    orgIndexes.set(row.table_name, set)
  }
  return { dataset, orgIndexes }
}
