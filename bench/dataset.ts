// The benchmark's dataset: the seed generator's tenants (lib/seed: Zipf-sized organizations, their
// admins and members) and customers with their 24 months of revenue and activities, topped up to exact
// row counts by set-based INSERT ... SELECT generate_series in the same skew.
//
// Built in three stages so that one fixed organization can be measured while its tables grow around
// it: stage 1 holds that organization and the smallest ones (about 1% of every table), stage 2 adds
// more small and middle-sized organizations (to about 10%), stage 3 adds the rest, the largest
// organization included (100%). Each organization gets all of its rows in its stage, in proportion to
// its planned size, so every table grows by about the same factor and the fixed organization's own
// rows never change.
import { type Kysely, sql } from 'kysely'
import { asSystem, type Database } from '../lib/db/index.js'
import { customerBatches, ID_KIND, idPrefix, type Plan, type PlannedCustomer, planTenants } from '../lib/seed/plan.js'
import { writeAiUsage, writeCustomerBatch, writeTenants } from '../lib/seed/write.js'

export interface DatasetSizes {
  organizations: number
  customers: number
  revenue: number
  activities: number
  seed: number
  /** Last month of the 24 months of history, 'YYYY-MM'. */
  endMonth: string
}

export interface TableCounts {
  customers: number
  revenue: number
  activities: number
}

export interface TenantRef {
  /** Rank by planned size (0 = largest). */
  index: number
  id: string
  slug: string
  /** A member (role 'member') to run the dashboard as. */
  memberId: string
  memberEmail: string
  rows: TableCounts
}

export interface Dataset {
  plan: Plan
  counts: TableCounts
  largest: TenantRef
  small: TenantRef
  /** The organization measured while the tables grow (all its rows are written in stage 1). */
  fixed: TenantRef
  /** Organizations of each stage, by plan index. */
  stages: number[][]
  /** Whole build: tenants, seed generator, top-up, VACUUM ANALYZE. */
  buildSeconds: number
  /** Fraction of each organization's customers seeded with their history by the seed generator. */
  historyFraction: number
  /** Customers of each organization that are the plan's (counters firstCustomer and on), by plan index. */
  planCustomers: number[]
}

export interface BuildOptions {
  /** Called after each stage (tables vacuumed and analyzed), with the table counts. */
  onStage?(stage: number, counts: TableCounts, context: { plan: Plan; fixed: number }): Promise<void>
  log?(line: string): void
}

// Bench-only id kinds (the seed uses 1..7): deterministic ids in their own ranges.
const BENCH_KIND = { customer: 0x0b03, revenue: 0x0b04, activity: 0x0b05 } as const

// The seed generator writes about this many rows per customer with history (measured: 10.7, 4.1).
const SEED_REVENUE_PER_CUSTOMER = 10.7
const SEED_ACTIVITIES_PER_CUSTOMER = 4.1
const STAGE_FRACTIONS = [0.01, 0.1, 1] as const
const BATCH = 1000
const CHUNK_ROWS = 100_000

type Db = Kysely<Database>

/** Splits n into parts proportional to weights (largest remainder), summing exactly to n. */
export function apportion(n: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  if (n <= 0 || total <= 0) return weights.map(() => 0)
  const exact = weights.map((w) => (n * w) / total)
  const parts = exact.map(Math.floor)
  let left = n - parts.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left <= 0) break
    parts[i] = (parts[i] ?? 0) + 1
    left--
  }
  return parts
}

/**
 * Stages of organizations: the fixed one plus the smallest until 1% of the customers, then the next
 * smallest until 10%, then the rest. The fixed organization is the largest one of at most 40% of stage
 * 1's share, so the stage still has room for others.
 */
export function planStages(sizes: number[]): { stages: number[][]; fixed: number } {
  const total = sizes.reduce((a, b) => a + b, 0)
  const first = STAGE_FRACTIONS[0] * total
  let fixed = sizes.findIndex((s) => s <= 0.4 * first)
  if (fixed < 0) fixed = sizes.length - 1
  const stages: number[][] = [[fixed], [], []]
  let sum = sizes[fixed] ?? 0
  let stage = 0
  // Plan order is biggest first: walk from the smallest up.
  for (let i = sizes.length - 1; i >= 0; i--) {
    if (i === fixed) continue
    while (stage < 2 && sum >= (STAGE_FRACTIONS[stage] ?? 1) * total) stage++
    stages[stage]?.push(i)
    sum += sizes[i] ?? 0
  }
  return { stages, fixed }
}

async function tableCounts(db: Db): Promise<TableCounts> {
  const r = await sql<{ customers: string; revenue: string; activities: string }>`
    select (select count(*) from public.customers) as customers,
           (select count(*) from public.revenue) as revenue,
           (select count(*) from public.activities) as activities`.execute(db)
  const row = r.rows[0]
  return { customers: Number(row?.customers ?? 0), revenue: Number(row?.revenue ?? 0), activities: Number(row?.activities ?? 0) }
}

async function orgCounts(db: Db, orgId: string): Promise<TableCounts> {
  const r = await sql<{ customers: string; revenue: string; activities: string }>`
    select (select count(*) from public.customers where organization_id = ${orgId}) as customers,
           (select count(*) from public.revenue where organization_id = ${orgId}) as revenue,
           (select count(*) from public.activities where organization_id = ${orgId}) as activities`.execute(db)
  const row = r.rows[0]
  return { customers: Number(row?.customers ?? 0), revenue: Number(row?.revenue ?? 0), activities: Number(row?.activities ?? 0) }
}

/** Planned customers without history: the customer rows only (revenue and activities come from the top-up). */
async function insertPlainCustomers(db: Db, batch: PlannedCustomer[]): Promise<void> {
  if (batch.length === 0) return
  const col = <T>(f: (c: PlannedCustomer) => T): T[] => batch.map(f)
  await sql`
    insert into public.customers (id, organization_id, name, email, company, industry, status, deleted_at, created_at, updated_at)
    select id, org, name, email, company, industry, status, deleted_at, created_at, coalesce(deleted_at, created_at)
      from unnest(${col((c) => c.id)}::uuid[], ${col((c) => c.orgId)}::uuid[], ${col((c) => c.name)}::text[],
                  ${col((c) => c.email)}::text[], ${col((c) => c.company)}::text[], ${col((c) => c.industry)}::text[],
                  ${col((c) => c.status)}::text[], ${col((c) => c.deletedAt)}::timestamptz[], ${col((c) => c.createdAt)}::timestamptz[])
           as c(id, org, name, email, company, industry, status, deleted_at, created_at)`.execute(db)
}

/** Rows to generate for one organization, whose customers are the plan's [first, first + customers). */
export interface OrgRows {
  org: string
  n: number
  first: number
  customers: number
}

interface Chunk {
  orgs: string[]
  counts: number[]
  /** First counter of each organization's rows (ids and hashes). */
  offsets: number[]
  firsts: number[]
  customers: number[]
}

const emptyChunk = (): Chunk => ({ orgs: [], counts: [], offsets: [], firsts: [], customers: [] })

/** Cuts per-organization row counts into statements of at most CHUNK_ROWS rows; counters continue from start. */
function chunks(entries: OrgRows[], start: number): Chunk[] {
  const out: Chunk[] = []
  let cur = emptyChunk()
  let size = 0
  let counter = start
  for (const e of entries) {
    let n = e.customers > 0 ? e.n : 0
    while (n > 0) {
      const take = Math.min(n, CHUNK_ROWS - size)
      cur.orgs.push(e.org)
      cur.counts.push(take)
      cur.offsets.push(counter)
      cur.firsts.push(e.first)
      cur.customers.push(e.customers)
      counter += take
      size += take
      n -= take
      if (size >= CHUNK_ROWS) {
        out.push(cur)
        cur = emptyChunk()
        size = 0
      }
    }
  }
  if (size > 0) out.push(cur)
  return out
}

/** The 16-bit lane k of a hash as a float in [0, 1) (as lib/seed/write.ts does). */
function lane(hash: string, k: number): string {
  return `(((${hash} >> ${16 * k}) & 65535)::float8 / 65536)`
}


/**
 * The generated rows of a chunk with their hashes and a customer of their organization picked by hash:
 * the plan's customers of an organization have consecutive counters, so the id is computed, not looked
 * up (a join here would be planned as a nested loop on misestimated CTEs: quadratic).
 */
function generated(chunk: Chunk, seed: number) {
  return sql`
    g as materialized (
      select o.org, o.off + s.i as counter,
             hashint8extended(o.off + s.i, ${seed}) as h, hashint8extended(o.off + s.i, ${seed + 1}) as e,
             (${idPrefix(seed, ID_KIND.customer)}::text
               || lpad(to_hex(o.first + ((hashint8extended(o.off + s.i, ${seed + 1}) >> 16) & 4294967295) % o.customers), 12, '0'))::uuid
               as customer_id
        from unnest(${chunk.orgs}::uuid[], ${chunk.counts}::int8[], ${chunk.offsets}::int8[], ${chunk.firsts}::int8[],
                    ${chunk.customers}::int8[]) as o(org, n, off, first, customers)
       cross join lateral generate_series(0, o.n - 1) as s(i))`
}

/** Revenue rows for existing customers: skewed amounts, dates over the 24 months, 0.5% soft-deleted. */
async function topUpRevenue(db: Db, plan: Plan, chunk: Chunk): Promise<void> {
  const { monthStarts, end } = plan.calendar
  const first = monthStarts[0] ?? end
  const prefix = idPrefix(plan.config.seed, BENCH_KIND.revenue)
  await sql`
    with ${generated(chunk, plan.config.seed)},
    r as (
      select g.org, g.counter, g.customer_id, g.h,
             ${first}::date + floor(${sql.raw(lane('g.h', 1))} * (${end}::date - ${first}::date))::int as date
        from g)
    insert into public.revenue (id, organization_id, customer_id, amount, date, category, description, deleted_at, created_at)
    select (${prefix}::text || lpad(to_hex(r.counter), 12, '0'))::uuid, r.org, r.customer_id,
           round((19 + 6000 * ${sql.raw(lane('r.h', 0))} ^ 3)::numeric, 2), r.date,
           case when ${sql.raw(lane('r.h', 2))} < 0.7 then 'subscription' when ${sql.raw(lane('r.h', 2))} < 0.8 then 'services' else 'usage' end,
           'Imported invoice',
           case when ${sql.raw(lane('r.h', 3))} < 0.005 then (r.date + 3 + time '12:00') at time zone 'UTC' end,
           (r.date + time '09:00' + (r.counter % 600) * interval '1 minute') at time zone 'UTC'
      from r`.execute(db)
}

/** Activities of the five types with metadata shaped like the seed's, over the 24 months. */
async function topUpActivities(db: Db, plan: Plan, chunk: Chunk): Promise<void> {
  const { monthStarts, end } = plan.calendar
  const first = monthStarts[0] ?? end
  const prefix = idPrefix(plan.config.seed, BENCH_KIND.activity)
  const l = (hash: string, k: number) => sql.raw(lane(hash, k))
  await sql`
    with ${generated(chunk, plan.config.seed)},
    a as (
      select g.org, g.counter, g.h, g.e,
             case when ${l('g.h', 0)} < 0.5 then 'login' when ${l('g.h', 0)} < 0.7 then 'purchase'
                  when ${l('g.h', 0)} < 0.85 then 'export' when ${l('g.h', 0)} < 0.95 then 'signup' else 'churn' end as type,
             case when ${l('g.e', 3)} < 0.9 then g.customer_id end as customer_id,
             (${first}::date + time '00:00'
               + ((g.h >> 16) & 4294967295)::float8 / 4294967296 * (${end}::date - ${first}::date) * interval '1 day') at time zone 'UTC' as created_at
        from g)
    insert into public.activities (id, organization_id, type, customer_id, metadata, deleted_at, created_at)
    select (${prefix}::text || lpad(to_hex(a.counter), 12, '0'))::uuid, a.org, a.type, a.customer_id,
           case a.type
             when 'login' then jsonb_build_object(
               'channel', (array['web', 'web', 'ios', 'android'])[1 + floor(${l('a.h', 3)} * 4)::int],
               'country', (array['US', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'NG'])[1 + floor(${l('a.e', 0)} * 8)::int])
             when 'export' then jsonb_build_object(
               'format', (array['csv', 'xlsx', 'pdf'])[1 + floor(${l('a.h', 3)} * 3)::int],
               'report', (array['invoices', 'usage', 'contacts', 'revenue'])[1 + floor(${l('a.e', 0)} * 4)::int],
               'rows', 10 + (a.counter * 7919) % 5000)
             when 'purchase' then jsonb_build_object(
               'category', case when ${l('a.h', 3)} < 0.5 then 'services' else 'usage' end,
               'amount', round((20 + 2000 * ${l('a.e', 0)})::numeric, 2), 'currency', 'USD',
               'invoice', 'INV-B' || lpad(a.counter::text, 9, '0'))
             when 'signup' then jsonb_build_object(
               'source', (array['organic', 'organic', 'referral', 'ads', 'partner', 'event'])[1 + floor(${l('a.h', 3)} * 6)::int],
               'plan', (array['starter', 'starter', 'pro', 'enterprise'])[1 + floor(${l('a.e', 0)} * 4)::int])
             else jsonb_build_object(
               'plan', (array['starter', 'pro', 'enterprise'])[1 + floor(${l('a.h', 3)} * 3)::int],
               'reason', (array['price', 'competitor', 'no longer needed', 'missing feature', 'support'])[1 + floor(${l('a.e', 0)} * 5)::int])
           end,
           case when ${l('a.e', 3)} < 0.005 then a.created_at + interval '2 days' end,
           a.created_at
      from a`.execute(db)
}

/** Customers beyond the plan's (its Zipf rounding can fall short of the exact count asked for). */
async function extraCustomers(db: Db, plan: Plan, orgId: string, n: number, start: number): Promise<void> {
  if (n <= 0) return
  const prefix = idPrefix(plan.config.seed, BENCH_KIND.customer)
  const first = plan.calendar.monthStarts[0] ?? plan.calendar.end
  await sql`
    insert into public.customers (id, organization_id, name, email, company, industry, status, created_at, updated_at)
    select (${prefix}::text || lpad(to_hex(s.i), 12, '0'))::uuid, ${orgId}::uuid, 'Lead ' || s.i, 'lead' || s.i || '@leads.example',
           'Lead Co ' || s.i, 'Software', 'active', ${first}::date + (s.i % 700)::int + time '10:00', ${first}::date + (s.i % 700)::int + time '10:00'
      from generate_series(${start}::int8, ${start + n - 1}::int8) as s(i)`.execute(db)
}

/** Revenue rows for the plan's customers of the organizations (counters from start). */
export async function insertRevenue(db: Db, plan: Plan, entries: OrgRows[], start: number): Promise<void> {
  for (const chunk of chunks(entries, start)) await topUpRevenue(db, plan, chunk)
}

async function vacuumAnalyze(db: Db): Promise<void> {
  await sql`vacuum (analyze) public.customers, public.revenue, public.activities`.execute(db)
}

export async function buildDataset(db: Db, sizes: DatasetSizes, options: BuildOptions = {}): Promise<Dataset> {
  const log = options.log ?? (() => {})
  const started = performance.now()
  const plan = planTenants({ seed: sizes.seed, organizations: sizes.organizations, customers: sizes.customers, endMonth: sizes.endMonth })
  const orgSizes = plan.orgs.map((o) => o.customers)
  const { stages, fixed } = planStages(orgSizes)
  const plannedTotal = orgSizes.reduce((a, b) => a + b, 0)

  await asSystem(db, (trx) => writeTenants(trx, plan))

  // Every planned customer, by organization (the generator's stream is sequential: read it once).
  const orgIndex = new Map(plan.orgs.map((o) => [o.id, o.index]))
  const byOrg: PlannedCustomer[][] = plan.orgs.map(() => [])
  for (const batch of customerBatches(plan, 10_000)) {
    for (const c of batch) byOrg[orgIndex.get(c.orgId) ?? 0]?.push(c)
  }
  // Exact customer count: drop the largest organization's last planned customers, or add leads to it.
  const diff = sizes.customers - plannedTotal
  if (diff < 0) byOrg[0]?.splice(diff)

  const historyFraction = Math.min(
    1,
    (0.9 * sizes.revenue) / (SEED_REVENUE_PER_CUSTOMER * Math.max(1, sizes.customers)),
    (0.9 * sizes.activities) / (SEED_ACTIVITIES_PER_CUSTOMER * Math.max(1, sizes.customers)),
  )

  let revenueCounter = 0
  let activityCounter = 0
  let doneShare = 0
  for (const [k, orgs] of stages.entries()) {
    const stageStarted = performance.now()
    const history: PlannedCustomer[] = []
    const plain: PlannedCustomer[] = []
    for (const i of orgs) {
      const list = byOrg[i] ?? []
      const h = Math.min(list.length, Math.max(1, Math.round(historyFraction * list.length)))
      history.push(...list.slice(0, h))
      plain.push(...list.slice(h))
    }
    let mark = performance.now()
    const phase = (what: string): void => {
      const now = performance.now()
      log(`  stage ${k + 1}: ${what} in ${((now - mark) / 1000).toFixed(1)} s`)
      mark = now
    }
    for (let i = 0; i < history.length; i += BATCH) {
      await asSystem(db, async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx)
        return writeCustomerBatch(trx, plan, history.slice(i, i + BATCH))
      })
    }
    phase(`${history.length} customers with their history (seed generator)`)
    for (let i = 0; i < plain.length; i += 5 * BATCH) {
      await asSystem(db, (trx) => insertPlainCustomers(trx, plain.slice(i, i + 5 * BATCH)))
    }
    if (diff > 0 && orgs.includes(0)) {
      const id = plan.orgs[0]?.id ?? ''
      await asSystem(db, (trx) => extraCustomers(trx, plan, id, diff, 0))
    }

    phase(`${plain.length} customers without history`)
    // Top up revenue and activities to the stage's share of the targets, in proportion to planned size.
    doneShare += orgs.reduce((a, i) => a + (orgSizes[i] ?? 0), 0)
    const last = k === stages.length - 1
    const share = last ? 1 : doneShare / plannedTotal
    const now = await tableCounts(db)
    const weights = orgs.map((i) => orgSizes[i] ?? 0)
    const entries = (counts: number[]): OrgRows[] => orgs.map((i, j) => ({
      org: plan.orgs[i]?.id ?? '', n: counts[j] ?? 0, first: plan.orgs[i]?.firstCustomer ?? 0, customers: byOrg[i]?.length ?? 0,
    }))
    const revenueNeed = Math.max(0, Math.round(sizes.revenue * share) - now.revenue)
    const activityNeed = Math.max(0, Math.round(sizes.activities * share) - now.activities)
    for (const chunk of chunks(entries(apportion(revenueNeed, weights)), revenueCounter)) {
      await asSystem(db, async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx)
        await topUpRevenue(trx, plan, chunk)
      })
    }
    revenueCounter += revenueNeed
    phase(`${revenueNeed} more revenue rows`)
    for (const chunk of chunks(entries(apportion(activityNeed, weights)), activityCounter)) {
      await asSystem(db, async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx)
        await topUpActivities(trx, plan, chunk)
      })
    }
    activityCounter += activityNeed
    phase(`${activityNeed} more activities`)
    await vacuumAnalyze(db)
    phase('vacuum analyze')
    const counts = await tableCounts(db)
    log(`stage ${k + 1}: ${orgs.length} organizations, ${counts.customers} customers, ${counts.revenue} revenue, ` +
      `${counts.activities} activities (${((performance.now() - stageStarted) / 1000).toFixed(1)} s)`)
    await options.onStage?.(k + 1, counts, { plan, fixed })
  }

  // AI usage of every user over the last 90 days of history, as the seed writes it (the dashboard's
  // usage questions); not part of the stages: it does not grow with the business tables.
  await asSystem(db, (trx) => writeAiUsage(trx, plan, plan.users))
  await sql`analyze public.ai_usage_log`.execute(db)

  const ref = async (index: number): Promise<TenantRef> => {
    const org = plan.orgs[index]
    const member = plan.users.find((u) => u.orgIndex === index && u.role === 'member')
    if (!org || !member) throw new Error(`organization ${index} has no member in the plan`)
    return { index, id: org.id, slug: org.slug, memberId: member.id, memberEmail: member.email, rows: await orgCounts(db, org.id) }
  }
  return {
    plan,
    counts: await tableCounts(db),
    largest: await ref(0),
    small: await ref(plan.orgs.length - 1),
    fixed: await ref(fixed),
    stages,
    buildSeconds: (performance.now() - started) / 1000,
    historyFraction,
    planCustomers: byOrg.map((list) => list.length),
  }
}
