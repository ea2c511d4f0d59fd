// Migration files: supabase/migrations/<version>_<name>.sql, as the Supabase CLI reads them.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { COMPAT_FILE, MIGRATIONS_DIR, migrationFileName } from '../paths.js'
import { splitStatements } from './sql-split.js'

const FILE_PATTERN = /^([0-9]+)_(.*)\.sql$/

export interface MigrationFile {
  version: string
  name: string
  /** `<version>_<name>.sql`, the name Supabase and this project's messages use. */
  file: string
  path: string
  statements: string[]
}

export function readMigrationFiles(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => FILE_PATTERN.test(f))
    .sort()
    .map((file) => {
      const [, version = '', name = ''] = FILE_PATTERN.exec(file) ?? []
      const path = join(dir, file)
      return { version, name, file: migrationFileName(version, name), path, statements: splitStatements(readFileSync(path, 'utf8')) }
    })
}

export function readCompatStatements(): string[] {
  return splitStatements(readFileSync(COMPAT_FILE, 'utf8'))
}
