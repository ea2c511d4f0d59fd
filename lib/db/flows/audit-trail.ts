// Reading the audit trail: newest first (created_at desc, id desc), filtered, paged by keyset cursor
// or by offset. RLS decides what a caller sees: an organization's admins its whole trail, members and
// outsiders nothing; trusted roles everything, so pass organizationId there. The trail is partitioned
// by month on created_at (migration 012): since/until and the cursor bound created_at, so only the
// months they reach are read, each through idx_audit_logs_org_created (organization_id, created_at, id).
import { type Kysely, sql } from 'kysely'
import { cursorAt, decodeCursor, encodeCursor } from '../cursor.js'
import { InvalidInputError, translated } from '../errors.js'
import type { AuditAction, AuditLog, Database, TableName } from '../types.js'

export const AUDIT_TRAIL_DEFAULT_LIMIT = 50
export const AUDIT_TRAIL_MAX_LIMIT = 1000

export interface AuditTrailQuery {
  organizationId?: string
  /** Rows about this table only. */
  table?: TableName
  /** Rows about this record only. */
  recordId?: string
  /** Rows by this user; null for the rows the system made (no user). */
  actorId?: string | null
  action?: AuditAction | readonly AuditAction[]
  /** created_at >= since. A string is read by PostgreSQL (ISO 8601 with offset). */
  since?: Date | string
  /** created_at < until. */
  until?: Date | string
  /** Page size, 1..1000; default 50. */
  limit?: number
  /** nextCursor of the previous page: keyset paging, stable while rows are added. */
  cursor?: string
  /** Rows to skip instead of a cursor. */
  offset?: number
}

export interface AuditTrailPage {
  rows: AuditLog[]
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
  /** Pass as `offset` for the next page; null on the last page. */
  nextOffset: number | null
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`audit trail ${name} must be an integer from ${min} to ${max}, not ${value}`, {
      table: 'audit_logs',
    })
  }
}

function timestamp(value: Date | string) {
  return typeof value === 'string' ? sql<Date>`${value}::timestamptz` : value
}

/** One page of the audit trail, newest first. */
export async function readAuditTrail(db: Kysely<Database>, query: AuditTrailQuery = {}): Promise<AuditTrailPage> {
  const limit = query.limit ?? AUDIT_TRAIL_DEFAULT_LIMIT
  checkInteger('limit', limit, 1, AUDIT_TRAIL_MAX_LIMIT)
  if (query.offset !== undefined) checkInteger('offset', query.offset, 0, Number.MAX_SAFE_INTEGER)
  if (query.offset !== undefined && query.cursor !== undefined) {
    throw new InvalidInputError('audit trail: pass a cursor or an offset, not both', { table: 'audit_logs' })
  }
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'readAuditTrail', 'audit_logs')

  let q = db
    .selectFrom('audit_logs')
    .selectAll('audit_logs')
    .select(cursorAt('audit_logs.created_at').as('cursor_at'))
  if (query.organizationId !== undefined) q = q.where('organization_id', '=', query.organizationId)
  if (query.table !== undefined) q = q.where('table_name', '=', query.table)
  if (query.recordId !== undefined) q = q.where('record_id', '=', query.recordId)
  if (query.actorId === null) q = q.where('user_id', 'is', null)
  else if (query.actorId !== undefined) q = q.where('user_id', '=', query.actorId)
  if (typeof query.action === 'string') q = q.where('action', '=', query.action)
  else if (query.action !== undefined) {
    // An empty list matches nothing (an empty IN list is not valid SQL).
    if (query.action.length === 0) return { rows: [], nextCursor: null, nextOffset: null }
    q = q.where('action', 'in', query.action)
  }
  if (query.since !== undefined) q = q.where('created_at', '>=', timestamp(query.since))
  if (query.until !== undefined) q = q.where('created_at', '<', timestamp(query.until))
  if (after) {
    q = q.where(sql<boolean>`(audit_logs.created_at, audit_logs.id) < (${after.at}::timestamptz, ${after.id}::uuid)`)
    // Implied by the row comparison, which partition pruning cannot read: this lets it skip the
    // monthly partitions newer than the cursor.
    q = q.where('created_at', '<=', sql<Date>`${after.at}::timestamptz`)
  }
  q = q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1)
  if (query.offset !== undefined) q = q.offset(query.offset)

  const found = await translated(() => q.execute())
  const page = found.slice(0, limit)
  const last = page[page.length - 1]
  const more = found.length > limit && last !== undefined
  return {
    rows: page.map(({ cursor_at: _, ...row }) => row),
    nextCursor: more ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
    nextOffset: more ? (query.offset ?? 0) + limit : null,
  }
}
