// Typed errors from real queries: each SQLSTATE the schema produces becomes the class a caller
// branches on (NotAuthorizedError, NotFoundError, ConflictError, InvalidInputError, RetryableError),
// naming the table, column and constraint where PostgreSQL reports them, with a readable message.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { type Kysely, sql } from 'kysely'
import {
  asAnon, asSystem, asUser, ConflictError, connectionFailure, ConnectionLostError, createOrganization, type Database, DbError, InvalidInputError, NotAuthorizedError, NotFoundError, RetryableError, translated, translateError,
} from '../lib/db/index.js'
import pg from 'pg'
import { onServer, useFreshDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { createAuthUser, useCast } from './support/fixtures.js'

const h = useFreshDb()
const cast = useCast(h)

/** The untranslated error a query raises, straight from the driver (no session, no translation). */
async function rawError(run: (db: Kysely<Database>) => Promise<unknown>): Promise<unknown> {
  try {
    await run(h.db)
  } catch (e) {
    return e
  }
  assert.fail('the query did not fail')
}

describe('42501 → NotAuthorizedError', () => {
  test('a row-level security violation names the table in its message', async () => {
    const err = await expectError(
      asUser(h.db, cast.a.memberId, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'x' }).execute()),
      NotAuthorizedError,
      { code: '42501', message: /^not authorized: new row violates row-level security policy for table "customers"$/ },
    )
    assert.ok(err instanceof DbError && err instanceof Error)
    assert.equal(err.name, 'NotAuthorizedError')
  })

  test('a privilege the role lacks (anon calling the API)', async () => {
    await expectError(asAnon(h.db, (trx) => createOrganization(trx, { name: 'x', slug: 'anon-x' })), NotAuthorizedError, {
      code: '42501', message: /permission denied for function create_organization/,
    })
    await expectError(asUser(h.db, cast.a.adminId, (trx) => trx.insertInto('audit_logs')
      .values({ organization_id: cast.a.id, action: 'INSERT', table_name: 'customers' }).execute()), NotAuthorizedError, {
      code: '42501', message: /permission denied for table audit_logs/,
    })
  })

  test('a guard trigger names table and column: own role, key change, audit rows', async () => {
    await expectError(asUser(h.db, cast.a.memberId, (trx) => trx.updateTable('profiles').set({ role: 'admin' }).where('id', '=', cast.a.memberId).execute()),
      NotAuthorizedError, { code: '42501', table: 'profiles', column: 'role', message: /only an admin of the organization can change roles/ })
    // @ts-expect-error organization_id is not updatable in the types; the database refuses it as well
    await expectError(asSystem(h.db, (trx) => trx.updateTable('customers').set({ organization_id: cast.b.id }).where('id', '=', cast.a.customerId).execute()),
      NotAuthorizedError, { code: '42501', table: 'customers', column: 'organization_id', message: /cannot change/ })
    await expectError(asSystem(h.db, (trx) => trx.deleteFrom('audit_logs').where('organization_id', '=', cast.a.id).execute()),
      NotAuthorizedError, { code: '42501', table: 'audit_logs', message: /append-only: DELETE is not allowed/ })
    await expectError(asSystem(h.db, (trx) => trx.updateTable('audit_logs').set({ table_name: 'x' }).execute()),
      NotAuthorizedError, { code: '42501', table: 'audit_logs', message: /append-only: UPDATE/ })
  })

  test('the SQL API refuses with 42501 and a table/column', async () => {
    await expectError(asUser(h.db, cast.a.memberId, (trx) => sql`select public.remove_member(${cast.a.adminId}::uuid)`.execute(trx)),
      NotAuthorizedError, { code: '42501', table: 'profiles', column: 'organization_id', message: /not allowed to remove user/ })
  })
})

describe('23505 → ConflictError', () => {
  test('a duplicate slug names table, column, constraint and the value', async () => {
    const user = await createAuthUser(h.db, 'dup-slug@example.com')
    const err = await expectError(asUser(h.db, user, (trx) => createOrganization(trx, { name: 'Dup', slug: 'org-b' })), ConflictError, {
      code: '23505', table: 'organizations', column: 'slug', constraint: 'organizations_slug_key',
    })
    assert.equal(err.message, 'organizations.slug "org-b" is already taken (constraint organizations_slug_key)')
    assert.equal(err.detail, 'Key (slug)=(org-b) already exists.')
  })

  test('a duplicate primary key (preferences row that exists)', async () => {
    await expectError(asSystem(h.db, (trx) => trx.insertInto('user_preferences').values({ user_id: cast.a.adminId }).execute()), ConflictError, {
      code: '23505', table: 'user_preferences', column: 'user_id', constraint: 'user_preferences_pkey', message: /user_preferences\.user_id ".+" is already taken/,
    })
  })

  test('55000 (object in the wrong state): a member creating a second organization', async () => {
    await expectError(asUser(h.db, cast.b.memberId, (trx) => createOrganization(trx, { name: 'Two', slug: 'two' })), ConflictError, {
      code: '55000', table: 'profiles', column: 'organization_id', message: /^profiles\.organization_id: user .+ already belongs to an organization$/,
    })
  })
})

describe('invalid input → InvalidInputError', () => {
  test('23514 CHECK constraint: table and constraint', async () => {
    await expectError(asSystem(h.db, (trx) => sql`insert into public.customers (organization_id, name, status) values (${cast.a.id}, 'x', 'vip')`.execute(trx)),
      InvalidInputError, { code: '23514', table: 'customers', constraint: 'customers_status_check', message: /violates check constraint "customers_status_check"/ })
    await expectError(asSystem(h.db, (trx) => trx.insertInto('ai_usage_log')
      .values({ organization_id: cast.a.id, user_id: cast.a.memberId, query_id: randomUUID(), model: 'm', date: '2026-01-01', output_tokens: -1 }).execute()),
      InvalidInputError, { code: '23514', table: 'ai_usage_log', constraint: 'ai_usage_log_output_tokens_check' })
  })

  test('23514 raised by a rule of the schema: the last admin', async () => {
    await expectError(asUser(h.db, cast.b.adminId, (trx) => trx.updateTable('profiles').set({ role: 'member' }).where('id', '=', cast.b.adminId).execute()),
      InvalidInputError, {
        code: '23514', table: 'profiles', column: 'role', constraint: 'organization_keeps_an_admin',
        message: /^profiles\.role: cannot demote or remove the last admin of organization /,
      })
  })

  test('23502 NOT NULL: table and column, said in words', async () => {
    const err = await expectError(asSystem(h.db, (trx) => sql`insert into public.customers (organization_id, name) values (${cast.a.id}, null)`.execute(trx)),
      InvalidInputError, { code: '23502', table: 'customers', column: 'name' })
    assert.equal(err.message, 'customers.name is required (it cannot be null)')
    await expectError(asSystem(h.db, (trx) => sql`insert into public.revenue (organization_id, amount) values (${cast.a.id}, 1)`.execute(trx)),
      InvalidInputError, { code: '23502', table: 'revenue', column: 'date', message: /^revenue\.date is required/ })
  })

  test("23503 foreign key: another tenant's customer, an unknown user", async () => {
    const err = await expectError(asSystem(h.db, (trx) => trx.insertInto('revenue')
      .values({ organization_id: cast.a.id, customer_id: cast.b.customerId, amount: '1.00', date: '2026-01-01' }).execute()),
      InvalidInputError, { code: '23503', table: 'revenue', column: 'customer_id, organization_id', constraint: 'revenue_customer_id_fkey' })
    assert.match(err.message, /refers to a row that does not exist or belongs to another organization \(constraint revenue_customer_id_fkey\)/)
    await expectError(asSystem(h.db, (trx) => trx.insertInto('user_preferences').values({ user_id: randomUUID() }).execute()),
      InvalidInputError, { code: '23503', table: 'user_preferences', column: 'user_id', constraint: 'user_preferences_user_id_fkey' })
  })

  test('22P02 malformed values: uuid, numeric, jsonb', async () => {
    await expectError(asUser(h.db, cast.a.adminId, (trx) => trx.selectFrom('customers').selectAll().where('id', '=', 'not-a-uuid').execute()),
      InvalidInputError, { code: '22P02', message: /invalid input syntax for type uuid: "not-a-uuid"/ })
    await expectError(asSystem(h.db, (trx) => trx.insertInto('revenue').values({ organization_id: cast.a.id, amount: 'lots', date: '2026-01-01' }).execute()),
      InvalidInputError, { code: '22P02', message: /type numeric/ })
    await expectError(asSystem(h.db, (trx) => sql`select '{bad json'::jsonb`.execute(trx)), InvalidInputError, { code: '22P02', message: /json/ })
  })

  test('22003 numeric overflow, 22008 impossible date, 22007 malformed timestamp, 22023 bad parameter', async () => {
    await expectError(asSystem(h.db, (trx) => trx.insertInto('revenue').values({ organization_id: cast.a.id, amount: '10000000000', date: '2026-01-01' }).execute()),
      InvalidInputError, { code: '22003', message: /numeric field overflow/ })
    await expectError(asSystem(h.db, (trx) => trx.insertInto('revenue').values({ organization_id: cast.a.id, amount: '1', date: '2026-02-30' }).execute()),
      InvalidInputError, { code: '22008' })
    await expectError(asSystem(h.db, (trx) => trx.selectFrom('audit_logs').select('id').where('created_at', '>', sql<Date>`${'soonish'}::timestamptz`).execute()),
      InvalidInputError, { code: '22007' })
    await expectError(asUser(h.db, cast.a.adminId, (trx) => sql`select public.soft_delete(${'organizations'}, ${cast.a.id}::uuid)`.execute(trx)),
      InvalidInputError, { code: '22023', message: /soft delete is not available for table "organizations"/ })
  })
})

describe('other classes', () => {
  test('42P01 / 42883 undefined table or function → NotFoundError', async () => {
    await expectError(asSystem(h.db, (trx) => sql`select * from public.no_such_table`.execute(trx)), NotFoundError, {
      code: '42P01', message: /relation "public\.no_such_table" does not exist/,
    })
    await expectError(asSystem(h.db, (trx) => sql`select public.no_such_function(1)`.execute(trx)), NotFoundError, { code: '42883' })
  })

  test('40001 serialization failure → RetryableError; sessions retry it, then give up', async () => {
    const fail40001 = sql`do $$ begin raise exception 'could not serialize access' using errcode = '40001'; end $$`
    let attempts = 0
    const result = await asSystem(h.db, async (trx) => {
      attempts++
      if (attempts === 1) await fail40001.execute(trx)
      return 'second time lucky'
    })
    assert.equal(result, 'second time lucky')
    assert.equal(attempts, 2)

    attempts = 0
    await expectError(asSystem(h.db, async (trx) => {
      attempts++
      await fail40001.execute(trx)
    }), RetryableError, { code: '40001' })
    assert.equal(attempts, 3, 'three attempts in all by default')
  })

  test('an error of no listed class stays a DbError with its code (42601 syntax error)', async () => {
    const err = await expectError(asSystem(h.db, (trx) => sql`select from where`.execute(trx)), DbError, { code: '42601' })
    for (const cls of [NotAuthorizedError, NotFoundError, ConflictError, InvalidInputError, RetryableError]) assert.ok(!(err instanceof cls))
  })
})

describe('translateError and translated() on raw driver errors', () => {
  test('the driver error is kept as cause, its fields copied', async () => {
    const raw = await rawError((d) => d.insertInto('organizations').values({ name: 'x', slug: 'org-a' }).execute())
    assert.ok(!(raw instanceof DbError), 'without a session the error comes straight from pg')
    const err = translateError(raw)
    assert.ok(err instanceof ConflictError)
    assert.equal(err.cause, raw)
    assert.equal(err.code, '23505')
    assert.equal(err.table, 'organizations')
    assert.equal(err.constraint, 'organizations_slug_key')
    assert.equal(translateError(err), err, 'translating twice changes nothing')
  })

  test('translated() turns a failing query into its typed error and passes results through', async () => {
    await expectError(translated(() => h.db.insertInto('customers').values({ organization_id: randomUUID(), name: 'x' }).execute()), InvalidInputError, {
      code: '23503', table: 'customers', constraint: 'customers_organization_id_fkey', column: 'organization_id',
    })
    const rows = await translated(() => h.db.selectFrom('organizations').select('slug').where('id', '=', cast.a.id).execute())
    assert.deepEqual(rows, [{ slug: 'org-a' }])
  })

  test('anything that is not a PostgreSQL error is returned unchanged', () => {
    const plain = new Error('not from the database')
    assert.equal(translateError(plain), plain)
    assert.equal(translateError('text'), 'text')
    assert.equal(translateError(undefined), undefined)
    const fake = { code: 'not-a-sqlstate', message: 'x' }
    assert.equal(translateError(fake), fake)
  })
})

describe('connection failures: one classification (connectionFailure) for the CLI, the replica fallback and ConnectionLostError', () => {
  /** The error a pg client raises when it cannot connect to `url`. */
  async function connectError(url: string): Promise<unknown> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
    try {
      await client.connect()
    } catch (e) {
      return e
    } finally {
      await client.end().catch(() => {})
    }
    assert.fail(`connected to ${url}`)
  }

  test('a port nobody listens on is unreachable, and stays a driver error (not a lost connection)', async () => {
    const e = await connectError('postgres://postgres@127.0.0.1:1/postgres')
    assert.equal(connectionFailure(e), 'unreachable')
    assert.ok(!(translateError(e) instanceof ConnectionLostError))
  })

  test('a database that does not exist (3D000)', { skip: onServer ? false : 'needs a server (DATABASE_URL)' }, async () => {
    const url = new URL(process.env.DATABASE_URL ?? '')
    url.pathname = '/tenantry_no_such_database'
    assert.equal(connectionFailure(await connectError(url.toString())), 'no-database')
  })

  test('a terminated backend is a lost connection, and becomes ConnectionLostError', { skip: onServer ? false : 'needs a server (DATABASE_URL)' }, async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await client.connect()
    client.on('error', () => {})
    const e = await client.query('select pg_terminate_backend(pg_backend_pid())').then(() => assert.fail('survived'), (err: unknown) => err)
    await client.end().catch(() => {})
    assert.equal(connectionFailure(e), 'lost')
    assert.ok(translateError(e) instanceof ConnectionLostError)
  })

  test('the codes: SQLSTATE classes 08 and 57P0x, login refusals, and query errors that are none', () => {
    const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code })
    const cases: [Error, string | undefined][] = [
      [withCode('08006'), 'lost'], [withCode('08P01'), 'lost'], [withCode('57P01'), 'lost'], [withCode('ECONNRESET'), 'lost'],
      [withCode('57P03'), 'not-ready'], [withCode('28P01'), 'login'], [withCode('28000'), 'login'], [withCode('3D000'), 'no-database'],
      [withCode('ENOTFOUND'), 'unreachable'], [new Error('timeout exceeded when trying to connect'), 'unreachable'],
      [new Error('Connection terminated unexpectedly'), 'lost'],
      [withCode('42501'), undefined], [withCode('23505'), undefined], [withCode('40001'), undefined], [new Error('boom'), undefined],
      [new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), 'unreachable'],
    ]
    for (const [e, kind] of cases) assert.equal(connectionFailure(e), kind, `${'code' in e ? String(e.code) : ''} ${e.message}`)
  })
})
