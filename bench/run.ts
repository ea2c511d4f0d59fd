// npm run bench [-- options]: see --help. Embedded (in memory) by default; with DATABASE_URL, a
// database of its own on that server, dropped afterwards.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import { integerOption } from '../cli/helpers.js'
import { PROJECT_ROOT } from '../lib/paths.js'
import { defaultAuditPartitionsOptions, renderAuditPartitions, runAuditPartitionsBench } from './audit-partitions.js'
import { type BenchOptions, defaultOptions, runBench } from './index.js'
import { defaultOffboardingOptions, renderOffboarding, runOffboardingBench } from './offboarding.js'
import { renderTables, resultFileName } from './report.js'
import { defaultTenantGrowthOptions, renderTenantGrowth, runTenantGrowthBench } from './tenant-growth.js'

function positiveNumber(value: string): number {
  const x = Number(value)
  if (!Number.isFinite(x) || x <= 0) throw new Error(`expected a positive number, got ${value}`)
  return x
}

const program = new Command('bench')
  .description('tenantry benchmark: RLS overhead, tenant scaling, audit cost, seeding, embedded start; --audit-partitions, --tenant-growth and --offboarding run a section of their own')
  .option('--scale <x>', 'multiply the default sizes (1,000 orgs, 200,000 customers, 1,000,000 revenue rows and activities)', positiveNumber, 1)
  .option('--orgs <n>', 'organizations', integerOption(3, 100_000))
  .option('--customers <n>', 'customers', integerOption(10))
  .option('--revenue <n>', 'revenue rows', integerOption(10))
  .option('--activities <n>', 'activities', integerOption(10))
  .option('--seed <n>', 'seed of the generator', integerOption(0, 0xffffffff))
  .option('--end-month <YYYY-MM>', 'last month of the history (default: last month)')
  .option('--iterations <n>', 'runs per query and variant, at least', integerOption(1))
  .option('--spend-ms <n>', 'time per query and organization: quick queries get more runs (0: exactly --iterations)', integerOption(0))
  .option('--shape-iterations <n>', 'runs per query under each replaced policy shape (0: skip)', integerOption(0))
  .option('--shape-timeout-ms <n>', 'statement timeout under the replaced policy shapes', integerOption(100))
  .option('--audit-rows <n>', 'rows of the bulk insert', integerOption(1))
  .option('--single-inserts <n>', 'single-row inserts', integerOption(1))
  .option('--audit-runs <n>', 'runs of each audit variant', integerOption(1))
  .option('--seeding-customers <n>', 'customers of the seeding measurement, over 50 organizations (0: skip; default 95,000 x scale)', integerOption(0))
  .option('--start-runs <n>', 'embedded start runs (0: skip)', integerOption(0))
  .option('--keep-db', 'keep the server database (DATABASE_URL runs)')
  .option('--out <dir>', 'directory of the JSON result', join(PROJECT_ROOT, 'bench', 'results'))
  .option('--quiet', 'no progress lines')
  .option('--audit-partitions', 'run only the audit trail section (issue 15: partitioned trail at scale; bench/audit-partitions.ts)')
  .option('--audit-trail-rows <n>', 'rows of that trail (default 10,000,000 on a server, 2,000,000 embedded)', integerOption(1000))
  .option('--tenant-growth', 'run only the tenant growth section (issue 20: dashboards of a small tenant and a big one at x1, x10, x100; bench/tenant-growth.ts)')
  .option('--tenant-growth-rows <n>', "the small tenant's rows per table (default 30,000 x --scale on a server, a tenth of that embedded; the big one reaches 100x)", integerOption(100))
  .option('--tenant-growth-ops <n>', 'with --tenant-growth: the correctness long run, n random writes then every dashboard function against the raw rows (seed: --seed)', integerOption(1))
  .option('--offboarding', 'run only the offboarding section (issue 21: purge and export of a large organization; bench/offboarding.ts)')
  .option('--offboarding-rows <n>', 'rows per tenant table of the organization purged (default 1,000,000)', integerOption(100))
  .option('--purge-batch-rows <n>', 'rows per purge batch (default 5,000)', integerOption(1))
  .parse()

const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim()
const log = program.opts<{ quiet?: boolean }>().quiet ? () => {} : (line: string) => console.error(line)

/** A section's result: its table on stdout, its JSON in --out, then the process ends. */
function writeSection(name: string, result: { date: string; database: { kind: string } }, rendered: string): never {
  const out = program.opts<{ out: string }>().out
  console.log(rendered)
  mkdirSync(out, { recursive: true })
  const file = join(out, `${result.date.slice(0, 19).replaceAll(':', '-')}-${name}-${result.database.kind === 'embedded' ? 'embedded' : 'pg'}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`wrote ${file}`)
  process.exit(0)
}

if (program.opts<{ offboarding?: boolean }>().offboarding) {
  const a = program.opts<{ offboardingRows?: number; purgeBatchRows?: number }>()
  const defaults = defaultOffboardingOptions(process.env.DATABASE_URL)
  const result = await runOffboardingBench({
    ...defaults, rows: a.offboardingRows ?? defaults.rows, batchRows: a.purgeBatchRows ?? defaults.batchRows, log,
  }, command)
  writeSection('offboarding', result, renderOffboarding(result))
}

if (program.opts<{ tenantGrowth?: boolean }>().tenantGrowth) {
  const a = program.opts<{ scale: number; tenantGrowthRows?: number; tenantGrowthOps?: number; seed?: number; iterations?: number; keepDb?: boolean }>()
  const defaults = defaultTenantGrowthOptions(process.env.DATABASE_URL, a.scale)
  const result = await runTenantGrowthBench({
    ...defaults, smallRows: a.tenantGrowthRows ?? defaults.smallRows, iterations: a.iterations ?? defaults.iterations,
    ops: a.tenantGrowthOps ?? 0, seed: a.seed ?? defaults.seed, keepDatabase: a.keepDb ?? false, log,
  }, command)
  writeSection('tenant-growth', result, renderTenantGrowth(result))
}

if (program.opts<{ auditPartitions?: boolean }>().auditPartitions) {
  const a = program.opts<{ auditTrailRows?: number; iterations?: number }>()
  const defaults = defaultAuditPartitionsOptions(process.env.DATABASE_URL)
  const result = await runAuditPartitionsBench({
    ...defaults, rows: a.auditTrailRows ?? defaults.rows, iterations: a.iterations ?? defaults.iterations, log,
  }, command)
  writeSection('audit-partitions', result, renderAuditPartitions(result))
}

const o = program.opts<{
  scale: number; orgs?: number; customers?: number; revenue?: number; activities?: number; seed?: number; endMonth?: string
  iterations?: number; spendMs?: number; shapeIterations?: number; shapeTimeoutMs?: number; auditRows?: number; singleInserts?: number
  auditRuns?: number; seedingCustomers?: number; startRuns?: number; keepDb?: boolean; out: string; quiet?: boolean
}>()

const d = defaultOptions(o.scale)
const options: BenchOptions = {
  ...d,
  sizes: {
    organizations: o.orgs ?? d.sizes.organizations, customers: o.customers ?? d.sizes.customers,
    revenue: o.revenue ?? d.sizes.revenue, activities: o.activities ?? d.sizes.activities,
    seed: o.seed ?? d.sizes.seed, endMonth: o.endMonth ?? d.sizes.endMonth,
  },
  iterations: o.iterations ?? d.iterations,
  spendMs: o.spendMs ?? d.spendMs,
  shapes: { ...d.shapes, iterations: o.shapeIterations ?? d.shapes.iterations, timeoutMs: o.shapeTimeoutMs ?? d.shapes.timeoutMs },
  audit: {
    bulkRows: o.auditRows ?? d.audit.bulkRows, singleInserts: o.singleInserts ?? d.audit.singleInserts,
    runs: o.auditRuns ?? d.audit.runs,
  },
  seeding: { ...d.seeding, customers: o.seedingCustomers ?? d.seeding.customers },
  // The embedded start is a figure of the embedded database: measured on embedded runs only by default.
  startRuns: o.startRuns ?? (process.env.DATABASE_URL ? 0 : d.startRuns),
  keepDatabase: o.keepDb ?? false,
  log,
}
if (process.env.DATABASE_URL) options.databaseUrl = process.env.DATABASE_URL

const result = await runBench(options)
console.log(renderTables(result))
mkdirSync(o.out, { recursive: true })
const file = join(o.out, resultFileName(result))
writeFileSync(file, `${JSON.stringify({ command, ...result }, null, 2)}\n`)
console.log(`wrote ${file}`)
