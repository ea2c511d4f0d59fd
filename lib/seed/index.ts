// Seeds realistic demo tenants: organizations of very different sizes, their admins and members,
// customers across industries and statuses with 24 months of seasonal revenue and churn, activities,
// and AI usage per user. Deterministic: the same seed and end month give the same rows, ids included.
//
// Streamed: customers are planned and written one batch at a time (one set-based statement each), so
// memory stays flat however many rows are written. Each batch is its own transaction; with a
// concurrency above 1 (a server database), batches are written on several connections at once.
import { type Kysely, sql } from 'kysely'
import { asSystem, type Database, maintainAuditPartitions, TenantryError } from '../db/index.js'
import { customerBatches, customerCount, lastCompleteMonth, type Plan, planTenants, type SeedConfig } from './plan.js'
import { writeAiUsage, writeCustomerBatch, writeInvitations, writeTenants } from './write.js'

export { lastCompleteMonth, planTenants, type SeedConfig } from './plan.js'

export const SEED_DEFAULTS = { seed: 1, organizations: 8, customers: 400, batchSize: 1000, concurrency: 1 } as const

export interface SeedOptions extends Partial<SeedConfig> {
  /** Customers per statement (default 1000: about 16,000 revenue rows). */
  batchSize?: number
  /** Batches written at once, each on its own connection (default 1; 2 suits a 2-core server). */
  concurrency?: number
  /** Stops after the batches in flight: what they wrote stays, the rest is not written. */
  signal?: AbortSignal
  onProgress?(progress: SeedProgress): void
}

export interface SeedCounts {
  organizations: number
  users: number
  customers: number
  revenue: number
  activities: number
  aiUsage: number
  invitations: number
}

export interface SeedProgress {
  phase: 'tenants' | 'customers' | 'ai usage'
  /** Customers written so far, of total (users for the AI usage phase). */
  done: number
  total: number
  counts: SeedCounts
}

export interface DemoLogin {
  email: string
  role: 'admin' | 'member' | 'outsider'
  organization: string | null
}

export interface SeedResult {
  config: SeedConfig
  counts: SeedCounts
  seconds: number
  /** Seconds spent in the customers phase (customers, revenue, activities and their triggers). */
  customerSeconds: number
  /** Revenue rows written per second of the whole seed. */
  revenuePerSecond: number
  /** A few users to try `tenantry sql --as <email>` with. */
  logins: DemoLogin[]
}

/** The seed cannot run on this database as it is (not migrated, not empty, bad options). */
export class SeedError extends TenantryError {
  constructor(message: string, code = 'TENANTRY_SEED_REFUSED') {
    super(message, { code })
  }
}

/** Stopped by the signal; counts says what was written. */
export class SeedInterruptedError extends SeedError {
  constructor(readonly counts: SeedCounts) {
    super(`seeding interrupted after ${counts.customers} customers and ${counts.revenue} revenue rows; ` +
      'run `tenantry reset --yes` before seeding again', 'TENANTRY_INTERRUPTED')
  }
}

/** Whether the migrated tables exist and hold any organization or auth user. */
export async function databaseState(db: Kysely<Database>): Promise<'unmigrated' | 'empty' | 'has data'> {
  const r = await sql<{ migrated: boolean }>`
    select to_regclass('public.organizations') is not null and to_regclass('auth.users') is not null as migrated`.execute(db)
  if (!r.rows[0]?.migrated) return 'unmigrated'
  const d = await sql<{ has_data: boolean }>`
    select exists (select 1 from public.organizations) or exists (select 1 from auth.users) as has_data`.execute(db)
  return d.rows[0]?.has_data ? 'has data' : 'empty'
}

function sampleLogins(plan: Plan): DemoLogin[] {
  const logins: DemoLogin[] = []
  const add = (pred: (u: Plan['users'][number]) => boolean, role: DemoLogin['role']): void => {
    const u = plan.users.find(pred)
    if (u) logins.push({ email: u.email, role, organization: u.orgIndex === null ? null : (plan.orgs[u.orgIndex]?.slug ?? null) })
  }
  add((u) => u.orgIndex === 0 && u.role === 'admin', 'admin')
  add((u) => u.orgIndex === 0 && u.role === 'member', 'member')
  add((u) => u.orgIndex === 1 && u.role === 'admin', 'admin')
  add((u) => u.orgIndex === null, 'outsider')
  return logins
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new SeedError(`${name} must be a positive integer (got ${value})`)
  return value
}

export async function seedDatabase(db: Kysely<Database>, options: SeedOptions = {}): Promise<SeedResult> {
  const config: SeedConfig = {
    seed: options.seed ?? SEED_DEFAULTS.seed,
    organizations: options.organizations ?? SEED_DEFAULTS.organizations,
    customers: options.customers ?? SEED_DEFAULTS.customers,
    endMonth: options.endMonth ?? lastCompleteMonth(),
  }
  const batchSize = positiveInt('batch size', options.batchSize ?? SEED_DEFAULTS.batchSize)
  const concurrency = positiveInt('concurrency', options.concurrency ?? SEED_DEFAULTS.concurrency)
  let plan: Plan
  try {
    plan = planTenants(config)
  } catch (e) {
    throw e instanceof RangeError ? new SeedError(e.message) : e
  }

  const state = await databaseState(db)
  if (state === 'unmigrated') throw new SeedError('the database is not migrated: run `tenantry migrate` first')
  if (state === 'has data') {
    throw new SeedError('the database already has organizations or users: seed an empty database (`tenantry reset --yes` empties it)')
  }

  // The audit trail's partitions for this month and the next exist before the seed writes its rows.
  await maintainAuditPartitions(db)

  const started = performance.now()
  const counts: SeedCounts = { organizations: 0, users: 0, customers: 0, revenue: 0, activities: 0, aiUsage: 0, invitations: 0 }
  const total = customerCount(plan)
  const report = (phase: SeedProgress['phase'], done: number, of: number): void =>
    options.onProgress?.({ phase, done, total: of, counts: { ...counts } })

  report('tenants', 0, total)
  Object.assign(counts, await asSystem(db, (trx) => writeTenants(trx, plan)))
  counts.invitations = await asSystem(db, (trx) => writeInvitations(trx, plan))

  const customersStarted = performance.now()
  report('customers', 0, total)
  const inFlight = new Set<Promise<void>>()
  let failure: unknown
  for (const batch of customerBatches(plan, batchSize)) {
    // The embedded database answers through promises alone, never through I/O: without a turn of the
    // event loop here, a Ctrl-C (delivered by the loop) would only be seen after the last batch.
    await new Promise((resolve) => setImmediate(resolve))
    if (options.signal?.aborted || failure !== undefined) break
    const task: Promise<void> = asSystem(db, async (trx) => {
      // Losing the last batches in a crash is fine for a seed; waiting for each flush is not.
      await sql`set local synchronous_commit = off`.execute(trx)
      return writeCustomerBatch(trx, plan, batch)
    }).then(
      (written) => {
        counts.customers += written.customers
        counts.revenue += written.revenue
        counts.activities += written.activities
        report('customers', counts.customers, total)
      },
      (e: unknown) => {
        failure ??= e
      },
    ).finally(() => inFlight.delete(task))
    inFlight.add(task)
    if (inFlight.size >= concurrency) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  if (failure !== undefined) throw failure
  const customerSeconds = (performance.now() - customersStarted) / 1000
  if (options.signal?.aborted) throw new SeedInterruptedError(counts)

  const members = plan.users.filter((u) => u.orgIndex !== null)
  const userBatch = 250
  for (let i = 0; i < members.length; i += userBatch) {
    await new Promise((resolve) => setImmediate(resolve))
    if (options.signal?.aborted) throw new SeedInterruptedError(counts)
    report('ai usage', i, members.length)
    counts.aiUsage += await asSystem(db, (trx) => writeAiUsage(trx, plan, members.slice(i, i + userBatch)))
  }
  report('ai usage', members.length, members.length)

  const seconds = (performance.now() - started) / 1000
  return {
    config, counts, seconds, customerSeconds,
    revenuePerSecond: seconds > 0 ? Math.round(counts.revenue / seconds) : 0,
    logins: sampleLogins(plan),
  }
}
