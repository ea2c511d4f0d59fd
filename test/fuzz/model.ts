// The expected-state model of the isolation fuzz test: what the database should hold after every
// step, who may see and change what, and the effects (rows written, counts, audit rows) a step is
// expected to have. Handlers (handlers.ts) update it in the same place they run an operation.
import type { Kysely, Transaction } from 'kysely'
import {
  type ActivityType, type CustomerStatus, type Database, type InvitationStatus, type ProfileRole, type SoftDeleteTable, type ThemePreference,
  withActor,
} from '../../lib/db/index.js'
import type { Tracked } from '../support/invariants.js'

export interface MUser {
  id: string; org: string | null; role: ProfileRole; theme: ThemePreference | null; fullName: string
  /** As auth.users has it (lower-case here), and whether it is confirmed (email_confirmed_at). */
  email: string; confirmed: boolean
}
export interface MOrg { id: string; slug: string; name: string }
export interface MCustomer { id: string; org: string; name: string; status: CustomerStatus; deleted: boolean }
export interface MRevenue { id: string; org: string; customer: string | null; cents: number; date: string; deleted: boolean }
export interface MActivity { id: string; org: string; customer: string | null; type: ActivityType; deleted: boolean }
export interface MUsage { id: string; org: string; user: string }
export type MBiz = MCustomer | MRevenue | MActivity
/** An invitation of the run: its token (known to the model, as the inviting admin got it) and state. */
export interface MInvitation { id: string; org: string; email: string; role: ProfileRole; status: InvitationStatus; token: string; expired: boolean }

export interface Model {
  tag: string
  orgs: MOrg[]
  users: MUser[]
  customers: MCustomer[]
  revenue: MRevenue[]
  activities: MActivity[]
  usage: MUsage[]
  invitations: MInvitation[]
  /** Audit rows filed under each organization of the run. */
  audit: Map<string, number>
  slugs: number
}

/** The database side of a run: the connection and the fingerprint after the last verified step. */
export interface Real {
  db: Kysely<Database>
  marker: string
  counts: Record<Tracked, number>
}

/** Who performs an operation; a user carries their model entry, so predictions read their role and organization. */
export type Actor =
  | { kind: 'user'; user: MUser }
  | { kind: 'anon' }
  | { kind: 'service' }
  | { kind: 'system' }

export const BIZ_TABLES = ['customers', 'revenue', 'activities'] as const satisfies readonly SoftDeleteTable[]

export function rowsOf(m: Model, table: SoftDeleteTable): MBiz[] {
  return table === 'customers' ? m.customers : table === 'revenue' ? m.revenue : m.activities
}

export function actorLabel(a: Actor): string {
  if (a.kind !== 'user') return a.kind
  return `${a.user.role}${a.user.org ? '' : '(no org)'}:${a.user.id.slice(0, 8)}`
}

/** The user an audit row names for the actor: null for service and the system. */
export function actorId(a: Actor): string | null {
  return a.kind === 'user' ? a.user.id : null
}

export function actorOrg(a: Actor): string | null {
  return a.kind === 'user' ? a.user.org : null
}

export function trusted(a: Actor): boolean {
  return a.kind === 'service' || a.kind === 'system'
}

/** The organization whose admin the actor is, if any. */
export function adminOrg(a: Actor): string | null {
  return a.kind === 'user' && a.user.role === 'admin' ? a.user.org : null
}

export function isAdminOf(a: Actor, org: string): boolean {
  return adminOrg(a) === org
}

/** Runs fn in one transaction as the actor, through the library's sessions. */
export function session<T>(db: Kysely<Database>, a: Actor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return withActor(db, a.kind === 'user' ? { kind: 'user', userId: a.user.id } : a, fn)
}

/** A well-formed uuid that names no row. */
export function unknownId(n: number): string {
  return `00000000-0000-4000-8000-${String(n % 1e12).padStart(12, '0')}`
}

export function at<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[Math.abs(Math.trunc(n)) % list.length]
}

export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

export function dayOf(n: number): string {
  return new Date(Date.UTC(2025, 0, 1 + (n % 700))).toISOString().slice(0, 10)
}

export interface Totals { total: number; last: string | null }

/** A customer's derived figures: the sum and latest date of its live revenue. */
export function totalsOf(m: Model, customer: string): Totals {
  let total = 0
  let last: string | null = null
  for (const r of m.revenue) {
    if (r.customer !== customer || r.deleted) continue
    total += r.cents
    if (last === null || r.date > last) last = r.date
  }
  return { total, last }
}

export function snapshotTotals(m: Model, ids: Iterable<string | null>): Map<string, Totals> {
  const out = new Map<string, Totals>()
  for (const id of ids) if (id !== null && m.customers.some((c) => c.id === id)) out.set(id, totalsOf(m, id))
  return out
}

export function otherAdmins(m: Model, org: string, except: string): number {
  return m.users.filter((u) => u.org === org && u.role === 'admin' && u.id !== except).length
}

/** What one step is expected to write: row versions per table, row count changes, audit rows. */
export class Effects {
  readonly written = new Map<Tracked, string[]>()
  readonly delta = new Map<Tracked, number>()
  readonly audit: string[] = []

  constructor(private readonly m: Model) {}

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

  /** One audit row, as writtenSince() shows it; the model's audit count of the organization follows. */
  audited(table: string, action: string, record: string, org: string, user: string | null): this {
    this.audit.push([table, action, record, org, user ?? 'system'].join('|'))
    this.m.audit.set(org, (this.m.audit.get(org) ?? 0) + 1)
    return this
  }

  /** Customers whose derived figures change between a snapshot of their totals and now. */
  totals(before: Map<string, Totals>): this {
    for (const [id, was] of before) {
      const now = totalsOf(this.m, id)
      if (now.total !== was.total || now.last !== was.last) this.write('customers', id)
    }
    return this
  }
}

// Transitions shared by several operation kinds.

/** A soft delete or restore of a row: its flag, an audit row, and its customer's figures. */
export function applySoftDelete(m: Model, eff: Effects, table: SoftDeleteTable, row: MBiz, deleting: boolean, uid: string | null): void {
  const customer = 'cents' in row ? row.customer : null
  const before = snapshotTotals(m, [customer])
  row.deleted = deleting
  eff.write(table, row.id).audited(table, deleting ? 'SOFT_DELETE' : 'RESTORE', row.id, row.org, uid).totals(before)
}

/** A real DELETE (service or system): the row goes, and so do its links and its share of the totals. */
export function applyHardDelete(m: Model, eff: Effects, table: SoftDeleteTable, row: MBiz): void {
  eff.count(table, -1).audited(table, 'DELETE', row.id, row.org, null)
  if (table === 'customers') {
    m.customers = m.customers.filter((c) => c.id !== row.id)
    // ON DELETE SET NULL (customer_id): each linked row is updated, and audited as an UPDATE.
    for (const linked of [...m.revenue, ...m.activities]) {
      if (linked.customer !== row.id) continue
      const t = 'cents' in linked ? 'revenue' : 'activities'
      linked.customer = null
      eff.write(t, linked.id).audited(t, 'UPDATE', linked.id, linked.org, null)
    }
  } else if (table === 'revenue') {
    const customer = 'cents' in row ? row.customer : null
    const before = snapshotTotals(m, [customer])
    m.revenue = m.revenue.filter((x) => x.id !== row.id)
    eff.totals(before)
  } else {
    m.activities = m.activities.filter((x) => x.id !== row.id)
  }
}

/** A member leaving their organization (removed, or by their own update): audited under it, role reset. */
export function applyLeave(eff: Effects, user: MUser, org: string, uid: string | null): void {
  eff.write('profiles', user.id).audited('profiles', 'UPDATE', user.id, org, uid)
  user.org = null
  user.role = 'member'
}
