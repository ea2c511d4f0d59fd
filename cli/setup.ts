// Getting a database ready, shared by migrate, reset, seed and demo (and the benchmarks): the
// migrations with the audit trail's partition maintenance, the seed with its progress on stderr.
import cliProgress from 'cli-progress'
import type { Kysely } from 'kysely'
import { type AuditMaintenanceStep, type DbHandle, maintainAuditPartitions } from '../lib/db/index.js'
import { migrate, migrationStatus } from '../lib/migrate/index.js'
import { seedDatabase, type SeedOptions, type SeedProgress, type SeedResult } from '../lib/seed/index.js'
import { UsageError } from './output.js'

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

/** Batches in flight unless asked otherwise: two on a server (one per core here), one embedded (one session). */
export function defaultConcurrency(kind: DbHandle['kind']): number {
  return kind === 'postgres' ? 2 : 1
}

/** Seeds through an open handle, at defaultConcurrency unless the options say otherwise. */
export async function runSeed(handle: DbHandle, options: SeedOptions): Promise<SeedResult> {
  const pending = (await migrationStatus(handle.db)).pending
  if (pending.length > 0) {
    throw new UsageError(
      `the database has ${pending.length} pending migration(s) (${pending.map((f) => f.file).join(', ')}): run \`tenantry migrate\` first`,
    )
  }
  return seedDatabase(handle.db, { concurrency: defaultConcurrency(handle.kind), ...options })
}

/**
 * A progress bar on stderr; where stderr is not a terminal (CI logs, pipes), one line per phase and
 * per tenth of the customers instead.
 */
export function progressReporter(enabled: boolean): { onProgress?: (p: SeedProgress) => void; stop(): void } {
  if (!enabled) return { stop() {} }
  if (!process.stderr.isTTY) {
    let phase = ''
    let tenth = 0
    return {
      onProgress(p) {
        if (p.phase !== phase) {
          phase = p.phase
          tenth = 0
          console.error(`seeding ${p.phase}${p.phase === 'tenants' ? '' : ` (${p.total.toLocaleString('en-US')})`}`)
        } else if (p.phase === 'customers' && p.total > 0 && Math.floor((p.done * 10) / p.total) > tenth) {
          tenth = Math.floor((p.done * 10) / p.total)
          console.error(`seeding customers: ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')}, ${p.counts.revenue.toLocaleString('en-US')} revenue rows`)
        }
      },
      stop() {},
    }
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'seeding {phase} [{bar}] {percentage}% | {value}/{total} | {revenue} revenue rows | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  )
  let phase = ''
  return {
    onProgress(p) {
      const payload = { phase: p.phase, revenue: p.counts.revenue.toLocaleString('en-US') }
      if (p.phase !== phase) {
        if (phase) bar.stop()
        phase = p.phase
        bar.start(Math.max(p.total, 1), p.done, payload)
      } else {
        bar.update(p.done, payload)
      }
    },
    stop() {
      if (phase) bar.stop()
      phase = ''
    },
  }
}

