// Timing by EXPLAIN: each run is `EXPLAIN (ANALYZE, TIMING OFF, BUFFERS, SUMMARY ON, FORMAT JSON)` of the query,
// and its time is the server's Planning Time + Execution Time (the initplan that reads the member's
// organization is part of the execution). Client round trips and result transfer are left out, so two
// variants of a query are compared on what the database does for them. Variants ("arms") are run
// alternately on one connection, in a rotating order, after a warm-up.
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import { asSystem, type Database } from '../lib/db/index.js'

export interface PlanNode {
  nodeType: string
  relation?: string
  index?: string
  /** The function a Function Scan calls (the dashboard module's statements are one). */
  functionName?: string
  /** Rows the node produced (per loop) when analyzed. */
  actualRows?: number
  planRows?: number
  children: PlanNode[]
}

export interface Explained {
  planningMs: number
  executionMs: number
  totalMs: number
  /** Shared buffers the whole plan touched (hit + read), when analyzed. */
  buffers: number
  plan: PlanNode
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' ? x : undefined
}

export function parsePlanNode(x: unknown): PlanNode {
  if (!isRecord(x)) throw new Error('EXPLAIN: a plan node is not an object')
  const nodeType = x['Node Type']
  if (typeof nodeType !== 'string') throw new Error('EXPLAIN: a plan node has no Node Type')
  const node: PlanNode = { nodeType, children: [] }
  const relation = x['Relation Name']
  const index = x['Index Name']
  if (typeof relation === 'string') node.relation = relation
  if (typeof index === 'string') node.index = index
  const functionName = x['Function Name']
  if (typeof functionName === 'string') node.functionName = functionName
  const actual = num(x['Actual Rows'])
  const planned = num(x['Plan Rows'])
  if (actual !== undefined) node.actualRows = actual
  if (planned !== undefined) node.planRows = planned
  const plans = x.Plans
  if (Array.isArray(plans)) node.children = plans.map(parsePlanNode)
  return node
}

/** The one document of EXPLAIN (FORMAT JSON), whether the driver parsed the json or not. */
function explainDocument(rows: Record<string, unknown>[]): Record<string, unknown> {
  let value: unknown = rows[0]?.['QUERY PLAN']
  if (typeof value === 'string') value = JSON.parse(value)
  const doc: unknown = Array.isArray(value) ? value[0] : undefined
  if (!isRecord(doc)) throw new Error('EXPLAIN (FORMAT JSON) returned no document')
  return doc
}

/** Runs EXPLAIN (FORMAT JSON) of the query, analyzed (executed) or not. */
export async function explain(db: Kysely<Database>, query: RawBuilder<unknown>, analyze = true): Promise<Explained> {
  const options = analyze ? sql.raw('analyze, timing off, buffers, summary on, format json') : sql.raw('format json')
  const r = await sql<Record<string, unknown>>`explain (${options}) ${query}`.execute(db)
  const doc = explainDocument(r.rows)
  const planningMs = num(doc['Planning Time']) ?? 0
  const executionMs = num(doc['Execution Time']) ?? 0
  const top: unknown = doc.Plan
  const buffers = isRecord(top) ? (num(top['Shared Hit Blocks']) ?? 0) + (num(top['Shared Read Blocks']) ?? 0) : 0
  return { planningMs, executionMs, totalMs: planningMs + executionMs, buffers, plan: parsePlanNode(top) }
}

/** EXPLAIN (ANALYZE, BUFFERS) as text, for the record. */
export async function explainText(db: Kysely<Database>, query: RawBuilder<unknown>): Promise<string> {
  const r = await sql<Record<string, unknown>>`explain (analyze, buffers, format text) ${query}`.execute(db)
  return r.rows.map((row) => String(row['QUERY PLAN'] ?? '')).join('\n')
}

/** Every node of a plan, depth first. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...node.children.flatMap(planNodes)]
}

/** The scans of a plan in one line: `Index Scan(idx_customers_org_created) + Seq Scan(profiles)`. */
export function planSummary(node: PlanNode): string {
  return planNodes(node)
    .filter((n) => n.relation !== undefined || n.index !== undefined || n.functionName !== undefined)
    .map((n) => `${n.nodeType}(${n.index ?? n.relation ?? n.functionName})`)
    .join(' + ')
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

export interface ArmOptions {
  /** Rounds (each arm once per round), at least. */
  iterations: number
  warmup?: number
  /** Stop early (after at least one round) once this much time has passed. */
  budgetMs?: number
  /** More rounds for quick arms: as many as fit in this time (judged from the warm-up), up to 5x iterations. */
  spendMs?: number
}

/** Runs the arms alternately, rotating which goes first; returns each arm's times. */
export async function measureArms(arms: (() => Promise<number>)[], options: ArmOptions): Promise<number[][]> {
  const warmup = options.warmup ?? 2
  const warmStarted = performance.now()
  for (let w = 0; w < warmup; w++) for (const arm of arms) await arm()
  let rounds = options.iterations
  if (options.spendMs !== undefined && warmup > 0) {
    const perRound = (performance.now() - warmStarted) / warmup
    rounds = Math.max(rounds, Math.min(5 * rounds, Math.floor(options.spendMs / Math.max(perRound, 0.001))))
  }
  const times = arms.map((): number[] => [])
  const started = performance.now()
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < arms.length; j++) {
      const k = (i + j) % arms.length
      const t = await arms[k]?.()
      if (t !== undefined) times[k]?.push(t)
    }
    if (options.budgetMs !== undefined && performance.now() - started > options.budgetMs) break
  }
  return times
}

/** Runs fn as the system in a transaction that is always rolled back (never retried); returns fn's result. */
export function rolledBack<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return asSystem(db, fn, { attempts: 1, rollback: true })
}
