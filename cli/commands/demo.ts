// demo (`npm start`): the foundation at work on a fresh clone. Opens or creates the embedded database,
// migrates it, seeds demo tenants when it is empty, then shows what each kind of user can see, what an
// attempt on another tenant's rows returns, and the audit trail those changes leave.
import type { Command } from 'commander'
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import {
  acceptInvitation, type Actor, addMonths, asUser, becomeActor, type AuditLog, type Database, DbError, type DbHandle, inviteMember, monthlyRevenue,
  type MonthlyRevenueRow, parseMonth, type Period, type TableName, TABLES, topCustomers, type TopCustomerRow,
  translateError, withActor,
} from '../../lib/db/index.js'
import { databaseState, lastCompleteMonth, type SeedResult } from '../../lib/seed/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { errorText, InterruptedError } from '../output.js'
import { renderTable, type Row } from '../table.js'
import { describeChange } from '../audit-change.js'
import { formatDecimal } from '../chart.js'
import { renderMonthlyRevenue } from '../dashboard-view.js'
import { progressReporter, runMigrate, runSeed } from '../setup.js'

/**
 * The view table's column for every table (a new table does not compile until it has one): a header
 * short enough for a 100-column terminal, and its place — the tenant first, then its data.
 */
const COLUMNS: Record<TableName, { header: string; place: number }> = {
  organizations: { header: 'orgs', place: 1 },
  profiles: { header: 'profiles', place: 2 },
  customers: { header: 'customers', place: 3 },
  revenue: { header: 'revenue', place: 4 },
  activities: { header: 'activities', place: 5 },
  audit_logs: { header: 'audit', place: 6 },
  ai_usage_log: { header: 'ai usage', place: 7 },
  user_preferences: { header: 'prefs', place: 8 },
  invitations: { header: 'invites', place: 9 },
}
const VIEW_TABLES = [...TABLES].sort((a, b) => COLUMNS[a].place - COLUMNS[b].place)

export interface CastMember {
  label: string
  email: string | null
  actor: Actor
}

export interface ViewRow {
  who: string
  email: string | null
  counts: Record<TableName, number>
}

export interface Attempt {
  who: string
  attempt: string
  result: string
}

export interface DemoReport {
  location: string
  kind: DbHandle['kind']
  migrated: string[]
  seeded: SeedResult | null
  organizations: { a: string; b: string } | null
  views: ViewRow[]
  attempts: Attempt[]
  audit: Row[]
  /** One invitation made, tried by the wrong person and accepted, in a transaction rolled back. */
  invitation: InvitationDemo | null
  /** The dashboard of the biggest and the smallest organization, as their admins see it. */
  dashboards: DashboardDemo[]
  trySql: string | null
}

export interface DashboardDemo {
  organization: string
  customers: number
  admin: string
  period: Period
  revenue: MonthlyRevenueRow[]
  top: TopCustomerRow[]
}

export interface InvitationDemo {
  steps: { who: string; did: string; result: string }[]
}

/** Runs fn as the actor in a transaction that is always rolled back; returns its result or its error in words. */
async function attempt(db: Kysely<Database>, actor: Actor, fn: (trx: Transaction<Database>) => Promise<string>): Promise<string> {
  try {
    return await withActor(db, actor, fn, { attempts: 1, rollback: true })
  } catch (e) {
    if (e instanceof DbError) return `refused: ${e.code ?? 'error'} ${errorText(e)}`
    throw e
  }
}

async function visibleCounts(db: Kysely<Database>, actor: Actor): Promise<ViewRow['counts']> {
  const select = TABLES.map((t) => `(select count(*) from public.${t})::int as ${t}`).join(', ')
  return withActor(db, actor, async (trx) => {
    const r = await sql.raw<ViewRow['counts']>(`select ${select}`).execute(trx)
    const row = r.rows[0]
    if (!row) throw new Error('count query returned nothing')
    return row
  })
}

interface OrgPick {
  id: string
  slug: string
}

/** The two biggest organizations and the people to show them through. */
async function pickCast(db: Kysely<Database>): Promise<{ a: OrgPick; b: OrgPick; cast: CastMember[] } | null> {
  const orgs = await sql<OrgPick>`
    select o.id, o.slug from public.organizations o
     order by (select count(*) from public.customers c where c.organization_id = o.id) desc, o.slug
     limit 2`.execute(db)
  const [a, b] = orgs.rows
  if (!a || !b) return null
  const person = async (where: RawBuilder<boolean>): Promise<{ id: string; email: string } | undefined> => {
    const r = await sql<{ id: string; email: string }>`select p.id, p.email from public.profiles p where ${where} order by p.id limit 1`.execute(db)
    return r.rows[0]
  }
  const cast: CastMember[] = []
  const add = (label: string, p: { id: string; email: string } | undefined): void => {
    if (p) cast.push({ label, email: p.email, actor: { kind: 'user', userId: p.id } })
  }
  add(`admin of ${a.slug}`, await person(sql<boolean>`p.organization_id = ${a.id} and p.role = 'admin'`))
  add(`member of ${a.slug}`, await person(sql<boolean>`p.organization_id = ${a.id} and p.role = 'member'`))
  add(`admin of ${b.slug}`, await person(sql<boolean>`p.organization_id = ${b.id} and p.role = 'admin'`))
  add('outsider (no organization)', await person(sql<boolean>`p.organization_id is null`))
  cast.push({ label: 'anon (not signed in)', email: null, actor: { kind: 'anon' } })
  cast.push({ label: 'system (no RLS)', email: null, actor: { kind: 'system' } })
  return { a, b, cast }
}

/**
 * The changes every demo run keeps, each audited as the admin who made it: what --help promises and
 * test/demo-cli.test.ts counts in the trail.
 */
export const DEMO_KEPT_CHANGES = [
  "an admin toggles a customer's status",
  'soft-deletes their newest revenue row',
  'restores it',
] as const

export async function runDemo(
  handle: DbHandle,
  options: { signal?: AbortSignal; log?: (line: string) => void; progress?: boolean } = {},
): Promise<DemoReport> {
  const db = handle.db
  const log = options.log ?? (() => {})
  const { applied } = await runMigrate(db, log)

  let seeded: SeedResult | null = null
  if ((await databaseState(db)) === 'empty') {
    log('empty database: seeding demo tenants')
    const progress = progressReporter(options.progress ?? false)
    try {
      seeded = await runSeed(handle, {
        endMonth: lastCompleteMonth(),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      })
    } finally {
      progress.stop()
    }
  }
  if (options.signal?.aborted) throw new InterruptedError()

  const report: DemoReport = {
    location: handle.location, kind: handle.kind, migrated: applied, seeded,
    organizations: null, views: [], attempts: [], audit: [], invitation: null, dashboards: [], trySql: null,
  }
  const picked = await pickCast(db)
  if (!picked) return report
  const { a, b, cast } = picked
  report.organizations = { a: a.slug, b: b.slug }

  for (const member of cast) {
    report.views.push({ who: member.label, email: member.email, counts: await visibleCounts(db, member.actor) })
  }

  report.dashboards = await dashboardsOf(db, a)

  const adminA = cast.find((c) => c.label === `admin of ${a.slug}`)
  const memberA = cast.find((c) => c.label === `member of ${a.slug}`)
  const bCustomer = await sql<{ id: string; name: string }>`
    select id, name from public.customers where organization_id = ${b.id} and deleted_at is null order by name limit 1`.execute(db)
  const target = bCustomer.rows[0]
  const rows = (n: number | bigint | undefined, verb: string): string => `${verb} ${Number(n ?? 0)} rows`
  if (memberA) {
    report.attempts.push({
      who: memberA.label,
      attempt: `read ${b.slug}'s customers`,
      result: await attempt(db, memberA.actor, async (trx) => {
        const r = await trx.selectFrom('customers').select('id').where('organization_id', '=', b.id).execute()
        return `${r.length} rows (row level security hides them)`
      }),
    })
  }
  if (adminA && target) {
    report.attempts.push({
      who: adminA.label,
      attempt: `rename ${b.slug}'s customer "${target.name}"`,
      result: await attempt(db, adminA.actor, async (trx) => {
        const r = await trx.updateTable('customers').set({ name: 'Hijacked' }).where('id', '=', target.id).executeTakeFirst()
        return `${rows(r.numUpdatedRows, 'updated')} (it is not visible to them)`
      }),
    })
    report.attempts.push({
      who: adminA.label,
      attempt: `add a customer to ${b.slug}`,
      result: await attempt(db, adminA.actor, async (trx) => {
        await trx.insertInto('customers').values({ organization_id: b.id, name: 'Planted' }).execute()
        return 'inserted'
      }),
    })
    report.attempts.push({
      who: adminA.label,
      attempt: `book revenue in ${a.slug} against ${b.slug}'s customer`,
      result: await attempt(db, adminA.actor, async (trx) => {
        await trx.insertInto('revenue').values({ organization_id: a.id, customer_id: target.id, amount: '1.00', date: '2025-01-01' }).execute()
        return 'inserted'
      }),
    })
  }
  if (memberA) {
    report.attempts.push({
      who: memberA.label,
      attempt: `add a customer to their own ${a.slug}`,
      result: await attempt(db, memberA.actor, async (trx) => {
        await trx.insertInto('customers').values({ organization_id: a.id, name: 'Not mine to add' }).execute()
        return 'inserted'
      }),
    })
  }
  if (adminA) {
    report.attempts.push({
      who: adminA.label,
      attempt: 'erase their own audit trail',
      result: await attempt(db, adminA.actor, async (trx) => {
        const r = await trx.deleteFrom('audit_logs').executeTakeFirst()
        return rows(r.numDeletedRows, 'deleted')
      }),
    })
  }
  report.attempts.push({
    who: 'anon (not signed in)',
    attempt: 'read all customers',
    result: await attempt(db, { kind: 'anon' }, async (trx) => {
      const r = await trx.selectFrom('customers').select('id').execute()
      return `${r.length} rows`
    }),
  })

  const outsider = cast.find((c) => c.label === 'outsider (no organization)')
  if (adminA && adminA.actor.kind === 'user') {
    report.invitation = await invitationRoundTrip(db, { label: adminA.label, userId: adminA.actor.userId }, a.slug, outsider)
  }

  if (adminA) {
    // Real changes by the admin, kept: the trail records who made them. A status toggle, and a soft
    // delete undone (the row and the customer's revenue total come back as they were).
    await withActor(db, adminA.actor, async (trx) => {
      await sql`
        update public.customers set status = case when status = 'active' then 'inactive' else 'active' end
         where id = (select id from public.customers where deleted_at is null and status <> 'churned' order by id limit 1)`.execute(trx)
      const r = await trx.selectFrom('revenue').select('id').orderBy('date', 'desc').orderBy('id').limit(1).executeTakeFirst()
      if (r) {
        await sql`select public.soft_delete('revenue', ${r.id})`.execute(trx)
        await sql`select public.restore('revenue', ${r.id})`.execute(trx)
      }
    })
    report.audit = await withActor(db, adminA.actor, async (trx) => {
      const r = await sql<Pick<AuditLog, 'created_at' | 'action' | 'table_name' | 'old_data' | 'new_data'> & { email: string | null }>`
        select l.created_at, p.email, l.action, l.table_name, l.old_data, l.new_data
          from public.audit_logs l left join public.profiles p on p.id = l.user_id
         order by l.created_at desc, l.id desc limit 5`.execute(trx)
      return r.rows.map((row) => ({
        time: row.created_at.toISOString().replace('T', ' ').slice(0, 19),
        actor: row.email ?? 'system',
        action: row.action,
        table: row.table_name,
        change: describeChange(row),
      }))
    })
    report.trySql = `npx tenantry sql "select name, status, total_revenue from customers order by total_revenue desc limit 5" --as ${adminA.email ?? ''}`
  }
  return report
}

/** Months of revenue the demo's dashboard shows, ending with the last month that has revenue. */
const DASHBOARD_MONTHS = 6

/**
 * The dashboard of two tenants of different size, the biggest and the smallest, each through the
 * dashboard library as its admin: revenue by month over the last months of the data (not of the clock,
 * so that the same seed shows the same) and the top customers. Read before the demo's kept changes,
 * which touch neither revenue totals nor these months' sums (a soft delete undone).
 */
async function dashboardsOf(db: Kysely<Database>, biggest: OrgPick): Promise<DashboardDemo[]> {
  const last = await sql<{ month: string | null }>`select to_char(max(date), 'YYYY-MM') as month from public.revenue`.execute(db)
  const lastMonth = last.rows[0]?.month
  if (!lastMonth) return []
  const period: Period = { start: parseMonth(addMonths(lastMonth, 1 - DASHBOARD_MONTHS)).first, end: parseMonth(addMonths(lastMonth, 1)).first }
  const smallest = await sql<OrgPick>`
    select o.id, o.slug from public.organizations o
     order by (select count(*) from public.customers c where c.organization_id = o.id), o.slug limit 1`.execute(db)
  const orgs = [biggest, ...smallest.rows.filter((o) => o.id !== biggest.id)]
  const out: DashboardDemo[] = []
  for (const org of orgs) {
    const who = await sql<{ id: string; email: string; customers: number }>`
      select p.id, p.email, (select count(*)::int from public.customers c where c.organization_id = ${org.id} and c.deleted_at is null) as customers
        from public.profiles p where p.organization_id = ${org.id} and p.role = 'admin' order by p.id limit 1`.execute(db)
    const admin = who.rows[0]
    if (!admin) continue
    const answer = await asUser(db, admin.id, async (trx) => ({
      revenue: await monthlyRevenue(trx, period),
      top: await topCustomers(trx, { limit: 3 }),
    }), { readOnly: true })
    out.push({ organization: org.slug, customers: admin.customers, admin: admin.email, period, ...answer })
  }
  return out
}

/**
 * An admin invites a new address, an outsider with another address tries the token, the invitee
 * accepts: each step as that user under RLS (claims and role switched inside one transaction), all
 * rolled back, so that every run shows the same thing and keeps nothing.
 */
async function invitationRoundTrip(
  db: Kysely<Database>,
  admin: { label: string; userId: string },
  orgSlug: string,
  stranger: CastMember | undefined,
): Promise<InvitationDemo> {
  const invitee = `newcomer@${orgSlug}.example`
  return withActor(db, { kind: 'system' }, async (trx) => {
    const steps: InvitationDemo['steps'] = []
    const become = (userId: string | null): Promise<void> => becomeActor(trx, userId ? { kind: 'user', userId } : { kind: 'system' })
    /** Runs a step that may be refused, keeping the transaction usable. */
    const tryStep = async (fn: () => Promise<string>): Promise<string> => {
      await sql`savepoint demo_step`.execute(trx)
      try {
        const out = await fn()
        await sql`release savepoint demo_step`.execute(trx)
        return out
      } catch (e) {
        await sql`rollback to savepoint demo_step`.execute(trx)
        const err = translateError(e)
        if (err instanceof DbError) return `refused: ${err.code ?? 'error'} ${errorText(err)}`
        throw err
      }
    }
    // The invitee signs up and confirms the address, as GoTrue records it.
    const created = await sql<{ id: string }>`
      insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data, created_at, updated_at)
      values (gen_random_uuid(), ${invitee}, now(), '{"full_name": "New Comer"}'::jsonb, now(), now()) returning id`.execute(trx)
    const inviteeId = created.rows[0]?.id
    if (!inviteeId) throw new Error('demo: the invitee was not created')

    await become(admin.userId)
    const inv = await inviteMember(trx, { email: invitee, role: 'member', validFor: '7 days' })
    steps.push({
      who: admin.label, did: `invites ${invitee} as member`,
      result: `token ${inv.token.slice(0, 8)}… (${inv.token.length} characters, shown once; the table keeps its sha256)`,
    })
    if (stranger?.actor.kind === 'user') {
      const strangerId = stranger.actor.userId
      await become(strangerId)
      steps.push({
        who: `${stranger.label}, ${stranger.email ?? ''}`, did: 'presents the token',
        result: await tryStep(async () => `joined ${await acceptInvitation(trx, inv.token)}`),
      })
    }
    await become(inviteeId)
    steps.push({
      who: invitee, did: 'accepts it',
      result: await tryStep(async () => {
        await acceptInvitation(trx, inv.token)
        const me = await trx.selectFrom('profiles').select('role').where('id', '=', inviteeId).executeTakeFirstOrThrow()
        return `joined ${orgSlug} as ${me.role}`
      }),
    })
    steps.push({
      who: invitee, did: 'presents the token again',
      result: await tryStep(async () => `joined ${await acceptInvitation(trx, inv.token)}`),
    })
    await become(null)
    return { steps }
  }, { attempts: 1, rollback: true })
}

const n = (x: number): string => x.toLocaleString('en-US')

export function renderDemo(report: DemoReport): string[] {
  const out: string[] = []
  out.push(`database: ${report.kind} at ${report.location}` +
    (report.migrated.length > 0 ? ` (applied ${report.migrated.join(', ')})` : ' (migrations up to date)'))
  const s = report.seeded
  if (s) {
    const c = s.counts
    out.push(`seeded in ${s.seconds.toFixed(1)} s: ${n(c.organizations)} organizations, ${n(c.users)} users, ${n(c.customers)} customers, ` +
      `${n(c.revenue)} revenue rows, ${n(c.activities)} activities, ${n(c.aiUsage)} AI usage rows (seed ${s.config.seed}, 24 months to ${s.config.endMonth})`)
  } else {
    out.push('data: what the database already had (`tenantry reset --yes` starts over)')
  }
  if (!report.organizations) {
    out.push('', 'fewer than two organizations: nothing to compare (run `tenantry reset --yes && npm start`)')
    return out
  }
  out.push('', 'What each user sees under row level security (rows per table):')
  out.push(renderTable(report.views.map((v) => {
    const row: Row = { user: v.who }
    for (const t of VIEW_TABLES) row[COLUMNS[t].header] = v.counts[t]
    return row
  })))
  for (const v of report.views) if (v.email) out.push(`  ${v.who}: ${v.email}`)

  out.push('', `Crossing the lines (each attempt rolled back):`)
  for (const a of report.attempts) out.push(`  ${a.who}: ${a.attempt}`, `    -> ${a.result}`)

  if (report.invitation) {
    out.push('', 'An invitation, made and accepted (rolled back: nothing kept; see docs/team.md):')
    for (const step of report.invitation.steps) out.push(`  ${step.who}: ${step.did}`, `    -> ${step.result}`)
  }

  if (report.dashboards.length > 0) {
    out.push('', 'The dashboard of a big and a small tenant, as each admin sees it (`tenantry dashboard --help`):')
    for (const d of report.dashboards) {
      out.push('', `  ${d.organization} (${n(d.customers)} customers), as ${d.admin}: revenue by month`)
      out.push(...renderMonthlyRevenue(d.revenue, d.period).split('\n').map((l) => `  ${l}`))
      out.push(`  top customers: ${d.top.map((c) => `${c.name} ${formatDecimal(c.total_revenue)}`).join('; ')}`)
    }
  }

  if (report.audit.length > 0) {
    out.push('', `Latest audit entries of ${report.organizations.a}, as its admin reads them:`)
    out.push(renderTable(report.audit, { max: 60 }))
  }
  if (report.trySql) {
    const adminLabel = `admin of ${report.organizations.a}`
    out.push('', 'Try it yourself:', `  ${report.trySql}`, `  npx tenantry audit --org ${report.organizations.a} --limit 10`,
      `  npx tenantry members --as ${report.views.find((v) => v.who === adminLabel)?.email ?? '<admin email>'}`,
      `  npx tenantry dashboard revenue --as ${report.views.find((v) => v.who === adminLabel)?.email ?? '<admin email>'}`,
      '  npx tenantry --help')
  }
  return out
}

export function register(program: Command): void {
  withDbOptions(
    program
      .command('demo')
      .description('create, migrate and seed the database if needed, then show tenant isolation, roles and the audit trail at work'),
  )
    .addHelpText('after', `
This is what \`npm start\` runs. Safe to run again: an existing database is migrated and reused, not
re-seeded; each run makes ${DEMO_KEPT_CHANGES.length} audited changes (${DEMO_KEPT_CHANGES.join(', ')}).

Examples:
  $ npm start
  $ tenantry demo --data-dir /tmp/tenantry-demo

Exit codes: 0 shown, 1 failed, 2 cannot connect, 130 interrupted.`)
    .action(async (options: DbCommandOptions) => {
      const report = await withDatabase(options, async ({ handle, signal }) =>
        runDemo(handle, { signal, log: (line) => console.error(line), progress: true }), { cooperative: true })
      console.log(renderDemo(report).join('\n'))
    })
}
