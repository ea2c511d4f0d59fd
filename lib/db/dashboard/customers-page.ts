// A page of customers, newest first, keyset-paged: public.dashboard_customers_page (migration 009).
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { translated } from '../errors.js'
import type { Customer, CustomerStatus, Database } from '../types.js'
import { cursorAt, decodeCursor, keysetPage } from '../cursor.js'
import { callFunction } from './call-function.js'

export const CUSTOMERS_PAGE_DEFAULT_SIZE = 50

export interface CustomersPageQuery {
  /** 1-500; default 50. */
  limit?: number
  /** nextCursor of the previous page. */
  cursor?: string
  status?: CustomerStatus
  industry?: string
  /** Case-insensitive prefix of the name. */
  namePrefix?: string
}

export interface CustomersPage {
  rows: Customer[]
  /** Pass as cursor for the next page; null on the last one. */
  nextCursor: string | null
}

/**
 * Live customers by created_at desc, id desc. Stable under inserts: a customer added meanwhile comes
 * before the first page, never inside a later one.
 */
export async function customersPage(db: Kysely<Database>, query: CustomersPageQuery = {}): Promise<CustomersPage> {
  // The function's page size is at most 500.
  return keysetPage(query.limit ?? CUSTOMERS_PAGE_DEFAULT_SIZE, 500, async (ask) =>
    (await translated(() => customersPageQuery({ ...query, limit: ask }).execute(db))).rows)
}

/** The statement customersPage sends for exactly query.limit rows: for EXPLAIN (the bench, the plan tests). */
export function customersPageQuery(query: CustomersPageQuery = {}): RawBuilder<Customer & { cursor_at: string }> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'customersPage')
  return callFunction<'dashboard_customers_page', Customer & { cursor_at: string }>('dashboard_customers_page', {
    page_size: query.limit ?? CUSTOMERS_PAGE_DEFAULT_SIZE, after_created_at: after?.at, after_id: after?.id,
    status: query.status, industry: query.industry, name_prefix: query.namePrefix,
  }, sql`f.*, ${cursorAt('f.created_at')} as cursor_at`)
}
