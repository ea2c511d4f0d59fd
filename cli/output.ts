// How the CLI reports: one clear line per user mistake, never a stack trace for one.
import { DataDirLockedError } from '../lib/db/lock.js'
import { DbError } from '../lib/db/errors.js'

/** Prints the error and returns the exit code for it. */
export function reportError(e: unknown): number {
  if (e instanceof DbError || e instanceof DataDirLockedError) {
    console.error(`error: ${e.message}`)
    return 1
  }
  if (e instanceof Error && 'code' in e && typeof e.code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|28P01|3D000|28000)$/.test(e.code)) {
    console.error(`error: cannot connect to the database: ${e.message}`)
    return 2
  }
  if (process.env.TENANTRY_DEBUG) console.error(e)
  else console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
  return 1
}
