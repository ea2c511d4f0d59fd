// The one data path: Kysely's PostgresDialect over a pg.Pool, on PGlite (createPgConfig) or on
// DATABASE_URL. Everything above the pool is identical for both.
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { lockDataDir } from './data-dir-lock.js'
import { routeSessions } from './session-routes.js'
import type { Database } from './types.js'

export const DEFAULT_DATA_DIR = '.tenantry/db'
const DATE_OID = 1082

// pg and PGlite are loaded when a database is opened, not when this module is: a CLI command that
// never opens one (`tenantry --help`) doesn't pay for them (PGlite alone is a large module).
async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default
}

/**
 * Type parsing shared by both databases. DATE stays the 'YYYY-MM-DD' text PostgreSQL sends:
 * node-postgres would make it a Date at local midnight, which toISOString() shifts to the previous
 * day east of UTC. numeric and bigint stay exact decimal strings (pg's default).
 */
function typeOverrides(pgModule: typeof pg): pg.CustomTypesConfig {
  const overrides = new pgModule.TypeOverrides()
  overrides.setTypeParser(DATE_OID, 'text', (value: string) => value)
  return overrides
}

export interface DbOptions {
  /** postgres:// URL; defaults to the DATABASE_URL environment variable. */
  databaseUrl?: string
  /** Embedded data directory (or 'memory://'); wins over DATABASE_URL from the environment. */
  dataDir?: string
  /** Pool size for a server database (the embedded one always has exactly one session). */
  poolSize?: number
  /**
   * URL logging in as the login role (tenantry_authenticator: no rights of its own, it can only
   * become anon, authenticated or service_role): the sessions of users, anon and service_role run
   * there, the system's on databaseUrl. Default: TENANTRY_AUTHENTICATOR_URL when databaseUrl comes
   * from DATABASE_URL. See docs/production.md.
   */
  authenticatorUrl?: string
  /**
   * URL of a read replica (hot standby): read-only sessions (`{ readOnly: true }`) of users, anon
   * and service_role run there. Default: TENANTRY_REPLICA_URL when databaseUrl comes from DATABASE_URL.
   */
  replicaUrl?: string
  /**
   * Embedded database only: how often (ms) the pending deltas of the dashboard's rollups are folded
   * in-process, as pg_cron does on Supabase (migration 013, docs/dashboard.md); also once on close.
   * 0 turns it off (tests that look at the pending deltas). Default 1000.
   */
  rollupFoldMs?: number
  /**
   * Embedded database only: the contents a new database starts from, a tarball made by PGlite's
   * dumpDataDir() (initdb is skipped: PGlite restores the dump instead). The test suite starts each
   * embedded database from one dump of a migrated database (test/support/template.ts).
   */
  loadDataDir?: Blob
  /** When the replica does not answer: throw ReplicaUnavailableError (default) or read from the primary. */
  replicaFallback?: 'error' | 'primary'
  /** How long to wait for a replica connection, in ms (default 3000); a query there, 30000. */
  replicaTimeoutMs?: { connect?: number; query?: number }
}

export interface DbHandle {
  db: Kysely<Database>
  pool: pg.Pool
  /** 'embedded' (PGlite) or 'postgres' (DATABASE_URL). */
  kind: 'embedded' | 'postgres'
  /** Where the data lives: the data directory, or the URL without its password. */
  location: string
  close(): Promise<void>
}

/**
 * Which database the options mean. Precedence: an explicit databaseUrl, an explicit dataDir, then
 * the environment (DATABASE_URL, TENANTRY_DATA_DIR), then the default directory. An explicit dataDir
 * beats an exported DATABASE_URL: code asking for the embedded database must get it.
 */
export function resolveTarget(options: DbOptions = {}): { kind: 'embedded'; dataDir: string } | { kind: 'postgres'; url: string } {
  if (options.databaseUrl) return { kind: 'postgres', url: options.databaseUrl }
  if (options.dataDir === undefined && process.env.DATABASE_URL) return { kind: 'postgres', url: process.env.DATABASE_URL }
  return { kind: 'embedded', dataDir: options.dataDir ?? process.env.TENANTRY_DATA_DIR ?? DEFAULT_DATA_DIR }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparseable DATABASE_URL>'
  }
}

/** Opens the database: DATABASE_URL when set, else the embedded one (created on first use). */
export async function createDb(options: DbOptions = {}): Promise<DbHandle> {
  const target = resolveTarget(options)
  if (target.kind === 'embedded') return openEmbedded(target.dataDir, options.rollupFoldMs ?? ROLLUP_FOLD_MS, options.loadDataDir)
  const pgModule = await loadPg()
  const pool = new pgModule.Pool({ connectionString: target.url, max: options.poolSize ?? 10, types: typeOverrides(pgModule) })
  // A dropped connection emits 'error' on its client; unhandled, that would end the process. Idle
  // clients report through the pool, checked-out ones through the client: the query in flight fails
  // with the reason either way (see ConnectionLostError).
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  // The login role's and the replica's pools (lib/db/session-routes.ts). URLs from the environment go
  // with DATABASE_URL from the environment only: an explicit databaseUrl is another database.
  const fromEnv = options.databaseUrl === undefined
  const authenticatorUrl = options.authenticatorUrl ?? (fromEnv ? process.env.TENANTRY_AUTHENTICATOR_URL : undefined)
  const replicaUrl = options.replicaUrl ?? (fromEnv ? process.env.TENANTRY_REPLICA_URL : undefined)
  const extra = (url: string, config: pg.PoolConfig): Kysely<Database> => {
    const p = new pgModule.Pool({ connectionString: url, max: options.poolSize ?? 10, types: typeOverrides(pgModule), ...config })
    p.on('error', () => {})
    p.on('connect', (client) => client.on('error', () => {}))
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: p }) })
  }
  const authenticator = authenticatorUrl ? extra(authenticatorUrl, {}) : undefined
  const replica = replicaUrl
    ? extra(replicaUrl, {
      connectionTimeoutMillis: options.replicaTimeoutMs?.connect ?? 3000,
      query_timeout: options.replicaTimeoutMs?.query ?? 30_000,
    })
    : undefined
  if (authenticator || replica) routeSessions(db, { authenticator, replica, replicaFallback: options.replicaFallback ?? 'error' })
  return {
    db, pool, kind: 'postgres', location: redactUrl(target.url),
    async close() {
      await Promise.all([db.destroy(), authenticator?.destroy(), replica?.destroy()])
      // As on the embedded database: Kysely ends the pool only if it ever used it.
      if (!pool.ending) await pool.end()
    },
  }
}

/** How often the embedded database folds the rollups' pending deltas by default (ms). */
export const ROLLUP_FOLD_MS = 1000

/**
 * Folds the rollups' pending deltas (private.rollups_merge, migration 013) when the database has the
 * function: the embedded database has no pg_cron, so the handle does it. A DO block, so that a database
 * migrated to before 013 (or not at all) parses it too.
 */
const FOLD_ROLLUPS = `do $fold$ begin
  if pg_catalog.to_regprocedure('private.rollups_merge(integer)') is not null then perform private.rollups_merge(); end if;
end $fold$`

/**
 * The embedded database's shared_buffers. initdb writes PostgreSQL's 128MB into the data directory's
 * postgresql.conf, and PGlite sets that memory up inside its WebAssembly instance on every start: on
 * this machine a start on an existing data directory took 590 ms with 128MB and 215 ms with 16MB (a
 * process's first start, WebAssembly compile included, 917 -> 496 ms), and every CLI command on the
 * embedded database pays one start. One session, development-sized data, and the operating system's
 * file cache behind it: 16MB is plenty. A command-line -c wins over postgresql.conf.
 */
const EMBEDDED_SHARED_BUFFERS = '16MB'

async function openEmbedded(dataDir: string, rollupFoldMs: number, loadDataDir: Blob | undefined): Promise<DbHandle> {
  const inMemory = dataDir.startsWith('memory://')
  const location = inMemory ? dataDir : resolve(dataDir)
  const [{ PGlite }, { createPgConfig }, pgModule] = await Promise.all([
    import('@electric-sql/pglite'), import('@electric-sql/pglite/node-postgres'), loadPg(),
  ])
  let release = (): void => {}
  if (!inMemory) {
    mkdirSync(dirname(location), { recursive: true })
    release = lockDataDir(location)
  }
  let pglite: PGlite
  try {
    pglite = await PGlite.create(inMemory ? undefined : location, {
      ...(loadDataDir ? { loadDataDir } : {}),
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
    })
  } catch (e) {
    release()
    throw e
  }
  const pool = new pgModule.Pool({ ...createPgConfig(pglite), max: 1, types: typeOverrides(pgModule) })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  let closed = false
  // One fold at a time; a fold waits for the one session like any query, so it never runs inside a
  // caller's transaction. Failures are left to the next tick (a fold is atomic: nothing half done).
  let folding: Promise<void> | undefined
  const fold = (): Promise<void> => {
    folding ??= pool.query(FOLD_ROLLUPS).then(() => {}, () => {}).finally(() => { folding = undefined })
    return folding
  }
  const timer = rollupFoldMs > 0 ? setInterval(() => { if (!closed) void fold() }, rollupFoldMs) : undefined
  timer?.unref()
  return {
    db,
    pool,
    kind: 'embedded',
    location,
    async close() {
      if (closed) return
      closed = true
      clearInterval(timer)
      try {
        await folding
        if (timer) await fold()
        await db.destroy()
        // Kysely ends the pool only if it ever used it; a command that did not (a token for anon, a
        // refused argument) left the fold's client idle, whose 10-second idle timer kept the process
        // alive after its answer.
        if (!pool.ending) await pool.end()
        await pglite.close()
      } finally {
        release()
      }
    },
  }
}
