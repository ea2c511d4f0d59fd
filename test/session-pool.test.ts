// Tenant-scoped sessions over a small pool: many interleaved sessions of different users (and anon,
// service, system), each seeing only its own organization; nothing of a session's role or claims
// reaches the next user of the pooled connection, also when the session failed. On the embedded
// database the pool has exactly one session, so the interleaving is serialized there; it still runs.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { sql, type Transaction } from 'kysely'
import { type Actor, asSystem, asUser, type Database, NotAuthorizedError, withActor } from '../lib/db/index.js'
import { onServer, useFreshDb } from './support/db.js'
import { createTeam, type Team } from './support/teams.js'

const POOL_SIZE = 3
const TEAMS = 6
const CUSTOMERS_PER_TEAM = 3

const h = useFreshDb({ poolSize: POOL_SIZE })
let teams: Team[]
let allOrgIds: string[]

h.before(async () => {
  teams = []
  for (let i = 0; i < TEAMS; i++) teams.push(await createTeam(h.db, `pool${i}`, 2))
  await asSystem(h.db, (trx) => trx.insertInto('customers')
    .values(teams.flatMap((t, i) => Array.from({ length: CUSTOMERS_PER_TEAM }, (_, j) => ({ organization_id: t.orgId, name: `Pool ${i}.${j}` }))))
    .execute())
  allOrgIds = teams.map((t) => t.orgId).sort()
})

interface Observation {
  uid: string | null
  role: string
  claims: string | null
  pid: number
  orgIds: string[]
  customerOrgIds: string[]
}

async function observe(trx: Transaction<Database>): Promise<Observation> {
  const r = await sql<{ uid: string | null; role: string; claims: string | null; pid: number }>`
    select auth.uid() as uid, current_user as role,
           current_setting('request.jwt.claims', true) as claims, pg_backend_pid() as pid`.execute(trx)
  const row = r.rows[0]
  assert.ok(row)
  const orgs = await trx.selectFrom('organizations').select('id').where('id', 'in', allOrgIds).orderBy('id').execute()
  const customers = await trx.selectFrom('customers').select('organization_id').where('organization_id', 'in', allOrgIds).execute()
  return { ...row, orgIds: orgs.map((o) => o.id), customerOrgIds: [...new Set(customers.map((c) => c.organization_id))].sort() }
}

/** Holds the connection a little, in the database and in JS, so that sessions overlap. */
async function dawdle(trx: Transaction<Database>, i: number): Promise<void> {
  const ms = (i * 7) % 5
  await sql`select pg_sleep(${ms / 1000})`.execute(trx)
  await delay(ms)
}

type Expectation =
  | { kind: 'user'; userId: string; orgId: string }
  | { kind: 'anon' }
  | { kind: 'service' }
  | { kind: 'system' }

function check(seen: Observation, expected: Expectation, label: string): void {
  switch (expected.kind) {
    case 'user': {
      assert.equal(seen.uid, expected.userId, `${label}: auth.uid()`)
      assert.equal(seen.role, 'authenticated', `${label}: role`)
      const claims: unknown = JSON.parse(seen.claims ?? 'null')
      assert.ok(typeof claims === 'object' && claims !== null && 'sub' in claims && claims.sub === expected.userId, `${label}: claims`)
      assert.deepEqual(seen.orgIds, [expected.orgId], `${label}: organizations`)
      assert.deepEqual(seen.customerOrgIds, [expected.orgId], `${label}: customers`)
      break
    }
    case 'anon':
      assert.equal(seen.uid, null, `${label}: auth.uid()`)
      assert.equal(seen.role, 'anon', `${label}: role`)
      assert.deepEqual(seen.orgIds, [], `${label}: organizations`)
      assert.deepEqual(seen.customerOrgIds, [], `${label}: customers`)
      break
    case 'service':
    case 'system':
      assert.equal(seen.uid, null, `${label}: auth.uid()`)
      if (expected.kind === 'service') assert.equal(seen.role, 'service_role', `${label}: role`)
      else assert.ok(!['anon', 'authenticated', 'service_role'].includes(seen.role), `${label}: role ${seen.role}`)
      assert.deepEqual(seen.orgIds, allOrgIds, `${label}: organizations`)
      assert.deepEqual(seen.customerOrgIds, allOrgIds, `${label}: customers`)
      break
  }
}

function actorFor(e: Expectation): Actor {
  return e.kind === 'user' ? { kind: 'user', userId: e.userId } : { kind: e.kind }
}

/** The i-th session of a mixed workload: mostly users of every team, some anon, service and system. */
function expectationFor(i: number): Expectation {
  if (i % 11 === 5) return { kind: 'anon' }
  if (i % 13 === 7) return { kind: 'service' }
  if (i % 17 === 3) return { kind: 'system' }
  const team = teams[i % TEAMS]
  assert.ok(team)
  const users = [team.adminId, ...team.memberIds]
  const userId = users[Math.floor(i / TEAMS) % users.length]
  assert.ok(userId)
  return { kind: 'user', userId, orgId: team.orgId }
}

/** Every connection of the pool, checked out at once, must be back to the login role with no claims. */
async function assertPoolClean(): Promise<void> {
  const size = h.pool.options.max
  const clients = await Promise.all(Array.from({ length: size }, () => h.pool.connect()))
  try {
    for (const client of clients) {
      const r = await client.query<{ cu: string; su: string; uid: string | null; claims: string | null }>(
        `select current_user as cu, session_user as su, auth.uid() as uid,
                current_setting('request.jwt.claims', true) as claims`)
      const row = r.rows[0]
      assert.ok(row)
      assert.equal(row.cu, row.su, 'the role is back to the login role')
      assert.equal(row.uid, null, 'no user')
      assert.ok(row.claims === null || row.claims === '', `no claims left (${row.claims})`)
    }
  } finally {
    for (const client of clients) client.release()
  }
}

describe('interleaved sessions over a small pool', () => {
  test(`the pool is as small as asked (${onServer ? POOL_SIZE : 1} connection${onServer ? 's' : ''})`, () => {
    assert.equal(h.pool.options.max, onServer ? POOL_SIZE : 1)
  })

  test('120 interleaved sessions of 18 users, anon, service and system each see only their own', async () => {
    const runs = Array.from({ length: 120 }, (_, i) => {
      const expected = expectationFor(i)
      return withActor(h.db, actorFor(expected), async (trx) => {
        const first = await observe(trx)
        await dawdle(trx, i)
        const second = await observe(trx)
        return { i, expected, first, second }
      })
    })
    const results = await Promise.all(runs)
    const usersByPid = new Map<number, Set<string>>()
    for (const { i, expected, first, second } of results) {
      check(first, expected, `session ${i} (start)`)
      check(second, expected, `session ${i} (after waiting)`)
      assert.equal(first.pid, second.pid)
      const who = expected.kind === 'user' ? expected.userId : expected.kind
      usersByPid.set(first.pid, (usersByPid.get(first.pid) ?? new Set()).add(who))
    }
    assert.ok(results.some((r) => r.expected.kind === 'anon') && results.some((r) => r.expected.kind === 'service') &&
      results.some((r) => r.expected.kind === 'system'))
    if (onServer) {
      assert.ok(usersByPid.size <= POOL_SIZE, `at most ${POOL_SIZE} connections served (${usersByPid.size})`)
      // Pigeonhole: 18 users over 3 connections, so connections were handed from one user to another.
      assert.ok([...usersByPid.values()].some((users) => users.size > 1), 'a connection served several users')
    }
    await assertPoolClean()
  })

  test('one connection handed from user to user: each sees only their own organization', async () => {
    const [a, b] = teams
    assert.ok(a && b)
    const pids = new Set<number>()
    for (let round = 0; round < 5; round++) {
      for (const [team, userId] of [[a, a.adminId], [b, b.memberId], [a, a.memberId], [b, b.adminId]] as const) {
        const seen = await asUser(h.db, userId, observe)
        check(seen, { kind: 'user', userId, orgId: team.orgId }, `round ${round}`)
        pids.add(seen.pid)
      }
    }
    assert.ok(pids.size <= POOL_SIZE)
    await assertPoolClean()
  })

  test('outside any session nothing is set', async () => {
    await asUser(h.db, teams[0]?.adminId ?? '', observe)
    const r = await sql<{ uid: string | null; cu: string; su: string }>`select auth.uid() as uid, current_user as cu, session_user as su`.execute(h.db)
    assert.deepEqual(r.rows[0] && { uid: r.rows[0].uid, same: r.rows[0].cu === r.rows[0].su }, { uid: null, same: true })
  })
})

describe('failed sessions leak nothing either', () => {
  test('a database error inside a session (RLS violation) rolls back and leaves the connection clean', async () => {
    const team = teams[1]
    assert.ok(team)
    await assert.rejects(
      asUser(h.db, team.memberId, (trx) => trx.insertInto('customers').values({ organization_id: team.orgId, name: 'Not allowed' }).execute()),
      NotAuthorizedError,
    )
    await assertPoolClean()
    const other = teams[2]
    assert.ok(other)
    check(await asUser(h.db, other.memberId, observe), { kind: 'user', userId: other.memberId, orgId: other.orgId }, 'next user')
  })

  test('an exception thrown by the code inside a session rolls back its writes and leaves the connection clean', async () => {
    const team = teams[3]
    assert.ok(team)
    await assert.rejects(
      asUser(h.db, team.adminId, async (trx) => {
        await trx.insertInto('customers').values({ organization_id: team.orgId, name: 'Rolled back' }).execute()
        throw new Error('application failure')
      }),
      /application failure/,
    )
    const kept = await asSystem(h.db, (trx) => trx.selectFrom('customers').select('id').where('name', '=', 'Rolled back').execute())
    assert.deepEqual(kept, [])
    await assertPoolClean()
  })

  test('interleaved failing and succeeding sessions: the survivors see only their own organization', async () => {
    const runs = Array.from({ length: 60 }, async (_, i) => {
      const expected = expectationFor(i)
      const fail = i % 3 === 0
      try {
        const seen = await withActor(h.db, actorFor(expected), async (trx) => {
          const first = await observe(trx)
          await dawdle(trx, i)
          if (fail && i % 2 === 0) await sql`select 1 / 0`.execute(trx)
          if (fail) throw new Error(`session ${i} fails`)
          return first
        })
        return { i, expected, seen, failed: false }
      } catch (e) {
        assert.ok(fail, `session ${i} was not meant to fail: ${String(e)}`)
        return { i, expected, seen: null, failed: true }
      }
    })
    const results = await Promise.all(runs)
    assert.equal(results.filter((r) => r.failed).length, 20)
    for (const r of results) if (r.seen) check(r.seen, r.expected, `session ${r.i}`)
    await assertPoolClean()
    // And the next round on the same connections is still right.
    for (let i = 0; i < TEAMS * 2; i++) {
      const expected = expectationFor(i)
      check(await withActor(h.db, actorFor(expected), observe), expected, `after the failures, session ${i}`)
    }
  })

  test('claims travel as a parameter: quotes and JSON in them are data, not SQL', async () => {
    const team = teams[4]
    assert.ok(team)
    const tricky = `x'); set role postgres; select ('"\\`
    const r = await asUser(h.db, { sub: team.memberId, email: tricky, app_metadata: { plan: "o'brien" } }, async (trx) => {
      const row = await sql<{ email: string | null; plan: string | null; cu: string }>`
        select auth.jwt() ->> 'email' as email, auth.jwt() -> 'app_metadata' ->> 'plan' as plan, current_user as cu`.execute(trx)
      return { row: row.rows[0], seen: await observe(trx) }
    })
    assert.deepEqual(r.row, { email: tricky, plan: "o'brien", cu: 'authenticated' })
    check(r.seen, { kind: 'user', userId: team.memberId, orgId: team.orgId }, 'tricky claims')
    await assertPoolClean()
  })
})
