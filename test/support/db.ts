// A fresh, migrated database per test file: embedded in memory by default; with DATABASE_URL, a new
// database on that server, dropped again on close. useFreshDb() is the fixture most test files use;
// freshDb() is for tests that need a database of their own inside one test.
import { randomBytes } from 'node:crypto'
import { after, before } from 'node:test'
import pg from 'pg'
import { createDb, type DbHandle } from '../../lib/db/index.js'
import { migrate } from '../../lib/migrate/index.js'
import { snapshot, templateKey } from './template.js'

export interface TestDb extends DbHandle {
  /** The server URL of this test's own database (undefined when embedded). */
  url: string | undefined
}

export const onServer = Boolean(process.env.DATABASE_URL)

/**
 * The skip reason of checks that involve no database or generate on an in-memory embedded one whatever
 * DATABASE_URL says: the PostgreSQL pass of CI would only repeat what the embedded pass checked.
 */
export const checkedByEmbeddedRun = onServer && 'the same whatever the database: checked by the embedded run'

export interface ServerDatabaseOptions {
  /** The server to create it on (default DATABASE_URL). */
  base?: string | undefined
  /** The start of its name, followed by the process id and a random suffix. */
  prefix?: string
  /**
   * 'template0': a plain PostgreSQL database, without what the server's template1 holds (on the shared
   * test server, Supabase's auth schema owned by supabase_auth_admin); the compatibility layer then
   * creates auth.users itself. Or a migrated template of migratedServerTemplate().
   */
  template?: string
}

/** A new empty database on a server; returns its URL and a function dropping it (also used by the bench). */
export async function createServerDatabase(options: ServerDatabaseOptions = {}): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const base = options.base ?? process.env.DATABASE_URL
  if (!base) throw new Error('createServerDatabase needs a server: DATABASE_URL')
  const name = `${options.prefix ?? 'tenantry_test'}_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  try {
    await admin.query(`create database ${name}${options.template ? ` template ${options.template}` : ''}`)
  } finally {
    await admin.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
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

export interface FreshDbOptions {
  /** false: an empty database, not even the compatibility layer (default: migrated). */
  migrated?: boolean
  /** Pool size on a server (default 4; the embedded database always has one session). */
  poolSize?: number
  /** The embedded database's in-process rollup fold, every n ms (createDb's rollupFoldMs; 0: off). */
  rollupFoldMs?: number
}

export interface FreshDbFixtureOptions extends FreshDbOptions {
  /** false: no database at all, and the fixture's before() hooks do not run (for suites that skip themselves). */
  when?: boolean
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Migrates the server database at url in this process, as `tenantry migrate` does. */
export async function migrateServerDatabase(url: string): Promise<void> {
  const h = await createDb({ databaseUrl: url, poolSize: 1 })
  try {
    await migrate(h.db)
  } finally {
    await h.close()
  }
}

let serverTemplate: Promise<string> | undefined

/**
 * On the DATABASE_URL server: a migrated database that test databases are copies of (`create database
 * ... template`, about 0.2 s) instead of each migrating from nothing (about 0.6 s, some 50 of them per
 * run). Named after the embedded template's key (the migrations, the compatibility layer, the migrator,
 * the UTC day), made once per server by whichever test process needs it first (an advisory lock;
 * migrated under another name and renamed when done, so a copy never starts from a half-migrated one);
 * templates of other keys are dropped then. test/migrate*.test.ts and the CLI's migrate tests still
 * migrate empty databases.
 */
export function migratedServerTemplate(): Promise<string> {
  serverTemplate ??= (async () => {
    const name = `tenantry_tpl_${templateKey()}`
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    try {
      await admin.query('select pg_advisory_lock(hashtext($1))', ['tenantry_tpl'])
      const exists = await admin.query('select 1 from pg_catalog.pg_database where datname = $1', [name])
      if (exists.rowCount === 0) {
        const building = await createServerDatabase({ prefix: 'tenantry_tpl_building' })
        try {
          await migrateServerDatabase(building.url)
        } catch (e) {
          await building.drop()
          throw e
        }
        // The pool's backends end asynchronously after close(): the rename waits for them.
        for (let attempt = 0; ; attempt++) {
          try {
            await admin.query(`alter database ${building.name} rename to ${name}`)
            break
          } catch (e) {
            if (attempt >= 50 || !(e instanceof pg.DatabaseError) || e.code !== '55006') throw e
            await sleep(20)
          }
        }
        const old = await admin.query<{ datname: string }>(
          `select datname from pg_catalog.pg_database where datname like 'tenantry\\_tpl\\_%' and datname <> $1`, [name])
        for (const { datname } of old.rows) await admin.query(`drop database if exists ${datname} with (force)`)
      }
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', ['tenantry_tpl'])
      await admin.end()
    }
    return name
  })()
  return serverTemplate
}

/** A migrated database of its own; `migrated: false` gives an empty one. Close it when done. */
export async function freshDb(options: FreshDbOptions = {}): Promise<TestDb> {
  let handle: DbHandle
  let url: string | undefined
  let drop = async (): Promise<void> => {}
  if (onServer) {
    const created = await createServerDatabase(options.migrated === false ? {} : { template: await migratedServerTemplate() })
    url = created.url
    drop = created.drop
    handle = await createDb({ databaseUrl: url, poolSize: options.poolSize ?? 4 })
  } else {
    // Embedded: restored from a dump of a database made the same way, once (test/support/template.ts),
    // rather than initdb, and the migrations, for every test database.
    handle = await createDb({
      dataDir: 'memory://',
      loadDataDir: await snapshot(options.migrated === false ? 'empty' : 'migrated'),
      ...(options.rollupFoldMs === undefined ? {} : { rollupFoldMs: options.rollupFoldMs }),
    })
  }
  return {
    ...handle,
    url,
    async close() {
      await handle.close()
      await drop()
    },
  }
}

/** A database that exists from the before() to the after() hook of the suite that asked for it. */
export interface FreshDbFixture extends Omit<TestDb, 'close'> {
  /**
   * Registers a before() hook that runs once the database is open and the fixture's earlier hooks
   * are done. Use it rather than before() for setup in the database: node:test (20) starts the
   * before() hooks of a file's top level without waiting for the previous one to finish.
   */
  before(fn: () => Promise<void>): void
}

/**
 * The fresh-database fixture: registers before() and after() hooks in the calling suite (the file,
 * or the describe() it is called in) and returns the database, whose members are there while the
 * suite's tests run:
 *
 *   const t = useFreshDb()
 *   t.before(async () => { spare = await createAuthUser(t.db, 'spare@example.com') })
 */
export function useFreshDb(options: FreshDbFixtureOptions = {}): FreshDbFixture {
  const { when = true, ...dbOptions } = options
  let current: TestDb | undefined
  // The fixture's hooks in order: each starts when the previous one (the opening first) is done.
  let chain: Promise<void> = Promise.resolve()
  const ordered = (fn: () => Promise<void>) => () => {
    chain = chain.then(fn)
    return chain
  }
  const open = (): TestDb => {
    if (!current) throw new Error('useFreshDb: the database is open from the before() hook to the after() hook of its suite only (and with when: true)')
    return current
  }
  const fixture: FreshDbFixture = {
    get db() { return open().db },
    get pool() { return open().pool },
    get kind() { return open().kind },
    get location() { return open().location },
    get url() { return open().url },
    before: (fn) => {
      if (when) before(ordered(fn))
    },
  }
  if (!when) return fixture
  before(ordered(async () => {
    current = await freshDb(dbOptions)
  }))
  after(async () => {
    await chain.catch(() => {}) // a failed setup failed its hook already; the database is closed all the same
    await current?.close()
    current = undefined
  })
  return fixture
}
