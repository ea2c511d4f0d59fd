// Seeding throughput (issue 4): `tenantry seed` as the command runs it (runSeed: its batch size, its
// concurrency for the database kind), on a fresh database of its own, triggers and audit on. Reports
// revenue rows per second against the target, the process memory at each tenth of the customers
// (flat when the seed streams), and where one batch's time goes (EXPLAIN ANALYZE of the seed's first
// statement, rolled back), so that a missed target says what it would take.
import { type Kysely, sql } from 'kysely'
import { defaultConcurrency, runSeed } from '../cli/setup.js'
import type { Database, DbHandle } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { SEED_DEFAULTS } from '../lib/seed/index.js'
import { customerBatches, planTenants, type SeedConfig } from '../lib/seed/plan.js'
import { customerBatchQuery, writeTenants } from '../lib/seed/write.js'
import { rolledBack } from './measure.js'

/** Revenue rows per second the issue asks of the seed, audit on, on the 2-core machine. */
export const SEEDING_TARGETS = { postgres: 50_000, embedded: 20_000 } as const

export interface SeedingPart {
  part: 'foreign-key checks' | 'audit triggers' | 'derived totals' | 'other triggers' | 'rows, indexes and generating them'
  ms: number
  /** Of the statement's execution time. */
  share: number
}

export interface SeedingFigure {
  config: SeedConfig
  concurrency: number
  counts: { customers: number; revenue: number; activities: number }
  seconds: number
  revenuePerSecond: number
  /** Customers, revenue and activities per second. */
  rowsPerSecond: number
  target: number
  met: boolean
  /** Resident memory of this process (MB) at the start and at each tenth of the customers. */
  rssMb: number[]
  /** One batch of SEED_DEFAULTS.batchSize customers, on the empty database. */
  breakdown: { revenueRows: number; executionMs: number; parts: SeedingPart[] }
}

interface ExplainTrigger {
  'Trigger Name': string
  'Constraint Name'?: string
  Time: number
}

interface ExplainJson {
  Plan: unknown
  Triggers?: ExplainTrigger[]
  'Execution Time': number
}

function partOf(t: ExplainTrigger): SeedingPart['part'] {
  if (t['Constraint Name'] !== undefined) return 'foreign-key checks'
  if (t['Trigger Name'].includes('_audit_')) return 'audit triggers'
  if (t['Trigger Name'].includes('_totals_')) return 'derived totals'
  return 'other triggers'
}

/** EXPLAIN ANALYZE of the seed's first customer batch after its tenants, in a transaction rolled back. */
async function batchBreakdown(db: Kysely<Database>, config: SeedConfig): Promise<SeedingFigure['breakdown']> {
  const plan = planTenants(config)
  const first = customerBatches(plan, SEED_DEFAULTS.batchSize).next()
  if (first.done) return { revenueRows: 0, executionMs: 0, parts: [] }
  return rolledBack(db, async (trx) => {
    await writeTenants(trx, plan)
    const q = customerBatchQuery(plan, first.value).compile(trx)
    const out = await trx.executeQuery<{ 'QUERY PLAN': ExplainJson[] }>({ ...q, sql: `explain (analyze, format json) ${q.sql}` })
    const json = out.rows[0]?.['QUERY PLAN'][0]
    if (!json) throw new Error('EXPLAIN returned no plan')
    const revenueRows = Number((await sql<{ n: string }>`select count(*) as n from public.revenue`.execute(trx)).rows[0]?.n ?? 0)
    const totals = new Map<SeedingPart['part'], number>()
    for (const t of json.Triggers ?? []) {
      const part = partOf(t)
      totals.set(part, (totals.get(part) ?? 0) + t.Time)
    }
    const executionMs = json['Execution Time']
    const triggerMs = [...totals.values()].reduce((a, b) => a + b, 0)
    totals.set('rows, indexes and generating them', executionMs - triggerMs)
    return {
      revenueRows,
      executionMs,
      parts: [...totals].map(([part, ms]) => ({ part, ms, share: ms / executionMs })).sort((a, b) => b.ms - a.ms),
    }
  })
}

/** Seeds a fresh, empty database (migrated here) with `config`, as `tenantry seed` does. */
export async function measureSeeding(handle: DbHandle, config: SeedConfig, log: (line: string) => void = () => {}): Promise<SeedingFigure> {
  await migrate(handle.db)
  const breakdown = await batchBreakdown(handle.db, config)
  const rssMb = [process.memoryUsage().rss / 2 ** 20]
  let tenth = 0
  const result = await runSeed(handle, {
    ...config,
    onProgress(p) {
      if (p.phase !== 'customers' || p.total === 0) return
      while (tenth < 10 && p.done * 10 >= (tenth + 1) * p.total) {
        tenth++
        rssMb.push(process.memoryUsage().rss / 2 ** 20)
        if (tenth % 5 === 0) log(`  ${tenth * 10}% of the customers, ${p.counts.revenue} revenue rows`)
      }
    },
  })
  const { customers, revenue, activities } = result.counts
  const target = SEEDING_TARGETS[handle.kind]
  return {
    config,
    concurrency: defaultConcurrency(handle.kind),
    counts: { customers, revenue, activities },
    seconds: result.seconds,
    revenuePerSecond: result.revenuePerSecond,
    rowsPerSecond: result.seconds > 0 ? Math.round((customers + revenue + activities) / result.seconds) : 0,
    target,
    met: result.revenuePerSecond >= target,
    rssMb: rssMb.map((x) => Math.round(x)),
    breakdown,
  }
}
