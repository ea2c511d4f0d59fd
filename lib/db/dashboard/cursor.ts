// Keyset cursors of the dashboard's pages: the last row's created_at (UTC, microseconds: a JS Date
// keeps milliseconds and would skip rows) and id, as an opaque base64url string.
import { sql } from 'kysely'
import { InvalidInputError } from '../errors.js'

export interface CursorPosition {
  /** created_at in UTC with microseconds, e.g. '2025-06-01T12:00:00.123456Z'. */
  at: string
  id: string
}

const CURSOR_AT = /^\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** created_at as the cursor wants it, selected next to the row. */
export const cursorAt = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url')
}

/** The position in a cursor; an InvalidInputError naming `what` for anything that is not one. */
export function decodeCursor(cursor: string, what: string): CursorPosition {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parsed = null
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [at, id]: unknown[] = parsed
    if (typeof at === 'string' && CURSOR_AT.test(at) && typeof id === 'string' && UUID.test(id)) return { at, id }
  }
  throw new InvalidInputError(`${what}: the cursor is not valid; pass a nextCursor it returned`, { code: '22023' })
}
