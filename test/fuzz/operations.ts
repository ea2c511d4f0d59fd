// The operation kinds of the isolation fuzz test, their fast-check generators, and how the random
// numbers of a generated operation pick an actor, an organization, a row or a user of the model.
// An operation carries numbers, not ids: the same operation means something sensible whatever the
// model holds when it runs, which keeps shrinking and replay meaningful.
import fc from 'fast-check'
import {
  ACTIVITY_TYPES, type ActivityType, CUSTOMER_STATUSES, type CustomerStatus, type ProfileRole, type SoftDeleteTable,
  THEME_PREFERENCES, type ThemePreference,
} from '../../lib/db/index.js'
import { type Actor, actorOrg, at, BIZ_TABLES, type MCustomer, type MInvitation, type Model, type MUser, unknownId } from './model.js'

export const READ_TARGETS = [
  'organizations', 'profiles', 'customers', 'revenue', 'activities', 'ai_usage_log', 'user_preferences', 'audit_logs',
  'trash', 'audit_trail', 'preferences',
] as const
export type ReadTarget = (typeof READ_TARGETS)[number]

/** The fields of each operation kind besides `kind`. */
interface OpFields {
  read: { actor: number; target: ReadTarget; table: SoftDeleteTable }
  insertCustomer: { actor: number; org: number; name: string; status: CustomerStatus }
  insertRevenue: { actor: number; org: number; customer: number; cents: number; day: number }
  insertActivity: { actor: number; org: number; customer: number; type: ActivityType }
  updateCustomer: { actor: number; row: number; name: string; status: CustomerStatus }
  updateRevenue: { actor: number; row: number; cents: number; day: number; customer: number }
  updateActivity: { actor: number; row: number; type: ActivityType }
  moveRow: { actor: number; table: SoftDeleteTable; row: number; org: number }
  softDelete: { actor: number; table: SoftDeleteTable; row: number }
  deleteRaw: { actor: number; table: SoftDeleteTable; row: number }
  restore: { actor: number; table: SoftDeleteTable; row: number }
  softDeleteByUpdate: { actor: number; table: SoftDeleteTable; row: number }
  removeByUpdate: { actor: number; target: number }
  changeRole: { actor: number; target: number; role: ProfileRole }
  removeMember: { actor: number; target: number }
  createOrg: { actor: number; name: string; takenSlug: boolean }
  renameOrg: { actor: number; org: number; name: string }
  setTheme: { actor: number; theme: ThemePreference }
  updateTheme: { actor: number; target: number; theme: ThemePreference }
  setName: { actor: number; target: number; name: string }
  aiUsage: { actor: number; user: number; org: number; tokens: number }
  signUp: Record<never, never>
  invite: { actor: number; target: number; role: ProfileRole; shout: boolean; validity: number }
  acceptInvitation: { actor: number; invitation: number }
  revokeInvitation: { actor: number; invitation: number }
  declineInvitation: { actor: number; invitation: number }
  expireInvitation: { invitation: number }
  leave: { actor: number }
}

export type OpKind = keyof OpFields
/** An operation of kind K (of any kind by default): `{ kind, ...fields }`. */
export type Op<K extends OpKind = OpKind> = { [P in K]: { kind: P } & OpFields[P] }[K]

// Names that must be stored as data: quotes, SQL, unicode.
const nameArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 24 }),
  fc.constantFrom("'); drop table customers; --", 'Robert"); delete from profiles; --', "O'Brien & Søn", '名前 🚀', '$$; select 1; $$'),
).map((s) => (s.trim() === '' ? `x${s}` : s))

const n = fc.nat({ max: 1_000_000 })
const table = fc.constantFrom(...BIZ_TABLES)
const cents = fc.integer({ min: -50_000, max: 5_000_000 })
const status = fc.constantFrom(...CUSTOMER_STATUSES)
const activityType = fc.constantFrom(...ACTIVITY_TYPES)
const theme = fc.constantFrom(...THEME_PREFERENCES)

/**
 * How often each kind is generated, and its generator. The order of the entries is the order of
 * fc.oneof's choices: reordering changes which operations a given seed generates.
 */
const GENERATORS = {
  read: { weight: 4, arbitrary: fc.record({ kind: fc.constant('read'), actor: n, target: fc.constantFrom(...READ_TARGETS), table }) },
  insertCustomer: { weight: 3, arbitrary: fc.record({ kind: fc.constant('insertCustomer'), actor: n, org: n, name: nameArb, status }) },
  insertRevenue: { weight: 4, arbitrary: fc.record({ kind: fc.constant('insertRevenue'), actor: n, org: n, customer: n, cents, day: n }) },
  insertActivity: { weight: 2, arbitrary: fc.record({ kind: fc.constant('insertActivity'), actor: n, org: n, customer: n, type: activityType }) },
  updateCustomer: { weight: 2, arbitrary: fc.record({ kind: fc.constant('updateCustomer'), actor: n, row: n, name: nameArb, status }) },
  updateRevenue: { weight: 3, arbitrary: fc.record({ kind: fc.constant('updateRevenue'), actor: n, row: n, cents, day: n, customer: n }) },
  updateActivity: { weight: 1, arbitrary: fc.record({ kind: fc.constant('updateActivity'), actor: n, row: n, type: activityType }) },
  moveRow: { weight: 1, arbitrary: fc.record({ kind: fc.constant('moveRow'), actor: n, table, row: n, org: n }) },
  softDelete: { weight: 3, arbitrary: fc.record({ kind: fc.constant('softDelete'), actor: n, table, row: n }) },
  deleteRaw: { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteRaw'), actor: n, table, row: n }) },
  restore: { weight: 3, arbitrary: fc.record({ kind: fc.constant('restore'), actor: n, table, row: n }) },
  softDeleteByUpdate: { weight: 2, arbitrary: fc.record({ kind: fc.constant('softDeleteByUpdate'), actor: n, table, row: n }) },
  removeByUpdate: { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeByUpdate'), actor: n, target: n }) },
  changeRole: { weight: 2, arbitrary: fc.record({ kind: fc.constant('changeRole'), actor: n, target: n, role: fc.constantFrom<ProfileRole>('admin', 'member') }) },
  removeMember: { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeMember'), actor: n, target: n }) },
  createOrg: { weight: 1, arbitrary: fc.record({ kind: fc.constant('createOrg'), actor: n, name: nameArb, takenSlug: fc.boolean() }) },
  renameOrg: { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameOrg'), actor: n, org: n, name: nameArb }) },
  setTheme: { weight: 1, arbitrary: fc.record({ kind: fc.constant('setTheme'), actor: n, theme }) },
  updateTheme: { weight: 1, arbitrary: fc.record({ kind: fc.constant('updateTheme'), actor: n, target: n, theme }) },
  setName: { weight: 1, arbitrary: fc.record({ kind: fc.constant('setName'), actor: n, target: n, name: nameArb }) },
  aiUsage: { weight: 2, arbitrary: fc.record({ kind: fc.constant('aiUsage'), actor: n, user: n, org: n, tokens: fc.nat({ max: 100_000 }) }) },
  signUp: { weight: 1, arbitrary: fc.record({ kind: fc.constant('signUp') }) },
  invite: {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('invite'), actor: n, target: n, role: fc.constantFrom<ProfileRole>('admin', 'member'), shout: fc.boolean(), validity: n }),
  },
  acceptInvitation: { weight: 3, arbitrary: fc.record({ kind: fc.constant('acceptInvitation'), actor: n, invitation: n }) },
  revokeInvitation: { weight: 1, arbitrary: fc.record({ kind: fc.constant('revokeInvitation'), actor: n, invitation: n }) },
  declineInvitation: { weight: 1, arbitrary: fc.record({ kind: fc.constant('declineInvitation'), actor: n, invitation: n }) },
  expireInvitation: { weight: 1, arbitrary: fc.record({ kind: fc.constant('expireInvitation'), invitation: n }) },
  leave: { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave'), actor: n }) },
} satisfies { [K in OpKind]: fc.WeightedArbitrary<Op<K>> }

export const opArb: fc.Arbitrary<Op> = fc.oneof(...Object.values(GENERATORS))

// ---------------------------------------------------------------------------------------------
// From generated numbers to the model's actors, organizations, rows and users
// ---------------------------------------------------------------------------------------------
export const SYSTEM: Actor = { kind: 'system' }

/**
 * Mostly users, a third of them from `prefer` (admins unless said otherwise); now and then anon,
 * service_role or the system. `trustedShare` raises the share of service/system for server-side work.
 */
export function pickActor(
  m: Model, n: number, prefer: (u: MUser) => boolean = (u) => u.role === 'admin' && u.org !== null, trustedShare = 0, preferShare = 8,
): Actor {
  if (trustedShare > 0 && n % 100 < trustedShare) return n % 2 === 0 ? { kind: 'service' } : SYSTEM
  const k = n % 24
  if (k === 0) return { kind: 'anon' }
  if (k === 1) return { kind: 'service' }
  if (k === 2) return SYSTEM
  const pool = k < 3 + preferShare ? m.users.filter(prefer) : m.users
  const user = at(pool, Math.floor(n / 24)) ?? at(m.users, n)
  if (!user) throw new Error('a run has users')
  return { kind: 'user', user }
}

/** The default actor of an operation: a third of the users are admins of an organization. */
export function mostlyAdmins(m: Model, op: { actor: number }): Actor {
  return pickActor(m, op.actor)
}

/** Mostly the actor's own organization, else any of the run, now and then one that does not exist. */
export function pickOrg(m: Model, a: Actor, n: number): { id: string; known: boolean } {
  const r = n % 10
  if (r === 9) return { id: unknownId(n), known: false }
  const own = actorOrg(a)
  if (r < 5 && own) return { id: own, known: true }
  const org = at(m.orgs, Math.floor(n / 10))
  return org ? { id: org.id, known: true } : { id: unknownId(n), known: false }
}

/**
 * Mostly a row of the actor's organization (of those `prefer` accepts, when there are any), else any
 * row of the run, now and then none (the operation then names an unknown id).
 */
export function pickRow<R extends { org: string }>(rows: readonly R[], a: Actor, n: number, prefer: (row: R) => boolean = () => true): R | undefined {
  const r = n % 10
  if (r === 9) return undefined
  const own = actorOrg(a)
  const mine = own ? rows.filter((x) => x.org === own) : []
  const preferred = mine.filter(prefer)
  return (r < 6 ? at(preferred.length > 0 ? preferred : mine, Math.floor(n / 10)) : undefined) ?? at(rows, Math.floor(n / 10))
}

/** Now and then the actor, mostly a colleague, else any user of the run, now and then none. */
export function pickUser(m: Model, a: Actor, n: number): MUser | undefined {
  const r = n % 10
  if (r === 9) return undefined
  if (r === 0 && a.kind === 'user') return a.user
  const own = actorOrg(a)
  const colleagues = own ? m.users.filter((u) => u.org === own) : []
  return (r < 5 ? at(colleagues, Math.floor(n / 10)) : undefined) ?? at(m.users, Math.floor(n / 10))
}

/** The customer for a new or moved revenue/activity row: none, one of the target org, or any. */
export function pickCustomer(m: Model, org: string, n: number): MCustomer | null {
  const r = n % 10
  if (r === 0) return null
  const same = m.customers.filter((c) => c.org === org)
  return (r < 7 ? at(same, Math.floor(n / 10)) : at(m.customers, Math.floor(n / 10))) ?? null
}

/**
 * Mostly a pending, unexpired invitation (of the actor's organization, for its admins), else any of
 * the run, ended and expired ones included, now and then none.
 */
export function pickInvitation(m: Model, own: string | null, n: number): MInvitation | undefined {
  const r = n % 10
  if (r === 9) return undefined
  const open = m.invitations.filter((i) => i.status === 'pending' && !i.expired && (own === null || i.org === own))
  return (r < 6 ? at(open, Math.floor(n / 10)) : undefined) ?? at(m.invitations, Math.floor(n / 10))
}

/** Mostly the invitee of the invitation (when they are a user of the run), else any actor. */
export function inviteeOrAnyone(m: Model, inv: MInvitation | undefined, n: number): Actor {
  const invitee = inv ? m.users.find((u) => u.email === inv.email) : undefined
  return invitee && n % 4 !== 0 ? { kind: 'user', user: invitee } : pickActor(m, n, () => true)
}
