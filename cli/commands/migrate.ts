// migrate: applies the pending files of supabase/migrations (the Supabase compatibility layer first
// where the database lacks it), one transaction per file, as `supabase db push` would.
import type { Command } from 'commander'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { type MigrateReport, runMigrate } from '../setup.js'

export function register(program: Command): void {
  withDbOptions(
    program
      .command('migrate')
      .description('apply the pending migrations of supabase/migrations (each file in one transaction, as supabase db push)'),
  )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Refuses, changing nothing, when a migration that was applied has since been edited or removed.
Works through a transaction pooler (Supabase's port 6543) and with several runs at once: each file
is applied once. Each transaction has lock_timeout TENANTRY_MIGRATE_LOCK_TIMEOUT_MS (default 4000);
a file that times out on a lock is rolled back and tried again (TENANTRY_MIGRATE_ATTEMPTS, default 4).
CREATE INDEX CONCURRENTLY runs outside a transaction, as the Supabase CLI runs it (docs/production.md).

Examples:
  $ tenantry migrate
  $ DATABASE_URL=postgres://postgres@localhost:5432/postgres tenantry migrate

Exit codes: 0 migrated (or already up to date), 1 failed (nothing of the failing file applied),
2 cannot connect.`)
    .action(async (options: DbCommandOptions & { json?: boolean }) => {
      await withDatabase(options, async ({ handle }) => {
        const log = options.json ? () => {} : (line: string) => console.log(line)
        if (!options.json) console.log(`database: ${handle.kind} at ${handle.location}`)
        const report: MigrateReport = { location: handle.location, ...(await runMigrate(handle.db, log)) }
        if (options.json) console.log(JSON.stringify(report, null, 2))
        else console.log(report.applied.length === 0 ? 'up to date: no pending migrations' : `applied ${report.applied.length} migration(s)`)
      })
    })
}
