// generate: regenerates every generated file (lib/devtools/generate.ts) from the SQL migrations on a
// throwaway embedded database; --check writes nothing and reports the stale ones.
import { relative } from 'node:path'
import type { Command } from 'commander'
import { renderGenerated, staleFiles, writeGenerated } from '../../lib/devtools/generate.js'
import { REGENERATE } from '../../lib/devtools/regenerate.js'
import { PROJECT_ROOT } from '../../lib/paths.js'

export const GENERATE_EXIT = { upToDate: 0, stale: 3 } as const

export function register(program: Command): void {
  program
    .command('generate')
    .description('regenerate lib/db/types.ts, supabase/database.types.ts (supabase-js), supabase/schema.sql, docs/erd.md and docs/access-policy.md from the migrations (on a throwaway embedded database)')
    .option('--check', 'write nothing; list the generated files that are out of date')
    .addHelpText('after', `
Examples:
  $ tenantry generate
  $ tenantry generate --check

Exit codes: 0 written (or already up to date), 3 with --check: a generated file is out of date (each
is listed), 1 failed.`)
    .action(async (options: { check?: boolean }) => {
      const files = await renderGenerated()
      if (options.check) {
        const stale = staleFiles(files)
        if (stale.length === 0) {
          console.log(`all ${files.length} generated files are up to date`)
        } else {
          for (const path of stale) console.error(`out of date: ${path}`)
          console.error(`run \`${REGENERATE}\` to regenerate`)
          process.exitCode = GENERATE_EXIT.stale
        }
        return
      }
      const written = writeGenerated(files)
      for (const f of files) {
        const path = relative(PROJECT_ROOT, f.path)
        console.log(`${written.includes(path) ? 'wrote' : 'unchanged'} ${path}`)
      }
    })
}
