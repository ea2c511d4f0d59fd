// Bad input at every entrance: the typed flows of lib/db and plain Kysely writes as an admin (or the
// service), fed violated CHECKs, NULLs, unknown foreign keys, malformed uuids, numbers and dates,
// taken and malformed slugs, a 10 MB name, a 1 MB metadata document, numeric overflow. Each case must
// end in the right typed error naming what was wrong, and write nothing at all (no row version newer
// than the attempt, the same row counts). Then SQL injection through every text parameter of the
// flows: the payloads are stored as data or refused, never executed.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { type Kysely, sql, type Transaction } from 'kysely'
import {
  asAnon, asService, asSystem, asUser, changeRole, ConflictError, createOrganization, type Database, DbError, InvalidInputError, listDeleted, NotAuthorizedError, NotFoundError, readAuditTrail, recordAiUsage, removeMember, restore, setPreferences, softDelete, TABLES,
} from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'
import { type ExpectedFields, expectError } from './support/expect-error.js'
import { createAuthUser, useCast } from './support/fixtures.js'
import { fingerprint, writtenSince } from './support/invariants.js'

const h = useFreshDb()
const cast = useCast(h)
let db: Kysely<Database>
let tried = 0

h.before(async () => {
  db = h.db
})

/** Calls a flow the way untyped JavaScript could: with arguments its TypeScript types forbid. */
function untyped(fn: Function, ...args: unknown[]): Promise<unknown> {
  return Promise.resolve().then(() => Reflect.apply(fn, undefined, args))
}

const MB = 1024 * 1024
const TEN_MB_NAME = 'n'.repeat(10 * MB)
/** A JSON object of about 1 MB. */
const ONE_MB_METADATA = Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]))

/** The attempt fails with `cls` naming `fields`, and the database is exactly as before. */
async function refused<E extends DbError>(
  attempt: () => Promise<unknown>, cls: abstract new (message: string) => E, fields: ExpectedFields,
): Promise<E> {
  tried++
  const before = await fingerprint(db)
  const error = await expectError(attempt(), cls, fields)
  assert.deepEqual(await writtenSince(db, before.marker), [], `nothing written (${error.message.slice(0, 200)})`)
  assert.deepEqual((await fingerprint(db)).counts, before.counts, 'row counts unchanged')
  assert.ok(error.message.length < 2000, 'the message does not echo a huge input')
  return error
}

interface Case {
  name: string
  attempt: () => Promise<unknown>
  error: abstract new (message: string) => DbError
  fields: ExpectedFields
  /** A known bug: the case states the right behaviour and is reported, not counted as a failure. */
  todo?: string
}

function cases(group: string, list: Case[]): void {
  describe(group, () => {
    for (const c of list) it(c.name, c.todo ? { todo: c.todo } : {}, async () => { await refused(c.attempt, c.error, c.fields) })
  })
}

const slugFormat = { table: 'organizations', constraint: 'organizations_slug_format' }
const orgName = { table: 'organizations', constraint: 'organizations_name_length' }
const outsider = () => cast.outsiderId
const create = (name: unknown, slug: unknown, user = outsider()) =>
  asUser(db, user, (trx) => untyped(createOrganization, trx, { name, slug }))

cases('createOrganization', [
  ...['Has Spaces', 'UPPER', '-leading', 'trailing-', 'dots.in.it', 'a/b', '', 'ünïcode', 's'.repeat(101), "x');drop"].map((slug) => ({
    name: `slug ${JSON.stringify(slug.length > 20 ? `${slug.slice(0, 10)}…(${slug.length})` : slug)} is not URL-safe → organizations_slug_format`,
    attempt: () => create('Fine name', slug), error: InvalidInputError, fields: { ...slugFormat, code: '23514' },
  })),
  { name: 'a taken slug → ConflictError organizations_slug_key', attempt: () => create('Copy', 'org-a'), error: ConflictError, fields: { table: 'organizations', column: 'slug', constraint: 'organizations_slug_key' } },
  { name: 'an empty name → organizations_name_length', attempt: () => create('', 'empty-name'), error: InvalidInputError, fields: orgName },
  { name: 'a blank name → organizations_name_length', attempt: () => create('    ', 'blank-name'), error: InvalidInputError, fields: orgName },
  { name: 'a 10 MB name → organizations_name_length', attempt: () => create(TEN_MB_NAME, 'huge-name'), error: InvalidInputError, fields: orgName },
  { name: 'a NUL character in the name → InvalidInputError (22021)', attempt: () => create('nul\u0000name', 'nul-name'), error: InvalidInputError, fields: { code: '22021' } },
  { name: 'a NULL name → organizations.name required', attempt: () => create(null, 'null-name'), error: InvalidInputError, fields: { code: '23502', table: 'organizations', column: 'name' } },
  { name: 'a NULL slug → organizations.slug required', attempt: () => create('Null slug', null), error: InvalidInputError, fields: { code: '23502', table: 'organizations', column: 'slug' } },
  { name: 'a member of an organization → ConflictError profiles.organization_id', attempt: () => create('Second', 'second-org', cast.a.memberId), error: ConflictError, fields: { table: 'profiles', column: 'organization_id' } },
  { name: 'anon → NotAuthorizedError', attempt: () => asAnon(db, (trx) => createOrganization(trx, { name: 'Anon', slug: 'anon-org' })), error: NotAuthorizedError, fields: {} },
])

const adminA = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => asUser(db, cast.a.adminId, fn)

cases('changeRole and removeMember', [
  { name: 'changeRole: a malformed user id → InvalidInputError (22P02)', attempt: () => adminA((trx) => changeRole(trx, 'not-a-uuid', 'admin')), error: InvalidInputError, fields: { code: '22P02' } },
  { name: "changeRole: a role outside the CHECK list → profiles_role_check", attempt: () => adminA((trx) => untyped(changeRole, trx, cast.a.memberId, 'owner')), error: InvalidInputError, fields: { table: 'profiles', constraint: 'profiles_role_check' } },
  { name: 'changeRole: a NULL role → profiles.role required', attempt: () => adminA((trx) => untyped(changeRole, trx, cast.a.memberId, null)), error: InvalidInputError, fields: { code: '23502', table: 'profiles', column: 'role' } },
  { name: 'changeRole: an unknown user → NotAuthorizedError profiles.role', attempt: () => adminA((trx) => changeRole(trx, randomUUID(), 'admin')), error: NotAuthorizedError, fields: { table: 'profiles', column: 'role' } },
  { name: "changeRole: another organization's member → NotAuthorizedError", attempt: () => adminA((trx) => changeRole(trx, cast.b.memberId, 'admin')), error: NotAuthorizedError, fields: { table: 'profiles' } },
  { name: 'removeMember: a malformed user id → InvalidInputError (22P02)', attempt: () => adminA((trx) => removeMember(trx, "1'; drop table profiles; --")), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'removeMember: an unknown user → NotAuthorizedError profiles.organization_id', attempt: () => adminA((trx) => removeMember(trx, randomUUID())), error: NotAuthorizedError, fields: { table: 'profiles', column: 'organization_id' } },
  { name: 'removeMember: NULL → NotAuthorizedError', attempt: () => adminA((trx) => untyped(removeMember, trx, null)), error: NotAuthorizedError, fields: { table: 'profiles' } },
])

cases('softDelete, restore, listDeleted', [
  { name: 'softDelete: a table outside the list → InvalidInputError (22023)', attempt: () => adminA((trx) => untyped(softDelete, trx, 'customers; drop table customers; --', cast.a.customerId)), error: InvalidInputError, fields: { code: '22023' } },
  { name: 'restore: audit_logs → InvalidInputError (22023)', attempt: () => adminA((trx) => untyped(restore, trx, 'audit_logs', cast.a.customerId)), error: InvalidInputError, fields: { code: '22023' } },
  { name: 'softDelete: a NULL table → InvalidInputError (22023)', attempt: () => adminA((trx) => untyped(softDelete, trx, null, cast.a.customerId)), error: InvalidInputError, fields: { code: '22023' } },
  { name: 'softDelete: a malformed id → InvalidInputError (22P02)', attempt: () => adminA((trx) => softDelete(trx, 'customers', 'not-a-uuid')), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'softDelete: an unknown id → NotFoundError customers', attempt: () => adminA((trx) => softDelete(trx, 'customers', randomUUID())), error: NotFoundError, fields: { table: 'customers' } },
  { name: 'restore: a NULL id → NotFoundError revenue', attempt: () => adminA((trx) => untyped(restore, trx, 'revenue', null)), error: NotFoundError, fields: { table: 'revenue' } },
  {
    name: 'listDeleted: a table outside the list → InvalidInputError', attempt: () => adminA((trx) => untyped(listDeleted, trx, 'customers; drop table customers; --')), error: InvalidInputError, fields: {},
  },
])

const service = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => asService(db, fn)
const usage = (over: Record<string, unknown>) => service((trx) => untyped(recordAiUsage, trx, {
  userId: cast.a.memberId, organizationId: cast.a.id, queryId: randomUUID(), model: 'gpt-x', ...over,
}))
const ai = (constraint: string) => ({ table: 'ai_usage_log', constraint })

cases('recordAiUsage', [
  { name: 'negative input tokens → ai_usage_log_input_tokens_check', attempt: () => usage({ inputTokens: -1 }), error: InvalidInputError, fields: ai('ai_usage_log_input_tokens_check') },
  { name: 'negative output tokens → ai_usage_log_output_tokens_check', attempt: () => usage({ outputTokens: -5 }), error: InvalidInputError, fields: ai('ai_usage_log_output_tokens_check') },
  { name: 'a negative cost → ai_usage_log_cost_usd_check', attempt: () => usage({ costUsd: '-0.01' }), error: InvalidInputError, fields: ai('ai_usage_log_cost_usd_check') },
  { name: 'a cost of 1e7 overflows numeric(10,4) → InvalidInputError (22003)', attempt: () => usage({ costUsd: '1e7' }), error: InvalidInputError, fields: { code: '22003' } },
  { name: 'tokens of 2^31 overflow integer → InvalidInputError (22003)', attempt: () => usage({ inputTokens: 2 ** 31 }), error: InvalidInputError, fields: { code: '22003' } },
  { name: 'fractional tokens → InvalidInputError (22P02)', attempt: () => usage({ inputTokens: 1.5 }), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'an unknown organization → ai_usage_log_organization_id_fkey', attempt: () => usage({ organizationId: randomUUID() }), error: InvalidInputError, fields: { ...ai('ai_usage_log_organization_id_fkey'), code: '23503' } },
  { name: 'a malformed organization id → InvalidInputError (22P02)', attempt: () => usage({ organizationId: 'acme' }), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'an empty model → ai_usage_log_model_length', attempt: () => usage({ model: '' }), error: InvalidInputError, fields: ai('ai_usage_log_model_length') },
  { name: 'a 10 MB model → ai_usage_log_model_length', attempt: () => usage({ model: TEN_MB_NAME }), error: InvalidInputError, fields: ai('ai_usage_log_model_length') },
  { name: 'a malformed date → InvalidInputError (22007)', attempt: () => usage({ date: 'not-a-date' }), error: InvalidInputError, fields: { code: '22007' } },
  { name: 'February 30 → InvalidInputError (22008)', attempt: () => usage({ date: '2026-02-30' }), error: InvalidInputError, fields: { code: '22008' } },
  { name: 'a NULL user → ai_usage_log.user_id required', attempt: () => usage({ userId: null }), error: InvalidInputError, fields: { code: '23502', table: 'ai_usage_log', column: 'user_id' } },
  // PostgreSQL names no column for a malformed or out-of-range value (22P02, 22003, 22007, 22008), so
  // these errors say what was wrong ("numeric field overflow", 'invalid input syntax for type uuid:
  // "acme"') but not where. A typed flow knows its fields and could say; recordAiUsage does not yet.
  ...([
    ['organization id "acme"', { organizationId: 'acme' }, 'organization_id'],
    ['cost 1e7', { costUsd: '1e7' }, 'cost_usd'],
    ['input tokens 2^31', { inputTokens: 2 ** 31 }, 'input_tokens'],
    ['date "not-a-date"', { date: 'not-a-date' }, 'date'],
  ] as const).map(([what, over, column]): Case => ({
    name: `a malformed ${what} names ai_usage_log.${column}`, attempt: () => usage(over), error: InvalidInputError,
    fields: { table: 'ai_usage_log', column },
  })),
  { name: 'a signed-in admin → NotAuthorizedError ai_usage_log', attempt: () => adminA((trx) => recordAiUsage(trx, { userId: cast.a.adminId, organizationId: cast.a.id, queryId: randomUUID(), model: 'x' })), error: NotAuthorizedError, fields: { table: 'ai_usage_log' } },
])

cases('setPreferences', [
  { name: 'a theme outside the CHECK list → user_preferences_theme_preference_check', attempt: () => asUser(db, cast.a.memberId, (trx) => untyped(setPreferences, trx, { theme_preference: 'neon' })), error: InvalidInputError, fields: { table: 'user_preferences', constraint: 'user_preferences_theme_preference_check' } },
  { name: 'a NULL theme → user_preferences.theme_preference required', attempt: () => asUser(db, cast.a.memberId, (trx) => untyped(setPreferences, trx, { theme_preference: null })), error: InvalidInputError, fields: { code: '23502', table: 'user_preferences', column: 'theme_preference' } },
  { name: 'the service has no preferences → NotAuthorizedError', attempt: () => service((trx) => setPreferences(trx, { theme_preference: 'dark' })), error: NotAuthorizedError, fields: { table: 'user_preferences' } },
])

const trail = (query: Record<string, unknown>) => adminA((trx) => untyped(readAuditTrail, trx, query))
cases('readAuditTrail', [
  { name: 'a malformed record id → InvalidInputError (22P02)', attempt: () => trail({ recordId: "x' or '1'='1" }), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'a malformed actor id → InvalidInputError (22P02)', attempt: () => trail({ actorId: '1 or 1=1' }), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'a malformed organization id → InvalidInputError (22P02)', attempt: () => trail({ organizationId: "'; delete from audit_logs; --" }), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'a malformed since → InvalidInputError (22007)', attempt: () => trail({ since: "now()'; drop table customers; --" }), error: InvalidInputError, fields: { code: '22007' } },
  { name: 'a limit of 0 → InvalidInputError audit_logs', attempt: () => trail({ limit: 0 }), error: InvalidInputError, fields: { table: 'audit_logs' } },
  { name: 'a limit of 1,000,000 → InvalidInputError audit_logs', attempt: () => trail({ limit: 1_000_000 }), error: InvalidInputError, fields: { table: 'audit_logs' } },
  { name: 'a negative offset → InvalidInputError audit_logs', attempt: () => trail({ offset: -1 }), error: InvalidInputError, fields: { table: 'audit_logs' } },
  { name: 'a forged cursor → InvalidInputError audit_logs', attempt: () => trail({ cursor: Buffer.from(JSON.stringify(["2026-01-01'; drop table x; --", 'y'])).toString('base64url') }), error: InvalidInputError, fields: { table: 'audit_logs' } },
])

// Plain Kysely writes by organization A's admin: the schema itself refuses bad rows.
const raw = (q: (trx: Transaction<Database>) => Promise<unknown>) => adminA(q)
const cust = (c: string) => ({ table: 'customers', constraint: c })
const rev = (c: string) => ({ table: 'revenue', constraint: c })

cases('customers (Kysely, as an admin)', [
  { name: 'an empty name → customers_name_length', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: cast.a.id, name: '' }).execute()), error: InvalidInputError, fields: cust('customers_name_length') },
  { name: 'a 10 MB name → customers_name_length', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: cast.a.id, name: TEN_MB_NAME }).execute()), error: InvalidInputError, fields: cust('customers_name_length') },
  { name: 'a NULL name → customers.name required', attempt: () => raw((t) => sql`insert into public.customers (organization_id, name) values (${cast.a.id}, ${null})`.execute(t)), error: InvalidInputError, fields: { code: '23502', table: 'customers', column: 'name' } },
  { name: 'a status outside the list → customers_status_check', attempt: () => raw((t) => sql`insert into public.customers (organization_id, name, status) values (${cast.a.id}, 'x', ${'vip'})`.execute(t)), error: InvalidInputError, fields: cust('customers_status_check') },
  { name: 'a 321-character email → customers_email_length', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: cast.a.id, name: 'x', email: `${'e'.repeat(310)}@example.com` }).execute()), error: InvalidInputError, fields: cust('customers_email_length') },
  { name: 'a 201-character company → customers_company_length', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: cast.a.id, name: 'x', company: 'c'.repeat(201) }).execute()), error: InvalidInputError, fields: cust('customers_company_length') },
  { name: 'a 101-character industry → customers_industry_length', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: cast.a.id, name: 'x', industry: 'i'.repeat(101) }).execute()), error: InvalidInputError, fields: cust('customers_industry_length') },
  { name: 'an update to an empty name → customers_name_length', attempt: () => raw((t) => t.updateTable('customers').set({ name: ' ' }).where('id', '=', cast.a.customerId).execute()), error: InvalidInputError, fields: cust('customers_name_length') },
  { name: 'a malformed organization id → InvalidInputError (22P02)', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: 'org-a', name: 'x' }).execute()), error: InvalidInputError, fields: { code: '22P02' } },
  { name: "another organization's id → NotAuthorizedError customers", attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: cast.b.id, name: 'x' }).execute()), error: NotAuthorizedError, fields: { table: 'customers' } },
  { name: 'an unknown organization id → NotAuthorizedError customers', attempt: () => raw((t) => t.insertInto('customers').values({ organization_id: randomUUID(), name: 'x' }).execute()), error: NotAuthorizedError, fields: { table: 'customers' } },
  { name: 'an unknown organization id (system) → customers_organization_id_fkey', attempt: () => asSystem(db, (t) => t.insertInto('customers').values({ organization_id: randomUUID(), name: 'x' }).execute()), error: InvalidInputError, fields: cust('customers_organization_id_fkey') },
])

interface RevenueOverrides { amount?: unknown; date?: unknown; customer_id?: unknown; category?: unknown; description?: unknown }
/** A good revenue row, then one with the given values, in one transaction as organization A's admin. */
const revenue = (over: RevenueOverrides) => raw(async (t) => {
  await t.insertInto('revenue').values({ organization_id: cast.a.id, customer_id: cast.a.customerId, amount: '1.00', date: '2026-01-01' }).execute()
  const v = { amount: '1.00', date: '2026-01-01', customer_id: cast.a.customerId, category: null, description: null, ...over }
  await sql`insert into public.revenue (organization_id, customer_id, amount, date, category, description)
            values (${cast.a.id}, ${v.customer_id}, ${v.amount}, ${v.date}, ${v.category}, ${v.description})`.execute(t)
})

cases('revenue (Kysely, as an admin; each attempt also inserts a good row first, which must vanish too)', [
  { name: 'an amount of 1e12 overflows numeric(12,2) → InvalidInputError (22003)', attempt: () => revenue({ amount: '1e12' }), error: InvalidInputError, fields: { code: '22003' } },
  { name: 'a malformed amount → InvalidInputError (22P02)', attempt: () => revenue({ amount: '12.345.6' }), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'a NULL amount → revenue.amount required', attempt: () => revenue({ amount: null }), error: InvalidInputError, fields: { code: '23502', table: 'revenue', column: 'amount' } },
  { name: 'month 13 → InvalidInputError (22008)', attempt: () => revenue({ date: '2026-13-01' }), error: InvalidInputError, fields: { code: '22008' } },
  { name: 'a malformed date → InvalidInputError (22007)', attempt: () => revenue({ date: 'soon' }), error: InvalidInputError, fields: { code: '22007' } },
  { name: 'an unknown customer → revenue_customer_id_fkey', attempt: () => revenue({ customer_id: randomUUID() }), error: InvalidInputError, fields: { ...rev('revenue_customer_id_fkey'), code: '23503' } },
  { name: "another organization's customer → revenue_customer_id_fkey", attempt: () => revenue({ customer_id: cast.b.customerId }), error: InvalidInputError, fields: rev('revenue_customer_id_fkey') },
  { name: 'a 101-character category → revenue_category_length', attempt: () => revenue({ category: 'c'.repeat(101) }), error: InvalidInputError, fields: rev('revenue_category_length') },
  { name: 'a 2001-character description → revenue_description_length', attempt: () => revenue({ description: 'd'.repeat(2001) }), error: InvalidInputError, fields: rev('revenue_description_length') },
  { name: "an amount that makes the customer's total overflow numeric(12,2) → InvalidInputError (22003)", attempt: () => revenue({ amount: '9999999999.99' }), error: InvalidInputError, fields: { code: '22003' } },
])

const act = (c: string) => ({ table: 'activities', constraint: c })
cases('activities (Kysely, as an admin)', [
  { name: 'a 1 MB metadata document → activities_metadata_size', attempt: () => raw((t) => t.insertInto('activities').values({ organization_id: cast.a.id, type: 'login', metadata: ONE_MB_METADATA }).execute()), error: InvalidInputError, fields: act('activities_metadata_size') },
  { name: 'metadata that is an array → activities_metadata_object', attempt: () => raw((t) => sql`insert into public.activities (organization_id, type, metadata) values (${cast.a.id}, 'login', ${JSON.stringify([1, 2])}::jsonb)`.execute(t)), error: InvalidInputError, fields: act('activities_metadata_object') },
  { name: 'metadata that is not JSON → InvalidInputError (22P02)', attempt: () => raw((t) => sql`insert into public.activities (organization_id, type, metadata) values (${cast.a.id}, 'login', ${'{"a": '}::jsonb)`.execute(t)), error: InvalidInputError, fields: { code: '22P02' } },
  { name: 'a type outside the list → activities_type_check', attempt: () => raw((t) => sql`insert into public.activities (organization_id, type) values (${cast.a.id}, ${'hack'})`.execute(t)), error: InvalidInputError, fields: act('activities_type_check') },
  { name: 'an unknown customer → activities_customer_id_fkey', attempt: () => raw((t) => t.insertInto('activities').values({ organization_id: cast.a.id, type: 'login', customer_id: randomUUID() }).execute()), error: InvalidInputError, fields: act('activities_customer_id_fkey') },
  { name: 'a NULL type → activities.type required', attempt: () => raw((t) => sql`insert into public.activities (organization_id, type) values (${cast.a.id}, ${null})`.execute(t)), error: InvalidInputError, fields: { code: '23502', table: 'activities', column: 'type' } },
])

cases('organizations and profiles (Kysely)', [
  { name: 'an admin renaming the slug to a non-URL-safe one → organizations_slug_format', attempt: () => raw((t) => t.updateTable('organizations').set({ slug: 'Bad Slug' }).where('id', '=', cast.a.id).execute()), error: InvalidInputError, fields: slugFormat },
  { name: "an admin taking another organization's slug → ConflictError organizations_slug_key", attempt: () => raw((t) => t.updateTable('organizations').set({ slug: 'org-b' }).where('id', '=', cast.a.id).execute()), error: ConflictError, fields: { table: 'organizations', constraint: 'organizations_slug_key' } },
  { name: 'an admin blanking the name → organizations_name_length', attempt: () => raw((t) => t.updateTable('organizations').set({ name: '' }).where('id', '=', cast.a.id).execute()), error: InvalidInputError, fields: orgName },
  { name: 'the system inserting a non-URL-safe slug → organizations_slug_format', attempt: () => asSystem(db, (t) => t.insertInto('organizations').values({ name: 'Sys', slug: 'UPPER_case' }).execute()), error: InvalidInputError, fields: slugFormat },
  { name: 'an admin inserting an organization → NotAuthorizedError organizations', attempt: () => raw((t) => t.insertInto('organizations').values({ name: 'Mine', slug: 'mine' }).execute()), error: NotAuthorizedError, fields: { table: 'organizations' } },
  { name: 'a 201-character full name → profiles_full_name_length', attempt: () => asUser(db, cast.a.memberId, (t) => t.updateTable('profiles').set({ full_name: 'f'.repeat(201) }).where('id', '=', cast.a.memberId).execute()), error: InvalidInputError, fields: { table: 'profiles', constraint: 'profiles_full_name_length' } },
  { name: 'a 2049-character avatar URL → profiles_avatar_url_length', attempt: () => asUser(db, cast.a.memberId, (t) => t.updateTable('profiles').set({ avatar_url: `https://x/${'a'.repeat(2040)}` }).where('id', '=', cast.a.memberId).execute()), error: InvalidInputError, fields: { table: 'profiles', constraint: 'profiles_avatar_url_length' } },
])

// ---------------------------------------------------------------------------------------------
const PAYLOADS = [
  "'); drop table customers; --",
  "x'; update public.profiles set role = 'admin' where true; --",
  "'; delete from public.audit_logs; --",
  '$$; drop table public.revenue; $$',
  "\\'; drop table customers; --",
  '" or 1=1 --',
  "%' or '1'='1",
  "1); truncate public.customers cascade; --",
  "Robert'); DROP TABLE students;--",
  "\u2019; drop table customers; --",
] as const

/** What an injection would disturb: the tables, everyone's role and organization, the audit trail. */
async function state() {
  const tables = await sql<{ t: string | null }>`select to_regclass(x)::text as t from unnest(${TABLES.map((t) => `public.${t}`)}::text[]) x`.execute(db)
  const profiles = await db.selectFrom('profiles').select(['id', 'role', 'organization_id']).orderBy('id').execute()
  const audit = await db.selectFrom('audit_logs').select(['id']).orderBy('id').execute()
  return { tables: tables.rows.map((r) => r.t), profiles, auditIds: audit.map((a) => a.id) }
}

describe('SQL injection through every text parameter of the flows', () => {
  it(`${PAYLOADS.length} payloads × every text parameter: stored verbatim or refused, never executed`, async (t) => {
    const start = await state()
    const startCustomers = await db.selectFrom('customers').select('id').execute()
    let attacks = 0
    let stored = 0
    let refusedCount = 0
    /** The attack either succeeds (and its value is checked) or fails with a typed error. */
    async function attack(what: string, run: () => Promise<unknown>, outcome: 'stored' | (abstract new (message: string) => DbError) | 'empty'): Promise<unknown> {
      attacks++
      if (outcome === 'stored' || outcome === 'empty') {
        const v = await run()
        if (outcome === 'stored') stored++
        else refusedCount++
        return v
      }
      await expectError(run(), outcome, {})
      refusedCount++
      return undefined
    }

    const storedCustomers: string[] = []
    for (const [i, p] of PAYLOADS.entries()) {
      // Names and slugs: createOrganization stores the name as given and refuses the slug.
      const founder = await createAuthUser(db, `founder${i}@injection.example`)
      const orgId = await attack('createOrganization name', () => asUser(db, founder, (trx) => createOrganization(trx, { name: p, slug: `inj-${i}` })), 'stored')
      const org = await db.selectFrom('organizations').select(['name', 'slug']).where('slug', '=', `inj-${i}`).executeTakeFirstOrThrow()
      assert.deepEqual(org, { name: p, slug: `inj-${i}` }, 'the name is stored verbatim')
      assert.equal(typeof orgId, 'string')
      const loner = await createAuthUser(db, `loner${i}@injection.example`)
      await attack('createOrganization slug', () => asUser(db, loner, (trx) => createOrganization(trx, { name: 'ok', slug: p })), InvalidInputError)

      // A customer's name, written by an admin with plain Kysely.
      const c = await attack('customer name', () => asUser(db, cast.a.adminId, (trx) =>
        trx.insertInto('customers').values({ organization_id: cast.a.id, name: p, company: p, industry: p.slice(0, 100) }).returning(['id', 'name', 'company']).executeTakeFirstOrThrow()), 'stored')
      const customer = await db.selectFrom('customers').select(['id', 'name', 'company']).where('name', '=', p).where('organization_id', '=', cast.a.id).execute()
      assert.equal(customer.length, 1)
      assert.deepEqual(c, customer[0])
      storedCustomers.push(customer[0]?.id ?? '')

      // Table names of soft delete, restore and the trash.
      await attack('softDelete table', () => asUser(db, cast.a.adminId, (trx) => untyped(softDelete, trx, p, cast.a.customerId)), InvalidInputError)
      await attack('restore table', () => asUser(db, cast.a.adminId, (trx) => untyped(restore, trx, p, cast.a.deletedCustomerId)), InvalidInputError)
      await attack('listDeleted table', () => asUser(db, cast.a.adminId, (trx) => untyped(listDeleted, trx, p)), InvalidInputError)
      await attack('softDelete id', () => asUser(db, cast.a.adminId, (trx) => softDelete(trx, 'customers', p)), InvalidInputError)

      // Members, roles, preferences, AI usage.
      await attack('changeRole user id', () => asUser(db, cast.a.adminId, (trx) => changeRole(trx, p, 'admin')), InvalidInputError)
      await attack('changeRole role', () => asUser(db, cast.a.adminId, (trx) => untyped(changeRole, trx, cast.a.memberId, p)), InvalidInputError)
      await attack('removeMember user id', () => asUser(db, cast.a.adminId, (trx) => removeMember(trx, p)), InvalidInputError)
      await attack('setPreferences theme', () => asUser(db, cast.a.memberId, (trx) => untyped(setPreferences, trx, { theme_preference: p })), InvalidInputError)
      const u = await attack('recordAiUsage model', () => asService(db, (trx) => recordAiUsage(trx, {
        userId: cast.a.memberId, organizationId: cast.a.id, queryId: randomUUID(), model: p,
      })), 'stored')
      assert.ok(typeof u === 'object' && u !== null && 'model' in u && u.model === p, 'the model is stored verbatim')
      await attack('recordAiUsage ids', () => asService(db, (trx) => recordAiUsage(trx, {
        userId: p, organizationId: cast.a.id, queryId: randomUUID(), model: 'x',
      })), InvalidInputError)
      await attack('recordAiUsage date', () => asService(db, (trx) => recordAiUsage(trx, {
        userId: cast.a.memberId, organizationId: cast.a.id, queryId: randomUUID(), model: 'x', date: p,
      })), InvalidInputError)

      // The audit trail reader's filters: free text matches nothing, typed values are refused.
      const byTable = await attack('readAuditTrail table', () => asUser(db, cast.a.adminId, (trx) => untyped(readAuditTrail, trx, { table: p })), 'empty')
      assert.ok(typeof byTable === 'object' && byTable !== null && 'rows' in byTable && Array.isArray(byTable.rows) && byTable.rows.length === 0)
      const byAction = await attack('readAuditTrail action', () => asUser(db, cast.a.adminId, (trx) => untyped(readAuditTrail, trx, { action: [p, 'INSERT'] })), 'empty')
      assert.ok(typeof byAction === 'object' && byAction !== null && 'rows' in byAction && Array.isArray(byAction.rows) &&
        byAction.rows.every((r: unknown) => typeof r === 'object' && r !== null && 'action' in r && r.action === 'INSERT'))
      for (const key of ['recordId', 'actorId', 'organizationId', 'since', 'until'] as const) {
        await attack(`readAuditTrail ${key}`, () => asUser(db, cast.a.adminId, (trx) => untyped(readAuditTrail, trx, { [key]: p })), InvalidInputError)
      }
      await attack('readAuditTrail cursor', () => asUser(db, cast.a.adminId, (trx) => readAuditTrail(trx, { cursor: p })), InvalidInputError)

      // One's own full name.
      await attack('profile full_name', () => asUser(db, cast.a.memberId, (trx) => trx.updateTable('profiles').set({ full_name: p }).where('id', '=', cast.a.memberId).execute()), 'stored')
      const me = await db.selectFrom('profiles').select('full_name').where('id', '=', cast.a.memberId).executeTakeFirstOrThrow()
      assert.equal(me.full_name, p)
    }

    // Nothing was executed: every table is there, nobody's role or organization changed (but the
    // founders'), the audit trail only grew, and the only new customers are the stored payloads.
    const end = await state()
    assert.deepEqual(end.tables, start.tables)
    const founders = new Set(end.profiles.filter((p) => !start.profiles.some((s) => s.id === p.id)).map((p) => p.id))
    assert.deepEqual(end.profiles.filter((p) => !founders.has(p.id)), start.profiles, 'roles and memberships unchanged')
    assert.ok(start.auditIds.every((id) => end.auditIds.includes(id)), 'no audit row was deleted')
    const customers = await db.selectFrom('customers').select('id').execute()
    assert.deepEqual(customers.map((c) => c.id).sort(), [...startCustomers.map((c) => c.id), ...storedCustomers].sort())
    tried += attacks
    t.diagnostic(`${attacks} injection attempts: ${stored} stored verbatim, ${refusedCount} refused or matched nothing; nothing executed`)
  })
})

describe('summary', () => {
  it('counts the attempts', (t) => {
    t.diagnostic(`${tried} bad inputs and attacks tried`)
  })
})
