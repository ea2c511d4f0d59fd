// The checks of the isolation fuzz test: an operation's outcome against the prediction, what each
// actor sees against the model, and after every step the rows written, row counts and audit rows
// against the expected effects.
import assert from 'node:assert/strict'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { ConflictError, type Database, DbError, InvalidInputError, NotAuthorizedError, NotFoundError } from '../../lib/db/index.js'
import { fingerprint, inconsistentCustomers, TRACKED, writtenSince } from '../support/invariants.js'
import { type Actor, actorLabel, actorOrg, type Effects, type MBiz, type Model, type MUser, type Real, session } from './model.js'

type ErrorClass = typeof NotAuthorizedError | typeof NotFoundError | typeof InvalidInputError | typeof ConflictError
/** A predicted outcome: success, or the typed error the library must raise. */
export type Want = 'ok' | ErrorClass
export type Got<T> = { ok: true; value: T } | { ok: false; error: unknown }

export async function attempt<T>(fn: () => Promise<T>): Promise<Got<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    return { ok: false, error }
  }
}

export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/** Outcomes by operation kind, for the summary: how many succeeded (changed or not) and were refused. */
export const tally = new Map<string, { ok: number; refused: number }>()

/** Asserts the outcome and returns the value on success (undefined when an error was expected). */
export function expectOutcome<T>(kind: string, label: string, want: Want, got: Got<T>): T | undefined {
  const t = tally.get(kind) ?? { ok: 0, refused: 0 }
  if (got.ok) t.ok++
  else t.refused++
  tally.set(kind, t)
  if (want === 'ok') {
    if (!got.ok) assert.fail(`${label}: expected success, got ${describeError(got.error)}`)
    return got.value
  }
  if (got.ok) assert.fail(`${label}: expected ${want.name}, but it succeeded`)
  const e = got.error
  if (!(e instanceof DbError) || e.constructor !== want) assert.fail(`${label}: expected ${want.name}, got ${describeError(e)}`)
  return undefined
}

export function sorted(list: readonly string[]): string[] {
  return [...list].sort()
}

// ---------------------------------------------------------------------------------------------
// Visibility: per table, the query showing what an actor sees and what the model says they see
// ---------------------------------------------------------------------------------------------
interface Viewer {
  m: Model
  user: MUser
  org: string | null
  admin: boolean
}

interface Visibility {
  /** The ids (as text) the actor's session sees. */
  ids: RawBuilder<unknown>
  /** The ids the model says the user sees (anon, service and the system are not asked). */
  expected(v: Viewer): string[]
  /** Not executable by anon: anon's share is empty without asking. */
  notForAnon?: true
}

const live = ({ org }: Viewer, rows: readonly MBiz[]) => rows.filter((r) => r.org === org && !r.deleted).map((r) => r.id)
const trash = ({ org, admin }: Viewer, rows: readonly MBiz[]) => (admin ? rows.filter((r) => r.org === org && r.deleted).map((r) => r.id) : [])
const auditCount = ({ m, org, admin }: Viewer) => (admin && org ? m.audit.get(org) ?? 0 : 0)

export const VISIBLE_LISTS = [
  'organizations', 'profiles', 'customers', 'revenue', 'activities', 'ai_usage_log', 'user_preferences', 'audit_orgs',
  'trash_customers', 'trash_revenue', 'trash_activities', 'invitations', 'my_invitations',
] as const
export type VisibleList = (typeof VISIBLE_LISTS)[number]

/** An actor's share of every table: their organization's live rows, their own rows, nothing else. */
const VISIBLE: { [K in VisibleList]: Visibility } = {
  organizations: { ids: sql`select id::text from public.organizations`, expected: ({ org }) => (org ? [org] : []) },
  profiles: {
    ids: sql`select id::text from public.profiles`,
    expected: ({ m, user, org }) => (org ? m.users.filter((x) => x.org === org || x.id === user.id).map((x) => x.id) : [user.id]),
  },
  customers: { ids: sql`select id::text from public.customers`, expected: (v) => live(v, v.m.customers) },
  revenue: { ids: sql`select id::text from public.revenue`, expected: (v) => live(v, v.m.revenue) },
  activities: { ids: sql`select id::text from public.activities`, expected: (v) => live(v, v.m.activities) },
  ai_usage_log: {
    ids: sql`select id::text from public.ai_usage_log`,
    expected: ({ m, user, org, admin }) => (org ? m.usage.filter((x) => x.org === org && (admin || x.user === user.id)).map((x) => x.id) : []),
  },
  user_preferences: { ids: sql`select user_id::text from public.user_preferences`, expected: ({ user }) => (user.theme !== null ? [user.id] : []) },
  audit_orgs: {
    ids: sql`select distinct organization_id::text from public.audit_logs`,
    expected: (v) => (auditCount(v) > 0 && v.org ? [v.org] : []),
  },
  trash_customers: { ids: sql`select id::text from public.deleted_customers()`, expected: (v) => trash(v, v.m.customers), notForAnon: true },
  trash_revenue: { ids: sql`select id::text from public.deleted_revenue()`, expected: (v) => trash(v, v.m.revenue), notForAnon: true },
  trash_activities: { ids: sql`select id::text from public.deleted_activities()`, expected: (v) => trash(v, v.m.activities), notForAnon: true },
  // Admins: every invitation of their organization (the token hash is not selectable: id only).
  invitations: {
    ids: sql`select id::text from public.invitations`,
    expected: ({ m, org, admin }) => (admin && org ? m.invitations.filter((i) => i.org === org).map((i) => i.id) : []),
  },
  // Everyone signed in: the pending, unexpired invitations to their confirmed address.
  my_invitations: {
    ids: sql`select invitation_id::text from public.my_invitations()`,
    expected: ({ m, user }) => (user.confirmed
      ? m.invitations.filter((i) => i.email === user.email && i.status === 'pending' && !i.expired).map((i) => i.id)
      : []),
    notForAnon: true,
  },
}

function viewerOf(m: Model, a: Actor): Viewer | null {
  return a.kind === 'user' ? { m, user: a.user, org: a.user.org, admin: a.user.org !== null && a.user.role === 'admin' } : null
}

/** The ids of one table the model says the actor sees; none for anon, service and the system (not asked of the latter two). */
export function visibleTo(m: Model, a: Actor, list: VisibleList): string[] {
  const viewer = viewerOf(m, a)
  return viewer ? VISIBLE[list].expected(viewer) : []
}

/** How many audit rows the model says the actor sees: all of their organization's, to its admins. */
export function auditRowsVisibleTo(m: Model, a: Actor): number {
  const viewer = viewerOf(m, a)
  return viewer ? auditCount(viewer) : 0
}

type Seen = Record<VisibleList, string[]> & { audit_count: number }

/** What the actor sees, every table in one statement. */
async function observeVisible(db: Kysely<Database>, a: Actor): Promise<Seen> {
  const lists = VISIBLE_LISTS.map((key) => {
    const v: Visibility = VISIBLE[key]
    return a.kind === 'anon' && v.notForAnon ? sql`'{}'::text[] as ${sql.id(key)}` : sql`array(${v.ids}) as ${sql.id(key)}`
  })
  return session(db, a, async (trx) => {
    const r = await sql<Seen>`select ${sql.join(lists)}, (select count(*)::int from public.audit_logs) as audit_count`.execute(trx)
    const row = r.rows[0]
    if (!row) throw new Error('visibility query returned no row')
    return row
  })
}

/** The actor sees exactly what the model says: no row of another organization, none soft-deleted, none missing. */
export async function checkVisible(m: Model, db: Kysely<Database>, a: Actor, label: string): Promise<void> {
  const seen = await observeVisible(db, a)
  const wantAudit = auditRowsVisibleTo(m, a)
  assert.equal(seen.audit_count, wantAudit, `${label}: ${actorLabel(a)} sees ${seen.audit_count} audit rows, expected ${wantAudit}`)
  for (const key of VISIBLE_LISTS) {
    const s = seen[key]
    const w = visibleTo(m, a, key)
    const extra = s.filter((id) => !w.includes(id))
    const missing = w.filter((id) => !s.includes(id))
    if (extra.length > 0 || missing.length > 0) {
      assert.fail(`${label}: ${actorLabel(a)} (org ${actorOrg(a) ?? 'none'}) ${key}: ` +
        `${extra.length} row(s) visible that must not be (${extra.slice(0, 3).join(', ')}), ` +
        `${missing.length} row(s) missing (${missing.slice(0, 3).join(', ')})`)
    }
  }
}

/** After a step: the write set, counts and audit delta are the expected ones; totals are consistent. */
export async function verifyStep(m: Model, r: Real, a: Actor, label: string, eff: Effects): Promise<void> {
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
