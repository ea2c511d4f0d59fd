// `tenantry sql --as` runs untrusted SQL as a user: no statement may reach the rights of the session's
// login, however it is written (issue 22). On a server the session logs in as tenantry_authenticator
// (test/login-role.test.ts); on the embedded database the login is a superuser, so each statement runs
// inside a security-definer function owned by the actor's role (lib/confined-sql.ts). Every escape
// below either fails with an error or counts only the member's organization's customers.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { asSystem, createDb, type Actor, type DbHandle, TenantryError } from '../lib/db/index.js'
import { runSql, type StatementResult } from '../cli/commands/sql.js'
import { UsageError } from '../cli/output.js'
import { defaultSeedCast } from '../cli/helpers.js'
import { cliTarget, type CliTarget } from './support/cli.js'
import { freshDb, onServer, type TestDb } from './support/db.js'
import { createCast, type Cast } from './support/fixtures.js'
import { asLoginRole } from './support/production.js'

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
    // On a server, as the CLI does: over the login role (cli/context.ts).
    h = t.url ? await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url), poolSize: 2 }) : t
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
        assert.ok(outcome.e instanceof TenantryError || outcome.e instanceof UsageError, `${escape}: ${String(outcome.e)}`)
        // On a server there is no runner to tamper with: those two fail for want of it.
        const expected = escape.includes('tenantry_confined_run') && onServer ? /does not exist/ : /permission denied|cannot set parameter|refused/
        assert.match((outcome.e as Error).message, expected, escape)
        outcomes.push((outcome.e as Error).message.slice(0, 70))
      }
    }
    console.log(`# ${onServer ? 'PostgreSQL' : 'embedded'}: ${ESCAPES.length} escapes:\n#   ${outcomes.join('\n#   ')}`)
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
    const r = await target.run(['sql', `do $$ begin execute 're'||'set ro'||'le'; end $$; ${COUNT}`, '--as', email, '--json'])
    if (r.code === 0) assert.deepEqual(JSON.parse(r.stdout), [{ n: seen.n }])
    else {
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /^error: .*(permission denied|cannot set parameter "role" within security-definer function)/m)
    }
  })
})
