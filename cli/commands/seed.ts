// seed: fills an empty, migrated database with realistic demo tenants (lib/seed), with a progress
// bar on a terminal. Deterministic: the same --seed and --end-month give the same rows, ids included.
import { type Command, InvalidArgumentError } from 'commander'
import { parseMonth } from '../../lib/db/index.js'
import { lastCompleteMonth, SEED_DEFAULTS, type SeedResult } from '../../lib/seed/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { integerOption } from '../helpers.js'
import { progressReporter, runSeed } from '../setup.js'

/** --end-month parser: checked before the database is opened. */
function monthOption(value: string): string {
  try {
    parseMonth(value, '--end-month')
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e))
  }
  return value
}

const n = (x: number): string => x.toLocaleString('en-US')

/**
 * A rate over a short run is mostly start-up and commit latency ("77 rows (51 rows/s)" says nothing
 * about throughput): the summary shows it only for a run at least this long.
 */
export const MIN_SECONDS_FOR_RATE = 5

export function formatSeedResult(result: SeedResult, where: string): string[] {
  const c = result.counts
  const rate = result.seconds >= MIN_SECONDS_FOR_RATE ? ` (${n(result.revenuePerSecond)} rows/s)` : ''
  const lines = [
    `seeded ${where} in ${result.seconds.toFixed(1)} s (seed ${result.config.seed}, 24 months to ${result.config.endMonth})`,
    `  organizations ${n(c.organizations)}, users ${n(c.users)}, customers ${n(c.customers)}`,
    `  revenue ${n(c.revenue)} rows${rate}, activities ${n(c.activities)}, AI usage ${n(c.aiUsage)}, invitations ${n(c.invitations)}`,
    '  (audit rows and customers\' revenue totals were written by the triggers)',
    'sign in as (npx tenantry sql "..." --as <email>):',
    ...result.logins.map((l) => `  ${l.email.padEnd(44)} ${l.role}${l.organization ? ` of ${l.organization}` : ''}`),
  ]
  return lines
}

export function register(program: Command): void {
  withDbOptions(
    program
      .command('seed')
      .description('fill an empty, migrated database with realistic demo tenants (deterministic with --seed)'),
  )
    .option('--seed <n>', 'random seed: the same seed and end month give the same data', integerOption(0, 0xffffffff), SEED_DEFAULTS.seed)
    .option('--orgs <n>', 'organizations (a few large, many small)', integerOption(1, 100_000), SEED_DEFAULTS.organizations)
    .option('--customers <n>', 'customers over all organizations (about 10 revenue rows each)', integerOption(0, 50_000_000), SEED_DEFAULTS.customers)
    .option('--end-month <YYYY-MM>', 'last month of the 24 months of history (default: last month)', monthOption)
    .option('--batch-size <n>', 'customers per statement', integerOption(1, 100_000), SEED_DEFAULTS.batchSize)
    .option('--concurrency <n>', 'statements in flight (default: 2 on a server, 1 embedded)', integerOption(1, 64))
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Writes organizations, auth users (their profiles come from the trigger), memberships, customers across
industries and statuses, 24 months of seasonal revenue with churn, activities and AI usage. Customers'
revenue totals and the audit trail are written by the database's triggers, as for any other write.
The database must be migrated and empty (\`tenantry reset --yes\` empties it).

Examples:
  $ tenantry seed
  $ tenantry seed --seed 42 --orgs 50 --customers 100000 --end-month 2025-12

Exit codes: 0 seeded, 1 failed (not migrated, not empty, bad option), 2 cannot connect, 130 interrupted
(batches already written stay; reset before seeding again).`)
    .action(async (options: DbCommandOptions & {
      seed: number; orgs: number; customers: number; endMonth?: string; batchSize: number
      concurrency?: number; progress: boolean; json?: boolean
    }) => {
      const progress = progressReporter(options.progress && !options.json)
      try {
        const result = await withDatabase(options, async ({ handle, signal }) => {
          const r = await runSeed(handle, {
            seed: options.seed, organizations: options.orgs, customers: options.customers,
            endMonth: options.endMonth ?? lastCompleteMonth(), batchSize: options.batchSize,
            ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
            signal, ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
          })
          progress.stop()
          return { r, where: `the ${handle.kind} database at ${handle.location}` }
        }, { cooperative: true })
        if (options.json) console.log(JSON.stringify(result.r, null, 2))
        else for (const line of formatSeedResult(result.r, result.where)) console.log(line)
      } finally {
        progress.stop()
      }
    })
}
