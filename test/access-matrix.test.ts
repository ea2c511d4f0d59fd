// Every table x operation x actor of the access policy (lib/devtools/access-policy.ts, the readable table),
// run against the database. Each cell runs in a transaction that is rolled back, and after every
// denial or no-op the whole database is compared with its state before: nothing may have changed.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import { asUser, becomeActor, type Database, type TableName, TABLES } from '../lib/db/index.js'
import {
  ACCESS_POLICY, ACTORS, type ActorName, OPERATIONS, type SelectOutcome, type WriteOutcome,
} from '../lib/devtools/access-policy.js'
import { castUserId, createAuthUser, useCast } from './support/fixtures.js'
import { useFreshDb } from './support/db.js'

type Table = TableName

/** How each table relates rows to organizations and users, for computing who should see what. */
const SHAPE: Record<Table, { key: string; org: string | null; own: string | null; soft: boolean }> = {
  organizations: { key: 'id', org: 'id', own: null, soft: false },
  profiles: { key: 'id', org: 'organization_id', own: 'id', soft: false },
  customers: { key: 'id', org: 'organization_id', own: null, soft: true },
  revenue: { key: 'id', org: 'organization_id', own: null, soft: true },
  activities: { key: 'id', org: 'organization_id', own: null, soft: true },
  audit_logs: { key: 'id', org: 'organization_id', own: null, soft: false },
  ai_usage_log: { key: 'id', org: 'organization_id', own: 'user_id', soft: false },
  user_preferences: { key: 'user_id', org: null, own: 'user_id', soft: false },
  invitations: { key: 'id', org: 'organization_id', own: null, soft: false },
}

const t = useFreshDb()
const cast = useCast(t)
/** An auth user whose profile was removed, so that inserting a profile is possible at all. */
let spareUserId: string

t.before(async () => {
  spareUserId = await createAuthUser(t.db, 'spare@example.com')
  await sql`delete from public.profiles where id = ${spareUserId}`.execute(t.db)
  // A pending invitation in each organization, made as its admin would (the table has no other writer).
  for (const org of [cast.a, cast.b]) {
    await asUser(t.db, org.adminId, (trx) => sql`select * from public.invite_member(${`invitee-${org.id}@example.com`})`.execute(trx))
  }
})

function actorOrgId(actor: ActorName): string | null {
  if (actor === 'memberA' || actor === 'adminA') return cast.a.id
  if (actor === 'memberB' || actor === 'adminB') return cast.b.id
  return null
}

/** The statement each write operation runs, aimed at organization A (see ACCESS_POLICY[table].target). */
function statement(table: Table, op: Exclude<(typeof OPERATIONS)[number], 'select'>): string {
  const A = cast.a.id
  const member = cast.a.memberId
  if (op === 'truncate') return `truncate table public.${table} cascade`
  const byTable: Record<Table, Record<'insert' | 'update' | 'delete', string>> = {
    organizations: {
      insert: `insert into public.organizations (name, slug) values ('New org', 'new-org')`,
      update: `update public.organizations set name = name || ' (renamed)' where id = '${A}'`,
      delete: `delete from public.organizations where id = '${A}'`,
    },
    profiles: {
      insert: `insert into public.profiles (id, email, organization_id) values ('${spareUserId}', 'spare@example.com', '${A}')`,
      update: `update public.profiles set full_name = 'Renamed' where id = '${member}'`,
      delete: `delete from public.profiles where id = '${member}'`,
    },
    customers: {
      insert: `insert into public.customers (organization_id, name) values ('${A}', 'New customer')`,
      update: `update public.customers set name = name || '!' where organization_id = '${A}'`,
      delete: `delete from public.customers where id = '${cast.a.customerId}'`,
    },
    revenue: {
      insert: `insert into public.revenue (organization_id, customer_id, amount, date) values ('${A}', '${cast.a.customerId}', '5.00', '2026-03-01')`,
      update: `update public.revenue set category = 'changed' where organization_id = '${A}'`,
      delete: `delete from public.revenue where id = '${cast.a.revenueId}'`,
    },
    activities: {
      insert: `insert into public.activities (organization_id, type) values ('${A}', 'login')`,
      update: `update public.activities set metadata = metadata || '{"changed": true}' where organization_id = '${A}'`,
      delete: `delete from public.activities where id = '${cast.a.activityId}'`,
    },
    audit_logs: {
      insert: `insert into public.audit_logs (organization_id, action, table_name) values ('${A}', 'INSERT', 'customers')`,
      update: `update public.audit_logs set action = 'DELETE' where organization_id = '${A}'`,
      delete: `delete from public.audit_logs where organization_id = '${A}'`,
    },
    ai_usage_log: {
      insert: `insert into public.ai_usage_log (organization_id, user_id, query_id, model, date) values ('${A}', '${member}', gen_random_uuid(), 'forged', '2026-01-01')`,
      update: `update public.ai_usage_log set model = 'forged' where organization_id = '${A}'`,
      delete: `delete from public.ai_usage_log where organization_id = '${A}'`,
    },
    user_preferences: {
      insert: `insert into public.user_preferences (user_id, theme_preference) values ('${member}', 'light')`,
      update: `update public.user_preferences set theme_preference = 'light' where user_id = '${member}'`,
      delete: `delete from public.user_preferences where user_id = '${member}'`,
    },
    invitations: {
      insert: `insert into public.invitations (organization_id, email, role, token_hash, expires_at)
               values ('${A}', 'forged@example.com', 'admin', sha256('forged'::bytea), now() + interval '1 day')`,
      update: `update public.invitations set role = 'admin', expires_at = now() + interval '1 year' where organization_id = '${A}'`,
      delete: `delete from public.invitations where organization_id = '${A}'`,
    },
  }
  return byTable[table][op]
}

/** The whole database as one comparable value. */
async function snapshot(conn: Kysely<Database>): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const table of TABLES) {
    const r = await sql<{ rows: string | null }>`
      select jsonb_agg(to_jsonb(x) order by to_jsonb(x)::text)::text as rows from ${sql.table(`public.${table}`)} x`.execute(conn)
    out[table] = r.rows[0]?.rows ?? '[]'
  }
  return out
}

/**
 * Switches to the actor by hand, not through a session: a cell snapshots the database as the system,
 * becomes the actor for its statement, and goes back to the system for the second snapshot, all in
 * one transaction that is rolled back (a session's actor is fixed for its whole transaction).
 */
function becomeCastActor(conn: Kysely<Database>, actor: ActorName): Promise<void> {
  const uid = castUserId(cast, actor)
  return becomeActor(conn, uid ? { kind: 'user', userId: uid } : actor === 'anon' ? { kind: 'anon' } : actor === 'service' ? { kind: 'service' } : { kind: 'system' })
}

interface Attempt<R> {
  result: R | undefined
  error: { code?: string; message: string } | undefined
  before: Record<string, string>
  after: Record<string, string>
  /** Read as system after the statement, before the rollback. */
  targetAfter: { exists: boolean; deleted: boolean }
}

/** Runs fn as the actor inside a transaction that is always rolled back. */
async function attempt<R>(
  actor: ActorName,
  prepare: string | null,
  fn: (conn: Kysely<Database>) => Promise<R>,
  target?: { table: Table; key: string },
): Promise<Attempt<R>> {
  return t.db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn)
    try {
      if (prepare) await sql.raw(prepare).execute(conn)
      const beforeSnap = await snapshot(conn)
      await becomeCastActor(conn, actor)
      await sql`savepoint cell`.execute(conn)
      let result: R | undefined
      let error: Attempt<R>['error']
      try {
        result = await fn(conn)
      } catch (e) {
        error = e instanceof Error ? { message: e.message, code: 'code' in e && typeof e.code === 'string' ? e.code : undefined } : { message: String(e) }
        await sql`rollback to savepoint cell`.execute(conn)
      }
      await becomeActor(conn, { kind: 'system' })
      const afterSnap = await snapshot(conn)
      let targetAfter = { exists: false, deleted: false }
      if (target) {
        const shape = SHAPE[target.table]
        const r = await sql<{ deleted: boolean }>`
          select ${shape.soft ? sql`deleted_at is not null` : sql`false`} as deleted
            from ${sql.table(`public.${target.table}`)} where ${sql.ref(shape.key)} = ${target.key}`.execute(conn)
        targetAfter = { exists: r.rows.length > 0, deleted: r.rows[0]?.deleted ?? false }
      }
      return { result, error, before: beforeSnap, after: afterSnap, targetAfter }
    } finally {
      await sql`rollback`.execute(conn)
    }
  })
}

/** Keys of the rows the actor should see, computed as system from the table's shape. */
async function expectedKeys(table: Table, actor: ActorName, outcome: SelectOutcome): Promise<string[]> {
  if (outcome === 'none') return []
  const shape = SHAPE[table]
  const uid = castUserId(cast, actor)
  const org = actorOrgId(actor)
  const live = shape.soft ? sql`deleted_at is null` : sql`true`
  const own = shape.own && uid ? sql`${sql.ref(shape.own)} = ${uid}` : sql`false`
  const inOrg = shape.org && org ? sql`${sql.ref(shape.org)} = ${org}` : sql`false`
  const where =
    outcome === 'all' ? sql`true`
    : outcome === 'own' ? sql`${own} and (${shape.org === null || shape.own === 'id' ? sql`true` : org ? inOrg : sql`false`})`
    : sql`(${inOrg} and ${live}) or ${own}`
  const r = await sql<{ k: string }>`
    select ${sql.ref(shape.key)}::text as k from ${sql.table(`public.${table}`)} where ${where} order by 1`.execute(t.db)
  return r.rows.map((x) => x.k)
}

function writeOutcome(a: Attempt<unknown>, table: Table, op: string): WriteOutcome {
  if (a.error) {
    assert.equal(a.error.code, '42501', `expected a permission error (42501), got ${a.error.code}: ${a.error.message}`)
    return 'denied'
  }
  if (a.before[table] === a.after[table]) return 'none'
  if (op === 'delete' && a.targetAfter.exists && a.targetAfter.deleted) return 'soft'
  return 'ok'
}

for (const table of TABLES) {
  describe(`${table}`, () => {
    for (const actor of ACTORS) {
      const expected = ACCESS_POLICY[table].select[actor]
      it(`select as ${actor} → ${expected}`, async () => {
        const a = await attempt(actor, null, async (conn) =>
          (await sql<{ k: string }>`select ${sql.ref(SHAPE[table].key)}::text as k from ${sql.table(`public.${table}`)} order by 1`.execute(conn)).rows.map((r) => r.k))
        assert.equal(a.error, undefined, `select failed: ${a.error?.message}`)
        assert.deepEqual(a.result, await expectedKeys(table, actor, expected))
        if (expected !== 'none') assert.ok((a.result ?? []).length > 0, 'the fixture must give this actor something to see')
      })
    }
    for (const op of ['insert', 'update', 'delete', 'truncate'] as const) {
      for (const actor of ACTORS) {
        const expected = ACCESS_POLICY[table][op][actor]
        it(`${op} as ${actor} → ${expected}`, async () => {
          const prepare = table === 'user_preferences' && op === 'insert'
            ? `delete from public.user_preferences where user_id = '${cast.a.memberId}'`
            : null
          const targetKey =
            table === 'customers' ? cast.a.customerId
            : table === 'revenue' ? cast.a.revenueId
            : table === 'activities' ? cast.a.activityId
            : table === 'profiles' || table === 'user_preferences' ? cast.a.memberId
            : cast.a.id
          const a = await attempt(actor, prepare, (conn) => sql.raw(statement(table, op)).execute(conn), { table, key: targetKey })
          const got = writeOutcome(a, table, op)
          assert.equal(got, expected, `${table} ${op} as ${actor}: expected ${expected}, got ${got}${a.error ? ` (${a.error.message})` : ''}`)
          if (got === 'denied' || got === 'none') assert.deepEqual(a.after, a.before, 'a denied or filtered statement changed data')
          if (got === 'soft') {
            const changed = TABLES.filter((tb) => a.before[tb] !== a.after[tb])
            assert.ok(changed.every((tb) => tb === table || tb === 'audit_logs' || tb === 'customers'), `soft delete touched ${changed.join(', ')}`)
          }
        })
      }
    }
  })
}
