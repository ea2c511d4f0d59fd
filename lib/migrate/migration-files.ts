// Migration files: supabase/migrations/<version>_<name>.sql, as the Supabase CLI reads them.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { COMPAT_FILE, MIGRATIONS_DIR, migrationFileName } from '../paths.js'
import { splitStatements } from '../sql-text.js'

/** The Supabase CLI's marker, on a file's first line, for a file run statement by statement outside a transaction. */
export const NO_TRANSACTION_MARKER = '-- pg-delta: transaction=false'

const FILE_PATTERN = /^([0-9]+)_(.*)\.sql$/

export interface MigrationFile {
  version: string
  name: string
  /** `<version>_<name>.sql`, the name Supabase and this project's messages use. */
  file: string
  path: string
  statements: string[]
  /**
   * False when the file's first line is `-- pg-delta: transaction=false` (the Supabase CLI's marker):
   * every statement then runs on its own, outside a transaction (see migration-plan.ts).
   */
  transactional: boolean
}

export function hasNoTransactionMarker(source: string): boolean {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source
  const nl = text.indexOf('\n')
  const first = nl < 0 ? text : text.slice(0, nl)
  return (first.endsWith('\r') ? first.slice(0, -1) : first) === NO_TRANSACTION_MARKER
}

export function readMigrationFiles(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => FILE_PATTERN.test(f))
    .sort()
    .map((file) => {
      const [, version = '', name = ''] = FILE_PATTERN.exec(file) ?? []
      const path = join(dir, file)
      const source = readFileSync(path, 'utf8')
      return {
        version, name, file: migrationFileName(version, name), path,
        statements: splitStatements(source), transactional: !hasNoTransactionMarker(source),
      }
    })
}

export function readCompatStatements(): string[] {
  return splitStatements(readFileSync(COMPAT_FILE, 'utf8'))
}
