// Running the tenantry CLI as a child process, against a database of the test's own: an embedded data
// directory in a temporary folder, or, when DATABASE_URL is set, a new database on that server. The CLI
// runs as users run it: the package bin, on the built bundle (rebuilt first when a source is newer).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_ROOT } from '../../lib/paths.js'
import { ensureBuilt } from '../../scripts/build.mjs'
import { createServerDatabase, migratedServerTemplate, migrateServerDatabase, onServer } from './db.js'
import { copyMigratedDataDir } from './template.js'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Replaces the target's environment (DATABASE_URL / TENANTRY_DATA_DIR) entries given here. */
  env?: Record<string, string | undefined>
  /** Called with each chunk of stderr; may signal the child. */
  onStderr?(text: string, child: { kill(signal: NodeJS.Signals): boolean }): void
  timeoutMs?: number
}

/** Environment without the caller's database settings, so a child only sees what a test gives it. */
function baseEnv(): Record<string, string | undefined> {
  const { DATABASE_URL: _url, TENANTRY_DATA_DIR: _dir, TENANTRY_DEBUG: _debug, ...rest } = process.env
  return rest
}

/** The package bin: what `npx tenantry` and `npm start` run. */
export const CLI_BIN = 'bin/tenantry.js'
/** The CLI's source entry: runNode runs it as the built CLI, CLI_BIN. */
const CLI_SOURCE = 'cli/main.ts'

let built: Promise<unknown> | undefined

/**
 * Runs `node <entry> ...args` from the project root (`node --import tsx` for a .ts entry); stdin is an
 * (empty) pipe, not a TTY. The CLI (CLI_BIN, or its source entry cli/main.ts) runs as users run it:
 * the package bin on the built bundle, built first when a source is newer.
 */
export async function runNode(entry: string, args: string[], env: Record<string, string | undefined>, options: RunOptions = {}): Promise<RunResult> {
  const cli = entry === CLI_BIN || entry === CLI_SOURCE
  // Built here, once per test process, rather than by the first children: they start in parallel.
  if (cli) await (built ??= ensureBuilt())
  const target = cli ? CLI_BIN : entry
  return new Promise((resolve, reject) => {
    const merged: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...baseEnv(), ...env, ...options.env })) if (v !== undefined) merged[k] = v
    const loader = target.endsWith('.ts') ? ['--import', 'tsx'] : []
    const child = spawn(process.execPath, [...loader, target, ...args], { cwd: PROJECT_ROOT, env: merged, stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdin.end()
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      options.onStderr?.(stderr, child)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export interface CliTarget {
  /** Environment for the child: DATABASE_URL or TENANTRY_DATA_DIR. */
  env: Record<string, string | undefined>
  /** The embedded data directory (undefined on a server). */
  dataDir: string | undefined
  run(args: string[], options?: RunOptions): Promise<RunResult>
  cleanup(): Promise<void>
}

export interface CliTargetOptions {
  /** On a server: the database's template (see ServerDatabaseOptions). */
  template?: 'template0'
  /**
   * true: the database is migrated already, for tests of what comes after `tenantry migrate` (which
   * test/cli.test.ts tests on an empty database). Embedded, a copy of the migrated template's data
   * directory (test/support/template.ts): no child process pays for initdb and the migrations. On a
   * server, a copy of the migrated template database (migratedServerTemplate, test/support/db.ts), or
   * with `template`, that database migrated in this process, as `tenantry migrate` does.
   */
  migrated?: boolean
}

/** A database for CLI tests: a new server database with DATABASE_URL, else a fresh embedded directory. */
export async function cliTarget(options: CliTargetOptions = {}): Promise<CliTarget> {
  let env: Record<string, string | undefined>
  let dataDir: string | undefined
  let cleanup: () => Promise<void>
  if (onServer) {
    // Migrated: a copy of the migrated template, which comes from the server's template1; from another
    // template (a plain PostgreSQL database), migrated here as `tenantry migrate` does.
    const copy = options.migrated && !options.template
    const template = copy ? await migratedServerTemplate() : options.template
    const created = await createServerDatabase(template ? { template } : {})
    env = { DATABASE_URL: created.url }
    cleanup = () => created.drop()
    if (options.migrated && !copy) await migrateServerDatabase(created.url)
  } else {
    const root = mkdtempSync(join(tmpdir(), 'tenantry-cli-'))
    dataDir = join(root, 'db')
    env = { TENANTRY_DATA_DIR: dataDir }
    cleanup = async () => rmSync(root, { recursive: true, force: true })
    if (options.migrated) await copyMigratedDataDir(dataDir)
  }
  return { env, dataDir, run: (args, options) => runNode(CLI_BIN, args, env, options), cleanup }
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}
