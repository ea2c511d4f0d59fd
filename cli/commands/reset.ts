// reset: drops everything the migrations made (tables, functions, the private schema, the migration
// history) and the auth users, then migrates again to an empty, up-to-date database. Destructive, so it
// asks first on a terminal; scripts say --yes.
import { createInterface } from 'node:readline/promises'
import type { Command } from 'commander'
import type { Kysely } from 'kysely'
import { resetDatabase } from '../../lib/migrate/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { runMigrate } from './migrate.js'

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

/**
 * True when the user confirmed on the terminal. Without a terminal there is nobody to ask: that is
 * an error, so that a script that forgot --yes fails loudly instead of hanging or wiping silently.
 */
export async function confirm(
  question: string,
  action: string,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stderr },
): Promise<boolean> {
  if (!io.input.isTTY) {
    throw new UsageError(`refusing to ${action} without --yes: stdin is not a terminal, so nobody can confirm`)
  }
  const rl = createInterface({ input: io.input, output: io.output })
  try {
    const answer = await rl.question(question)
    return /^(y|yes)$/i.test(answer.trim())
  } finally {
    rl.close()
  }
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
