// Read-your-writes with a replica: a read-only session may run on a hot standby that has not yet
// replayed the primary's latest commits. waitForReplica waits until it has (or gives up), for the
// few reads that must see a write just made; everything else reads what the replica has.
import { type Kysely, sql } from 'kysely'
import { ReplicaUnavailableError, sessionRoutes } from './session-routes.js'
import type { Database } from './types.js'

export interface ReplicaLag {
  /** How long the replica took to replay everything committed on the primary when the wait began. */
  lagMs: number
  /** The primary's WAL position that was waited for. */
  lsn: string
}

/**
 * Waits until the replica of `db` (createDb's replicaUrl) has replayed everything committed on the
 * primary so far. Without a replica it returns at once (lagMs 0). Throws ReplicaUnavailableError when
 * the replica has not caught up within timeoutMs (default 5000).
 */
export async function waitForReplica(db: Kysely<Database>, options: { timeoutMs?: number } = {}): Promise<ReplicaLag> {
  const started = performance.now()
  const primary = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(db)
  const lsn = primary.rows[0]?.lsn ?? '0/0'
  const replica = sessionRoutes(db)?.replica
  if (!replica) return { lagMs: 0, lsn }
  const timeoutMs = options.timeoutMs ?? 5000
  for (;;) {
    const r = await sql<{ done: boolean | null }>`select pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn as done`.execute(replica)
    if (r.rows[0]?.done) return { lagMs: performance.now() - started, lsn }
    if (performance.now() - started > timeoutMs) {
      throw new ReplicaUnavailableError(`the read replica has not replayed ${lsn} within ${timeoutMs} ms`, undefined)
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
