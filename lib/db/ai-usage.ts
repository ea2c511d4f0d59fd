// AI usage accounting, written by the server (service_role or system): API roles have no INSERT
// policy on ai_usage_log, so a user's attempt is a NotAuthorizedError.
import { type Kysely, sql } from 'kysely'
import { translated } from './errors.js'
import type { AiUsage, Database, DateString, Decimal } from './types.js'

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
