// The rollups' machinery (migration 013) beyond the property test: the check catches a stale rollup
// and rebuild repairs it; a month whose rows are all deleted disappears and the summary says 0 as
// before; an admin's AI usage reads the admin grains, which verify checks and rebuild repairs; an
// organization deleted with pending deltas (no foreign key: a trigger); truncation; two folds at once; a fold killed
// halfway (PostgreSQL: pg_terminate_backend while it waits on a lock between two rollups; both
// databases: an error between two rollups) loses and double-counts nothing; a rebuild beside writers;
// nothing of it reachable by the API roles; the embedded database folds by itself.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  asAnon, asService, asSystem, asUser, createDb, mergeRollups, monthlyRevenue, NotAuthorizedError, organizationSummary, rebuildRollups,
  verifyRollups,
} from '../lib/db/index.js'
import { aiUsageByDay, aiUsageByModel, aiUsageByUser } from '../lib/db/dashboard/index.js'
import { migrate } from '../lib/migrate/index.js'
import { onServer, useFreshDb } from './support/db.js'
import {
  dashboardMismatches, emptyWritten, pendingCount, randomWrites, type RollupCast, rollupCast, Rng, verifyDifferences,
} from './support/rollups.js'

const t = useFreshDb({ rollupFoldMs: 0, poolSize: 6 })
let cast: RollupCast
const rng = new Rng(20, 1)

t.before(async () => {
  cast = await rollupCast(t.db, 'unit')
  await randomWrites(t.db, rng, cast, emptyWritten(), 300)
})

const org = (i: number) => {
  const o = cast.orgs[i]
  if (!o) throw new Error(`no organization ${i}`)
  return o
}

describe('the check and the repair', () => {
  it('a write with the rollup trigger off shows in every check, and rebuild repairs it', async () => {
    const o = org(0)
    await asSystem(t.db, async (trx) => {
      await sql`alter table public.revenue disable trigger revenue_rollup_insert`.execute(trx)
      await sql`insert into public.revenue (organization_id, amount, date) values (${o.id}, 12.34, '2025-02-03')`.execute(trx)
      await sql`alter table public.revenue enable trigger revenue_rollup_insert`.execute(trx)
    })
    const differences = await verifyRollups(t.db)
    assert.deepEqual(differences.map((d) => [d.rollup, d.organizationId, d.day]), [['revenue_daily', o.id, '2025-02-03']])
    assert.deepEqual(await verifyRollups(t.db, { organizationId: org(1).id }), [])
    // The dashboard check sees it too: a window over that day, asked by that organization's admin.
    const r = await asUser(t.db, o.adminId, (trx) => monthlyRevenue(trx, { start: '2025-02-01', end: '2025-03-01' }))
    const raw = await asUser(t.db, o.adminId, async (trx) => (await sql<{ total: string }>`
      select sum(amount) as total from public.revenue where date >= '2025-02-01' and date < '2025-03-01'`.execute(trx)).rows[0]?.total)
    assert.notEqual(r[0]?.total, raw)

    const rebuilt = await rebuildRollups(t.db, { organizationId: o.id })
    assert.deepEqual(rebuilt.map((x) => x.rollup), ['revenue_daily', 'activities_daily', 'ai_usage_daily', 'ai_usage_model_daily', 'ai_usage_user_daily'])
    assert.ok(rebuilt.every((x) => x.rowsWritten > 0))
    assert.deepEqual(await verifyRollups(t.db), [])
    const again = await asUser(t.db, o.adminId, (trx) => monthlyRevenue(trx, { start: '2025-02-01', end: '2025-03-01' }))
    assert.equal(again[0]?.total, raw)
    assert.deepEqual((await dashboardMismatches(t.db, rng, cast)).mismatches, [])
  })
})

describe('the insert triggers', () => {
  // 024: a one-row statement appends its delta without aggregating, several rows are grouped by key;
  // either way the same sums. Rolled back: the deltas written are the statement's own.
  it('one row: its own delta; several rows: one delta per key, summed (revenue, activities, AI usage)', async () => {
    const o = org(2)
    const deltas = await asSystem(t.db, async (trx) => {
      const since = async (table: string) => Number((await sql<{ id: string }>`select coalesce(max(id), 0) as id from ${sql.table(`private.${table}`)}`.execute(trx)).rows[0]?.id)
      const ids = { revenue: await since('revenue_daily_deltas'), activities: await since('activities_daily_deltas'), ai: await since('ai_usage_daily_deltas') }
      await sql`insert into public.revenue (organization_id, amount, date) values (${o.id}, 10.25, '2024-03-01')`.execute(trx)
      await sql`insert into public.revenue (organization_id, amount, date) values (${o.id}, 1.10, '2024-03-02'), (${o.id}, 2.20, '2024-03-02'), (${o.id}, 3.30, '2024-03-03')`.execute(trx)
      await sql`insert into public.activities (organization_id, type, created_at) values (${o.id}, 'login', '2024-03-01T23:30:00-02:00')`.execute(trx)
      await sql`insert into public.activities (organization_id, type, created_at) values (${o.id}, 'login', '2024-03-02T10:00:00Z'), (${o.id}, 'login', '2024-03-02T11:00:00Z'), (${o.id}, 'export', '2024-03-02T12:00:00Z')`.execute(trx)
      await sql`insert into public.ai_usage_log (organization_id, user_id, query_id, model, input_tokens, output_tokens, cost_usd, date)
                values (${o.id}, ${o.adminId}, gen_random_uuid(), 'gpt-4o', 100, 40, 0.0021, '2024-03-01')`.execute(trx)
      await sql`insert into public.ai_usage_log (organization_id, user_id, query_id, model, input_tokens, output_tokens, cost_usd, date)
                values (${o.id}, ${o.adminId}, gen_random_uuid(), 'gpt-4o', 1, 2, 0.0001, '2024-03-02'), (${o.id}, ${o.adminId}, gen_random_uuid(), 'gpt-4o', 3, 4, 0.0002, '2024-03-02'),
                       (${o.id}, ${o.adminId}, gen_random_uuid(), 'gpt-4o-mini', 5, 6, 0.0003, '2024-03-02')`.execute(trx)
      const rows = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(trx)).rows
      return {
        revenue: await rows(sql<{ day: string; amount: string; invoices: string }>`
          select day::text, amount::text, invoices::text from private.revenue_daily_deltas where id > ${ids.revenue} order by id`),
        activities: await rows(sql<{ day: string; type: string; activities: string }>`
          select day::text, type, activities::text from private.activities_daily_deltas where id > ${ids.activities} order by day, type`),
        ai: await rows(sql<{ day: string; model: string; calls: string; input_tokens: string; output_tokens: string; cost_usd: string }>`
          select day::text, model, calls::text, input_tokens::text, output_tokens::text, cost_usd::text from private.ai_usage_daily_deltas where id > ${ids.ai} order by day, model`),
      }
    }, { rollback: true })
    assert.deepEqual(deltas.revenue.slice(0, 1), [{ day: '2024-03-01', amount: '10.25', invoices: '1' }])
    assert.deepEqual([...deltas.revenue.slice(1)].sort((a, b) => a.day.localeCompare(b.day)),
      [{ day: '2024-03-02', amount: '3.30', invoices: '2' }, { day: '2024-03-03', amount: '3.30', invoices: '1' }])
    // The UTC day of created_at: 23:30 at UTC-2 is the 2nd in UTC.
    assert.deepEqual(deltas.activities, [
      { day: '2024-03-02', type: 'export', activities: '1' }, { day: '2024-03-02', type: 'login', activities: '1' }, { day: '2024-03-02', type: 'login', activities: '2' },
    ])
    assert.deepEqual(deltas.ai, [
      { day: '2024-03-01', model: 'gpt-4o', calls: '1', input_tokens: '100', output_tokens: '40', cost_usd: '0.0021' },
      { day: '2024-03-02', model: 'gpt-4o', calls: '2', input_tokens: '4', output_tokens: '6', cost_usd: '0.0003' },
      { day: '2024-03-02', model: 'gpt-4o-mini', calls: '1', input_tokens: '5', output_tokens: '6', cost_usd: '0.0003' },
    ])
  })
})

describe('the admin grains', () => {
  it('an admin\'s AI usage reads them: a stale one shows in the admin\'s answers and in verify, rebuild repairs it; a member reads the per-user grain by day and by user, not by model', async () => {
    const o = org(0)
    await mergeRollups(t.db)
    const window = { start: '2024-12-20', end: '2025-06-01' }
    const ask = (user: string) => asUser(t.db, user, async (trx) => ({
      day: await aiUsageByDay(trx, window), model: await aiUsageByModel(trx, window), user: await aiUsageByUser(trx, window),
    }))
    const admin = await ask(o.adminId)
    assert.ok(admin.model.length > 0 && admin.user.length > 1, 'the organization has AI usage of several users in the window')
    const memberId = o.memberIds.find((id) => admin.user.some((u) => u.user_id === id))
    assert.ok(memberId, 'a member has AI usage in the window')
    const member = await ask(memberId)
    const top = admin.model[0]
    const topUser = admin.user[0]
    assert.ok(top && topUser)
    await asSystem(t.db, async (trx) => {
      await sql`update private.ai_usage_model_daily set calls = calls + 1000
                 where organization_id = ${o.id} and model = ${top.model} and day >= ${window.start} and day < ${window.end}`.execute(trx)
      await sql`update private.ai_usage_user_daily set calls = calls + 1000
                 where organization_id = ${o.id} and user_id in (${topUser.user_id}, ${memberId}) and day >= ${window.start} and day < ${window.end}`.execute(trx)
    })
    const stale = await ask(o.adminId)
    assert.ok(BigInt(stale.model[0]?.calls ?? '0') > BigInt(top.calls), 'by model reads ai_usage_model_daily')
    assert.notDeepEqual(stale.day, admin.day, 'by day reads ai_usage_model_daily')
    assert.ok(BigInt(stale.user[0]?.calls ?? '0') > BigInt(topUser.calls), 'by user reads ai_usage_user_daily')
    const staleMember = await ask(memberId)
    assert.deepEqual(staleMember.model, member.model, 'a member\'s by model reads ai_usage_daily')
    assert.notDeepEqual(staleMember.day, member.day, 'a member\'s by day reads ai_usage_user_daily (020)')
    assert.equal(BigInt(staleMember.user[0]?.calls ?? '0'), BigInt(member.user[0]?.calls ?? '0') + 1000n * BigInt(staleMember.day.length),
      'a member\'s by user reads ai_usage_user_daily (020), one row a day')
    const rollups = new Set((await verifyRollups(t.db, { organizationId: o.id })).map((d) => d.rollup))
    assert.deepEqual([...rollups].sort(), ['ai_usage_model_daily', 'ai_usage_user_daily'])
    await rebuildRollups(t.db, { organizationId: o.id })
    assert.deepEqual(await verifyRollups(t.db), [])
    assert.deepEqual(await ask(o.adminId), admin)
    assert.deepEqual(await ask(memberId), member)
  })
})

describe('results keep their form', () => {
  it('a month whose rows are all deleted disappears; the summary says 0 for it, a live month its sum with two decimals', async () => {
    const o = org(1)
    await asSystem(t.db, async (trx) => {
      await sql`insert into public.revenue (organization_id, amount, date) values (${o.id}, 5.5, '2030-03-02'), (${o.id}, -5.5, '2030-03-09'),
        (${o.id}, 7, '2030-04-01')`.execute(trx)
    })
    await mergeRollups(t.db)
    const ask = () => asUser(t.db, o.memberIds[0] ?? '', async (trx) => ({
      months: await monthlyRevenue(trx, { start: '2030-01-01', end: '2031-01-01' }),
      summary: await organizationSummary(trx, { asOf: '2030-04-15' }),
    }))
    let r = await ask()
    assert.deepEqual(r.months, [
      { month: '2030-03-01', total: '0.00', invoices: '2' }, { month: '2030-04-01', total: '7.00', invoices: '1' },
    ])
    assert.equal(r.summary?.revenue_last_month, '0.00')
    assert.equal(r.summary?.revenue_this_month, '7.00')
    await asSystem(t.db, (trx) => sql`update public.revenue set deleted_at = now() where organization_id = ${o.id} and date between '2030-03-01' and '2030-03-31'`.execute(trx))
    r = await ask()
    assert.deepEqual(r.months, [{ month: '2030-04-01', total: '7.00', invoices: '1' }])
    assert.equal(r.summary?.revenue_last_month, '0', 'no live row: 0, as the sum over raw rows said')
    await mergeRollups(t.db)
    assert.deepEqual((await ask()).months, [{ month: '2030-04-01', total: '7.00', invoices: '1' }])
  })
})

describe('organizations deleted, tables truncated', () => {
  it('deleting an organization deletes its rollup rows and pending deltas (a trigger: the rollups have no foreign key)', async () => {
    const gone = await rollupCast(t.db, 'gone', 1)
    const o = gone.orgs[0]
    assert.ok(o)
    await randomWrites(t.db, rng, gone, emptyWritten(), 100)
    await mergeRollups(t.db)
    await randomWrites(t.db, rng, gone, emptyWritten(), 50)
    // Every table of the machinery, found by the catalog as the purge finds them: private, with organization_id.
    const rowsOfOrg = async () => asSystem(t.db, async (trx) => {
      const tables = (await sql<{ name: string }>`
        select c.relname as name from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'organization_id'
         where c.relnamespace = 'private'::regnamespace and c.relkind = 'r' and (c.relname like '%\_daily' or c.relname like '%\_daily\_deltas')
         order by 1`.execute(trx)).rows.map((r) => r.name)
      const counts: Record<string, number> = {}
      for (const name of tables) {
        counts[name] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`private.${name}`)} where organization_id = ${o.id}`.execute(trx)).rows[0]?.n)
      }
      return counts
    })
    const before = await rowsOfOrg()
    assert.deepEqual(Object.keys(before), [
      'activities_daily', 'activities_daily_deltas', 'ai_usage_daily', 'ai_usage_daily_deltas', 'ai_usage_model_daily', 'ai_usage_user_daily',
      'revenue_daily', 'revenue_daily_deltas',
    ])
    for (const name of ['activities_daily', 'ai_usage_daily', 'ai_usage_model_daily', 'ai_usage_user_daily', 'revenue_daily']) {
      assert.ok((before[name] ?? 0) > 0, `${name} has rows of the organization before: ${JSON.stringify(before)}`)
    }
    assert.ok(Object.entries(before).some(([name, n]) => name.endsWith('_deltas') && n > 0), 'deltas pending before')
    await asSystem(t.db, (trx) => sql`delete from public.organizations where id = ${o.id}`.execute(trx))
    const after = await rowsOfOrg()
    assert.deepEqual(after, Object.fromEntries(Object.keys(before).map((name) => [name, 0])))
    assert.deepEqual(await verifyDifferences(t.db), [])
  })

  it('a fold discards deltas of an organization that no longer exists (written with the trigger on organizations off)', async () => {
    const gone = await rollupCast(t.db, 'orphan', 1)
    const o = gone.orgs[0]
    assert.ok(o)
    await randomWrites(t.db, rng, gone, emptyWritten(), 100)
    await mergeRollups(t.db)
    await randomWrites(t.db, rng, gone, emptyWritten(), 50)
    const pendingOfOrg = async () => asSystem(t.db, async (trx) => (await sql<{ n: number }>`
      select ((select count(*) from private.revenue_daily_deltas where organization_id = ${o.id})
            + (select count(*) from private.activities_daily_deltas where organization_id = ${o.id})
            + (select count(*) from private.ai_usage_daily_deltas where organization_id = ${o.id}))::int as n`.execute(trx)).rows[0]?.n)
    await asSystem(t.db, async (trx) => {
      await sql`alter table public.organizations disable trigger organizations_rollup_delete`.execute(trx)
      await sql`delete from public.organizations where id = ${o.id}`.execute(trx)
      await sql`alter table public.organizations enable trigger organizations_rollup_delete`.execute(trx)
    })
    assert.ok((await pendingOfOrg() ?? 0) > 0)
    assert.ok(await mergeRollups(t.db) > 0)
    assert.equal(await pendingOfOrg(), 0)
    // Its rollup rows are left (the trigger was off): verify lists them, rebuild removes them.
    assert.ok((await verifyDifferences(t.db)).length > 0)
    await rebuildRollups(t.db)
    assert.deepEqual(await verifyDifferences(t.db), [])
  })

  it('TRUNCATE empties the table\'s rollup and deltas with it (rolled back)', async () => {
    const after = await asSystem(t.db, async (trx) => {
      await sql`truncate public.ai_usage_log`.execute(trx)
      return (await sql<{ n: number }>`select ((select count(*) from private.ai_usage_daily) + (select count(*) from private.ai_usage_daily_deltas)
        + (select count(*) from private.ai_usage_model_daily) + (select count(*) from private.ai_usage_user_daily)
        + (select count(*) from private.rollups_verify()))::int as n`.execute(trx)).rows[0]?.n
    }, { rollback: true })
    assert.equal(after, 0)
  })
})

describe('organizations truncated', () => {
  it('TRUNCATE organizations CASCADE empties every rollup and delta log (no foreign key: the cascaded tables\' truncate triggers do; rolled back)', async () => {
    const count = sql<{ n: number }>`select ((select count(*) from private.revenue_daily) + (select count(*) from private.activities_daily)
      + (select count(*) from private.ai_usage_daily) + (select count(*) from private.ai_usage_model_daily) + (select count(*) from private.ai_usage_user_daily)
      + (select count(*) from private.revenue_daily_deltas) + (select count(*) from private.activities_daily_deltas)
      + (select count(*) from private.ai_usage_daily_deltas))::int as n`
    const [before, after] = await asSystem(t.db, async (trx) => {
      const b = (await count.execute(trx)).rows[0]?.n
      await sql`truncate public.organizations cascade`.execute(trx)
      return [b, (await count.execute(trx)).rows[0]?.n]
    }, { rollback: true })
    assert.ok((before ?? 0) > 0)
    assert.equal(after, 0)
  })
})

describe('folds', () => {
  it('two folds at once fold every delta once', async () => {
    await randomWrites(t.db, rng, cast, emptyWritten(), 300)
    const pending = await pendingCount(t.db)
    assert.ok(pending > 100)
    const [a, b] = await Promise.all([mergeRollups(t.db), mergeRollups(t.db)])
    assert.equal((a ?? 0) + (b ?? 0), pending)
    assert.equal(await pendingCount(t.db), 0)
    assert.deepEqual(await verifyDifferences(t.db), [])
    await randomWrites(t.db, rng, cast, emptyWritten(), 300)
    const more = await pendingCount(t.db)
    const folded = await Promise.all([1, 2, 3, 4].map(async () => {
      let n = 0
      for (let got = -1; got !== 0;) n += (got = await mergeRollups(t.db, { maxRows: 7 }))
      return n
    }))
    assert.equal(folded.reduce((x, y) => x + y, 0), more)
    assert.deepEqual(await verifyDifferences(t.db), [])
  })

  it('max_rows must be positive', async () => {
    await assert.rejects(mergeRollups(t.db, { maxRows: 0 }), /maxRows must be a whole number/)
    await assert.rejects(asSystem(t.db, (trx) => sql`select private.rollups_merge(0)`.execute(trx)), /max_rows must be at least 1/)
  })

  it('a fold that fails between two rollups leaves everything as it was (both databases)', async () => {
    await randomWrites(t.db, rng, cast, emptyWritten(), 200)
    const before = await pendingCount(t.db)
    const snapshot = async () => asSystem(t.db, async (trx) => (await sql<{ s: string }>`
      select md5(string_agg(x::text, ',' order by x::text)) as s from (
        select r::text as x from private.revenue_daily r union all select a::text from private.activities_daily a
        union all select u::text from private.ai_usage_daily u union all select m::text from private.ai_usage_model_daily m
        union all select w::text from private.ai_usage_user_daily w) y`.execute(trx)).rows[0]?.s)
    const rollupsBefore = await snapshot()
    // Revenue is folded first, then the activities' upsert fails: the revenue part must not survive.
    await asSystem(t.db, async (trx) => {
      await sql.raw(`create function private.rollups_test_fail() returns trigger language plpgsql set search_path = '' as $$
        begin raise exception 'interrupted halfway' using errcode = '57014'; end $$`).execute(trx)
      await sql`create trigger rollups_test_fail before insert or update on private.activities_daily
        for each row execute function private.rollups_test_fail()`.execute(trx)
    })
    try {
      await assert.rejects(mergeRollups(t.db), /interrupted halfway/)
    } finally {
      await asSystem(t.db, (trx) => sql`drop function private.rollups_test_fail() cascade`.execute(trx))
    }
    assert.equal(await pendingCount(t.db), before)
    assert.equal(await snapshot(), rollupsBefore)
    assert.deepEqual(await verifyDifferences(t.db), [])
    assert.equal(await mergeRollups(t.db), before)
  })

  it('a fold killed halfway (pg_terminate_backend while it waits between two rollups) loses and double-counts nothing',
    { skip: !onServer && 'PostgreSQL: the embedded database has one session, nobody to kill it from' }, async () => {
      const o = org(2)
      // An activities rollup row to lock, and pending deltas of every rollup, that one among them.
      await asSystem(t.db, (trx) => sql`insert into public.activities (organization_id, type, created_at) values (${o.id}, 'login', '2025-03-03T10:00:00Z')`.execute(trx))
      await mergeRollups(t.db)
      await randomWrites(t.db, rng, cast, emptyWritten(), 200)
      await asSystem(t.db, (trx) => sql`insert into public.activities (organization_id, type, created_at) values (${o.id}, 'login', '2025-03-03T11:00:00Z')`.execute(trx))
      const before = await pendingCount(t.db)
      const revenueRollupBefore = await asSystem(t.db, async (trx) => (await sql<{ s: string }>`
        select coalesce(sum(amount), 0)::text || '/' || coalesce(sum(invoices), 0)::text as s from private.revenue_daily`.execute(trx)).rows[0]?.s)

      const locker = await t.pool.connect()
      const folder = await t.pool.connect()
      try {
        await locker.query('begin')
        await locker.query(`select 1 from private.activities_daily where organization_id = $1 and day = '2025-03-03' and type = 'login' for update`, [o.id])
        const pid = (await folder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid
        const fold = folder.query('select private.rollups_merge()').then(() => 'finished', (e: unknown) => `failed: ${String(e)}`)
        // Wait until the fold has folded revenue and waits for the locked activities row.
        for (let i = 0; ; i++) {
          const w = await t.pool.query<{ wait: string | null }>('select wait_event_type as wait from pg_stat_activity where pid = $1', [pid])
          if (w.rows[0]?.wait === 'Lock') break
          assert.ok(i < 200, 'the fold never waited on the lock')
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
        const killed = await t.pool.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [pid])
        assert.equal(killed.rows[0]?.ok, true)
        assert.match(await fold, /^failed: .*terminat/i)
        await locker.query('rollback')
      } finally {
        locker.release()
        folder.release(true)
      }
      assert.equal(await pendingCount(t.db), before)
      const revenueRollupAfter = await asSystem(t.db, async (trx) => (await sql<{ s: string }>`
        select coalesce(sum(amount), 0)::text || '/' || coalesce(sum(invoices), 0)::text as s from private.revenue_daily`.execute(trx)).rows[0]?.s)
      assert.equal(revenueRollupAfter, revenueRollupBefore, 'the revenue folded before the kill was rolled back with it')
      assert.deepEqual(await verifyDifferences(t.db), [])
      assert.deepEqual((await dashboardMismatches(t.db, rng, cast)).mismatches, [])
      assert.equal(await mergeRollups(t.db), before)
    })

  it('a rebuild while writers write and folds fold leaves the rollups exact', async () => {
    let writing = true
    const writer = (async () => {
      let n = 0
      while (writing || n < 3) {
        await randomWrites(t.db, rng, cast, emptyWritten(), 20)
        n++
      }
    })()
    const folds = (async () => {
      while (writing) await mergeRollups(t.db, { maxRows: 50 })
    })()
    try {
      for (let i = 0; i < 3; i++) await rebuildRollups(t.db, i === 1 ? { organizationId: org(0).id } : {})
    } finally {
      writing = false
      await Promise.all([writer, folds])
    }
    assert.deepEqual(await verifyDifferences(t.db), [])
    assert.deepEqual((await dashboardMismatches(t.db, rng, cast)).mismatches, [])
  })
})

describe('nothing of it reaches the API roles', () => {
  it('rollup and delta tables, fold, rebuild and verify: the owner\'s only', async () => {
    const member = org(0).memberIds[0] ?? ''
    for (const table of ['revenue_daily', 'activities_daily_deltas', 'ai_usage_daily', 'ai_usage_model_daily', 'ai_usage_user_daily']) {
      await assert.rejects(asUser(t.db, member, (trx) => sql`select * from ${sql.table(`private.${table}`)}`.execute(trx)), NotAuthorizedError)
      await assert.rejects(asService(t.db, (trx) => sql`select * from ${sql.table(`private.${table}`)}`.execute(trx)), NotAuthorizedError)
    }
    for (const call of ['private.rollups_merge()', 'private.rollups_rebuild()', 'private.rollups_verify()']) {
      for (const run of [asAnon, asService]) await assert.rejects(run(t.db, (trx) => sql.raw(`select * from ${call}`).execute(trx)), NotAuthorizedError)
      await assert.rejects(asUser(t.db, org(0).adminId, (trx) => sql.raw(`select * from ${call}`).execute(trx)), NotAuthorizedError)
    }
    for (const run of [asAnon, asService]) {
      await assert.rejects(run(t.db, (trx) => sql`select * from private.dashboard_ai_usage_by_user('2025-01-01', '2025-02-01')`.execute(trx)), NotAuthorizedError)
    }
  })
})

describe('the embedded database folds by itself', { skip: onServer && 'embedded only (pg_cron folds on a server)' }, () => {
  it('pending deltas are folded within the interval, and on close', async () => {
    const handle = await createDb({ dataDir: 'memory://', rollupFoldMs: 50 })
    try {
      await migrate(handle.db)
      const own = await rollupCast(handle.db, 'timer', 1)
      await randomWrites(handle.db, new Rng(3), own, emptyWritten(), 50)
      for (let i = 0; await pendingCount(handle.db) > 0; i++) {
        assert.ok(i < 100, 'the deltas were never folded')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.deepEqual(await verifyDifferences(handle.db), [])
    } finally {
      await handle.close()
    }
  })
})
