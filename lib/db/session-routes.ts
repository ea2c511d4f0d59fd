// Where a session runs. createDb can open, next to the owner's pool (migrations, the system actor),
// a pool logged in as the login role (tenantry_authenticator: no rights of its own, it can only
// become anon, authenticated or service_role, as PostgREST's authenticator) and a pool on a read
// replica (a hot standby). withActor asks here which pool a session of an actor uses, so application
// code keeps passing handle.db and gets the safe connection without knowing about it.
import type { Kysely } from 'kysely'
import { connectionFailure, DbError } from './errors.js'
import type { Database } from './types.js'

export interface SessionRoutes {
  /** Sessions of users, anon and service_role: a pool whose login role cannot reach the owner. */
  authenticator?: Kysely<Database>
  /** Read-only sessions of users, anon and service_role: a pool on a hot standby. */
  replica?: Kysely<Database>
  /**
   * When the replica does not answer: 'error' (default) throws ReplicaUnavailableError; 'primary'
   * runs the read-only session on the primary instead.
   */
  replicaFallback: 'error' | 'primary'
}

/**
 * The replica did not answer (refused, timed out, not accepting connections, or the database is not
 * there yet). Nothing was written anywhere: the session was read-only.
 */
export class ReplicaUnavailableError extends DbError {
  constructor(message: string, cause: unknown) {
    super(message, { code: 'TENANTRY_REPLICA_UNAVAILABLE', cause })
  }
}

const routes = new WeakMap<Kysely<Database>, SessionRoutes>()

/** Called by createDb: sessions on `db` use these pools. */
export function routeSessions(db: Kysely<Database>, r: SessionRoutes): void {
  routes.set(db, r)
}

export function sessionRoutes(db: Kysely<Database>): SessionRoutes | undefined {
  return routes.get(db)
}

/**
 * Could not reach the replica (as opposed to an error of the query itself): any connection failure but
 * refused credentials, which are a configuration mistake to report rather than hide behind the primary.
 */
function isUnreachable(e: unknown): boolean {
  const failure = connectionFailure(e)
  return failure !== undefined && failure !== 'login'
}

/**
 * Runs `run` on the pool an actor's session belongs on: the system on the owner's pool; others on the
 * login role's pool when there is one, and, when read-only, on the replica when there is one.
 */
export async function onSessionPool<T>(
  db: Kysely<Database>,
  actor: 'user' | 'anon' | 'service' | 'system',
  readOnly: boolean,
  run: (target: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const r = routes.get(db)
  if (!r || actor === 'system') return run(db)
  const primary = r.authenticator ?? db
  if (!readOnly || !r.replica) return run(primary)
  try {
    return await run(r.replica)
  } catch (e) {
    if (!isUnreachable(e)) throw e
    if (r.replicaFallback === 'primary') return run(primary)
    const reason = e instanceof Error ? e.message : String(e)
    throw new ReplicaUnavailableError(`the read replica did not answer: ${reason}`, e)
  }
}
