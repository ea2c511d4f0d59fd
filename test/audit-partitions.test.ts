// The audit trail partitioned by month (migration 012, issue 15): the conversion keeps every row and
// every promise; each partition is as closed as the trail itself to every actor; maintenance creates
// months ahead and moves stray rows; prune refuses what it must, drops whole months, exports them and
// leaves its own row; reads prune partitions and use the organization's index.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { Kysely, PostgresDialect, sql } from 'kysely'
import {
  asSystem, asUser, AuditRetentionError, type Database, InvalidInputError, listAuditPartitions,
  maintainAuditPartitions, monthOf, NotAuthorizedError, pruneAuditMonths, pruneRefusal, readAuditTrail, withActor,
} from '../lib/db/index.js'
import { ACTORS, type ActorName } from '../lib/devtools/access-policy.js'
import { runDoctor } from '../lib/devtools/doctor.js'
import { migrate, readMigrationFiles } from '../lib/migrate/index.js'
import { type Cast, castActor, createCast } from './support/fixtures.js'
import { freshDb, type TestDb } from './support/db.js'

const CONVERSION = '012'
const files = readMigrationFiles()
const beforeConversion = files.filter((f) => f.version < CONVERSION)

type Db = Kysely<Database>

/** Runs fn as the actor in a transaction that is always rolled back; the error code, or null. */
async function codeAs(db: Db, cast: Cast, actor: ActorName, fn: (trx: Db) => Promise<unknown>): Promise<string | null> {
  const options = { attempts: 1, rollback: true } as const
  try {
    await withActor(db, castActor(cast, actor), fn, options)
    return null
  } catch (e) {
    return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : String(e)
  }
}

/** Every row of the trail, as text, in id order: equal before and after means no row changed. */
async function trailFingerprint(db: Db): Promise<{ n: number; digest: string | null }> {
  const r = await sql<{ n: number; digest: string | null }>`
    select count(*)::int as n, md5(string_agg(to_jsonb(a)::text, E'\\n' order by a.id)) as digest from public.audit_logs a`.execute(db)
  return r.rows[0] ?? { n: 0, digest: null }
}

async function partitionNames(db: Db): Promise<string[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'public.audit_logs'::regclass order by 1`.execute(db)
  return r.rows.map((x) => x.name)
}

/** The table's privileges for the API roles and PUBLIC, as `grantee:privilege` text. */
async function privileges(db: Db, table: string): Promise<string[]> {
  const r = await sql<{ p: string }>`
    select format('%s:%s%s', case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end, a.privilege_type,
                  case when a.is_grantable then '*' else '' end) as p
      from pg_catalog.pg_class c, aclexplode(c.relacl) a
     where c.oid = ${table}::regclass and a.grantee <> c.relowner order by 1`.execute(db)
  return r.rows.map((x) => x.p)
}

describe('conversion of a populated trail', () => {
  let t: TestDb
  before(async () => {
    t = await freshDb({ migrated: false })
    await migrate(t.db, {}, beforeConversion)
  })
  after(async () => {
    await t?.close()
  })

  it('keeps every row, the columns, constraints and grants, and makes audit_logs partitioned by month', async () => {
    const cast = await createCast(t.db)
    await asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('customers').set({ name: 'Renamed' }).where('organization_id', '=', cast.a.id).execute())
    // History over two years, and a row far in the past: the system may write the trail directly.
    await sql`insert into public.audit_logs (organization_id, action, table_name, record_id, new_data, created_at)
              select ${cast.b.id}::uuid, 'INSERT', 'activities', gen_random_uuid(), jsonb_build_object('n', g),
                     timestamptz '2024-01-01 00:00+00' + g * interval '5 days 3 hours'
                from generate_series(0, 150) g
              union all
              select ${cast.a.id}::uuid, 'UPDATE', 'customers', null::uuid, null::jsonb, timestamptz '1999-12-31 23:59:59.999999+00'`.execute(t.db)
    const before = await trailFingerprint(t.db)
    const grants = await privileges(t.db, 'public.audit_logs')
    const checks = await sql<{ def: string }>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'public.audit_logs'::regclass and contype = 'c' order by 1`.execute(t.db)
    const columns = await sql<{ c: string }>`
      select format('%s %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid)) as c
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       where attrelid = 'public.audit_logs'::regclass and attnum > 0 and not attisdropped order by attnum`.execute(t.db)
    assert.ok(before.n > 150)

    await migrate(t.db, {}, files)

    assert.deepEqual(await trailFingerprint(t.db), before, 'every row, as it was (ids and times included)')
    const kind = await sql<{ relkind: string; key: string }>`
      select relkind::text, pg_get_partkeydef(oid) as key from pg_class where oid = 'public.audit_logs'::regclass`.execute(t.db)
    assert.deepEqual(kind.rows[0], { relkind: 'p', key: 'RANGE (created_at)' })
    const pk = await sql<{ def: string }>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'public.audit_logs'::regclass and contype = 'p'`.execute(t.db)
    assert.equal(pk.rows[0]?.def, 'PRIMARY KEY (id, created_at)')
    assert.deepEqual(await privileges(t.db, 'public.audit_logs'), grants, 'the same grants as before')
    assert.deepEqual((await sql<{ def: string }>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'public.audit_logs'::regclass and contype = 'c' order by 1`.execute(t.db)).rows,
    checks.rows, 'the same CHECK constraints')
    assert.deepEqual((await sql<{ c: string }>`
      select format('%s %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid)) as c
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       where attrelid = 'public.audit_logs'::regclass and attnum > 0 and not attisdropped order by attnum`.execute(t.db)).rows,
    columns.rows, 'the same columns, types, NOT NULLs and defaults')
    const fk = await sql<{ n: number }>`select count(*)::int as n from pg_constraint where conrelid = 'public.audit_logs'::regclass and contype = 'f'`.execute(t.db)
    assert.equal(fk.rows[0]?.n, 0, 'no foreign key to organizations')
    assert.equal(await sql<{ t: string | null }>`select to_regclass('public.audit_logs_unpartitioned')::text as t`.execute(t.db).then((r) => r.rows[0]?.t), null)

    const names = await partitionNames(t.db)
    for (const m of ['1999_12', '2024_01', '2025_01', monthOf(new Date()).replace('-', '_'), monthOf(new Date(), 3).replace('-', '_')]) {
      assert.ok(names.includes(`audit_logs_${m}`), `a partition for ${m}: ${names.join(' ')}`)
    }
    assert.ok(names.includes('audit_logs_default'))
    const inDefault = await sql<{ n: number }>`select count(*)::int as n from private.audit_logs_default`.execute(t.db)
    assert.equal(inDefault.rows[0]?.n, 0, 'every converted row is in its month')

    // The triggers still write one row per change into the partitioned trail.
    const n = (await trailFingerprint(t.db)).n
    await asUser(t.db, cast.a.adminId, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'After' }).execute())
    assert.equal((await trailFingerprint(t.db)).n, n + 1)
  })
})

describe('the partitioned trail', () => {
  let t: TestDb
  let cast: Cast
  before(async () => {
    t = await freshDb()
    cast = await createCast(t.db)
    // Rows of both organizations in past months (and the current one, from the fixture).
    await sql`insert into public.audit_logs (organization_id, action, table_name, created_at)
              select case when g % 2 = 0 then ${cast.a.id}::uuid else ${cast.b.id}::uuid end, 'INSERT', 'customers',
                     date_trunc('month', now()) - g * interval '11 days'
                from generate_series(1, 60) g`.execute(t.db)
    await maintainAuditPartitions(t.db)
  })
  after(async () => {
    await t?.close()
  })

  describe('every partition is closed to every actor but the owner', () => {
    it('each partition is in private, with row level security, no API grants, the append-only trigger and a no-policies comment', async () => {
      const r = await sql<{ name: string; schema: string; rls: boolean; grants: string[]; trigger: boolean; comment: string | null }>`
        select c.relname as name, c.relnamespace::regnamespace::text as schema, c.relrowsecurity as rls,
               array(select a.grantee::regrole::text from aclexplode(c.relacl) a where a.grantee <> c.relowner) as grants,
               exists (select 1 from pg_trigger g where g.tgrelid = c.oid and g.tgname = 'audit_logs_append_only' and not g.tgisinternal) as trigger,
               obj_description(c.oid, 'pg_class') as comment
          from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'public.audit_logs'::regclass order by 1`.execute(t.db)
      assert.ok(r.rows.length >= 6)
      for (const p of r.rows) {
        assert.deepEqual([p.schema, p.rls, p.grants, p.trigger], ['private', true, [], true], p.name)
        assert.match(p.comment ?? '', /no policies/i, p.name)
      }
    })

    it('reading, writing, truncating or dropping a partition directly: refused (42501) to every API actor; the owner only reads and inserts', async () => {
      const names = await partitionNames(t.db)
      const sample = [...names.filter((n) => n !== 'audit_logs_default').slice(0, 2), 'audit_logs_default', names.filter((n) => n !== 'audit_logs_default').at(-1) ?? '']
      const month = monthOf(new Date())
      const ops: Record<string, (p: string) => string> = {
        select: (p) => `select * from private.${p}`,
        insert: (p) => p === 'audit_logs_default'
          ? `insert into private.${p} (organization_id, action, table_name, created_at) values ('${cast.a.id}', 'INSERT', 'customers', '1900-01-01')`
          : `insert into private.${p} (organization_id, action, table_name, created_at) select '${cast.a.id}', 'INSERT', 'customers', lower_bound
               from (select to_date(substr('${p}', 12), 'YYYY_MM')::timestamp at time zone 'UTC' as lower_bound) x`,
        update: (p) => `update private.${p} set action = 'DELETE'`,
        delete: (p) => `delete from private.${p}`,
        truncate: (p) => `truncate private.${p}`,
        drop: (p) => `drop table private.${p}`,
      }
      const ownerMay = new Set(['select', 'insert', 'drop'])
      for (const p of sample) {
        for (const [op, text] of Object.entries(ops)) {
          for (const actor of ACTORS) {
            const code = await codeAs(t.db, cast, actor, (trx) => sql.raw(text(p)).execute(trx))
            const expected = actor === 'system' && ownerMay.has(op) ? null : '42501'
            assert.equal(code, expected, `${op} ${p} as ${actor} (current month ${month})`)
          }
        }
      }
    })

    it('the doctor finds nothing on the partitions, and names one an API role could read', async () => {
      assert.deepEqual(await runDoctor(t.db), [])
      const found = await asSystem(t.db, async (trx) => {
        await sql`grant select on private.audit_logs_default to authenticated`.execute(trx)
        return runDoctor<Database>(trx)
      }, { attempts: 1, rollback: true })
      assert.deepEqual(found.map((f) => [f.check, f.object]), [['partition_exposed', 'private.audit_logs_default']])
      assert.match(found[0]?.message ?? '', /authenticated SELECT/)
    })

    it('through audit_logs, each actor sees in every month exactly what the policy allows', async () => {
      const all = await asSystem(t.db, (trx) => sql<{ org: string; n: number }>`
        select organization_id::text as org, count(*)::int as n from public.audit_logs group by 1`.execute(trx))
      const total = all.rows.reduce((s, r) => s + r.n, 0)
      const ofOrg = (id: string) => all.rows.find((r) => r.org === id)?.n ?? 0
      const expected: Record<ActorName, number> = {
        anon: 0, outsider: 0, memberA: 0, memberB: 0, adminA: ofOrg(cast.a.id), adminB: ofOrg(cast.b.id), service: total, system: total,
      }
      for (const actor of ACTORS) {
        let seen = -1
        const code = await codeAs(t.db, cast, actor, async (trx) => {
          seen = (await sql<{ n: number }>`select count(*)::int as n from public.audit_logs`.execute(trx)).rows[0]?.n ?? -1
        })
        assert.equal(code, null)
        assert.equal(seen, expected[actor], actor)
      }
      assert.ok(ofOrg(cast.a.id) > 30 && ofOrg(cast.b.id) > 30)
    })
  })

  describe('maintenance', () => {
    it('creates the months ahead that are missing, and reports nothing when all exist', async () => {
      const ahead = `audit_logs_${monthOf(new Date(), 3).replace('-', '_')}`
      await sql.raw(`alter table public.audit_logs detach partition private.${ahead}; drop table private.${ahead}`).execute(t.db)
      assert.deepEqual(await maintainAuditPartitions(t.db), [{ partition: `private.${ahead}`, action: 'created', rows: 0 }])
      assert.deepEqual(await maintainAuditPartitions(t.db), [])
      assert.ok((await partitionNames(t.db)).includes(ahead))
    })

    it('a row outside every month lands in the default partition; maintenance moves it to its month, unchanged', async () => {
      const id = await asSystem(t.db, async (trx) => (await sql<{ id: string }>`
        insert into public.audit_logs (organization_id, action, table_name, new_data, created_at)
        values (${cast.a.id}, 'INSERT', 'customers', '{"stray": true}', '1990-06-15 12:00:00.123456+00') returning id`.execute(trx)).rows[0]?.id)
      const row = async () => (await sql<{ r: string; at: string }>`
        select to_jsonb(a)::text as r, tableoid::regclass::text as at from public.audit_logs a where id = ${id}`.execute(t.db)).rows[0]
      const before = await row()
      assert.equal(before?.at, 'private.audit_logs_default')
      assert.deepEqual(await maintainAuditPartitions(t.db), [{ partition: 'private.audit_logs_1990_06', action: 'moved', rows: 1 }])
      const after = await row()
      assert.deepEqual(after, { r: before?.r, at: 'private.audit_logs_1990_06' })
      const d = await sql<{ n: number }>`select count(*)::int as n from private.audit_logs_default`.execute(t.db)
      assert.equal(d.rows[0]?.n, 0)
      // The new default partition is protected like the one it replaced.
      assert.equal(await codeAs(t.db, cast, 'service', (trx) => sql`select * from private.audit_logs_default`.execute(trx)), '42501')
      assert.equal(await codeAs(t.db, cast, 'system', (trx) => sql`delete from private.audit_logs_default`.execute(trx)), '42501')
    })

    it('is for the owner and service_role only', async () => {
      for (const actor of ACTORS) {
        const code = await codeAs(t.db, cast, actor, (trx) => sql`select * from private.audit_logs_maintain()`.execute(trx))
        assert.equal(code, actor === 'system' || actor === 'service' ? null : '42501', actor)
      }
    })
  })

  describe('readAuditTrail', () => {
    /** The statements readAuditTrail runs, captured on a second Kysely over the same pool. */
    async function plansOf(run: (db: Db) => Promise<unknown>): Promise<string> {
      const captured: { sql: string; parameters: readonly unknown[] }[] = []
      const spy = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: t.pool }),
        log: (e) => { if (e.level === 'query') captured.push({ sql: e.query.sql, parameters: e.query.parameters }) },
      })
      await run(spy)
      const q = captured.find((c) => /from "audit_logs"/.test(c.sql))
      assert.ok(q, 'readAuditTrail ran a query')
      const r = await t.pool.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${q.sql}`, [...q.parameters])
      return r.rows.map((x) => x['QUERY PLAN']).join('\n')
    }

    it('reads only the months a period covers, through the organization index', async () => {
      const month = monthOf(new Date(), -1)
      const next = monthOf(new Date())
      const plan = await plansOf((db) => readAuditTrail(db, { organizationId: cast.a.id, since: `${month}-01T00:00:00Z`, until: `${next}-01T00:00:00Z` }))
      const scanned = [...plan.matchAll(/on (audit_logs_\w+)/g)].map((m) => m[1])
      assert.deepEqual([...new Set(scanned)], [`audit_logs_${month.replace('-', '_')}`], plan)
      assert.match(plan, /audit_logs_\w+_organization_id_created_at_id_idx|idx_audit_logs_org_created/, plan)
    })

    it('a cursor leaves out the months newer than its position', async () => {
      const first = await readAuditTrail(t.db, { organizationId: cast.a.id, until: `${monthOf(new Date(), -1)}-01T00:00:00Z`, limit: 2 })
      assert.ok(first.nextCursor)
      const cursor = first.nextCursor
      const plan = await plansOf((db) => readAuditTrail(db, { organizationId: cast.a.id, cursor }))
      const current = `audit_logs_${monthOf(new Date()).replace('-', '_')}`
      assert.ok(!plan.includes(current), plan)
      // The pages still join up: newest first, no row twice.
      const second = await readAuditTrail(t.db, { organizationId: cast.a.id, cursor, limit: 5 })
      const ids = [...first.rows, ...second.rows].map((r) => r.id)
      assert.equal(new Set(ids).size, ids.length)
      const times = [...first.rows, ...second.rows].map((r) => r.created_at.getTime())
      assert.deepEqual(times, [...times].sort((x, y) => y - x))
    })
  })

  describe('prune', () => {
    it('refuses the current and the previous month, and anything not a month', async () => {
      const now = new Date()
      assert.match(pruneRefusal(monthOf(now), now) ?? '', /refusing/)
      assert.match(pruneRefusal(monthOf(now, 1), now) ?? '', /refusing/)
      assert.equal(pruneRefusal(monthOf(now, -1), now), null, 'before the previous month: the months before it go')
      await assert.rejects(pruneAuditMonths(t.db, { before: monthOf(now) }), AuditRetentionError)
      await assert.rejects(pruneAuditMonths(t.db, { before: '2025-13' }), InvalidInputError)
      // The database refuses too, whoever asks.
      await assert.rejects(asSystem(t.db, (trx) => sql`select * from private.audit_logs_prune(${`${monthOf(now)}-01`}::date)`.execute(trx)), InvalidInputError)
      await assert.rejects(asSystem(t.db, (trx) => sql`select * from private.audit_logs_prune('2020-01-15'::date)`.execute(trx)), InvalidInputError)
    })

    it('is for the owner and service_role only', async () => {
      for (const actor of ACTORS) {
        const code = await codeAs(t.db, cast, actor, (trx) => sql`select * from private.audit_logs_prune('1980-01-01'::date)`.execute(trx))
        assert.equal(code, actor === 'system' || actor === 'service' ? null : '42501', actor)
      }
      await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => sql`select * from private.audit_logs_prune('1980-01-01'::date)`.execute(trx)), NotAuthorizedError)
    })

    it('exports and drops whole months, and leaves a row per organization saying which months, how many rows, by whom', async () => {
      const before = monthOf(new Date(), -1)
      const partitions = await listAuditPartitions(t.db)
      const going = partitions.filter((p) => p.month !== null && p.month < before)
      assert.ok(going.length >= 2, 'months to prune')
      const goingRows = going.reduce((s, p) => s + p.rows, 0)
      const expectedRows = await sql<{ r: string }>`
        select to_jsonb(a)::text as r from public.audit_logs a where created_at < ${`${before}-01T00:00:00Z`}::timestamptz order by created_at, id`.execute(t.db)
      const perOrg = await sql<{ org: string; n: number }>`
        select organization_id::text as org, count(*)::int as n from public.audit_logs
         where created_at < ${`${before}-01T00:00:00Z`}::timestamptz group by 1`.execute(t.db)
      const total = (await trailFingerprint(t.db)).n
      const dir = mkdtempSync(join(tmpdir(), 'tenantry-audit-export-'))
      try {
        const result = await pruneAuditMonths(t.db, { before, exportDir: dir })
        assert.deepEqual(result.months.map((m) => [m.month, m.rows]), going.map((p) => [p.month, p.rows]))
        assert.equal(result.rows, goingRows)
        assert.equal(result.rows, expectedRows.rows.length)

        // One file per month, holding exactly that month's rows.
        assert.deepEqual(readdirSync(dir).sort(), going.map((p) => `audit_logs_${p.month}.jsonl.gz`).sort())
        const lines = going.flatMap((p) => gunzipSync(readFileSync(join(dir, `audit_logs_${p.month}.jsonl.gz`))).toString('utf8').split('\n').filter(Boolean))
        assert.deepEqual(lines.map((l) => JSON.stringify(JSON.parse(l))), expectedRows.rows.map((r) => JSON.stringify(JSON.parse(r.r))))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }

      const names = await partitionNames(t.db)
      for (const p of going) assert.ok(!names.includes(p.partition.replace('private.', '')), `${p.partition} is gone`)
      const marks = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').selectAll().where('table_name', '=', 'audit_logs').execute())
      assert.deepEqual(
        marks.map((m) => [m.organization_id, m.action, m.user_id, m.record_id, m.new_data, m.old_data?.['rows'], m.old_data?.['rows_all_organizations'], m.old_data?.['pruned_months'], m.old_data?.['by']])
          .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        perOrg.rows.map((o) => [o.org, 'DELETE', null, null, null, o.n, goingRows, going.map((p) => p.month), 'postgres'])
          .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      )
      assert.equal((await trailFingerprint(t.db)).n, total - goingRows + perOrg.rows.length)
      // Each organization's admins see their own organization's row, and only that one.
      const seen = await asUser(t.db, cast.a.adminId, (trx) => readAuditTrail(trx, { table: 'audit_logs' }))
      assert.deepEqual(seen.rows.map((r) => r.organization_id), [cast.a.id])

      // Nothing is left to prune; a second run changes nothing.
      assert.deepEqual(await pruneAuditMonths(t.db, { before }), { months: [], rows: 0 })
    })
  })
})
