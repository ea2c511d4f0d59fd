// Every generated file of the project, rendered from one throwaway database: migrated, its catalog read
// once (catalog.ts), then lib/db/types.ts, supabase/schema.sql and docs/erd.md rendered from that
// catalog, supabase/database.types.ts by Supabase's own generator (supabase-types.ts) and
// docs/access-policy.md from lib/devtools/access-policy.ts. `tenantry generate` writes them; its
// --check and the drift tests compare them with the files on disk.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import type { Kysely } from 'kysely'
import { createDb } from '../db/index.js'
import { migrate } from '../migrate/index.js'
import { ACCESS_POLICY_DOC, ERD_FILE, PROJECT_ROOT, SCHEMA_FILE, SUPABASE_TYPES_FILE, TYPES_FILE } from '../paths.js'
import { readCatalog } from './catalog.js'
import { renderAccessPolicy, renderErd } from './docs-gen.js'
import { renderSchema } from './schema-dump.js'
import { renderSupabaseTypes } from './supabase-types.js'
import { generateTypes } from './types-gen.js'

export interface GeneratedFile {
  /** Absolute path. */
  path: string
  content: string
}

/** The generated files for the database behind db, which must be freshly migrated. */
export async function renderGeneratedFrom<DB>(db: Kysely<DB>): Promise<GeneratedFile[]> {
  const catalog = await readCatalog(db)
  return [
    { path: TYPES_FILE, content: generateTypes(catalog) },
    { path: SCHEMA_FILE, content: renderSchema(catalog) },
    { path: ERD_FILE, content: renderErd(catalog) },
    { path: ACCESS_POLICY_DOC, content: renderAccessPolicy() },
    // supabase-js's Database type, by Supabase's own generator (supabase-types.ts).
    { path: SUPABASE_TYPES_FILE, content: await renderSupabaseTypes(db) },
  ]
}

/** Every generated file as it should be, from a fresh in-memory embedded database. */
export async function renderGenerated(): Promise<GeneratedFile[]> {
  const handle = await createDb({ dataDir: 'memory://' })
  try {
    await migrate(handle.db)
    return await renderGeneratedFrom(handle.db)
  } finally {
    await handle.close()
  }
}

/** The content of one of the rendered files (path: one of the paths in lib/paths.ts). */
export function contentOf(files: readonly GeneratedFile[], path: string): string {
  const file = files.find((f) => f.path === path)
  if (!file) throw new Error(`renderGenerated() renders no ${relative(PROJECT_ROOT, path)}`)
  return file.content
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** The files whose content on disk differs from what it should be (paths relative to the project). */
export function staleFiles(files: readonly GeneratedFile[]): string[] {
  return files.filter((f) => readOrNull(f.path) !== f.content).map((f) => relative(PROJECT_ROOT, f.path))
}

/** Writes the files that are stale; returns them (paths relative to the project). */
export function writeGenerated(files: readonly GeneratedFile[]): string[] {
  const stale = staleFiles(files)
  for (const f of files) {
    if (!stale.includes(relative(PROJECT_ROOT, f.path))) continue
    mkdirSync(dirname(f.path), { recursive: true })
    writeFileSync(f.path, f.content)
  }
  return stale
}
