// RLS overhead: each dashboard query as a member under RLS (asUser: `set local role authenticated` and
// the JWT claims, one transaction per run) against the same query in system context with the tenant
// filter written by hand (asSystem), on one connection, alternating. Plus, in a transaction that is
// rolled back, the same queries under the policy shapes this design replaced.
import { type Kysely, sql } from 'kysely'
import { asSystem, asUser, type Database, setRequestClaims, SOFT_DELETE_TABLES } from '../lib/db/index.js'
import { explain, explainText, type Explained, measureArms, median, planSummary, rolledBack } from './measure.js'
import { DASHBOARD_QUERIES, type DashboardParams, type DashboardQuery, type Scope } from './queries.js'

export interface Tenant {
  label: string
  id: string
  memberId: string
  /** Rows of the organization in the query's table, for the record. */
  rows: Record<string, number>
}

export interface OverheadFigure {
  query: string
  title: string
  org: string
  orgRows: number
  /** Medians of planning + execution time (EXPLAIN ANALYZE), ms: by hand, under RLS alone, under RLS with the org id too. */
  handMs: number
  rlsMs: number
  hintedMs: number
  /** The form the application uses (see DashboardQuery.app), and its time against the hand-written query. */
  app: 'policy' | 'hinted'
  appMs: number
  ratio: number
  addedMs: number
  rlsRatio: number
  hintedRatio: number
  /** Median planning and execution time of each form, for where the time goes. */
  split: Record<'hand' | 'policy' | 'hinted', { planningMs: number; executionMs: number }>
  target: string
  met: boolean
  resultRows: { hand: number; rls: number }
  /** Shared buffers each form's plan touched (the work done, independent of the machine's load). */
  buffers: Record<'hand' | 'policy' | 'hinted', number>
  plans: { hand: string; rls: string; hinted: string }
  iterations: number
}

export const RATIO_TARGET = 1.15
export const ADDED_TARGET_MS = 0.05

export function overheadTarget(handMs: number, rlsMs: number): { target: string; met: boolean } {
  return handMs >= 1
    ? { target: `ratio <= ${RATIO_TARGET}`, met: rlsMs / handMs <= RATIO_TARGET }
    : { target: `+${ADDED_TARGET_MS} ms`, met: rlsMs - handMs <= ADDED_TARGET_MS }
}

type Db = Kysely<Database>

/** One EXPLAIN ANALYZE run of a query as the member (policy or hinted scope) or by hand. */
export function runAs(conn: Db, q: DashboardQuery, scope: Scope, tenant: Tenant, params: DashboardParams): Promise<Explained> {
  return scope.kind === 'hand'
    ? asSystem(conn, (trx) => explain(trx, q.build(trx, scope, params)))
    : asUser(conn, tenant.memberId, (trx) => explain(trx, q.build(trx, scope, params)))
}

async function resultRows(conn: Db, q: DashboardQuery, scope: Scope, tenant: Tenant, params: DashboardParams): Promise<number> {
  const run = (trx: Db): Promise<number> => q.build(trx, scope, params).execute(trx).then((r) => r.rows.length)
  return scope.kind === 'hand' ? asSystem(conn, run) : asUser(conn, tenant.memberId, run)
}

export interface OverheadOptions {
  iterations: number
  /** Time to spend per query and organization on quick queries (more rounds, up to 5x iterations). */
  spendMs?: number
  queries?: readonly DashboardQuery[]
}

export async function measureOverhead(
  conn: Db, tenants: Tenant[], params: DashboardParams, options: OverheadOptions, log: (line: string) => void = () => {},
): Promise<OverheadFigure[]> {
  const figures: OverheadFigure[] = []
  const iterations = options.iterations
  for (const tenant of tenants) {
    for (const q of options.queries ?? DASHBOARD_QUERIES) {
      const hand: Scope = { kind: 'hand', orgId: tenant.id }
      const policy: Scope = { kind: 'policy' }
      const hinted: Scope = { kind: 'hinted', orgId: tenant.id }
      const last: Partial<Record<Scope['kind'], Explained>> = {}
      const split: Record<Scope['kind'], Explained[]> = { hand: [], policy: [], hinted: [] }
      const arm = (scope: Scope, record = true) => async (): Promise<number> => {
        const e = await runAs(conn, q, scope, tenant, params)
        if (record) {
          last[scope.kind] = e
          split[scope.kind].push(e)
        }
        return e.totalMs
      }
      // Two passes of two arms, each alternating A B / B A: the form the application uses against the
      // hand-written query, then the other form. (Three arms in a rotating order would always run one
      // form right after another, and a slow plan leaves the next run with cold caches.)
      const [app, other] = q.app === 'policy' ? [policy, hinted] : [hinted, policy]
      const spend = (share: number) => (options.spendMs ? { spendMs: options.spendMs * share } : {})
      const [h = [], a = []] = await measureArms([arm(hand), arm(app)], { iterations, ...spend(1) })
      const [, o = []] = await measureArms([arm(hand, false), arm(other)], { iterations: Math.max(3, Math.round(iterations / 2)), ...spend(0.5) })
      const handMs = median(h)
      const appMs = median(a)
      const otherMs = median(o)
      const [rlsMs, hintedMs] = q.app === 'policy' ? [appMs, otherMs] : [otherMs, appMs]
      const parts = (xs: Explained[]) => ({ planningMs: median(xs.map((e) => e.planningMs)), executionMs: median(xs.map((e) => e.executionMs)) })
      const figure: OverheadFigure = {
        query: q.name, title: q.title, org: tenant.label, orgRows: tenant.rows[q.table] ?? 0,
        handMs, rlsMs, hintedMs, app: q.app, appMs, ratio: appMs / handMs, addedMs: appMs - handMs,
        rlsRatio: rlsMs / handMs, hintedRatio: hintedMs / handMs,
        split: { hand: parts(split.hand), policy: parts(split.policy), hinted: parts(split.hinted) },
        ...overheadTarget(handMs, appMs),
        buffers: { hand: last.hand?.buffers ?? 0, policy: last.policy?.buffers ?? 0, hinted: last.hinted?.buffers ?? 0 },
        resultRows: { hand: await resultRows(conn, q, hand, tenant, params), rls: await resultRows(conn, q, policy, tenant, params) },
        plans: {
          hand: last.hand ? planSummary(last.hand.plan) : '',
          rls: last.policy ? planSummary(last.policy.plan) : '',
          hinted: last.hinted ? planSummary(last.hinted.plan) : '',
        },
        iterations: h.length,
      }
      log(`  ${tenant.label} ${q.name}: hand ${handMs.toFixed(3)} ms, rls ${rlsMs.toFixed(3)} ms, ` +
        `rls + org id ${hintedMs.toFixed(3)} ms; app (${q.app}) x${figure.ratio.toFixed(2)}`)
      figures.push(figure)
    }
  }
  return figures
}

/**
 * The floor of the RLS overhead: the membership lookup the policies run once per statement,
 * `select (select private.current_org_id())`, against `select (select null::uuid)`, both as the member.
 */
export async function measureLookup(conn: Db, tenant: Tenant, iterations: number): Promise<{ lookupMs: number; emptyMs: number; addedMs: number }> {
  const run = (text: string) => () => asUser(conn, tenant.memberId, async (trx) => (await explain(trx, sql.raw(text))).totalMs)
  const [l = [], e = []] = await measureArms([run('select (select private.current_org_id())'), run('select (select null::uuid)')], { iterations, warmup: 3 })
  const lookupMs = median(l)
  const emptyMs = median(e)
  return { lookupMs, emptyMs, addedMs: lookupMs - emptyMs }
}

/** EXPLAIN (ANALYZE, BUFFERS) text of a query in a scope, for the record. */
export function planText(conn: Db, q: DashboardQuery, scope: Scope, tenant: Tenant, params: DashboardParams): Promise<string> {
  return scope.kind === 'hand'
    ? asSystem(conn, (trx) => explainText(trx, q.build(trx, scope, params)))
    : asUser(conn, tenant.memberId, (trx) => explainText(trx, q.build(trx, scope, params)))
}

// ---------------------------------------------------------------------------------------------
// What the design saves: the same queries with the policy shapes it replaced, and without migration
// 005, each applied in a transaction that is rolled back
// ---------------------------------------------------------------------------------------------

export interface PolicyShape {
  name: string
  description: string
  /** DDL run (as the owner) in the transaction before measuring. */
  ddl: string[]
}

// The soft-delete tables share one SELECT policy shape (live rows of the member's organization): the
// shapes below replace it on each of them.
function selectPolicies(using: string): string[] {
  return SOFT_DELETE_TABLES.flatMap((table) => [
    `drop policy ${table}_select on public.${table}`,
    `create policy ${table}_select on public.${table} for select to authenticated using (${using})`,
  ])
}

export const POLICY_SHAPES: readonly PolicyShape[] = [
  {
    name: 'before_005',
    description: 'this design without migration 005: no covering indexes, SQL membership helpers (as in 001)',
    ddl: [
      'drop index public.idx_revenue_org_date_live',
      'drop index public.idx_activities_org_created_live',
      `create or replace function private.current_org_id() returns uuid language sql stable security definer set search_path = ''
         as $$ select p.organization_id from public.profiles p where p.id = auth.uid() $$`,
      `create or replace function private.admin_org_id() returns uuid language sql stable security definer set search_path = ''
         as $$ select p.organization_id from public.profiles p where p.id = auth.uid() and p.role = 'admin' $$`,
    ],
  },
  {
    name: 'original',
    description: "the plan's shape: unwrapped auth.uid() in an IN subquery on profiles",
    ddl: selectPolicies('organization_id in (select p.organization_id from public.profiles p where p.id = auth.uid()) and deleted_at is null'),
  },
  {
    name: 'per_row_helper',
    description: 'a helper called for every row: private.bench_is_member(organization_id)',
    ddl: [
      `create function private.bench_is_member(org uuid) returns boolean
         language sql stable security definer set search_path = ''
         as $$ select exists (select 1 from public.profiles p where p.id = auth.uid() and p.organization_id = org) $$`,
      'grant execute on function private.bench_is_member(uuid) to authenticated',
      ...selectPolicies('private.bench_is_member(organization_id) and deleted_at is null'),
    ],
  },
]

export interface ShapeFigure {
  shape: string
  query: string
  org: string
  handMs: number
  shapeMs: number
  ratio: number
  /** Runs that hit the statement timeout (their time counts as the timeout). */
  timeouts: number
  plan: string
  iterations: number
}

export interface ShapeResult {
  figures: ShapeFigure[]
  /** EXPLAIN (ANALYZE, BUFFERS) under each shape, for the largest organization. */
  plans: { shape: string; query: string; org: string; text: string }[]
}

/**
 * For each shape: in a transaction, applies its DDL, measures the dashboard as a member (RLS alone)
 * against the hand-written query, records the plans for the last tenant, and rolls back.
 */
export async function measureShapes(
  conn: Db, tenants: Tenant[], params: DashboardParams,
  options: { iterations: number; budgetMs: number; timeoutMs: number; shapes?: readonly PolicyShape[] },
  log: (line: string) => void = () => {},
): Promise<ShapeResult> {
  const result: ShapeResult = { figures: [], plans: [] }
  for (const shape of options.shapes ?? POLICY_SHAPES) {
    await rolledBack(conn, async (trx) => {
      for (const statement of shape.ddl) await sql.raw(statement).execute(trx)
      let sp = 0
      /** One statement in a savepoint, as the member (or the system by hand): a timeout costs the run, not the transaction. */
      const inSavepoint = async <T>(scope: Scope, tenant: Tenant, fn: () => Promise<T>): Promise<T | 'timeout'> => {
        const name = sql.raw(`bench_${++sp}`)
        await sql`savepoint ${name}`.execute(trx)
        try {
          if (scope.kind !== 'hand') {
            await setRequestClaims(trx, { aud: 'authenticated', sub: tenant.memberId, role: 'authenticated' })
            await sql`set local role authenticated`.execute(trx)
          }
          await sql.raw(`set local statement_timeout = ${Math.round(options.timeoutMs)}`).execute(trx)
          return await fn()
        } catch (err) {
          if (err instanceof Error && /statement timeout|canceling statement/i.test(err.message)) return 'timeout'
          throw err
        } finally {
          await sql`rollback to savepoint ${name}`.execute(trx)
          await sql`release savepoint ${name}`.execute(trx)
        }
      }
      for (const tenant of tenants) {
        for (const q of DASHBOARD_QUERIES) {
          let timeouts = 0
          let plan = ''
          const hand: Scope = { kind: 'hand', orgId: tenant.id }
          const policy: Scope = { kind: 'policy' }
          const runHand = async (): Promise<number> => {
            const e = await inSavepoint(hand, tenant, () => explain(trx, q.build(trx, hand, params)))
            return e === 'timeout' ? options.timeoutMs : e.totalMs
          }
          const runShape = async (): Promise<number> => {
            const e = await inSavepoint(policy, tenant, () => explain(trx, q.build(trx, policy, params)))
            if (e === 'timeout') {
              timeouts++
              return options.timeoutMs
            }
            plan = planSummary(e.plan)
            return e.totalMs
          }
          const [h = [], a = []] = await measureArms([runHand, runShape], { iterations: options.iterations, warmup: 0, budgetMs: options.budgetMs })
          const handMs = median(h)
          const shapeMs = median(a)
          result.figures.push({ shape: shape.name, query: q.name, org: tenant.label, handMs, shapeMs, ratio: shapeMs / handMs, timeouts, plan, iterations: a.length })
          log(`  ${shape.name} ${tenant.label} ${q.name}: ${shapeMs.toFixed(2)} ms vs ${handMs.toFixed(2)} ms by hand` +
            `${timeouts ? ` (${timeouts} timeouts)` : ''}`)
        }
      }
      const last = tenants[tenants.length - 1]
      if (last) {
        for (const q of DASHBOARD_QUERIES) {
          const text = await inSavepoint({ kind: 'policy' }, last, () => explainText(trx, q.build(trx, { kind: 'policy' }, params)))
          result.plans.push({ shape: shape.name, query: q.name, org: last.label, text: text === 'timeout' ? `(over ${options.timeoutMs} ms)` : text })
        }
      }
    })
  }
  return result
}
