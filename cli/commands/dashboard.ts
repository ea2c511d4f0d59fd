// dashboard: the product's questions, one subcommand each, answered by the dashboard library
// (lib/db/dashboard, which calls the SQL functions of migration 009) as a signed-in user under RLS, in a
// read-only transaction: what that user's dashboard would show, as tables and a chart, or as JSON.
import { type Command, InvalidArgumentError } from 'commander'
import type { Transaction } from 'kysely'
import {
  activitiesByType, aiUsageByDay, aiUsageByModel, aiUsageByUser, asUser, CUSTOMER_STATUSES, type CustomerStatus, customersPage,
  type Database, type JsonObject, monthlyRevenue, organizationSummary, type Period, searchActivities, topCustomers,
} from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import {
  aiDay, aiModel, parseDay, periodOf, renderActivitiesByType, renderAiUsage, renderCustomers, renderMonthlyRevenue, renderSearch,
  renderSummary, renderTopCustomers,
} from '../dashboard-view.js'
import { defaultSeedCast, integerOption, resolveUser, userOption } from '../helpers.js'
import { UsageError } from '../output.js'
import { toJson } from '../table.js'

interface AskOptions extends DbCommandOptions {
  as: string
  json?: boolean
}

/** Runs fn as the user in a read-only transaction (on the replica when there is one), as the dashboard would. */
async function ask<T>(options: AskOptions, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return withDatabase(options, async ({ handle }) => {
    const userId = await resolveUser(handle.db, options.as)
    return asUser(handle.db, userId, fn, { readOnly: true })
  })
}

function show<T>(options: AskOptions, value: T, render: (v: T) => string): void {
  console.log(options.json ? toJson(value) : render(value))
}

const PERIOD_HELP = 'a month (YYYY-MM) or a day (YYYY-MM-DD), inclusive'

/** A subcommand of `dashboard` with what every question shares: --as, --json and the database options. */
function question(dashboard: Command, name: string, description: string, examples: string[], more = ''): Command {
  const { admin } = defaultSeedCast()
  return withDbOptions(dashboard.command(name).description(description))
    .option('--as <email>', `the signed-in user whose dashboard it is (default ${admin}, the demo's admin)`, userOption, admin)
    .option('--json', "print the library's answer as JSON")
    .addHelpText('after', `${more}
Example${examples.length > 1 ? 's' : ''}:
${examples.map((e) => `  $ tenantry dashboard ${name} ${e}`.trimEnd()).join('\n')}

Exit codes: 0 answered (also when there is nothing to show), 1 unknown user, bad option or failure,
2 cannot connect.`)
}

function parseStatus(value: string): CustomerStatus {
  const status = CUSTOMER_STATUSES.find((s) => s === value)
  if (!status) throw new InvalidArgumentError(`expected ${CUSTOMER_STATUSES.join(', ')}`)
  return status
}

function parseDocument(value: string): JsonObject {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"plan": "pro"}\'')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object, e.g. \'{"plan": "pro"}\'')
  // JSON.parse of an object gives JSON values only: the type says what the text already is.
  return parsed as JsonObject
}

function dayOption(value: string): string {
  try {
    return parseDay(value, '--as-of')
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e))
  }
}

type PeriodOptions = AskOptions & { from?: string; to?: string }

function withPeriod(command: Command, defaultText: string): Command {
  return command
    .option('--from <when>', `the period's first month or day: ${PERIOD_HELP} (default: ${defaultText})`)
    .option('--to <when>', `the period's last month or day: ${PERIOD_HELP} (default: the last complete month)`)
}

export function register(program: Command): void {
  const { admin, member } = defaultSeedCast()
  const dashboard = withDbOptions(
    program
      .command('dashboard')
      .description("the dashboard's questions as a signed-in user sees them under RLS: revenue, customers, activities, AI usage"),
  )
    .addHelpText('after', `
Each question calls the dashboard library (lib/db/dashboard), which calls the SQL function of the same
name (supabase.rpc gets the same rows), as the user in a read-only transaction: a member sees their
organization, an admin too, and for AI usage a member counts their own calls (docs/dashboard.md).

Examples (the users exist after \`npm start\` or a default \`tenantry seed\`):
  $ tenantry dashboard summary --as ${admin}
  $ tenantry dashboard revenue --from 2025-01 --to 2025-06
  $ tenantry dashboard top-customers --limit 5 --json

Exit codes: 0 answered, 1 unknown user, bad option or failure, 2 cannot connect.`)

  /** A question over a period: the period from --from/--to (default: the last complete month), the answer rendered. */
  const overPeriod = <R>(name: string, description: string, examples: string[], answer: (trx: Transaction<Database>, period: Period) => Promise<R>,
    render: (rows: R, period: Period) => string): void => {
    withPeriod(question(dashboard, name, description, examples), 'the first day of --to\'s month')
      .action(async (_: unknown, command: Command) => {
        const options = command.optsWithGlobals<PeriodOptions>()
        const period = periodOf(options, 1)
        show(options, await ask(options, (trx) => answer(trx, period)), (r) => render(r, period))
      })
  }

  question(dashboard, 'summary', "the organization at a glance: customers by status, this and last month's revenue, users",
    [`--as ${member}`, '--as-of 2025-06-30 --json'])
    .option('--as-of <YYYY-MM-DD>', 'the day it is as of (default: today)', dayOption)
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<AskOptions & { asOf?: string }>()
      const asOf = options.asOf ?? new Date().toISOString().slice(0, 10)
      const summary = await ask(options, (trx) => organizationSummary(trx, { asOf }))
      show(options, summary, (s) => renderSummary(s, asOf))
    })

  withPeriod(question(dashboard, 'revenue', 'live revenue by calendar month, as a chart (dashboard_monthly_revenue)',
    ['', '--from 2025-01 --to 2025-12', '--json']), 'the 12 months ending with --to')
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<PeriodOptions>()
      const period = periodOf(options, 12)
      const rows = await ask(options, (trx) => monthlyRevenue(trx, period))
      show(options, rows, (r) => renderMonthlyRevenue(r, period))
    })

  question(dashboard, 'top-customers', 'the customers with the highest total revenue (dashboard_top_customers)', ['--limit 5'])
    .option('--limit <n>', 'how many, 1 to 500', integerOption(1, 500), 10)
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<AskOptions & { limit: number }>()
      show(options, await ask(options, (trx) => topCustomers(trx, { limit: options.limit })), renderTopCustomers)
    })

  question(dashboard, 'customers', 'a page of live customers, newest first, filtered (dashboard_customers_page)',
    ['--status churned --limit 20', '--name-prefix ac --json'],
    '\nThe next page: the same command with --cursor <the cursor printed under the page>.\n')
    .option('--limit <n>', 'customers per page, 1 to 500', integerOption(1, 500), 20)
    .option('--status <status>', `only this status (${CUSTOMER_STATUSES.join(', ')})`, parseStatus)
    .option('--industry <industry>', 'only this industry')
    .option('--name-prefix <text>', 'names starting with this (any case)')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<AskOptions & { limit: number; status?: CustomerStatus; industry?: string; namePrefix?: string; cursor?: string }>()
      const page = await ask(options, (trx) => customersPage(trx, {
        limit: options.limit,
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.industry === undefined ? {} : { industry: options.industry }),
        ...(options.namePrefix === undefined ? {} : { namePrefix: options.namePrefix }),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      }))
      show(options, page, (p) => `${renderCustomers(p.rows)}${p.nextCursor ? `\nmore: add --cursor ${p.nextCursor}` : ''}`)
    })

  overPeriod('activities', 'activities by type over a period (dashboard_activities_by_type)', ['', '--from 2025-06-01 --to 2025-06-30'],
    (trx, period) => activitiesByType(trx, { since: new Date(`${period.start}T00:00:00Z`), until: new Date(`${period.end}T00:00:00Z`) }),
    renderActivitiesByType)

  question(dashboard, 'search', 'the newest activities whose metadata contains a JSON document (search_activities)',
    [`--metadata '{"plan": "pro"}'`, `--metadata '{"source": "referral"}' --limit 5 --json`],
    '\nThis is how to filter activities.metadata under RLS: through search_activities(), never a\n' +
    'jsonb @> (supabase-js .contains()) on the table, which the policies make slow (docs/dashboard.md).\n')
    .requiredOption('--metadata <json>', 'the JSON object metadata must contain (jsonb @>)', parseDocument)
    .option('--limit <n>', 'activities per page, 1 to 500', integerOption(1, 500), 20)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<AskOptions & { metadata: JsonObject; limit: number; cursor?: string }>()
      const { page, names } = await ask(options, async (trx) => {
        const found = await searchActivities(trx, {
          document: options.metadata, limit: options.limit, ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        })
        const ids = [...new Set(found.rows.flatMap((a) => (a.customer_id === null ? [] : [a.customer_id])))]
        const customers = ids.length === 0 ? [] : await trx.selectFrom('customers').select(['id', 'name']).where('id', 'in', ids).execute()
        return { page: found, names: new Map(customers.map((c) => [c.id, c.name])) }
      })
      show(options, page, (p) => `${renderSearch(p, names)}${p.nextCursor ? `\nmore: add --cursor ${p.nextCursor}` : ''}`)
    })

  overPeriod('ai-by-day', 'AI usage per day: calls, tokens, cost (dashboard_ai_usage_by_day)', ['', '--from 2025-06-01 --to 2025-06-07'],
    aiUsageByDay, (r, period) => renderAiUsage(r, aiDay, period))
  overPeriod('ai-by-model', 'AI usage per model: calls, tokens, cost (dashboard_ai_usage_by_model)', ['', '--from 2025-01 --to 2025-06'],
    aiUsageByModel, (r, period) => renderAiUsage(r, aiModel, period))
  overPeriod('ai-by-user', 'AI usage per user: calls, tokens, cost (dashboard_ai_usage_by_user; a member sees their own)', ['', `--as ${member}`],
    async (trx, period) => {
      const rows = await aiUsageByUser(trx, period)
      // The users' addresses, as the caller may read them (profiles of their organization).
      const ids = rows.map((r) => r.user_id)
      const people = ids.length === 0 ? [] : await trx.selectFrom('profiles').select(['id', 'email']).where('id', 'in', ids).execute()
      const email = new Map(people.map((p) => [p.id, p.email]))
      return rows.map((r) => ({ ...r, email: email.get(r.user_id) ?? null }))
    },
    (r, period) => renderAiUsage(r, (u) => ({ user: u.email ?? u.user_id }), period))

  dashboard.action(() => {
    throw new UsageError(`name a question: ${dashboard.commands.map((c) => c.name()).join(', ')} (tenantry dashboard --help)`)
  })
}
