// Opening and closing the database for a command. Every command that touches the database goes
// through withDatabase: DATABASE_URL or the embedded database (--data-dir, TENANTRY_DATA_DIR,
// .tenantry/db), a connection check that turns a wrong URL into one clear line, and a close on every
// path — success, error, Ctrl-C — because the embedded database holds a lock file while open.
import type { Command } from 'commander'
import { sql } from 'kysely'
import { createDb, type DbHandle, type DbOptions, redactUrl, resolveTarget, sessionRoutes } from '../lib/db/index.js'
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

/** The role the API's sessions log in as (migration 008): no rights of its own, member of the three API roles. */
export const LOGIN_ROLE = 'tenantry_authenticator'
/**
 * The role untrusted SQL of a user or anon logs in as (migration 017): no rights of its own, member of
 * anon and authenticated only, so no statement reaches service_role or the owner.
 */
export const USER_LOGIN_ROLE = 'tenantry_user_authenticator'

export type LoginRole = typeof LOGIN_ROLE | typeof USER_LOGIN_ROLE

/** The environment variable holding each login role's URL (with its password, on a Supabase project). */
export const LOGIN_ROLE_URL_VARIABLE: Record<LoginRole, string> = {
  [LOGIN_ROLE]: 'TENANTRY_AUTHENTICATOR_URL',
  [USER_LOGIN_ROLE]: 'TENANTRY_USER_AUTHENTICATOR_URL',
}

/**
 * Where sessions log in as `role` on a server: its variable (TENANTRY_AUTHENTICATOR_URL,
 * TENANTRY_USER_AUTHENTICATOR_URL), else the database's own URL as that role without a password (what
 * a local or CI server that trusts its loopback accepts; a Supabase project needs the variable,
 * docs/production.md).
 */
export function loginRoleUrl(databaseUrl: string, role: LoginRole = LOGIN_ROLE, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[LOGIN_ROLE_URL_VARIABLE[role]]
  if (fromEnv) return fromEnv
  const url = new URL(databaseUrl)
  url.username = role
  url.password = ''
  return url.toString()
}

/** A first statement within CONNECT_TIMEOUT_MS, or a ConnectionError saying which login failed. */
async function checkAnswers(db: DbHandle['db'], what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS)
      }),
    ])
  } catch (e) {
    throw new ConnectionError(`cannot connect to ${what}: ${errorText(e)}`)
  } finally {
    clearTimeout(timer)
  }
}

export interface OpenOptions {
  /**
   * On a server, the sessions of other actors than the system log in as this role, so that no
   * statement of theirs can reach the owner's rights (`reset role` leads back to a role with none);
   * USER_LOGIN_ROLE for untrusted SQL of a user or anon (it cannot become service_role either).
   */
  loginRole?: LoginRole
}

/** Opens the database and, for a server, checks that it answers (and, when asked, that the login role does). */
export async function openDatabase(options: DbCommandOptions, open: OpenOptions = {}): Promise<DbHandle> {
  const opts = dbOptions(options)
  const target = resolveTarget(opts)
  if (target.kind === 'postgres' && !/^postgres(ql)?:\/\//.test(target.url)) {
    throw new ConnectionError(`DATABASE_URL must be a postgres:// URL, got ${redactUrl(target.url)}`)
  }
  const loginRole = open.loginRole
  const authenticatorUrl = loginRole && target.kind === 'postgres' ? loginRoleUrl(target.url, loginRole) : undefined
  const handle = await createDb({ ...opts, ...(authenticatorUrl ? { authenticatorUrl } : {}) })
  if (handle.kind === 'postgres') {
    try {
      await checkAnswers(handle.db, `the database at ${handle.location}`)
      const authenticator = sessionRoutes(handle.db)?.authenticator
      if (loginRole && authenticatorUrl && authenticator) {
        await checkAnswers(authenticator, `the database as ${loginRole} at ${redactUrl(authenticatorUrl)} ` +
          `(sessions as ${loginRole === USER_LOGIN_ROLE ? 'a user or anon' : 'service'} log in as that role; ` +
          `set ${LOGIN_ROLE_URL_VARIABLE[loginRole]} to its URL with its password, docs/production.md)`)
      }
    } catch (e) {
      // A pool still connecting would keep its socket; end() is best effort, the process exits anyway.
      void handle.close().catch(() => {})
      throw e
    }
  }
  return handle
}

export interface RunContext {
  handle: DbHandle
  /** Aborted on Ctrl-C / SIGTERM: long work should stop at its next step. */
  signal: AbortSignal
}

export interface WithDatabaseOptions extends OpenOptions {
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
    handle = await openDatabase(options, behaviour)
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
