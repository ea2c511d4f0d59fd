// reset: drops everything the migrations made (tables, functions, the private schema, the migration
// history) and the auth users, then migrates again to an empty, up-to-date database. Destructive, so it
// asks first on a terminal; scripts say --yes.
import type { Command } from 'commander'
import type { Kysely } from 'kysely'
import { resetDatabase } from '../../lib/migrate/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { confirm } from '../helpers.js'
import { UsageError } from '../output.js'
import { runMigrate } from '../setup.js'

export interface ResetOptions {
  /** Apply the migrations again afterwards (default true). */
  migrate?: boolean
}

export interface ResetReport {
  location: string
  migrated: string[]
}

export async function runReset<DB>(db: Kysely<DB>, options: ResetOptions = {}): Promise<string[]> {
  await resetDatabase(db)
  if (options.migrate === false) return []
  return (await runMigrate(db)).applied
}

export function register(program: Command): void {
  withDbOptions(
    program
      .command('reset')
      .description('drop every table, function, migration record and auth user, then migrate again (asks first)'),
  )
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--no-migrate', 'leave the database empty instead of migrating it again')
    .addHelpText('after', `
Examples:
  $ tenantry reset
  $ tenantry reset --yes && tenantry seed --seed 42

Exit codes: 0 reset, 1 declined, refused (no --yes and no terminal) or failed, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { yes?: boolean; migrate: boolean }) => {
      // Refuse before opening anything: a script that forgot --yes learns it at once.
      if (!options.yes && !process.stdin.isTTY) {
        throw new UsageError('refusing to reset without --yes: stdin is not a terminal, so nobody can confirm')
      }
      await withDatabase(options, async ({ handle }) => {
        if (!options.yes) {
          const ok = await confirm(
            `Reset the ${handle.kind} database at ${handle.location}? Every table, row and auth user there is deleted. [y/N] `,
            'reset',
          )
          if (!ok) throw new UsageError('reset cancelled: nothing was changed')
        }
        const migrated = await runReset(handle.db, { migrate: options.migrate })
        console.log(`reset the ${handle.kind} database at ${handle.location}`)
        if (options.migrate) console.log(`applied ${migrated.length} migration(s): ${migrated.join(', ')}`)
      })
    })
}
