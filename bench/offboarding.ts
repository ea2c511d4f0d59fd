// Offboarding at scale (issue 21): `npm run bench -- --offboarding [--offboarding-rows N]`. On a database
// of its own: an organization with N rows in each of customers, revenue, activities and ai_usage_log
// (and the 3N audit rows their inserts write), beside another tenant. Measures, in one run:
//   - the export of the large organization through its admin's session (tenantry export's function):
//     rows/s, and this process's peak RSS while it runs (embedded: the database lives in this process
//     too, so the figure includes it; the growth over the start is the export's own);
//   - the membership helpers private.current_org_id() / admin_org_id() as they are now (015's pending-
//     deletion probe of organizations, in 018's PL/pgSQL) against 001's SQL definition: time per call,
//     one call per statement as a policy makes it;
//   - the purge in batches (purgeInBatches, one transaction per batch): time, batches, rows/s; meanwhile
//     the other tenant's admin reads and writes in a loop from a second connection, and pg_locks is
//     sampled for waiting locks (on a server; the embedded database has one session: there another
//     tenant's statement waits for the batch in progress, so the batch times are the figure).
import { cpus, loadavg, tmpdir } from 'node:os'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { type Kysely, sql } from 'kysely'
import {
  asSystem, asUser, type Database, exportOrganization, purgeInBatches, requestOrganizationDeletion,
} from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { openDatabase } from './audit-partitions.js'
import { median } from './measure.js'

export interface OffboardingOptions {
  /** Rows in each tenant table of the organization purged and exported. */
  rows: number
  /** Rows per purge batch. */
  batchRows: number
  /** Calls of each helper variant. */
  helperCalls: number
  databaseUrl?: string
  log?(line: string): void
}

export function defaultOffboardingOptions(databaseUrl?: string): OffboardingOptions {
  return { rows: 1_000_000, batchRows: 5000, helperCalls: 20_000, ...(databaseUrl ? { databaseUrl } : {}) }
}

export interface OffboardingResult {
  date: string
  command: string
  machine: { cores: number; cpu: string; loadAverage: number[] }
  database: { kind: 'embedded' | 'postgres'; version: string; location: string }
  options: Omit<OffboardingOptions, 'log' | 'databaseUrl'>
  build: { seconds: number; rows: number; auditRows: number }
  export: { rows: number; seconds: number; rowsPerSecond: number; rssStartMb: number; rssPeakMb: number }
  helpers: { name: string; before015Us: number; nowUs: number; ratio: number }[]
  purge: {
    seconds: number; batches: number; rows: number; rowsPerSecond: number
    /** Time of one batch (its transaction): what a statement waiting behind it waits at most, embedded. */
    batchMedianMs: number; batchMaxMs: number
    /** The other tenant's read + write while the purge ran, and before it (baseline, same statements). */
    otherTenant: { queries: number; medianMs: number; maxMs: number; baselineMedianMs: number; baselineMaxMs: number }
    /** Samples of pg_locks with a waiting lock (server only; null embedded), and how many found one. */
    lockSamples: number | null
    lockWaitsSeen: number | null
  }
  seconds: number
}

type Db = Kysely<Database>

async function build(db: Db, n: number): Promise<{ orgId: string; adminId: string; otherAdminId: string; otherOrgId: string }> {
  const ids = await asSystem(db, async (trx) => {
    const r = await sql<{ admin: string; other: string }>`select gen_random_uuid() as admin, gen_random_uuid() as other`.execute(trx)
    const row = r.rows[0]
    if (!row) throw new Error('no ids')
    await sql`insert into auth.users (id, email) values (${row.admin}, 'bench-purge-admin@example.com'), (${row.other}, 'bench-other-admin@example.com')`.execute(trx)
    return row
  })
  const orgId = await asUser(db, ids.admin, async (trx) =>
    (await sql<{ id: string }>`select public.create_organization('Bench Purged', 'bench-purged') as id`.execute(trx)).rows[0]?.id ?? '')
  const otherOrgId = await asUser(db, ids.other, async (trx) =>
    (await sql<{ id: string }>`select public.create_organization('Bench Other', 'bench-other') as id`.execute(trx)).rows[0]?.id ?? '')
  // In slices of 100,000 rows: each statement's transition tables (audit, totals) stay bounded.
  for (let from = 0; from < n; from += 100_000) {
    const to = Math.min(n, from + 100_000)
    await asSystem(db, async (trx) => {
      await sql`with c as (insert into public.customers (organization_id, name, email, status)
                           select ${orgId}::uuid, 'Customer ' || g, 'c' || g || '@bench.example', 'active'
                             from generate_series(${from + 1}::int, ${to}::int) g returning id)
                insert into public.revenue (organization_id, customer_id, amount, date)
                select ${orgId}::uuid, c.id, 10, date '2026-01-01' + ((row_number() over ()) % 300)::int from c`.execute(trx)
      await sql`insert into public.activities (organization_id, type, metadata)
                select ${orgId}::uuid, 'login', jsonb_build_object('n', g) from generate_series(${from + 1}::int, ${to}::int) g`.execute(trx)
      await sql`insert into public.ai_usage_log (organization_id, user_id, query_id, model, date)
                select ${orgId}::uuid, ${ids.admin}::uuid, gen_random_uuid(), 'm', date '2026-01-01' + (g % 300)::int from generate_series(${from + 1}::int, ${to}::int) g`.execute(trx)
    })
  }
  await asSystem(db, (trx) => sql`insert into public.customers (organization_id, name) select ${otherOrgId}::uuid, 'Other ' || g from generate_series(1, 1000) g`.execute(trx))
  await asSystem(db, (trx) => sql`analyze`.execute(trx))
  return { orgId, adminId: ids.admin, otherAdminId: ids.other, otherOrgId }
}

/**
 * Microseconds per call of a helper, as a policy calls it: once per statement, `(select fn())`, each
 * call its own statement (a loop of a DO block), inside one transaction as the user. Not n calls in one
 * statement: a SQL function is planned once per statement and its plan reused for every row, which
 * hides the cost a policy pays (before PostgreSQL 18, a SECURITY DEFINER SQL function is planned again
 * on every statement: migration 018).
 */
async function helperMicros(db: Db, userId: string, fn: string, calls: number): Promise<number> {
  return asUser(db, userId, async (trx) => {
    const start = performance.now()
    await sql.raw(`do $$ declare x uuid; begin for i in 1..${Math.trunc(calls)} loop x := (select ${fn}); end loop; end $$`).execute(trx)
    return ((performance.now() - start) * 1000) / calls
  })
}

/** The other tenant at work: a read and a write as its admin, in milliseconds. */
async function otherTenantQuery(db: Db, adminId: string, orgId: string): Promise<number> {
  const start = performance.now()
  await asUser(db, adminId, async (trx) => {
    await sql`select count(*) from public.customers`.execute(trx)
    await sql`insert into public.customers (organization_id, name) values (${orgId}::uuid, 'during purge')`.execute(trx)
  })
  return performance.now() - start
}

export async function runOffboardingBench(options: OffboardingOptions, command: string): Promise<OffboardingResult> {
  const log = options.log ?? (() => {})
  const started = performance.now()
  const { handle, location, drop } = await openDatabase(options.databaseUrl)
  const dir = await mkdtemp(join(tmpdir(), 'tenantry-bench-export-'))
  try {
    const db = handle.db
    await migrate(db)
    const version = (await sql<{ v: string }>`select version() as v`.execute(db)).rows[0]?.v ?? 'unknown'
    log(`database: ${handle.kind} ${version.split(' on ')[0] ?? version} at ${location}`)
    const t0 = performance.now()
    const ids = await build(db, options.rows)
    const auditRows = Number((await asSystem(db, (trx) => sql<{ n: string }>`select count(*) as n from public.audit_logs where organization_id = ${ids.orgId}::uuid`.execute(trx))).rows[0]?.n)
    const buildSeconds = (performance.now() - t0) / 1000
    log(`built ${options.rows.toLocaleString('en-US')} rows per table (+ ${auditRows.toLocaleString('en-US')} audit rows) in ${buildSeconds.toFixed(1)} s`)

    // Export.
    global.gc?.()
    const rssStart = process.memoryUsage().rss
    let rssPeak = rssStart
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 50)
    const e0 = performance.now()
    const manifest = await exportOrganization(db, ids.adminId, dir)
    const exportSeconds = (performance.now() - e0) / 1000
    clearInterval(sampler)
    const exported = Object.values(manifest.tables).reduce((s, x) => s + x.rows, 0)
    log(`export: ${exported.toLocaleString('en-US')} rows in ${exportSeconds.toFixed(1)} s, RSS ${(rssStart / 2 ** 20).toFixed(0)} -> ${(rssPeak / 2 ** 20).toFixed(0)} MB`)

    // Helpers: 001's definitions, as they were, beside 015's.
    await asSystem(db, (trx) => sql`
      create function private.bench_current_org_id_001() returns uuid language sql stable security definer set search_path = ''
        as $$ select p.organization_id from public.profiles p where p.id = auth.uid() $$;
      create function private.bench_admin_org_id_001() returns uuid language sql stable security definer set search_path = ''
        as $$ select p.organization_id from public.profiles p where p.id = auth.uid() and p.role = 'admin' $$;
      grant execute on function private.bench_current_org_id_001(), private.bench_admin_org_id_001() to authenticated`.execute(trx))
    const helpers: OffboardingResult['helpers'] = []
    for (const name of ['current_org_id', 'admin_org_id']) {
      const before: number[] = []
      const now: number[] = []
      for (let i = 0; i < 5; i++) {
        before.push(await helperMicros(db, ids.otherAdminId, `private.bench_${name}_001()`, options.helperCalls))
        now.push(await helperMicros(db, ids.otherAdminId, `private.${name}()`, options.helperCalls))
      }
      helpers.push({ name, before015Us: median(before), nowUs: median(now), ratio: median(now) / median(before) })
    }

    // Purge, with the other tenant at work meanwhile.
    await asUser(db, ids.adminId, (trx) => requestOrganizationDeletion(trx, 'Bench Purged'))
    const asOf = new Date(Date.now() + 31 * 86_400_000)
    const baseline: number[] = []
    for (let i = 0; i < 20; i++) baseline.push(await otherTenantQuery(db, ids.otherAdminId, ids.otherOrgId))
    const latencies: number[] = []
    let lockSamples: number | null = null
    let lockWaitsSeen: number | null = null
    const batchMs: number[] = []
    let last = performance.now()
    const onBatch = (): void => {
      const now = performance.now()
      batchMs.push(now - last)
      last = now
    }
    const p0 = performance.now()
    last = p0
    let result
    if (handle.kind === 'embedded') {
      // One session: another tenant's statement waits for the batch in progress (batchMaxMs); measured after.
      result = await purgeInBatches(db, { asOf, batchRows: options.batchRows, onBatch })
      for (let i = 0; i < 20; i++) latencies.push(await otherTenantQuery(db, ids.otherAdminId, ids.otherOrgId))
    } else {
      let running = true
      lockSamples = 0
      lockWaitsSeen = 0
      const other = (async () => {
        while (running) latencies.push(await otherTenantQuery(db, ids.otherAdminId, ids.otherOrgId))
      })()
      const watcher = (async () => {
        while (running) {
          const w = await sql<{ n: string }>`select count(*) as n from pg_catalog.pg_locks where not granted`.execute(db)
          lockSamples = (lockSamples ?? 0) + 1
          if (Number(w.rows[0]?.n) > 0) lockWaitsSeen = (lockWaitsSeen ?? 0) + 1
          await new Promise((r) => setTimeout(r, 20))
        }
      })()
      try {
        result = await purgeInBatches(db, { asOf, batchRows: options.batchRows, onBatch })
      } finally {
        running = false
        await Promise.all([other, watcher])
      }
    }
    const purgeSeconds = (performance.now() - p0) / 1000
    log(`purge: ${result.rows.toLocaleString('en-US')} rows in ${result.batches} batches, ${purgeSeconds.toFixed(1)} s; other tenant ${latencies.length} queries, max ${Math.max(...latencies).toFixed(1)} ms`)
    return {
      date: new Date().toISOString(), command,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg() },
      database: { kind: handle.kind === 'embedded' ? 'embedded' : 'postgres', version, location },
      options: { rows: options.rows, batchRows: options.batchRows, helperCalls: options.helperCalls },
      build: { seconds: buildSeconds, rows: options.rows * 4, auditRows },
      export: {
        rows: exported, seconds: exportSeconds, rowsPerSecond: exported / exportSeconds,
        rssStartMb: rssStart / 2 ** 20, rssPeakMb: rssPeak / 2 ** 20,
      },
      helpers,
      purge: {
        seconds: purgeSeconds, batches: result.batches, rows: result.rows, rowsPerSecond: result.rows / purgeSeconds,
        batchMedianMs: median(batchMs), batchMaxMs: Math.max(...batchMs),
        otherTenant: {
          queries: latencies.length, medianMs: median(latencies), maxMs: Math.max(...latencies),
          baselineMedianMs: median(baseline), baselineMaxMs: Math.max(...baseline),
        },
        lockSamples, lockWaitsSeen,
      },
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
    await handle.close()
    await drop()
  }
}

export function renderOffboarding(r: OffboardingResult): string {
  const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
  return [
    `Offboarding: ${f(r.options.rows)} rows per tenant table (+ ${f(r.build.auditRows)} audit rows), batches of ${f(r.options.batchRows)} ` +
      `(${r.database.kind}, ${r.database.version.split(' on ')[0] ?? ''})`,
    '',
    '| export rows | seconds | rows/s | RSS start (MB) | RSS peak (MB) |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${f(r.export.rows)} | ${f(r.export.seconds, 1)} | ${f(r.export.rowsPerSecond)} | ${f(r.export.rssStartMb)} | ${f(r.export.rssPeakMb)} |`,
    '',
    '| purge rows | batches | seconds | rows/s | batch median / max (ms) | other tenant: queries | median (ms) | max (ms) | before the purge: median / max (ms) | lock waits seen / samples |',
    '| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |',
    `| ${f(r.purge.rows)} | ${f(r.purge.batches)} | ${f(r.purge.seconds, 1)} | ${f(r.purge.rowsPerSecond)} | ` +
      `${f(r.purge.batchMedianMs, 0)} / ${f(r.purge.batchMaxMs, 0)} | ${r.purge.otherTenant.queries} | ` +
      `${f(r.purge.otherTenant.medianMs, 2)} | ${f(r.purge.otherTenant.maxMs, 1)} | ` +
      `${f(r.purge.otherTenant.baselineMedianMs, 2)} / ${f(r.purge.otherTenant.baselineMaxMs, 1)} | ${r.purge.lockSamples === null ? 'n/a (one session)' : `${r.purge.lockWaitsSeen} / ${r.purge.lockSamples}`} |`,
    '',
    '| helper | 001 (µs/call) | now (µs/call) | ratio |',
    '| --- | ---: | ---: | ---: |',
    ...r.helpers.map((h) => `| private.${h.name}() | ${f(h.before015Us, 2)} | ${f(h.nowUs, 2)} | ${f(h.ratio, 2)} |`),
  ].join('\n')
}
