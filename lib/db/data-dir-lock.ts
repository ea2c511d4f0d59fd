// An exclusive lock on an embedded data directory. PGlite has none: two processes opening the same
// directory both write it and the last to close silently wins. The lock is a file beside the
// directory holding the owner's pid; a lock whose process is gone (SIGKILL) is taken over.
// A pid file rather than an mtime heartbeat (proper-lockfile): PGlite runs queries synchronously on
// the main thread, so a long statement would stop the heartbeat and let a second process in.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { TenantryError } from './errors.js'

export class DataDirLockedError extends TenantryError {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `the embedded database at ${dataDir} is already open in process ${pid}; ` +
        'close that process first (two processes writing one data directory would lose data)',
      { code: 'TENANTRY_DATA_DIR_LOCKED' },
    )
  }
}

/** The lock file could not be taken for another reason than another process holding it. */
export class DataDirLockError extends TenantryError {
  constructor(readonly dataDir: string, reason: string, cause?: unknown) {
    super(`could not lock the embedded database at ${dataDir}: ${reason}`, { code: 'TENANTRY_DATA_DIR_LOCK_FAILED', cause })
  }
}

/** A file-system error as a DataDirLockError (a read-only directory, no permission, ...). */
function lockFailure(dir: string, e: unknown): DataDirLockError {
  return new DataDirLockError(dir, e instanceof Error ? e.message : String(e), e)
}

interface LockOwner {
  pid: number
  host: string
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (typeof parsed === 'object' && parsed !== null && 'pid' in parsed && 'host' in parsed &&
        typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host }
    }
  } catch {
    // unreadable or half-written: treated as stale
  }
  return undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the lock or throws DataDirLockedError; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir)
  const path = `${dir}.lock`
  const me: LockOwner = { pid: process.pid, host: hostname() }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' })
      let released = false
      const release = (): void => {
        if (released) return
        released = true
        process.off('exit', release)
        const owner = readOwner(path)
        if (owner?.pid === me.pid && owner.host === me.host) unlinkSync(path)
      }
      process.on('exit', release)
      return release
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw lockFailure(dir, e)
    }
    const owner = readOwner(path)
    if (owner && owner.host === me.host && isAlive(owner.pid)) throw new DataDirLockedError(dir, owner.pid)
    // Stale: move it aside atomically so that of two processes taking over only one succeeds.
    try {
      renameSync(path, `${path}.stale-${process.pid}`)
      unlinkSync(`${path}.stale-${process.pid}`)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw lockFailure(dir, e)
    }
  }
  throw new DataDirLockError(dir, `the lock file ${path} keeps reappearing`)
}
