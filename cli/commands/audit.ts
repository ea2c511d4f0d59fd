// audit: an organization's audit trail, newest first, filterable by table, actor, action and time.
// Read as the system (an operator's view); an organization's admins see the same rows through RLS.
// audit prune: retention by the month (migration 012): drops whole monthly partitions, optionally
// exporting each first; audit partitions: the months there are and their rows.
import type { Command } from 'commander'
import { type Kysely, sql } from 'kysely'
import {
  asSystem, AUDIT_ACTIONS, parseMonth, auditMonthsBefore, listAuditPartitions, pruneAuditMonths, pruneRefusal, AUDIT_TRAIL_MAX_LIMIT, type AuditAction, type AuditLog, type Database, readAuditTrail, AUDITED_TABLES, type AuditedTable,
} from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { renderTable, toJson } from '../table.js'
import { describeChange } from '../audit-change.js'
import { confirm, defaultSeedCast, findUserId, integerOption, parseDuration } from '../helpers.js'

export interface AuditOptions {
  org: string
  table?: string
  /** An email, or "system" for the rows no user made. */
  actor?: string
  action?: string
  since?: string
  until?: string
  limit?: number
}

export interface AuditEntry extends AuditLog {
  /** The actor's email; "system" when no user made the change. */
  actor: string
  /** What changed, in words: "status: active → churned". */
  change: string
}

/** The tables an audit row can be about: those with an audit trigger. */
function isTable(name: string): name is AuditedTable {
  return AUDITED_TABLES.some((t) => t === name)
}

function isAction(name: string): name is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(name)
}

/** An ISO 8601 date or time, or a duration back from now: 30m, 12h, 7d, 2w. */
export function parseWhen(text: string, option: string, now = new Date()): string {
  const back = parseDuration(text)
  if (back) return new Date(now.getTime() - back.seconds * 1000).toISOString()
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`${option} takes a date or time (2025-06-01, 2025-06-01T12:00:00Z) or a duration back from now (30m, 12h, 7d, 2w), not "${text}"`)
  }
  return new Date(text).toISOString()
}

interface AuditFilters {
  table: AuditedTable | undefined
  action: AuditAction | undefined
  since: string | undefined
  until: string | undefined
}

/** The filters that need no database, checked (and normalized) before it is opened. */
export function auditFilters(options: AuditOptions): AuditFilters {
  const table = options.table
  if (table !== undefined && !isTable(table)) throw new UsageError(`--table must be one of ${AUDITED_TABLES.join(', ')}, not "${table}"`)
  const action = options.action?.toUpperCase()
  if (action !== undefined && !isAction(action)) throw new UsageError(`--action must be one of ${AUDIT_ACTIONS.join(', ')}, not "${options.action}"`)
  return {
    table, action,
    since: options.since === undefined ? undefined : parseWhen(options.since, '--since'),
    until: options.until === undefined ? undefined : parseWhen(options.until, '--until'),
  }
}

/** The trail of one organization, by slug, with actor emails and a summary per row. */
export async function readOrganizationAudit(db: Kysely<Database>, options: AuditOptions): Promise<AuditEntry[]> {
  const { table, action, since, until } = auditFilters(options)

  return asSystem(db, async (trx) => {
    const org = await trx.selectFrom('organizations').select('id').where('slug', '=', options.org).executeTakeFirst()
    if (!org) throw new UsageError(`no organization with slug "${options.org}" (list them: tenantry sql "select slug, name from organizations")`)
    let actorId: string | null | undefined
    if (options.actor === 'system') actorId = null
    else if (options.actor !== undefined) {
      actorId = await findUserId(trx, options.actor)
      if (!actorId) throw new UsageError(`no user with email "${options.actor}" (--actor takes an email or "system")`)
    }
    const page = await readAuditTrail(trx, {
      organizationId: org.id,
      ...(table === undefined ? {} : { table }),
      ...(actorId === undefined ? {} : { actorId }),
      ...(action === undefined ? {} : { action }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      limit: options.limit ?? 20,
    })
    const ids = [...new Set(page.rows.map((r) => r.user_id).filter((id): id is string => id !== null))]
    const emails = new Map<string, string>()
    if (ids.length > 0) {
      const found = await sql<{ id: string; email: string | null }>`select id, email from auth.users where id = any(${ids}::uuid[])`.execute(trx)
      for (const u of found.rows) emails.set(u.id, u.email ?? u.id)
    }
    return page.rows.map((r) => ({
      ...r,
      actor: r.user_id === null ? 'system' : (emails.get(r.user_id) ?? r.user_id),
      change: describeChange(r),
    }))
  })
}

export function renderAudit(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return '(no audit entries)'
  return renderTable(
    entries.map((e) => ({
      time: e.created_at.toISOString().replace('T', ' ').slice(0, 19),
      actor: e.actor,
      action: e.action,
      table: e.table_name,
      record: e.record_id,
      change: e.change,
    })),
    { max: 48 },
  )
}

export interface PruneOptions {
  before: string
  yes?: boolean
  exportDir?: string
  json?: boolean
}

/** --before as YYYY-MM, refused (before the database is opened) for the current and the previous month. */
export function checkPruneBefore(before: string, now = new Date()): string {
  parseMonth(before, '--before')
  const refusal = pruneRefusal(before, now)
  if (refusal) throw new UsageError(refusal)
  return before
}

function registerPrune(audit: Command): void {
  withDbOptions(
    audit
      .command('prune')
      .description('drop whole months of the audit trail before a month (owner or service role; asks first)'),
  )
    .requiredOption('--before <YYYY-MM>', 'drop every month before this one; the current and the previous month are always kept')
    .option('--export-dir <dir>', 'first write each month to <dir>/audit_logs_YYYY-MM.jsonl.gz (one JSON row a line)')
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--json', 'print the months dropped as JSON')
    .addHelpText('after', `
Each month is a partition: it is detached and dropped whole, no row is deleted one by one. The trail
keeps a row per organization that lost rows (action DELETE, table audit_logs) saying which months went,
how many rows and by whom. Rows found in the default partition are moved to their month first.

Examples:
  $ tenantry audit prune --before 2025-01
  $ tenantry audit prune --before 2025-01 --export-dir /backups/audit --yes

Exit codes: 0 pruned (also when no month was old enough), 1 refused, declined or failed (nothing
dropped), 2 cannot connect.`)
    // The database options (--data-dir) are `audit`'s too, and commander gives them to the parent:
    // read them merged.
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<DbCommandOptions & PruneOptions>()
      const before = checkPruneBefore(options.before)
      if (!options.yes && !process.stdin.isTTY) {
        throw new UsageError('refusing to prune without --yes: stdin is not a terminal, so nobody can confirm')
      }
      await withDatabase(options, async ({ handle }) => {
        const planned = await asSystem(handle.db, (trx) => auditMonthsBefore(trx, before))
        if (!options.yes && planned.length > 0) {
          const rows = planned.reduce((sum, m) => sum + m.rows, 0)
          const ok = await confirm(
            `Drop ${planned.length} month(s) of the audit trail (${planned.map((m) => m.month).join(', ')}; ${rows.toLocaleString('en-US')} rows) ` +
              `from the ${handle.kind} database at ${handle.location}${options.exportDir ? `, after exporting them to ${options.exportDir}` : ''}? [y/N] `,
            'prune',
          )
          if (!ok) throw new UsageError('prune cancelled: nothing was dropped')
        }
        const result = await pruneAuditMonths(handle.db, {
          before, ...(options.exportDir === undefined ? {} : { exportDir: options.exportDir }),
        })
        if (options.json) {
          console.log(toJson(result))
          return
        }
        if (result.months.length === 0) {
          console.log(`no month before ${before}: nothing to prune`)
          return
        }
        console.log(renderTable(result.months.map((m) => ({
          month: m.month, rows: m.rows.toLocaleString('en-US'), exported: m.file ?? '',
        }))))
        console.log(`pruned ${result.months.length} month(s), ${result.rows.toLocaleString('en-US')} rows`)
      })
    })
}

function registerPartitions(audit: Command): void {
  withDbOptions(
    audit
      .command('partitions')
      .description("list the audit trail's monthly partitions and their rows"),
  )
    .option('--json', 'print them as JSON')
    .addHelpText('after', `
Rows in the default partition fell outside every month that exists; \`tenantry migrate\` (or
\`select * from private.audit_logs_maintain()\`) moves them to their month.

Example:
  $ tenantry audit partitions`)
    .action(async (_: unknown, command: Command) => {
      const options = command.optsWithGlobals<DbCommandOptions & { json?: boolean }>()
      const parts = await withDatabase(options, ({ handle }) => asSystem(handle.db, (trx) => listAuditPartitions(trx)))
      console.log(options.json ? toJson(parts) : renderTable(parts.map((p) => ({
        partition: p.partition, month: p.month ?? 'default', rows: p.rows.toLocaleString('en-US'),
      }))))
    })
}

export function register(program: Command): void {
  const { org, admin } = defaultSeedCast()
  const audit = withDbOptions(
    program
      .command('audit')
      .description("show an organization's audit trail, newest first (prune: drop old months; partitions: list them)"),
  )
    // Checked in the action, not by commander: a required option of `audit` would be demanded of
    // `audit prune` and `audit partitions` too.
    .option('--org <slug>', 'the organization, by slug (required)')
    .option('--table <name>', `only rows about this table (${AUDITED_TABLES.join(', ')})`)
    .option('--actor <email>', 'only changes made by this user, or "system" for those made by no user')
    .option('--action <action>', `only this action (${AUDIT_ACTIONS.join(', ')})`)
    .option('--since <when>', 'from this time on: 2025-06-01, 2025-06-01T12:00:00Z, or 30m / 12h / 7d / 2w ago')
    .option('--until <when>', 'before this time (same forms as --since)')
    .option('--limit <n>', `rows to show, 1 to ${AUDIT_TRAIL_MAX_LIMIT}`, integerOption(1, AUDIT_TRAIL_MAX_LIMIT), 20)
    .option('--json', 'print the rows, with old and new data, as JSON')
    .addHelpText('after', `
Examples (the organization and user exist after \`npm start\` or a default \`tenantry seed\`):
  $ tenantry audit --org ${org}
  $ tenantry audit --org ${org} --table customers --action UPDATE --since 7d --limit 50
  $ tenantry audit --org ${org} --actor ${admin}
  $ tenantry audit --org ${org} --actor system --json

Exit codes: 0 shown (also when nothing matches), 1 unknown organization or user, bad filter or failure,
2 cannot connect.`)
    .action(async (options: DbCommandOptions & Partial<AuditOptions> & { json?: boolean }) => {
      const org = options.org
      if (org === undefined) throw new UsageError("required option '--org <slug>' not specified")
      const checked: AuditOptions = { ...options, org }
      auditFilters(checked) // a bad filter is reported before the database is opened
      const entries = await withDatabase(options, ({ handle }) => readOrganizationAudit(handle.db, checked))
      console.log(options.json ? toJson(entries) : renderAudit(entries))
    })
  registerPrune(audit)
  registerPartitions(audit)
}
