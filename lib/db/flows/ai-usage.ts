// AI usage accounting, written by the server (service_role or system): API roles have no INSERT
// policy on ai_usage_log, so a user's attempt is a NotAuthorizedError.
import { type Kysely, sql } from 'kysely'
import { InvalidInputError, translated } from '../errors.js'
import type { AiUsage, Database, DateString, Decimal } from '../types.js'

export interface AiUsageInput {
  userId: string
  organizationId: string
  /** The AI query this usage belongs to. */
  queryId: string
  model: string
  inputTokens?: number
  outputTokens?: number
  /** US dollars as an exact decimal string, e.g. '0.0125' (numeric(10, 4)). */
  costUsd?: Decimal
  /** 'YYYY-MM-DD'; defaults to the database's current_date. */
  date?: DateString
}

/**
 * Records one AI call's usage and returns the stored row. Negative counts or cost are an
 * InvalidInputError naming the CHECK constraint; an unknown organization one naming the foreign key.
 */
export async function recordAiUsage(db: Kysely<Database>, input: AiUsageInput): Promise<AiUsage> {
  checkInput(input)
  return translated(() =>
    db
      .insertInto('ai_usage_log')
      .values({
        user_id: input.userId,
        organization_id: input.organizationId,
        query_id: input.queryId,
        model: input.model,
        input_tokens: input.inputTokens,
        output_tokens: input.outputTokens,
        cost_usd: input.costUsd,
        date: input.date ?? sql<DateString>`current_date`,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  )
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const INT4_MAX = 2 ** 31 - 1

/** An error like PostgreSQL's own for the value (same SQLSTATE), but naming the column. */
function invalid(code: string, column: string, message: string): InvalidInputError {
  return new InvalidInputError(`ai_usage_log.${column}: ${message}`, { code, table: 'ai_usage_log', column })
}

/** PostgreSQL names no column for a malformed value; this flow knows its fields, so it says which. */
function checkInput(input: AiUsageInput): void {
  for (const [column, value] of [['user_id', input.userId], ['organization_id', input.organizationId], ['query_id', input.queryId]] as const) {
    if (typeof value === 'string' && !UUID.test(value)) throw invalid('22P02', column, `"${value.slice(0, 60)}" is not a uuid`)
  }
  for (const [column, value] of [['input_tokens', input.inputTokens], ['output_tokens', input.outputTokens]] as const) {
    if (typeof value !== 'number') continue
    if (!Number.isInteger(value)) throw invalid('22P02', column, `${value} is not a whole number of tokens`)
    if (value > INT4_MAX) throw invalid('22003', column, `${value} is more than ${INT4_MAX} tokens`)
  }
  const cost = input.costUsd
  if (typeof cost === 'string') {
    if (!NUMERIC.test(cost)) throw invalid('22P02', 'cost_usd', `"${cost.slice(0, 60)}" is not a decimal number`)
    if (Math.abs(Number(cost)) >= 1e6) throw invalid('22003', 'cost_usd', `${cost} does not fit numeric(10, 4) (below 1,000,000)`)
  }
  const date = input.date
  if (typeof date === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw invalid('22007', 'date', `"${date.slice(0, 60)}" is not a date (YYYY-MM-DD)`)
    const day = new Date(`${date}T00:00:00Z`)
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== date) {
      throw invalid('22008', 'date', `${date} is not a day of the calendar`)
    }
  }
}
