// What the seed writes, decided in JavaScript from the seeded PRNG: organizations, users and one
// parameter set per customer (plan, price, signup, churn, a hash key). The database expands each
// customer into its months of revenue and activities (lib/seed/write.ts), so the per-row work is
// set-based and the JavaScript side holds one batch of customers at a time.
import { lastCompleteMonth, parseMonth } from '../db/index.js'
import { COMPANY_KINDS, FIRST_NAMES, INDUSTRIES, type Industry, LAST_NAMES, ORG_PREFIXES, ORG_SUFFIXES, slugify } from './names.js'
import { Rng } from './random.js'

export const MONTHS = 24

export interface SeedConfig {
  /** Seed of every random choice: the same seed and end month give the same data. */
  seed: number
  /** Number of organizations (sizes follow a Zipf law: a few large, many small). */
  organizations: number
  /** Customers over all organizations (each has at least 3). */
  customers: number
  /** Last month of the 24 months of history, 'YYYY-MM'. */
  endMonth: string
}

/** Independent PRNG streams of one seed. */
const STREAM = { orgs: 0, users: 1, customers: 2 } as const

/** Id kinds: the second group of the UUIDs the seed makes. */
export const ID_KIND = { organization: 1, user: 2, customer: 3, revenue: 4, activity: 5, aiUsage: 6, aiQuery: 7, invitation: 8 } as const

/**
 * Deterministic ids: `<seed>-<kind>-8000-8000-<counter>` (RFC 9562 version 8, "custom"). Ordered by
 * counter, so bulk inserts append to the primary-key index instead of writing all over it.
 */
export function idPrefix(seed: number, kind: number): string {
  return `${(seed >>> 0).toString(16).padStart(8, '0')}-${kind.toString(16).padStart(4, '0')}-8000-8000-`
}

export function seedId(seed: number, kind: number, counter: number): string {
  return idPrefix(seed, kind) + counter.toString(16).padStart(12, '0')
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

export interface Calendar {
  /** First day of each of the MONTHS months, 'YYYY-MM-DD', oldest first. */
  monthStarts: string[]
  /** 'Mar 2025' for each month. */
  monthLabels: string[]
  /** Seasonal factor of each month (by calendar month: summer dip, year-end peak). */
  season: number[]
  /** The day after the last month: nothing is dated on or after it. */
  end: string
}

const SEASON_BY_CALENDAR_MONTH = [0.93, 0.95, 1.02, 1.0, 1.01, 0.97, 0.9, 0.88, 1.03, 1.06, 1.1, 1.18]
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10)
}

export { lastCompleteMonth }

export function calendar(endMonth: string): Calendar {
  const { year, month } = parseMonth(endMonth, 'the end month')
  const monthStarts: string[] = []
  const monthLabels: string[] = []
  const season: number[] = []
  for (let i = 0; i < MONTHS; i++) {
    const d = new Date(Date.UTC(year, month - MONTHS + i, 1))
    monthStarts.push(isoDate(d))
    monthLabels.push(`${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()}`)
    season.push(SEASON_BY_CALENDAR_MONTH[d.getUTCMonth()] ?? 1)
  }
  return { monthStarts, monthLabels, season, end: isoDate(new Date(Date.UTC(year, month, 1))) }
}

function addDays(date: string, days: number): Date {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d
}

// ---------------------------------------------------------------------------------------------
// Organizations and users
// ---------------------------------------------------------------------------------------------

export interface PlannedOrg {
  index: number
  id: string
  name: string
  slug: string
  createdAt: string
  focus: Industry
  /** Customers of this organization and the global index of its first one. */
  customers: number
  firstCustomer: number
}

export interface PlannedUser {
  index: number
  id: string
  email: string
  fullName: string
  /** null: an outsider, signed up but in no organization. */
  orgIndex: number | null
  role: 'admin' | 'member'
  theme: 'light' | 'dark' | 'system' | null
  /** Hash key for the database side's noise, and average AI queries per working day. */
  key: number
  aiQueriesPerDay: number
}

export interface Plan {
  config: SeedConfig
  calendar: Calendar
  orgs: PlannedOrg[]
  users: PlannedUser[]
}

const ZIPF_EXPONENT = 1.1

/** Customers per organization: Zipf-distributed, at least 3 each, biggest first. */
export function orgSizes(organizations: number, customers: number): number[] {
  const weights = Array.from({ length: organizations }, (_, i) => 1 / (i + 1) ** ZIPF_EXPONENT)
  const total = weights.reduce((a, b) => a + b, 0)
  return weights.map((w) => Math.max(3, Math.round((customers * w) / total)))
}

function adminsFor(customers: number): number {
  return 1 + (customers >= 300 ? 1 : 0) + (customers >= 3000 ? 1 : 0)
}

function membersFor(customers: number): number {
  return Math.min(40, Math.max(1, Math.round(1 + 2 * Math.log(1 + customers / 10))))
}

export function planTenants(config: SeedConfig): Plan {
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer from 0 to ${0xffffffff}`)
  }
  if (!Number.isInteger(config.organizations) || config.organizations < 1 || config.organizations > 100_000) {
    throw new RangeError('organizations must be an integer from 1 to 100000')
  }
  if (!Number.isInteger(config.customers) || config.customers < 0) {
    throw new RangeError('customers must be a non-negative integer')
  }
  const cal = calendar(config.endMonth)
  const rng = new Rng(config.seed, STREAM.orgs)

  // Unique names: the prefix x suffix grid in a seeded order, numbered once it runs out.
  const grid = ORG_PREFIXES.flatMap((p) => ORG_SUFFIXES.map((s) => `${p} ${s}`))
  for (let i = grid.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    const a = grid[i]
    const b = grid[j]
    if (a !== undefined && b !== undefined) {
      grid[i] = b
      grid[j] = a
    }
  }
  const sizes = orgSizes(config.organizations, config.customers)
  const orgs: PlannedOrg[] = []
  let firstCustomer = 0
  for (const [index, size] of sizes.entries()) {
    const base = grid[index % grid.length] ?? 'Tenant'
    const name = index < grid.length ? base : `${base} ${Math.floor(index / grid.length) + 1}`
    // Organizations joined over the two years before the history starts; the biggest are oldest.
    const createdAt = addDays(cal.monthStarts[0] ?? cal.end, -rng.int(30, 730) - (sizes.length - index))
    orgs.push({
      index, id: seedId(config.seed, ID_KIND.organization, index), name, slug: slugify(name),
      createdAt: createdAt.toISOString(), focus: rng.pick(INDUSTRIES), customers: size, firstCustomer,
    })
    firstCustomer += size
  }

  const urng = new Rng(config.seed, STREAM.users)
  const users: PlannedUser[] = []
  const emails = new Set<string>()
  const addUser = (orgIndex: number | null, role: 'admin' | 'member', domain: string): void => {
    const first = urng.pick(FIRST_NAMES)
    const last = urng.pick(LAST_NAMES)
    let local = `${first}.${last}`.toLowerCase()
    for (let n = 2; emails.has(`${local}@${domain}`); n++) local = `${first}.${last}${n}`.toLowerCase()
    const email = `${local}@${domain}`
    emails.add(email)
    const index = users.length
    users.push({
      index, id: seedId(config.seed, ID_KIND.user, index), email, fullName: `${first} ${last}`, orgIndex, role,
      theme: urng.weighted([[null, 4], ['system', 2], ['dark', 3], ['light', 1]] as const),
      key: urng.key(),
      // Log-uniform from 0.3 to 8 queries a working day: a few heavy users, many light ones.
      aiQueriesPerDay: Math.exp(urng.between(Math.log(0.3), Math.log(8))),
    })
  }
  for (const org of orgs) {
    const domain = `${org.slug}.example`
    for (let i = 0; i < adminsFor(org.customers); i++) addUser(org.index, 'admin', domain)
    for (let i = 0; i < membersFor(org.customers); i++) addUser(org.index, 'member', domain)
  }
  // Someone who signed up and never joined or created an organization: sees nothing.
  addUser(null, 'member', 'freelance.example')
  return { config, calendar: cal, orgs, users }
}

// ---------------------------------------------------------------------------------------------
// Invitations
// ---------------------------------------------------------------------------------------------

export type InvitationKind = 'pending' | 'expired' | 'revoked' | 'declined' | 'accepted'

export interface PlannedInvitation {
  id: string
  orgIndex: number
  kind: InvitationKind
  email: string
  role: 'admin' | 'member'
  /** The admin who invited (the organization's first). */
  invitedBy: string
  /** For 'accepted': the member who joined through it (the organization's first member). */
  acceptedBy: string | null
}

/**
 * A few invitations per organization, every state represented across them: each organization's first
 * member joined through an accepted one; every second organization has one pending, every third one
 * expired, every fourth (from the second) one revoked, every fifth (from the third) one declined.
 * Their tokens are never known (the writer stores the hash of a random value): they show the
 * lifecycle, nobody can accept them.
 */
export function planInvitations(plan: Plan): PlannedInvitation[] {
  const out: PlannedInvitation[] = []
  for (const org of plan.orgs) {
    const admin = plan.users.find((u) => u.orgIndex === org.index && u.role === 'admin')
    if (!admin) continue
    const member = plan.users.find((u) => u.orgIndex === org.index && u.role === 'member')
    const add = (kind: InvitationKind, email: string, role: 'admin' | 'member', acceptedBy: string | null = null): void => {
      out.push({ id: seedId(plan.config.seed, ID_KIND.invitation, out.length), orgIndex: org.index, kind, email, role, invitedBy: admin.id, acceptedBy })
    }
    const domain = `${org.slug}.example`
    if (member) add('accepted', member.email, 'member', member.id)
    if (org.index % 2 === 0) add('pending', `new.hire@${domain}`, org.index % 4 === 0 ? 'admin' : 'member')
    if (org.index % 3 === 0) add('expired', `late.reply@${domain}`, 'member')
    if (org.index % 4 === 1) add('revoked', `wrong.person@${domain}`, 'member')
    if (org.index % 5 === 2) add('declined', `not.interested@${domain}`, 'member')
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

export type CustomerPlan = 'starter' | 'pro' | 'enterprise'

export interface PlannedCustomer {
  /** Global index: the counter of the customer's id and of its revenue and activity ids. */
  index: number
  id: string
  orgId: string
  name: string
  email: string
  company: string
  industry: Industry
  status: 'active' | 'inactive' | 'churned'
  deletedAt: string | null
  createdAt: string
  plan: CustomerPlan
  source: string
  /** Billed months: start <= m < stop (indexes into the calendar). */
  start: number
  stop: number
  /** Day of the start month the customer signed up (0-based); the first invoice is that day. */
  firstDay: number
  /** Monthly price at the start, and monthly growth (seats added) as a fraction. */
  base: number
  growth: number
  key: number
}

const PRICE: Record<CustomerPlan, [number, number]> = { starter: [19, 99], pro: [150, 600], enterprise: [1500, 6000] }
const MONTHLY_CHURN: Record<CustomerPlan, number> = { starter: 0.035, pro: 0.02, enterprise: 0.01 }
const MONTHLY_GROWTH: Record<CustomerPlan, number> = { starter: 0.004, pro: 0.015, enterprise: 0.02 }

/** Yields every customer of the plan, organization after organization, in batches. */
export function* customerBatches(plan: Plan, batchSize: number): Generator<PlannedCustomer[]> {
  const rng = new Rng(plan.config.seed, STREAM.customers)
  const { monthStarts } = plan.calendar
  let batch: PlannedCustomer[] = []
  for (const org of plan.orgs) {
    for (let i = 0; i < org.customers; i++) {
      const index = org.firstCustomer + i
      const industry = rng.chance(0.45) ? org.focus : rng.pick(INDUSTRIES)
      const first = rng.pick(FIRST_NAMES)
      const last = rng.pick(LAST_NAMES)
      const company = `${rng.pick(LAST_NAMES)} ${rng.pick(COMPANY_KINDS[industry])}`
      const plan_ = rng.weighted([['starter', 6], ['pro', 3], ['enterprise', 1]] as const)
      const [lo, hi] = PRICE[plan_]

      // A quarter were customers before the history starts; signups grow over the two years.
      const before = rng.chance(0.25)
      const start = before ? 0 : Math.min(MONTHS - 1, Math.floor(MONTHS * Math.sqrt(rng.float())))
      const firstDay = rng.int(0, 27)
      const createdAt = before
        ? addDays(monthStarts[0] ?? '', -rng.int(1, 540))
        : addDays(monthStarts[start] ?? '', firstDay)
      createdAt.setUTCHours(rng.int(7, 19), rng.int(0, 59), rng.int(0, 59))

      let stop = MONTHS
      let status: PlannedCustomer['status'] = 'active'
      const churnAt = start + rng.monthsUntil(MONTHLY_CHURN[plan_])
      if (churnAt < MONTHS) {
        stop = churnAt
        status = 'churned'
      } else if (MONTHS - start >= 3 && rng.chance(0.08)) {
        // Paused: no invoice for at least the last two months, not (yet) churned.
        stop = rng.int(start + 1, MONTHS - 2)
        status = 'inactive'
      }
      // One in a hundred has since been deleted by an admin (a soft delete), never before it signed up.
      const deletedDay = addDays(monthStarts[Math.min(MONTHS - 1, stop)] ?? '', rng.int(0, 27))
      const deletedAt = rng.chance(0.01)
        ? new Date(Math.max(deletedDay.getTime(), createdAt.getTime() + 86_400_000)).toISOString()
        : null

      batch.push({
        index, id: seedId(plan.config.seed, ID_KIND.customer, index), orgId: org.id,
        name: `${first} ${last}`,
        email: `${first}.${last}@${slugify(company)}.example`.toLowerCase(),
        company, industry, status, deletedAt, createdAt: createdAt.toISOString(), plan: plan_,
        source: rng.weighted([['organic', 5], ['referral', 3], ['ads', 3], ['partner', 1], ['event', 1]] as const),
        start, stop, firstDay,
        base: Math.round(rng.between(lo, hi) * 100) / 100,
        growth: rng.between(0, MONTHLY_GROWTH[plan_]),
        key: rng.key(),
      })
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
  }
  if (batch.length > 0) yield batch
}

/** Total customers of a plan. */
export function customerCount(plan: Plan): number {
  return plan.orgs.reduce((n, o) => n + o.customers, 0)
}
