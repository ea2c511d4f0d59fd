// Model-based fuzzing of the tenant promise. fast-check generates sequences of operations (reads,
// inserts, updates, soft deletes, restores, hard deletes, role changes, removals, organization
// creation, renames, preferences, AI usage, sign-ups) by random actors (the users of three or more
// organizations, outsiders, anon, service_role, the system) through the typed flows of lib/db and
// plain Kysely in asUser/asAnon/asService/asSystem. A model predicts each outcome (success, rows
// touched, or which typed error), and after every step the test checks:
//   - the result is the predicted one;
//   - the step wrote exactly the rows the model expected, in every table, and deleted exactly the
//     expected number (a fingerprint: row counts plus the rows whose xmin is newer than the step), so
//     a denied operation changed nothing at all;
//   - the audit rows it added are exactly the expected ones: one per changed row, with the row's
//     organization and the acting user (NULL for service/system);
//   - the actor sees exactly the rows the model says, so never a row of another organization (prior
//     runs' organizations stay in the database as further tenants), nor a soft-deleted row;
//   - customers' total_revenue and last_purchase_date equal their live revenue.
// At the end of each run every actor of the run is swept, and the whole database is checked for
// cross-tenant rows.
//
// Reproduce: the seed of a failing run is printed with its path; replay it with
//   FUZZ_SEED=<seed> FUZZ_PATH=<path> FUZZ_REPLAY_PATH=<replayPath> node --import tsx --test test/isolation-fuzz.test.ts
// FUZZ_SEED alone replays a whole session; FUZZ_MIN_OPS changes the number of operations (default 2000).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { type Kysely, sql, type Transaction } from 'kysely'
import {
  ACTIVITY_TYPES, type ActivityType, asAnon, asService, asSystem, asUser, changeRole, ConflictError, createOrganization, CUSTOMER_STATUSES, type CustomerStatus, type Database, DbError, getPreferences, InvalidInputError, listDeleted, NotAuthorizedError, NotFoundError, type ProfileRole, readAuditTrail, recordAiUsage, removeMember, restore, setPreferences, softDelete, type SoftDeleteTable, THEME_PREFERENCES, type ThemePreference,
} from '../lib/db/index.js'
import { freshDb, onServer, type TestDb } from './support/db.js'
import {
  type Counts, crossTenantRows, fingerprint, inconsistentCustomers, TRACKED, type Tracked, writtenSince,
} from './support/invariants.js'

const MIN_OPS = Number(process.env.FUZZ_MIN_OPS ?? 2000)
const RUNS_PER_CHUNK = 10
const MAX_COMMANDS = 80

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------
interface MUser { id: string; org: string | null; role: ProfileRole; theme: ThemePreference | null; fullName: string }
interface MOrg { id: string; slug: string; name: string }
interface MCustomer { id: string; org: string; name: string; status: CustomerStatus; deleted: boolean }
interface MRevenue { id: string; org: string; customer: string | null; cents: number; date: string; deleted: boolean }
interface MActivity { id: string; org: string; customer: string | null; type: ActivityType; deleted: boolean }
interface MUsage { id: string; org: string; user: string }
type MBiz = MCustomer | MRevenue | MActivity

interface Model {
  tag: string
  orgs: MOrg[]
  users: MUser[]
  customers: MCustomer[]
  revenue: MRevenue[]
  activities: MActivity[]
  usage: MUsage[]
  /** Audit rows filed under each organization of the run. */
  audit: Map<string, number>
  slugs: number
}

interface Real {
  db: Kysely<Database>
  marker: string
  counts: Counts
}

type Actor =
  | { kind: 'user'; user: MUser }
  | { kind: 'anon' }
  | { kind: 'service' }
  | { kind: 'system' }

const BIZ_TABLES = ['customers', 'revenue', 'activities'] as const satisfies readonly SoftDeleteTable[]

function rowsOf(m: Model, table: SoftDeleteTable): MBiz[] {
  return table === 'customers' ? m.customers : table === 'revenue' ? m.revenue : m.activities
}

function actorLabel(a: Actor): string {
  if (a.kind !== 'user') return a.kind
  return `${a.user.role}${a.user.org ? '' : '(no org)'}:${a.user.id.slice(0, 8)}`
}

function actorId(a: Actor): string | null {
  return a.kind === 'user' ? a.user.id : null
}

function trusted(a: Actor): boolean {
  return a.kind === 'service' || a.kind === 'system'
}

/** The organization whose admin the actor is, if any. */
function adminOrg(a: Actor): string | null {
  return a.kind === 'user' && a.user.role === 'admin' ? a.user.org : null
}

function isAdminOf(a: Actor, org: string): boolean {
  return adminOrg(a) === org
}

function session<T>(db: Kysely<Database>, a: Actor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  switch (a.kind) {
    case 'user': return asUser(db, a.user.id, fn)
    case 'anon': return asAnon(db, fn)
    case 'service': return asService(db, fn)
    case 'system': return asSystem(db, fn)
  }
}

/** A well-formed uuid that names no row. */
function unknownId(n: number): string {
  return `00000000-0000-4000-8000-${String(n % 1e12).padStart(12, '0')}`
}

function at<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[Math.abs(Math.trunc(n)) % list.length]
}

/**
 * Mostly users, a third of them from `prefer` (admins unless said otherwise); now and then anon,
 * service_role or the system. `trustedShare` raises the share of service/system for server-side work.
 */
function pickActor(
  m: Model, n: number, prefer: (u: MUser) => boolean = (u) => u.role === 'admin' && u.org !== null, trustedShare = 0, preferShare = 8,
): Actor {
  if (trustedShare > 0 && n % 100 < trustedShare) return n % 2 === 0 ? { kind: 'service' } : { kind: 'system' }
  const k = n % 24
  if (k === 0) return { kind: 'anon' }
  if (k === 1) return { kind: 'service' }
  if (k === 2) return { kind: 'system' }
  const pool = k < 3 + preferShare ? m.users.filter(prefer) : m.users
  const user = at(pool, Math.floor(n / 24)) ?? at(m.users, n)
  if (!user) throw new Error('a run has users')
  return { kind: 'user', user }
}

function actorFor(m: Model, op: Op): Actor {
  switch (op.kind) {
    case 'signUp': return { kind: 'system' }
    case 'createOrg': return pickActor(m, op.actor, (u) => u.org === null)
    case 'aiUsage': return pickActor(m, op.actor, undefined, 50)
    case 'softDelete':
    case 'restore':
    case 'softDeleteByUpdate':
    case 'deleteRaw': return pickActor(m, op.actor, undefined, 0, 14)
    default: return pickActor(m, op.actor)
  }
}

function actorOrg(a: Actor): string | null {
  return a.kind === 'user' ? a.user.org : null
}

/** Mostly the actor's own organization, else any of the run, now and then one that does not exist. */
function pickOrg(m: Model, a: Actor, n: number): { id: string; known: boolean } {
  const r = n % 10
  if (r === 9) return { id: unknownId(n), known: false }
  const own = actorOrg(a)
  if (r < 5 && own) return { id: own, known: true }
  const org = at(m.orgs, Math.floor(n / 10))
  return org ? { id: org.id, known: true } : { id: unknownId(n), known: false }
}

/**
 * Mostly a row of the actor's organization (of those `prefer` accepts, when there are any), else any
 * row of the run, now and then an unknown id.
 */
function pickRow<R extends { org: string }>(rows: readonly R[], a: Actor, n: number, prefer: (row: R) => boolean = () => true): R | undefined {
  const r = n % 10
  if (r === 9) return undefined
  const own = actorOrg(a)
  const mine = own ? rows.filter((x) => x.org === own) : []
  const preferred = mine.filter(prefer)
  return (r < 6 ? at(preferred.length > 0 ? preferred : mine, Math.floor(n / 10)) : undefined) ?? at(rows, Math.floor(n / 10))
}

function pickUser(m: Model, a: Actor, n: number): MUser | undefined {
  const r = n % 10
  if (r === 9) return undefined
  if (r === 0 && a.kind === 'user') return a.user
  const own = actorOrg(a)
  const colleagues = own ? m.users.filter((u) => u.org === own) : []
  return (r < 5 ? at(colleagues, Math.floor(n / 10)) : undefined) ?? at(m.users, Math.floor(n / 10))
}

/** The customer for a new or moved revenue/activity row: none, one of the target org, or any. */
function pickCustomer(m: Model, org: string, n: number): MCustomer | null {
  const r = n % 10
  if (r === 0) return null
  const same = m.customers.filter((c) => c.org === org)
  return (r < 7 ? at(same, Math.floor(n / 10)) : at(m.customers, Math.floor(n / 10))) ?? null
}

function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

function dayOf(n: number): string {
  return new Date(Date.UTC(2025, 0, 1 + (n % 700))).toISOString().slice(0, 10)
}

function totalsOf(m: Model, customer: string): { total: number; last: string | null } {
  let total = 0
  let last: string | null = null
  for (const r of m.revenue) {
    if (r.customer !== customer || r.deleted) continue
    total += r.cents
    if (last === null || r.date > last) last = r.date
  }
  return { total, last }
}

function otherAdmins(m: Model, org: string, except: string): number {
  return m.users.filter((u) => u.org === org && u.role === 'admin' && u.id !== except).length
}

// ---------------------------------------------------------------------------------------------
// Expected effects of a step, and their verification
// ---------------------------------------------------------------------------------------------
class Effects {
  readonly written = new Map<Tracked, string[]>()
  readonly delta = new Map<Tracked, number>()
  readonly audit: string[] = []

  write(table: Tracked, id: string): this {
    const list = this.written.get(table) ?? []
    list.push(id)
    this.written.set(table, list)
    return this
  }

  count(table: Tracked, by: number): this {
    this.delta.set(table, (this.delta.get(table) ?? 0) + by)
    return this
  }

  audited(m: Model, table: string, action: string, record: string, org: string, user: string | null): this {
    this.audit.push([table, action, record, org, user ?? 'system'].join('|'))
    m.audit.set(org, (m.audit.get(org) ?? 0) + 1)
    return this
  }

  /** Customers whose derived figures change between two snapshots of their totals. */
  totals(m: Model, before: Map<string, { total: number; last: string | null }>): this {
    for (const [id, was] of before) {
      const now = totalsOf(m, id)
      if (now.total !== was.total || now.last !== was.last) this.write('customers', id)
    }
    return this
  }
}

function snapshotTotals(m: Model, ids: Iterable<string | null>): Map<string, { total: number; last: string | null }> {
  const out = new Map<string, { total: number; last: string | null }>()
  for (const id of ids) if (id !== null && m.customers.some((c) => c.id === id)) out.set(id, totalsOf(m, id))
  return out
}

function sorted(list: readonly string[]): string[] {
  return [...list].sort()
}

type ErrorClass = typeof NotAuthorizedError | typeof NotFoundError | typeof InvalidInputError | typeof ConflictError
type Want = 'ok' | ErrorClass
type Got<T> = { ok: true; value: T } | { ok: false; error: unknown }

async function attempt<T>(fn: () => Promise<T>): Promise<Got<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    return { ok: false, error }
  }
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/** Asserts the outcome and returns the value on success (undefined when an error was expected). */
function expectOutcome<T>(label: string, want: Want, got: Got<T>): T | undefined {
  count(label.split(' ')[0] ?? '?', got.ok)
  if (want === 'ok') {
    if (!got.ok) assert.fail(`${label}: expected success, got ${describeError(got.error)}`)
    return got.value
  }
  if (got.ok) assert.fail(`${label}: expected ${want.name}, but it succeeded`)
  const e = got.error
  if (!(e instanceof DbError) || e.constructor !== want) assert.fail(`${label}: expected ${want.name}, got ${describeError(e)}`)
  return undefined
}

interface Visible {
  organizations: string[]
  profiles: string[]
  customers: string[]
  revenue: string[]
  activities: string[]
  ai_usage_log: string[]
  user_preferences: string[]
  audit_count: number
  audit_orgs: string[]
  trash_customers: string[]
  trash_revenue: string[]
  trash_activities: string[]
}

const VISIBLE_LISTS = [
  'organizations', 'profiles', 'customers', 'revenue', 'activities', 'ai_usage_log', 'user_preferences', 'audit_orgs',
  'trash_customers', 'trash_revenue', 'trash_activities',
] as const satisfies readonly (keyof Visible)[]

/** What the model says an actor sees: their organization's live rows, their own rows, nothing else. */
function expectedVisible(m: Model, a: Actor): Visible {
  const none: Visible = {
    organizations: [], profiles: [], customers: [], revenue: [], activities: [], ai_usage_log: [], user_preferences: [],
    audit_count: 0, audit_orgs: [], trash_customers: [], trash_revenue: [], trash_activities: [],
  }
  if (a.kind !== 'user') return none
  const u = a.user
  const org = u.org
  const admin = org !== null && u.role === 'admin'
  const live = (rows: readonly MBiz[]) => rows.filter((r) => r.org === org && !r.deleted).map((r) => r.id)
  const trash = (rows: readonly MBiz[]) => (admin ? rows.filter((r) => r.org === org && r.deleted).map((r) => r.id) : [])
  const auditCount = admin && org ? m.audit.get(org) ?? 0 : 0
  return {
    organizations: org ? [org] : [],
    profiles: org ? m.users.filter((x) => x.org === org || x.id === u.id).map((x) => x.id) : [u.id],
    customers: live(m.customers),
    revenue: live(m.revenue),
    activities: live(m.activities),
    ai_usage_log: org ? m.usage.filter((x) => x.org === org && (admin || x.user === u.id)).map((x) => x.id) : [],
    user_preferences: u.theme !== null ? [u.id] : [],
    audit_count: auditCount,
    audit_orgs: auditCount > 0 && org ? [org] : [],
    trash_customers: trash(m.customers),
    trash_revenue: trash(m.revenue),
    trash_activities: trash(m.activities),
  }
}

/** What the actor sees, every table in one statement (the trash functions are not executable by anon). */
async function observeVisible(db: Kysely<Database>, a: Actor): Promise<Visible> {
  const trash = a.kind === 'anon'
    ? sql`'{}'::text[] as trash_customers, '{}'::text[] as trash_revenue, '{}'::text[] as trash_activities`
    : sql`array(select id::text from public.deleted_customers()) as trash_customers,
          array(select id::text from public.deleted_revenue()) as trash_revenue,
          array(select id::text from public.deleted_activities()) as trash_activities`
  return session(db, a, async (trx) => {
    const r = await sql<Visible>`
      select array(select id::text from public.organizations) as organizations,
             array(select id::text from public.profiles) as profiles,
             array(select id::text from public.customers) as customers,
             array(select id::text from public.revenue) as revenue,
             array(select id::text from public.activities) as activities,
             array(select id::text from public.ai_usage_log) as ai_usage_log,
             array(select user_id::text from public.user_preferences) as user_preferences,
             (select count(*)::int from public.audit_logs) as audit_count,
             array(select distinct organization_id::text from public.audit_logs) as audit_orgs,
             ${trash}`.execute(trx)
    const row = r.rows[0]
    if (!row) throw new Error('visibility query returned no row')
    return row
  })
}

async function checkVisible(m: Model, db: Kysely<Database>, a: Actor, label: string): Promise<void> {
  const seen = await observeVisible(db, a)
  const want = expectedVisible(m, a)
  const own = actorOrg(a)
  assert.equal(seen.audit_count, want.audit_count, `${label}: ${actorLabel(a)} sees ${seen.audit_count} audit rows, expected ${want.audit_count}`)
  for (const key of VISIBLE_LISTS) {
    const s = seen[key]
    const w = want[key]
    const extra = s.filter((id) => !w.includes(id))
    const missing = w.filter((id) => !s.includes(id))
    if (extra.length > 0 || missing.length > 0) {
      assert.fail(`${label}: ${actorLabel(a)} (org ${own ?? 'none'}) ${key}: ` +
        `${extra.length} row(s) visible that must not be (${extra.slice(0, 3).join(', ')}), ` +
        `${missing.length} row(s) missing (${missing.slice(0, 3).join(', ')})`)
    }
  }
}

/** After a step: the write set, counts and audit delta are the expected ones; totals are consistent. */
async function verifyStep(m: Model, r: Real, a: Actor, label: string, eff: Effects): Promise<void> {
  const written = await writtenSince(r.db, r.marker)
  const fp = await fingerprint(r.db)
  for (const table of TRACKED) {
    if (table === 'audit_logs') continue
    const got = sorted(written.filter((w) => w.table === table).map((w) => w.id))
    const want = sorted([...new Set(eff.written.get(table) ?? [])])
    assert.deepEqual(got, want, `${label}: rows written in ${table}`)
    assert.equal(fp.counts[table], r.counts[table] + (eff.delta.get(table) ?? 0), `${label}: row count of ${table}`)
  }
  const audit = sorted(written.filter((w) => w.table === 'audit_logs').map((w) => w.audit ?? ''))
  assert.deepEqual(audit, sorted(eff.audit), `${label}: audit rows added`)
  assert.equal(fp.counts.audit_logs, r.counts.audit_logs + eff.audit.length, `${label}: audit row count`)
  assert.deepEqual(await inconsistentCustomers(r.db, m.orgs.map((o) => o.id)), [], `${label}: derived customer figures`)
  if (a.kind === 'user' || a.kind === 'anon') await checkVisible(m, r.db, a, label)
  r.marker = fp.marker
  r.counts = fp.counts
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------
const READ_TARGETS = [
  'organizations', 'profiles', 'customers', 'revenue', 'activities', 'ai_usage_log', 'user_preferences', 'audit_logs',
  'trash', 'audit_trail', 'preferences',
] as const

// Names that must be stored as data: quotes, SQL, unicode.
const nameArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 24 }),
  fc.constantFrom("'); drop table customers; --", 'Robert"); delete from profiles; --', "O'Brien & Søn", '名前 🚀', '$$; select 1; $$'),
).map((s) => (s.trim() === '' ? `x${s}` : s))

type Op =
  | { kind: 'read'; actor: number; target: (typeof READ_TARGETS)[number]; table: SoftDeleteTable }
  | { kind: 'insertCustomer'; actor: number; org: number; name: string; status: CustomerStatus }
  | { kind: 'insertRevenue'; actor: number; org: number; customer: number; cents: number; day: number }
  | { kind: 'insertActivity'; actor: number; org: number; customer: number; type: ActivityType }
  | { kind: 'updateCustomer'; actor: number; row: number; name: string; status: CustomerStatus }
  | { kind: 'updateRevenue'; actor: number; row: number; cents: number; day: number; customer: number }
  | { kind: 'updateActivity'; actor: number; row: number; type: ActivityType }
  | { kind: 'moveRow'; actor: number; table: SoftDeleteTable; row: number; org: number }
  | { kind: 'softDelete'; actor: number; table: SoftDeleteTable; row: number }
  | { kind: 'deleteRaw'; actor: number; table: SoftDeleteTable; row: number }
  | { kind: 'softDeleteByUpdate'; actor: number; table: SoftDeleteTable; row: number }
  | { kind: 'removeByUpdate'; actor: number; target: number }
  | { kind: 'restore'; actor: number; table: SoftDeleteTable; row: number }
  | { kind: 'changeRole'; actor: number; target: number; role: ProfileRole }
  | { kind: 'removeMember'; actor: number; target: number }
  | { kind: 'createOrg'; actor: number; name: string; takenSlug: boolean }
  | { kind: 'renameOrg'; actor: number; org: number; name: string }
  | { kind: 'setTheme'; actor: number; theme: ThemePreference }
  | { kind: 'updateTheme'; actor: number; target: number; theme: ThemePreference }
  | { kind: 'setName'; actor: number; target: number; name: string }
  | { kind: 'aiUsage'; actor: number; user: number; org: number; tokens: number }
  | { kind: 'signUp' }

const n = fc.nat({ max: 1_000_000 })
const table = fc.constantFrom(...BIZ_TABLES)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), actor: n, target: fc.constantFrom(...READ_TARGETS), table }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insertCustomer' as const), actor: n, org: n, name: nameArb, status: fc.constantFrom(...CUSTOMER_STATUSES) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insertRevenue' as const), actor: n, org: n, customer: n, cents: fc.integer({ min: -50_000, max: 5_000_000 }), day: n }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insertActivity' as const), actor: n, org: n, customer: n, type: fc.constantFrom(...ACTIVITY_TYPES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('updateCustomer' as const), actor: n, row: n, name: nameArb, status: fc.constantFrom(...CUSTOMER_STATUSES) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('updateRevenue' as const), actor: n, row: n, cents: fc.integer({ min: -50_000, max: 5_000_000 }), day: n, customer: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('updateActivity' as const), actor: n, row: n, type: fc.constantFrom(...ACTIVITY_TYPES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('moveRow' as const), actor: n, table, row: n, org: n }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('softDelete' as const), actor: n, table, row: n }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteRaw' as const), actor: n, table, row: n }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('restore' as const), actor: n, table, row: n }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('softDeleteByUpdate' as const), actor: n, table, row: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeByUpdate' as const), actor: n, target: n }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('changeRole' as const), actor: n, target: n, role: fc.constantFrom<ProfileRole>('admin', 'member') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeMember' as const), actor: n, target: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createOrg' as const), actor: n, name: nameArb, takenSlug: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameOrg' as const), actor: n, org: n, name: nameArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setTheme' as const), actor: n, theme: fc.constantFrom(...THEME_PREFERENCES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('updateTheme' as const), actor: n, target: n, theme: fc.constantFrom(...THEME_PREFERENCES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setName' as const), actor: n, target: n, name: nameArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('aiUsage' as const), actor: n, user: n, org: n, tokens: fc.nat({ max: 100_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signUp' as const) }) },
)

let opsRun = 0
let runsDone = 0
/** Outcomes by operation, for the summary: how many succeeded (changed or not) and were refused. */
const tally = new Map<string, { ok: number; refused: number }>()

function count(kind: string, ok: boolean): void {
  const t = tally.get(kind) ?? { ok: 0, refused: 0 }
  if (ok) t.ok++
  else t.refused++
  tally.set(kind, t)
}

/** Executes one operation against the database and the model, then verifies the step. */
async function execute(op: Op, m: Model, r: Real): Promise<void> {
  opsRun++
  const db = r.db
  const a = actorFor(m, op)
  const label = `${op.kind} by ${actorLabel(a)}`
  const eff = new Effects()
  const uid = actorId(a)

  switch (op.kind) {
    case 'read': {
      await readOp(m, db, a, op.target, op.table, label)
      if (!['trash', 'audit_trail', 'preferences'].includes(op.target)) count('read', true)
      break
    }

    case 'insertCustomer': {
      const org = pickOrg(m, a, op.org)
      const want: Want = trusted(a) ? (org.known ? 'ok' : InvalidInputError) : isAdminOf(a, org.id) ? 'ok' : NotAuthorizedError
      const got = await attempt(() => session(db, a, (trx) =>
        trx.insertInto('customers').values({ organization_id: org.id, name: op.name, status: op.status }).returning('id').executeTakeFirstOrThrow()))
      const row = expectOutcome(label, want, got)
      if (row) {
        m.customers.push({ id: row.id, org: org.id, name: op.name, status: op.status, deleted: false })
        eff.write('customers', row.id).count('customers', 1).audited(m, 'customers', 'INSERT', row.id, org.id, uid)
      }
      break
    }

    case 'insertRevenue':
    case 'insertActivity': {
      const org = pickOrg(m, a, op.org)
      const customer = pickCustomer(m, org.id, op.customer)
      const writer = trusted(a) || isAdminOf(a, org.id)
      const want: Want = !writer ? NotAuthorizedError : !org.known || (customer && customer.org !== org.id) ? InvalidInputError : 'ok'
      const customerId = customer?.id ?? null
      if (op.kind === 'insertRevenue') {
        const amount = centsToDecimal(op.cents)
        const date = dayOf(op.day)
        const got = await attempt(() => session(db, a, (trx) =>
          trx.insertInto('revenue').values({ organization_id: org.id, customer_id: customerId, amount, date, category: 'fuzz' })
            .returning('id').executeTakeFirstOrThrow()))
        const row = expectOutcome(`${label} (customer ${customer ? (customer.org === org.id ? 'same org' : 'other org') : 'none'})`, want, got)
        if (row) {
          m.revenue.push({ id: row.id, org: org.id, customer: customerId, cents: op.cents, date, deleted: false })
          eff.write('revenue', row.id).count('revenue', 1).audited(m, 'revenue', 'INSERT', row.id, org.id, uid)
          // The insert trigger adds to the customer's figures with an UPDATE, whatever the amount.
          if (customerId) eff.write('customers', customerId)
        }
      } else {
        const got = await attempt(() => session(db, a, (trx) =>
          trx.insertInto('activities').values({ organization_id: org.id, customer_id: customerId, type: op.type, metadata: { fuzz: true, by: uid } })
            .returning('id').executeTakeFirstOrThrow()))
        const row = expectOutcome(label, want, got)
        if (row) {
          m.activities.push({ id: row.id, org: org.id, customer: customerId, type: op.type, deleted: false })
          eff.write('activities', row.id).count('activities', 1).audited(m, 'activities', 'INSERT', row.id, org.id, uid)
        }
      }
      break
    }

    case 'updateCustomer': {
      const c = pickRow(m.customers, a, op.row)
      const id = c?.id ?? unknownId(op.row)
      const hits = c && ((isAdminOf(a, c.org) && !c.deleted) || trusted(a)) ? 1n : 0n
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('customers').set({ name: op.name, status: op.status }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(label, 'ok', got)
      assert.equal(res?.numUpdatedRows, hits, `${label}: rows updated`)
      if (c && hits === 1n) {
        eff.write('customers', c.id)
        if (c.name !== op.name || c.status !== op.status) eff.audited(m, 'customers', 'UPDATE', c.id, c.org, uid)
        c.name = op.name
        c.status = op.status
      }
      break
    }

    case 'updateRevenue': {
      const rv = pickRow(m.revenue, a, op.row)
      const id = rv?.id ?? unknownId(op.row)
      const writable = rv !== undefined && ((isAdminOf(a, rv.org) && !rv.deleted) || trusted(a))
      const customer = rv ? pickCustomer(m, rv.org, op.customer) : null
      const customerId = customer?.id ?? null
      const want: Want = writable && customer && rv && customer.org !== rv.org ? InvalidInputError : 'ok'
      const amount = centsToDecimal(op.cents)
      const date = dayOf(op.day)
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('revenue').set({ amount, date, customer_id: customerId }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(label, want, got)
      if (want === 'ok') assert.equal(res?.numUpdatedRows, writable ? 1n : 0n, `${label}: rows updated`)
      if (rv && writable && want === 'ok') {
        const changed = rv.cents !== op.cents || rv.date !== date || rv.customer !== customerId
        const before = snapshotTotals(m, changed ? [rv.customer, customerId] : [])
        eff.write('revenue', rv.id)
        if (changed) eff.audited(m, 'revenue', 'UPDATE', rv.id, rv.org, uid)
        rv.cents = op.cents
        rv.date = date
        rv.customer = customerId
        eff.totals(m, before)
      }
      break
    }

    case 'updateActivity': {
      const act = pickRow(m.activities, a, op.row)
      const id = act?.id ?? unknownId(op.row)
      const hits = act && ((isAdminOf(a, act.org) && !act.deleted) || trusted(a)) ? 1n : 0n
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('activities').set({ type: op.type }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(label, 'ok', got)
      assert.equal(res?.numUpdatedRows, hits, `${label}: rows updated`)
      if (act && hits === 1n) {
        eff.write('activities', act.id)
        if (act.type !== op.type) eff.audited(m, 'activities', 'UPDATE', act.id, act.org, uid)
        act.type = op.type
      }
      break
    }

    case 'moveRow': {
      // Moving a row to another organization is refused to everyone who can reach the row, the
      // system included (reject_key_change); everyone else's UPDATE matches no row.
      const row = pickRow(rowsOf(m, op.table), a, op.row)
      const others = m.orgs.filter((o) => o.id !== row?.org)
      const target = at(others, op.org)?.id ?? unknownId(op.org)
      const reachable = row !== undefined && ((isAdminOf(a, row.org) && !row.deleted) || trusted(a))
      const id = row?.id ?? unknownId(op.row)
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable(op.table).set({ organization_id: target }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(`${label} (${op.table})`, reachable ? NotAuthorizedError : 'ok', got)
      if (res) assert.equal(res.numUpdatedRows, 0n, `${label}: rows updated`)
      break
    }

    case 'softDelete':
    case 'restore': {
      const deleting = op.kind === 'softDelete'
      const row = pickRow<MBiz>(rowsOf(m, op.table), a, op.row, (x) => x.deleted !== deleting)
      const id = row?.id ?? unknownId(op.row)
      const mine = adminOrg(a)
      const want: Want = mine === null ? NotAuthorizedError
        : row && row.org === mine && row.deleted !== deleting ? 'ok' : NotFoundError
      const got = await attempt(() => session(db, a, (trx) => (deleting ? softDelete : restore)(trx, op.table, id)))
      expectOutcome(`${label} (${op.table})`, want, got)
      if (row && want === 'ok') applySoftDelete(m, eff, op.table, row, deleting, uid)
      break
    }

    case 'deleteRaw': {
      // An API user's DELETE is a soft delete (and reports 0 rows); service and system delete for real.
      const row = pickRow(rowsOf(m, op.table), a, op.row)
      const id = row?.id ?? unknownId(op.row)
      const got = await attempt(() => session(db, a, (trx) => trx.deleteFrom(op.table).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(`${label} (${op.table})`, 'ok', got)
      if (trusted(a)) {
        assert.equal(res?.numDeletedRows, row ? 1n : 0n, `${label}: rows deleted`)
        if (row) applyHardDelete(m, eff, op.table, row)
      } else {
        assert.equal(res?.numDeletedRows, 0n, `${label}: rows deleted`)
        if (row && isAdminOf(a, row.org) && !row.deleted) applySoftDelete(m, eff, op.table, row, true, uid)
      }
      break
    }

    case 'softDeleteByUpdate': {
      // `UPDATE ... SET deleted_at = now()`: an admin's becomes a soft delete (0 rows reported);
      // service and system update the row like any other column (a second time: a plain UPDATE).
      const row = pickRow<MBiz>(rowsOf(m, op.table), a, op.row, (x) => !x.deleted)
      const id = row?.id ?? unknownId(op.row)
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable(op.table).set({ deleted_at: sql<Date>`now()` }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(`${label} (${op.table})`, 'ok', got)
      if (trusted(a)) {
        assert.equal(res?.numUpdatedRows, row ? 1n : 0n, `${label}: rows updated`)
        if (row && !row.deleted) applySoftDelete(m, eff, op.table, row, true, uid)
        else if (row) eff.write(op.table, row.id).audited(m, op.table, 'UPDATE', row.id, row.org, uid)
      } else {
        assert.equal(res?.numUpdatedRows, 0n, `${label}: rows updated`)
        if (row && isAdminOf(a, row.org) && !row.deleted) applySoftDelete(m, eff, op.table, row, true, uid)
      }
      break
    }

    case 'removeByUpdate': {
      // `UPDATE profiles SET organization_id = NULL`: an admin's removal of a colleague is carried out
      // by remove_member() (0 rows reported); one's own leaves through the guard (1 row).
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const mine = adminOrg(a)
      let want: Want = 'ok'
      let hits = 0n
      let removes = false
      if (target && (trusted(a) || (a.kind === 'user' && a.user.id === target.id))) {
        if (target.org === null) hits = 1n
        else if (!trusted(a) && mine !== target.org) want = NotAuthorizedError
        else if (target.role === 'admin' && otherAdmins(m, target.org, target.id) === 0) want = InvalidInputError
        else {
          hits = 1n
          removes = true
        }
      } else if (target && mine !== null && target.org === mine) removes = true
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('profiles').set({ organization_id: null }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(label, want, got)
      if (res) assert.equal(res.numUpdatedRows, hits, `${label}: rows updated`)
      if (target && want === 'ok' && (hits === 1n || removes)) {
        eff.write('profiles', target.id)
        if (removes && target.org) {
          eff.audited(m, 'profiles', 'UPDATE', target.id, target.org, uid)
          target.org = null
          target.role = 'member'
        }
      }
      break
    }

    case 'changeRole': {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      let want: Want
      if (!target) want = NotAuthorizedError
      else if (a.kind === 'user') {
        const me = a.user
        if (target.id === me.id) {
          want = op.role === me.role ? 'ok'
            : adminOrg(a) === null ? NotAuthorizedError
            : otherAdmins(m, me.org ?? '', me.id) > 0 ? 'ok' : InvalidInputError
        } else {
          want = adminOrg(a) !== null && target.org === adminOrg(a) ? 'ok' : NotAuthorizedError
        }
      } else if (a.kind === 'anon') want = NotAuthorizedError
      else if (op.role === target.role || target.org === null) want = 'ok'
      else if (target.role === 'admin' && otherAdmins(m, target.org, target.id) === 0) want = InvalidInputError
      else want = 'ok'
      const got = await attempt(() => session(db, a, (trx) => changeRole(trx, id, op.role)))
      expectOutcome(`${label} (${target ? `${target.role}${target.org ? '' : ', no org'}` : 'unknown'} -> ${op.role})`, want, got)
      if (target && want === 'ok') {
        eff.write('profiles', target.id)
        // An outsider's role change belongs to no organization's trail: not audited.
        if (target.role !== op.role && target.org) eff.audited(m, 'profiles', 'UPDATE', target.id, target.org, uid)
        target.role = op.role
      }
      break
    }

    case 'removeMember': {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const mine = adminOrg(a)
      const want: Want = a.kind !== 'user' || mine === null || !target || target.org !== mine ? NotAuthorizedError
        : target.role === 'admin' && otherAdmins(m, mine, target.id) === 0 ? InvalidInputError : 'ok'
      const got = await attempt(() => session(db, a, (trx) => removeMember(trx, id)))
      expectOutcome(label, want, got)
      if (target && mine && want === 'ok') {
        eff.write('profiles', target.id).audited(m, 'profiles', 'UPDATE', target.id, mine, uid)
        target.org = null
        target.role = 'member'
      }
      break
    }

    case 'createOrg': {
      const taken = op.takenSlug ? m.orgs[m.slugs % m.orgs.length]?.slug : undefined
      const slug = taken ?? `${m.tag}-o${++m.slugs}`
      const want: Want = a.kind !== 'user' ? NotAuthorizedError : a.user.org !== null || taken !== undefined ? ConflictError : 'ok'
      const got = await attempt(() => session(db, a, (trx) => createOrganization(trx, { name: op.name, slug })))
      const orgId = expectOutcome(`${label} (slug ${taken ? 'taken' : 'new'})`, want, got)
      if (orgId && a.kind === 'user') {
        m.orgs.push({ id: orgId, slug, name: op.name })
        eff.write('organizations', orgId).count('organizations', 1).write('profiles', a.user.id)
          .audited(m, 'profiles', 'UPDATE', a.user.id, orgId, a.user.id)
        a.user.org = orgId
        a.user.role = 'admin'
      }
      break
    }

    case 'renameOrg': {
      const org = pickOrg(m, a, op.org)
      const model = m.orgs.find((o) => o.id === org.id)
      const hits = model && (trusted(a) || isAdminOf(a, org.id)) ? 1n : 0n
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('organizations').set({ name: op.name }).where('id', '=', org.id).executeTakeFirst()))
      const res = expectOutcome(label, 'ok', got)
      assert.equal(res?.numUpdatedRows, hits, `${label}: rows updated`)
      if (model && hits === 1n) {
        eff.write('organizations', model.id)
        if (model.name !== op.name) eff.audited(m, 'organizations', 'UPDATE', model.id, model.id, uid)
        model.name = op.name
      }
      break
    }

    case 'setTheme': {
      const got = await attempt(() => session(db, a, (trx) => setPreferences(trx, { theme_preference: op.theme })))
      const row = expectOutcome(label, a.kind === 'user' ? 'ok' : NotAuthorizedError, got)
      if (row && a.kind === 'user') {
        assert.equal(row.user_id, a.user.id)
        eff.write('user_preferences', a.user.id).count('user_preferences', a.user.theme === null ? 1 : 0)
        a.user.theme = op.theme
      }
      break
    }

    case 'updateTheme': {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const hits = target && target.theme !== null && (trusted(a) || (a.kind === 'user' && a.user.id === target.id)) ? 1n : 0n
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('user_preferences').set({ theme_preference: op.theme }).where('user_id', '=', id).executeTakeFirst()))
      const res = expectOutcome(label, 'ok', got)
      assert.equal(res?.numUpdatedRows, hits, `${label}: rows updated`)
      if (target && hits === 1n) {
        eff.write('user_preferences', target.id)
        target.theme = op.theme
      }
      break
    }

    case 'setName': {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const fullName = `fz ${op.name}`.slice(0, 200)
      let want: Want = 'ok'
      let hits = 0n
      if (target && (trusted(a) || (a.kind === 'user' && a.user.id === target.id))) hits = 1n
      else if (target && a.kind === 'user' && adminOrg(a) !== null && target.org === adminOrg(a)) {
        // An admin reaches a colleague's row, but names are the user's own business.
        if (target.fullName !== fullName) want = NotAuthorizedError
        else hits = 1n
      }
      const got = await attempt(() => session(db, a, (trx) =>
        trx.updateTable('profiles').set({ full_name: fullName }).where('id', '=', id).executeTakeFirst()))
      const res = expectOutcome(label, want, got)
      if (res) assert.equal(res.numUpdatedRows, hits, `${label}: rows updated`)
      if (target && hits === 1n) {
        eff.write('profiles', target.id)
        target.fullName = fullName
      }
      break
    }

    case 'aiUsage': {
      const user = pickUser(m, a, op.user)
      const userId = user?.id ?? unknownId(op.user)
      const org = pickOrg(m, a, op.org)
      const want: Want = !trusted(a) ? NotAuthorizedError : org.known ? 'ok' : InvalidInputError
      const got = await attempt(() => session(db, a, (trx) => recordAiUsage(trx, {
        userId, organizationId: org.id, queryId: randomUUID(), model: 'fuzz-model', inputTokens: op.tokens, outputTokens: op.tokens % 997,
        costUsd: '0.0100',
      })))
      const row = expectOutcome(label, want, got)
      if (row) {
        m.usage.push({ id: row.id, org: org.id, user: userId })
        eff.write('ai_usage_log', row.id).count('ai_usage_log', 1)
      }
      break
    }

    case 'signUp': {
      const id = randomUUID()
      await sql`insert into auth.users (id, email, raw_user_meta_data, created_at, updated_at)
                values (${id}, ${`signup-${id}@fuzz.example`}, '{"full_name": "signed up"}'::jsonb, now(), now())`.execute(db)
      m.users.push({ id, org: null, role: 'member', theme: null, fullName: 'signed up' })
      eff.write('auth_users', id).count('auth_users', 1).write('profiles', id).count('profiles', 1)
      break
    }
  }
  await verifyStep(m, r, a, label, eff)
}

function applySoftDelete(m: Model, eff: Effects, table: SoftDeleteTable, row: MBiz, deleting: boolean, uid: string | null): void {
  const customer = 'cents' in row ? row.customer : null
  const before = snapshotTotals(m, [customer])
  row.deleted = deleting
  eff.write(table, row.id).audited(m, table, deleting ? 'SOFT_DELETE' : 'RESTORE', row.id, row.org, uid).totals(m, before)
}

function applyHardDelete(m: Model, eff: Effects, table: SoftDeleteTable, row: MBiz): void {
  eff.count(table, -1).audited(m, table, 'DELETE', row.id, row.org, null)
  if (table === 'customers') {
    m.customers = m.customers.filter((c) => c.id !== row.id)
    // ON DELETE SET NULL (customer_id): each linked row is updated, and audited as an UPDATE.
    for (const linked of [...m.revenue, ...m.activities]) {
      if (linked.customer !== row.id) continue
      const t = 'cents' in linked ? 'revenue' : 'activities'
      linked.customer = null
      eff.write(t, linked.id).audited(m, t, 'UPDATE', linked.id, linked.org, null)
    }
  } else if (table === 'revenue') {
    const customer = 'cents' in row ? row.customer : null
    const before = snapshotTotals(m, [customer])
    m.revenue = m.revenue.filter((x) => x.id !== row.id)
    eff.totals(m, before)
  } else {
    m.activities = m.activities.filter((x) => x.id !== row.id)
  }
}

async function readOp(m: Model, db: Kysely<Database>, a: Actor, target: (typeof READ_TARGETS)[number], table: SoftDeleteTable, label: string): Promise<void> {
  const want = expectedVisible(m, a)
  const orgIds = m.orgs.map((o) => o.id)
  const user = a.kind === 'user' ? a.user : undefined
  switch (target) {
    case 'trash': {
      const got = await attempt(() => session(db, a, (trx) => listDeleted(trx, table)))
      // The trash functions are not executable by anon.
      const rows = expectOutcome(`${label} trash ${table}`, a.kind === 'anon' ? NotAuthorizedError : 'ok', got)
      if (rows) {
        const expected = a.kind === 'user' ? want[`trash_${table}`] : []
        assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(expected), `${label}: trash of ${table}`)
        assert.ok(rows.every((x) => x.deleted_at !== null), `${label}: the trash holds deleted rows only`)
      }
      return
    }
    case 'audit_trail': {
      const org = at(m.orgs, orgIds.length) ?? m.orgs[0]
      const got = await attempt(() => session(db, a, (trx) =>
        readAuditTrail(trx, trusted(a) && org ? { organizationId: org.id, limit: 1000 } : { limit: 1000 })))
      const page = expectOutcome(`${label} audit trail`, 'ok', got)
      if (!page) return
      const expectedOrg = trusted(a) ? org?.id ?? null : adminOrg(a)
      const expectedCount = expectedOrg ? m.audit.get(expectedOrg) ?? 0 : 0
      assert.equal(page.rows.length, expectedCount, `${label}: audit trail length`)
      assert.ok(page.rows.every((x) => x.organization_id === expectedOrg), `${label}: audit trail of one organization`)
      return
    }
    case 'preferences': {
      const got = await attempt(() => session(db, a, (trx) => getPreferences(trx)))
      const prefs = expectOutcome(`${label} preferences`, user ? 'ok' : NotAuthorizedError, got)
      if (user) assert.equal(prefs?.theme_preference ?? null, user.theme, `${label}: own theme`)
      return
    }
    case 'customers': {
      const rows = await session(db, a, (trx) => {
        const q = trx.selectFrom('customers').select(['id', 'organization_id', 'name', 'status', 'total_revenue', 'last_purchase_date', 'deleted_at'])
        return (trusted(a) ? q.where('organization_id', 'in', orgIds) : q).execute()
      })
      const expected = trusted(a) ? m.customers : m.customers.filter((c) => want.customers.includes(c.id))
      assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(expected.map((c) => c.id)), `${label}: customers`)
      for (const row of rows) {
        const c = m.customers.find((x) => x.id === row.id)
        assert.ok(c, `${label}: customer ${row.id} is of this run`)
        const totals = totalsOf(m, c.id)
        assert.deepEqual(
          { org: row.organization_id, name: row.name, status: row.status, total: row.total_revenue, last: row.last_purchase_date, deleted: row.deleted_at !== null },
          { org: c.org, name: c.name, status: c.status, total: centsToDecimal(totals.total), last: totals.last, deleted: c.deleted },
          `${label}: customer ${c.id}`)
      }
      return
    }
    case 'revenue': {
      const rows = await session(db, a, (trx) => {
        const q = trx.selectFrom('revenue').select(['id', 'organization_id', 'customer_id', 'amount', 'date', 'deleted_at'])
        return (trusted(a) ? q.where('organization_id', 'in', orgIds) : q).execute()
      })
      const expected = trusted(a) ? m.revenue : m.revenue.filter((x) => want.revenue.includes(x.id))
      assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(expected.map((x) => x.id)), `${label}: revenue`)
      for (const row of rows) {
        const rv = m.revenue.find((x) => x.id === row.id)
        assert.ok(rv, `${label}: revenue ${row.id} is of this run`)
        assert.deepEqual(
          { org: row.organization_id, customer: row.customer_id, amount: row.amount, date: row.date, deleted: row.deleted_at !== null },
          { org: rv.org, customer: rv.customer, amount: centsToDecimal(rv.cents), date: rv.date, deleted: rv.deleted },
          `${label}: revenue ${rv.id}`)
      }
      return
    }
    case 'audit_logs': {
      const rows = await session(db, a, (trx) => {
        const q = trx.selectFrom('audit_logs').select(['organization_id'])
        return (trusted(a) ? q.where('organization_id', 'in', orgIds) : q).execute()
      })
      const expected = trusted(a) ? orgIds.reduce((s, o) => s + (m.audit.get(o) ?? 0), 0) : want.audit_count
      assert.equal(rows.length, expected, `${label}: audit rows`)
      if (!trusted(a)) assert.ok(rows.every((x) => x.organization_id === adminOrg(a)), `${label}: audit rows of own organization`)
      return
    }
    case 'organizations':
    case 'profiles':
    case 'activities':
    case 'ai_usage_log': {
      const rows = await session(db, a, (trx) => trx.selectFrom(target).select('id').execute())
      if (trusted(a)) {
        const ids = new Set(rows.map((x) => x.id))
        const all = target === 'organizations' ? m.orgs : target === 'profiles' ? m.users : target === 'activities' ? m.activities : m.usage
        assert.ok(all.every((x) => ids.has(x.id)), `${label}: ${target} of the run all visible`)
      } else {
        assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(want[target]), `${label}: ${target}`)
      }
      return
    }
    case 'user_preferences': {
      const rows = await session(db, a, (trx) => trx.selectFrom('user_preferences').select(['user_id', 'theme_preference']).execute())
      if (!trusted(a)) {
        assert.deepEqual(rows.map((x) => x.user_id), want.user_preferences, `${label}: preferences`)
        if (user) assert.deepEqual(rows.map((x) => x.theme_preference), user.theme ? [user.theme] : [], `${label}: own theme`)
      }
      return
    }
  }
}

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: Op) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): Promise<void> {
    return execute(this.op, m, r)
  }
  toString(): string {
    return JSON.stringify(this.op)
  }
}

// ---------------------------------------------------------------------------------------------
// A run: three organizations (admin and two members each) and two outsiders, made through the flows
// ---------------------------------------------------------------------------------------------
let runSeq = 0

async function setupRun(db: Kysely<Database>): Promise<{ model: Model; real: Real }> {
  const tag = `fz${++runSeq}-${randomUUID().slice(0, 6)}`
  const users: MUser[] = Array.from({ length: 11 }, (_, i) => ({
    id: randomUUID(), org: null, role: 'member', theme: null, fullName: `${tag} user ${i}`,
  }))
  await sql`insert into auth.users (id, email, raw_user_meta_data, created_at, updated_at)
            select u.id, u.id::text || '@fuzz.example', jsonb_build_object('full_name', u.name), now(), now()
              from unnest(${users.map((u) => u.id)}::uuid[], ${users.map((u) => u.fullName)}::text[]) as u(id, name)`.execute(db)
  const model: Model = { tag, orgs: [], users, customers: [], revenue: [], activities: [], usage: [], audit: new Map(), slugs: 0 }
  for (let i = 0; i < 3; i++) {
    const admin = users[i * 3]
    const members = [users[i * 3 + 1], users[i * 3 + 2]]
    if (!admin) throw new Error('missing admin')
    const slug = `${tag}-org${i}`
    const name = `Fuzz ${tag} ${i}`
    const id = await asUser(db, admin.id, (trx) => createOrganization(trx, { name, slug }))
    model.orgs.push({ id, slug, name })
    admin.org = id
    admin.role = 'admin'
    for (const member of members) if (member) member.org = id
  }
  await asSystem(db, async (trx) => {
    for (const org of model.orgs) {
      const ids = users.filter((u) => u.org === org.id && u.role === 'member').map((u) => u.id)
      await trx.updateTable('profiles').set({ organization_id: org.id }).where('id', 'in', ids).execute()
      // A live and a soft-deleted row of each business table, so that restores have targets at once.
      const [live, gone] = await trx.insertInto('customers').values([
        { organization_id: org.id, name: `Seed ${org.slug}` },
        { organization_id: org.id, name: `Gone ${org.slug}`, deleted_at: new Date() },
      ]).returning('id').execute()
      if (!live || !gone) throw new Error('seed customers')
      model.customers.push(
        { id: live.id, org: org.id, name: `Seed ${org.slug}`, status: 'active', deleted: false },
        { id: gone.id, org: org.id, name: `Gone ${org.slug}`, status: 'active', deleted: true },
      )
      const revenue = await trx.insertInto('revenue').values([
        { organization_id: org.id, customer_id: live.id, amount: '100.00', date: '2026-01-15' },
        { organization_id: org.id, customer_id: live.id, amount: '7.50', date: '2026-02-01', deleted_at: new Date() },
      ]).returning('id').execute()
      revenue.forEach((x, i) => model.revenue.push(
        { id: x.id, org: org.id, customer: live.id, cents: i === 0 ? 10000 : 750, date: i === 0 ? '2026-01-15' : '2026-02-01', deleted: i === 1 }))
      const activities = await trx.insertInto('activities').values([
        { organization_id: org.id, customer_id: live.id, type: 'signup' },
        { organization_id: org.id, customer_id: live.id, type: 'login', deleted_at: new Date() },
      ]).returning('id').execute()
      activities.forEach((x, i) => model.activities.push(
        { id: x.id, org: org.id, customer: live.id, type: i === 0 ? 'signup' : 'login', deleted: i === 1 }))
    }
  })
  const audit = await db.selectFrom('audit_logs').select(['organization_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('organization_id', 'in', model.orgs.map((o) => o.id)).groupBy('organization_id').execute()
  for (const row of audit) model.audit.set(row.organization_id, Number(row.n))
  const fp = await fingerprint(db)
  return { model, real: { db, marker: fp.marker, counts: fp.counts } }
}

/** End of a run: every actor of the run sees exactly its share; nothing crosses a tenant boundary. */
async function sweep(m: Model, r: Real): Promise<void> {
  for (const user of m.users) await checkVisible(m, r.db, { kind: 'user', user }, 'end of run')
  await checkVisible(m, r.db, { kind: 'anon' }, 'end of run')
  const profiles = await r.db.selectFrom('profiles').select(['id', 'organization_id', 'role'])
    .where('id', 'in', m.users.map((u) => u.id)).execute()
  for (const u of m.users) {
    const p = profiles.find((x) => x.id === u.id)
    assert.deepEqual({ org: p?.organization_id, role: p?.role }, { org: u.org, role: u.role }, `end of run: profile ${u.id}`)
  }
  for (const org of m.orgs) {
    const admins = m.users.filter((u) => u.org === org.id && u.role === 'admin').length
    assert.ok(admins >= 1, `end of run: organization ${org.slug} keeps an admin`)
  }
  assert.deepEqual(await crossTenantRows(r.db), [], 'end of run: cross-tenant rows')
  assert.deepEqual(await inconsistentCustomers(r.db), [], 'end of run: derived figures of every customer')
  runsDone++
}

// ---------------------------------------------------------------------------------------------
let h: TestDb

before(async () => {
  h = await freshDb()
})
after(async () => {
  await h?.close()
})

describe('tenant isolation under random operations (model-based)', () => {
  it(`at least ${MIN_OPS} random operations by random actors: isolated, audited once, denied = unchanged, totals consistent`, async (t) => {
    const started = Date.now()
    const baseSeed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff)
    const path = process.env.FUZZ_PATH
    const replayPath = process.env.FUZZ_REPLAY_PATH
    t.diagnostic(`seed ${baseSeed}${path ? ` path ${path}` : ''} (${onServer ? 'PostgreSQL' : 'embedded'})`)

    const commands = fc.commands([opArb.map((op) => new Step(op))], { maxCommands: MAX_COMMANDS, size: 'max', replayPath })
    const property = fc.asyncProperty(commands, async (cmds) => {
      const env = await setupRun(h.db)
      await fc.asyncModelRun(() => env, cmds)
      await sweep(env.model, env.real)
    })

    // Chunks of runs until enough operations ran; chunk k uses seed baseSeed + k, so a failing chunk's
    // seed replays it as the first chunk.
    for (let chunk = 0; opsRun < MIN_OPS || chunk === 0; chunk++) {
      const seed = baseSeed + chunk
      const details = await fc.check(property, {
        seed, numRuns: path ? 1 : RUNS_PER_CHUNK, ...(path ? { path, endOnFailure: true } : {}),
      })
      if (details.failed) {
        const shown = details.counterexample ? fc.stringify(details.counterexample) : '(none)'
        const rp = /replayPath="([^"]*)"/.exec(shown)?.[1]
        assert.fail(
          `isolation fuzz failed: seed ${details.seed}, path ${details.counterexamplePath ?? '?'}\n` +
          `replay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ''}${rp ? ` FUZZ_REPLAY_PATH='${rp}'` : ''} ` +
          'node --import tsx --test test/isolation-fuzz.test.ts\n' +
          `shrunk ${details.numShrinks} time(s) to: ${shown}\n${describeError(details.errorInstance)}`)
      }
      if (path) break
    }
    t.diagnostic(`${opsRun} operations in ${runsDone} runs, ${((Date.now() - started) / 1000).toFixed(1)} s`)
    t.diagnostic(`outcomes (ok/refused): ${[...tally].map(([k, v]) => `${k} ${v.ok}/${v.refused}`).join(', ')}`)
    if (!path) assert.ok(opsRun >= MIN_OPS, `ran ${opsRun} operations`)
  })
})
