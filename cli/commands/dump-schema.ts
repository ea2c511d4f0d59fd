// dump-schema: regenerates the generated reference files from a freshly migrated in-memory embedded
// database — supabase/schema.sql (lib/db/schema-dump.ts), docs/erd.md and docs/access-policy.md
// (lib/db/docs-gen.ts) — or, with --check, reports which of them are stale without writing.
// Runnable on its own as well: `npx tsx cli/commands/dump-schema.ts [--check]`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, CommanderError } from 'commander'
import { createDb } from '../../lib/db/index.js'
import { type GeneratedFile, renderDocsFrom } from '../../lib/devtools/docs-gen.js'
import { migrate } from '../../lib/migrate/index.js'
import { PROJECT_ROOT } from '../../lib/paths.js'
import { dumpSchema, SCHEMA_FILE } from '../../lib/devtools/schema-dump.js'
import { reportError } from '../output.js'

/** Every generated reference file with the text it should have, built on one throwaway database. */
export async function renderReferenceFiles(): Promise<GeneratedFile[]> {
  const handle = await createDb({ dataDir: 'memory://' })
  try {
    await migrate(handle.db)
    return [{ path: SCHEMA_FILE, content: await dumpSchema(handle.db) }, ...(await renderDocsFrom(handle.db))]
  } finally {
    await handle.close()
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** The files whose content differs from what it should be (paths relative to the project). */
export function staleFiles(files: GeneratedFile[]): string[] {
  return files.filter((f) => readOrNull(f.path) !== f.content).map((f) => relative(PROJECT_ROOT, f.path))
}

export function register(program: Command): void {
  program
    .command('dump-schema')
    .description('regenerate supabase/schema.sql, docs/erd.md and docs/access-policy.md from the migrations (on a throwaway embedded database)')
    .option('--check', 'write nothing; exit 1 when a generated file is out of date')
    .addHelpText('after', '\nExamples:\n  $ tenantry dump-schema\n  $ tenantry dump-schema --check\n\nExit codes: 0 written (or up to date), 1 out of date or failed.')
    .action(async (options: { check?: boolean }) => {
      const files = await renderReferenceFiles()
      const stale = staleFiles(files)
      if (options.check) {
        if (stale.length === 0) {
          console.log('generated files are up to date')
        } else {
          console.error(`out of date: ${stale.join(', ')}; run \`npx tsx cli/commands/dump-schema.ts\` to regenerate`)
          process.exitCode = 1
        }
        return
      }
      for (const f of files) {
        mkdirSync(dirname(f.path), { recursive: true })
        writeFileSync(f.path, f.content)
      }
      for (const f of files) console.log(`${stale.includes(relative(PROJECT_ROOT, f.path)) ? 'wrote' : 'unchanged'} ${relative(PROJECT_ROOT, f.path)}`)
    })
}

// Run directly (npx tsx cli/commands/dump-schema.ts [--check]) as well as through cli/main.ts.
const invoked = process.argv[1]
if (invoked !== undefined && resolve(invoked) === fileURLToPath(import.meta.url)) {
  const program = new Command().name('tenantry').exitOverride()
  register(program)
  try {
    await program.parseAsync(['dump-schema', ...process.argv.slice(2)], { from: 'user' })
  } catch (e) {
    process.exitCode = e instanceof CommanderError ? e.exitCode : reportError(e)
  }
}
