// RLS overhead: each dashboard question as the dashboard module asks it, as a member (asUser: `set
// local role authenticated` and the JWT claims, one transaction per run), against the same question
// written by hand and run by the owner with the organization id as a literal (asSystem), on one
// connection, alternating. Plus, in a transaction that is rolled back, the module's questions under the
// policy shapes this design replaced.
import { type Kysely, sql } from 'kysely'
import { asSystem, asUser, becomeActor, type Database, SOFT_DELETE_TABLES } from '../lib/db/index.js'
import { explain, explainText, type Explained, measureArms, median, planSummary, rolledBack } from './measure.js'
import { DASHBOARD_QUESTIONS, type DashboardParams, type Question } from './questions.js'

export interface Tenant {
  label: string
  id: string
  memberId: string
  /** Rows of the organization in each table, for the record. */
  rows: Record<string, number>
}

export type Form = 'hand' | 'app'

export interface OverheadFigure {
  query: string
  title: string
  org: string
  orgRows: number
  /** Medians of planning + execution time (EXPLAIN ANALYZE), ms: by hand, and the module's statement as the member. */
  handMs: number
  appMs: number
  ratio: number
  addedMs: number
  /** Median planning and execution time of each form, for where the time goes. */
  split: Record<Form, { planningMs: number; executionMs: number }>
  target: string
  met: boolean
  resultRows: Record<Form, number>
  /** Shared buffers each form's plan touched (the work done, independent of the machine's load). */
  buffers: Record<Form, number>
  plans: Record<Form, string>
  iterations: number
}

export const RATIO_TARGET = 1.15
export const ADDED_TARGET_MS = 0.05

export function overheadTarget(handMs: number, appMs: number): { target: string; met: boolean } {
  return handMs >= 1
    ? { target: `ratio <= ${RATIO_TARGET}`, met: appMs / handMs <= RATIO_TARGET }
    : { target: `+${ADDED_TARGET_MS} ms`, met: appMs - handMs <= ADDED_TARGET_MS }
}

type Db = Kysely<Database>

/** One EXPLAIN ANALYZE run of a question: the module's statement as the member, or by hand as the owner. */
export function runAs(conn: Db, q: Question, form: Form, tenant: Tenant, params: DashboardParams): Promise<Explained> {
  return form === 'hand'
    ? asSystem(conn, (trx) => explain(trx, q.hand(tenant, params)))
    : asUser(conn, tenant.memberId, (trx) => explain(trx, q.app(params)))
}

async function resultRows(conn: Db, q: Question, form: Form, tenant: Tenant, params: DashboardParams): Promise<number> {
  return form === 'hand'
    ? asSystem(conn, async (trx) => (await q.hand(tenant, params).execute(trx)).rows.length)
    : asUser(conn, tenant.memberId, async (trx) => (await q.app(params).execute(trx)).rows.length)
}

export interface OverheadOptions {
  iterations: number
  /** Time to spend per question and organization on quick ones (more rounds, up to 5x iterations). */
  spendMs?: number
  questions?: readonly Question[]
}

export async function measureOverhead(
  conn: Db, tenants: Tenant[], params: DashboardParams, options: OverheadOptions, log: (line: string) => void = () => {},
): Promise<OverheadFigure[]> {
  const figures: OverheadFigure[] = []
  for (const tenant of tenants) {
    for (const q of options.questions ?? DASHBOARD_QUESTIONS) {
      const last: Partial<Record<Form, Explained>> = {}
      const split: Record<Form, Explained[]> = { hand: [], app: [] }
      const arm = (form: Form) => async (): Promise<number> => {
        const e = await runAs(conn, q, form, tenant, params)
        last[form] = e
        split[form].push(e)
        return e.totalMs
      }
      // Alternating A B / B A on one connection, after a warm-up.
      const [h = [], a = []] = await measureArms([arm('hand'), arm('app')], {
        iterations: options.iterations, ...(options.spendMs ? { spendMs: options.spendMs } : {}),
      })
      const handMs = median(h)
      const appMs = median(a)
      const parts = (xs: Explained[]) => ({ planningMs: median(xs.map((e) => e.planningMs)), executionMs: median(xs.map((e) => e.executionMs)) })
      const figure: OverheadFigure = {
        query: q.name, title: q.title, org: tenant.label, orgRows: tenant.rows[q.table] ?? 0,
        handMs, appMs, ratio: appMs / handMs, addedMs: appMs - handMs,
        split: { hand: parts(split.hand), app: parts(split.app) },
        ...overheadTarget(handMs, appMs),
        buffers: { hand: last.hand?.buffers ?? 0, app: last.app?.buffers ?? 0 },
        resultRows: { hand: await resultRows(conn, q, 'hand', tenant, params), app: await resultRows(conn, q, 'app', tenant, params) },
        plans: { hand: last.hand ? planSummary(last.hand.plan) : '', app: last.app ? planSummary(last.app.plan) : '' },
        iterations: h.length,
      }
      log(`  ${tenant.label} ${q.name}: hand ${handMs.toFixed(3)} ms, module ${appMs.toFixed(3)} ms; x${figure.ratio.toFixed(2)} ` +
        `(${figure.addedMs >= 0 ? '+' : ''}${figure.addedMs.toFixed(3)} ms)`)
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

/** EXPLAIN (ANALYZE, BUFFERS) text of a question in a form, for the record (for the module: the function call). */
export function planText(conn: Db, q: Question, form: Form, tenant: Tenant, params: DashboardParams): Promise<string> {
  return form === 'hand'
    ? asSystem(conn, (trx) => explainText(trx, q.hand(tenant, params)))
    : asUser(conn, tenant.memberId, (trx) => explainText(trx, q.app(params)))
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

/**
 * The questions the replaced shapes are measured on: those the SELECT policies of customers, revenue
 * and activities decide (the search applies its own filter, AI usage has its own policy).
 */
export const SHAPE_QUESTIONS: readonly Question[] = DASHBOARD_QUESTIONS.filter(
  (q) => ['customers', 'revenue', 'activities'].includes(q.table) && !q.name.startsWith('metadata_'),
)

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
  options: { iterations: number; budgetMs: number; timeoutMs: number; shapes?: readonly PolicyShape[]; questions?: readonly Question[] },
  log: (line: string) => void = () => {},
): Promise<ShapeResult> {
  const result: ShapeResult = { figures: [], plans: [] }
  const questions = options.questions ?? SHAPE_QUESTIONS
  for (const shape of options.shapes ?? POLICY_SHAPES) {
    await rolledBack(conn, async (trx) => {
      for (const statement of shape.ddl) await sql.raw(statement).execute(trx)
      let sp = 0
      /** One statement in a savepoint, as the member (or the system by hand): a timeout costs the run, not the transaction. */
      const inSavepoint = async <T>(form: Form, tenant: Tenant, fn: () => Promise<T>): Promise<T | 'timeout'> => {
        const name = sql.raw(`bench_${++sp}`)
        await sql`savepoint ${name}`.execute(trx)
        try {
          if (form !== 'hand') {
            await becomeActor(trx, { kind: 'user', userId: tenant.memberId })
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
        for (const q of questions) {
          let timeouts = 0
          let plan = ''
          const runHand = async (): Promise<number> => {
            const e = await inSavepoint('hand', tenant, () => explain(trx, q.hand(tenant, params)))
            return e === 'timeout' ? options.timeoutMs : e.totalMs
          }
          const runShape = async (): Promise<number> => {
            const e = await inSavepoint('app', tenant, () => explain(trx, q.app(params)))
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
        for (const q of questions) {
          const text = await inSavepoint('app', last, () => explainText(trx, q.app(params)))
          result.plans.push({ shape: shape.name, query: q.name, org: last.label, text: text === 'timeout' ? `(over ${options.timeoutMs} ms)` : text })
        }
      }
    })
  }
  return result
}
