// Load and concurrency on a real PostgreSQL server: 24 workers (two admins and a member of each of 8
// organizations) share a pool of 20 connections and make at least 10,000 committed writes — inserts,
// updates, soft deletes and restores of customers, revenue and activities, multi-customer revenue
// transactions that take row locks in random order (deadlocks), role changes — plus refused attempts
// (members writing, admins aiming at other organizations). Afterwards:
//   - the audit rows added are exactly the committed changes: same table, action, record, organization
//     and acting user, one each (refused attempts and rolled-back retries leave nothing);
//   - no row crosses a tenant boundary, and every audit row's actor belongs to its organization;
//   - every customer's derived figures equal its live revenue;
//   - no error escaped the session helpers (deadlocks and serialization failures were retried).
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import { describe, it } from 'node:test'
import { type Kysely, sql, type Transaction } from 'kysely'
import {
  asSystem, asUser, changeRole, type Database, NotAuthorizedError, NotFoundError, type ProfileRole, restore, softDelete, type SoftDeleteTable,
} from '../lib/db/index.js'
import { onServer, useFreshDb } from './support/db.js'
import { crossTenantRows, fingerprint, inconsistentCustomers, writtenSince } from './support/invariants.js'
import { createTeam } from './support/teams.js'

const ORGS = 8
const POOL = 20
const TARGET_WRITES = Number(process.env.LOAD_WRITES ?? 10_000)
const HOT_CUSTOMERS = 4
const SESSIONS_PER_ADMIN = 3

interface OrgState {
  id: string
  admins: string[]
  member: string
  /** Members whose role the admins toggle. */
  toggled: string[]
  customers: string[]
  hot: string[]
  revenue: string[]
  activities: string[]
}

/** One expected audit row: table|action|record|organization|user. */
type Audit = string

function audit(table: string, action: string, record: string, org: string, user: string): Audit {
  return [table, action, record, org, user].join('|')
}

function pick<T>(list: readonly T[]): T {
  const x = list[randomInt(list.length)]
  if (x === undefined) throw new Error('pick from an empty list')
  return x
}

const h = useFreshDb({ poolSize: POOL, when: onServer })
let db: Kysely<Database>
let orgs: OrgState[]

h.before(async () => {
  db = h.db
  orgs = []
  for (let i = 0; i < ORGS; i++) {
    const team = await createTeam(db, `load${i}`, 4)
    const [second, member, ...toggled] = team.memberIds
    if (!second || !member) throw new Error('team too small')
    await asSystem(db, (trx) => changeRole(trx, second, 'admin'))
    const customers = await asSystem(db, (trx) => trx.insertInto('customers')
      .values(Array.from({ length: 12 }, (_, j) => ({ organization_id: team.orgId, name: `Load ${i}.${j}` })))
      .returning('id').execute())
    const ids = customers.map((c) => c.id)
    orgs.push({
      id: team.orgId, admins: [team.adminId, second], member, toggled, customers: ids, hot: ids.slice(0, HOT_CUSTOMERS),
      revenue: [], activities: [],
    })
  }
})

interface Stats {
  committedWrites: number
  deniedAttempts: number
  retries: number
  transactions: number
  escaped: string[]
  pids: Set<number>
  expectedAudit: Audit[]
}

let seq = 0
const next = (): number => ++seq

/** One transaction of a worker: returns the audit rows it expects if it commits, and how many rows it changed. */
interface Done {
  audit: Audit[]
  /** Rows changed; -1 for a refused attempt. */
  writes: number
  /** Runs once the transaction committed (ids of new rows become known to the other workers). */
  committed?: () => void
}
type Work = (trx: Transaction<Database>) => Promise<Done>

function adminWork(org: OrgState, user: string, others: OrgState[]): Work {
  const roll = randomInt(100)
  if (roll < 22) {
    // Revenue for one to three hot customers, one statement each, in random order: lock-order deadlocks.
    const targets = Array.from({ length: 1 + randomInt(3) }, () => pick(org.hot))
    return async (trx) => {
      const out: Audit[] = []
      const ids: string[] = []
      for (const c of targets) {
        const r = await trx.insertInto('revenue')
          .values({ organization_id: org.id, customer_id: c, amount: `${next() % 5000}.25`, date: `2026-0${1 + randomInt(9)}-1${randomInt(10)}` })
          .returning('id').executeTakeFirstOrThrow()
        out.push(audit('revenue', 'INSERT', r.id, org.id, user))
        ids.push(r.id)
      }
      return { audit: out, writes: targets.length, committed: () => org.revenue.push(...ids) }
    }
  }
  if (roll < 32) {
    // A bulk insert: one audit row per row.
    const n = 2 + randomInt(4)
    return async (trx) => {
      const rows = await trx.insertInto('revenue')
        .values(Array.from({ length: n }, () => ({ organization_id: org.id, customer_id: pick(org.customers), amount: `${next() % 900}.10`, date: '2026-03-03' })))
        .returning('id').execute()
      return {
        audit: rows.map((r) => audit('revenue', 'INSERT', r.id, org.id, user)), writes: rows.length,
        committed: () => org.revenue.push(...rows.map((r) => r.id)),
      }
    }
  }
  if (roll < 40) {
    return async (trx) => {
      const c = await trx.insertInto('customers').values({ organization_id: org.id, name: `New ${next()}` }).returning('id').executeTakeFirstOrThrow()
      return { audit: [audit('customers', 'INSERT', c.id, org.id, user)], writes: 1, committed: () => org.customers.push(c.id) }
    }
  }
  if (roll < 48) {
    return async (trx) => {
      const a = await trx.insertInto('activities')
        .values({ organization_id: org.id, customer_id: pick(org.customers), type: 'purchase', metadata: { n: next() } })
        .returning('id').executeTakeFirstOrThrow()
      return { audit: [audit('activities', 'INSERT', a.id, org.id, user)], writes: 1, committed: () => org.activities.push(a.id) }
    }
  }
  if (roll < 58 && org.revenue.length > 0) {
    // A new amount each time (a counter), so that every update that matches a row changes it.
    const id = pick(org.revenue)
    return async (trx) => {
      const r = await trx.updateTable('revenue').set({ amount: `${next()}.01` }).where('id', '=', id).executeTakeFirst()
      const n = Number(r.numUpdatedRows)
      return { audit: n === 1 ? [audit('revenue', 'UPDATE', id, org.id, user)] : [], writes: n }
    }
  }
  if (roll < 66) {
    const id = pick(org.customers)
    return async (trx) => {
      const r = await trx.updateTable('customers').set({ name: `Renamed ${next()}` }).where('id', '=', id).executeTakeFirst()
      const n = Number(r.numUpdatedRows)
      return { audit: n === 1 ? [audit('customers', 'UPDATE', id, org.id, user)] : [], writes: n }
    }
  }
  if (roll < 80) {
    // Soft delete or restore through the flow; a row already in that state (a race) is a NotFoundError.
    // Not SOFT_DELETE_TABLES: weighted (revenue, the busiest table, twice), and the per-organization
    // lists below track exactly these three.
    const table: SoftDeleteTable = pick(['customers', 'revenue', 'revenue', 'activities'])
    const list = table === 'customers' ? org.customers : table === 'revenue' ? org.revenue : org.activities
    if (list.length > 0) {
      const id = pick(list)
      const deleting = randomInt(2) === 0
      return async (trx) => {
        try {
          await (deleting ? softDelete : restore)(trx, table, id)
        } catch (e) {
          if (e instanceof NotFoundError) return { audit: [], writes: 0 }
          throw e
        }
        return { audit: [audit(table, deleting ? 'SOFT_DELETE' : 'RESTORE', id, org.id, user)], writes: 1 }
      }
    }
  }
  if (roll < 88) {
    // A role change: the current role read under a row lock says whether it is a change (audited).
    const target = pick(org.toggled)
    const role: ProfileRole = randomInt(2) === 0 ? 'admin' : 'member'
    return async (trx) => {
      const before = await trx.selectFrom('profiles').select('role').where('id', '=', target).forUpdate().executeTakeFirstOrThrow()
      await changeRole(trx, target, role)
      return { audit: before.role !== role ? [audit('profiles', 'UPDATE', target, org.id, user)] : [], writes: 1 }
    }
  }
  if (roll < 94) {
    // A soft delete by plain DELETE (the trigger turns it into one).
    const id = pick(org.revenue.length > 0 ? org.revenue : org.customers)
    const table = org.revenue.includes(id) ? 'revenue' : 'customers'
    return async (trx) => {
      const live = await trx.selectFrom(table).select('id').where('id', '=', id).forUpdate().executeTakeFirst()
      // Only a row this transaction holds locked: a row found deleted may be restored by another admin
      // before the next statement (each sees a new snapshot), and the DELETE would then soft-delete it.
      if (!live) return { audit: [], writes: 0 }
      await trx.deleteFrom(table).where('id', '=', id).execute()
      return { audit: [audit(table, 'SOFT_DELETE', id, org.id, user)], writes: 1 }
    }
  }
  // Aimed at another organization: refused (NotAuthorizedError, rolled back), or matches no row.
  const other = pick(others)
  if (randomInt(2) === 0) {
    return refused(async (trx) => {
      await trx.insertInto('customers').values({ organization_id: other.id, name: 'intruder' }).execute()
      throw new Error('an admin inserted into another organization')
    })
  }
  return async (trx) => {
    const r = await trx.updateTable('customers').set({ name: 'hijacked' }).where('id', '=', pick(other.customers)).executeTakeFirst()
    if (r.numUpdatedRows !== 0n) throw new Error("an admin updated another organization's customer")
    return { audit: [], writes: -1 }
  }
}

/** Work that must fail with NotAuthorizedError (the session rolls back); marked for the worker. */
const REFUSED = new WeakSet<Work>()
function refused(fn: (trx: Transaction<Database>) => Promise<never>): Work {
  REFUSED.add(fn)
  return fn
}

function memberWork(org: OrgState): Work {
  const roll = randomInt(4)
  if (roll === 2) {
    return refused(async (trx) => {
      await trx.insertInto('revenue').values({ organization_id: org.id, amount: '1.00', date: '2026-01-01' }).execute()
      throw new Error('a member inserted revenue')
    })
  }
  if (roll === 3) {
    return refused(async (trx) => {
      await changeRole(trx, pick(org.toggled), 'admin')
      throw new Error("a member changed a colleague's role")
    })
  }
  return async (trx) => {
    if (roll === 0) {
      const r = await trx.updateTable('customers').set({ name: 'member was here' }).where('id', '=', pick(org.customers)).executeTakeFirst()
      if (r.numUpdatedRows !== 0n) throw new Error('a member updated a customer')
    } else {
      const r = await trx.deleteFrom('revenue').where('organization_id', '=', org.id).executeTakeFirst()
      if (r.numDeletedRows !== 0n) throw new Error('a member deleted revenue')
    }
    return { audit: [], writes: -1 }
  }
}

async function worker(org: OrgState, user: string, isAdmin: boolean, stats: Stats): Promise<void> {
  const others = orgs.filter((o) => o !== org)
  while (stats.committedWrites < TARGET_WRITES) {
    const work = isAdmin ? adminWork(org, user, others) : memberWork(org)
    let attempts = 0
    try {
      // The hot-customer work provokes lock-order deadlocks on purpose and retries in the same order,
      // so one transaction can lose several times in a row: more attempts than the default 3.
      const done = await asUser(db, user, async (trx) => {
        attempts++
        if (attempts === 1 && stats.transactions % 50 === 0) {
          const r = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
          const pid = r.rows[0]?.pid
          if (pid !== undefined) stats.pids.add(pid)
        }
        return work(trx)
      }, { attempts: 6 })
      done.committed?.()
      stats.transactions++
      stats.retries += attempts - 1
      if (done.writes < 0) stats.deniedAttempts++
      else stats.committedWrites += done.writes
      stats.expectedAudit.push(...done.audit)
    } catch (e) {
      stats.retries += Math.max(0, attempts - 1)
      if (REFUSED.has(work) && e instanceof NotAuthorizedError) {
        stats.transactions++
        stats.deniedAttempts++
        continue
      }
      stats.escaped.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e))
      if (stats.escaped.length > 20) return
    }
  }
}

describe('load: concurrent sessions of several organizations', () => {
  it(`${TARGET_WRITES} committed writes by ${ORGS * (2 * SESSIONS_PER_ADMIN + 1)} sessions over ${POOL} connections: audit = changes, no leak, totals consistent`, {
    skip: !onServer && 'PostgreSQL only: the embedded database has one session (set DATABASE_URL)',
  }, async (t) => {
    const start = await fingerprint(db)
    const stats: Stats = {
      committedWrites: 0, deniedAttempts: 0, retries: 0, transactions: 0, escaped: [], pids: new Set(), expectedAudit: [],
    }
    const deadlocksBefore = await sql<{ n: string }>`select deadlocks::text as n from pg_stat_database where datname = current_database()`.execute(db)
    const started = Date.now()
    const workers = orgs.flatMap((o) => [
      // Each admin works in SESSIONS_PER_ADMIN sessions at once (several tabs), so that admins of one
      // organization contend for the same customers' rows.
      ...o.admins.flatMap((a) => Array.from({ length: SESSIONS_PER_ADMIN }, () => worker(o, a, true, stats))),
      worker(o, o.member, false, stats),
    ])
    let maxPool = 0
    const peak = setInterval(() => {
      maxPool = Math.max(maxPool, h.pool.totalCount - h.pool.idleCount)
    }, 100)
    await Promise.all(workers)
    clearInterval(peak)
    const seconds = (Date.now() - started) / 1000
    const pids = [...stats.pids]
    const deadlocksAfter = await sql<{ n: string }>`select deadlocks::text as n from pg_stat_database where datname = current_database()`.execute(db)
    const deadlocks = Number(deadlocksAfter.rows[0]?.n ?? 0) - Number(deadlocksBefore.rows[0]?.n ?? 0)
    t.diagnostic(`${stats.committedWrites} committed writes in ${stats.transactions} transactions, ${stats.deniedAttempts} refused attempts, ` +
      `${seconds.toFixed(1)} s; ${deadlocks} deadlocks and ${stats.retries} retries; pool peak ${maxPool}, ${pids.length} backends seen`)

    assert.deepEqual(stats.escaped, [], 'no error escaped the session helpers')
    assert.ok(stats.committedWrites >= TARGET_WRITES, `${stats.committedWrites} writes`)
    assert.ok(maxPool >= 16, `at least 16 connections in use at once (peak ${maxPool})`)

    // Audit rows equal committed changes, exactly.
    const written = await writtenSince(db, start.marker)
    const got = written.filter((w) => w.table === 'audit_logs').map((w) => w.audit ?? '').sort()
    const want = [...stats.expectedAudit].sort()
    const end = await fingerprint(db)
    if (got.join('\n') !== want.join('\n')) {
      const missing = want.filter((x) => !got.includes(x)).slice(0, 5)
      const extra = got.filter((x) => !want.includes(x)).slice(0, 5)
      assert.fail(`audit rows differ from committed changes: ${got.length} vs ${want.length}; missing ${missing.join(', ')}; extra ${extra.join(', ')}`)
    }
    assert.equal(end.counts.audit_logs - start.counts.audit_logs, want.length, 'one audit row per committed change')

    // No cross-tenant row; every audit row's actor is an admin of the organization it is filed under.
    assert.deepEqual(await crossTenantRows(db), [])
    const admins = new Map(orgs.flatMap((o) => o.admins.map((a) => [a, o.id] as const)))
    const foreignActors = got.filter((row) => {
      const [, , , org, user] = row.split('|')
      return user === undefined || admins.get(user) !== org
    })
    assert.deepEqual(foreignActors, [], 'audit rows by someone outside the organization')
    assert.deepEqual(await inconsistentCustomers(db), [], 'derived customer figures')

    // Members saw nothing of other organizations during or after the load.
    for (const o of orgs) {
      const seen = await asUser(db, o.member, (trx) => trx.selectFrom('customers').select('organization_id').distinct().execute())
      assert.ok(seen.every((s) => s.organization_id === o.id), 'a member sees only their organization')
    }
  })
})
