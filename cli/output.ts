// How the CLI reports: one clear line per user mistake, never a stack trace for one.
//
// Exit codes shared by every command: 0 success, 1 error (a user mistake or a failed operation),
// 2 cannot connect to the database, 130 interrupted (Ctrl-C). Commands that report a state add
// their own (status: 3 pending, 4 drift; doctor: 3 findings), documented in their --help.
import { connectionFailure, ConnectionLostError, TenantryError } from '../lib/db/index.js'

export const EXIT = { ok: 0, error: 1, connection: 2, interrupted: 130 } as const

/** A mistake in what the user asked for: the message says what and how to fix it. */
export class UsageError extends TenantryError {
  constructor(message: string) {
    super(message, { code: 'TENANTRY_USAGE' })
  }
}

/** The database named by DATABASE_URL could not be reached or refused us. */
export class ConnectionError extends TenantryError {
  constructor(message: string) {
    super(message, { code: 'TENANTRY_CONNECTION_FAILED' })
  }
}

/** Ctrl-C (or SIGTERM): the database has been closed; nothing more to say. */
export class InterruptedError extends TenantryError {
  constructor() {
    super('interrupted', { code: 'TENANTRY_INTERRUPTED' })
  }
}


/** The most useful line an error has: AggregateError (IPv4 + IPv6 attempts) keeps it in errors[]. */
export function errorText(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return errorText(e.errors[0])
  if (e instanceof Error) {
    const code = 'code' in e && typeof e.code === 'string' ? e.code : undefined
    if (e.message) return oneLine(e.message)
    return code ?? e.name
  }
  return String(e)
}


/** Folds a multi-line message (a migration failure names the file, then the statement) into one. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ')
}

/** Prints the error and returns the exit code for it. */
export function reportError(e: unknown): number {
  if (e instanceof InterruptedError) return EXIT.interrupted
  // TENANTRY_DEBUG: the whole error first (stack, cause chain, PostgreSQL's fields), then the line.
  if (process.env.TENANTRY_DEBUG) console.error(e)
  if (e instanceof ConnectionError || e instanceof ConnectionLostError) {
    console.error(`error: ${oneLine(e.message)}`)
    return EXIT.connection
  }
  if (e instanceof TenantryError) {
    console.error(`error: ${oneLine(e.message)}${e.hint ? ` (hint: ${e.hint})` : ''}`)
    return EXIT.error
  }
  if (connectionFailure(e) !== undefined) {
    console.error(`error: cannot connect to the database: ${errorText(e)}`)
    return EXIT.connection
  }
  console.error(`error: ${errorText(e)}`)
  return EXIT.error
}
