// audit: an organization's audit trail, newest first, filterable by table, actor, action and time.
// Read as the system (an operator's view); an organization's admins see the same rows through RLS.
import type { Command } from 'commander'
import { type Kysely, sql } from 'kysely'
import {
  asSystem, AUDIT_ACTIONS, AUDIT_TRAIL_MAX_LIMIT, type AuditAction, type AuditLog, type Database, readAuditTrail, TABLE_NAMES, type TableName,
} from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { renderTable, toJson } from '../table.js'
import { defaultSeedCast, integerOption } from './seed.js'

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

const TABLES: readonly string[] = Object.values(TABLE_NAMES)

function isTable(name: string): name is TableName {
  return TABLES.includes(name)
}

function isAction(name: string): name is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(name)
}

/** An ISO 8601 date or time, or a duration back from now: 30m, 12h, 7d, 2w. */
export function parseWhen(text: string, option: string, now = new Date()): string {
  const rel = /^(\d+)\s*(m|h|d|w)$/i.exec(text.trim())
  if (rel) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(rel[2] ?? 'd').toLowerCase() as 'm' | 'h' | 'd' | 'w']
    return new Date(now.getTime() - Number(rel[1]) * unit).toISOString()
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`${option} takes a date or time (2025-06-01, 2025-06-01T12:00:00Z) or a duration back from now (30m, 12h, 7d, 2w), not "${text}"`)
  }
  return new Date(text).toISOString()
}

type Json = AuditLog['new_data']

function label(data: Json): string {
  if (!data) return ''
  const pick = (k: string): string | undefined => {
    const v = data[k]
    return v === null || v === undefined ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  const amount = pick('amount')
  return pick('name') ?? pick('slug') ?? pick('email') ?? (amount ? `${amount} ${pick('category') ?? ''}`.trim() : undefined) ?? pick('type') ?? ''
}

/** What a row of the trail changed, in a few words. */
export function describeChange(row: Pick<AuditLog, 'action' | 'old_data' | 'new_data'>): string {
  if (row.action === 'UPDATE' && row.old_data && row.new_data) {
    const oldData = row.old_data
    const newData = row.new_data
    const keys = Object.keys(newData).filter((k) => k !== 'updated_at' && JSON.stringify(oldData[k]) !== JSON.stringify(newData[k]))
    const show = (v: unknown): string => (v === null || v === undefined ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v))
    const parts = keys.slice(0, 3).map((k) => `${k}: ${show(oldData[k])} → ${show(newData[k])}`)
    if (keys.length > 3) parts.push(`+${keys.length - 3} more`)
    return `${label(newData)}${parts.length ? ` (${parts.join(', ')})` : ''}`
  }
  return label(row.new_data ?? row.old_data)
}

interface AuditFilters {
  table: TableName | undefined
  action: AuditAction | undefined
  since: string | undefined
  until: string | undefined
}

/** The filters that need no database, checked (and normalized) before it is opened. */
export function auditFilters(options: AuditOptions): AuditFilters {
  const table = options.table
  if (table !== undefined && !isTable(table)) throw new UsageError(`--table must be one of ${TABLES.join(', ')}, not "${table}"`)
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
      const u = await sql<{ id: string }>`select id from auth.users where lower(email) = lower(${options.actor}) limit 1`.execute(trx)
      actorId = u.rows[0]?.id
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

export function register(program: Command): void {
  const { org, admin } = defaultSeedCast()
  withDbOptions(
    program
      .command('audit')
      .description("show an organization's audit trail, newest first"),
  )
    .requiredOption('--org <slug>', 'the organization, by slug')
    .option('--table <name>', `only rows about this table (${TABLES.join(', ')})`)
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
    .action(async (options: DbCommandOptions & AuditOptions & { json?: boolean }) => {
      auditFilters(options) // a bad filter is reported before the database is opened
      const entries = await withDatabase(options, ({ handle }) => readOrganizationAudit(handle.db, options))
      console.log(options.json ? toJson(entries) : renderAudit(entries))
    })
}
