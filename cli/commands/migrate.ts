// migrate: applies the pending files of supabase/migrations (the Supabase compatibility layer first
// where the database lacks it), one transaction per file, as `supabase db push` would.
import type { Command } from 'commander'
import type { Kysely } from 'kysely'
import { type AuditMaintenanceStep, maintainAuditPartitions } from '../../lib/db/index.js'
import { migrate } from '../../lib/migrate/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'

export interface MigrateReport {
  location: string
  compatApplied: boolean
  applied: string[]
  /** What the audit trail's partition maintenance did (private.audit_logs_maintain, migration 012). */
  auditPartitions: AuditMaintenanceStep[]
}

/** Applies what is pending; `log` hears each step as it happens. */
export async function runMigrate<DB>(db: Kysely<DB>, log: (line: string) => void = () => {}): Promise<Omit<MigrateReport, 'location'>> {
  const result = await migrate(db, {
    onCompat: () => log('applying the Supabase compatibility layer (supabase/compat/supabase_compat.sql)'),
    onApply: (file, index, total) => log(`applying ${file.version}_${file.name}.sql (${index + 1}/${total})`),
    onWait: () => log('waiting for another migrate to finish (the migration lock is held)'),
    onRetry: (file, attempt, delayMs) =>
      log(`${file.file}: a statement timed out waiting for a lock (attempt ${attempt}); rolled back, trying again in ${(delayMs / 1000).toFixed(1)} s`),
  })
  // The months ahead exist before they are needed, and rows that landed in the default partition move
  // to their month, on every migrate (docs/audit.md).
  const auditPartitions = await maintainAuditPartitions(db)
  for (const step of auditPartitions) {
    log(step.action === 'created' ? `audit trail: created partition ${step.partition}` : `audit trail: moved ${step.rows} row(s) from the default partition to ${step.partition}`)
  }
  return { compatApplied: result.compatApplied, applied: result.applied.map((f) => f.file), auditPartitions }
}

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
