// A call of a function of the SQL API (migration 009), checked against the generated signatures in
// lib/db/types.ts: argument names and types (by name, as supabase.rpc passes them), and the row type
// the caller expects must fit the function's result.
import { type RawBuilder, sql } from 'kysely'
import type { FunctionArgs, FunctionName, FunctionReturns } from '../types.js'

/** One row of what a function returns. */
export type FunctionRow<N extends FunctionName> = FunctionReturns<N> extends (infer R)[] ? R : FunctionReturns<N>

const ARGUMENT = /^[a-z_][a-z0-9_]*$/

/**
 * `select <columns> from public.<name>(arg => $1, ...) f`: arguments left out (undefined) take the
 * function's default. A JSON value (a jsonb argument) is sent as its text.
 */
export function callFunction<N extends FunctionName, Row extends FunctionRow<N>>(
  name: N, args: FunctionArgs<N>, columns: RawBuilder<unknown> = sql`f.*`,
): RawBuilder<Row> {
  const named = Object.entries(args)
    .filter(([, value]) => value !== undefined)
    .map(([arg, value]) => {
      // Names come from the typed args object; a name outside the SQL identifier shape is a bug, not input.
      if (!ARGUMENT.test(arg)) throw new TypeError(`callFunction(${name}): argument name ${JSON.stringify(arg)} is not an identifier`)
      const v: unknown = value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value
      return sql`${sql.id(arg)} => ${v}`
    })
  return sql<Row>`select ${columns} from ${sql.id('public', name)}(${sql.join(named)}) f`
}
