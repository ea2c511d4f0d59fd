// status: which migrations are applied, pending, changed since they were applied, or applied here
// without a file. Exits non-zero unless the database is exactly up to date, for scripts and CI.
import type { Command } from 'commander'
import type { Kysely } from 'kysely'
import { migrationFileName } from '../../lib/paths.js'
import { migrationStatus } from '../../lib/migrate/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'

export const STATUS_EXIT = { upToDate: 0, pending: 3, drift: 4 } as const

export interface StatusReport {
  applied: string[]
  pending: string[]
  /** Applied, and the file has been edited since. */
  changed: string[]
  /** Recorded as applied, with no file here. */
  missingLocally: string[]
}

export async function runStatus<DB>(db: Kysely<DB>): Promise<StatusReport> {
  const st = await migrationStatus(db)
  const fileName = (f: { version: string; name: string | null }): string => migrationFileName(f.version, f.name ?? '')
  return {
    applied: st.applied.map(fileName),
    pending: st.pending.map(fileName),
    changed: st.changed.map(fileName),
    missingLocally: st.missingLocally.map((m) => m.version),
  }
}

/** 0 up to date, 3 pending migrations, 4 drift (a changed or missing file), drift first. */
export function statusExitCode(report: StatusReport): number {
  if (report.changed.length > 0 || report.missingLocally.length > 0) return STATUS_EXIT.drift
  if (report.pending.length > 0) return STATUS_EXIT.pending
  return STATUS_EXIT.upToDate
}

export function formatStatus(report: StatusReport): string[] {
  const changed = new Set(report.changed)
  const lines = [
    ...report.applied.map((f) => `${changed.has(f) ? 'changed' : 'applied'}  ${f}`),
    ...report.pending.map((f) => `pending  ${f}`),
    ...report.missingLocally.map((v) => `missing  ${v} (applied to the database, no file here)`),
  ]
  if (lines.length === 0) lines.push('no migrations')
  const code = statusExitCode(report)
  if (code === STATUS_EXIT.upToDate) lines.push('up to date')
  if (report.pending.length > 0) lines.push(`${report.pending.length} pending: run \`tenantry migrate\``)
  if (report.changed.length > 0) {
    lines.push(`${report.changed.length} applied migration(s) edited since: restore them and put changes in a new file`)
  }
  if (report.missingLocally.length > 0) lines.push(`${report.missingLocally.length} applied migration(s) have no file here`)
  return lines
}

export function register(program: Command): void {
  withDbOptions(program.command('status').description('show applied, pending and changed migrations'))
    .option('--json', 'print the status as JSON')
    .addHelpText('after', `
Examples:
  $ tenantry status
  $ tenantry status --json

Exit codes: 0 up to date, 3 pending migrations, 4 an applied migration was changed or has no file
here, 1 failed, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { json?: boolean }) => {
      const report = await withDatabase(options, ({ handle }) => runStatus(handle.db))
      if (options.json) console.log(JSON.stringify(report, null, 2))
      else for (const line of formatStatus(report)) console.log(line)
      process.exitCode = statusExitCode(report)
    })
}
