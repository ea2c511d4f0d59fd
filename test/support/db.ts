// A fresh, migrated database per test file: embedded in memory by default; with DATABASE_URL, a new
// database on that server, dropped again on close.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createDb, type DbHandle } from '../../lib/db/index.js'
import { migrate } from '../../lib/migrate/index.js'

export interface TestDb extends DbHandle {
  /** The server URL of this test's own database (undefined when embedded). */
  url: string | undefined
}

export const onServer = Boolean(process.env.DATABASE_URL)

/** A new empty database on the DATABASE_URL server; returns its URL and a function dropping it. */
export async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL
  if (!base) throw new Error('createServerDatabase needs DATABASE_URL')
  const name = `tenantry_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      try {
        await c.query(`drop database if exists ${name} with (force)`)
      } finally {
        await c.end()
      }
    },
  }
}

/** A migrated database of its own; `migrated: false` gives an empty one. */
export async function freshDb(options: { migrated?: boolean; poolSize?: number } = {}): Promise<TestDb> {
  let handle: DbHandle
  let url: string | undefined
  let drop = async (): Promise<void> => {}
  if (onServer) {
    const created = await createServerDatabase()
    url = created.url
    drop = created.drop
    handle = await createDb({ databaseUrl: url, poolSize: options.poolSize ?? 4 })
  } else {
    handle = await createDb({ dataDir: 'memory://' })
  }
  if (options.migrated !== false) await migrate(handle.db)
  return {
    ...handle,
    url,
    async close() {
      await handle.close()
      await drop()
    },
  }
}
