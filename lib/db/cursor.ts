// Keyset cursors of the library's pages (the audit trail, the dashboard's customers and searches): the last row's created_at (UTC, microseconds: a JS Date
// keeps milliseconds and would skip rows) and id, as an opaque base64url string.
import { sql } from 'kysely'
import { InvalidInputError } from './errors.js'

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
export function decodeCursor(cursor: string, what: string, table?: string): CursorPosition {
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
  throw new InvalidInputError(`${what}: the cursor is not valid; pass a nextCursor it returned`, { code: '22023', ...(table ? { table } : {}) })
}

/**
 * A page of `limit` rows and the cursor after its last. The query is asked for one row more, which
 * tells whether another page follows, unless that would pass `max`, the most it may be asked for;
 * a full page at `max` then gets a cursor, and the page after it may be empty.
 */
export async function keysetPage<R extends { id: string; cursor_at: string }>(
  limit: number,
  max: number,
  fetch: (ask: number) => Promise<R[]>,
): Promise<{ rows: Omit<R, 'cursor_at'>[]; nextCursor: string | null }> {
  const ask = Number.isInteger(limit) && limit >= 1 && limit < max ? limit + 1 : limit
  const rows = await fetch(ask)
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  const more = last !== undefined && (rows.length > limit || (ask === limit && page.length === limit))
  return {
    rows: page.map(({ cursor_at: _, ...row }) => row),
    nextCursor: more ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  }
}
