// The rollup tests' cast, their random writes and their check. The check asks each dashboard question
// over the rollups (migration 013) and the same question over the raw rows under the caller's own
// policies (the query migration 009 ran), in ONE statement as that caller: one snapshot, so the two
// must agree to the character (numeric scales, order, counts) even while writers and folds run.
import { randomUUID } from 'node:crypto'
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import { asSystem, asUser, type Database } from '../../lib/db/index.js'
import { Rng } from '../../lib/seed/random.js'
import { createAuthUser } from './fixtures.js'

export interface RollupOrg {
  id: string
  adminId: string
  memberIds: string[]
}

export interface RollupCast {
  orgs: RollupOrg[]
  outsiderId: string
}

/** Organizations with an admin and two members each, and an outsider. */
export async function rollupCast(db: Kysely<Database>, tag: string, organizations = 3): Promise<RollupCast> {
  const orgs: RollupOrg[] = []
  for (let i = 0; i < organizations; i++) {
    const adminId = await createAuthUser(db, `admin${i}-${tag}@rollups.test`)
    const memberIds = [await createAuthUser(db, `m${i}a-${tag}@rollups.test`), await createAuthUser(db, `m${i}b-${tag}@rollups.test`)]
    const id = await asUser(db, adminId, async (trx) =>
      (await sql<{ id: string }>`select public.create_organization(${`Rollups ${tag} ${i}`}, ${`rollups-${tag}-${i}`}) as id`.execute(trx)).rows[0]?.id)
    if (!id) throw new Error('create_organization returned nothing')
    await asSystem(db, (trx) => sql`update public.profiles set organization_id = ${id} where id = any(${memberIds}::uuid[])`.execute(trx))
    orgs.push({ id, adminId, memberIds })
  }
  return { orgs, outsiderId: await createAuthUser(db, `outsider-${tag}@rollups.test`) }
}

// ---------------------------------------------------------------------------------------------
// Random writes: one statement per operation
// ---------------------------------------------------------------------------------------------

/** First day of the data; rows fall within about four months after it (and a few days before). */
export const DAY0 = Date.UTC(2025, 0, 1)
const DAY = 86_400_000
const MODELS = ['gpt-x', 'claude-y', 'mistral-z', 'llama-w'] as const
const TYPES = ['signup', 'purchase', 'churn', 'login', 'export'] as const

export const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** The ids written so far, per table (hard-deleted ones dropped). */
export interface Written {
  revenue: { id: string; org: string }[]
  activities: { id: string; org: string }[]
  usage: { id: string; org: string }[]
}

export function emptyWritten(): Written {
  return { revenue: [], activities: [], usage: [] }
}

export type OperationKind =
  | 'revenue insert' | 'revenue bulk insert' | 'revenue amount' | 'revenue date' | 'revenue description' | 'revenue soft delete'
  | 'revenue restore' | 'revenue delete'
  | 'activity insert' | 'activity bulk insert' | 'activity type' | 'activity created_at' | 'activity soft delete' | 'activity restore'
  | 'activity delete'
  | 'usage insert' | 'usage bulk insert' | 'usage tokens' | 'usage cost' | 'usage model' | 'usage user' | 'usage date' | 'usage organization'
  | 'usage delete'

export const SYSTEM_OPERATIONS: readonly OperationKind[] = [
  'revenue insert', 'revenue bulk insert', 'revenue amount', 'revenue date', 'revenue description', 'revenue soft delete', 'revenue restore',
  'revenue delete', 'activity insert', 'activity bulk insert', 'activity type', 'activity created_at', 'activity soft delete',
  'activity restore', 'activity delete', 'usage insert', 'usage bulk insert', 'usage tokens', 'usage cost', 'usage model', 'usage user',
  'usage date', 'usage organization', 'usage delete',
]

/** What an organization's admin may do through the API (RLS, the soft-delete triggers, public.restore). */
export const ADMIN_OPERATIONS: readonly OperationKind[] = [
  'revenue insert', 'revenue bulk insert', 'revenue amount', 'revenue date', 'revenue soft delete', 'revenue restore', 'revenue delete',
  'activity insert', 'activity type', 'activity created_at', 'activity soft delete', 'activity restore', 'activity delete',
]

function amount(rng: Rng): string {
  // Mostly positive, sometimes zero or negative (a refund): sums may reach 0.00 with rows behind them.
  const cents = rng.chance(0.1) ? -rng.int(0, 5000) : rng.int(0, 100_000)
  return (cents / 100).toFixed(2)
}

/** A day of the data range, some before DAY0 (backdated rows land anywhere). */
function randomDay(rng: Rng): string {
  return dayText(DAY0 + rng.int(-5, 120) * DAY)
}

/** An instant of the data range; a fifth exactly at a UTC midnight, some a microsecond either side. */
function randomInstant(rng: Rng): string {
  const day = DAY0 + rng.int(-5, 120) * DAY
  const r = rng.float()
  if (r < 0.2) return new Date(day).toISOString()
  if (r < 0.25) return `${new Date(day - 1000).toISOString().slice(0, 19)}.999999Z`
  if (r < 0.3) return `${new Date(day).toISOString().slice(0, 19)}.000001Z`
  return new Date(day + rng.int(0, DAY - 1)).toISOString()
}

function pick<T>(rng: Rng, items: T[]): T | undefined {
  return items.length === 0 ? undefined : items[rng.int(0, items.length - 1)]
}

function drop<T>(items: T[], item: T): void {
  const i = items.indexOf(item)
  if (i >= 0) items.splice(i, 1)
}

/**
 * Runs one operation in trx: as the system on any organization, or as an organization's admin on
 * theirs (org). Returns the rows it wrote (an admin's update of a deleted row writes none).
 */
export async function runOperation(
  trx: Transaction<Database>, rng: Rng, kind: OperationKind, cast: RollupCast, org: RollupOrg, written: Written,
): Promise<void> {
  const users = [org.adminId, ...org.memberIds]
  const mine = <T extends { org: string }>(rows: T[]): T[] => rows.filter((r) => r.org === org.id)
  const exec = async (q: RawBuilder<{ id: string }>): Promise<string[]> => (await q.execute(trx)).rows.map((r) => r.id)
  switch (kind) {
    case 'revenue insert':
    case 'revenue bulk insert': {
      const n = kind === 'revenue insert' ? 1 : rng.int(2, 6)
      const amounts = Array.from({ length: n }, () => amount(rng))
      const days = Array.from({ length: n }, () => randomDay(rng))
      const ids = await exec(sql<{ id: string }>`insert into public.revenue (organization_id, amount, date, description)
        select ${org.id}, a, d, 'rollup test' from unnest(${amounts}::numeric[], ${days}::date[]) as x(a, d) returning id`)
      written.revenue.push(...ids.map((id) => ({ id, org: org.id })))
      return
    }
    case 'revenue amount':
    case 'revenue date':
    case 'revenue description': {
      const row = pick(rng, mine(written.revenue))
      if (!row) return
      if (kind === 'revenue amount') await sql`update public.revenue set amount = ${amount(rng)}::numeric where id = ${row.id}`.execute(trx)
      else if (kind === 'revenue date') await sql`update public.revenue set date = ${randomDay(rng)}::date where id = ${row.id}`.execute(trx)
      else await sql`update public.revenue set description = ${randomUUID()} where id = ${row.id}`.execute(trx)
      return
    }
    case 'revenue soft delete':
    case 'activity soft delete': {
      const table = kind === 'revenue soft delete' ? 'revenue' : 'activities'
      const row = pick(rng, mine(table === 'revenue' ? written.revenue : written.activities))
      if (!row) return
      await sql`update ${sql.table(`public.${table}`)} set deleted_at = now() where id = ${row.id} and deleted_at is null`.execute(trx)
      return
    }
    case 'revenue restore':
    case 'activity restore': {
      const table = kind === 'revenue restore' ? 'revenue' : 'activities'
      const row = pick(rng, mine(table === 'revenue' ? written.revenue : written.activities))
      if (!row) return
      // public.restore is the admin's way (deleted rows are invisible to them); the system's is the same function's update.
      await sql`select public.restore(${table}, ${row.id})`.execute(trx)
      await sql`update ${sql.table(`public.${table}`)} set deleted_at = null where id = ${row.id} and deleted_at is not null`.execute(trx)
      return
    }
    case 'revenue delete':
    case 'activity delete':
    case 'usage delete': {
      const list = kind === 'revenue delete' ? written.revenue : kind === 'activity delete' ? written.activities : written.usage
      const table = kind === 'revenue delete' ? 'revenue' : kind === 'activity delete' ? 'activities' : 'ai_usage_log'
      const row = pick(rng, mine(list))
      if (!row) return
      // The system deletes for real; an admin's DELETE becomes a soft delete (trigger).
      await sql`delete from ${sql.table(`public.${table}`)} where id = ${row.id}`.execute(trx)
      const gone = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`public.${table}`)} where id = ${row.id}`.execute(trx)
      if (gone.rows[0]?.n === 0) drop(list, row)
      return
    }
    case 'activity insert':
    case 'activity bulk insert': {
      const n = kind === 'activity insert' ? 1 : rng.int(2, 6)
      const types = Array.from({ length: n }, () => rng.pick(TYPES))
      const at = Array.from({ length: n }, () => randomInstant(rng))
      const ids = await exec(sql<{ id: string }>`insert into public.activities (organization_id, type, created_at)
        select ${org.id}, t, c from unnest(${types}::text[], ${at}::timestamptz[]) as x(t, c) returning id`)
      written.activities.push(...ids.map((id) => ({ id, org: org.id })))
      return
    }
    case 'activity type':
    case 'activity created_at': {
      const row = pick(rng, mine(written.activities))
      if (!row) return
      if (kind === 'activity type') await sql`update public.activities set type = ${rng.pick(TYPES)} where id = ${row.id}`.execute(trx)
      else await sql`update public.activities set created_at = ${randomInstant(rng)}::timestamptz where id = ${row.id}`.execute(trx)
      return
    }
    case 'usage insert':
    case 'usage bulk insert': {
      const n = kind === 'usage insert' ? 1 : rng.int(2, 6)
      const who = Array.from({ length: n }, () => rng.pick(users))
      const models = Array.from({ length: n }, () => rng.pick(MODELS))
      const days = Array.from({ length: n }, () => randomDay(rng))
      const input = Array.from({ length: n }, () => rng.int(0, 50_000))
      const output = Array.from({ length: n }, () => rng.int(0, 20_000))
      const cost = Array.from({ length: n }, () => (rng.int(0, 2_000_000) / 10_000).toFixed(4))
      const ids = await exec(sql<{ id: string }>`insert into public.ai_usage_log
          (organization_id, user_id, query_id, model, date, input_tokens, output_tokens, cost_usd)
        select ${org.id}, u, gen_random_uuid(), m, d, i, o, c
          from unnest(${who}::uuid[], ${models}::text[], ${days}::date[], ${input}::int[], ${output}::int[], ${cost}::numeric[]) as x(u, m, d, i, o, c)
        returning id`)
      written.usage.push(...ids.map((id) => ({ id, org: org.id })))
      return
    }
    case 'usage tokens':
    case 'usage cost':
    case 'usage model':
    case 'usage user':
    case 'usage date': {
      const row = pick(rng, mine(written.usage))
      if (!row) return
      const set = {
        'usage tokens': sql`input_tokens = ${rng.int(0, 50_000)}, output_tokens = ${rng.int(0, 20_000)}`,
        'usage cost': sql`cost_usd = ${(rng.int(0, 2_000_000) / 10_000).toFixed(4)}::numeric`,
        'usage model': sql`model = ${rng.pick(MODELS)}`,
        'usage user': sql`user_id = ${rng.pick(users)}::uuid`,
        'usage date': sql`date = ${randomDay(rng)}::date`,
      }[kind]
      await sql`update public.ai_usage_log set ${set} where id = ${row.id}`.execute(trx)
      return
    }
    case 'usage organization': {
      // ai_usage_log has no key guard: a row may move to another organization (and one of its users).
      const row = pick(rng, mine(written.usage))
      const to = rng.pick(cast.orgs)
      if (!row) return
      await sql`update public.ai_usage_log set organization_id = ${to.id}, user_id = ${rng.pick([to.adminId, ...to.memberIds])} where id = ${row.id}`.execute(trx)
      row.org = to.id
      return
    }
  }
}

/**
 * Runs `operations` random operations in transactions of about `batch`, as the system (most) or an
 * organization's admin (a quarter of the transactions). Returns the operations run, per kind.
 */
export async function randomWrites(
  db: Kysely<Database>, rng: Rng, cast: RollupCast, written: Written, operations: number, batch = 25,
): Promise<Map<OperationKind, number>> {
  const counts = new Map<OperationKind, number>()
  for (let done = 0; done < operations;) {
    const n = Math.min(batch, operations - done)
    const org = rng.pick(cast.orgs)
    const asAdmin = rng.chance(0.25)
    const kinds = Array.from({ length: n }, () => rng.pick(asAdmin ? ADMIN_OPERATIONS : SYSTEM_OPERATIONS))
    const run = async (trx: Transaction<Database>): Promise<void> => {
      for (const kind of kinds) await runOperation(trx, rng, kind, cast, asAdmin ? org : rng.pick(cast.orgs), written)
    }
    // No retries: a retry would draw other random numbers (and the writes here never conflict).
    if (asAdmin) await asUser(db, org.adminId, run, { attempts: 1 })
    else await asSystem(db, run, { attempts: 1 })
    for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1)
    done += n
  }
  return counts
}

// ---------------------------------------------------------------------------------------------
// The check: each question over the rollups and over the raw rows (009's query), in one statement
// ---------------------------------------------------------------------------------------------

interface Question {
  name: string
  /** The function call (public wrapper: what supabase.rpc runs) and 009's query of the raw rows under RLS. */
  app: RawBuilder<unknown>
  hand: RawBuilder<unknown>
}

function questions(rng: Rng): Question[] {
  const window = (maxDays: number): [string, string] => {
    const start = DAY0 + rng.int(-10, 115) * DAY
    return [dayText(start), dayText(start + rng.int(1, maxDays) * DAY)]
  }
  const instants = (): [string, string] => {
    const since = randomInstant(rng)
    const ms = Date.parse(since)
    // A few minutes to 40 days; within one day a fifth of the time.
    const length = rng.chance(0.2) ? rng.int(1, DAY) : rng.int(DAY, 40 * DAY)
    const until = rng.chance(0.2) ? new Date(Math.ceil((ms + length) / DAY) * DAY).toISOString() : new Date(ms + length).toISOString()
    return [since, until]
  }
  const qs: Question[] = []
  for (let i = 0; i < 2; i++) {
    const [s, e] = window(i === 0 ? 140 : 35)
    qs.push({
      name: `monthly_revenue ${s}..${e}`,
      app: sql`select * from public.dashboard_monthly_revenue(${s}::date, ${e}::date)`,
      hand: sql`select date_trunc('month', r.date::timestamp)::date as month, sum(r.amount) as total, count(*) as invoices
        from public.revenue r where r.date >= ${s}::date and r.date < ${e}::date group by 1 order by 1`,
    })
  }
  for (let i = 0; i < 3; i++) {
    const [since, until] = instants()
    qs.push({
      name: `activities_by_type ${since}..${until}`,
      app: sql`select * from public.dashboard_activities_by_type(${since}::timestamptz, ${until}::timestamptz)`,
      hand: sql`select a.type, count(*) as activities from public.activities a
        where a.created_at >= ${since}::timestamptz and a.created_at < ${until}::timestamptz group by a.type order by 2 desc, 1`,
    })
  }
  const [s, e] = window(60)
  const usage = (by: string, order: string): Question => ({
    name: `ai_usage_by_${by} ${s}..${e}`,
    app: sql`select * from ${sql.id('public', `dashboard_ai_usage_by_${by}`)}(${s}::date, ${e}::date)`,
    hand: sql`select ${sql.raw(by === 'day' ? 'u.date as day' : `u.${by === 'model' ? 'model' : 'user_id'}`)}, count(*) as calls,
        sum(u.input_tokens)::bigint as input_tokens, sum(u.output_tokens)::bigint as output_tokens, sum(u.cost_usd) as cost_usd
      from public.ai_usage_log u where u.date >= ${s}::date and u.date < ${e}::date group by 1 order by ${sql.raw(order)}`,
  })
  qs.push(usage('day', '1'), usage('model', '5 desc, 1'), usage('user', '5 desc, 1'))
  const asOf = dayText(DAY0 + rng.int(0, 120) * DAY)
  qs.push({
    name: `organization_summary ${asOf}`,
    app: sql`select * from public.dashboard_organization_summary(${asOf}::date)`,
    // Under RLS a caller sees their own organization only; the month of as_of and the one before.
    hand: sql`select o.id as organization_id,
          (select count(*) from public.customers c where c.status = 'active') as active_customers,
          (select count(*) from public.customers c where c.status = 'inactive') as inactive_customers,
          (select count(*) from public.customers c where c.status = 'churned') as churned_customers,
          (select coalesce(sum(r.amount), 0) from public.revenue r
            where r.date >= date_trunc('month', ${asOf}::date::timestamp)::date
              and r.date < (date_trunc('month', ${asOf}::date::timestamp) + interval '1 month')::date) as revenue_this_month,
          (select coalesce(sum(r.amount), 0) from public.revenue r
            where r.date >= (date_trunc('month', ${asOf}::date::timestamp) - interval '1 month')::date
              and r.date < date_trunc('month', ${asOf}::date::timestamp)::date) as revenue_last_month,
          (select count(*) from public.profiles p where p.organization_id = o.id) as active_users
        from public.organizations o`,
  })
  return qs
}

export interface Mismatch {
  caller: string
  question: string
  app: string
  hand: string
}

/**
 * Every question with fresh random windows, for every caller (each organization's admin and members,
 * the outsider): the function's rows against 009's query under the caller's policies, compared as
 * JSON text in one statement. [] when the rollups are exact.
 */
export async function dashboardMismatches(db: Kysely<Database>, rng: Rng, cast: RollupCast): Promise<{ mismatches: Mismatch[]; compared: number }> {
  const callers = [...cast.orgs.flatMap((o) => [o.adminId, ...o.memberIds]), cast.outsiderId]
  const mismatches: Mismatch[] = []
  let compared = 0
  for (const caller of callers) {
    const qs = questions(rng)
    await asUser(db, caller, async (trx) => {
      for (const q of qs) {
        const r = await sql<{ app: string; hand: string }>`
          select (select coalesce(json_agg(f), '[]') from (${q.app}) f)::text as app,
                 (select coalesce(json_agg(h), '[]') from (${q.hand}) h)::text as hand`.execute(trx)
        const row = r.rows[0]
        compared++
        if (!row || row.app !== row.hand) mismatches.push({ caller, question: q.name, app: row?.app ?? '', hand: row?.hand ?? '' })
      }
    }, { readOnly: true })
  }
  return { mismatches, compared }
}

/** Rows of rollups_verify (rollup + deltas against raw, every organization). */
export async function verifyDifferences(db: Kysely<Database>): Promise<unknown[]> {
  return asSystem(db, async (trx) => (await sql`select * from private.rollups_verify()`.execute(trx)).rows)
}

/** Pending deltas in all three logs. */
export async function pendingCount(db: Kysely<Database>): Promise<number> {
  return asSystem(db, async (trx) => (await sql<{ n: number }>`select
      ((select count(*) from private.revenue_daily_deltas) + (select count(*) from private.activities_daily_deltas)
       + (select count(*) from private.ai_usage_daily_deltas))::int as n`.execute(trx)).rows[0]?.n ?? 0)
}

export { Rng }
