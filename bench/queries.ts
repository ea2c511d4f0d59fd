// The dashboard's five queries, written with Kysely the way the application writes them, in three
// scopes:
//   policy  as a member under RLS: no tenant filter at all, the policies add
//           `organization_id = (select private.current_org_id()) and deleted_at is null`;
//   hand    the same query in system context (RLS bypassed) with the filter written by hand,
//           `where organization_id = $1 and deleted_at is null`: the baseline;
//   hinted  as a member under RLS and, in addition, `where organization_id = $1` with the member's own
//           organization id: the planner then sees the tenant's id (and its share of the table) as
//           it does by hand, while the policy still decides what is visible.
import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Database } from '../lib/db/index.js'
import type { Plan } from '../lib/seed/plan.js'

export type Scope = { kind: 'policy' } | { kind: 'hand'; orgId: string } | { kind: 'hinted'; orgId: string }

export interface DashboardParams {
  /** First day of the last 12 months of history ('YYYY-MM-DD'). */
  monthsFrom: string
  /** Start of the last 30 days of history (ISO timestamp). */
  activitiesSince: string
  /** The document the metadata search looks for (about 1% of activities contain it). */
  metadata: Record<string, string>
  /** A rare document (a few rows in the whole table), for the lookup beyond the five dashboard queries. */
  rareMetadata: Record<string, number>
}

export type BusinessTable = 'customers' | 'revenue' | 'activities'

export interface DashboardQuery {
  name: string
  title: string
  table: BusinessTable
  /**
   * How the application writes it for a member: under RLS alone ('policy'), or under RLS with the
   * member's organization id passed as well ('hinted'). A page (ORDER BY ... LIMIT) is hinted: whether
   * to walk an index in order and stop early or to read and sort the whole tenant depends on the tenant's
   * size, which the planner cannot see behind the policy's InitPlan.
   */
  app: 'policy' | 'hinted'
  build(db: Kysely<Database>, scope: Scope, params: DashboardParams): RawBuilder<unknown>
}

/** The dashboard's "now" is the end of the seeded history, so that the data is the same any day it runs. */
export function dashboardParams(plan: Plan): DashboardParams {
  const { monthStarts, end } = plan.calendar
  const since = new Date(`${end}T00:00:00Z`)
  since.setUTCDate(since.getUTCDate() - 30)
  return {
    monthsFrom: monthStarts[monthStarts.length - 12] ?? end,
    activitiesSince: since.toISOString(),
    metadata: { format: 'pdf', report: 'revenue' },
    rareMetadata: { rows: 1234 },
  }
}

/** `organization_id = $1` (and `deleted_at is null` by hand, which the policy adds by itself). */
function scoped(table: BusinessTable, scope: Scope): RawBuilder<boolean> {
  switch (scope.kind) {
    case 'policy':
      return sql<boolean>`true`
    case 'hand':
      return sql<boolean>`${sql.ref(`${table}.organization_id`)} = ${scope.orgId} and ${sql.ref(`${table}.deleted_at`)} is null`
    case 'hinted':
      return sql<boolean>`${sql.ref(`${table}.organization_id`)} = ${scope.orgId}`
  }
}

export const DASHBOARD_QUERIES: readonly DashboardQuery[] = [
  {
    name: 'monthly_revenue',
    app: 'policy',
    title: 'monthly revenue, last 12 months',
    table: 'revenue',
    build: (db, scope, p) => sql`${db.selectFrom('revenue')
      .select([
        sql<string>`date_trunc('month', revenue.date)::date`.as('month'),
        (eb) => eb.fn.sum<string>('revenue.amount').as('total'),
        (eb) => eb.fn.countAll<string>().as('invoices'),
      ])
      .where('revenue.date', '>=', p.monthsFrom)
      .where(scoped('revenue', scope))
      .groupBy(sql`1`)
      .orderBy(sql`1`)}`,
  },
  {
    name: 'top_customers',
    app: 'policy',
    title: 'top 20 customers by total revenue',
    table: 'customers',
    build: (db, scope) => sql`${db.selectFrom('customers')
      .select(['customers.id', 'customers.name', 'customers.company', 'customers.total_revenue'])
      .where(scoped('customers', scope))
      .orderBy('customers.total_revenue', 'desc')
      .limit(20)}`,
  },
  {
    name: 'customers_page',
    app: 'hinted',
    title: 'page of 50 customers by creation date',
    table: 'customers',
    build: (db, scope) => sql`${db.selectFrom('customers')
      .select(['customers.id', 'customers.name', 'customers.email', 'customers.company', 'customers.status', 'customers.created_at'])
      .where(scoped('customers', scope))
      .orderBy('customers.created_at', 'desc')
      .limit(50)}`,
  },
  {
    name: 'activities_by_type',
    app: 'policy',
    title: 'activities by type, last 30 days',
    table: 'activities',
    build: (db, scope, p) => sql`${db.selectFrom('activities')
      .select(['activities.type', (eb) => eb.fn.countAll<string>().as('count')])
      .where('activities.created_at', '>=', new Date(p.activitiesSince))
      .where(scoped('activities', scope))
      .groupBy('activities.type')
      .orderBy('count', 'desc')}`,
  },
  {
    name: 'metadata_search',
    app: 'hinted',
    title: 'activities whose metadata contains a document',
    table: 'activities',
    build: (db, scope, p) => sql`${db.selectFrom('activities')
      .select(['activities.id', 'activities.type', 'activities.customer_id', 'activities.metadata', 'activities.created_at'])
      .where(sql<boolean>`activities.metadata @> ${JSON.stringify(p.metadata)}::jsonb`)
      .where(scoped('activities', scope))
      .orderBy('activities.created_at', 'desc')
      .limit(50)}`,
  },
]

/**
 * Beyond the dashboard: the same search for a rare document. Under RLS no index on metadata can
 * serve it (see docs/benchmarks.md): measured and reported, not one of the five targets.
 */
export const EXTRA_QUERIES: readonly DashboardQuery[] = [
  {
    name: 'metadata_lookup',
    app: 'hinted',
    title: 'activities whose metadata contains a rare document',
    table: 'activities',
    build: (db, scope, p) => sql`${db.selectFrom('activities')
      .select(['activities.id', 'activities.type', 'activities.customer_id', 'activities.metadata', 'activities.created_at'])
      .where(sql<boolean>`activities.metadata @> ${JSON.stringify(p.rareMetadata)}::jsonb`)
      .where(scoped('activities', scope))
      .orderBy('activities.created_at', 'desc')
      .limit(50)}`,
  },
]
