// The audit trail: exactly one row per changed row, filed under the row's own organization, with the
// acting user (NULL for the system), and nothing for bookkeeping-only changes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { asService, asSystem, asUser, type AuditLog, SOFT_DELETE_TABLES } from '../lib/db/index.js'
import { useCast } from './support/fixtures.js'
import { useFreshDb } from './support/db.js'

const t = useFreshDb()
const cast = useCast(t)

/** Audit rows written by fn (rows are only ever appended, so "new" = not there before). */
async function auditOf(fn: () => Promise<unknown>): Promise<AuditLog[]> {
  const before = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').select('id').execute())
  const seen = new Set(before.map((r) => r.id))
  await fn()
  const rows = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').selectAll().orderBy('created_at').execute())
  return rows.filter((r) => !seen.has(r.id))
}

describe('business tables', () => {
  for (const table of SOFT_DELETE_TABLES) {
    it(`${table}: insert, update, soft delete, restore and hard delete each leave one row`, async () => {
      const admin = cast.a.adminId
      const org = cast.a.id
      let id = ''
      const insert = await auditOf(async () => {
        id = await asUser(t.db, admin, async (trx) => {
          if (table === 'customers') return (await trx.insertInto('customers').values({ organization_id: org, name: 'Audited' }).returning('id').executeTakeFirstOrThrow()).id
          if (table === 'revenue') return (await trx.insertInto('revenue').values({ organization_id: org, amount: '7.00', date: '2026-02-02' }).returning('id').executeTakeFirstOrThrow()).id
          return (await trx.insertInto('activities').values({ organization_id: org, type: 'export' }).returning('id').executeTakeFirstOrThrow()).id
        })
      })
      assert.equal(insert.length, 1)
      assert.deepEqual(
        [insert[0]?.action, insert[0]?.table_name, insert[0]?.record_id, insert[0]?.organization_id, insert[0]?.user_id, insert[0]?.old_data],
        ['INSERT', table, id, org, admin, null],
      )
      assert.equal(insert[0]?.new_data?.['id'], id)

      const update = await auditOf(() => asUser(t.db, admin, (trx) =>
        table === 'customers' ? trx.updateTable('customers').set({ name: 'Renamed' }).where('id', '=', id).execute()
        : table === 'revenue' ? trx.updateTable('revenue').set({ category: 'renamed' }).where('id', '=', id).execute()
        : trx.updateTable('activities').set({ metadata: { renamed: true } }).where('id', '=', id).execute()))
      assert.deepEqual(update.map((r) => [r.action, r.record_id, r.user_id]), [['UPDATE', id, admin]])
      assert.notDeepEqual(update[0]?.old_data, update[0]?.new_data)

      const soft = await auditOf(() => asUser(t.db, admin, (trx) => trx.deleteFrom(table).where('id', '=', id).execute()))
      assert.deepEqual(soft.map((r) => [r.action, r.record_id, r.user_id, r.organization_id]), [['SOFT_DELETE', id, admin, org]])
      assert.equal(soft[0]?.old_data?.['deleted_at'], null)
      assert.notEqual(soft[0]?.new_data?.['deleted_at'], null)

      const restore = await auditOf(() => asUser(t.db, admin, (trx) => sql`select public.restore(${table}, ${id})`.execute(trx)))
      assert.deepEqual(restore.map((r) => [r.action, r.record_id, r.user_id]), [['RESTORE', id, admin]])

      const hard = await auditOf(() => asService(t.db, (trx) => trx.deleteFrom(table).where('id', '=', id).execute()))
      const own = hard.filter((r) => r.table_name === table)
      assert.deepEqual(own.map((r) => [r.action, r.record_id, r.user_id, r.organization_id, r.new_data]), [['DELETE', id, null, org, null]])
      assert.equal(own[0]?.old_data?.['id'], id)
    })
  }

  it('a bulk insert leaves one row per inserted row, and the system actor is NULL', async () => {
    const rows = await auditOf(() => asSystem(t.db, (trx) =>
      sql`insert into public.activities (organization_id, type, metadata)
          select ${cast.b.id}, 'login', jsonb_build_object('n', g) from generate_series(1, 250) g`.execute(trx)))
    assert.equal(rows.length, 250)
    assert.ok(rows.every((r) => r.user_id === null && r.organization_id === cast.b.id && r.action === 'INSERT'))
    assert.equal(new Set(rows.map((r) => r.record_id)).size, 250)
  })

  it('a no-op update and derived-only changes leave nothing', async () => {
    const noop = await auditOf(() => asSystem(t.db, (trx) => sql`update public.customers set name = name where id = ${cast.a.customerId}`.execute(trx)))
    assert.deepEqual(noop, [])
    const derived = await auditOf(() => asUser(t.db, cast.a.adminId, (trx) =>
      trx.insertInto('revenue').values({ organization_id: cast.a.id, customer_id: cast.a.customerId, amount: '1.00', date: '2026-05-01' }).execute()))
    assert.deepEqual(derived.map((r) => r.table_name), ['revenue'], 'the customer total changes, but only the revenue insert is audited')
  })
})

describe('organizations and memberships', () => {
  it("an organization's update is audited once; a bare updated_at change is not", async () => {
    const rows = await auditOf(() => asUser(t.db, cast.b.adminId, (trx) => trx.updateTable('organizations').set({ name: 'Org B renamed' }).where('id', '=', cast.b.id).execute()))
    assert.deepEqual(rows.map((r) => [r.table_name, r.action, r.organization_id, r.user_id]), [['organizations', 'UPDATE', cast.b.id, cast.b.adminId]])
    const touch = await auditOf(() => asSystem(t.db, (trx) => sql`update public.organizations set name = name where id = ${cast.b.id}`.execute(trx)))
    assert.deepEqual(touch, [])
  })

  it('role changes and removals are filed under the organization, by the acting admin', async () => {
    const promote = await auditOf(() => asUser(t.db, cast.b.adminId, (trx) => trx.updateTable('profiles').set({ role: 'admin' }).where('id', '=', cast.b.memberId).execute()))
    assert.deepEqual(promote.map((r) => [r.table_name, r.action, r.record_id, r.organization_id, r.user_id]), [['profiles', 'UPDATE', cast.b.memberId, cast.b.id, cast.b.adminId]])
    assert.equal(promote[0]?.new_data?.['role'], 'admin')
    const removal = await auditOf(() => asUser(t.db, cast.b.adminId, (trx) => sql`select public.remove_member(${cast.b.memberId})`.execute(trx)))
    assert.deepEqual(removal.map((r) => [r.record_id, r.organization_id, r.user_id]), [[cast.b.memberId, cast.b.id, cast.b.adminId]])
    assert.equal(removal[0]?.new_data?.['organization_id'], null)
    const nameOnly = await auditOf(() => asUser(t.db, cast.b.adminId, (trx) => trx.updateTable('profiles').set({ full_name: 'New name' }).where('id', '=', cast.b.adminId).execute()))
    assert.deepEqual(nameOnly, [], 'a profile edit that is not about membership is not audited')
  })
})
