// lib/seed: skewed tenants, realistic rows written set-based in batches, derived figures and audit
// left to the triggers, the same data for the same seed (in batches, concurrently or not), refusal
// of a database that is not migrated or not empty, and a clean stop on abort.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import { migrate, resetDatabase } from '../lib/migrate/index.js'
import type { Database } from '../lib/db/index.js'
import { SeedError, SeedInterruptedError, seedDatabase, type SeedOptions } from '../lib/seed/index.js'
import { calendar, customerBatches, lastCompleteMonth, orgSizes, planTenants } from '../lib/seed/plan.js'
import { formatSeedResult, MIN_SECONDS_FOR_RATE } from '../cli/commands/seed.js'
import { useFreshDb } from './support/db.js'

const CONFIG = { seed: 5, organizations: 5, customers: 150, endMonth: '2025-06' } as const

const t = useFreshDb()

async function emptyAgain(db: Kysely<Database>): Promise<void> {
  await resetDatabase(db)
  await migrate(db)
}

/** A digest of everything the seed decides (not the clock-dependent bookkeeping columns). */
async function digest(db: Kysely<Database>): Promise<Record<string, string>> {
  const parts = {
    organizations: 'select id, name, slug, created_at from public.organizations',
    profiles: 'select id, email, full_name, organization_id, role from public.profiles',
    customers: 'select id, organization_id, name, email, company, industry, total_revenue, last_purchase_date, status, deleted_at, created_at from public.customers',
    revenue: 'select * from public.revenue',
    activities: 'select * from public.activities',
    ai_usage_log: 'select * from public.ai_usage_log',
    user_preferences: 'select user_id, theme_preference from public.user_preferences',
    invitations: 'select id, organization_id, email, role, status, invited_by, accepted_by from public.invitations',
  }
  const out: Record<string, string> = {}
  for (const [name, query] of Object.entries(parts)) {
    const r = await sql<{ d: string | null }>`select md5(string_agg(t::text, '|' order by t::text)) as d from (${sql.raw(query)}) t`.execute(db)
    out[name] = r.rows[0]?.d ?? 'empty'
  }
  return out
}

describe('seed plan', () => {
  it('sizes organizations by a Zipf law: a few large, many small, at least 3 customers each', () => {
    const sizes = orgSizes(50, 20_000)
    assert.equal(sizes.length, 50)
    assert.ok(sizes.every((s, i) => s >= 3 && (i === 0 || s <= (sizes[i - 1] ?? 0))))
    assert.ok((sizes[0] ?? 0) > 40 * (sizes[49] ?? 0), `largest ${sizes[0]} vs smallest ${sizes[49]}`)
    const total = sizes.reduce((a, b) => a + b, 0)
    assert.ok(Math.abs(total - 20_000) < 100, `total ${total}`)
    const top5 = sizes.slice(0, 5).reduce((a, b) => a + b, 0)
    assert.ok(top5 > total * 0.4, 'the five largest hold over 40% of the customers')
  })

  it('is a pure function of the seed', () => {
    const a = planTenants({ ...CONFIG })
    assert.deepEqual(planTenants({ ...CONFIG }), a)
    assert.notDeepEqual(planTenants({ ...CONFIG, seed: 6 }).users.map((u) => u.email), a.users.map((u) => u.email))
    const batches = (batchSize: number) => [...customerBatches(a, batchSize)].flat()
    assert.deepEqual(batches(7), batches(1000), 'batching does not change the customers')
    assert.equal(batches(1000).length, a.orgs.reduce((n, o) => n + o.customers, 0))
  })

  it('covers 24 months ending with the given month', () => {
    const cal = calendar('2025-06')
    assert.equal(cal.monthStarts.length, 24)
    assert.equal(cal.monthStarts[0], '2023-07-01')
    assert.equal(cal.monthStarts[23], '2025-06-01')
    assert.equal(cal.end, '2025-07-01')
    assert.equal(lastCompleteMonth(new Date('2026-01-15T00:00:00Z')), '2025-12')
    assert.throws(() => planTenants({ ...CONFIG, endMonth: '2025-13' }), /the end month must be a month as YYYY-MM/)
  })
})

describe('seedDatabase', () => {
  let first: Awaited<ReturnType<typeof seedDatabase>>
  let firstDigest: Record<string, string>
  const progress: string[] = []

  it('writes what it reports, in batches', async () => {
    first = await seedDatabase(t.db, { ...CONFIG, batchSize: 40, onProgress: (p) => progress.push(`${p.phase}:${p.done}`) })
    const c = first.counts
    const r = await sql<Record<string, number>>`
      select (select count(*) from public.organizations)::int as organizations, (select count(*) from auth.users)::int as users,
             (select count(*) from public.customers)::int as customers, (select count(*) from public.revenue)::int as revenue,
             (select count(*) from public.activities)::int as activities, (select count(*) from public.ai_usage_log)::int as ai_usage`.execute(t.db)
    assert.deepEqual(r.rows[0], {
      organizations: c.organizations, users: c.users, customers: c.customers, revenue: c.revenue,
      activities: c.activities, ai_usage: c.aiUsage,
    })
    assert.equal(c.organizations, 5)
    assert.ok(c.revenue > c.customers * 5, `revenue ${c.revenue} for ${c.customers} customers`)
    assert.ok(progress.includes('customers:40') && progress.includes('customers:80'), progress.join(' '))
    assert.ok(first.logins.some((l) => l.role === 'admin') && first.logins.some((l) => l.role === 'outsider'))
  })

  it('states a rate in its summary only for a run long enough to mean one', () => {
    const summary = (seconds: number): string => formatSeedResult({ ...first, seconds }, 'here').join('\n')
    assert.doesNotMatch(summary(MIN_SECONDS_FOR_RATE - 0.1), /rows\/s/)
    assert.match(summary(MIN_SECONDS_FOR_RATE), new RegExp(`revenue [\\d,]+ rows \\([\\d,]+ rows/s\\)`))
  })

  it('leaves derived figures and the audit trail to the triggers', async () => {
    const totals = await sql<{ wrong: number }>`
      select count(*)::int as wrong from public.customers c
       cross join lateral (select coalesce(sum(r.amount), 0) as total, max(r.date) as last
                             from public.revenue r where r.customer_id = c.id and r.deleted_at is null) s
       where (c.total_revenue, c.last_purchase_date) is distinct from (s.total, s.last)`.execute(t.db)
    assert.equal(totals.rows[0]?.wrong, 0)
    const audit = await sql<{ table_name: string; action: string; n: number; by_user: number }>`
      select table_name, action, count(*)::int as n, count(user_id)::int as by_user
        from public.audit_logs group by 1, 2 order by 1, 2`.execute(t.db)
    const members = first.counts.users - 1 // the outsider joins no organization
    assert.deepEqual(audit.rows, [
      { table_name: 'activities', action: 'INSERT', n: first.counts.activities, by_user: 0 },
      { table_name: 'customers', action: 'INSERT', n: first.counts.customers, by_user: 0 },
      { table_name: 'invitations', action: 'INSERT', n: first.counts.invitations, by_user: 0 },
      { table_name: 'profiles', action: 'UPDATE', n: members, by_user: 0 },
      { table_name: 'revenue', action: 'INSERT', n: first.counts.revenue, by_user: 0 },
    ])
  })

  it('gives organizations invitations in every state: pending, expired, revoked, declined, accepted by a member', async () => {
    const r = await sql<{ state: string; n: number }>`
      select case when status = 'pending' and expires_at <= now() then 'expired' else status end as state, count(*)::int as n
        from public.invitations group by 1 order by 1`.execute(t.db)
    assert.deepEqual(r.rows.map((x) => x.state), ['accepted', 'declined', 'expired', 'pending', 'revoked'])
    assert.equal(r.rows.reduce((a, x) => a + x.n, 0), first.counts.invitations)
    const accepted = await sql<{ wrong: number }>`
      select count(*)::int as wrong from public.invitations i left join public.profiles p on p.id = i.accepted_by
       where i.status = 'accepted' and (p.organization_id is distinct from i.organization_id or p.email <> i.email or i.ended_at <> p.created_at)`.execute(t.db)
    assert.equal(accepted.rows[0]?.wrong, 0, 'an accepted invitation is its member\'s, ended when they joined')
  })

  it('looks like a business: statuses, seasonality, churn, roles, metadata', async () => {
    const statuses = await sql<{ status: string }>`select distinct status from public.customers order by 1`.execute(t.db)
    assert.deepEqual(statuses.rows.map((s) => s.status), ['active', 'churned', 'inactive'])
    const dates = await sql<{ deleted: number; deleted_before_signup: number }>`
      select count(deleted_at)::int as deleted, count(*) filter (where deleted_at < created_at)::int as deleted_before_signup
        from public.customers`.execute(t.db)
    assert.equal(dates.rows[0]?.deleted_before_signup, 0)
    const industries = await sql<{ n: number }>`select count(distinct industry)::int as n from public.customers`.execute(t.db)
    assert.ok((industries.rows[0]?.n ?? 0) >= 6)
    const span = await sql<{ first: string; last: string; months: number }>`
      select min(date)::text as first, max(date)::text as last, count(distinct date_trunc('month', date))::int as months from public.revenue`.execute(t.db)
    assert.deepEqual(span.rows[0], { first: span.rows[0]?.first, last: span.rows[0]?.last, months: 24 })
    assert.ok((span.rows[0]?.first ?? '') >= '2023-07-01' && (span.rows[0]?.last ?? '') <= '2025-06-30')
    // Churned customers stop paying: nothing after their churn activity's month.
    const afterChurn = await sql<{ n: number }>`
      select count(*)::int as n from public.revenue r
        join public.activities a on a.customer_id = r.customer_id and a.type = 'churn'
       where date_trunc('month', r.date) >= date_trunc('month', a.created_at at time zone 'UTC')`.execute(t.db)
    assert.equal(afterChurn.rows[0]?.n, 0)
    // Every organization has an admin; the outsider none.
    const orgs = await sql<{ admins: number }>`
      select count(p.id) filter (where p.role = 'admin')::int as admins
        from public.organizations o left join public.profiles p on p.organization_id = o.id group by o.id`.execute(t.db)
    assert.ok(orgs.rows.every((o) => o.admins >= 1))
    const outsiders = await sql<{ n: number }>`select count(*)::int as n from public.profiles where organization_id is null`.execute(t.db)
    assert.equal(outsiders.rows[0]?.n, 1)
    // Metadata says something about each kind of activity; purchases match a one-off revenue row.
    const keys = await sql<{ type: string; keys: string }>`
      select type, string_agg(distinct k, ',' order by k) as keys
        from public.activities, jsonb_object_keys(metadata) k group by type order by type`.execute(t.db)
    assert.deepEqual(Object.fromEntries(keys.rows.map((k) => [k.type, k.keys])), {
      churn: 'mrr_lost,plan,reason', export: 'format,report,rows', login: 'channel,country',
      purchase: 'amount,category,currency,invoice', signup: 'plan,source',
    })
    const unmatched = await sql<{ n: number }>`
      select count(*)::int as n from public.activities a where a.type = 'purchase' and not exists (
        select 1 from public.revenue r where r.customer_id = a.customer_id and r.category = a.metadata ->> 'category'
           and r.amount = (a.metadata ->> 'amount')::numeric)`.execute(t.db)
    assert.equal(unmatched.rows[0]?.n, 0)
    const ai = await sql<{ users: number; outsiders: number }>`
      select count(distinct l.user_id)::int as users, count(*) filter (where p.organization_id is null)::int as outsiders
        from public.ai_usage_log l join public.profiles p on p.id = l.user_id`.execute(t.db)
    assert.ok((ai.rows[0]?.users ?? 0) >= first.counts.users - 3, 'nearly every member uses the assistant')
    assert.equal(ai.rows[0]?.outsiders, 0)
  })

  it('refuses a database that already has data', async () => {
    await assert.rejects(seedDatabase(t.db, CONFIG), (e: unknown) => e instanceof SeedError && /already has/.test(e.message))
  })

  it('gives the same data for the same seed, whatever the batch size and concurrency', async () => {
    firstDigest = await digest(t.db)
    await emptyAgain(t.db)
    await seedDatabase(t.db, { ...CONFIG, batchSize: 33, concurrency: 2 })
    assert.deepEqual(await digest(t.db), firstDigest)
  })

  it('gives other data for another seed', async () => {
    await emptyAgain(t.db)
    await seedDatabase(t.db, { ...CONFIG, seed: 6 })
    const other = await digest(t.db)
    for (const table of Object.keys(firstDigest)) assert.notEqual(other[table], firstDigest[table], table)
  })

  it('stops between batches when aborted, keeping whole batches', async () => {
    await emptyAgain(t.db)
    const controller = new AbortController()
    const options: SeedOptions = {
      ...CONFIG, batchSize: 30, signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'customers' && p.done > 0) controller.abort()
      },
    }
    await assert.rejects(seedDatabase(t.db, options), (e: unknown) => {
      assert.ok(e instanceof SeedInterruptedError)
      assert.equal(e.counts.customers, 30)
      return true
    })
    const n = await sql<{ customers: number; without_revenue: number }>`
      select count(*)::int as customers,
             count(*) filter (where not exists (select 1 from public.revenue r where r.customer_id = c.id))::int as without_revenue
        from public.customers c`.execute(t.db)
    // Each customer came with its revenue: a batch is one statement in one transaction.
    assert.deepEqual(n.rows[0], { customers: 30, without_revenue: 0 })
  })

  it('refuses a database that is not migrated', async () => {
    await resetDatabase(t.db)
    await assert.rejects(seedDatabase(t.db, CONFIG), (e: unknown) => e instanceof SeedError && /not migrated/.test(e.message))
    await migrate(t.db)
  })
})
