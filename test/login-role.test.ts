// The login roles (supabase/migrations/008_login_role.sql, 017_user_login_role.sql): sessions that log
// in as tenantry_authenticator cannot get back to the owner's rights; sessions that log in as
// tenantry_user_authenticator cannot reach service_role either. Every escape — reset role, set role
// to the owner, a superuser or (from the user login) service_role, set session authorization,
// set_config('role', ...) — is tried inside a session of every actor, directly and (with
// TENANTRY_TEST_POOLER_URL) through pgbouncer; each is refused or gains nothing. `tenantry sql --as
// <email|anon>` runs over the user login, so no statement of it reaches service_role, whatever its text.
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
import { asLoginRole, LOGIN_ROLE, poolerBase, sameDatabaseAt, USER_LOGIN_ROLE } from './support/production.js'

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

/** From the user login (017), service_role is out of reach too. */
const SERVICE_ESCAPES = [
  'set role service_role',
  'set local role service_role',
  "select set_config('role', 'service_role', true)",
  'set session authorization service_role',
]

/** The escapes of issue 22, written so that no reading of the text can see them, then the count. */
const HIDDEN_ESCAPES = [
  "do $$ begin execute 'set ro'||'le service_role'; end $$",
  "do $$ begin set role service_role; end $$",
  "select set_config('ro'||'le', 'service_role', true)",
  `create function pg_temp.svc() returns bigint language plpgsql as $f$
     begin set role service_role; return (select count(*) from public.customers); end $f$;
   select pg_temp.svc() as n`,
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
  /** Over the user login (017): the sessions of users and anon that run SQL they did not write. */
  const userHandles: { label: string; h: DbHandle }[] = []

  before(async () => {
    t = await freshDb()
    assert.ok(t.url)
    cast = await createCast(t.db)
    handles.push({ label: 'direct', h: await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url), poolSize: 2 }) })
    userHandles.push({ label: 'direct', h: await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url, USER_LOGIN_ROLE), poolSize: 2 }) })
    if (poolerBase) {
      for (const [list, role] of [[handles, LOGIN_ROLE], [userHandles, USER_LOGIN_ROLE]] as const) {
        list.push({
          label: 'through pgbouncer',
          h: await createDb({
            databaseUrl: sameDatabaseAt(poolerBase, t.url),
            authenticatorUrl: sameDatabaseAt(poolerBase, t.url, role),
            poolSize: 2,
          }),
        })
      }
    }
  })
  after(async () => {
    await Promise.all([...handles, ...userHandles].map(({ h }) => h.close()))
    await t?.close()
  })

  it('have no rights of their own: not superusers, no inherit, members of the API roles they serve only, no table', async () => {
    for (const [role, memberOf] of [[LOGIN_ROLE, ['anon', 'authenticated', 'service_role']], [USER_LOGIN_ROLE, ['anon', 'authenticated']]] as const) {
      const r = await sql<{ rolsuper: boolean; rolinherit: boolean; rolbypassrls: boolean; rolcreaterole: boolean; rolcreatedb: boolean; rolcanlogin: boolean; member_of: string[] }>`
        select r.rolsuper, r.rolinherit, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
               array(select m.rolname::text from pg_catalog.pg_auth_members am join pg_catalog.pg_roles m on m.oid = am.roleid
                      where am.member = r.oid order by 1) as member_of
          from pg_catalog.pg_roles r where r.rolname = ${role}`.execute(t.db)
      assert.deepEqual(r.rows, [{
        rolsuper: false, rolinherit: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true,
        member_of: [...memberOf],
      }], role)
      const tables = await sql<{ name: string }>`
        select c.oid::regclass::text as name from pg_catalog.pg_class c
         where c.relkind in ('r', 'p', 'v', 'm') and c.relnamespace::regnamespace::text in ('public', 'private', 'auth', 'supabase_migrations')
           and (has_table_privilege(${role}, c.oid, 'select') or has_table_privilege(${role}, c.oid, 'insert')
                or has_table_privilege(${role}, c.oid, 'update') or has_table_privilege(${role}, c.oid, 'delete'))`.execute(t.db)
      assert.deepEqual(tables.rows, [], `no table of the project is readable or writable by ${role} itself`)
      const schemas = await sql<{ auth: boolean; private: boolean }>`
        select has_schema_privilege(${role}, 'auth', 'usage') as auth, has_schema_privilege(${role}, 'private', 'usage') as private`.execute(t.db)
      assert.deepEqual(schemas.rows, [{ auth: false, private: false }], role)
    }
    const about = await sql<{ about: string | null }>`
      select shobj_description((select oid from pg_catalog.pg_roles where rolname = ${USER_LOGIN_ROLE}), 'pg_authid') as about`.execute(t.db)
    assert.match(about.rows[0]?.about ?? '', /member of anon and authenticated only, never service_role/)
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
    // Over the user login, as every actor it serves, service_role is out of reach as well.
    let triedUser = 0
    for (const { label, h } of userHandles) {
      for (const { name, actor } of actors().filter((a) => a.actor.kind !== 'service')) {
        for (const escape of [...ESCAPES, ...SERVICE_ESCAPES]) {
          const outcome = await withActor(h.db, actor, async (trx) => {
            await sql.raw(escape).execute(trx)
            return (await sql<{ n: string }>`select count(*)::text as n from public.customers`.execute(trx)).rows[0]?.n
          }, { rollback: true }).then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }))
          triedUser++
          const where = `${USER_LOGIN_ROLE} ${label}, ${name}: ${escape}`
          assert.equal(outcome.ok, false, `${where} must fail, got ${outcome.ok ? String(outcome.v) : ''} (all customers: ${all.n})`)
          assert.ok(!outcome.ok && outcome.e instanceof NotAuthorizedError, `${where}: ${String(!outcome.ok && outcome.e)}`)
        }
      }
    }
    console.log(`# ${tried} escapes tried over ${LOGIN_ROLE}, ${triedUser} over ${USER_LOGIN_ROLE} ` +
      `(${handles.map((x) => x.label).join(', ')}): all refused (42501)`)
  })

  it('a session still works as its actor after all that (the escapes changed nothing on the pool)', async () => {
    for (const { h } of [...handles, ...userHandles]) {
      const seen = await withActor(h.db, { kind: 'user', userId: cast.a.memberId }, (trx) =>
        trx.selectFrom('customers').select('organization_id').execute())
      assert.ok(seen.length > 0 && seen.every((c) => c.organization_id === cast.a.id))
    }
  })

  it('set role service_role is possible over tenantry_authenticator (as in PostgREST): runSql refuses to run a user\'s SQL over it', async () => {
    const [direct] = handles
    assert.ok(direct)
    const member: Actor = { kind: 'user', userId: cast.a.memberId }
    const elevated = await withActor(direct.h.db, member, async (trx) => {
      await sql`set local role service_role`.execute(trx)
      return (await sql<{ cu: string }>`select current_user as cu`.execute(trx)).rows[0]?.cu
    }, { rollback: true })
    assert.equal(elevated, 'service_role', 'the API login may become any of the three API roles: run no untrusted SQL over it')
    // The login is checked, not the text: even an innocent statement of a user or anon is refused there.
    for (const actor of [member, { kind: 'anon' } as const]) {
      await assert.rejects(runSql(direct.h.db, 'select count(*) from customers', actor), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e))
        assert.match(e.message, new RegExp(`^refused: .* over the login ${LOGIN_ROLE}, which may become service_role; .*must log in as ${USER_LOGIN_ROLE}`))
        return true
      })
    }
    // As the system (no --as), role statements stay allowed: it is the owner's own connection.
    const r = await runSql(direct.h.db, 'set local role authenticated; select current_user as cu', { kind: 'system' }, { rollback: true })
    assert.deepEqual(r[1]?.rows, [{ cu: 'authenticated' }])
  })

  it('tenantry sql --as <member> logs in as the user login role without being told (DATABASE_URL alone): hidden escapes find only the member\'s rows', async () => {
    assert.ok(t.url)
    const env = { DATABASE_URL: t.url }
    const email = 'member-a@example.com'
    const mine = (await asSystem(t.db, (trx) => trx.selectFrom('customers').select('id')
      .where('organization_id', '=', cast.a.id).where('deleted_at', 'is', null).execute())).length
    const all = Number((await asSystem(t.db, (trx) => trx.selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow())).n)
    assert.ok(all > mine)
    const who = await runNode('cli/main.ts', ['sql', 'select session_user as login, current_user as role', '--as', email, '--json'], env)
    assert.equal(who.code, 0, who.stderr)
    assert.deepEqual(JSON.parse(who.stdout), [{ login: USER_LOGIN_ROLE, role: 'authenticated' }])
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

  it('tenantry sql --as <member> over TENANTRY_USER_AUTHENTICATOR_URL: sees the member\'s rows; reset role gets no rights', async () => {
    assert.ok(t.url)
    // The API login's variable is there too: a user's SQL does not use it.
    const env = { DATABASE_URL: t.url, TENANTRY_USER_AUTHENTICATOR_URL: asLoginRole(t.url, USER_LOGIN_ROLE), TENANTRY_AUTHENTICATOR_URL: asLoginRole(t.url) }
    const email = 'member-a@example.com'
    const ok = await runNode('cli/main.ts', ['sql', 'select session_user as login, current_user as role, count(*)::int as n from customers', '--as', email, '--json'], env)
    assert.equal(ok.code, 0, ok.stderr)
    const [row] = JSON.parse(ok.stdout) as { login: string; role: string; n: number }[]
    const mine = await asSystem(t.db, (trx) => trx.selectFrom('customers').select('id').where('organization_id', '=', cast.a.id).where('deleted_at', 'is', null).execute())
    assert.deepEqual(row, { login: USER_LOGIN_ROLE, role: 'authenticated', n: mine.length })
    const refused = await runNode('cli/main.ts', ['sql', 'reset role; select count(*) from customers', '--as', email], env)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^error: (not authorized: )?permission denied for table customers/m)
    // A variable naming another login than the role the actor needs is caught before any statement runs.
    const wrong = await runNode('cli/main.ts', ['sql', 'select 1', '--as', email], { ...env, TENANTRY_USER_AUTHENTICATOR_URL: asLoginRole(t.url) })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, new RegExp(`refused: .*over the login ${LOGIN_ROLE}, which may become service_role`))
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
