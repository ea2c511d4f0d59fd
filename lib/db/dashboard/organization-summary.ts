// The organization at a glance: public.dashboard_organization_summary (migration 009; over the daily rollups of 013).
import type { Kysely, RawBuilder } from 'kysely'
import { translated } from '../errors.js'
import type { Database, DateString, Decimal, Int8 } from '../types.js'
import { callFunction } from './call-function.js'

export interface OrganizationSummary {
  organization_id: string
  active_customers: Int8
  inactive_customers: Int8
  churned_customers: Int8
  /** Live revenue of the calendar month of asOf, exact. */
  revenue_this_month: Decimal
  revenue_last_month: Decimal
  /** Users of the organization (profiles with access), admins included. */
  active_users: Int8
}

/** The caller's organization's summary as of a day (default: today); null without an organization. */
export async function organizationSummary(db: Kysely<Database>, options: { asOf?: DateString } = {}): Promise<OrganizationSummary | null> {
  const r = await translated(() => organizationSummaryQuery(options).execute(db))
  return r.rows[0] ?? null
}

/** The statement organizationSummary sends: for EXPLAIN (the bench, the plan tests). */
export function organizationSummaryQuery(options: { asOf?: DateString } = {}): RawBuilder<OrganizationSummary> {
  return callFunction<'dashboard_organization_summary', OrganizationSummary>('dashboard_organization_summary', { as_of: options.asOf })
}
