// customers.total_revenue and last_purchase_date always equal what their live revenue rows say,
// whatever writes revenue: single rows, bulk statements, updates, moves, soft and hard deletes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { sql } from 'kysely'
import { asService, asSystem, asUser } from '../lib/db/index.js'
import { useCast } from './support/fixtures.js'
import { onServer, useFreshDb } from './support/db.js'

const t = useFreshDb({ poolSize: 6 })
const cast = useCast(t)

/** Customers whose stored figures differ from the figures of their live revenue. */
async function inconsistent(): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select c.id from public.customers c
      left join lateral (
        select coalesce(sum(r.amount), 0) as total, max(r.date) as last
          from public.revenue r where r.customer_id = c.id and r.deleted_at is null) s on true
     where c.total_revenue <> s.total or c.last_purchase_date is distinct from s.last`.execute(t.db)
  return r.rows.map((x) => x.id)
}

async function customer(id: string) {
  return asSystem(t.db, (trx) => trx.selectFrom('customers').select(['total_revenue', 'last_purchase_date']).where('id', '=', id).executeTakeFirstOrThrow())
}

describe('derived customer figures', () => {
  it('follow inserts, updates, moves, soft deletes, restores and hard deletes', async () => {
    const org = cast.b.id
    const [c1, c2] = await asSystem(t.db, (trx) =>
      trx.insertInto('customers').values([{ organization_id: org, name: 'one' }, { organization_id: org, name: 'two' }]).returning('id').execute())
    assert.ok(c1 && c2)
    const ids = await asUser(t.db, cast.b.adminId, (trx) =>
      trx.insertInto('revenue').values([
        { organization_id: org, customer_id: c1.id, amount: '10.10', date: '2026-01-10' },
        { organization_id: org, customer_id: c1.id, amount: '20.20', date: '2026-03-10' },
        { organization_id: org, customer_id: c2.id, amount: '5.00', date: '2026-02-01' },
      ]).returning('id').execute())
    assert.deepEqual(await customer(c1.id), { total_revenue: '30.30', last_purchase_date: '2026-03-10' })
    assert.deepEqual(await customer(c2.id), { total_revenue: '5.00', last_purchase_date: '2026-02-01' })

    const [r1, r2] = ids
    assert.ok(r1 && r2)
    await asUser(t.db, cast.b.adminId, (trx) => trx.updateTable('revenue').set({ amount: '0.10' }).where('id', '=', r1.id).execute())
    assert.deepEqual(await customer(c1.id), { total_revenue: '20.30', last_purchase_date: '2026-03-10' })

    await asUser(t.db, cast.b.adminId, (trx) => trx.updateTable('revenue').set({ customer_id: c2.id }).where('id', '=', r2.id).execute())
    assert.deepEqual(await customer(c1.id), { total_revenue: '0.10', last_purchase_date: '2026-01-10' })
    assert.deepEqual(await customer(c2.id), { total_revenue: '25.20', last_purchase_date: '2026-03-10' })

    await asUser(t.db, cast.b.adminId, (trx) => trx.deleteFrom('revenue').where('id', '=', r2.id).execute())
    assert.deepEqual(await customer(c2.id), { total_revenue: '5.00', last_purchase_date: '2026-02-01' })
    await asUser(t.db, cast.b.adminId, (trx) => sql`select public.restore('revenue', ${r2.id})`.execute(trx))
    assert.deepEqual(await customer(c2.id), { total_revenue: '25.20', last_purchase_date: '2026-03-10' })

    await asService(t.db, (trx) => trx.deleteFrom('revenue').where('customer_id', '=', c1.id).execute())
    assert.deepEqual(await customer(c1.id), { total_revenue: '0.00', last_purchase_date: null })
    assert.deepEqual(await inconsistent(), [])
  })

  it('ignore direct writes, even by the system', async () => {
    // The types refuse these writes (GeneratedAlways); the database must ignore them all the same.
    // @ts-expect-error derived columns are not updatable
    await asSystem(t.db, (trx) => trx.updateTable('customers').set({ total_revenue: '1.00', last_purchase_date: '1999-01-01' }).where('id', '=', cast.a.customerId).execute())
    // @ts-expect-error derived columns are not insertable
    const c = await asSystem(t.db, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'x', total_revenue: '50.00' }).returning(['total_revenue', 'last_purchase_date']).executeTakeFirstOrThrow())
    assert.deepEqual(c, { total_revenue: '0.00', last_purchase_date: null })
    assert.deepEqual(await inconsistent(), [])
  })

  it('a hard-deleted customer leaves its revenue in the organization, unlinked', async () => {
    const c = await asSystem(t.db, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'gone' }).returning('id').executeTakeFirstOrThrow())
    const r = await asSystem(t.db, (trx) => trx.insertInto('revenue').values({ organization_id: cast.a.id, customer_id: c.id, amount: '3.00', date: '2026-01-01' }).returning('id').executeTakeFirstOrThrow())
    await asService(t.db, (trx) => trx.deleteFrom('customers').where('id', '=', c.id).execute())
    const after = await asSystem(t.db, (trx) => trx.selectFrom('revenue').select(['customer_id', 'organization_id']).where('id', '=', r.id).executeTakeFirstOrThrow())
    assert.deepEqual(after, { customer_id: null, organization_id: cast.a.id })
  })

  it('stay consistent under random sequences of revenue writes', async () => {
    const customers = await asSystem(t.db, (trx) =>
      trx.insertInto('customers').values([1, 2, 3].map((n) => ({ organization_id: cast.a.id, name: `prop ${n}` }))).returning('id').execute())
    const cid = fc.constantFrom(...customers.map((c) => c.id), null)
    const amount = fc.integer({ min: -5000, max: 100000 }).map((cents) => (cents / 100).toFixed(2))
    const day = fc.integer({ min: 0, max: 700 }).map((d) => new Date(Date.UTC(2025, 0, 1 + d)).toISOString().slice(0, 10))
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), rows: fc.array(fc.record({ cid, amount, day }), { minLength: 1, maxLength: 5 }) }),
      fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), amount, day, cid }),
      fc.record({ kind: fc.constantFrom('soft' as const, 'restore' as const, 'hard' as const), pick: fc.nat() }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        for (const o of ops) {
          const existing = await asSystem(t.db, (trx) => trx.selectFrom('revenue').select(['id', 'deleted_at']).where('organization_id', '=', cast.a.id).orderBy('id').execute())
          const target = existing.length > 0 && o.kind !== 'insert' ? existing[o.pick % existing.length] : undefined
          if (o.kind === 'insert') {
            await asUser(t.db, cast.a.adminId, (trx) => trx.insertInto('revenue').values(o.rows.map((r) => ({ organization_id: cast.a.id, customer_id: r.cid, amount: r.amount, date: r.day }))).execute())
          } else if (!target) {
            continue
          } else if (o.kind === 'update') {
            await asService(t.db, (trx) => trx.updateTable('revenue').set({ amount: o.amount, date: o.day, customer_id: o.cid }).where('id', '=', target.id).execute())
          } else if (o.kind === 'soft') {
            await asUser(t.db, cast.a.adminId, (trx) => trx.deleteFrom('revenue').where('id', '=', target.id).execute())
          } else if (o.kind === 'restore') {
            await asUser(t.db, cast.a.adminId, (trx) => sql`select public.restore('revenue', ${target.id})`.execute(trx))
          } else {
            await asService(t.db, (trx) => trx.deleteFrom('revenue').where('id', '=', target.id).execute())
          }
          assert.deepEqual(await inconsistent(), [], JSON.stringify(o))
        }
      }),
      { numRuns: 25 },
    )
  })

  it('stay consistent when sessions write the same customers concurrently', { skip: !onServer && 'the embedded database has one session: nothing runs concurrently' }, async () => {
    const c = await asSystem(t.db, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'contended' }).returning('id').executeTakeFirstOrThrow())
    const writers = Array.from({ length: 6 }, (_, w) => (async () => {
      for (let i = 0; i < 15; i++) {
        const r = await asUser(t.db, cast.a.adminId, (trx) =>
          trx.insertInto('revenue').values({ organization_id: cast.a.id, customer_id: c.id, amount: '1.00', date: `2026-01-${String(1 + ((w + i) % 28)).padStart(2, '0')}` }).returning('id').executeTakeFirstOrThrow())
        if (i % 3 === 0) await asUser(t.db, cast.a.adminId, (trx) => trx.deleteFrom('revenue').where('id', '=', r.id).execute())
      }
    })())
    await Promise.all(writers)
    assert.deepEqual(await inconsistent(), [])
    assert.equal((await customer(c.id)).total_revenue, '60.00')
  })
})
