// A copy of supabase/migrations in a temporary directory, for suites whose tests add migration files
// to it: the real folder stays untouched.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { MIGRATIONS_DIR } from '../../lib/paths.js'

/** Copies the migrations in the calling suite's before() hook and removes the copy in its after() hook. */
export function useMigrationsCopy(prefix: string): { readonly dir: string } {
  let dir: string | undefined
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix))
    cpSync(MIGRATIONS_DIR, dir, { recursive: true })
  })
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  return {
    get dir() {
      if (!dir) throw new Error('useMigrationsCopy: the copy exists from the before() hook to the after() hook of its suite')
      return dir
    },
  }
}
