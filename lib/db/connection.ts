// The one data path: Kysely's PostgresDialect over a pg.Pool, on PGlite (createPgConfig) or on
// DATABASE_URL. Everything above the pool is identical for both.
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { createPgConfig } from '@electric-sql/pglite/node-postgres'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { lockDataDir } from './data-dir-lock.js'
import type { Database } from './types.js'

export const DEFAULT_DATA_DIR = '.tenantry/db'
const DATE_OID = 1082

/**
 * Type parsing shared by both databases. DATE stays the 'YYYY-MM-DD' text PostgreSQL sends:
 * node-postgres would make it a Date at local midnight, which toISOString() shifts to the previous
 * day east of UTC. numeric and bigint stay exact decimal strings (pg's default).
 */
function typeOverrides(): pg.CustomTypesConfig {
  const overrides = new pg.TypeOverrides()
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
  if (target.kind === 'embedded') return openEmbedded(target.dataDir)
  const pool = new pg.Pool({ connectionString: target.url, max: options.poolSize ?? 10, types: typeOverrides() })
  // A dropped connection emits 'error' on its client; unhandled, that would end the process. Idle
  // clients report through the pool, checked-out ones through the client: the query in flight fails
  // with the reason either way (see ConnectionLostError).
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, pool, kind: 'postgres', location: redactUrl(target.url), close: () => db.destroy() }
}

async function openEmbedded(dataDir: string): Promise<DbHandle> {
  const inMemory = dataDir.startsWith('memory://')
  const location = inMemory ? dataDir : resolve(dataDir)
  let release = (): void => {}
  if (!inMemory) {
    mkdirSync(dirname(location), { recursive: true })
    release = lockDataDir(location)
  }
  let pglite: PGlite
  try {
    pglite = await PGlite.create(inMemory ? undefined : location)
  } catch (e) {
    release()
    throw e
  }
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, types: typeOverrides() })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  let closed = false
  return {
    db,
    pool,
    kind: 'embedded',
    location,
    async close() {
      if (closed) return
      closed = true
      try {
        await db.destroy()
        await pglite.close()
      } finally {
        release()
      }
    },
  }
}
