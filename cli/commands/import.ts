// import: restores an export (tenantry export) into an empty, migrated database, with the same ids.
import type { Command } from 'commander'
import cliProgress from 'cli-progress'
import { importOrganization } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { toJson } from '../table.js'

export function register(program: Command): void {
  withDbOptions(program.command('import').description('restore an export into an empty database (a new organization, the same ids)'))
    .requiredOption('--in <dir>', 'a directory written by tenantry export')
    .option('--json', 'print {organizationId, rows} as JSON')
    .addHelpText('after', `
Checks manifest.json first (every file's sha256 and rows, and that the schema version is this
database's), then restores in one transaction as the owner: the organization, its members (auth users
with their id, email and name; they sign in again through your auth), customers, revenue, activities
(trash included), AI usage and invitations. The audit trail is not restored: the import writes its
own. Pending invitations get new tokens nobody knows: send them again.

Examples:
  $ tenantry migrate && tenantry import --in ./acme-export

Exit codes: 0 imported, 1 the export does not check out, the database is not empty, or failure (nothing
imported), 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { in: string; json?: boolean }) => {
      const result = await withDatabase(options, async ({ handle }) => {
        const bar = new cliProgress.SingleBar({
          format: 'importing {table} | {value} rows | {duration_formatted}', hideCursor: true, clearOnComplete: true, stream: process.stderr,
        }, cliProgress.Presets.shades_classic)
        bar.start(0, 0, { table: '' })
        try {
          return await importOrganization(handle.db, options.in, { onProgress: (p) => bar.update(p.total, { table: p.table }) })
        } finally {
          bar.stop()
        }
      })
      if (options.json) console.log(toJson(result))
      else console.log(`imported organization ${result.organizationId}: ${Object.values(result.rows).reduce((n, r) => n + r, 0).toLocaleString('en-US')} rows`)
    })
}
