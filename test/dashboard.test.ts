// The dashboard module (lib/db/dashboard) and its SQL functions (migration 009) on a seeded dataset:
// every question returns, for a member of several tenants, exactly what the hand-written query
// returns for that tenant (bench/questions.ts, run by the owner with the literal organization id);
// pages walk every row once, in order, stable under inserts; the metadata search returns nothing a
// plain select would not show the caller (anon, outsiders, removed members, other tenants, deleted
// rows); bad input is an InvalidInputError that says what is wrong.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import {
  activitiesByType, type ActivitiesByTypeRow, aiUsageByDay, type AiUsageByDayRow, type AiUsageByModelRow, aiUsageByModel, aiUsageByUser,
  type AiUsageByUserRow, callFunction, customersPage, type FunctionRow, PRIVATE_IMPLEMENTATIONS, monthlyRevenue, type MonthlyRevenueRow, organizationSummary,
  type OrganizationSummary, searchActivities, topCustomers, type TopCustomerRow,
} from '../lib/db/dashboard/index.js'
import {
  type Activity, asAnon, asService, asSystem, asUser, type Customer, type Database, type FunctionArgs, InvalidInputError, type JsonObject,
  NotAuthorizedError,
} from '../lib/db/index.js'
import { buildDataset, type Dataset, type TenantRef } from '../bench/dataset.js'
import { type Asker, DASHBOARD_QUESTIONS, dashboardParams, type DashboardParams } from '../bench/questions.js'
import { freshDb, type TestDb } from './support/db.js'

let t: TestDb
let dataset: Dataset
let params: DashboardParams
/** Several tenants of different sizes, each with a member. */
let tenants: TenantRef[]
let admin: Asker
let outsider: string
let removed: string

before(async () => {
  t = await freshDb()
  dataset = await buildDataset(t.db, {
    organizations: 12, customers: 1200, revenue: 6000, activities: 6000, seed: 11, endMonth: '2025-06',
  })
  await sql`analyze`.execute(t.db)
  params = dashboardParams(dataset.plan)
  tenants = [dataset.largest, dataset.fixed, dataset.small]
  const second = dataset.plan.orgs[1]
  const secondMember = dataset.plan.users.find((u) => u.orgIndex === 1 && u.role === 'member')
  if (second && secondMember) tenants.push({ ...dataset.largest, index: 1, id: second.id, slug: second.slug, memberId: secondMember.id })
  const a = dataset.plan.users.find((u) => u.orgIndex === 0 && u.role === 'admin')
  assert.ok(a, 'the largest organization has an admin')
  admin = { id: dataset.largest.id, memberId: a.id }
  // An outsider (signed up, no organization) and a member of the largest organization who is removed.
  outsider = await asSystem(t.db, async (trx) => {
    const r = await sql<{ id: string }>`insert into auth.users (id, email) values (gen_random_uuid(), 'outsider@dashboard.test') returning id`.execute(trx)
    return r.rows[0]?.id ?? ''
  })
  const leaving = dataset.plan.users.filter((u) => u.orgIndex === 0 && u.role === 'member').at(-1)
  assert.ok(leaving && leaving.id !== dataset.largest.memberId)
  removed = leaving.id
  await asSystem(t.db, (trx) => sql`update public.profiles set organization_id = null where id = ${removed}`.execute(trx))
})
after(async () => {
  await t?.close()
})

/** Rows as plain JSON, with only the keys of the hand-written query's rows (the module adds cursor_at). */
function comparable(rows: unknown[], keys?: string[]): unknown[] {
  return rows.map((row) => {
    const o = JSON.parse(JSON.stringify(row)) as Record<string, unknown>
    return keys ? Object.fromEntries(keys.map((k) => [k, o[k]])) : o
  })
}

describe('every question returns what the hand-written query returns', () => {
  for (const q of DASHBOARD_QUESTIONS) {
    it(`${q.name}, for a member of each of several tenants`, async () => {
      for (const tenant of tenants) {
        const hand = await asSystem(t.db, async (trx) => (await q.hand(tenant, params).execute(trx)).rows)
        const app = await asUser(t.db, tenant.memberId, async (trx) => (await q.app(params).execute(trx)).rows)
        const first = hand[0]
        const keys = typeof first === 'object' && first !== null ? Object.keys(first) : undefined
        assert.deepEqual(comparable(app, keys), comparable(hand), `${q.name} for ${tenant.slug}`)
      }
    })
  }

  it('the questions are not trivially empty for the largest tenant', async () => {
    const m = dataset.largest.memberId
    const counts = await asUser(t.db, m, async (trx) => ({
      revenue: (await monthlyRevenue(trx, params.revenue)).length,
      top: (await topCustomers(trx, { limit: 5 })).length,
      types: (await activitiesByType(trx, params.activities)).length,
      usage: (await aiUsageByDay(trx, params.aiUsage)).length,
      common: (await searchActivities(trx, { document: params.commonDocument })).rows.length,
      rare: (await searchActivities(trx, { document: params.rareDocument })).rows.length,
    }))
    assert.deepEqual({ revenue: counts.revenue, top: counts.top, types: counts.types }, { revenue: 12, top: 5, types: 5 })
    assert.ok(counts.usage > 0 && counts.common > 0, `AI usage and the common document are there: ${JSON.stringify(counts)}`)
  })
})

describe('AI usage: a member counts their own, an admin the organization', () => {
  it('a member gets one user, themself; the admin gets every user, and the totals add up', async () => {
    const mine = await asUser(t.db, dataset.largest.memberId, (trx) => aiUsageByUser(trx, params.aiUsage))
    assert.deepEqual(mine.map((r) => r.user_id), [dataset.largest.memberId])
    const all = await asUser(t.db, admin.memberId, (trx) => aiUsageByUser(trx, params.aiUsage))
    assert.ok(all.length > 1 && all.some((r) => r.user_id === dataset.largest.memberId))
    const byModel = await asUser(t.db, admin.memberId, (trx) => aiUsageByModel(trx, params.aiUsage))
    const sum = (xs: { calls: string }[]) => xs.reduce((a, r) => a + Number(r.calls), 0)
    assert.equal(sum(byModel), sum(all))
    const own = await asSystem(t.db, async (trx) => (await sql<{ n: string }>`select count(*) as n from public.ai_usage_log
      where organization_id = ${admin.id} and date >= ${params.aiUsage.start}::date and date < ${params.aiUsage.end}::date`.execute(trx)).rows[0]?.n)
    assert.equal(String(sum(all)), own)
  })
})

describe('callers without an organization', () => {
  it('get no customers, no summary, no usage', async () => {
    for (const user of [outsider, removed]) {
      assert.deepEqual(await asUser(t.db, user, (trx) => customersPage(trx)), { rows: [], nextCursor: null })
      assert.deepEqual(await asUser(t.db, user, (trx) => topCustomers(trx)), [])
      assert.deepEqual(await asUser(t.db, user, (trx) => aiUsageByUser(trx, params.aiUsage)), [])
      assert.deepEqual(await asUser(t.db, user, (trx) => monthlyRevenue(trx, params.revenue)), [])
    }
  })

  it('the summary: one row for a member; none for an outsider or a removed member', async () => {
    const s = await asUser(t.db, dataset.small.memberId, (trx) => organizationSummary(trx, { asOf: params.asOf }))
    assert.equal(s?.organization_id, dataset.small.id)
    assert.equal(await asUser(t.db, outsider, (trx) => organizationSummary(trx)), null)
    assert.equal(await asUser(t.db, removed, (trx) => organizationSummary(trx)), null)
  })
})

describe('pages', () => {
  it('customersPage walks every live customer once, newest first, and stays stable while customers are added', async () => {
    const tenant = dataset.fixed
    const all = await asSystem(t.db, async (trx) => (await sql<{ id: string }>`select id from public.customers
      where organization_id = ${tenant.id} and deleted_at is null order by created_at desc, id desc`.execute(trx)).rows.map((r) => r.id))
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await asUser(t.db, tenant.memberId, (trx) => customersPage(trx, { limit: 37, ...(cursor ? { cursor } : {}) }))
      seen.push(...page.rows.map((r) => r.id))
      cursor = page.nextCursor ?? undefined
      if (pages++ === 1) {
        // A customer added between pages lands before the first page, not inside a later one.
        await asSystem(t.db, (trx) => sql`insert into public.customers (organization_id, name) values (${tenant.id}, 'Added meanwhile')`.execute(trx))
      }
    } while (cursor)
    assert.deepEqual(seen, all)
  })

  it('customersPage filters by status, industry and a case-insensitive name prefix', async () => {
    const tenant = dataset.largest
    const expected = await asSystem(t.db, async (trx) => (await sql<{ id: string }>`select id from public.customers
      where organization_id = ${tenant.id} and deleted_at is null and status = 'churned' and lower(name) like 'a%'
      order by created_at desc, id desc limit 20`.execute(trx)).rows.map((r) => r.id))
    const page = await asUser(t.db, tenant.memberId, (trx) => customersPage(trx, { limit: 20, status: 'churned', namePrefix: 'A' }))
    assert.deepEqual(page.rows.map((r) => r.id), expected)
    assert.ok(expected.length > 0)
    const industry = await asUser(t.db, tenant.memberId, (trx) => customersPage(trx, { limit: 500, industry: 'no such industry' }))
    assert.deepEqual(industry, { rows: [], nextCursor: null })
  })

  it('searchActivities pages through rows with the same created_at without skipping or repeating any', async () => {
    const tenant = dataset.small
    await asSystem(t.db, (trx) => sql`insert into public.activities (organization_id, type, metadata, created_at)
      select ${tenant.id}, 'export', '{"batch": "same-instant"}', '2025-05-05T05:05:05.123456Z' from generate_series(1, 7)`.execute(trx))
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await asUser(t.db, tenant.memberId, (trx) => searchActivities(trx, { document: { batch: 'same-instant' }, limit: 2, ...(cursor ? { cursor } : {}) }))
      seen.push(...page.rows.map((r) => r.id))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    assert.equal(seen.length, 7)
    assert.equal(new Set(seen).size, 7)
    assert.deepEqual(seen, [...seen].sort().reverse(), 'ties in id order, descending')
  })
})

describe('the metadata search returns only what a plain select shows the caller', () => {
  const probe: JsonObject = { probe: 'dashboard-leak-test' }
  let live: string
  let deleted: string
  let foreign: string

  before(async () => {
    const insert = (org: string, deletedAt: string | null) => asSystem(t.db, async (trx) => (await sql<{ id: string }>`
      insert into public.activities (organization_id, type, metadata, deleted_at)
      values (${org}, 'export', ${JSON.stringify(probe)}::jsonb, ${deletedAt}::timestamptz) returning id`.execute(trx)).rows[0]?.id ?? '')
    live = await insert(dataset.largest.id, null)
    deleted = await insert(dataset.largest.id, '2025-01-01T00:00:00Z')
    foreign = await insert(dataset.small.id, null)
  })

  /** The search and the same containment by a plain select (RLS), as one caller. */
  async function both(user: string, document: JsonObject, limit = 50): Promise<{ search: string[]; plain: string[] }> {
    return asUser(t.db, user, async (trx) => ({
      search: (await searchActivities(trx, { document, limit })).rows.map((r: Activity) => r.id),
      plain: (await sql<{ id: string }>`select id from public.activities where metadata @> ${JSON.stringify(document)}::jsonb
        order by created_at desc, id desc limit ${limit}`.execute(trx)).rows.map((r) => r.id),
    }))
  }

  it('a member sees their tenant\'s live row; not the deleted one, not the other tenant\'s', async () => {
    assert.deepEqual(await both(dataset.largest.memberId, probe), { search: [live], plain: [live] })
    assert.deepEqual(await both(admin.memberId, probe), { search: [live], plain: [live] })
    assert.deepEqual(await both(dataset.small.memberId, probe), { search: [foreign], plain: [foreign] })
    assert.ok(deleted)
  })

  it('an outsider and a removed member see nothing', async () => {
    assert.deepEqual(await both(outsider, probe), { search: [], plain: [] })
    assert.deepEqual(await both(removed, probe), { search: [], plain: [] })
  })

  it('anon and service_role may not call it (nor the dashboard functions)', async () => {
    for (const run of [asAnon, asService]) {
      await assert.rejects(run(t.db, (trx) => searchActivities(trx, { document: probe })), NotAuthorizedError)
      await assert.rejects(run(t.db, (trx) => monthlyRevenue(trx, params.revenue)), NotAuthorizedError)
      await assert.rejects(run(t.db, (trx) => sql`select * from private.search_activities('{"a":1}', 1, null, null)`.execute(trx)), NotAuthorizedError)
    }
  })

  it('for documents drawn from the data, as every kind of caller, the search equals the plain select', async () => {
    const docs = await asSystem(t.db, async (trx) => (await sql<{ doc: JsonObject }>`
      select jsonb_build_object(k.key, k.value) as doc
        from (select metadata from public.activities order by id limit 400) a
       cross join lateral jsonb_each(a.metadata) k
       group by 1 order by md5(jsonb_build_object(k.key, k.value)::text) limit 25`.execute(trx)).rows.map((r) => r.doc))
    docs.push(params.commonDocument, params.rareDocument, probe)
    const callers = [dataset.largest.memberId, admin.memberId, dataset.small.memberId, tenants[3]?.memberId ?? '', outsider, removed]
    for (const doc of docs) {
      for (const caller of callers) {
        const r = await both(caller, doc, 20)
        assert.deepEqual(r.search, r.plain, `${JSON.stringify(doc)} as ${caller}`)
      }
    }
  })

  it('a document with SQL in it is just a value to look for', async () => {
    const docs: JsonObject[] = [{ a: "'); drop table public.activities; --" }, { "x' or '1'='1": 1 }, { nested: { $1: "'; select pg_sleep(10); --" } }]
    for (const doc of docs) {
      assert.deepEqual(await both(dataset.largest.memberId, doc), { search: [], plain: [] })
    }
    const n = await asSystem(t.db, async (trx) => (await sql<{ n: string }>`select count(*) as n from public.activities`.execute(trx)).rows[0]?.n)
    assert.ok(Number(n) > 6000)
  })
})

describe('bad input is an InvalidInputError that says what is wrong', () => {
  const member = (): string => dataset.largest.memberId
  async function rejects(fn: (trx: Kysely<Database>) => Promise<unknown>, message: RegExp): Promise<void> {
    await assert.rejects(asUser(t.db, member(), fn), (e: unknown) => {
      assert.ok(e instanceof InvalidInputError, `${String(e)}`)
      assert.match(e.message, message)
      return true
    })
  }
  const raw = (text: string) => (trx: Kysely<Database>) => sql.raw(text).execute(trx)

  it('periods: reversed, empty, too long, missing', async () => {
    await rejects((trx) => monthlyRevenue(trx, { start: '2025-06-01', end: '2025-01-01' }), /period_end \(2025-01-01\) must be after period_start/)
    await rejects((trx) => monthlyRevenue(trx, { start: '2025-06-01', end: '2025-06-01' }), /must be after/)
    await rejects((trx) => monthlyRevenue(trx, { start: '2020-01-01', end: '2025-01-01' }), /at most 1096 days/)
    await rejects((trx) => activitiesByType(trx, { since: '2024-01-01T00:00:00Z', until: '2025-06-01T00:00:00Z' }), /at most 366 days/)
    await rejects((trx) => aiUsageByDay(trx, { start: '2024-01-01', end: '2025-06-01' }), /dashboard_ai_usage_by_day: the period may be at most 366 days/)
    await rejects(raw('select * from public.dashboard_ai_usage_by_model(null, null)'), /period_start and period_end are required/)
    await rejects((trx) => monthlyRevenue(trx, { start: '2025-13-01', end: '2025-14-01' }), /date/)
  })

  it('page sizes 1 to 500', async () => {
    for (const limit of [0, -1, 501]) {
      await rejects((trx) => customersPage(trx, { limit }), /page_size must be from 1 to 500/)
      await rejects((trx) => searchActivities(trx, { document: { a: 1 }, limit }), /page_size must be from 1 to 500/)
      await rejects((trx) => topCustomers(trx, { limit }), /top_n must be from 1 to 500/)
    }
    await rejects((trx) => customersPage(trx, { limit: 2.5 }), /integer/)
  })

  it('cursors, filters', async () => {
    await rejects((trx) => customersPage(trx, { cursor: 'not-a-cursor' }), /customersPage: the cursor is not valid/)
    await rejects((trx) => searchActivities(trx, { document: { a: 1 }, cursor: 'W10' }), /searchActivities: the cursor is not valid/)
    await rejects(raw("select * from public.dashboard_customers_page(10, now(), null)"), /after_created_at and after_id go together/)
    await rejects(raw("select * from public.dashboard_customers_page(10, null, null, 'deleted')"), /status must be active, inactive or churned/)
    await rejects(raw(`select * from public.dashboard_customers_page(10, null, null, null, null, repeat('x', 201))`), /name_prefix at most 200/)
    await rejects(raw("select * from public.search_activities('{\"a\":1}', 10, null, gen_random_uuid())"), /before_id needs before/)
  })

  it('search documents: not an object, empty, too large', async () => {
    for (const [doc, kind] of [['[1, 2]', 'array'], ['"text"', 'string'], ['42', 'number'], ['null', 'null'], ['true', 'boolean']] as const) {
      await rejects(raw(`select * from public.search_activities('${doc}'::jsonb)`), new RegExp(`document must be a JSON object, not ${kind}`))
    }
    await rejects(raw('select * from public.search_activities(null)'), /document must be a JSON object, not null/)
    await rejects((trx) => searchActivities(trx, { document: {} }), /at least one key/)
    await rejects((trx) => searchActivities(trx, { document: { big: 'x'.repeat(5000) } }), /at most 4096/)
    await rejects((trx) => searchActivities(trx, { document: { big: 'x'.repeat(10_000_000) } }), /at most 4096/)
  })
})

describe('the library calls the private implementations of the forwarding wrappers', () => {
  it('each wrapper in public has its implementation in private with the same arguments, and returns what it returns', async () => {
    const r = await sql<{ name: string; pub: string; priv: string | null }>`
      select p.proname as name, pg_catalog.pg_get_function_identity_arguments(p.oid) as pub,
             (select pg_catalog.pg_get_function_identity_arguments(q.oid) from pg_catalog.pg_proc q
               where q.pronamespace = 'private'::regnamespace and q.proname = p.proname) as priv
        from pg_catalog.pg_proc p
       where p.pronamespace = 'public'::regnamespace and p.proname = any(${[...PRIVATE_IMPLEMENTATIONS]}::text[])
       order by 1`.execute(t.db)
    assert.equal(r.rows.length, PRIVATE_IMPLEMENTATIONS.size)
    for (const row of r.rows) assert.equal(row.priv, row.pub, row.name)
    const m = dataset.largest.memberId
    const viaWrapper = (text: string) => asUser(t.db, m, async (trx) => (await sql.raw(text).execute(trx)).rows)
    assert.deepEqual(
      await asUser(t.db, m, (trx) => customersPage(trx, { limit: 5, status: 'active' })).then((p) => p.rows.map((x) => x.id)),
      (await viaWrapper("select id from public.dashboard_customers_page(page_size => 5, status => 'active')")).map((x) => (x as { id: string }).id))
    assert.deepEqual(
      await asUser(t.db, m, (trx) => searchActivities(trx, { document: params.commonDocument, limit: 5 })).then((p) => p.rows.map((x) => x.id)),
      (await viaWrapper(`select id from public.search_activities('${JSON.stringify(params.commonDocument)}', 5)`)).map((x) => (x as { id: string }).id))
    assert.deepEqual(
      comparable([await asUser(t.db, m, (trx) => organizationSummary(trx, { asOf: params.asOf }))]),
      comparable(await viaWrapper(`select * from public.dashboard_organization_summary('${params.asOf}')`)))
  })
})

// ---- compile-time: the SQL API's generated signatures check calls (tsc --noEmit, which npm test runs first) ----
type Extends<A, B> = [A] extends [B] ? true : false

describe('the generated SQL API types check a call', () => {
  it('arguments by name and type; the module\'s row types fit the functions\' results', async () => {
    const ok: FunctionArgs<'dashboard_monthly_revenue'> = { period_start: '2025-01-01', period_end: '2026-01-01' }
    // @ts-expect-error period_end is required
    const missing: FunctionArgs<'dashboard_monthly_revenue'> = { period_start: '2025-01-01' }
    // @ts-expect-error no such argument
    const unknown: FunctionArgs<'dashboard_top_customers'> = { limit: 5 }
    // @ts-expect-error page_size is an integer
    const wrongType: FunctionArgs<'search_activities'> = { document: { a: 1 }, page_size: '50' }
    // @ts-expect-error no such function
    callFunction('dashboard_revenue_by_planet', {})
    const fits: [
      Extends<MonthlyRevenueRow, FunctionRow<'dashboard_monthly_revenue'>>,
      Extends<TopCustomerRow, FunctionRow<'dashboard_top_customers'>>,
      Extends<ActivitiesByTypeRow, FunctionRow<'dashboard_activities_by_type'>>,
      Extends<AiUsageByDayRow, FunctionRow<'dashboard_ai_usage_by_day'>>,
      Extends<AiUsageByModelRow, FunctionRow<'dashboard_ai_usage_by_model'>>,
      Extends<AiUsageByUserRow, FunctionRow<'dashboard_ai_usage_by_user'>>,
      Extends<OrganizationSummary, FunctionRow<'dashboard_organization_summary'>>,
      Extends<FunctionRow<'dashboard_customers_page'>, Customer>,
      Extends<FunctionRow<'search_activities'>, Activity>,
    ] = [true, true, true, true, true, true, true, true, true]
    assert.ok(fits.every(Boolean) && [ok, missing, unknown, wrongType].length === 4)
    // A typed call runs: named arguments, defaults for the rest.
    const rows = await asUser(t.db, dataset.largest.memberId, async (trx) =>
      (await callFunction<'dashboard_top_customers', TopCustomerRow>('dashboard_top_customers', { top_n: 3 }).execute(trx)).rows)
    assert.equal(rows.length, 3)
  })
})
