// Top customers by revenue: public.dashboard_top_customers (migration 009).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { CustomerStatus, Database, DateString, Decimal } from '../types.js'
import { callFunction } from './call-function.js'

export interface TopCustomerRow {
  id: string
  name: string
  company: string | null
  status: CustomerStatus
  /** customers.total_revenue: the sum of the customer's live revenue, exact. */
  total_revenue: Decimal
  last_purchase_date: DateString | null
}

/** The limit (1-500, default 10) live customers with the highest total revenue, ties by id. */
export async function topCustomers(db: Kysely<Database>, options: { limit?: number } = {}): Promise<TopCustomerRow[]> {
  const r = await translated(() => topCustomersQuery(options).execute(db))
  return r.rows
}

/** The statement topCustomers sends: for EXPLAIN (the bench, the plan tests). */
export function topCustomersQuery(options: { limit?: number } = {}): RawBuilder<TopCustomerRow> {
  return callFunction<'dashboard_top_customers', TopCustomerRow>('dashboard_top_customers', { top_n: options.limit })
}
