// rollups: the dashboard's daily rollups (migration 013). merge folds the pending deltas (what pg_cron
// runs on Supabase), rebuild recomputes them from the raw rows, verify compares them with the raw rows
// and exits 1 on any difference. All three as the owner (the system).
import type { Command } from 'commander'
import { type Kysely, sql } from 'kysely'
import {
  asSystem, type Database, mergeRollups, pendingDeltas, rebuildRollups, type RebuiltRollup, type RollupDifference, verifyRollups,
} from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { renderTable, toJson } from '../table.js'
import { integerOption } from '../helpers.js'

export const VERIFY_EXIT = { exact: 0, differences: 1 } as const

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** --org as an organization id: a uuid as it is, a slug looked up. */
export async function organizationId(db: Kysely<Database>, org: string): Promise<string> {
  if (UUID.test(org)) return org
  const found = await asSystem(db, (trx) => sql<{ id: string }>`select id from public.organizations where slug = ${org}`.execute(trx))
  const id = found.rows[0]?.id
  if (!id) throw new UsageError(`no organization with id or slug "${org}" (list them: tenantry sql "select id, slug from organizations")`)
  return id
}

export interface MergeReport {
  folded: number
  /** Deltas still pending after the fold, per rollup. */
  pending: Record<string, number>
}

export async function runMerge(db: Kysely<Database>, maxRows?: number): Promise<MergeReport> {
  const folded = await mergeRollups(db, maxRows === undefined ? {} : { maxRows })
  return { folded, pending: await pendingDeltas(db) }
}

export function formatDifferences(differences: readonly RollupDifference[]): string {
  return renderTable(differences.map((d) => ({
    rollup: d.rollup, organization: d.organizationId, day: d.day, dimension: d.dimension ?? '',
    raw: d.raw === null ? '(none)' : JSON.stringify(d.raw), rollups: d.kept === null ? '(none)' : JSON.stringify(d.kept),
  })), { max: 80 })
}

function registerMerge(rollups: Command): void {
  withDbOptions(rollups.command('merge').description('fold the pending deltas into the rollups (one transaction)'))
    .option('--max-rows <n>', 'fold at most n deltas, oldest first (default: every pending one)', integerOption(1, 2_147_483_647))
    .option('--json', 'print what was folded and what is still pending as JSON')
    .addHelpText('after', `
Writes to revenue, activities and ai_usage_log append deltas; the dashboard reads rollup + deltas, so
its answers are exact whether or not they are folded. Folding keeps the log short and the dashboard
fast. On Supabase pg_cron runs it (docs/dashboard.md); the embedded database folds by itself. Two
folds at once are safe: the second waits for the first.

Examples:
  $ tenantry rollups merge
  $ tenantry rollups merge --max-rows 100000 --json

Exit codes: 0 folded (also when nothing was pending), 1 failed (nothing folded), 2 cannot connect.`)
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<DbCommandOptions & { maxRows?: number; json?: boolean }>()
      const report = await withDatabase(options, ({ handle }) => runMerge(handle.db, options.maxRows))
      if (options.json) {
        console.log(toJson(report))
        return
      }
      const left = Object.values(report.pending).reduce((a, b) => a + b, 0)
      console.log(`folded ${report.folded.toLocaleString('en-US')} delta(s); ${left.toLocaleString('en-US')} still pending`)
    })
}

function registerRebuild(rollups: Command): void {
  withDbOptions(rollups.command('rebuild').description('recompute the rollups from the raw rows (one organization or all)'))
    .option('--org <id>', 'only this organization (id or slug)')
    .option('--json', 'print the rows written per rollup as JSON')
    .addHelpText('after', `
For a bulk load made with the rollup triggers off, or to repair what verify found. Writers go on
meanwhile; a fold waits for it.

Examples:
  $ tenantry rollups rebuild
  $ tenantry rollups rebuild --org acme

Exit codes: 0 rebuilt, 1 unknown organization or failure (nothing changed), 2 cannot connect.`)
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<DbCommandOptions & { org?: string; json?: boolean }>()
      const rebuilt: RebuiltRollup[] = await withDatabase(options, async ({ handle }) => {
        const org = options.org === undefined ? undefined : await organizationId(handle.db, options.org)
        return rebuildRollups(handle.db, org === undefined ? {} : { organizationId: org })
      })
      console.log(options.json ? toJson(rebuilt) : renderTable(rebuilt.map((r) => ({
        rollup: r.rollup, 'rows written': r.rowsWritten.toLocaleString('en-US'), 'deltas discarded': r.deltasDiscarded.toLocaleString('en-US'),
      }))))
    })
}

function registerVerify(rollups: Command): void {
  withDbOptions(rollups.command('verify').description('compare rollup + pending deltas with the raw rows; exit 1 on any difference'))
    .option('--org <id>', 'only this organization (id or slug)')
    .option('--json', 'print the differences as JSON ([] when exact)')
    .addHelpText('after', `
Each rollup is compared in one snapshot, so writers running meanwhile cause no false difference. A
difference means rows were written with the rollup triggers off (or a bug): \`tenantry rollups rebuild\`
repairs it.

Examples:
  $ tenantry rollups verify
  $ tenantry rollups verify --org acme --json

Exit codes: 0 exact, 1 differences found (listed) or failure, 2 cannot connect.`)
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<DbCommandOptions & { org?: string; json?: boolean }>()
      const differences = await withDatabase(options, async ({ handle }) => {
        const org = options.org === undefined ? undefined : await organizationId(handle.db, options.org)
        return verifyRollups(handle.db, org === undefined ? {} : { organizationId: org })
      })
      if (options.json) console.log(toJson(differences))
      else if (differences.length === 0) console.log('rollups exact: rollup + pending deltas equal the raw rows')
      else {
        console.log(formatDifferences(differences))
        console.log(`${differences.length} difference(s): run \`tenantry rollups rebuild\` to repair`)
      }
      process.exitCode = differences.length === 0 ? VERIFY_EXIT.exact : VERIFY_EXIT.differences
    })
}

export function register(program: Command): void {
  const rollups = withDbOptions(
    program.command('rollups').description("the dashboard's daily rollups: merge pending deltas, rebuild, verify"),
  )
    .addHelpText('after', `
The dashboard's aggregates read daily rollups plus the deltas that writes append (migration 013,
docs/dashboard.md#rollups): exact at every commit, folded by \`merge\`.

Examples:
  $ tenantry rollups merge
  $ tenantry rollups verify --json
  $ tenantry rollups rebuild --org acme

Exit codes: 0 success, 1 failure or (verify) a difference found, 2 cannot connect.`)
  registerMerge(rollups)
  registerRebuild(rollups)
  registerVerify(rollups)
}
