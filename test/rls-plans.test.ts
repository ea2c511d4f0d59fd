// The dashboard's queries under RLS (bench/queries.ts), planned for a member on a small seeded dataset
// after ANALYZE: each reads its business table through an index led by organization_id and never
// scans the whole table. A plan test, not a timing: it holds on the embedded database and on
// PostgreSQL (DATABASE_URL), for a small and for the largest organization.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { asSystem, asUser, becomeActor, type Database } from '../lib/db/index.js'
import type { Dataset } from '../bench/dataset.js'
import { explain, type PlanNode, planNodes } from '../bench/measure.js'
import { dashboardParams, type DashboardParams } from '../bench/questions.js'

type BusinessTable = 'customers' | 'revenue' | 'activities'
type Scope = { kind: 'policy' } | { kind: 'hinted'; orgId: string }
const hint = (table: BusinessTable, scope: Scope) =>
  scope.kind === 'hinted' ? sql<boolean>`${sql.ref(`${table}.organization_id`)} = ${scope.orgId}` : sql<boolean>`true`

/**
 * Plain selects under RLS, as a supabase-js `.from(...).select()` sends them, alone or with the
 * member's organization id passed as well. (The dashboard's own questions are SQL functions; their
 * plans: test/dashboard-plans.test.ts.)
 */
const DASHBOARD_QUERIES: { name: string; table: BusinessTable; build(db: Kysely<Database>, scope: Scope, p: DashboardParams): RawBuilder<unknown> }[] = [
  {
    name: 'monthly_revenue', table: 'revenue',
    build: (db, scope, p) => sql`${db.selectFrom('revenue').select([sql<string>`date_trunc('month', revenue.date)::date`.as('month'),
      (eb) => eb.fn.sum<string>('revenue.amount').as('total')]).where('revenue.date', '>=', p.revenue.start).where(hint('revenue', scope))
      .groupBy(sql`1`).orderBy(sql`1`)}`,
  },
  {
    name: 'customers_page', table: 'customers',
    build: (db, scope) => sql`${db.selectFrom('customers').select(['customers.id', 'customers.name', 'customers.created_at'])
      .where(hint('customers', scope)).orderBy('customers.created_at', 'desc').limit(50)}`,
  },
  {
    name: 'activities_by_type', table: 'activities',
    build: (db, scope, p) => sql`${db.selectFrom('activities').select(['activities.type', (eb) => eb.fn.countAll<string>().as('count')])
      .where('activities.created_at', '>=', new Date(p.activities.since)).where(hint('activities', scope)).groupBy('activities.type')}`,
  },
]
import { useFreshDb } from './support/db.js'
import { seedForPlans } from './support/plans.js'

// The tables the dashboard's queries read (a deliberate subset of TABLES: the rest have no dashboard query).
const BUSINESS_TABLES: readonly BusinessTable[] = ['customers', 'revenue', 'activities']

const t = useFreshDb()
let dataset: Dataset
/** Indexes of the business tables whose first column is organization_id, by table. */
let orgIndexes: Map<string, Set<string>>

t.before(async () => {
  ({ dataset, orgIndexes } = await seedForPlans(t.db))
})

function describePlan(plan: PlanNode): string {
  return planNodes(plan).map((n) => `${n.nodeType}${n.relation ? ` on ${n.relation}` : ''}${n.index ? ` using ${n.index}` : ''}`).join(' > ')
}

/** What is wrong with a plan that reads `table`: sequential scans of business tables, no organization_id index. */
function violations(plan: PlanNode, table: BusinessTable): string[] {
  const nodes = planNodes(plan)
  const found: string[] = []
  for (const business of BUSINESS_TABLES) {
    if (nodes.some((n) => n.nodeType === 'Seq Scan' && n.relation === business)) found.push(`sequential scan of ${business}`)
  }
  const allowed = orgIndexes.get(table) ?? new Set<string>()
  if (!nodes.some((n) => n.index !== undefined && allowed.has(n.index))) {
    found.push(`no index led by organization_id on ${table} (${[...allowed].join(', ')})`)
  }
  return found
}

describe('dashboard plans under RLS', () => {
  it('the dataset has a large and a small organization', () => {
    assert.ok(dataset.largest.rows.activities > 20 * dataset.small.rows.activities,
      `largest ${dataset.largest.rows.activities} vs small ${dataset.small.rows.activities} activities`)
    assert.ok(orgIndexes.get('activities')?.size, 'indexes led by organization_id were found')
  })

  for (const q of DASHBOARD_QUERIES) {
    for (const which of ['small', 'largest'] as const) {
      for (const kind of ['policy', 'hinted'] as const) {
        const form = kind === 'policy' ? 'RLS alone' : 'RLS with the org id passed'
        it(`${q.name} for the ${which} organization (${form}) reads ${q.table} by an organization_id index, no sequential scan`, async () => {
          const org = dataset[which]
          const scope: Scope = kind === 'policy' ? { kind } : { kind, orgId: org.id }
          const { plan } = await asUser(t.db, org.memberId, (trx) => explain(trx, q.build(trx, scope, dashboardParams(dataset.plan)), false))
          assert.deepEqual(violations(plan, q.table), [], describePlan(plan))
        })
      }
    }
  }

  it('would catch a policy the planner cannot match to an index (control, rolled back)', async () => {
    const org = dataset.largest
    const q = DASHBOARD_QUERIES.find((x) => x.table === 'customers')
    assert.ok(q)
    const found = await asSystem(t.db, async (trx) => {
        await sql`drop policy customers_select on public.customers`.execute(trx)
        await sql`create policy customers_select on public.customers for select to authenticated
                    using (organization_id::text = (select private.current_org_id())::text and deleted_at is null)`.execute(trx)
        // The member from here on, in the same transaction as the DDL above: a session's actor is
        // fixed when it starts, so the switch is by hand.
        await becomeActor(trx, { kind: 'user', userId: org.memberId })
        const { plan } = await explain(trx, q.build(trx, { kind: 'policy' }, dashboardParams(dataset.plan)), false)
        return violations(plan, q.table)
      }, { attempts: 1, rollback: true })
    assert.ok(found.length > 0, 'a policy on organization_id::text left no trace in the check')
  })
})
