// Every path the project uses, in one place. The root is found by walking up from this module to the
// package.json named tenantry, so the same code works from lib/ under tsx and from a bundle in dist/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'))
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'tenantry') return dir
    }
    if (dirname(dir) === dir) throw new Error(`no tenantry package.json above ${from}`)
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)))

/** The schema as Supabase runs it: supabase/migrations/<version>_<name>.sql. */
export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'supabase', 'migrations')
/** What every Supabase database already has, applied to plain PostgreSQL and PGlite only. */
export const COMPAT_FILE = join(PROJECT_ROOT, 'supabase', 'compat', 'supabase_compat.sql')

/** The file name of a migration, as the Supabase CLI reads it. */
export function migrationFileName(version: string, name: string): string {
  return `${version}_${name}.sql`
}

// Generated files (tenantry generate writes them, tenantry generate --check compares them).
export const TYPES_FILE = join(PROJECT_ROOT, 'lib', 'db', 'types.ts')
export const SCHEMA_FILE = join(PROJECT_ROOT, 'supabase', 'schema.sql')
/** supabase-js's `Database` type, as `supabase gen types typescript` writes it. */
export const SUPABASE_TYPES_FILE = join(PROJECT_ROOT, 'supabase', 'database.types.ts')
export const ERD_FILE = join(PROJECT_ROOT, 'docs', 'erd.md')
export const ACCESS_POLICY_DOC = join(PROJECT_ROOT, 'docs', 'access-policy.md')
/** The access policy as data, the source of ACCESS_POLICY_DOC. */
export const ACCESS_POLICY_SOURCE = join(PROJECT_ROOT, 'lib', 'devtools', 'access-policy.ts')

export const TEST_DIR = join(PROJECT_ROOT, 'test')
export const BENCH_DIR = join(PROJECT_ROOT, 'bench')
