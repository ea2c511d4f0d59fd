// The production components CI runs next to its PostgreSQL 15 (.ci/run): pgbouncer in transaction
// mode in front of it (TENANTRY_TEST_POOLER_URL) and a streaming replica of it
// (TENANTRY_TEST_REPLICA_URL). Both serve every database of the server, so a test's own database
// (test/support/db.ts) is reached through them by its name.

/** pgbouncer, pool_mode = transaction, in front of the DATABASE_URL server. */
export const poolerBase = process.env.TENANTRY_TEST_POOLER_URL
/** A hot standby of the DATABASE_URL server, fed by streaming replication. */
export const replicaBase = process.env.TENANTRY_TEST_REPLICA_URL

export const LOGIN_ROLE = 'tenantry_authenticator'
/** The login of untrusted SQL as a user or anon (migration 017): it can become anon or authenticated only. */
export const USER_LOGIN_ROLE = 'tenantry_user_authenticator'

/**
 * The URL of `databaseUrl`'s database at another server address (the pooler's, the replica's),
 * optionally as another user (the login role: trust authentication on CI's loopback, no password).
 */
export function sameDatabaseAt(base: string, databaseUrl: string, user?: string): string {
  const target = new URL(databaseUrl)
  const at = new URL(base)
  at.pathname = target.pathname
  if (user !== undefined) {
    at.username = user
    at.password = ''
  }
  return at.toString()
}

/** A login role's URL (default tenantry_authenticator) for the same database and server. */
export function asLoginRole(databaseUrl: string, role: typeof LOGIN_ROLE | typeof USER_LOGIN_ROLE = LOGIN_ROLE): string {
  return sameDatabaseAt(databaseUrl, databaseUrl, role)
}
