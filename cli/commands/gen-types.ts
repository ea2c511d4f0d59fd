// gen-types: regenerates lib/db/types.ts from a freshly migrated in-memory database.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { generateTypes } from '../../lib/devtools/types-gen.js'
import { createDb } from '../../lib/db/index.js'
import { introspectPublic } from '../../lib/devtools/catalog.js'
import { migrate } from '../../lib/migrate/index.js'
import { PROJECT_ROOT } from '../../lib/paths.js'

export const TYPES_FILE = join(PROJECT_ROOT, 'lib', 'db', 'types.ts')

/** The types.ts text for the current migrations, built on a throwaway embedded database. */
export async function renderTypes(): Promise<string> {
  const handle = await createDb({ dataDir: 'memory://' })
  try {
    await migrate(handle.db)
    return generateTypes(await introspectPublic(handle.db))
  } finally {
    await handle.close()
  }
}

export function register(program: Command): void {
  program
    .command('gen-types')
    .description('regenerate lib/db/types.ts from the SQL migrations (on a throwaway embedded database)')
    .addHelpText('after', '\nExample:\n  $ tenantry gen-types\n\nExit codes: 0 written, 1 failed.')
    .action(async () => {
      writeFileSync(TYPES_FILE, await renderTypes())
      console.log(`wrote ${TYPES_FILE}`)
    })
}
