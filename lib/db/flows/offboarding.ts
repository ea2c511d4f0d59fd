// Offboarding (issue 21): typed calls of the SQL API of 015_offboarding.sql. An admin requests the
// deletion of their organization (asUser) or cancels it within the grace period; the owner purges
// organizations whose grace ended (asSystem: the purge is no API role's); the service role erases a
// user, a user erases themself. docs/offboarding.md tells what is deleted when.
import { type Kysely, sql } from 'kysely'
import { DbError, translated } from '../errors.js'
import { asSystem } from '../session.js'
import type { Database, FunctionArgs, FunctionReturns } from '../types.js'

/**
 * The signed-in admin requests the deletion of their organization; `confirmName` must be its name,
 * exactly. Returns when the purge may happen (now + the deployment's grace period). From then on its
 * members see and write none of its data; the organization row stays visible with the dates.
 * NotAuthorizedError for a non-admin, InvalidInputError for a wrong name, ConflictError when already pending.
 */
export async function requestOrganizationDeletion(db: Kysely<Database>, confirmName: string): Promise<Date> {
  // Typed by the generated signature (lib/db/types.ts Functions): argument names and the result.
  const args = { confirm_name: confirmName } satisfies FunctionArgs<'request_organization_deletion'>
  const r = await translated(() => sql<{ purge_after: FunctionReturns<'request_organization_deletion'> }>`
    select public.request_organization_deletion(confirm_name => ${args.confirm_name}) as purge_after`.execute(db))
  const purgeAfter = r.rows[0]?.purge_after
  if (!(purgeAfter instanceof Date)) throw new DbError('request_organization_deletion returned no date', { table: 'organizations' })
  return purgeAfter
}

/** An admin cancels the pending deletion within the grace period. ConflictError when none is pending or the grace ended. */
export async function cancelOrganizationDeletion(db: Kysely<Database>): Promise<void> {
  await translated(() => sql<{ done: FunctionReturns<'cancel_organization_deletion'> }>`
    select public.cancel_organization_deletion() as done`.execute(db))
}

/**
 * Erases a user (service role only): profile, invitations to their address, their email and name in
 * the audit trail. InvalidInputError (constraint organization_keeps_an_admin) when they are the last admin of an organization with other members. Delete their auth user afterwards.
 */
export async function eraseUser(db: Kysely<Database>, userId: string): Promise<void> {
  const args = { target: userId } satisfies FunctionArgs<'erase_user'>
  await translated(() => sql<{ done: FunctionReturns<'erase_user'> }>`select public.erase_user(target => ${args.target}::uuid) as done`.execute(db))
}

/** The signed-in user erases themself and their auth account (as eraseUser, then the auth.users row). */
export async function deleteMyAccount(db: Kysely<Database>): Promise<void> {
  await translated(() => sql<{ done: FunctionReturns<'delete_my_account'> }>`select public.delete_my_account() as done`.execute(db))
}

/** An organization whose grace period has ended by a given time: what the purge will remove. */
export interface DueOrganization {
  id: string
  deletion_requested_at: Date
  purge_after: Date
  /** Set once a purge began: it cannot be cancelled any more. */
  purge_started_at: Date | null
}

/** Organizations due for purging at `asOf` (default now), oldest grace end first. Run it as the owner (asSystem). */
export async function dueOrganizations(db: Kysely<Database>, asOf: Date = new Date()): Promise<DueOrganization[]> {
  const rows = await translated(() => db.selectFrom('organizations')
    .select(['id', 'deletion_requested_at', 'purge_after', 'purge_started_at'])
    .where('purge_after', 'is not', null).where('purge_after', '<=', asOf)
    .orderBy('purge_after').orderBy('id').execute())
  return rows.flatMap((r) => r.deletion_requested_at && r.purge_after
    ? [{ id: r.id, deletion_requested_at: r.deletion_requested_at, purge_after: r.purge_after, purge_started_at: r.purge_started_at }]
    : [])
}

/** One batch of a purge: the table it deleted from (organizations for the last step), how many rows, and whether the organization is gone. */
export interface PurgeStep {
  table: string | null
  deleted: number
  done: boolean
}

/** One batch of the purge of one organization, in the caller's transaction (as the owner). */
export async function purgeOrganizationStep(
  db: Kysely<Database>, organizationId: string, options: { asOf?: Date; batchRows?: number } = {},
): Promise<PurgeStep> {
  const r = await translated(() => sql<{ table_name: string | null; deleted: string; done: boolean }>`
    select table_name, deleted, done
      from private.purge_organization_step(${organizationId}::uuid, ${options.asOf ?? new Date()}::timestamptz, ${options.batchRows ?? null}::integer)`.execute(db))
  const row = r.rows[0]
  if (!row) throw new DbError('purge_organization_step returned nothing', { table: 'organizations' })
  return { table: row.table_name, deleted: Number(row.deleted), done: row.done }
}

/** Every organization due at `asOf`, in one transaction (private.purge_organizations); returns how many. */
export async function purgeOrganizations(db: Kysely<Database>, asOf: Date = new Date()): Promise<number> {
  const r = await translated(() => sql<{ purged: number }>`select private.purge_organizations(${asOf}::timestamptz) as purged`.execute(db))
  return r.rows[0]?.purged ?? 0
}

export interface PurgeProgress {
  organizationId: string
  /** Organizations purged so far, and due in all. */
  purged: number
  due: number
  step: PurgeStep
}

export interface PurgeInBatchesOptions {
  asOf?: Date
  /** Rows per batch (default: the deployment's private.offboarding_settings.purge_batch_rows). */
  batchRows?: number
  /** After each batch (each its own committed transaction). */
  onBatch?: (progress: PurgeProgress) => void
}

export interface PurgeResult {
  purged: string[]
  batches: number
  rows: number
}

/**
 * The purge as the scheduler runs it: every due organization, one committed transaction per batch, so
 * that other tenants never wait on a long transaction and a crash loses at most one batch (the next run
 * resumes from the rows still there). Takes the root handle: it opens its own transactions (asSystem).
 */
export async function purgeInBatches(db: Kysely<Database>, options: PurgeInBatchesOptions = {}): Promise<PurgeResult> {
  const asOf = options.asOf ?? new Date()
  const due = await asSystem(db, (trx) => dueOrganizations(trx, asOf))
  const result: PurgeResult = { purged: [], batches: 0, rows: 0 }
  for (const org of due) {
    for (;;) {
      const step = await asSystem(db, (trx) => purgeOrganizationStep(trx, org.id, { asOf, ...(options.batchRows ? { batchRows: options.batchRows } : {}) }))
      result.batches++
      if (step.table !== 'organizations') result.rows += step.deleted
      if (step.done) result.purged.push(org.id)
      options.onBatch?.({ organizationId: org.id, purged: result.purged.length, due: due.length, step })
      if (step.done) break
    }
  }
  return result
}
