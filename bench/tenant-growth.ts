// Dashboards as one tenant grows 100x (issue 20): `npm run bench -- --tenant-growth [--tenant-growth-rows N]`.
// On a database of its own: a small tenant (N rows in each of revenue, activities and ai_usage_log, 36
// months) and a big one measured at x1, x10 and x100 of it (customers and users growing with it, up to
// 20,000 customers and 50 users at the full x100), plus a third tenant whose AI usage is the big one's
// with the rows of the last 30 days scattered through the heap (what a backfill into freed space
// leaves). In one run:
//   - reads: every dashboard function (bench/tenant-growth-questions.ts) as each tenant's admin and a
//     member, the tenants alternating; server time (Planning + Execution Time of EXPLAIN ANALYZE,
//     bench/measure.ts), big / small at each stage and absolute ms, against the issue's targets;
//   - writes, when the rollup machinery of migration 013 exists (private.rollups_merge): single-row and
//     bulk inserts with and without the triggers whose name contains "rollup" (rolled back, alternating),
//     8 writers on one organization and day (throughput with and without, PostgreSQL only), deadlocks
//     when each transaction writes 3 rows on 3 random days, and folding pending deltas;
//   - optionally (--tenant-growth-ops N), the correctness long run (bench/tenant-growth-correctness.ts).
// Loading is INSERT ... SELECT generate_series as the owner with the audit and rollup triggers off
// (then private.rollups_rebuild() when it exists): what is measured is the dashboard, not the load.
import { cpus, loadavg } from 'node:os'
import { type Kysely, sql } from 'kysely'
import { asUser, createDb, type Database, type DbHandle, redactUrl } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { createServerDatabase } from '../test/support/db.js'
import { explain, measureArms, median, planSummary } from './measure.js'
import { addCustomers, addUsers, createTenant, customersFor, growthParams, type GrowthTenant, loadRows, usersFor } from './tenant-growth-data.js'
import { type GrowthParams, type GrowthQuestion, GROWTH_QUESTIONS } from './tenant-growth-questions.js'
import { checkCorrectness, type CorrectnessFigure } from './tenant-growth-correctness.js'
import { type Machinery, measureWrites, rollupMachinery, type WriteFigures } from './tenant-growth-writes.js'

export interface TenantGrowthOptions {
  /** Rows of the small tenant in each of revenue, activities and ai_usage_log (the big one's at x1). */
  smallRows: number
  /** The big tenant's sizes, as multiples of the small one's. */
  factors: number[]
  /** Rounds per question and role, at least (quick questions get more, up to 5x), after warmup rounds. */
  iterations: number
  warmup: number
  /** Time per question and role for quick questions, ms. */
  spendMs: number
  /** Stop a question's rounds once this much time has passed (after one round at least), ms. */
  budgetMs: number
  writes: {
    singleInserts: number
    bulkRows: number
    runs: number
    writers: number
    writerSeconds: number
    foldDeltas: number
  }
  /** Random operations of the correctness long run (0: skip), and its seed. */
  ops: number
  seed: number
  databaseUrl?: string
  /** Keep the server database afterwards (--keep-db), e.g. to look at its plans. */
  keepDatabase?: boolean
  log?(line: string): void
}

/** Full size on a server: 30,000 rows for the small tenant, 3M for the big one; embedded: a tenth. */
export function defaultTenantGrowthOptions(databaseUrl?: string, scale = 1): TenantGrowthOptions {
  const s = scale * (databaseUrl ? 1 : 0.1)
  return {
    smallRows: Math.max(100, Math.round(30_000 * s)),
    factors: [1, 10, 100],
    iterations: 15,
    warmup: 2,
    spendMs: 1500,
    budgetMs: 20_000,
    writes: {
      singleInserts: Math.max(20, Math.round(2_000 * s)),
      bulkRows: Math.max(100, Math.round(100_000 * s)),
      runs: 5,
      writers: 8,
      writerSeconds: 10,
      foldDeltas: Math.max(1000, Math.round(500_000 * s)),
    },
    ops: 0,
    seed: Date.now() % 1_000_000,
    ...(databaseUrl ? { databaseUrl } : {}),
  }
}

export interface ReadFigure {
  stage: number
  factor: number
  question: string
  title: string
  role: 'admin' | 'member'
  /** Which tenant is compared with the small one: the big one, or its AI usage with a scattered month. */
  variant: 'big' | 'scattered'
  bound: 'rows' | 'customers' | 'users'
  smallMs: number
  bigMs: number
  ratio: number
  /** The absolute target for bigMs (15 ms; 30 ms for customer- or user-bound questions). */
  targetMs: number
  /** The ratio target (1.5), or null for customer- or user-bound questions (their answer grows). */
  targetRatio: number | null
  met: boolean
  buffers: { small: number; big: number }
  plan: string
  rounds: number
}

export interface TenantGrowthResult {
  date: string
  command: string
  machine: { cores: number; cpu: string; loadAverage: number[] }
  database: { kind: 'embedded' | 'postgres'; version: string; location: string }
  options: Omit<TenantGrowthOptions, 'log' | 'databaseUrl'>
  /** Whether migration 013's functions exist (the rollup machinery). */
  machinery: Machinery
  stages: { stage: number; factor: number; rows: Record<'small' | 'big' | 'scattered', number>; customers: number; users: number; loadSeconds: number }[]
  reads: ReadFigure[]
  writes: WriteFigures | { skipped: string }
  correctness: CorrectnessFigure | { skipped: string }
  seconds: number
}

type Db = Kysely<Database>

async function openDatabase(url: string | undefined): Promise<{ handle: DbHandle; location: string; url: string | undefined; drop(): Promise<void> }> {
  // No in-process fold embedded: the bench folds when it measures folding (and rebuilds after each load).
  if (!url) return { handle: await createDb({ dataDir: 'memory://', rollupFoldMs: 0 }), location: 'memory://', url: undefined, drop: async () => {} }
  const created = await createServerDatabase({ base: url, prefix: 'tenantry_bench_growth' })
  return { handle: await createDb({ databaseUrl: created.url, poolSize: 2 }), location: redactUrl(created.url), url: created.url, drop: created.drop }
}

/** Triggers the load switches off: the audit trail's (one row per row loaded) and the rollups' (rebuilt after). */
async function loadTriggers(conn: Db): Promise<{ table: string; name: string }[]> {
  const r = await sql<{ table: string; name: string }>`
    select c.relname as table, t.tgname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where c.relnamespace = 'public'::regnamespace and not t.tgisinternal
       and c.relname in ('customers', 'revenue', 'activities', 'ai_usage_log')
       and (t.tgname like '%audit%' or t.tgname like '%rollup%')
     order by 1, 2`.execute(conn)
  return r.rows
}

async function setTriggers(conn: Db, triggers: { table: string; name: string }[], enabled: boolean): Promise<void> {
  for (const t of triggers) {
    await sql`alter table ${sql.table(`public.${t.table}`)} ${sql.raw(enabled ? 'enable' : 'disable')} trigger ${sql.id(t.name)}`.execute(conn)
  }
}

async function settle(conn: Db, kind: 'embedded' | 'postgres'): Promise<void> {
  // The whole database: the raw tables and, with 013, the rollups just rebuilt (tables of other owners
  // are skipped with a warning).
  await sql`vacuum (analyze)`.execute(conn)
  if (kind === 'postgres') {
    try {
      await sql`checkpoint`.execute(conn)
    } catch {
      // not allowed for this role
    }
  }
}

/** One EXPLAIN ANALYZE of the question as the user (one transaction, as asUser runs). */
async function askedBy(conn: Db, userId: string, q: GrowthQuestion, p: GrowthParams): Promise<{ ms: number; buffers: number; plan: string }> {
  const e = await asUser(conn, userId, (trx) => explain(trx, q.query(p)), { attempts: 1 })
  return { ms: e.totalMs, buffers: e.buffers, plan: planSummary(e.plan) }
}

async function measureReads(
  conn: Db, stage: number, factor: number, tenants: Record<'small' | 'big' | 'scattered', GrowthTenant>, p: GrowthParams,
  options: TenantGrowthOptions, log: (line: string) => void,
): Promise<ReadFigure[]> {
  const figures: ReadFigure[] = []
  for (const q of GROWTH_QUESTIONS) {
    for (const role of ['admin', 'member'] as const) {
      // Each tenant's first user is its admin; the second a member.
      const asker = (t: GrowthTenant): string => (role === 'admin' ? t.users[0] : t.users[1]) ?? ''
      const variants = q.table === 'ai_usage_log' ? (['big', 'scattered'] as const) : (['big'] as const)
      const arms = [tenants.small, ...variants.map((v) => tenants[v])]
      const last: { buffers: number; plan: string }[] = arms.map(() => ({ buffers: 0, plan: '' }))
      const times = await measureArms(arms.map((t, i) => async () => {
        const r = await askedBy(conn, asker(t), q, p)
        last[i] = { buffers: r.buffers, plan: r.plan }
        return r.ms
      }), { iterations: options.iterations, warmup: options.warmup, spendMs: options.spendMs, budgetMs: options.budgetMs })
      const smallMs = median(times[0] ?? [])
      variants.forEach((variant, j) => {
        const bigMs = median(times[j + 1] ?? [])
        const ratio = bigMs / smallMs
        const targetMs = q.bound === 'rows' ? 15 : 30
        const targetRatio = q.bound === 'rows' ? 1.5 : null
        figures.push({
          stage, factor, question: q.name, title: q.title, role, variant, bound: q.bound, smallMs, bigMs, ratio, targetMs, targetRatio,
          met: bigMs <= targetMs && (targetRatio === null || ratio <= targetRatio),
          buffers: { small: last[0]?.buffers ?? 0, big: last[j + 1]?.buffers ?? 0 }, plan: last[j + 1]?.plan ?? '',
          rounds: times[0]?.length ?? 0,
        })
        log(`  ${q.name} (${role}${variant === 'scattered' ? ', scattered month' : ''}): small ${smallMs.toFixed(2)} ms, big ${bigMs.toFixed(2)} ms (x${ratio.toFixed(2)})`)
      })
    }
  }
  return figures
}

export async function runTenantGrowthBench(options: TenantGrowthOptions, command = ''): Promise<TenantGrowthResult> {
  const started = performance.now()
  const log = options.log ?? (() => {})
  const opened = await openDatabase(options.databaseUrl)
  const { handle, location } = opened
  try {
    await migrate(handle.db)
    const version = (await sql<{ v: string }>`select version() as v`.execute(handle.db)).rows[0]?.v ?? 'unknown'
    log(`database: ${handle.kind} ${version.split(' on ')[0] ?? version} at ${location}`)
    const p = growthParams()
    const machinery = await rollupMachinery(handle.db)
    log(machinery.merge ? `rollup machinery present (triggers: ${machinery.triggers.join(', ')})` : 'no rollup machinery (private.rollups_merge does not exist): reads only')

    const { stages, reads, tenants } = await handle.db.connection().execute(async (conn) => {
      const tenants = {
        small: await createTenant(conn, 'small', 1),
        big: await createTenant(conn, 'big', 2),
        scattered: await createTenant(conn, 'scattered', 3),
      }
      const triggers = await loadTriggers(conn)
      const stages: TenantGrowthResult['stages'] = []
      const reads: ReadFigure[] = []
      for (const [i, factor] of options.factors.entries()) {
        const t0 = performance.now()
        const bigRows = options.smallRows * factor
        log(`stage ${i + 1}: big tenant at x${factor} (${bigRows.toLocaleString('en-US')} rows per table, ${customersFor(bigRows)} customers, ${usersFor(factor)} users)`)
        await setTriggers(conn, triggers, false)
        try {
          if (i === 0) {
            await addUsers(conn, tenants.small, usersFor(1))
            await addCustomers(conn, tenants.small, customersFor(options.smallRows), p)
            await loadRows(conn, tenants.small, options.smallRows, p, 'all', false)
          }
          await addUsers(conn, tenants.big, usersFor(factor))
          await addUsers(conn, tenants.scattered, usersFor(factor))
          await addCustomers(conn, tenants.big, customersFor(bigRows), p)
          await loadRows(conn, tenants.big, bigRows - tenants.big.rows, p, 'all', false)
          await loadRows(conn, tenants.scattered, bigRows - tenants.scattered.rows, p, 'ai', true)
        } finally {
          await setTriggers(conn, triggers, true)
        }
        if (machinery.rebuild) await sql`select * from private.rollups_rebuild()`.execute(conn)
        await settle(conn, handle.kind)
        const loadSeconds = (performance.now() - t0) / 1000
        log(`  loaded in ${loadSeconds.toFixed(1)} s`)
        stages.push({
          stage: i + 1, factor, rows: { small: tenants.small.rows, big: tenants.big.rows, scattered: tenants.scattered.rows },
          customers: tenants.big.customers, users: tenants.big.users.length, loadSeconds,
        })
        reads.push(...await measureReads(conn, i + 1, factor, tenants, p, options, log))
      }
      return { stages, reads, tenants }
    })

    let writes: TenantGrowthResult['writes'] = { skipped: 'private.rollups_merge does not exist (no rollup machinery, migration 013): nothing to compare' }
    if (machinery.merge) {
      log('writes: with and without the rollup triggers')
      writes = await measureWrites(handle, opened.url, tenants.big, p, options.writes, log)
    }
    let correctness: TenantGrowthResult['correctness'] = { skipped: 'not asked for (--tenant-growth-ops N)' }
    if (options.ops > 0 && !machinery.merge) correctness = { skipped: 'private.rollups_merge does not exist: no rollups to check' }
    else if (options.ops > 0) {
      log(`correctness: ${options.ops} random operations (seed ${options.seed}), every dashboard function against the raw rows`)
      correctness = await checkCorrectness(handle, opened.url, options.ops, options.seed, log)
    }
    return {
      date: new Date().toISOString(),
      command,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) },
      database: { kind: handle.kind, version, location },
      options: { smallRows: options.smallRows, factors: options.factors, iterations: options.iterations, warmup: options.warmup, spendMs: options.spendMs, budgetMs: options.budgetMs, writes: options.writes, ops: options.ops, seed: options.seed },
      machinery,
      stages,
      reads,
      writes,
      correctness,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await handle.close()
    if (options.keepDatabase) log(`kept the database: ${location}`)
    else await opened.drop()
  }
}

const fmt = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : 'n/a')
const n = (x: number): string => x.toLocaleString('en-US')

/** The result as the tables of docs/benchmarks.md. */
export function renderTenantGrowth(r: TenantGrowthResult): string {
  const stages = r.stages
  const last = stages.at(-1)
  const lines = [
    `Tenant growth (${r.database.kind}, ${r.database.version.split(' on ')[0] ?? ''}): small tenant ${n(r.options.smallRows)} rows per table, ` +
      `big tenant at ${stages.map((s) => `x${s.factor}`).join(', ')} (${n(last?.rows.big ?? 0)} rows per table, ${n(last?.customers ?? 0)} customers, ` +
      `${last?.users ?? 0} users at the last stage), 36 months; rollup machinery: ${r.machinery.merge ? 'yes' : 'no'}`,
    `command: ${r.command}`,
    '',
    `| question | asked by | small (ms) | ${stages.map((s) => `big x${s.factor} (ms, big/small)`).join(' | ')} | target | met |`,
    `| --- | --- | ---: | ${stages.map(() => '---:').join(' | ')} | --- | --- |`,
  ]
  const keys = [...new Set(r.reads.map((f) => `${f.question}|${f.role}|${f.variant}`))]
  for (const key of keys) {
    const fs = r.reads.filter((f) => `${f.question}|${f.role}|${f.variant}` === key)
    const f = fs.at(-1)
    if (!f) continue
    const target = f.targetRatio === null ? `<= ${f.targetMs} ms` : `<= ${f.targetRatio}x and <= ${f.targetMs} ms`
    lines.push(`| ${f.title}${f.variant === 'scattered' ? ' (scattered month)' : ''} | ${f.role} | ${fmt(median(fs.map((x) => x.smallMs)))} | ` +
      `${stages.map((s) => {
        const x = fs.find((y) => y.stage === s.stage)
        return x ? `${fmt(x.bigMs)} (${x.ratio.toFixed(2)})` : ''
      }).join(' | ')} | ${target} | ${f.met ? 'yes' : 'NO'} |`)
  }
  lines.push('', '"met" is judged at the last stage; small (ms) is the median over the stages of the small tenant\'s time.')
  const w = r.writes
  if ('skipped' in w) {
    lines.push('', `Writes: skipped — ${w.skipped}`)
  } else {
    lines.push('', '| write | with rollups | without | ratio | target | met |', '| --- | ---: | ---: | ---: | --- | --- |')
    for (const f of [w.single, w.singleInTransaction, ...w.bulk]) {
      const target = f.target === null ? 'none (reference)' : `<= ${f.target}`
      lines.push(`| ${f.title} | ${fmt(f.withMs)} ms | ${fmt(f.withoutMs)} ms | ${f.ratio.toFixed(3)} | ${target} | ${f.target === null ? '' : f.met ? 'yes' : 'NO'} |`)
    }
    if ('skipped' in w.writers) lines.push(`| ${8} writers on one organization and day | | | | >= 0.9 | skipped: ${w.writers.skipped} |`)
    else lines.push(`| ${w.writers.writers} writers on one organization and day (throughput, ${w.writers.seconds} s) | ${fmt(w.writers.withTps)} tps | ${fmt(w.writers.withoutTps)} tps | ${w.writers.ratio.toFixed(3)} | >= ${w.writers.target} | ${w.writers.met ? 'yes' : 'NO'} |`)
    if ('skipped' in w.deadlocks) lines.push(`| deadlocks, 3 rows on 3 random days per transaction | | | | 0 | skipped: ${w.deadlocks.skipped} |`)
    else {
      const d = w.deadlocks
      lines.push(`| deadlocks, ${d.writers} writers, 3 rows on 3 random days per transaction | ${d.deadlocks} in ${n(d.transactions)} | ${d.without.deadlocks} in ${n(d.without.transactions)} | | 0 | ${d.met ? 'yes' : 'NO'} |`)
    }
    const h = w.fold.hot
    lines.push(`| folding ${n(h.pending)} pending deltas on ${n(h.keys)} rollup rows, as single-row writes on 30 days leave them (private.rollups_merge) | ${fmt(h.ms)} ms | | ${(h.msPerDelta * 1000).toFixed(2)} µs a delta | <= 4 µs a delta (2 s for 500,000), nothing left | ${h.met ? 'yes' : 'NO'} |`)
    const d = w.fold.distinct
    lines.push(`| worst case: folding ${n(d.pending)} pending deltas each on a rollup row of its own (${n(d.keys)} rows) | ${fmt(d.ms)} ms | | ${(d.msPerDelta * 1000).toFixed(2)} µs a delta | no target (reported), nothing left | ${d.met ? 'yes' : 'NO'} |`)
  }
  const c = r.correctness
  if ('skipped' in c) lines.push('', `Correctness long run: skipped — ${c.skipped}`)
  else {
    lines.push('', `Correctness long run: ${n(c.operations)} random operations (seed ${c.seed}), ${c.folds} folds (${n(c.folded)} deltas) meanwhile, ` +
      `${c.seconds.toFixed(0)} s: ${c.met ? 'every answer equal to the raw recompute' : 'DIFFERENCES'}`, '',
      '| check | pending deltas | answers compared | differing | rollups_verify differences |', '| --- | ---: | ---: | ---: | ---: |',
      ...c.checks.map((x) => `| ${x.when} | ${n(x.pending)} | ${n(x.compared)} | ${x.mismatches} | ${x.verifyDifferences} |`))
  }
  lines.push('', `total ${r.seconds.toFixed(0)} s; load average at the end ${r.machine.loadAverage.join(' ')}`)
  return lines.join('\n')
}
