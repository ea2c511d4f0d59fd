// The benchmark (issue 6): builds the dataset (bench/dataset.ts) on a fresh database, measures tenant
// scaling while it grows, then RLS overhead, the replaced policy shapes, audit cost, seeding throughput
// and the embedded start. `npm run bench` (bench/run.ts) prints the result; test/bench-smoke.test.ts
// runs it on tiny sizes.
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { createDb, type Database, type DbHandle, redactUrl } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { createServerDatabase } from '../test/support/db.js'
import { lastCompleteMonth } from '../lib/seed/plan.js'
import { type AuditFigure, measureAudit } from './audit.js'
import { buildDataset, type Dataset, type DatasetSizes, type TableCounts } from './dataset.js'
import { DASHBOARD_QUESTIONS, dashboardParams, PLAIN_CONTAINS_QUESTIONS } from './questions.js'
import { measureLookup, measureOverhead, measureShapes, type OverheadFigure, planText, type ShapeFigure, type Tenant } from './rls.js'
import { explain, measureArms, median } from './measure.js'
import { measureSeeding, type SeedingFigure } from './seeding.js'
import { measureStart, type StartFigure } from './start.js'

export const DEFAULT_SIZES = { organizations: 1000, customers: 200_000, revenue: 1_000_000, activities: 1_000_000 } as const

export interface BenchOptions {
  sizes: DatasetSizes
  /** Alternating runs per query and variant (RLS overhead and scaling), at least. */
  iterations: number
  /** Time to spend per query and organization: quick queries get more runs (up to 5x iterations). */
  spendMs: number
  /** Runs per query under each replaced policy shape, within budgetMs each, statement timeout timeoutMs. */
  shapes: { iterations: number; budgetMs: number; timeoutMs: number }
  audit: { bulkRows: number; singleInserts: number; runs: number }
  /** `tenantry seed` on a fresh database of its own (customers 0: skip). */
  seeding: { organizations: number; customers: number }
  /** Child processes for the embedded start (0: skip), on a database seeded with startSize. */
  startRuns: number
  startSize?: { organizations: number; customers: number }
  /** A server database to create the bench database on; embedded (in memory) when absent. */
  databaseUrl?: string
  /** Keep the server database afterwards (its name is in the result). */
  keepDatabase?: boolean
  log?(line: string): void
}

export function defaultOptions(scale = 1): BenchOptions {
  return {
    sizes: {
      organizations: Math.max(10, Math.round(DEFAULT_SIZES.organizations * scale)),
      customers: Math.max(100, Math.round(DEFAULT_SIZES.customers * scale)),
      revenue: Math.max(500, Math.round(DEFAULT_SIZES.revenue * scale)),
      activities: Math.max(500, Math.round(DEFAULT_SIZES.activities * scale)),
      seed: 1,
      endMonth: lastCompleteMonth(),
    },
    iterations: 30,
    spendMs: 1500,
    shapes: { iterations: 5, budgetMs: 3000, timeoutMs: 3000 },
    audit: { bulkRows: 100_000, singleInserts: 10_000, runs: 3 },
    // About a million revenue rows at scale 1 (10.6 a customer).
    seeding: { organizations: 50, customers: Math.max(100, Math.round(95_000 * scale)) },
    startRuns: 3,
  }
}

export interface ScalingFigure {
  stage: number
  tableRows: TableCounts
  /** Rows of each table over stage 1's. */
  growth: TableCounts
  query: string
  rlsMs: number
  handMs: number
  /** rlsMs (the module's statement as the member) over stage 1's. */
  ratio: number
  target: number
  met: boolean
  plan: string
  /** Shared buffers the member's plan touched: the same at every stage means the same work. */
  buffers: number
  /**
   * A fixed reference query (no table) timed at each stage, over stage 1's: how much faster or slower
   * the machine itself ran then (the stages are minutes apart on a shared machine).
   */
  machineDrift: number
}

/** A query that does the same work whatever the tables hold: the machine's speed at the time. */
async function referenceMs(conn: Kysely<Database>): Promise<number> {
  const run = async (): Promise<number> => (await explain(conn, sql`select count(*) from generate_series(1, 20000)`)).totalMs
  const [t = []] = await measureArms([run], { iterations: 30, warmup: 3 })
  return median(t)
}

export interface BenchResult {
  date: string
  machine: { cores: number; cpu: string; memoryGb: number; node: string; loadAverage: number[] }
  database: { kind: 'embedded' | 'postgres'; version: string; location: string }
  sizes: DatasetSizes
  dataset: {
    counts: TableCounts
    organizations: Record<'largest' | 'small' | 'fixed', { slug: string; rows: TableCounts }>
    stages: { organizations: number; counts: TableCounts }[]
    historyFraction: number
    buildSeconds: number
  }
  timing: string
  overhead: OverheadFigure[]
  /** The metadata search written as supabase-js .contains() (a jsonb @> on the table under RLS), against the same query by hand. */
  plainContains: OverheadFigure[]
  /** The policies' membership lookup alone, as the member: the floor of the RLS overhead per statement. */
  lookup: { lookupMs: number; emptyMs: number; addedMs: number }
  shapes: ShapeFigure[]
  scaling: ScalingFigure[]
  audit: AuditFigure[]
  seeding: SeedingFigure | null
  start: StartFigure | null
  /** EXPLAIN (ANALYZE, BUFFERS) of each query, per organization and scope, on the full dataset. */
  plans: { query: string; org: string; scope: string; text: string }[]
  seconds: number
}

/** A database of its own on the server at url; embedded: in memory, or on disk in a temporary directory. */
async function openBenchDatabase(url: string | undefined, embedded: 'memory' | 'disk' = 'memory'): Promise<{ handle: DbHandle; drop(): Promise<void>; name: string }> {
  if (!url && embedded === 'disk') {
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-bench-'))
    const dataDir = join(dir, 'db')
    return { handle: await createDb({ dataDir }), drop: async () => rmSync(dir, { recursive: true, force: true }), name: dataDir }
  }
  if (!url) return { handle: await createDb({ dataDir: 'memory://' }), drop: async () => {}, name: 'memory://' }
  // The tests' throwaway database: a new one on the server, dropped with force afterwards.
  const created = await createServerDatabase({ base: url, prefix: 'tenantry_bench' })
  return { handle: await createDb({ databaseUrl: created.url, poolSize: 2 }), drop: created.drop, name: redactUrl(created.url) }
}

/**
 * On a server, leaves nothing for background work to do while measuring: vacuums the audit trail the
 * build wrote (or autovacuum would, on the other core) and checkpoints (needs superuser or
 * pg_checkpoint; skipped when refused).
 */
async function settleServer(conn: Kysely<Database>): Promise<void> {
  await sql`vacuum (analyze) public.audit_logs`.execute(conn)
  try {
    await sql`checkpoint`.execute(conn)
  } catch {
    // not allowed for this role: the measurements just run alongside the next checkpoint
  }
}

function tenantOf(ref: Dataset['largest'], label: string): Tenant {
  return { label, id: ref.id, memberId: ref.memberId, rows: { ...ref.rows } }
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? (() => {})
  const started = performance.now()
  const date = new Date().toISOString()
  let seeding: SeedingFigure | null = null
  if (options.seeding.customers > 0) {
    // First, on a database of its own, empty as `tenantry seed` wants it; embedded on disk as `npm start`
    // has it (in memory the data would count as the process's memory).
    const config = { ...options.seeding, seed: options.sizes.seed, endMonth: options.sizes.endMonth }
    log(`seeding: tenantry seed --orgs ${config.organizations} --customers ${config.customers} --end-month ${config.endMonth}`)
    const own = await openBenchDatabase(options.databaseUrl, 'disk')
    try {
      seeding = await measureSeeding(own.handle, config, log)
    } finally {
      await own.handle.close()
      await own.drop()
    }
    log(`  ${seeding.revenuePerSecond} revenue rows/s (target ${seeding.target})`)
  }
  const { handle, drop, name } = await openBenchDatabase(options.databaseUrl)
  try {
    await migrate(handle.db)
    const version = (await sql<{ v: string }>`select version() as v`.execute(handle.db)).rows[0]?.v ?? 'unknown'
    log(`database: ${handle.kind} ${version.split(' on ')[0] ?? version} at ${name}`)
    return await handle.db.connection().execute(async (conn) => {
      const scaling: ScalingFigure[] = []
      const stageCounts: { organizations: number; counts: TableCounts }[] = []
      let stage1: { counts: TableCounts; figures: OverheadFigure[]; referenceMs: number } | undefined
      log(`building ${options.sizes.organizations} organizations, ${options.sizes.customers} customers, ` +
        `${options.sizes.revenue} revenue rows, ${options.sizes.activities} activities`)
      const dataset = await buildDataset(conn, options.sizes, {
        log,
        async onStage(stage, counts, { plan, fixed }) {
          const org = plan.orgs[fixed]
          const member = plan.users.find((u) => u.orgIndex === fixed && u.role === 'member')
          if (!org || !member) throw new Error('the fixed organization has no member')
          stageCounts.push({ organizations: 0, counts })
          if (handle.kind === 'postgres') await settleServer(conn)
          log(`scaling, stage ${stage}: ${org.slug}'s dashboard as a member`)
          const before = await referenceMs(conn)
          const figures = await measureOverhead(conn, [{ label: 'fixed', id: org.id, memberId: member.id, rows: {} }],
            dashboardParams(plan), { iterations: options.iterations, spendMs: options.spendMs }, log)
          const reference = median([before, await referenceMs(conn)])
          stage1 ??= { counts, figures, referenceMs: reference }
          const base = stage1
          for (const f of figures) {
            const b = base.figures.find((x) => x.query === f.query)
            const ratio = f.appMs / (b?.appMs ?? Number.NaN)
            scaling.push({
              stage, tableRows: counts,
              growth: {
                customers: counts.customers / base.counts.customers, revenue: counts.revenue / base.counts.revenue,
                activities: counts.activities / base.counts.activities,
              },
              query: f.query, rlsMs: f.appMs, handMs: f.handMs, ratio, target: 1.5, met: stage === 1 || ratio <= 1.5,
              plan: f.plans.app,
              buffers: f.buffers.app,
              machineDrift: reference / base.referenceMs,
            })
          }
        },
      })
      dataset.stages.forEach((s, i) => {
        const entry = stageCounts[i]
        if (entry) entry.organizations = s.length
      })
      log(`dataset built in ${dataset.buildSeconds.toFixed(1)} s`)

      const params = dashboardParams(dataset.plan)
      const tenants = [tenantOf(dataset.small, 'small'), tenantOf(dataset.largest, 'largest')]
      log('RLS overhead (the dashboard module as a member vs the question by hand, as the owner, with the literal organization id)')
      const overhead = await measureOverhead(conn, tenants, params, { iterations: options.iterations, spendMs: options.spendMs }, log)
      log('the metadata search as supabase-js .contains() sends it (jsonb @> on the table under RLS), against the same query by hand')
      const plainContains = await measureOverhead(conn, tenants, params,
        { iterations: options.iterations, spendMs: options.spendMs, questions: PLAIN_CONTAINS_QUESTIONS }, log)
      const lookup = await measureLookup(conn, tenants[0] ?? tenantOf(dataset.small, 'small'), Math.max(20, options.iterations * 3))
      log(`  membership lookup: ${lookup.addedMs.toFixed(3)} ms`)

      const plans: BenchResult['plans'] = []
      for (const tenant of tenants) {
        for (const q of DASHBOARD_QUESTIONS) {
          for (const form of ['hand', 'app'] as const) {
            plans.push({ query: q.name, org: tenant.label, scope: form, text: await planText(conn, q, form, tenant, params) })
          }
        }
      }

      let shapes: ShapeFigure[] = []
      if (options.shapes.iterations > 0) {
        log('without migration 005, and the replaced policy shapes (each in a rolled-back transaction)')
        const measured = await measureShapes(conn, tenants, params, options.shapes, log)
        shapes = measured.figures
        for (const p of measured.plans) plans.push({ query: p.query, org: p.org, scope: p.shape, text: p.text })
      }

      log('audit cost (rolled-back transactions)')
      const audit = await measureAudit(conn, dataset, options.audit, log)

      let start: StartFigure | null = null
      if (options.startRuns > 0) {
        log('embedded start (child processes)')
        start = await measureStart(options.startRuns, log, options.startSize)
      }

      return {
        date,
        machine: {
          cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30 * 10) / 10,
          node: process.version, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
        },
        database: { kind: handle.kind, version, location: name },
        sizes: options.sizes,
        dataset: {
          counts: dataset.counts,
          organizations: {
            largest: { slug: dataset.largest.slug, rows: dataset.largest.rows },
            small: { slug: dataset.small.slug, rows: dataset.small.rows },
            fixed: { slug: dataset.fixed.slug, rows: dataset.fixed.rows },
          },
          stages: stageCounts,
          historyFraction: dataset.historyFraction,
          buildSeconds: dataset.buildSeconds,
        },
        timing: 'median of Planning Time + Execution Time from EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON), one transaction per run, ' +
          'the dashboard module\'s statement (as a member) and the hand-written query (as the owner) alternating (A B, B A) on one connection; ' +
          'audit figures are wall time of the inserts',
        overhead,
        plainContains,
        lookup,
        shapes,
        scaling,
        audit,
        seeding,
        start,
        plans,
        seconds: (performance.now() - started) / 1000,
      }
    })
  } finally {
    await handle.close()
    if (!options.keepDatabase) await drop()
  }
}

