// export: an admin's organization, read through the admin's own session (RLS), into a directory of
// <table>.jsonl files and manifest.json. Streamed: memory stays flat whatever the size.
import type { Command } from 'commander'
import cliProgress from 'cli-progress'
import { exportOrganization } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { toJson } from '../table.js'
import { defaultSeedCast, integerOption, resolveUser, userOption } from '../helpers.js'

interface ExportCommandOptions extends DbCommandOptions {
  as: string
  out: string
  pageRows?: number
  json?: boolean
}

export function register(program: Command): void {
  const { admin } = defaultSeedCast()
  withDbOptions(program.command('export').description("export your organization's data (admins): one <table>.jsonl per table and manifest.json"))
    .requiredOption('--as <email>', 'an admin of the organization: the export reads what they may read', userOption)
    .requiredOption('--out <dir>', 'the directory to write (created if missing; files in it are replaced)')
    .option('--page-rows <n>', 'rows per fetch from the database (default 1000)', integerOption(1, 100_000))
    .option('--json', 'print the manifest as JSON')
    .addHelpText('after', `
Tables: organizations, profiles (members), customers, revenue, activities (the trash included),
ai_usage_log, invitations (no token hashes) and audit_logs. One JSON object per line, as the database
returns rows. manifest.json holds the schema version (the highest applied migration) and, per table,
the row count and the sha256 of its file. Restore with tenantry import.

Examples:
  $ tenantry export --as ${admin} --out ./acme-export

Exit codes: 0 exported, 1 not an admin or failed, 2 cannot connect, 130 interrupted (the directory is incomplete).`)
    .action(async (options: ExportCommandOptions) => {
      const manifest = await withDatabase(options, async ({ handle, signal }) => {
        const adminId = await resolveUser(handle.db, options.as)
        const bar = new cliProgress.SingleBar({
          format: 'exporting {table} | {value} rows | {duration_formatted}', hideCursor: true, clearOnComplete: true, stream: process.stderr,
        }, cliProgress.Presets.shades_classic)
        bar.start(0, 0, { table: '' })
        try {
          return await exportOrganization(handle.db, adminId, options.out, {
            ...(options.pageRows ? { pageRows: options.pageRows } : {}), signal,
            onProgress: (p) => bar.update(p.total, { table: p.table }),
          })
        } finally {
          bar.stop()
        }
      }, { cooperative: true })
      if (options.json) console.log(toJson(manifest))
      else {
        const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0)
        console.log(`exported ${manifest.organization.name}: ${rows.toLocaleString('en-US')} rows in ${Object.keys(manifest.tables).length} files to ${options.out} (schema ${manifest.schema_version})`)
      }
    })
}
