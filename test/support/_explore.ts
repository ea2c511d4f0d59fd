import { sql } from 'kysely'
import { freshDb } from './db.js'
import { createCast } from './fixtures.js'
import { asUser, asSystem } from '../../lib/db/session.js'
const t0 = Date.now()
const h = await freshDb()
console.log('fresh', Date.now() - t0)
const cast = await createCast(h.db)
console.log('cast', Date.now() - t0)
async function tryIt(label: string, f: () => Promise<unknown>) {
  try { console.log(label, 'OK', await f()) } catch (e: any) {
    const c = e.cause ?? e
    console.log(label, e.constructor.name, JSON.stringify({ m: e.message, code: c.code, t: c.table, col: c.column, con: c.constraint, d: c.detail, s: c.schema }))
  }
}
await tryIt('rls insert', () => asUser(h.db, cast.a.memberId, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'x' }).execute()))
await tryIt('ai insert', () => asUser(h.db, cast.a.adminId, (trx) => trx.insertInto('ai_usage_log').values({ organization_id: cast.a.id, user_id: cast.a.adminId, query_id: cast.a.id, model: 'm', date: '2026-01-01' }).execute()))
await tryIt('not null', () => asSystem(h.db, (trx) => sql`insert into customers (organization_id, name) values (${cast.a.id}, null)`.execute(trx)))
await tryIt('check', () => asSystem(h.db, (trx) => sql`insert into customers (organization_id, name, status) values (${cast.a.id}, 'n', 'vip')`.execute(trx)))
await tryIt('fk', () => asSystem(h.db, (trx) => trx.insertInto('revenue').values({ organization_id: cast.a.id, customer_id: cast.b.customerId, amount: '1', date: '2026-01-01' }).execute()))
await tryIt('22P02', () => asSystem(h.db, (trx) => trx.selectFrom('customers').selectAll().where('id', '=', 'nope').execute()))
await tryIt('22003', () => asSystem(h.db, (trx) => trx.insertInto('revenue').values({ organization_id: cast.a.id, amount: '10000000000', date: '2026-01-01' }).execute()))
await tryIt('dup', () => asUser(h.db, cast.outsiderId, (trx) => sql`select public.create_organization('x', 'org-a')`.execute(trx)))
await tryIt('55000', () => asUser(h.db, cast.a.adminId, (trx) => sql`select public.create_organization('x', 'org-zz')`.execute(trx)))
await tryIt('lastadmin', () => asUser(h.db, cast.a.adminId, (trx) => trx.updateTable('profiles').set({ role: 'member' }).where('id', '=', cast.a.adminId).execute()))
await tryIt('void', () => asUser(h.db, cast.a.adminId, (trx) => sql`select public.remove_member(${cast.a.memberId}) as r`.execute(trx).then(r => r.rows)))
await tryIt('deleted', () => asUser(h.db, cast.a.adminId, (trx) => sql`select * from public.deleted_customers()`.execute(trx).then(r => r.rows)))
await tryIt('ts', () => asSystem(h.db, (trx) => sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t, created_at from audit_logs limit 3`.execute(trx).then(r => r.rows)))
await h.close()
