// Migration files: supabase/migrations/<version>_<name>.sql, as the Supabase CLI reads them.
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { splitStatements } from './sql-split.js'

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'supabase', 'migrations')
export const COMPAT_FILE = join(PROJECT_ROOT, 'supabase', 'compat', 'supabase_compat.sql')

const FILE_PATTERN = /^([0-9]+)_(.*)\.sql$/

export interface MigrationFile {
  version: string
  name: string
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
      return { version, name, path, statements: splitStatements(readFileSync(path, 'utf8')) }
    })
}

export function readCompatStatements(): string[] {
  return splitStatements(readFileSync(COMPAT_FILE, 'utf8'))
}
