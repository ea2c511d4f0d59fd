// orgs: the end of an organization's life. delete (an admin requests it, confirming the name; a grace
// period follows), restore (an admin cancels it within the grace period), purge (the owner removes
// every organization whose grace ended, one batch per transaction). docs/offboarding.md.
import { InvalidArgumentError, type Command } from 'commander'
import cliProgress from 'cli-progress'
import {
  asSystem, asUser, cancelOrganizationDeletion, dueOrganizations, purgeInBatches, requestOrganizationDeletion, type PurgeResult,
} from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { renderTable, toJson } from '../table.js'
import { confirm, defaultSeedCast, integerOption, resolveUser, userOption } from '../helpers.js'

function instantOption(value: string): Date {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected a date and time, e.g. 2027-01-31 or 2027-01-31T12:00:00Z')
  return d
}

function registerDelete(orgs: Command, admin: string): void {
  withDbOptions(orgs.command('delete').description("request the deletion of your organization (admins; a grace period follows)"))
    .requiredOption('--as <email>', 'an admin of the organization', userOption)
    .requiredOption('--confirm-name <name>', "the organization's name, exactly: the confirmation")
    .option('--json', 'print {purge_after} as JSON')
    .addHelpText('after', `
From now until the end of the grace period (a setting of the deployment, 30 days by default:
private.offboarding_settings) nobody of the organization sees or writes its data; the organization row
stays visible with its dates. An admin may cancel meanwhile (tenantry orgs restore). After it, the purge
removes everything (tenantry orgs purge, or pg_cron on Supabase).

Examples:
  $ tenantry orgs delete --as ${admin} --confirm-name "<the organization's name>"

Exit codes: 0 requested, 1 refused (not an admin, wrong name, already pending) or failed, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { as: string; confirmName: string; json?: boolean }) => {
      const purgeAfter = await withDatabase(options, async ({ handle }) => {
        const userId = await resolveUser(handle.db, options.as)
        return asUser(handle.db, userId, (trx) => requestOrganizationDeletion(trx, options.confirmName))
      })
      console.log(options.json ? toJson({ purge_after: purgeAfter }) : `deletion requested: the organization will be purged after ${purgeAfter.toISOString()} (cancel until then: tenantry orgs restore --as ${options.as})`)
    })
}

function registerRestore(orgs: Command, admin: string): void {
  withDbOptions(orgs.command('restore').description('cancel the pending deletion of your organization (admins, within the grace period)'))
    .requiredOption('--as <email>', 'an admin of the organization', userOption)
    .addHelpText('after', `
Everything is back as it was: nothing was deleted during the grace period.

Examples:
  $ tenantry orgs restore --as ${admin}

Exit codes: 0 restored, 1 refused (not an admin, nothing pending, grace period over) or failed, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { as: string }) => {
      await withDatabase(options, async ({ handle }) => {
        const userId = await resolveUser(handle.db, options.as)
        await asUser(handle.db, userId, (trx) => cancelOrganizationDeletion(trx))
      })
      console.log('deletion cancelled: the organization is back')
    })
}

interface PurgeOptions extends DbCommandOptions {
  asOf?: Date
  batchRows?: number
  dryRun?: boolean
  yes?: boolean
  json?: boolean
}

function registerPurge(orgs: Command): void {
  withDbOptions(orgs.command('purge').description('purge every organization whose grace period has ended (the owner; one batch per transaction)'))
    .option('--as-of <time>', 'purge what is due at this time instead of now (ISO 8601)', instantOption)
    .option('--batch-rows <n>', 'rows per batch and transaction (default: private.offboarding_settings.purge_batch_rows, 5000)', integerOption(1, 1_000_000))
    .option('--dry-run', 'list the organizations due, purge nothing')
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--json', 'print {purged, batches, rows} (or, with --dry-run, the organizations due) as JSON')
    .addHelpText('after', `
Deletes, batch after batch, every row of each organization due: every table of public and private
with an organization_id column, then its audit trail; then the organization row (its members become
outsiders: their accounts are theirs) and files one tombstone audit row without name or email. Each
batch commits on its own: other tenants never wait on a long transaction, and an interrupted purge
(Ctrl-C, a crash) resumes where it stopped when run again.

Examples:
  $ tenantry orgs purge --dry-run
  $ tenantry orgs purge --yes
  $ tenantry orgs purge --as-of 2027-02-01 --batch-rows 10000 --yes

Exit codes: 0 purged (also when nothing was due), 1 declined or failed, 2 cannot connect, 130 interrupted
(what was committed stays purged; run it again to finish).`)
    .action(async (options: PurgeOptions) => {
      const asOf = options.asOf ?? new Date()
      if (!options.dryRun && !options.yes && !process.stdin.isTTY) {
        throw new UsageError('refusing to purge without --yes: stdin is not a terminal, so nobody can confirm')
      }
      await withDatabase(options, async ({ handle, signal }) => {
        const due = await asSystem(handle.db, (trx) => dueOrganizations(trx, asOf))
        if (options.dryRun) {
          console.log(options.json ? toJson(due) : due.length === 0 ? 'nothing due' : renderTable(due.map((d) => ({ id: d.id, purge_after: d.purge_after, started: d.purge_started_at ?? '' }))))
          return
        }
        if (due.length === 0) {
          console.log(options.json ? toJson({ purged: [], batches: 0, rows: 0 }) : 'nothing due')
          return
        }
        if (!options.yes && !(await confirm(`Purge ${due.length} organization(s) from the ${handle.kind} database at ${handle.location}? This cannot be undone. [y/N] `, 'purge'))) {
          throw new UsageError('purge cancelled: nothing was deleted')
        }
        const bar = new cliProgress.SingleBar({
          format: 'purging [{bar}] {value}/{total} organizations | {rows} rows in {batches} batches | {duration_formatted}',
          hideCursor: true, clearOnComplete: true, stream: process.stderr,
        }, cliProgress.Presets.shades_classic)
        let rows = 0
        let batches = 0
        bar.start(due.length, 0, { rows: 0, batches: 0 })
        let result: PurgeResult
        try {
          result = await purgeInBatches(handle.db, {
            asOf, ...(options.batchRows ? { batchRows: options.batchRows } : {}),
            onBatch: (p) => {
              batches++
              if (p.step.table !== 'organizations') rows += p.step.deleted
              bar.update(p.purged, { rows: rows.toLocaleString('en-US'), batches })
              if (signal.aborted) throw new UsageError(`purge interrupted after ${batches} batches (${rows} rows); run it again to finish`)
            },
          })
        } finally {
          bar.stop()
        }
        console.log(options.json ? toJson(result) : `purged ${result.purged.length} organization(s): ${result.rows.toLocaleString('en-US')} rows in ${result.batches} batches`)
      }, { cooperative: true })
    })
}

export function register(program: Command): void {
  const { admin } = defaultSeedCast()
  const orgs = program.command('orgs').description("an organization's end: delete (grace period), restore, purge")
    .addHelpText('after', `
See docs/offboarding.md for what is deleted when and what stays.

Examples:
  $ tenantry orgs delete --as ${admin} --confirm-name "<the organization's name>"
  $ tenantry orgs purge --dry-run

Exit codes: 0 success, 1 refused or failed, 2 cannot connect; each subcommand's --help has its own.`)
  registerDelete(orgs, admin)
  registerRestore(orgs, admin)
  registerPurge(orgs)
}
