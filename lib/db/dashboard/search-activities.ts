// The newest activities whose metadata contains a document: public.search_activities (migration 009),
// which reads the metadata index (migration 010) and only the caller's organization's live rows.
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { translated } from '../errors.js'
import type { Activity, Database, JsonObject } from '../types.js'
import { cursorAt, decodeCursor, keysetPage } from '../cursor.js'
import { callFunction } from './call-function.js'

export const SEARCH_ACTIVITIES_DEFAULT_SIZE = 50

export interface SearchActivitiesQuery {
  /** What metadata must contain (jsonb @>): a non-empty object of at most 4 KiB as JSON. */
  document: JsonObject
  /** 1-500; default 50. */
  limit?: number
  /** nextCursor of the previous page. */
  cursor?: string
}

export interface SearchActivitiesPage {
  rows: Activity[]
  nextCursor: string | null
}

/** Newest first (created_at desc, id desc). A document that is not a non-empty object is an InvalidInputError. */
export async function searchActivities(db: Kysely<Database>, query: SearchActivitiesQuery): Promise<SearchActivitiesPage> {
  return keysetPage(query.limit ?? SEARCH_ACTIVITIES_DEFAULT_SIZE, 500, async (ask) =>
    (await translated(() => searchActivitiesQuery({ ...query, limit: ask }).execute(db))).rows)
}

/** The statement searchActivities sends for exactly query.limit rows: for EXPLAIN (the bench, the plan tests). */
export function searchActivitiesQuery(query: SearchActivitiesQuery): RawBuilder<Activity & { cursor_at: string }> {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'searchActivities')
  return callFunction<'search_activities', Activity & { cursor_at: string }>('search_activities', {
    document: query.document, page_size: query.limit ?? SEARCH_ACTIVITIES_DEFAULT_SIZE, before: before?.at, before_id: before?.id,
  }, sql`f.*, ${cursorAt('f.created_at')} as cursor_at`)
}
