// Soft delete, trash and restore for the business tables, through the SQL API (public.soft_delete,
// public.restore, public.deleted_<table>()): an admin acts on rows of their own organization only.
import { type Kysely, type Selectable, sql } from 'kysely'
import { InvalidInputError, NotAuthorizedError, NotFoundError, translated } from '../errors.js'
import { type Database, SOFT_DELETE_TABLES, type SoftDeleteTable } from '../types.js'

/** A row of one of those tables, as selected. */
export type SoftDeleteRow<T extends SoftDeleteTable> = Selectable<Database[T]>

// Fixed SQL per table: the table name never reaches the query text from the caller.
const TRASH_FUNCTIONS = {
  customers: sql`public.deleted_customers()`,
  revenue: sql`public.deleted_revenue()`,
  activities: sql`public.deleted_activities()`,
} as const satisfies Record<SoftDeleteTable, unknown>

/** Whether the caller is a signed-in admin of an organization (the only ones who soft delete). */
async function callerIsAdmin(db: Kysely<Database>): Promise<boolean> {
  const me = await db
    .selectFrom('profiles')
    .select(['role', 'organization_id'])
    .where('id', '=', sql<string>`auth.uid()`)
    .executeTakeFirst()
  return me !== undefined && me.role === 'admin' && me.organization_id !== null
}

async function setDeleted(db: Kysely<Database>, table: SoftDeleteTable, id: string, deleted: boolean): Promise<void> {
  const fn = deleted ? sql`public.soft_delete` : sql`public.restore`
  const changed = await translated(async () => {
    const r = await sql<{ changed: boolean | null }>`select ${fn}(${table}, ${id}::uuid) as changed`.execute(db)
    return r.rows[0]?.changed === true
  })
  if (changed) return
  const verb = deleted ? 'delete' : 'restore'
  if (!(await translated(() => callerIsAdmin(db)))) {
    throw new NotAuthorizedError(`not authorized: only an organization admin can ${verb} ${table} rows`, { table })
  }
  const state = deleted ? 'live' : 'deleted'
  throw new NotFoundError(`no ${state} ${table} row ${id} in your organization`, { table })
}

/**
 * Marks a live row of the caller's organization deleted (deleted_at = now(); audited as SOFT_DELETE).
 * NotAuthorizedError unless the caller is a signed-in admin; NotFoundError when the organization has
 * no such live row (unknown, already deleted, or another tenant's).
 */
export function softDelete(db: Kysely<Database>, table: SoftDeleteTable, id: string): Promise<void> {
  return setDeleted(db, table, id, true)
}

/** Brings a soft-deleted row back (audited as RESTORE); errors as for softDelete. */
export function restore(db: Kysely<Database>, table: SoftDeleteTable, id: string): Promise<void> {
  return setDeleted(db, table, id, false)
}

/**
 * The trash: the caller's organization's soft-deleted rows of a table, newest deletion first.
 * Empty for anyone but an admin of the organization.
 */
export async function listDeleted<T extends SoftDeleteTable>(db: Kysely<Database>, table: T): Promise<SoftDeleteRow<T>[]> {
  // Callers in plain JavaScript can pass anything; the types alone don't stop them.
  if (!SOFT_DELETE_TABLES.includes(table)) {
    throw new InvalidInputError(`no trash for table "${String(table)}": use ${SOFT_DELETE_TABLES.join(', ')}`, { code: '22023' })
  }
  const result = await translated(() => sql<SoftDeleteRow<T>>`select * from ${TRASH_FUNCTIONS[table]}`.execute(db))
  return result.rows
}
