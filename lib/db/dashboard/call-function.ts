// A call of a function of the SQL API (migrations 009 and 013), checked against the generated signatures in
// lib/db/types.ts: argument names and types (by name, as supabase.rpc passes them), and the row type
// the caller expects must fit the function's result.
import { type RawBuilder, sql } from 'kysely'
import type { FunctionArgs, FunctionName, FunctionReturns } from '../types.js'

/** One row of what a function returns. */
export type FunctionRow<N extends FunctionName> = FunctionReturns<N> extends (infer R)[] ? R : FunctionReturns<N>

/**
 * Functions of public that only forward to a SECURITY DEFINER implementation of the same name and
 * arguments in private (the Data API exposes public only). The library calls the implementation
 * itself: the wrapper adds a PL/pgSQL call and two copies of the result, about 0.08 ms a call on
 * PostgreSQL 15, as much as the rest of the function costs. The implementation declares no defaults,
 * so every argument is passed (NULL where the caller left it out, which is what the defaults are).
 */
export const PRIVATE_IMPLEMENTATIONS: ReadonlySet<FunctionName> = new Set<FunctionName>([
  'dashboard_activities_by_type', 'dashboard_ai_usage_by_day', 'dashboard_ai_usage_by_model', 'dashboard_ai_usage_by_user',
  'dashboard_customers_page', 'dashboard_monthly_revenue', 'dashboard_organization_summary', 'search_activities',
])

/** Argument names of each forwarded function, in order: the wrapper's, which the implementation shares (test/dashboard.test.ts). */
const IMPLEMENTATION_ARGS: Partial<Record<FunctionName, readonly string[]>> = {
  dashboard_activities_by_type: ['since', 'until'],
  dashboard_ai_usage_by_day: ['period_start', 'period_end'],
  dashboard_ai_usage_by_model: ['period_start', 'period_end'],
  dashboard_ai_usage_by_user: ['period_start', 'period_end'],
  dashboard_monthly_revenue: ['period_start', 'period_end'],
  dashboard_customers_page: ['page_size', 'after_created_at', 'after_id', 'status', 'industry', 'name_prefix'],
  dashboard_organization_summary: ['as_of'],
  search_activities: ['document', 'page_size', 'before', 'before_id'],
}

const ARGUMENT = /^[a-z_][a-z0-9_]*$/

/** A JSON value (a jsonb argument) goes as its text; a Date, text and numbers as they are. */
function parameter(value: unknown): unknown {
  return value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value
}

/**
 * `select <columns> from public.<name>(arg => $1, ...) f`: arguments left out (undefined) take the
 * function's default. For a function in PRIVATE_IMPLEMENTATIONS, its implementation in private, with
 * every argument.
 */
export function callFunction<N extends FunctionName, Row extends FunctionRow<N>>(
  name: N, args: FunctionArgs<N>, columns: RawBuilder<unknown> = sql`f.*`,
): RawBuilder<Row> {
  const given: Record<string, unknown> = { ...args }
  const all = PRIVATE_IMPLEMENTATIONS.has(name) ? IMPLEMENTATION_ARGS[name] : undefined
  const names = all ?? Object.keys(given).filter((arg) => given[arg] !== undefined)
  const named = names.map((arg) => {
    // Names come from the typed args object; a name outside the SQL identifier shape is a bug, not input.
    if (!ARGUMENT.test(arg)) throw new TypeError(`callFunction(${name}): argument name ${JSON.stringify(arg)} is not an identifier`)
    return sql`${sql.id(arg)} => ${parameter(given[arg] ?? null)}`
  })
  return sql<Row>`select ${columns} from ${sql.id(all ? 'private' : 'public', name)}(${sql.join(named)}) f`
}
