// What the rollups cost writers (issue 20), for bench/tenant-growth.ts: the same writes with the rollup
// triggers (those whose name contains "rollup" on revenue, activities and ai_usage_log) and without
// them (ALTER TABLE ... DISABLE TRIGGER as the owner), in one run:
//   - single-row inserts as an application makes them, each its own transaction, committed (the target's
//     figure: the arms switch the triggers with committed ALTER TABLEs; the rows stay, and the tenant's
//     rollups are rebuilt at the end, the "without" rows having left no delta);
//   - the same single-row inserts in one transaction rolled back (the triggers' own cost without the
//     commit's, for reference) and a bulk INSERT ... SELECT, rolled back (the disable is part of the
//     rolled-back transaction, outside the timed part), the two variants alternating;
//   - 8 writers on one organization and day, committed, throughput with and without (eight phases in
//     the order with, without, without, with, twice), PostgreSQL only: the embedded database has one
//     session. The tables are vacuumed first: the bulk inserts' rolled-back rows (millions at full size)
//     would otherwise bring autovacuum to the tables during whichever phases it lands in (at full size
//     the first measurement, without this, gave x0.81 where a tenth of the size gave x0.98);
//   - deadlocks: 8 writers whose transactions each write 3 rows on 3 random days in random order;
//   - folding pending deltas, private.rollups_merge() timed, twice: "hot", deltas as single-row writes
//     on the last 30 days leave them (many deltas on few rollup rows: the issue's target), and
//     "distinct keys", each delta on a rollup row of its own (the worst case, reported as such).
import { type Kysely, sql } from 'kysely'
import { asService, asSystem, asUser, createDb, type Database, type DbHandle, DELTA_LOGS, TenantryError } from '../lib/db/index.js'
import { addDays, AI_MODELS, GROWTH_TABLES, type GrowthTable, type GrowthTenant, insertRows } from './tenant-growth-data.js'
import type { GrowthParams } from './tenant-growth-questions.js'
import { measureArms, median, rolledBack } from './measure.js'

type Db = Kysely<Database>

export interface Machinery {
  /** private.rollups_rebuild(uuid) exists. */
  rebuild: boolean
  /** private.rollups_merge(integer) exists. */
  merge: boolean
  /** The rollup triggers, `table.trigger`. */
  triggers: string[]
}

export async function rollupMachinery(db: Db): Promise<Machinery> {
  const r = await sql<{ rebuild: boolean; merge: boolean }>`
    select to_regprocedure('private.rollups_rebuild(uuid)') is not null as rebuild,
           to_regprocedure('private.rollups_merge(integer)') is not null as merge`.execute(db)
  return { rebuild: r.rows[0]?.rebuild ?? false, merge: r.rows[0]?.merge ?? false, triggers: (await rollupTriggers(db)).map((t) => `${t.table}.${t.name}`) }
}

async function rollupTriggers(db: Db): Promise<{ table: string; name: string }[]> {
  const r = await sql<{ table: string; name: string }>`
    select c.relname as table, t.tgname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where c.relnamespace = 'public'::regnamespace and not t.tgisinternal
       and c.relname in ('revenue', 'activities', 'ai_usage_log') and t.tgname like '%rollup%'
     order by 1, 2`.execute(db)
  return r.rows
}

/** Enables or disables the rollup triggers (as the owner; inside a transaction, until it ends). */
export async function setRollupTriggers(db: Db, enabled: boolean): Promise<void> {
  for (const t of await rollupTriggers(db)) {
    await sql`alter table ${sql.table(`public.${t.table}`)} ${sql.raw(enabled ? 'enable' : 'disable')} trigger ${sql.id(t.name)}`.execute(db)
  }
}

export interface PairFigure {
  name: string
  title: string
  rows: number
  withMs: number
  withoutMs: number
  ratio: number
  /** null: a reference figure, without a target of its own. */
  target: number | null
  /** Within the target (always, for a reference figure). */
  met: boolean
  runs: number
}

export interface WritersFigure {
  writers: number
  seconds: number
  withTps: number
  withoutTps: number
  ratio: number
  target: number
  met: boolean
  errors: number
  /** Each phase's arm and throughput, in the order run. */
  phases: { arm: 'with' | 'without'; tps: number }[]
}

export interface DeadlockFigure {
  writers: number
  seconds: number
  /** With the rollup triggers: committed transactions, deadlocks (40P01), serialization failures (40001). */
  transactions: number
  deadlocks: number
  serializationFailures: number
  /** The same without the rollup triggers, for reference. */
  without: { transactions: number; deadlocks: number; serializationFailures: number }
  target: number
  met: boolean
}

/** The issue's target: 500,000 pending deltas folded in at most 2 s, i.e. 0.004 ms a delta at any size. */
export const FOLD_MS_PER_DELTA = 2000 / 500_000

export interface FoldFigure {
  /** hot: many deltas on few rollup rows, as single-row writes on recent days leave them (the target's case); distinct: each delta on a rollup row of its own. */
  kind: 'hot' | 'distinct'
  pending: number
  /** Rollup rows the pending deltas fall on (the fold's upserts). */
  keys: number
  folded: number
  ms: number
  msPerDelta: number
  /** ms per delta (FOLD_MS_PER_DELTA) for hot; null for the worst case, which has no target. */
  target: number | null
  /** Within the target (hot) and nothing left; for distinct: nothing left. */
  met: boolean
  /** Pending after the fold (0 when it folded everything). */
  left: number
}

export interface WriteFigures {
  /** Single-row inserts, each committed: the target's figure. */
  single: PairFigure
  /** The same inserts in one transaction rolled back: the triggers' cost without the commit's (reference). */
  singleInTransaction: PairFigure
  bulk: PairFigure[]
  writers: WritersFigure | { skipped: string }
  deadlocks: DeadlockFigure | { skipped: string }
  fold: { hot: FoldFigure; distinct: FoldFigure }
}

export interface WriteOptions {
  singleInserts: number
  bulkRows: number
  runs: number
  writers: number
  writerSeconds: number
  foldDeltas: number
}

// Row counters far above the loaded rows', so that generated rows never repeat a loaded one.
const BULK_BASE = 1_000_000_000_000

function pair(name: string, title: string, rows: number, on: number[], off: number[], target: number | null): PairFigure {
  const withMs = median(on)
  const withoutMs = median(off)
  return { name, title, rows, withMs, withoutMs, ratio: withMs / withoutMs, target, met: target === null || withMs / withoutMs <= target, runs: on.length }
}

/** One row into a table for the organization on a day: revenue and activities as its admin, AI usage as the server. */
async function writeOne(db: Db, tenant: GrowthTenant, table: GrowthTable, day: string, i: number): Promise<void> {
  const admin = tenant.users[0] ?? ''
  if (table === 'revenue') {
    await db.insertInto('revenue').values({
      organization_id: tenant.id, amount: `${10 + (i % 500)}.25`, date: day, category: 'usage', description: 'Tenant growth write',
    }).execute()
  } else if (table === 'activities') {
    await db.insertInto('activities').values({
      organization_id: tenant.id, type: 'login', metadata: { channel: 'web' }, created_at: `${day}T12:00:00Z`,
    }).execute()
  } else {
    await db.insertInto('ai_usage_log').values({
      organization_id: tenant.id, user_id: admin, query_id: sql<string>`gen_random_uuid()`, model: AI_MODELS[0] ?? 'gpt-4o',
      input_tokens: 100 + (i % 50), output_tokens: 40, cost_usd: '0.0021', date: day,
    }).execute()
  }
}

/** n single-row inserts, one statement each: revenue, activities and AI usage in turn, on the last 30 days; ms taken. */
async function singleRowWrites(db: Db, tenant: GrowthTenant, day: string, n: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    await writeOne(db, tenant, GROWTH_TABLES[i % GROWTH_TABLES.length] ?? 'revenue', addDays(day, -(i % 30)), i)
  }
  return performance.now() - t0
}

/** A committed transaction as the application writes it: revenue and activities as the admin, AI usage as the server. */
function asWriter<T>(db: Db, tenant: GrowthTenant, table: GrowthTable, fn: (trx: Db) => Promise<T>): Promise<T> {
  return table === 'ai_usage_log' ? asService(db, fn, { attempts: 1 }) : asUser(db, tenant.users[0] ?? '', fn, { attempts: 1 })
}

export async function measureWrites(
  handle: DbHandle, url: string | undefined, tenant: GrowthTenant, p: GrowthParams, options: WriteOptions, log: (line: string) => void,
): Promise<WriteFigures> {
  const db = handle.db
  const day = p.asOf
  const result = await db.connection().execute(async (conn) => {
    // Single-row inserts, the tables in turn, one statement each (rolled back as a whole).
    const single = (rollups: boolean) => () => rolledBack(conn, async (trx) => {
      if (!rollups) await setRollupTriggers(trx, false)
      return singleRowWrites(trx, tenant, day, options.singleInserts)
    })
    // A run is about a second at full size: twice the rounds of the bulk inserts, for a steadier median.
    const [s1 = [], s0 = []] = await measureArms([single(true), single(false)], { iterations: 2 * options.runs + 1, warmup: 1 })
    const singleFigure = pair('single_inserts_one_transaction',
      `${options.singleInserts.toLocaleString('en-US')} single-row inserts in one transaction, rolled back (revenue, activities, AI usage in turn; the triggers' cost without a commit's, reference)`,
      options.singleInserts, s1, s0, null)
    log(`  single-row inserts in one transaction: ${singleFigure.withMs.toFixed(0)} ms with, ${singleFigure.withoutMs.toFixed(0)} ms without (x${singleFigure.ratio.toFixed(3)})`)

    const bulk: PairFigure[] = []
    for (const table of GROWTH_TABLES) {
      const run = (rollups: boolean) => () => rolledBack(conn, async (trx) => {
        if (!rollups) await setRollupTriggers(trx, false)
        const t0 = performance.now()
        await insertRows(trx, tenant, table, BULK_BASE, options.bulkRows, p)
        return performance.now() - t0
      })
      const [b1 = [], b0 = []] = await measureArms([run(true), run(false)], { iterations: options.runs, warmup: 1 })
      const f = pair(`bulk_${table}`, `bulk insert of ${options.bulkRows.toLocaleString('en-US')} ${table} rows (INSERT ... SELECT)`, options.bulkRows, b1, b0, 1.15)
      bulk.push(f)
      log(`  bulk ${table}: ${f.withMs.toFixed(0)} ms with, ${f.withoutMs.toFixed(0)} ms without (x${f.ratio.toFixed(3)})`)
    }
    return { singleInTransaction: singleFigure, bulk }
  })
  const single = await measureCommittedSingles(db, tenant, day, options, log)

  let writers: WriteFigures['writers'] = { skipped: 'PostgreSQL only: the embedded database serves one session at a time' }
  let deadlocks: WriteFigures['deadlocks'] = { skipped: 'PostgreSQL only: the embedded database serves one session at a time' }
  if (url) {
    // The rolled-back bulk rows above are dead tuples in the tables and the delta logs: vacuumed here,
    // not by autovacuum in the middle of one arm's phases.
    await sql`vacuum public.revenue, public.activities, public.ai_usage_log, private.revenue_daily_deltas, private.activities_daily_deltas, private.ai_usage_daily_deltas`.execute(db)
    const pool = await createDb({ databaseUrl: url, poolSize: options.writers })
    try {
      writers = await measureWriters(db, pool.db, tenant, day, options, log)
      deadlocks = await measureDeadlocks(db, pool.db, tenant, p, options, log)
    } finally {
      await pool.close()
      await setRollupTriggers(db, true)
    }
  }
  // The "without" arms committed rows that no trigger logged: repair the tenant's rollups, as an
  // operator does after writing with the triggers off.
  await asSystem(db, (trx) => sql`select * from private.rollups_rebuild(${tenant.id}::uuid)`.execute(trx))
  const fold = { hot: await measureHotFold(db, tenant, p, options, log), distinct: await measureFold(db, tenant, p, options, log) }
  return { ...result, single, writers, deadlocks, fold }
}

/**
 * Single-row inserts as an application makes them: each statement its own transaction, committed (the
 * tables in turn, on the last 30 days), with the rollup triggers and without them (switched by
 * committed ALTER TABLEs before each arm's timed part), alternating. The commit is part of what a
 * single-row write costs, in both arms: this is the issue's "single-row insert" figure. The rows stay.
 */
async function measureCommittedSingles(db: Db, tenant: GrowthTenant, day: string, options: WriteOptions, log: (line: string) => void): Promise<PairFigure> {
  return db.connection().execute(async (conn) => {
    const arm = (rollups: boolean) => async (): Promise<number> => {
      await setRollupTriggers(conn, rollups)
      return singleRowWrites(conn, tenant, day, options.singleInserts)
    }
    try {
      const [on = [], off = []] = await measureArms([arm(true), arm(false)], { iterations: 2 * options.runs + 1, warmup: 1 })
      const f = pair('single_inserts', `${options.singleInserts.toLocaleString('en-US')} single-row inserts, each committed (revenue, activities, AI usage in turn)`,
        options.singleInserts, on, off, 1.10)
      log(`  single-row inserts, each committed: ${f.withMs.toFixed(0)} ms with, ${f.withoutMs.toFixed(0)} ms without (x${f.ratio.toFixed(3)})`)
      return f
    } finally {
      await setRollupTriggers(conn, true)
    }
  })
}

interface Burst {
  commits: number
  deadlocks: number
  serializationFailures: number
  seconds: number
}

/** writers loops, each running transactions until the time is up; counts commits and conflicts. */
async function burst(writers: number, seconds: number, tx: (writer: number, i: number) => Promise<void>): Promise<Burst> {
  const out: Burst = { commits: 0, deadlocks: 0, serializationFailures: 0, seconds }
  const t0 = performance.now()
  const deadline = t0 + seconds * 1000
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; performance.now() < deadline; i++) {
      try {
        await tx(w, i)
        out.commits++
      } catch (e) {
        const code = e instanceof TenantryError ? e.code : undefined
        if (code === '40P01') out.deadlocks++
        else if (code === '40001') out.serializationFailures++
        else throw e
      }
    }
  }))
  out.seconds = (performance.now() - t0) / 1000
  return out
}

async function measureWriters(owner: Db, pool: Db, tenant: GrowthTenant, day: string, options: WriteOptions, log: (line: string) => void): Promise<WritersFigure> {
  const one = (_w: number, i: number): Promise<void> => {
    const table = GROWTH_TABLES[i % GROWTH_TABLES.length] ?? 'revenue'
    return asWriter(pool, tenant, table, (trx) => writeOne(trx, tenant, table, day, i))
  }
  // Warm-up: a phase of each arm (every connection's plans made, with the triggers and without), not
  // counted; a 1-second warm-up left the first counted phase at x0.7 of the later ones.
  for (const arm of ['with', 'without'] as const) {
    await setRollupTriggers(owner, arm === 'with')
    await burst(options.writers, options.writerSeconds / 4, one)
  }
  const phases: Record<'with' | 'without', Burst[]> = { with: [], without: [] }
  const order: { arm: 'with' | 'without'; tps: number }[] = []
  for (const arm of ['with', 'without', 'without', 'with', 'with', 'without', 'without', 'with'] as const) {
    await setRollupTriggers(owner, arm === 'with')
    const b = await burst(options.writers, options.writerSeconds / 4, one)
    phases[arm].push(b)
    order.push({ arm, tps: Math.round(b.commits / b.seconds) })
  }
  await setRollupTriggers(owner, true)
  const tps = (bs: Burst[]): number => bs.reduce((a, b) => a + b.commits, 0) / bs.reduce((a, b) => a + b.seconds, 0)
  const withTps = tps(phases.with)
  const withoutTps = tps(phases.without)
  const errors = [...phases.with, ...phases.without].reduce((a, b) => a + b.deadlocks + b.serializationFailures, 0)
  log(`  ${options.writers} writers on one organization and day: ${withTps.toFixed(0)} tps with, ${withoutTps.toFixed(0)} without (x${(withTps / withoutTps).toFixed(3)})`)
  return { writers: options.writers, seconds: options.writerSeconds * 2, withTps, withoutTps, ratio: withTps / withoutTps, target: 0.9, met: withTps / withoutTps >= 0.9, errors, phases: order }
}

async function measureDeadlocks(owner: Db, pool: Db, tenant: GrowthTenant, p: GrowthParams, options: WriteOptions, log: (line: string) => void): Promise<DeadlockFigure> {
  // Three distinct days out of the last ten, in random order, one table per transaction.
  const three = (tx: (trx: Db, table: GrowthTable, days: string[]) => Promise<void>) => (_w: number, i: number): Promise<void> => {
    const table = GROWTH_TABLES[i % GROWTH_TABLES.length] ?? 'revenue'
    const offsets = [...Array(10).keys()].sort(() => Math.random() - 0.5).slice(0, 3)
    return asWriter(pool, tenant, table, (trx) => tx(trx, table, offsets.map((o) => addDays(p.asOf, -o))))
  }
  const run = three(async (trx, table, days) => {
    for (const [k, d] of days.entries()) await writeOne(trx, tenant, table, d, k)
  })
  await setRollupTriggers(owner, false)
  const off = await burst(options.writers, options.writerSeconds, run)
  await setRollupTriggers(owner, true)
  const on = await burst(options.writers, options.writerSeconds, run)
  log(`  deadlocks, 3 rows on 3 random days per transaction: ${on.deadlocks} in ${on.commits} transactions with, ${off.deadlocks} in ${off.commits} without`)
  return {
    writers: options.writers, seconds: on.seconds, transactions: on.commits, deadlocks: on.deadlocks, serializationFailures: on.serializationFailures,
    without: { transactions: off.commits, deadlocks: off.deadlocks, serializationFailures: off.serializationFailures },
    target: 0, met: on.deadlocks === 0,
  }
}

/** Pending deltas in the rollups' logs (private.<rollup>_deltas, migration 013), seen from inside a transaction. */
async function pendingDeltas(db: Db): Promise<number> {
  let n = 0
  for (const rollup of DELTA_LOGS) {
    n += Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`private.${rollup}_deltas`)}`.execute(db)).rows[0]?.n ?? 0)
  }
  return n
}

/** Rollup rows the pending deltas fall on: distinct (organization, day, dimension) per log. */
async function pendingKeys(db: Db): Promise<number> {
  const r = await sql<{ n: string }>`select
      (select count(*) from (select distinct organization_id, day from private.revenue_daily_deltas) x)
    + (select count(*) from (select distinct organization_id, day, type from private.activities_daily_deltas) x)
    + (select count(*) from (select distinct organization_id, day, model, user_id from private.ai_usage_daily_deltas) x) as n`.execute(db)
  return Number(r.rows[0]?.n ?? 0)
}

async function timeFold(trx: Db, kind: FoldFigure['kind'], pending: number, log: (line: string) => void): Promise<FoldFigure> {
  const keys = await pendingKeys(trx)
  const t0 = performance.now()
  const r = await sql<{ folded: number }>`select private.rollups_merge() as folded`.execute(trx)
  const ms = performance.now() - t0
  const folded = Number(r.rows[0]?.folded ?? 0)
  const left = await pendingDeltas(trx)
  const target = kind === 'hot' ? FOLD_MS_PER_DELTA : null
  log(`  folding ${pending.toLocaleString('en-US')} pending deltas (${kind === 'hot' ? 'hot' : 'distinct keys, worst case'}, on ${keys.toLocaleString('en-US')} rollup rows): ` +
    `${ms.toFixed(0)} ms (folded ${folded.toLocaleString('en-US')}, ${left} left)`)
  return { kind, pending, keys, folded, ms, msPerDelta: ms / pending, target, met: (target === null || ms / pending <= target) && left === 0, left }
}

/**
 * Folding, the target's case: the pending deltas (what the committed writes above left) topped up to
 * foldDeltas by the deltas that as many single-row writes on the last 30 days leave (revenue, activities
 * and AI usage in turn, on the tenant's users, models and two activity types: one delta per write, many
 * on each rollup row), then private.rollups_merge() timed. The deltas are written straight into the logs
 * as the owner, the rows each write would leave: 500,000 separate transactions would take minutes. In
 * one transaction rolled back, so that the embedded database's in-process fold cannot take them first.
 */
async function measureHotFold(db: Db, tenant: GrowthTenant, p: GrowthParams, options: WriteOptions, log: (line: string) => void): Promise<FoldFigure> {
  return db.connection().execute((conn) => rolledBack(conn, async (trx) => {
    const pending = await pendingDeltas(trx)
    const n = Math.max(0, options.foldDeltas - pending)
    const third = Math.ceil(n / 3)
    const users = tenant.users.length
    const day = (g: string) => sql<string>`${p.asOf}::date - (${sql.raw(g)} / 3) % 30`
    await sql`insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
      select ${tenant.id}::uuid, ${day('g')}, 10 + g % 500 + 0.25, 1 from generate_series(0, ${third - 1}::int) g`.execute(trx)
    await sql`insert into private.activities_daily_deltas (organization_id, day, type, activities)
      select ${tenant.id}::uuid, ${day('g')}, case when g % 2 = 0 then 'login' else 'purchase' end, 1 from generate_series(0, ${third - 1}::int) g`.execute(trx)
    await sql`insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
      select ${tenant.id}::uuid, ${day('g')}, (${AI_MODELS}::text[])[1 + g % ${AI_MODELS.length}], (${tenant.users}::uuid[])[1 + (g / 7) % ${users}],
             1, 100 + g % 50, 40, 0.0021
        from generate_series(0, ${n - 2 * third - 1}::int) g`.execute(trx)
    return timeFold(trx, 'hot', await pendingDeltas(trx), log)
  }))
}

/**
 * Folding, the worst case: the pending deltas topped up to foldDeltas by AI usage inserts whose rows
 * each fall on a different (day, model, user), so that every delta is an upsert of a rollup row of its
 * own (in each of ai_usage_daily and its two admin grains); timed as above, rolled back.
 */
async function measureFold(db: Db, tenant: GrowthTenant, p: GrowthParams, options: WriteOptions, log: (line: string) => void): Promise<FoldFigure> {
  return db.connection().execute((conn) => rolledBack(conn, async (trx) => {
    let pending = await pendingDeltas(trx)
    const days = Math.round((Date.parse(p.end) - Date.parse(p.start)) / 86_400_000)
    const keys = days * AI_MODELS.length * tenant.users.length
    while (pending < options.foldDeltas) {
      const n = Math.min(100_000, keys, options.foldDeltas - pending)
      await sql`
        insert into public.ai_usage_log (user_id, organization_id, query_id, input_tokens, output_tokens, cost_usd, model, date)
        select (${tenant.users}::uuid[])[1 + (g / ${days * AI_MODELS.length}) % ${tenant.users.length}], ${tenant.id}::uuid, gen_random_uuid(),
               100, 40, 0.0021, (${AI_MODELS}::text[])[1 + (g / ${days}) % ${AI_MODELS.length}], ${p.start}::date + g % ${days}
          from generate_series(0, ${n - 1}::int) g`.execute(trx)
      const now = await pendingDeltas(trx)
      if (now <= pending) throw new Error('inserting AI usage left no pending delta: are the rollup triggers on?')
      pending = now
    }
    return timeFold(trx, 'distinct', pending, log)
  }))
}
