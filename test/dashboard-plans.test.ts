// Plans, not timings: each dashboard function's query (migrations 009 and 013), planned on a seeded
// dataset after ANALYZE for the largest and a small organization, reads its table through an index led
// by organization_id (the search: its metadata index for a rare document; the questions over the
// rollups of 013: the rollup's own index, bounded by the window, and for activities by type the raw
// table's for the partial days) and never scans a tenant or rollup table sequentially. EXPLAIN of a function call shows only a Function Scan, so the test takes the query the
// function runs (`return query ...` in its source, pg_proc.prosrc) and plans it as the function would:
// as the member for SECURITY INVOKER functions (the policies apply), as the owner for the search's
// SECURITY DEFINER implementation; with the call's values (a custom plan) and, for the functions that
// let PL/pgSQL cache a generic plan, with parameters too. Holds on the embedded database and on
// PostgreSQL (DATABASE_URL).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import { asSystem, asUser, type Database } from '../lib/db/index.js'
import type { Dataset, TenantRef } from '../bench/dataset.js'
import { explain, type PlanNode, planNodes } from '../bench/measure.js'
import { dashboardParams } from '../bench/questions.js'
import { useFreshDb } from './support/db.js'
import { seedForPlans } from './support/plans.js'

const TENANT_TABLES = [
  'customers', 'revenue', 'activities', 'ai_usage_log', 'profiles', 'revenue_daily', 'activities_daily', 'ai_usage_daily',
  'ai_usage_model_daily', 'ai_usage_user_daily',
] as const
type TenantTable = (typeof TENANT_TABLES)[number]

const t = useFreshDb()
let dataset: Dataset
/** Indexes of the tenant tables whose first column is organization_id, by table. */
let orgIndexes: Map<string, Set<string>>

t.before(async () => {
  ({ dataset, orgIndexes } = await seedForPlans(t.db))
})

/**
 * The query after a `return query` in a PL/pgSQL function's source: the last one, or the branch-th
 * (from 0) of a function with several (the AI usage questions: the admin's, then the member's).
 */
async function functionQuery(db: Kysely<Database>, signature: string, branch?: number): Promise<string> {
  const r = await sql<{ src: string }>`select p.prosrc as src from pg_catalog.pg_proc p where p.oid = ${signature}::regprocedure`.execute(db)
  const queries = [...(r.rows[0]?.src ?? '').matchAll(/return query\s+([\s\S]*?);/gi)].map((m) => m[1] ?? '')
  const query = queries.at(branch ?? -1)
  assert.ok(query, `${signature}: no "return query" statement ${branch ?? ''} found`)
  return query
}

/**
 * The query with the function's variables replaced: unqualified names only (columns are always
 * qualified, `c.status`), longest first (before_id before before).
 */
function bind(query: string, values: Record<string, string>): string {
  let out = query
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`(?<![.\\w"'])${name}(?![\\w"'])`, 'g'), values[name] ?? 'null')
  }
  return out
}

const lit = (value: string | number | null, type: string): string =>
  value === null ? `null::${type}` : typeof value === 'number' ? `${value}::${type}` : `'${value.replaceAll("'", "''")}'::${type}`

function describePlan(plan: PlanNode): string {
  return planNodes(plan).map((n) => `${n.nodeType}${n.relation ? ` on ${n.relation}` : ''}${n.index ? ` using ${n.index}` : ''}`).join(' > ')
}

/**
 * What is wrong with a plan of a question on `table`: sequential scans of tenant or rollup tables, no
 * organization_id index (or none of `indexes`), one of `uses` missing.
 */
function violations(plan: PlanNode, table: TenantTable, indexes?: Set<string>, uses: readonly string[] = []): string[] {
  const nodes = planNodes(plan)
  const found: string[] = []
  for (const tenant of TENANT_TABLES) {
    if (nodes.some((n) => n.nodeType === 'Seq Scan' && n.relation === tenant)) found.push(`sequential scan of ${tenant}`)
  }
  const allowed = indexes ?? orgIndexes.get(table) ?? new Set<string>()
  if (!nodes.some((n) => n.index !== undefined && allowed.has(n.index))) {
    found.push(`no index of ${[...allowed].join(', ')} on ${table}`)
  }
  for (const index of uses) {
    if (!nodes.some((n) => n.index === index)) found.push(`does not read ${index}`)
  }
  return found
}

interface PlanCase {
  fn: string
  /** SECURITY DEFINER: planned as the owner; else as the member. */
  definer?: boolean
  table: TenantTable
  /** The function's variables as SQL literals (typed), for the given organization. */
  values(org: TenantRef): Record<string, string>
  /** Also check the generic plan PL/pgSQL may cache after five calls (functions without force_custom_plan). */
  generic?: boolean
  /** Indexes the plan must use instead of any led by organization_id. */
  indexes?: Set<string>
  /** Indexes the plan must all read (besides the above). */
  uses?: readonly string[]
  /** Which `return query` of the function (default: the last). */
  branch?: number
}

function cases(): PlanCase[] {
  const p = dashboardParams(dataset.plan)
  const period = (x: { start: string; end: string }) => ({ period_start: lit(x.start, 'date'), period_end: lit(x.end, 'date') })
  const month = p.asOf.slice(0, 7)
  const search = (document: object, indexes?: Set<string>): PlanCase => ({
    fn: 'private.search_activities(jsonb, integer, timestamptz, uuid)', definer: true, table: 'activities', ...(indexes ? { indexes } : {}),
    values: (org) => ({
      org: lit(org.id, 'uuid'), document: lit(JSON.stringify(document), 'jsonb'), page_size: lit(50, 'integer'),
      before: lit(null, 'timestamptz'), before_id: lit(null, 'uuid'),
    }),
  })
  const page = (status: string | null, prefix: string | null): PlanCase => ({
    fn: 'private.dashboard_customers_page(integer, timestamptz, uuid, text, text, text)', definer: true, table: 'customers',
    values: (org) => ({
      org: lit(org.id, 'uuid'), page_size: lit(50, 'integer'), after_created_at: lit(null, 'timestamptz'), after_id: lit(null, 'uuid'),
      status: lit(status, 'text'), industry: lit(null, 'text'), name_prefix: lit(prefix, 'text'),
    }),
  })
  const asker = (org: TenantRef) => ({ org: lit(org.id, 'uuid'), me: lit(org.memberId, 'uuid') })
  // An admin reads the admin grain (per day and model; per day and user for by user) by its key; a
  // member their own rows: per day and user (020) for by day and by user, per day, model and user for
  // by model, by the (organization, user, day) index of that grain (by model: with the sums, 021).
  const usage = (by: string, admin: boolean): PlanCase => {
    const table = by === 'user' || (!admin && by === 'day') ? 'ai_usage_user_daily' : admin ? 'ai_usage_model_daily' : 'ai_usage_daily'
    return {
      fn: `private.dashboard_ai_usage_by_${by}(date, date)`, definer: true, table, branch: admin ? 0 : 1,
      indexes: new Set([admin ? `${table}_pkey` : table === 'ai_usage_daily' ? 'idx_ai_usage_daily_org_user_day_sums' : `idx_${table}_org_user_day`]),
      values: (org) => ({ ...asker(org), ...period(p.aiUsage) }),
    }
  }
  // activities_by_type's whole days and partial edges, as the function computes them from since and until.
  const since = p.activities.since.replace('T00:00:00Z', 'T06:30:00Z')
  const until = p.activities.until.replace('T00:00:00Z', 'T18:15:00Z')
  const day = (instant: string) => lit(instant.slice(0, 10), 'date')
  const midnight = (instant: string) => `(${day(instant)}::timestamp at time zone 'UTC')`
  return [
    {
      fn: 'private.dashboard_monthly_revenue(date, date)', definer: true, table: 'revenue_daily', generic: true,
      indexes: new Set(['revenue_daily_pkey']),
      values: (org) => ({ org: lit(org.id, 'uuid'), ...period(p.revenue) }),
    },
    { fn: 'public.dashboard_top_customers(integer)', table: 'customers', generic: true, indexes: new Set(['idx_customers_org_total_revenue_live']),
      values: () => ({ top_n: lit(20, 'integer') }) },
    page(null, null),
    page('active', 'a'),
    {
      fn: 'private.dashboard_activities_by_type(timestamptz, timestamptz)', definer: true, table: 'activities_daily', generic: true,
      indexes: new Set(['activities_daily_pkey']), uses: ['idx_activities_org_created_live'],
      values: (org) => ({
        org: lit(org.id, 'uuid'), since: lit(since, 'timestamptz'), until: lit(until, 'timestamptz'),
        first_day: `(${day(since)} + 1)::date`, end_day: day(until),
        head_end: `(${midnight(since)} + interval '1 day')::timestamptz`, tail_start: `${midnight(until)}::timestamptz`,
      }),
    },
    usage('day', false), usage('model', false), usage('user', false),
    usage('day', true), usage('model', true), usage('user', true),
    {
      fn: 'private.dashboard_organization_summary(date)', definer: true, table: 'customers', uses: ['revenue_daily_pkey'],
      values: (org) => ({
        org: lit(org.id, 'uuid'), this_month: lit(`${month}-01`, 'date'),
        last_month: `(${lit(`${month}-01`, 'date')} - interval '1 month')::date`, as_of: lit(p.asOf, 'date'),
        next_month: `(${lit(`${month}-01`, 'date')} + interval '1 month')::date`,
      }),
    },
    search(p.rareDocument, new Set(['idx_activities_metadata_live'])),
    search(p.commonDocument),
  ]
}

/** The custom plan (values as literals), as the function runs it. */
async function customPlan(c: PlanCase, org: TenantRef): Promise<PlanNode> {
  const query = bind(await functionQuery(t.db, c.fn, c.branch), c.values(org))
  const run = (trx: Kysely<Database>) => explain(trx, sql.raw(query), false)
  return (c.definer ? await asSystem(t.db, run) : await asUser(t.db, org.memberId, run)).plan
}

/** The generic plan: the variables as parameters of a prepared statement, planned without their values. */
async function genericPlan(c: PlanCase, org: TenantRef): Promise<PlanNode> {
  const values = c.values(org)
  const names = Object.keys(values)
  const query = bind(await functionQuery(t.db, c.fn, c.branch), Object.fromEntries(names.map((n, i) => [n, `$${i + 1}`])))
  const types = names.map((n) => /::(\w+)$/.exec(values[n] ?? '')?.[1] ?? 'text')
  const run = <T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> => (c.definer ? asSystem(t.db, fn) : asUser(t.db, org.memberId, fn))
  return run(async (trx) => {
    await sql`set local plan_cache_mode = force_generic_plan`.execute(trx)
    await sql.raw(`prepare dashboard_generic (${types.join(', ')}) as ${query}`).execute(trx)
    try {
      return (await explain(trx, sql.raw(`execute dashboard_generic (${names.map((n) => values[n]).join(', ')})`), false)).plan
    } finally {
      await sql`deallocate dashboard_generic`.execute(trx)
    }
  })
}

describe('dashboard function plans', () => {
  it('the dataset has a large and a small organization, and the indexes led by organization_id were found', () => {
    assert.ok(dataset.largest.rows.activities > 20 * dataset.small.rows.activities,
      `largest ${dataset.largest.rows.activities} vs small ${dataset.small.rows.activities} activities`)
    assert.ok(orgIndexes.get('activities')?.size && orgIndexes.get('ai_usage_log')?.size)
  })

  it('every dashboard function of migrations 009 and 013 is covered', async () => {
    const r = await sql<{ name: string }>`
      select p.proname as name from pg_catalog.pg_proc p
       where p.pronamespace = 'public'::regnamespace and (p.proname like 'dashboard\\_%' or p.proname = 'search_activities')
       order by 1`.execute(t.db)
    const covered = new Set(cases().map((c) => c.fn.replace(/^(public|private)\.(\w+)\(.*$/, '$2')))
    assert.deepEqual(r.rows.map((x) => x.name).filter((n) => !covered.has(n)), [])
  })

  for (const which of ['small', 'largest'] as const) {
    it(`for the ${which} organization, each query reads its table by its index, no sequential scan`, async () => {
      const problems: string[] = []
      for (const c of cases()) {
        const org = dataset[which]
        const plan = await customPlan(c, org)
        const v = violations(plan, c.table, c.indexes, c.uses)
        if (v.length) problems.push(`${c.fn} (${JSON.stringify(c.values(org)).slice(0, 120)}): ${v.join('; ')}\n    ${describePlan(plan)}`)
        if (c.generic) {
          const g = await genericPlan(c, org)
          const gv = violations(g, c.table, c.indexes, c.uses)
          if (gv.length) problems.push(`${c.fn}, generic plan: ${gv.join('; ')}\n    ${describePlan(g)}`)
        }
      }
      assert.deepEqual(problems, [])
    })
  }

  it('would catch a query that cannot use its index (control: the search without the organization filter, rare document)', async () => {
    const c = cases().find((x) => x.indexes?.has('idx_activities_metadata_live'))
    assert.ok(c)
    const query = bind(await functionQuery(t.db, c.fn), c.values(dataset.largest))
    const mangled = query.replace(/a\.metadata @> /, 'a.metadata::text::jsonb @> ')
    assert.notEqual(mangled, query)
    const { plan } = await asSystem(t.db, (trx) => explain(trx, sql.raw(mangled), false))
    assert.ok(violations(plan, 'activities', c.indexes).length > 0, describePlan(plan))
  })
})
