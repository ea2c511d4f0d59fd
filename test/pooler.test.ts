// Through pgbouncer in transaction mode (Supabase's transaction pooler works the same way): several
// migrate processes at once apply each file once and never hang; a concurrent-index file applies
// through it; 2,000 sessions of two tenants over the login role see exactly their own rows and
// leave nothing on the pooled server connections. Needs TENANTRY_TEST_POOLER_URL (CI starts
// pgbouncer next to its PostgreSQL 15: .ci/run).
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { asSystem, asUser, asAnon, createDb, type Database, type DbHandle, sessionRoutes } from '../lib/db/index.js'
import { migrate, migrationStatus, readMigrationFiles } from '../lib/migrate/index.js'
import { MIGRATIONS_DIR } from '../lib/paths.js'
import { runNode } from './support/cli.js'
import { createServerDatabase, freshDb, type TestDb } from './support/db.js'
import { LOGIN_ROLE, poolerBase, sameDatabaseAt } from './support/production.js'
import { createTeam, type Team } from './support/teams.js'

const skip = !poolerBase && 'needs pgbouncer in transaction mode: TENANTRY_TEST_POOLER_URL (CI sets it)'

async function directQuery<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query<R>(text)).rows
  } finally {
    await c.end()
  }
}

async function historyCounts(url: string): Promise<Map<string, number>> {
  const rows = await directQuery<{ version: string; n: number }>(url,
    'select version, count(*)::int as n from supabase_migrations.schema_migrations group by version order by version')
  return new Map(rows.map((r) => [r.version, r.n]))
}

describe('migrate through a transaction pooler', { skip }, () => {
  it('three migrate processes and three in-process runners at once: every file once, no lock left, no hang', async () => {
    const target = await createServerDatabase()
    const pooled = sameDatabaseAt(poolerBase ?? '', target.url)
    const handles: DbHandle[] = []
    try {
      const started = performance.now()
      const cli = [1, 2, 3].map(() => runNode('cli/main.ts', ['migrate', '--json'], { DATABASE_URL: pooled }, { timeoutMs: 180_000 }))
      for (let i = 0; i < 3; i++) handles.push(await createDb({ databaseUrl: pooled, poolSize: 2 }))
      const inProcess = handles.map((h) => migrate(h.db))
      const [cliResults, results] = await Promise.all([Promise.all(cli), Promise.all(inProcess)])
      const seconds = (performance.now() - started) / 1000
      for (const r of cliResults) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`)
      const byCli = cliResults.flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied)
      const byLib = results.flatMap((r) => r.applied.map((f) => f.file))
      const files = readMigrationFiles()
      assert.deepEqual([...byCli, ...byLib].sort(), files.map((f) => f.file).sort(), 'each file applied by exactly one runner')
      const counts = await historyCounts(target.url)
      assert.deepEqual([...counts.entries()], files.map((f) => [f.version, 1]))
      // pg_locks is cluster-wide: count this database's only (another test file runs beside this one,
      // and its rollup folds and migrations take advisory locks of their own).
      const locks = await directQuery<{ n: number }>(target.url,
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())")
      assert.equal(locks[0]?.n, 0, 'no advisory lock outlives the runners')
      // And once more through the pooler: nothing to do, at once.
      const again = await migrate(handles[0]?.db as Kysely<Database>)
      assert.deepEqual(again.applied, [])
      console.log(`# 6 concurrent runners through pgbouncer (transaction mode): ${files.length} files applied once each in ${seconds.toFixed(1)} s`)
    } finally {
      await Promise.all(handles.map((h) => h.close()))
      await target.drop()
    }
  })

  it('a concurrent-index file (run outside a transaction, as the Supabase CLI runs it) applies once with runners racing', async () => {
    const target = await createServerDatabase()
    const pooled = sameDatabaseAt(poolerBase ?? '', target.url)
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-pooled-migrations-'))
    const handles: DbHandle[] = []
    try {
      cpSync(MIGRATIONS_DIR, dir, { recursive: true })
      writeFileSync(join(dir, '900_pooled_concurrent_index.sql'),
        '-- a concurrent index in a file of its own\nset lock_timeout = \'4s\';\n' +
        'create index concurrently if not exists customers_pooled_probe on public.customers (updated_at);\n')
      writeFileSync(join(dir, '901_after.sql'), 'comment on index public.customers_pooled_probe is \'applied after 900\';\n')
      const files = readMigrationFiles(dir)
      for (let i = 0; i < 3; i++) handles.push(await createDb({ databaseUrl: pooled, poolSize: 3 }))
      const results = await Promise.all(handles.map((h) => migrate(h.db, {}, files)))
      assert.deepEqual(results.flatMap((r) => r.applied.map((f) => f.version)).sort(), files.map((f) => f.version).sort())
      const index = await directQuery<{ valid: boolean }>(target.url,
        "select indisvalid as valid from pg_index where indexrelid = 'public.customers_pooled_probe'::regclass")
      assert.deepEqual(index, [{ valid: true }])
      const recorded = await directQuery<{ statements: string[] }>(target.url,
        "select statements from supabase_migrations.schema_migrations where version = '900'")
      assert.deepEqual(recorded, [{ statements: files.find((f) => f.version === '900')?.statements }], 'recorded as the CLI records it')
      const pooledHandle = handles[0]
      assert.ok(pooledHandle)
      const st = await migrationStatus(pooledHandle.db, files)
      assert.deepEqual([st.pending, st.changed, st.missingLocally], [[], [], []])
    } finally {
      await Promise.all(handles.map((h) => h.close()))
      await target.drop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('2,000 sessions through the pooler over the login role', { skip }, () => {
  const SESSIONS = 2000
  let t: TestDb
  let h: DbHandle
  let a: Team
  let b: Team
  const counts = { a: 150, b: 90 }

  before(async () => {
    t = await freshDb()
    assert.ok(t.url)
    a = await createTeam(t.db, 'poola', 1)
    b = await createTeam(t.db, 'poolb', 1)
    await asSystem(t.db, (trx) => trx.insertInto('customers').values([
      ...Array.from({ length: counts.a }, (_, i) => ({ organization_id: a.orgId, name: `A ${i}` })),
      ...Array.from({ length: counts.b }, (_, i) => ({ organization_id: b.orgId, name: `B ${i}` })),
    ]).execute())
    h = await createDb({
      databaseUrl: sameDatabaseAt(poolerBase ?? '', t.url),
      authenticatorUrl: sameDatabaseAt(poolerBase ?? '', t.url, LOGIN_ROLE),
      poolSize: 8,
    })
  })
  after(async () => {
    await h?.close()
    await t?.close()
  })

  it(`${SESSIONS} sessions of two tenants' admins and members and anon: exact rows, no claim or role left behind`, async () => {
    const login = sessionRoutes(h.db)?.authenticator
    assert.ok(login, 'sessions run over the login role')
    const cast = [
      { userId: a.adminId, orgId: a.orgId, n: counts.a },
      { userId: b.memberId, orgId: b.orgId, n: counts.b },
      { userId: a.memberId, orgId: a.orgId, n: counts.a },
      { userId: b.adminId, orgId: b.orgId, n: counts.b },
      { userId: null, orgId: null, n: 0 },
    ]
    let rowsChecked = 0
    let plainChecks = 0
    const pids = new Set<number>()
    const started = performance.now()
    const worker = async (w: number): Promise<void> => {
      for (let i = w; i < SESSIONS; i += 16) {
        const who = cast[i % cast.length]
        assert.ok(who)
        const seen = await (who.userId === null
          ? asAnon(h.db, (trx) => observe(trx))
          : asUser(h.db, who.userId, (trx) => observe(trx)))
        assert.equal(seen.role, who.userId === null ? 'anon' : 'authenticated', `session ${i}: role`)
        assert.equal(seen.login, LOGIN_ROLE, `session ${i}: logged in as the login role`)
        assert.equal(seen.uid, who.userId, `session ${i}: auth.uid()`)
        assert.equal(seen.orgs.length, who.n, `session ${i}: ${who.n} customers`)
        assert.ok(seen.orgs.every((o) => o === who.orgId), `session ${i}: only its own organization`)
        rowsChecked += seen.orgs.length
        pids.add(seen.pid)
        // Outside any session, on whichever server connection the pooler gives: no role, no claims
        // (auth.uid() reads these two settings; the login role itself may not even call it).
        const plain = await sql<{ cu: string; claims: string | null; sub: string | null }>`
          select current_user as cu, current_setting('request.jwt.claims', true) as claims,
                 current_setting('request.jwt.claim.sub', true) as sub`.execute(login)
        const p = plain.rows[0]
        assert.ok(p && p.cu === LOGIN_ROLE && !p.claims && !p.sub, `after session ${i}: ${JSON.stringify(p)}`)
        plainChecks++
      }
    }
    await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)))
    const seconds = (performance.now() - started) / 1000
    assert.ok(pids.size <= 2 + 2, `pgbouncer served them on its few server connections (${pids.size})`)
    console.log(`# ${SESSIONS} sessions through pgbouncer (2 server connections) over ${LOGIN_ROLE}: ${rowsChecked} rows checked, ` +
      `${plainChecks} plain queries after them saw no claim, ${pids.size} server backends, ${seconds.toFixed(1)} s`)
  })
})

async function observe(trx: Kysely<Database>): Promise<{ role: string; login: string; uid: string | null; pid: number; orgs: string[] }> {
  const r = await sql<{ role: string; login: string; uid: string | null; pid: number }>`
    select current_user as role, session_user as login, auth.uid() as uid, pg_backend_pid() as pid`.execute(trx)
  const row = r.rows[0]
  assert.ok(row)
  const customers = await trx.selectFrom('customers').select('organization_id').execute()
  return { ...row, orgs: customers.map((c) => c.organization_id) }
}
