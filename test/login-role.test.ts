// The login role (supabase/migrations/008_login_role.sql): sessions that log in as
// tenantry_authenticator cannot get back to the owner's rights. Every escape — reset role, set role
// to the owner or a superuser, set session authorization, set_config('role', ...) — is tried inside a
// session of every actor, directly and (with TENANTRY_TEST_POOLER_URL) through pgbouncer; each is
// refused or gains nothing. `tenantry sql --as` runs over it and refuses role changes outright.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { type Actor, asSystem, createDb, type DbHandle, NotAuthorizedError, sessionRoutes, withActor } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'
import { runSql } from '../cli/commands/sql.js'
import { UsageError } from '../cli/output.js'
import { runNode } from './support/cli.js'
import { freshDb, onServer, type TestDb } from './support/db.js'
import { createCast, type Cast } from './support/fixtures.js'
import { asLoginRole, LOGIN_ROLE, poolerBase, sameDatabaseAt } from './support/production.js'

const ESCAPES = [
  'reset role',
  'set role postgres',
  'set role supabase_admin',
  'set session authorization postgres',
  'reset session authorization',
  "select set_config('role', 'postgres', true)",
  "select set_config('role', 'postgres', false)",
  "select set_config('session_authorization', 'postgres', false)",
  'set local role postgres',
]

/** The escapes of issue 22, written so that no reading of the text can see them, then the count. */
const HIDDEN_ESCAPES = [
  "do $$ begin execute 're'||'set ro'||'le'; end $$",
  "select set_config('ro'||'le', 'postgres', true)",
  "do $$ begin execute 'set session ' || 'authorization postgres'; end $$",
  "do $$ begin execute 'reset session ' || 'authorization'; end $$",
  // set_config inside a function, the count read in the same call.
  `create function pg_temp.up() returns bigint language plpgsql as $f$
     begin perform set_config('ro'||'le', 'postgres', true); return (select count(*) from public.customers); end $f$;
   select pg_temp.up() as n`,
  // A SECURITY DEFINER function made on the fly runs as whoever made it: the session's role.
  `create function pg_temp.peek() returns bigint language sql security definer as $f$ select count(*) from public.customers $f$;
   select pg_temp.peek() as n`,
]

describe('the login role', { skip: !onServer && 'needs PostgreSQL: the embedded database has one session and one (superuser) login' }, () => {
  let t: TestDb
  let cast: Cast
  const handles: { label: string; h: DbHandle }[] = []

  before(async () => {
    t = await freshDb()
    assert.ok(t.url)
    cast = await createCast(t.db)
    handles.push({ label: 'direct', h: await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url), poolSize: 2 }) })
    if (poolerBase) {
      handles.push({
        label: 'through pgbouncer',
        h: await createDb({
          databaseUrl: sameDatabaseAt(poolerBase, t.url),
          authenticatorUrl: sameDatabaseAt(poolerBase, t.url, LOGIN_ROLE),
          poolSize: 2,
        }),
      })
    }
  })
  after(async () => {
    await Promise.all(handles.map(({ h }) => h.close()))
    await t?.close()
  })

  it('has no rights of its own: not a superuser, no inherit, member of the three API roles only, no table', async () => {
    const r = await sql<{ rolsuper: boolean; rolinherit: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean; member_of: string[] }>`
      select r.rolsuper, r.rolinherit, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
             array(select m.rolname::text from pg_catalog.pg_auth_members am join pg_catalog.pg_roles m on m.oid = am.roleid
                    where am.member = r.oid order by 1) as member_of
        from pg_catalog.pg_roles r where r.rolname = ${LOGIN_ROLE}`.execute(t.db)
    assert.deepEqual(r.rows, [{
      rolsuper: false, rolinherit: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false,
      member_of: ['anon', 'authenticated', 'service_role'],
    }])
    const tables = await sql<{ name: string }>`
      select c.oid::regclass::text as name from pg_catalog.pg_class c
       where c.relkind in ('r', 'p', 'v', 'm') and c.relnamespace::regnamespace::text in ('public', 'private', 'auth', 'supabase_migrations')
         and (has_table_privilege(${LOGIN_ROLE}, c.oid, 'select') or has_table_privilege(${LOGIN_ROLE}, c.oid, 'insert')
              or has_table_privilege(${LOGIN_ROLE}, c.oid, 'update') or has_table_privilege(${LOGIN_ROLE}, c.oid, 'delete'))`.execute(t.db)
    assert.deepEqual(tables.rows, [], 'no table of the project is readable or writable by the login role itself')
    const schemas = await sql<{ auth: boolean; private: boolean }>`
      select has_schema_privilege(${LOGIN_ROLE}, 'auth', 'usage') as auth, has_schema_privilege(${LOGIN_ROLE}, 'private', 'usage') as private`.execute(t.db)
    assert.deepEqual(schemas.rows, [{ auth: false, private: false }])
  })

  const actors = (): { name: string; actor: Actor }[] => [
    { name: 'admin', actor: { kind: 'user', userId: cast.a.adminId } },
    { name: 'member', actor: { kind: 'user', userId: cast.a.memberId } },
    { name: 'outsider', actor: { kind: 'user', userId: cast.outsiderId } },
    { name: 'anon', actor: { kind: 'anon' } },
    { name: 'service', actor: { kind: 'service' } },
  ]

  it('every escape, as every actor, directly and through the pooler: refused, or leaves the session with no rights', async () => {
    const all = await asSystem(t.db, (trx) => trx.selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow())
    let tried = 0
    for (const { label, h } of handles) {
      assert.ok(sessionRoutes(h.db)?.authenticator, `${label}: sessions over the login role`)
      for (const { name, actor } of actors()) {
        for (const escape of ESCAPES) {
          const outcome = await withActor(h.db, actor, async (trx) => {
            await sql.raw(escape).execute(trx)
            const who = await sql<{ cu: string; su: string }>`select current_user as cu, session_user as su`.execute(trx)
            const n = await sql<{ n: string }>`select count(*)::text as n from public.customers`.execute(trx)
            return { who: who.rows[0], n: n.rows[0]?.n }
          }, { rollback: true }).then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }))
          tried++
          const where = `${label}, ${name}: ${escape}`
          assert.equal(outcome.ok, false, `${where} must fail, got ${outcome.ok ? JSON.stringify(outcome.v) : ''} (all customers: ${all.n})`)
          assert.ok(!outcome.ok && outcome.e instanceof NotAuthorizedError, `${where}: ${String(!outcome.ok && outcome.e)}`)
        }
      }
    }
    console.log(`# ${tried} escapes tried over ${LOGIN_ROLE} (${handles.map((x) => x.label).join(', ')}): all refused (42501)`)
  })

  it('a session still works as its actor after all that (the escapes changed nothing on the pool)', async () => {
    for (const { h } of handles) {
      const seen = await withActor(h.db, { kind: 'user', userId: cast.a.memberId }, (trx) =>
        trx.selectFrom('customers').select('organization_id').execute())
      assert.ok(seen.length > 0 && seen.every((c) => c.organization_id === cast.a.id))
    }
  })

  it('set role service_role is possible over the login role (as in PostgREST): tenantry sql --as refuses it with the other role changes', async () => {
    const [direct] = handles
    assert.ok(direct)
    const member: Actor = { kind: 'user', userId: cast.a.memberId }
    const elevated = await withActor(direct.h.db, member, async (trx) => {
      await sql`set local role service_role`.execute(trx)
      return (await sql<{ cu: string }>`select current_user as cu`.execute(trx)).rows[0]?.cu
    }, { rollback: true })
    assert.equal(elevated, 'service_role', 'the login role may become any of the three API roles: run no untrusted SQL in a session')
    for (const statement of [...ESCAPES, 'set role service_role', 'SET ROLE authenticated', '/* x */ Reset Role']) {
      await assert.rejects(runSql(direct.h.db, `${statement}; select count(*) from customers`, member), UsageError, statement)
    }
    // As the system (no --as), role statements stay allowed: it is the owner's own connection.
    const r = await runSql(direct.h.db, 'set local role authenticated; select current_user as cu', { kind: 'system' }, { rollback: true })
    assert.deepEqual(r[1]?.rows, [{ cu: 'authenticated' }])
  })

  it('tenantry sql --as <member> logs in as the login role without being told (DATABASE_URL alone): hidden escapes find only the member\'s rows', async () => {
    assert.ok(t.url)
    const env = { DATABASE_URL: t.url }
    const email = 'member-a@example.com'
    const mine = (await asSystem(t.db, (trx) => trx.selectFrom('customers').select('id')
      .where('organization_id', '=', cast.a.id).where('deleted_at', 'is', null).execute())).length
    const all = Number((await asSystem(t.db, (trx) => trx.selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow())).n)
    assert.ok(all > mine)
    const who = await runNode('cli/main.ts', ['sql', 'select session_user as login, current_user as role', '--as', email, '--json'], env)
    assert.equal(who.code, 0, who.stderr)
    assert.deepEqual(JSON.parse(who.stdout), [{ login: LOGIN_ROLE, role: 'authenticated' }])
    for (const escape of HIDDEN_ESCAPES) {
      const query = /select pg_temp\.\w+\(\) as n$/.test(escape) ? escape : `${escape}; select count(*)::int as n from public.customers`
      const r = await runNode('cli/main.ts', ['sql', query, '--as', email, '--json', '--rollback'], env)
      if (r.code === 0) {
        const rows = JSON.parse(r.stdout) as { n: number | string }[]
        assert.deepEqual(rows.map((x) => Number(x.n)), [mine], `${escape}: only the member's rows`)
      } else {
        assert.equal(r.code, 1, r.stderr)
        assert.match(r.stderr, /^error: (not authorized: )?permission denied/m, `${escape}: refused by the database, not by its text`)
      }
    }
  })

  it('tenantry sql --as <member> over TENANTRY_AUTHENTICATOR_URL: sees the member\'s rows; reset role is refused', async () => {
    assert.ok(t.url)
    const env = { DATABASE_URL: t.url, TENANTRY_AUTHENTICATOR_URL: asLoginRole(t.url) }
    const email = 'member-a@example.com'
    const ok = await runNode('cli/main.ts', ['sql', 'select session_user as login, current_user as role, count(*)::int as n from customers', '--as', email, '--json'], env)
    assert.equal(ok.code, 0, ok.stderr)
    const [row] = JSON.parse(ok.stdout) as { login: string; role: string; n: number }[]
    const mine = await asSystem(t.db, (trx) => trx.selectFrom('customers').select('id').where('organization_id', '=', cast.a.id).where('deleted_at', 'is', null).execute())
    assert.deepEqual(row, { login: LOGIN_ROLE, role: 'authenticated', n: mine.length })
    const refused = await runNode('cli/main.ts', ['sql', 'reset role; select count(*) from customers', '--as', email], env)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /refused/)
  })
})

describe('the embedded database cannot log in as the login role', { skip: onServer && 'embedded only' }, () => {
  // Why `tenantry sql --as` confines each statement in a security-definer function on the embedded
  // database (lib/confined-sql.ts, test/sql-escapes-cli.test.ts): PGlite (0.5) starts its one backend
  // as the bootstrap superuser, and its `username` option runs `SET ROLE <username>` after start, which
  // `reset role` undoes. Should a PGlite version log in as the role, this fails, and the login role
  // could serve there too.
  it('PGlite({ username }) keeps the superuser as session user: reset role gets the owner back', async () => {
    const { PGlite } = await import('@electric-sql/pglite')
    const root = mkdtempSync(join(tmpdir(), 'tenantry-login-'))
    try {
      const dataDir = join(root, 'db')
      const h = await createDb({ dataDir })
      await migrate(h.db)
      await h.close()
      const db = await PGlite.create({ dataDir, username: LOGIN_ROLE })
      try {
        const who = 'select session_user::text as login, current_user::text as role, (select rolsuper from pg_roles where rolname = session_user) as su'
        assert.deepEqual((await db.query(who)).rows, [{ login: 'postgres', role: LOGIN_ROLE, su: true }])
        await db.exec('reset role')
        assert.deepEqual((await db.query(who)).rows, [{ login: 'postgres', role: 'postgres', su: true }])
      } finally {
        await db.close()
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
