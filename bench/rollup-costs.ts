// First figures for the rollups' machinery (migration 013) at a small scale, on a database of its own:
// what the delta triggers add to a single-row insert and to a bulk insert (the same inserts with the
// triggers whose name contains "rollup" disabled, rounds alternated), what folding N pending deltas
// takes, and what the embedded database's idle fold costs. Not the tenant-growth benchmark.
//
//   npx tsx bench/rollup-costs.ts [--inserts 2000] [--bulk 20000] [--deltas 50000]
//   DATABASE_URL=postgres://... npx tsx bench/rollup-costs.ts --bulk 100000 --deltas 200000
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { type Kysely, sql } from 'kysely'
import { createDb, type Database, mergeRollups } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { createServerDatabase } from '../test/support/db.js'
import { median } from './measure.js'

const { values } = parseArgs({
  options: { inserts: { type: 'string', default: '2000' }, bulk: { type: 'string', default: '20000' }, deltas: { type: 'string', default: '50000' } },
})
const INSERTS = Number(values.inserts)
const BULK = Number(values.bulk)
const DELTAS = Number(values.deltas)

async function rollupTriggers(db: Kysely<Database>, on: boolean): Promise<void> {
  for (const table of ['revenue', 'activities', 'ai_usage_log']) {
    const r = await sql<{ name: string }>`select tgname as name from pg_trigger
      where tgrelid = ${`public.${table}`}::regclass and tgname like '%rollup%' and not tgisinternal`.execute(db)
    for (const { name } of r.rows) {
      await sql.raw(`alter table public.${table} ${on ? 'enable' : 'disable'} trigger ${name}`).execute(db)
    }
  }
}

async function main(): Promise<void> {
  const server = process.env.DATABASE_URL ? await createServerDatabase({ prefix: 'tenantry_rollup_costs' }) : undefined
  const handle = await createDb(server ? { databaseUrl: server.url, poolSize: 2 } : { dataDir: 'memory://', rollupFoldMs: 0 })
  const { db } = handle
  try {
    await migrate(db)
    const org = (await sql<{ id: string }>`insert into public.organizations (name, slug) values ('Costs', 'costs') returning id`.execute(db)).rows[0]?.id
    if (!org) throw new Error('no organization')
    console.log(`database: ${handle.kind}`)

    // Single-row inserts, each its own transaction, rounds of 100 alternating with and without.
    const per: Record<'with' | 'without', number[]> = { with: [], without: [] }
    for (let round = 0; round < INSERTS / 100; round++) {
      for (const mode of (round % 2 === 0 ? ['with', 'without'] : ['without', 'with']) as ('with' | 'without')[]) {
        await rollupTriggers(db, mode === 'with')
        for (let i = 0; i < 100; i++) {
          const t0 = performance.now()
          await sql`insert into public.revenue (organization_id, amount, date) values (${org}, 12.34, ${`2025-0${1 + (i % 9)}-1${i % 10}`}::date)`.execute(db)
          per[mode].push(performance.now() - t0)
        }
      }
    }
    await rollupTriggers(db, true)
    const single = { with: median(per.with), without: median(per.without) }
    console.log(`single-row insert (median of ${per.with.length}): with ${single.with.toFixed(3)} ms, without ${single.without.toFixed(3)} ms, x${(single.with / single.without).toFixed(3)}`)
    // The trigger's own time per single-row insert (EXPLAIN ANALYZE), against the insert without it.
    const own: number[] = []
    for (let i = 0; i < 200; i++) {
      const r = (await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json)
        insert into public.revenue (organization_id, amount, date) values (${org}, 12.34, ${`2025-0${1 + (i % 9)}-1${i % 10}`}::date)`.execute(db)).rows[0]?.['QUERY PLAN']
      const top = ((typeof r === 'string' ? JSON.parse(r) : r) as { Triggers: { 'Trigger Name': string; Time: number }[] }[])[0]
      own.push(top?.Triggers.filter((x) => x['Trigger Name'].includes('rollup')).reduce((a, x) => a + x.Time, 0) ?? Number.NaN)
    }
    console.log(`  the rollup trigger's own time per single-row insert: ${median(own).toFixed(3)} ms (median of 200; x${((single.without + median(own)) / single.without).toFixed(3)} of the insert without it)`)

    // Bulk insert of BULK rows over 365 days, three times each way, alternated; then the rollup
    // trigger's own share of one such statement (EXPLAIN ANALYZE's trigger time), which the machine's
    // noise disturbs less than a ratio of two timings of seconds.
    const bulk: Record<'with' | 'without', number[]> = { with: [], without: [] }
    for (const mode of ['with', 'without', 'without', 'with', 'with', 'without'] as const) {
      await rollupTriggers(db, mode === 'with')
      const t0 = performance.now()
      await sql`insert into public.revenue (organization_id, amount, date)
        select ${org}, (g % 1000) / 10.0, date '2024-01-01' + (g % 365) from generate_series(1, ${BULK}::int) g`.execute(db)
      bulk[mode].push(performance.now() - t0)
    }
    await rollupTriggers(db, true)
    const b = { with: median(bulk.with), without: median(bulk.without) }
    console.log(`bulk insert of ${BULK} rows (median of 3): with ${b.with.toFixed(0)} ms, without ${b.without.toFixed(0)} ms, x${(b.with / b.without).toFixed(3)}`)
    const plan = (await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) insert into public.revenue (organization_id, amount, date)
      select ${org}, (g % 1000) / 10.0, date '2024-01-01' + (g % 365) from generate_series(1, ${BULK}::int) g`.execute(db)).rows[0]?.['QUERY PLAN']
    const analyzed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { 'Execution Time': number; Triggers: { 'Trigger Name': string; Time: number }[] }[]
    const top = analyzed[0]
    const rollupMs = top?.Triggers.filter((x) => x['Trigger Name'].includes('rollup')).reduce((a, x) => a + x.Time, 0) ?? Number.NaN
    console.log(`  the rollup trigger's own time in one such insert: ${rollupMs.toFixed(1)} of ${top?.['Execution Time'].toFixed(0)} ms (x${(top ? top['Execution Time'] / (top['Execution Time'] - rollupMs) : Number.NaN).toFixed(3)})`)

    // Folding DELTAS pending deltas: as many statements as it takes, each writing one row on each of
    // `days` days, so that the deltas fall on `days` rollup rows (a year: writers coming back to the
    // same days; DELTAS: every delta a rollup row of its own, the worst case).
    for (const days of [365, DELTAS]) {
      await mergeRollups(db)
      for (let done = 0; done < DELTAS; done += Math.min(days, 5000)) {
        await sql`insert into public.revenue (organization_id, amount, date)
          select ${org}, 1.00, date '1900-01-01' + ((${done}::int + g) % ${days}::int) from generate_series(1, least(${Math.min(days, 5000)}::int, ${DELTAS - done}::int)) g`.execute(db)
      }
      const pending = Number((await sql<{ n: string }>`select count(*) as n from private.revenue_daily_deltas`.execute(db)).rows[0]?.n)
      const t0 = performance.now()
      const folded = await mergeRollups(db)
      console.log(`fold of ${pending} pending deltas onto ${Math.min(days, pending)} rollup rows: ${(performance.now() - t0).toFixed(0)} ms (folded ${folded})`)
    }

    // The embedded timer's fold when nothing is pending.
    const idle: number[] = []
    for (let i = 0; i < 200; i++) {
      const t1 = performance.now()
      await sql.raw(`do $fold$ begin
        if pg_catalog.to_regprocedure('private.rollups_merge(integer)') is not null then perform private.rollups_merge(); end if;
      end $fold$`).execute(db)
      idle.push(performance.now() - t1)
    }
    console.log(`an idle fold (nothing pending): ${median(idle).toFixed(3)} ms (median of 200)`)
  } finally {
    await handle.close()
    await server?.drop()
  }
}

await main()
