// One embedded database, made once, and every embedded test database started from a copy of it. A
// fresh PGlite runs initdb (WebAssembly), then the tests migrate it: most of a test file's setup
// time. Restoring PGlite's own dump of a database that went through exactly that (initdb, and for the
// migrated one the compatibility layer and migrate()) skips both and gives the same database, byte for
// byte: a real PGlite, loaded from a real data directory, not a stand-in. Two states: empty (initdb
// only, for tests of the migrator) and migrated.
//
// Kept in the temporary directory between test processes (each test file is one), under a key of
// everything that shapes it: the migrations, the compatibility layer, the migrator's code, the PGlite
// version and the UTC day (migration 012 creates the audit partitions of the current month and the
// next ones). Made by whichever test process needs it first; two making it at once both finish and
// one rename wins.
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { createDb } from '../../lib/db/index.js'
import { migrate } from '../../lib/migrate/index.js'
import { COMPAT_FILE, MIGRATIONS_DIR, PROJECT_ROOT } from '../../lib/paths.js'

// One folder per checkout: a worktree with other migrations has templates of its own.
const CACHE = join(tmpdir(), 'tenantry-test-templates', createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12))

/** The inputs' fingerprint: a change in any of them makes a new template (also the server's, test/support/db.ts). */
export function templateKey(): string {
  const hash = createHash('sha256')
  const add = (path: string): void => {
    hash.update(path).update('\0').update(readFileSync(path)).update('\0')
  }
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) add(join(MIGRATIONS_DIR, f))
  add(COMPAT_FILE)
  const migrator = join(PROJECT_ROOT, 'lib', 'migrate')
  for (const f of readdirSync(migrator).sort()) add(join(migrator, f))
  // The package's manifest (its exports do not include it): two levels above its entry, dist/index.js.
  add(join(dirname(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'))), 'package.json'))
  hash.update(new Date().toISOString().slice(0, 10))
  return hash.digest('hex').slice(0, 16)
}

interface Template {
  /** An empty database (initdb only) as PGlite's dumpDataDir() tarball, to restore in memory. */
  emptyTarball: string
  /** The migrated database as a tarball. */
  migratedTarball: string
  /** The migrated database as a data directory, to copy (CLI tests open it in a child process). */
  migratedDir: string
}

function templatePaths(key: string): Template {
  return {
    emptyTarball: join(CACHE, `${key}.empty.tar`),
    migratedTarball: join(CACHE, `${key}.migrated.tar`),
    migratedDir: join(CACHE, `${key}.migrated.dir`),
  }
}

/** PGlite's own tarball of a closed data directory. */
async function dumpDir(dir: string, to: string): Promise<void> {
  const pglite = await PGlite.create(dir)
  let tar: Blob
  try {
    tar = await pglite.dumpDataDir('none')
  } finally {
    await pglite.close()
  }
  writeFileSync(to, Buffer.from(await tar.arrayBuffer()))
}

/** Makes the templates: a data directory on disk, opened and then migrated through createDb as any test's. */
async function build(key: string): Promise<Template> {
  const final = templatePaths(key)
  const work = join(CACHE, `${key}.building-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  try {
    const dir = join(work, 'db')
    await (await createDb({ dataDir: dir, rollupFoldMs: 0 })).close()
    await dumpDir(dir, join(work, 'empty.tar'))
    const handle = await createDb({ dataDir: dir, rollupFoldMs: 0 })
    try {
      await migrate(handle.db)
    } finally {
      await handle.close()
    }
    await dumpDir(dir, join(work, 'migrated.tar'))
    // The migrated tarball last: its presence says the template is complete. A rename over an
    // existing directory fails (another process made it first): theirs is the same database.
    try {
      renameSync(dir, final.migratedDir)
    } catch (e) {
      if (!existsSync(final.migratedDir)) throw e
    }
    renameSync(join(work, 'empty.tar'), final.emptyTarball)
    renameSync(join(work, 'migrated.tar'), final.migratedTarball)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  // Templates of older sources or days are not used again; a day's grace for a run still copying one.
  for (const f of readdirSync(CACHE)) {
    const path = join(CACHE, f)
    if (!f.startsWith(key) && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true })
  }
  return final
}

let template: Promise<Template> | undefined

function templates(): Promise<Template> {
  template ??= (async () => {
    const key = templateKey()
    const ready = templatePaths(key)
    if (existsSync(ready.migratedTarball) && existsSync(ready.migratedDir) && existsSync(ready.emptyTarball)) return ready
    return build(key)
  })()
  return template
}

const snapshots = new Map<'empty' | 'migrated', Promise<Blob>>()

/**
 * A database as a dumpDataDir() tarball, for createDb's loadDataDir (read once per process):
 * 'migrated', or 'empty' (initdb only, for tests that migrate themselves).
 */
export function snapshot(kind: 'empty' | 'migrated'): Promise<Blob> {
  let s = snapshots.get(kind)
  if (!s) {
    s = templates().then((t) => new Blob([readFileSync(kind === 'empty' ? t.emptyTarball : t.migratedTarball)]))
    snapshots.set(kind, s)
  }
  return s
}

/** Copies the migrated data directory to `dataDir` (which must not exist yet). */
export async function copyMigratedDataDir(dataDir: string): Promise<void> {
  const t = await templates()
  cpSync(t.migratedDir, dataDir, { recursive: true, errorOnExist: true, force: false })
}
