// Reads on a replica: read-only sessions ({ readOnly: true }) run on a hot standby fed by streaming
// replication (TENANTRY_TEST_REPLICA_URL; CI makes one with pg_basebackup -R: .ci/run), over the
// login role. RLS, the membership helpers, the audit trail reader and the dashboard's queries work
// there (nothing in the read path writes); writes never go there; a member removed on the primary
// loses access on the replica once replay catches up (the lag is measured); an unreachable replica
// is a typed error within its timeout, or a read on the primary when asked. Without a replica,
// readOnly runs read-only on the primary (that part runs everywhere).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  asAnon, asSystem, asUser, createDb, type DbHandle, DbError, readAuditTrail, removeMember, ReplicaUnavailableError, waitForReplica,
} from '../lib/db/index.js'
import { DASHBOARD_QUESTIONS, type DashboardParams } from '../bench/questions.js'
import { freshDb, onServer, type TestDb } from './support/db.js'
import { createCast, type Cast } from './support/fixtures.js'
import { createTeam } from './support/teams.js'
import { asLoginRole, LOGIN_ROLE, replicaBase, sameDatabaseAt } from './support/production.js'

const PARAMS: DashboardParams = {
  revenue: { start: '2020-01-01', end: '2022-12-31' },
  activities: { since: '2020-01-01T00:00:00Z', until: '2020-12-31T00:00:00Z' },
  aiUsage: { start: '2020-01-01', end: '2020-12-31' },
  asOf: '2020-06-30',
  commonDocument: { format: 'pdf' },
  rareDocument: { rows: 1234 },
}

describe('readOnly without a replica', () => {
  let t: TestDb
  before(async () => {
    t = await freshDb()
  })
  after(async () => {
    await t?.close()
  })

  it('runs on the primary in a read-only transaction: reads work, writes fail with 25006', async () => {
    const cast = await createCast(t.db)
    const seen = await asUser(t.db, cast.a.memberId, (trx) => trx.selectFrom('customers').select('organization_id').execute(), { readOnly: true })
    assert.ok(seen.length > 0 && seen.every((c) => c.organization_id === cast.a.id))
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'Read only' }).execute(), { readOnly: true }),
      (e: unknown) => e instanceof DbError && e.code === '25006',
    )
  })
})

describe('reads on a streaming replica', { skip: !(onServer && replicaBase) && 'needs a hot standby of the DATABASE_URL server: TENANTRY_TEST_REPLICA_URL (CI sets it)' }, () => {
  let t: TestDb
  let h: DbHandle
  let cast: Cast

  before(async () => {
    t = await freshDb()
    assert.ok(t.url && replicaBase)
    cast = await createCast(t.db)
    await asSystem(t.db, (trx) => trx.insertInto('revenue')
      .values(Array.from({ length: 40 }, (_, i) => ({ organization_id: i % 2 ? cast.a.id : cast.b.id, customer_id: i % 2 ? cast.a.customerId : cast.b.customerId, amount: `${i + 1}.50`, date: '2026-01-15' })))
      .execute())
    h = await createDb({
      databaseUrl: t.url,
      authenticatorUrl: asLoginRole(t.url),
      replicaUrl: sameDatabaseAt(replicaBase, t.url, LOGIN_ROLE),
      poolSize: 3,
    })
    // The database and its rows were made on the primary: wait until the standby has them.
    await waitForReplica(h.db, { timeoutMs: 20_000 })
  })
  after(async () => {
    await h?.close()
    await t?.close()
  })

  it('a read-only session runs on the standby, logged in as the login role; a plain one on the primary', async () => {
    const where = sql<{ standby: boolean; login: string; role: string }>`select pg_is_in_recovery() as standby, session_user as login, current_user as role`
    const ro = await asUser(h.db, cast.a.memberId, async (trx) => (await where.execute(trx)).rows[0], { readOnly: true })
    assert.deepEqual(ro, { standby: true, login: LOGIN_ROLE, role: 'authenticated' })
    const rw = await asUser(h.db, cast.a.memberId, async (trx) => (await where.execute(trx)).rows[0])
    assert.deepEqual(rw, { standby: false, login: LOGIN_ROLE, role: 'authenticated' })
  })

  it('120 interleaved read-only sessions of admins, members, outsiders and anon each see exactly what they see on the primary', async () => {
    const who = [cast.a.adminId, cast.a.memberId, cast.b.adminId, cast.b.memberId, cast.outsiderId, null]
    const read = (userId: string | null, readOnly: boolean): Promise<string[]> => {
      const fn = async (trx: Parameters<Parameters<typeof asAnon>[1]>[0]): Promise<string[]> => {
        const rows = await trx.selectFrom('customers').select(['id', 'organization_id']).orderBy('id').execute()
        const revenue = await trx.selectFrom('revenue').select('organization_id').execute()
        return [...rows.map((r) => `${r.organization_id}:${r.id}`), ...revenue.map((r) => `rev:${r.organization_id}`).sort()]
      }
      return userId === null ? asAnon(h.db, fn, { readOnly }) : asUser(h.db, userId, fn, { readOnly })
    }
    const expected = await Promise.all(who.map((u) => read(u, false)))
    const runs = Array.from({ length: 120 }, async (_, i) => {
      const k = i % who.length
      const seen = await read(who[k] ?? null, true)
      assert.deepEqual(seen, expected[k], `session ${i} (${k})`)
      return seen.length
    })
    const sizes = await Promise.all(runs)
    assert.ok(sizes.some((n) => n > 0) && sizes.some((n) => n === 0), 'some see rows, anon and the outsider none')
  })

  it('the audit trail reader, the membership helpers and the dashboard queries work on the standby, with the primary\'s answers', async () => {
    const onBoth = async <T>(userId: string, fn: Parameters<typeof asUser<T>>[2]): Promise<void> => {
      const primary = await asUser(h.db, userId, fn)
      const replica = await asUser(h.db, userId, fn, { readOnly: true })
      assert.deepEqual(replica, primary)
    }
    await onBoth(cast.a.adminId, async (trx) => {
      const page = await readAuditTrail(trx, { limit: 50 })
      assert.ok(page.rows.length > 0)
      return page.rows.map((r) => r.id)
    })
    await onBoth(cast.a.memberId, async (trx) => (await sql<{ org: string | null; admin: string | null }>`
      select private.current_org_id()::text as org, private.admin_org_id()::text as admin`.execute(trx)).rows)
    for (const q of DASHBOARD_QUESTIONS) {
      await onBoth(cast.a.memberId, async (trx) => (await q.app(PARAMS).execute(trx)).rows)
    }
  })

  it('writes never go to the standby: a read-only session that writes fails (25006) and nothing changes', async () => {
    await assert.rejects(
      asUser(h.db, cast.a.adminId, (trx) => trx.updateTable('customers').set({ name: 'Changed on the replica?' }).where('id', '=', cast.a.customerId).execute(), { readOnly: true }),
      (e: unknown) => e instanceof DbError && e.code === '25006',
    )
    const name = await asSystem(t.db, (trx) => trx.selectFrom('customers').select('name').where('id', '=', cast.a.customerId).executeTakeFirstOrThrow())
    assert.notEqual(name.name, 'Changed on the replica?')
  })

  it('a member removed on the primary loses access on the standby once replay catches up (lag measured)', async () => {
    const team = await createTeam(t.db, 'replica', 1)
    await asSystem(t.db, (trx) => trx.insertInto('customers').values({ organization_id: team.orgId, name: 'Replica probe' }).execute())
    await waitForReplica(h.db, { timeoutMs: 20_000 })
    const count = (): Promise<number> => asUser(h.db, team.memberId, async (trx) =>
      (await trx.selectFrom('customers').select('id').execute()).length, { readOnly: true })
    assert.equal(await count(), 1, 'the member sees the team\'s customer on the standby')
    const lags: number[] = []
    for (let round = 0; round < 5; round++) {
      if (round > 0) {
        // Back in, for the next measurement.
        await asSystem(t.db, (trx) => trx.updateTable('profiles').set({ organization_id: team.orgId }).where('id', '=', team.memberId).execute())
        await waitForReplica(h.db, { timeoutMs: 20_000 })
        assert.equal(await count(), 1)
      }
      await asUser(t.db, team.adminId, (trx) => removeMember(trx, team.memberId))
      const removedAt = performance.now()
      for (;;) {
        if ((await count()) === 0) break
        assert.ok(performance.now() - removedAt < 20_000, 'replay caught up within 20 s')
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      lags.push(performance.now() - removedAt)
    }
    const sorted = [...lags].sort((x, y) => x - y)
    console.log(`# removal visible on the standby after ${sorted.map((l) => l.toFixed(1)).join(', ')} ms (5 rounds; includes one read-only session per poll)`)
  })

  it('an unreachable replica is a ReplicaUnavailableError within its connect timeout, never a hang; or a read on the primary when asked', async () => {
    assert.ok(t.url)
    // A port that refuses, and a listener that accepts and never answers (a dead host behind a firewall looks so).
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const address = silent.address()
    assert.ok(address && typeof address === 'object')
    const targets = { refused: 'postgres://x@127.0.0.1:1/postgres', silent: `postgres://x@127.0.0.1:${address.port}/postgres` }
    try {
      for (const [label, replicaUrl] of Object.entries(targets)) {
        const broken = await createDb({ databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url), replicaUrl, replicaTimeoutMs: { connect: 800 }, poolSize: 1 })
        try {
          const started = performance.now()
          await assert.rejects(asUser(broken.db, cast.a.memberId, (trx) => trx.selectFrom('customers').select('id').execute(), { readOnly: true }), ReplicaUnavailableError)
          const ms = performance.now() - started
          assert.ok(ms < 5000, `${label}: failed after ${ms.toFixed(0)} ms`)
          console.log(`# replica ${label}: ReplicaUnavailableError after ${ms.toFixed(0)} ms`)
        } finally {
          await broken.close()
        }
      }
      const fallback = await createDb({
        databaseUrl: t.url, authenticatorUrl: asLoginRole(t.url), replicaUrl: targets.refused, replicaFallback: 'primary', poolSize: 1,
      })
      try {
        const r = await asUser(fallback.db, cast.a.memberId, async (trx) =>
          (await sql<{ standby: boolean }>`select pg_is_in_recovery() as standby`.execute(trx)).rows[0], { readOnly: true })
        assert.deepEqual(r, { standby: false }, 'read on the primary instead')
      } finally {
        await fallback.close()
      }
    } finally {
      silent.close()
    }
  })
})
