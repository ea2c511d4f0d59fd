// The audit trail at scale (issue 15): `npm run bench -- --audit-partitions [--audit-trail-rows N]`.
// On a database of its own, builds a trail of N rows over 24 months and 1,000 Zipf-skewed tenants in
// three stages (1%, 10%, 100% of N), and measures, in one run:
//   - the newest page (readAuditTrail's statement, 50 rows) of the largest and a small tenant (rank 100,
//     about 0.1% of the trail), as the tenant's admin under RLS, at each stage: time over stage 1's (target <= 1.5);
//   - pruning the oldest month: private.audit_logs_prune (detach + drop) vs a DELETE of the same rows
//     (in a rolled-back transaction, the append-only trigger disabled for it); target <= 1 s for the drop;
//   - inserting into the partitioned trail vs a plain table of the old shape holding the same rows
//     (bulk INSERT ... SELECT and single-row INSERTs, rolled back, alternating): target <= 1.1.
// Page times are Planning + Execution Time of EXPLAIN ANALYZE (bench/measure.ts), the rest wall time.
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { becomeActor, createDb, type Database, type DbHandle, monthOf, redactUrl } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { explain, measureArms, median, planSummary, rolledBack } from './measure.js'

export interface AuditPartitionsOptions {
  /** Rows of the full trail (stage 3). */
  rows: number
  organizations: number
  months: number
  /** Rounds of each page measurement, at least. */
  iterations: number
  bulkRows: number
  singleInserts: number
  insertRuns: number
  databaseUrl?: string
  log?(line: string): void
}

export function defaultAuditPartitionsOptions(databaseUrl?: string): AuditPartitionsOptions {
  return {
    rows: databaseUrl ? 10_000_000 : 2_000_000, organizations: 1000, months: 24,
    iterations: 50, bulkRows: 50_000, singleInserts: 2_000, insertRuns: 5,
    ...(databaseUrl ? { databaseUrl } : {}),
  }
}

export interface PageFigure {
  tenant: 'largest' | 'small'
  stage: number
  trailRows: number
  tenantRows: number
  ms: number
  /** ms over stage 1's. */
  ratio: number
  target: number
  met: boolean
  plan: string
  buffers: number
}

export interface AuditPartitionsResult {
  date: string
  command: string
  machine: { cores: number; cpu: string; loadAverage: number[] }
  database: { kind: 'embedded' | 'postgres'; version: string; location: string }
  options: Omit<AuditPartitionsOptions, 'log' | 'databaseUrl'>
  build: { seconds: number; partitions: number; largestShare: number }
  pages: PageFigure[]
  /**
   * dropMs: private.audit_logs_prune, the whole of it (sweep of the default partition, counting the month's
   * rows per organization, detach, drop, its rows in the trail); ddlMs: detach + drop alone (rolled back);
   * deleteMs: DELETE of the same rows (rolled back: the vacuum it leaves behind is not counted). WAL bytes
   * written by each, on a server (null embedded).
   */
  prune: {
    month: string; rows: number; dropMs: number; ddlMs: number; deleteMs: number
    dropWalBytes: number | null; deleteWalBytes: number | null; target: number; met: boolean
  }
  inserts: { name: string; rows: number; partitionedMs: number; plainMs: number; ratio: number; target: number; met: boolean }[]
  seconds: number
}

type Db = Kysely<Database>

/** A database of its own: embedded in memory, or a new database on the server at url (drop() removes it). The offboarding bench uses it too. */
export async function openDatabase(url: string | undefined): Promise<{ handle: DbHandle; location: string; drop(): Promise<void> }> {
  if (!url) return { handle: await createDb({ dataDir: 'memory://' }), location: 'memory://', drop: async () => {} }
  const name = `tenantry_bench_audit_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`).finally(() => admin.end())
  const u = new URL(url)
  u.pathname = `/${name}`
  return {
    handle: await createDb({ databaseUrl: u.toString(), poolSize: 2 }),
    location: redactUrl(u.toString()),
    async drop() {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`).finally(() => c.end())
    },
  }
}

/**
 * Tenants and their admins: organizations 1..n with Zipf weights 1/rank (the largest about 13% of the
 * trail at 1,000 tenants), each with an admin profile (auth user) so that its page can be read under RLS.
 */
async function createTenants(conn: Db, n: number): Promise<void> {
  await sql`create table public.bench_tenants (rank int primary key, id uuid not null, admin_id uuid not null, weight float8 not null)`.execute(conn)
  await sql`insert into public.bench_tenants
            select g, gen_random_uuid(), gen_random_uuid(), 1.0 / g from generate_series(1, ${n}::int) g`.execute(conn)
  await sql`insert into auth.users (id, email, aud, role) select admin_id, 'bench-admin-' || rank || '@example.com', 'authenticated', 'authenticated' from public.bench_tenants`.execute(conn)
  await sql`insert into public.organizations (id, name, slug) select id, 'Bench ' || rank, 'bench-' || rank from public.bench_tenants`.execute(conn)
  await sql`update public.profiles p set organization_id = t.id, role = 'admin' from public.bench_tenants t where p.id = t.admin_id`.execute(conn)
}

/** Appends `rows` audit rows spread over the months, each tenant getting its share by weight. */
async function appendTrail(conn: Db, rows: number, months: number, firstMonth: string, log: (line: string) => void): Promise<void> {
  const total = (await sql<{ w: number }>`select sum(weight) as w from public.bench_tenants`.execute(conn)).rows[0]?.w ?? 1
  for (let m = 0; m < months; m++) {
    // One statement per month: a tenant's rows of the month at random times within it.
    await sql`
      insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data, created_at)
      select t.id, case when g % 3 = 0 then null else t.admin_id end,
             case when g % 5 = 0 then 'UPDATE' else 'INSERT' end,
             case when g % 2 = 0 then 'revenue' else 'customers' end, gen_random_uuid(),
             case when g % 5 = 0 then jsonb_build_object('amount', g % 1000, 'category', 'usage') end,
             jsonb_build_object('id', gen_random_uuid(), 'name', 'Customer ' || g, 'amount', (g % 1000) + 0.5, 'category', 'subscription'),
             (${`${firstMonth}-01T00:00:00Z`}::timestamptz + make_interval(months => ${m}::int))
               + random() * ((${`${firstMonth}-01T00:00:00Z`}::timestamptz + make_interval(months => ${m + 1}::int))
                             - (${`${firstMonth}-01T00:00:00Z`}::timestamptz + make_interval(months => ${m}::int)))
        from public.bench_tenants t
       cross join lateral generate_series(1, greatest(0, round(${rows / months}::float8 * t.weight / ${total}::float8))::int) g`.execute(conn)
  }
  log(`  appended ${rows.toLocaleString('en-US')} rows over ${months} months`)
}

async function settle(conn: Db, kind: 'embedded' | 'postgres'): Promise<void> {
  // Autovacuum never analyzes a partitioned parent; its partitions it does, but not in time for us.
  await sql`vacuum (analyze) public.audit_logs`.execute(conn)
  if (kind === 'postgres') {
    try {
      await sql`checkpoint`.execute(conn)
    } catch {
      // not allowed for this role
    }
  }
}

/** A plan summary with one entry per kind of scan: `Index Scan(audit_logs_*_organization_id_created_at_id_idx) x26`. */
function compactPlan(summary: string): string {
  const counts = new Map<string, number>()
  for (const part of summary.split(' + ')) {
    const key = part.replace(/audit_logs_(\d{4}_\d{2}|default)/, 'audit_logs_*')
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${k} x${n}` : k)).join(' + ')
}

/** The newest page of the tenant's trail as its admin: the statement readAuditTrail sends (limit 50 + 1). */
async function pageMs(conn: Db, adminId: string, iterations: number): Promise<{ ms: number; plan: string; buffers: number }> {
  const query = sql`select audit_logs.*, to_char(audit_logs.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
                      from public.audit_logs order by created_at desc, id desc limit 51`
  let plan = ''
  let buffers = 0
  const run = async (): Promise<number> => {
    await sql`begin`.execute(conn)
    try {
      await becomeActor(conn, { kind: 'user', userId: adminId })
      const e = await explain(conn, query)
      plan = compactPlan(planSummary(e.plan))
      buffers = e.buffers
      return e.totalMs
    } finally {
      await sql`rollback`.execute(conn)
    }
  }
  const [times = []] = await measureArms([run], { iterations, warmup: 3 })
  return { ms: median(times), plan, buffers }
}

async function tenantRows(conn: Db, id: string): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*) as n from public.audit_logs where organization_id = ${id}`.execute(conn)).rows[0]?.n ?? 0)
}

export async function runAuditPartitionsBench(options: AuditPartitionsOptions, command = ''): Promise<AuditPartitionsResult> {
  const started = performance.now()
  const { handle, location, drop } = await openDatabase(options.databaseUrl)
  try {
    await migrate(handle.db)
    return await measureAuditPartitions(handle, location, options, command, started)
  } finally {
    await handle.close()
    await drop()
  }
}

/** The measurements, on a migrated, empty database of the bench's own. */
export async function measureAuditPartitions(
  handle: DbHandle, location: string, options: AuditPartitionsOptions, command = '', started = performance.now(),
): Promise<AuditPartitionsResult> {
  const log = options.log ?? (() => {})
  {
    const version = (await sql<{ v: string }>`select version() as v`.execute(handle.db)).rows[0]?.v ?? 'unknown'
    log(`database: ${handle.kind} ${version.split(' on ')[0] ?? version} at ${location}`)
    return await handle.db.connection().execute(async (conn) => {
      const now = new Date()
      const firstMonth = monthOf(now, -options.months)
      for (let m = 0; m < options.months; m++) {
        await sql`select private.audit_logs_ensure_partition(${`${monthOf(now, m - options.months)}-01`}::date)`.execute(conn)
      }
      await createTenants(conn, options.organizations)
      const ids = await sql<{ rank: number; id: string; admin_id: string }>`
        select rank, id, admin_id from public.bench_tenants where rank in (1, ${Math.min(100, options.organizations)}::int) order by rank`.execute(conn)
      const largest = ids.rows[0]
      const small = ids.rows[1]
      if (!largest || !small) throw new Error('bench tenants missing')

      const buildStarted = performance.now()
      const pages: PageFigure[] = []
      const stages = [options.rows / 100, options.rows / 10, options.rows]
      let built = 0
      for (const [i, size] of stages.entries()) {
        log(`stage ${i + 1}: trail of ${Math.round(size).toLocaleString('en-US')} rows`)
        await appendTrail(conn, Math.round(size - built), options.months, firstMonth, log)
        built = size
        await settle(conn, handle.kind)
        const trailRows = Number((await sql<{ n: string }>`select count(*) as n from public.audit_logs`.execute(conn)).rows[0]?.n ?? 0)
        for (const [tenant, ref] of [['largest', largest], ['small', small]] as const) {
          const m = await pageMs(conn, ref.admin_id, options.iterations)
          const base = pages.find((p) => p.tenant === tenant && p.stage === 1)
          const ratio = base ? m.ms / base.ms : 1
          pages.push({
            tenant, stage: i + 1, trailRows, tenantRows: await tenantRows(conn, ref.id), ms: m.ms, ratio, target: 1.5,
            met: ratio <= 1.5, plan: m.plan, buffers: m.buffers,
          })
          log(`  ${tenant}: ${m.ms.toFixed(3)} ms (x${ratio.toFixed(2)}), ${m.buffers} buffers`)
        }
      }
      const buildSeconds = (performance.now() - buildStarted) / 1000
      const partitions = Number((await sql<{ n: string }>`select count(*) as n from pg_inherits where inhparent = 'public.audit_logs'::regclass`.execute(conn)).rows[0]?.n ?? 0)
      const total = pages.at(-1)?.trailRows ?? 0
      const largestShare = (pages.filter((p) => p.tenant === 'largest').at(-1)?.tenantRows ?? 0) / Math.max(1, total)

      // Inserts: a plain table of the old shape (primary key id, index (organization_id, created_at))
      // holding the same rows, against the partitioned trail.
      log('insert cost: partitioned trail vs a plain table with the same rows')
      await sql`create table public.bench_audit_plain (like public.audit_logs including defaults including constraints)`.execute(conn)
      await sql`insert into public.bench_audit_plain select * from public.audit_logs`.execute(conn)
      await sql`alter table public.bench_audit_plain add primary key (id)`.execute(conn)
      await sql`create index on public.bench_audit_plain (organization_id, created_at)`.execute(conn)
      await sql`vacuum (analyze) public.bench_audit_plain`.execute(conn)
      const bulk = (table: string, rows: number) => () => rolledBack(conn, async (trx) => {
        const t0 = performance.now()
        await sql`insert into ${sql.table(table)} (organization_id, user_id, action, table_name, record_id, new_data)
                  select t.id, t.admin_id, 'INSERT', 'revenue', gen_random_uuid(), jsonb_build_object('amount', g, 'category', 'usage')
                    from generate_series(1, ${rows}::int) g join public.bench_tenants t on t.rank = 1 + (g * 7919) % ${options.organizations}::int`.execute(trx)
        return performance.now() - t0
      })
      const single = (table: string, n: number) => () => rolledBack(conn, async (trx) => {
        const t0 = performance.now()
        for (let i = 0; i < n; i++) {
          await sql`insert into ${sql.table(table)} (organization_id, action, table_name, record_id, new_data)
                    values (${largest.id}, 'INSERT', 'revenue', gen_random_uuid(), ${JSON.stringify({ amount: i })}::jsonb)`.execute(trx)
        }
        return performance.now() - t0
      })
      const [bp = [], bq = []] = await measureArms([bulk('public.audit_logs', options.bulkRows), bulk('public.bench_audit_plain', options.bulkRows)], { iterations: options.insertRuns, warmup: 1 })
      const [sp = [], sq = []] = await measureArms([single('public.audit_logs', options.singleInserts), single('public.bench_audit_plain', options.singleInserts)], { iterations: options.insertRuns, warmup: 1 })
      const inserts = [
        { name: `bulk insert of ${options.bulkRows.toLocaleString('en-US')} rows (one statement)`, rows: options.bulkRows, partitionedMs: median(bp), plainMs: median(bq) },
        { name: `${options.singleInserts.toLocaleString('en-US')} single-row inserts`, rows: options.singleInserts, partitionedMs: median(sp), plainMs: median(sq) },
      ].map((f) => ({ ...f, ratio: f.partitionedMs / f.plainMs, target: 1.1, met: f.partitionedMs / f.plainMs <= 1.1 }))
      for (const f of inserts) log(`  ${f.name}: ${f.partitionedMs.toFixed(0)} ms partitioned, ${f.plainMs.toFixed(0)} ms plain (x${f.ratio.toFixed(2)})`)
      await sql`drop table public.bench_audit_plain`.execute(conn)

      // Pruning the oldest month: first a DELETE of its rows (rolled back), then the real drop.
      const oldest = firstMonth
      const partition = `private.audit_logs_${oldest.replace('-', '_')}`
      const monthRows = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(partition)}`.execute(conn)).rows[0]?.n ?? 0)
      log(`prune ${oldest} (${monthRows.toLocaleString('en-US')} rows): DELETE (rolled back) vs detach + drop`)
      const wal = async (trx: Db): Promise<string | null> => handle.kind === 'postgres'
        ? ((await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(trx)).rows[0]?.lsn ?? null)
        : null
      const walSince = async (trx: Db, from: string | null): Promise<number | null> => from === null ? null
        : Number((await sql<{ b: string }>`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${from}::pg_lsn) as b`.execute(trx)).rows[0]?.b ?? 0)
      const { deleteMs, deleteWalBytes } = await rolledBack(conn, async (trx) => {
        await sql`alter table public.audit_logs disable trigger audit_logs_append_only`.execute(trx)
        await sql`alter table ${sql.table(partition)} disable trigger audit_logs_append_only`.execute(trx)
        const lsn = await wal(trx)
        const t0 = performance.now()
        await sql`delete from public.audit_logs where created_at >= ${`${oldest}-01T00:00:00Z`}::timestamptz
                    and created_at < ${`${monthOf(new Date(`${oldest}-15T00:00:00Z`), 1)}-01T00:00:00Z`}::timestamptz`.execute(trx)
        return { deleteMs: performance.now() - t0, deleteWalBytes: await walSince(trx, lsn) }
      })
      const ddlMs = await rolledBack(conn, async (trx) => {
        const t0 = performance.now()
        await sql`alter table public.audit_logs detach partition ${sql.table(partition)}`.execute(trx)
        await sql`drop table ${sql.table(partition)}`.execute(trx)
        return performance.now() - t0
      })
      const dropLsn = await wal(conn)
      const t0 = performance.now()
      const dropped = await sql<{ month: string; rows: string }>`select * from private.audit_logs_prune(${`${monthOf(new Date(`${oldest}-15T00:00:00Z`), 1)}-01`}::date)`.execute(conn)
      const dropMs = performance.now() - t0
      const dropWalBytes = await walSince(conn, dropLsn)
      if (dropped.rows.length !== 1 || Number(dropped.rows[0]?.rows) !== monthRows) throw new Error(`prune dropped ${JSON.stringify(dropped.rows)}, expected ${oldest}`)
      log(`  DELETE ${deleteMs.toFixed(0)} ms, prune ${dropMs.toFixed(0)} ms (detach + drop alone ${ddlMs.toFixed(0)} ms)`)

      return {
        date: now.toISOString(),
        command,
        machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) },
        database: { kind: handle.kind, version, location },
        options: {
          rows: options.rows, organizations: options.organizations, months: options.months, iterations: options.iterations,
          bulkRows: options.bulkRows, singleInserts: options.singleInserts, insertRuns: options.insertRuns,
        },
        build: { seconds: buildSeconds, partitions, largestShare },
        pages,
        prune: { month: oldest, rows: monthRows, dropMs, ddlMs, deleteMs, dropWalBytes, deleteWalBytes, target: 1000, met: dropMs <= 1000 },
        inserts,
        seconds: (performance.now() - started) / 1000,
      }
    })
  }
}

function kb(bytes: number): string {
  return `${Math.round(bytes / 1024).toLocaleString('en-US')} kB`
}

/** The result as the tables of docs/benchmarks.md. */
export function renderAuditPartitions(r: AuditPartitionsResult): string {
  const lines = [
    `Audit trail: ${r.options.rows.toLocaleString('en-US')} rows, ${r.options.organizations} tenants, ${r.options.months} months, ` +
      `${r.build.partitions} partitions (${r.database.kind}, ${r.database.version.split(' on ')[0] ?? ''})`,
    '',
    '| tenant | stage | trail rows | tenant rows | newest page (ms) | x stage 1 | target | plan |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- |',
    ...r.pages.map((p) => `| ${p.tenant} | ${p.stage} | ${p.trailRows.toLocaleString('en-US')} | ${p.tenantRows.toLocaleString('en-US')} | ` +
      `${p.ms.toFixed(3)} | ${p.ratio.toFixed(2)} | ${p.stage === 1 ? '' : `<= ${p.target} ${p.met ? 'met' : 'MISSED'}`} | ${p.plan} |`),
    '',
    '| prune one month | rows | audit_logs_prune (ms) | of which detach + drop (ms) | DELETE (ms) | WAL: prune / DELETE | target |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
    `| ${r.prune.month} | ${r.prune.rows.toLocaleString('en-US')} | ${r.prune.dropMs.toFixed(0)} | ${r.prune.ddlMs.toFixed(0)} | ${r.prune.deleteMs.toFixed(0)} | ` +
      `${r.prune.dropWalBytes === null ? 'n/a' : `${kb(r.prune.dropWalBytes)} / ${kb(r.prune.deleteWalBytes ?? 0)}`} | prune <= 1 s ${r.prune.met ? 'met' : 'MISSED'} |`,
    '',
    '| insert | partitioned (ms) | plain (ms) | ratio | target |',
    '| --- | ---: | ---: | ---: | --- |',
    ...r.inserts.map((f) => `| ${f.name} | ${f.partitionedMs.toFixed(0)} | ${f.plainMs.toFixed(0)} | ${f.ratio.toFixed(2)} | <= ${f.target} ${f.met ? 'met' : 'MISSED'} |`),
  ]
  return lines.join('\n')
}
