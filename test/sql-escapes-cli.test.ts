// `tenantry sql --as` runs untrusted SQL as a user: no statement may reach more than the actor's
// rights, however it is written (issue 22). On a server the session logs in as
// tenantry_user_authenticator (migration 017: it can become anon or authenticated, never service_role
// or the owner; test/login-role.test.ts); on the embedded database the login is a superuser, so each
// statement runs inside a security-definer function owned by the actor's role (lib/confined-sql.ts).
// Every escape below either fails with an error or counts only the member's organization's customers.
// What no login can stop, on either database: a statement may set the request's JWT claims, which is
// all auth.uid() reads (last describe; docs/production.md).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { asSystem, createDb, type Actor, type DbHandle, TenantryError } from '../lib/db/index.js'
import { runSql, type StatementResult } from '../cli/commands/sql.js'
import { UsageError } from '../cli/output.js'
import { defaultSeedCast } from '../cli/helpers.js'
import { cliTarget, type CliTarget } from './support/cli.js'
import { freshDb, onServer, type TestDb } from './support/db.js'
import { createCast, type Cast } from './support/fixtures.js'
import { asLoginRole, LOGIN_ROLE, USER_LOGIN_ROLE } from './support/production.js'

const COUNT = 'select count(*)::int as n from public.customers'

/** Each escape ends with a statement answering the count as n. */
const ESCAPES: string[] = [
  // The two of the issue.
  `do $$ begin execute 're'||'set ro'||'le'; end $$; select current_user::text as role, count(*)::int as n from public.customers`,
  `select set_config('ro'||'le', 'postgres', true); ${COUNT}`,
  `set session authorization postgres; ${COUNT}`,
  `reset session authorization; ${COUNT}`,
  `do $$ begin execute 'set session ' || 'authorization postgres'; end $$; ${COUNT}`,
  `do $$ begin execute 'reset session ' || 'authorization'; end $$; ${COUNT}`,
  `reset role; ${COUNT}`,
  // set_config inside a function, the count read in the same call.
  `create function pg_temp.up() returns int language plpgsql as $f$
     begin perform set_config('ro'||'le', 'postgres', true); return (select count(*) from public.customers); end $f$;
   select pg_temp.up() as n`,
  // A SECURITY DEFINER function made on the fly runs as whoever made it.
  `create function pg_temp.peek() returns int language sql security definer as $f$ select count(*)::int from public.customers $f$;
   select pg_temp.peek() as n`,
  // Resets the role, counts, and sets the role back before returning.
  `create function pg_temp.back() returns int language plpgsql as $f$
     declare n int; begin execute 'reset ro'||'le'; select count(*) into n from public.customers; execute 'set ro'||'le authenticated'; return n; end $f$;
   select pg_temp.back() as n`,
  // A function whose own SET clause names the role.
  `create function pg_temp.as_owner() returns int language sql set role = postgres as $f$ select count(*)::int from public.customers $f$;
   select pg_temp.as_owner() as n`,
  // service_role (the API's login, tenantry_authenticator, may become it) and the owner, from dynamic
  // SQL, a DO block and a function: the plain text is no longer what is refused, the login is.
  `do $$ begin execute 'set ro'||'le service_role'; end $$; ${COUNT}`,
  `set role service_role; ${COUNT}`,
  `do $$ begin set role service_role; end $$; ${COUNT}`,
  `do $$ begin set role postgres; end $$; ${COUNT}`,
  `create function pg_temp.svc() returns int language plpgsql as $f$
     begin set role service_role; return (select count(*) from public.customers); end $f$;
   select pg_temp.svc() as n`,
  `create function pg_temp.own() returns int language plpgsql as $f$
     begin set role postgres; return (select count(*) from public.customers); end $f$;
   select pg_temp.own() as n`,
  `create function pg_temp.as_service() returns int language sql set role = service_role as $f$ select count(*)::int from public.customers $f$;
   select pg_temp.as_service() as n`,
  `set session authorization service_role; ${COUNT}`,
  `do $$ begin execute 'set session authorization ' || 'service_role'; end $$; ${COUNT}`,
  `select set_config('ro'||'le', 'service_role', true); ${COUNT}`,
  // The embedded database's runner is owned by the actor's role: made invoker, or replaced, by a statement.
  `alter function pg_temp.tenantry_confined_run(text, text) security invoker; do $$ begin execute 'reset ro'||'le'; end $$; ${COUNT}`,
  `create or replace function pg_temp.tenantry_confined_run(stmt text, mode text) returns json language plpgsql as $f$
     begin execute 'reset ro'||'le'; return pg_catalog.json_build_object('columns', array['n'], 'types', array[23], 'rows', array[array[(select count(*) from public.customers)::text]]); end $f$;
   ${COUNT}`,
]

describe('tenantry sql --as: no escape reaches the login\'s rights', () => {
  let t: TestDb
  let cast: Cast
  let h: DbHandle
  let mine = 0
  let all = 0

  before(async () => {
    t = await freshDb()
    cast = await createCast(t.db)
    // On a server, as the CLI does for a user or anon: over the user login role (cli/context.ts).
    h = t.url ? await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url, USER_LOGIN_ROLE), poolSize: 2 }) : t
    mine = (await asSystem(t.db, (trx) => trx.selectFrom('customers').select('id').where('organization_id', '=', cast.a.id).where('deleted_at', 'is', null).execute())).length
    all = Number((await asSystem(t.db, (trx) => trx.selectFrom('customers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow())).n)
    assert.ok(all > mine && mine > 0)
  })
  after(async () => {
    if (h !== t) await h?.close()
    await t?.close()
  })

  it('the member sees only their organization\'s customers (the count every escape is held to)', async () => {
    const r = await runSql(h.db, COUNT, { kind: 'user', userId: cast.a.memberId })
    assert.deepEqual(r[0]?.rows, [{ n: mine }])
  })

  it('each escape, as a member: refused with an error, or only the member\'s rows', async () => {
    const member: Actor = { kind: 'user', userId: cast.a.memberId }
    const outcomes: string[] = []
    for (const escape of ESCAPES) {
      const outcome: { ok: true; v: StatementResult[] } | { ok: false; e: unknown } = await runSql(h.db, escape, member, { rollback: true })
        .then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }))
      if (outcome.ok) {
        const last: StatementResult | undefined = outcome.v[outcome.v.length - 1]
        assert.deepEqual(last?.rows.map((x) => Number(x.n)), [mine], `${escape}: only the member's ${mine} rows (all: ${all})`)
        outcomes.push('member rows')
      } else {
        // Refused by the database, never by a reading of the text (there is none left).
        assert.ok(outcome.e instanceof TenantryError, `${escape}: ${String(outcome.e)}`)
        // On a server there is no runner to tamper with: those two fail for want of it. Tampering with it
        // on the embedded database is refused by the CLI's check of the runner (lib/confined-sql.ts).
        const expected = escape.includes('tenantry_confined_run')
          ? onServer ? /does not exist/ : /permission denied|cannot set parameter|refused/
          : onServer ? /permission denied/ : /permission denied|cannot set parameter/
        assert.match((outcome.e as Error).message, expected, escape)
        outcomes.push((outcome.e as Error).message.slice(0, 70))
      }
    }
    console.log(`# ${onServer ? 'PostgreSQL' : 'embedded'}: ${ESCAPES.length} escapes:\n#   ${outcomes.join('\n#   ')}`)
  })

  it('a login that could reach more than the actor is refused before any statement runs (the owner\'s, the API\'s login for a member)', { skip: !onServer && 'the embedded database has one login, confined' }, async () => {
    assert.ok(t.url)
    const member: Actor = { kind: 'user', userId: cast.a.memberId }
    // The owner's pool (postgres: BYPASSRLS, member of service_role) and tenantry_authenticator (service_role).
    const api = await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url, LOGIN_ROLE), poolSize: 1 })
    try {
      for (const [db, login, beyond] of [[t.db, 'postgres', /service_role/], [api.db, LOGIN_ROLE, /may become service_role;/]] as const) {
        await assert.rejects(runSql(db, COUNT, member), (e: unknown) => {
          assert.ok(e instanceof UsageError, String(e))
          assert.match(e.message, new RegExp(`over the login ${login}, which`))
          assert.match(e.message, beyond)
          assert.match(e.message, new RegExp(`must log in as ${USER_LOGIN_ROLE} \\(TENANTRY_USER_AUTHENTICATOR_URL`))
          return true
        })
      }
      // service_role's sessions keep the API's login: it may become service_role, which is theirs.
      const r = await runSql(api.db, `select session_user::text as login, current_user::text as role, ${COUNT.slice('select '.length)}`, { kind: 'service' })
      assert.deepEqual(r[0]?.rows, [{ login: LOGIN_ROLE, role: 'service_role', n: all }])
    } finally {
      await api.close()
    }
  })

  it('claims: a statement may set the request\'s JWT claims, and auth.uid() is whoever they name — on both databases (not closed: docs/production.md); the role stays the actor\'s', async () => {
    const member: Actor = { kind: 'user', userId: cast.a.memberId }
    const theirs = (await asSystem(t.db, (trx) => trx.selectFrom('customers').select('id').where('organization_id', '=', cast.b.id).where('deleted_at', 'is', null).execute())).length
    assert.ok(theirs > 0)
    const claiming = (claims: { sub?: string; role: string }): string =>
      `select set_config('request.jwt.claims', '${JSON.stringify(claims)}', true), set_config('request.jwt.claim.sub', '${claims.sub ?? ''}', true);
       select auth.uid()::text as uid, current_user::text as role, count(*)::int as n,
              count(*) filter (where organization_id = '${cast.b.id}')::int as b from public.customers`
    // The spoof: another organization's admin. PostgreSQL lets any role set a custom setting, and
    // the policies (as Supabase's) believe auth.uid(): the member reads organization B as its admin.
    const spoofed = await runSql(h.db, claiming({ sub: cast.b.adminId, role: 'authenticated' }), member, { rollback: true })
    assert.deepEqual(spoofed.at(-1)?.rows, [{ uid: cast.b.adminId, role: 'authenticated', n: theirs, b: theirs }],
      'should a database refuse the spoof one day, docs/production.md and the --help of sql must say so')
    // A claimed role is only a claim: the session's role stays authenticated, nothing bypasses RLS.
    const asService = await runSql(h.db, claiming({ role: 'service_role' }), member, { rollback: true })
    assert.deepEqual(asService.at(-1)?.rows, [{ uid: null, role: 'authenticated', n: 0, b: 0 }])
    // As anon: over the user login role (a member of authenticated) a statement may become authenticated,
    // then claim a user; in the embedded database's runner the role cannot change, and anon matches no policy.
    const anon = await runSql(h.db, `set local role authenticated; ${claiming({ sub: cast.b.adminId, role: 'authenticated' })}`, { kind: 'anon' }, { rollback: true })
      .then((r) => r.at(-1)?.rows, (e: unknown) => String(e))
    if (onServer) assert.deepEqual(anon, [{ uid: cast.b.adminId, role: 'authenticated', n: theirs, b: theirs }])
    else assert.match(String(anon), /cannot set parameter "role" within security-definer function/)
  })

  it('what runs at commit, outside any statement: a deferred constraint trigger, a WITH HOLD cursor', async () => {
    // Without --rollback: both run when the transaction commits, after the last statement. Each records
    // who it ran as and what it counted in a session setting, read afterwards.
    const member: Actor = { kind: 'user', userId: cast.a.memberId }
    const spy = (name: string): string => `create function pg_temp.${name}() returns text language plpgsql as $f$ begin
        begin execute 're'||'set ro'||'le'; exception when others then null; end;
        perform set_config('tenantry.${name}', current_user || ' ' || (select count(*) from public.customers)::text, false); return 'x'; end $f$`
    const atCommit = [
      `${spy('deferred')}; create function pg_temp.deferred_trigger() returns trigger language plpgsql as $f$ begin perform pg_temp.deferred(); return null; end $f$;
       create temp table later (x int);
       create constraint trigger later_t after insert on pg_temp.later deferrable initially deferred for each row execute function pg_temp.deferred_trigger();
       insert into pg_temp.later values (1)`,
      `${spy('held')}; declare held cursor with hold for select pg_temp.held()`,
    ]
    for (const [i, escape] of atCommit.entries()) {
      await runSql(h.db, escape, member).catch((e: unknown) => {
        assert.ok(e instanceof TenantryError, `${escape}: ${String(e)}`)
      })
      const name = i === 0 ? 'deferred' : 'held'
      const seen = await runSql(h.db, `select current_setting('tenantry.${name}', true) as seen`, member)
      const value = String(seen[0]?.rows[0]?.seen ?? '')
      assert.ok(value === '' || value === `authenticated ${mine}`, `${name}: ran at commit as "${value}" (all customers: ${all})`)
    }
  })

  it('the session still works as the member afterwards; on the embedded database the runner and the statements\' temporary objects are gone', async () => {
    const r = await runSql(h.db, `create temp view leftover as select 1 as n; ${COUNT}`, { kind: 'user', userId: cast.a.memberId })
    assert.deepEqual(r[1]?.rows, [{ n: mine }])
    const left = await runSql(h.db, `select (select count(*)::int from pg_catalog.pg_proc where proname = 'tenantry_confined_run') as runners,
                                            (select count(*)::int from pg_catalog.pg_class where relname = 'leftover' and relpersistence = 't') as temp_views`, { kind: 'system' })
    // On a server the view stays with the pooled login-role connection it was made on, until it closes.
    assert.deepEqual(left[0]?.rows, [{ runners: 0, temp_views: onServer ? 1 : 0 }])
  })

  it('answers as the direct path does: column order, types, exact numerics, row counts, settings between statements', async () => {
    const typed = `select 1::int as a, 9007199254740993::bigint as b, 1.50::numeric as c, true as d, '{"x": [1, 2.50]}'::jsonb as e, null::text as f,
                          date '2026-01-02' as g, timestamptz '2026-01-02 03:04:05.123+00' as h, 0.1::float8 as i, 'a"b'::text as j, 'x' as "a b"`
    const admin: Actor = { kind: 'user', userId: cast.a.adminId }
    const asAdmin = await runSql(h.db, typed, admin)
    const asOwner = await runSql(t.db, typed, { kind: 'system' })
    assert.deepEqual(asAdmin[0]?.rows, asOwner[0]?.rows)
    assert.deepEqual(Object.keys(asAdmin[0]?.rows[0] ?? {}), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'a b'])
    const writes = `update customers set name = name where organization_id = '${cast.a.id}';
                    update customers set name = name where organization_id = '${cast.a.id}' returning id;
                    set local search_path = private, public; select count(*)::int as n from customers; show search_path`
    const r = await runSql(h.db, writes, admin, { rollback: true })
    assert.deepEqual(r.map((x) => [x.command, x.rowCount, x.rows.length]), [
      ['UPDATE', mine, 0], ['UPDATE', mine, mine], ['SET', null, 0], ['SELECT', null, 1], ['SHOW', null, 1],
    ])
    assert.deepEqual(r[3]?.rows, [{ n: mine }])
    assert.deepEqual(r[4]?.rows, [{ search_path: 'private, public' }])
  })
})

describe('tenantry sql --as <member> from the command line: the issue\'s escape', () => {
  let target: CliTarget
  before(async () => {
    target = await cliTarget({ migrated: true })
    const seed = await target.run(['seed'])
    assert.equal(seed.code, 0, seed.stderr)
  })
  after(async () => {
    await target?.cleanup()
  })

  it('do $$ ... execute \'re\'||\'set ro\'||\'le\' ...: never every tenant\'s customers', async () => {
    const email = defaultSeedCast().member
    const mine = await target.run(['sql', COUNT, '--as', email, '--json'])
    assert.equal(mine.code, 0, mine.stderr)
    const all = await target.run(['sql', COUNT, '--json'])
    const [seen] = JSON.parse(mine.stdout) as { n: number }[]
    const [every] = JSON.parse(all.stdout) as { n: number }[]
    assert.ok(seen && every && seen.n < every.n)
    for (const escape of [`do $$ begin execute 're'||'set ro'||'le'; end $$`, `do $$ begin execute 'set ro'||'le service_role'; end $$`]) {
      const r = await target.run(['sql', `${escape}; ${COUNT}`, '--as', email, '--json'])
      if (r.code === 0) assert.deepEqual(JSON.parse(r.stdout), [{ n: seen.n }])
      else {
        assert.equal(r.code, 1, r.stderr)
        assert.match(r.stderr, /^error: .*(permission denied|cannot set parameter "role" within security-definer function)/m, escape)
      }
    }
  })

  it('on a server a user or anon logs in as tenantry_user_authenticator, service as tenantry_authenticator', { skip: !onServer && 'the embedded database has one login' }, async () => {
    const who = 'select session_user::text as login, current_user::text as role'
    for (const [as, login, role] of [[defaultSeedCast().member, USER_LOGIN_ROLE, 'authenticated'], ['anon', USER_LOGIN_ROLE, 'anon'], ['service', LOGIN_ROLE, 'service_role']] as const) {
      const r = await target.run(['sql', who, '--as', as, '--json'])
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(JSON.parse(r.stdout), [{ login, role }], as)
    }
  })
})
