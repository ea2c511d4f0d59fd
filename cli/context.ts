// Opening and closing the database for a command. Every command that touches the database goes
// through withDatabase: DATABASE_URL or the embedded database (--data-dir, TENANTRY_DATA_DIR,
// .tenantry/db), a connection check that turns a wrong URL into one clear line, and a close on every
// path — success, error, Ctrl-C — because the embedded database holds a lock file while open.
import type { Command } from 'commander'
import { sql } from 'kysely'
import { createDb, type DbHandle, type DbOptions, redactUrl, resolveTarget } from '../lib/db/index.js'
import { ConnectionError, errorText, InterruptedError } from './output.js'

export interface DbCommandOptions {
  dataDir?: string
}

export const DATA_DIR_HELP =
  'embedded database directory (default: $TENANTRY_DATA_DIR or .tenantry/db); wins over DATABASE_URL'

/** Adds the options every database command shares. */
export function withDbOptions(command: Command): Command {
  return command.option('--data-dir <dir>', DATA_DIR_HELP)
}

/** The connection options a command's flags and the environment ask for. */
export function dbOptions(options: DbCommandOptions): DbOptions {
  // An explicit --data-dir means the embedded database even when DATABASE_URL is exported.
  return options.dataDir !== undefined ? { dataDir: options.dataDir } : {}
}

const CONNECT_TIMEOUT_MS = Number(process.env.TENANTRY_CONNECT_TIMEOUT_MS ?? 10_000)

/** Opens the database and, for a server, checks that it answers. */
export async function openDatabase(options: DbCommandOptions): Promise<DbHandle> {
  const opts = dbOptions(options)
  const target = resolveTarget(opts)
  if (target.kind === 'postgres' && !/^postgres(ql)?:\/\//.test(target.url)) {
    throw new ConnectionError(`DATABASE_URL must be a postgres:// URL, got ${redactUrl(target.url)}`)
  }
  const handle = await createDb(opts)
  if (handle.kind === 'postgres') {
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        sql`select 1`.execute(handle.db),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS)
        }),
      ])
    } catch (e) {
      // A pool still connecting would keep its socket; end() is best effort, the process exits anyway.
      void handle.close().catch(() => {})
      throw new ConnectionError(`cannot connect to the database at ${handle.location}: ${errorText(e)}`)
    } finally {
      clearTimeout(timer)
    }
  }
  return handle
}

export interface RunContext {
  handle: DbHandle
  /** Aborted on Ctrl-C / SIGTERM: long work should stop at its next step. */
  signal: AbortSignal
}

export interface WithDatabaseOptions {
  /**
   * The command watches the signal and stops by itself (throwing when it does); withDatabase waits
   * for it. Otherwise a signal abandons the command at once and only the close is awaited.
   */
  cooperative?: boolean
}

/**
 * Runs fn with the database open and closes it afterwards, whatever happens. On the first Ctrl-C the
 * signal is aborted and the database closed (waiting for the statement in progress); the command then
 * ends with InterruptedError (exit 130). A second Ctrl-C exits at once.
 */
export async function withDatabase<T>(
  options: DbCommandOptions,
  fn: (ctx: RunContext) => Promise<T>,
  behaviour: WithDatabaseOptions = {},
): Promise<T> {
  const controller = new AbortController()
  let interrupted: () => void = () => {}
  const interruption = new Promise<never>((_, reject) => {
    interrupted = () => reject(new InterruptedError())
  })
  interruption.catch(() => {})
  let signals = 0
  const onSignal = (): void => {
    signals++
    if (signals > 1) process.exit(130)
    console.error('\ninterrupted: closing the database (Ctrl-C again to quit at once)')
    controller.abort()
    interrupted()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let handle: DbHandle | undefined
  try {
    // Not raced against a signal: stopping while the embedded database creates its directory would
    // leave half a data directory behind. A Ctrl-C meanwhile is acted on as soon as it is open.
    handle = await openDatabase(options)
    if (controller.signal.aborted) throw new InterruptedError()
    const work = fn({ handle, signal: controller.signal })
    if (behaviour.cooperative) return await work
    work.catch(() => {}) // when abandoned after a signal, its late failure is of no interest
    return await Promise.race([work, interruption])
  } catch (e) {
    // After a signal, a cooperative command stops with an error saying how far it got: show it, then
    // end as interrupted.
    if (controller.signal.aborted && !(e instanceof InterruptedError)) {
      console.error(`error: ${errorText(e)}`)
      throw new InterruptedError()
    }
    throw e
  } finally {
    try {
      await handle?.close()
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    if (controller.signal.aborted) process.exitCode = 130
  }
}
