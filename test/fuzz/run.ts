// One run of the isolation fuzz test: its starting state (three organizations with an admin and two
// members each, two outsiders, a live and a soft-deleted row of each business table), made through
// the flows, and the sweep at its end.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { asSystem, asUser, createOrganization, type Database } from '../../lib/db/index.js'
import { crossTenantRows, fingerprint, inconsistentCustomers } from '../support/invariants.js'
import { checkVisible } from './check.js'
import type { Model, MUser, Real } from './model.js'

let runSeq = 0

export async function setupRun(db: Kysely<Database>): Promise<{ model: Model; real: Real }> {
  const tag = `fz${++runSeq}-${randomUUID().slice(0, 6)}`
  // Every address confirmed but the last outsider's (signed up, never clicked the link).
  const users: MUser[] = Array.from({ length: 11 }, (_, i) => {
    const id = randomUUID()
    return { id, org: null, role: 'member', theme: null, fullName: `${tag} user ${i}`, email: `${id}@fuzz.example`, confirmed: i !== 10 }
  })
  await sql`insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data, created_at, updated_at)
            select u.id, u.email, case when u.confirmed then now() end, jsonb_build_object('full_name', u.name), now(), now()
              from unnest(${users.map((u) => u.id)}::uuid[], ${users.map((u) => u.email)}::text[], ${users.map((u) => u.confirmed)}::boolean[],
                          ${users.map((u) => u.fullName)}::text[]) as u(id, email, confirmed, name)`.execute(db)
  const model: Model = {
    tag, orgs: [], users, customers: [], revenue: [], activities: [], usage: [], invitations: [], audit: new Map(), slugs: 0,
  }
  for (let i = 0; i < 3; i++) {
    const admin = users[i * 3]
    const members = [users[i * 3 + 1], users[i * 3 + 2]]
    if (!admin) throw new Error('missing admin')
    const slug = `${tag}-org${i}`
    const name = `Fuzz ${tag} ${i}`
    const id = await asUser(db, admin.id, (trx) => createOrganization(trx, { name, slug }))
    model.orgs.push({ id, slug, name })
    admin.org = id
    admin.role = 'admin'
    for (const member of members) if (member) member.org = id
  }
  await asSystem(db, async (trx) => {
    for (const org of model.orgs) {
      const ids = users.filter((u) => u.org === org.id && u.role === 'member').map((u) => u.id)
      await trx.updateTable('profiles').set({ organization_id: org.id }).where('id', 'in', ids).execute()
      // A live and a soft-deleted row of each business table, so that restores have targets at once.
      const [live, gone] = await trx.insertInto('customers').values([
        { organization_id: org.id, name: `Seed ${org.slug}` },
        { organization_id: org.id, name: `Gone ${org.slug}`, deleted_at: new Date() },
      ]).returning('id').execute()
      if (!live || !gone) throw new Error('seed customers')
      model.customers.push(
        { id: live.id, org: org.id, name: `Seed ${org.slug}`, status: 'active', deleted: false },
        { id: gone.id, org: org.id, name: `Gone ${org.slug}`, status: 'active', deleted: true },
      )
      const revenue = await trx.insertInto('revenue').values([
        { organization_id: org.id, customer_id: live.id, amount: '100.00', date: '2026-01-15' },
        { organization_id: org.id, customer_id: live.id, amount: '7.50', date: '2026-02-01', deleted_at: new Date() },
      ]).returning('id').execute()
      revenue.forEach((x, i) => model.revenue.push(
        { id: x.id, org: org.id, customer: live.id, cents: i === 0 ? 10000 : 750, date: i === 0 ? '2026-01-15' : '2026-02-01', deleted: i === 1 }))
      const activities = await trx.insertInto('activities').values([
        { organization_id: org.id, customer_id: live.id, type: 'signup' },
        { organization_id: org.id, customer_id: live.id, type: 'login', deleted_at: new Date() },
      ]).returning('id').execute()
      activities.forEach((x, i) => model.activities.push(
        { id: x.id, org: org.id, customer: live.id, type: i === 0 ? 'signup' : 'login', deleted: i === 1 }))
    }
  })
  const audit = await db.selectFrom('audit_logs').select(['organization_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('organization_id', 'in', model.orgs.map((o) => o.id)).groupBy('organization_id').execute()
  for (const row of audit) model.audit.set(row.organization_id, Number(row.n))
  const fp = await fingerprint(db)
  return { model, real: { db, marker: fp.marker, counts: fp.counts } }
}

/** End of a run: every actor of the run sees exactly its share; nothing crosses a tenant boundary. */
export async function sweep(m: Model, r: Real): Promise<void> {
  for (const user of m.users) await checkVisible(m, r.db, { kind: 'user', user }, 'end of run')
  await checkVisible(m, r.db, { kind: 'anon' }, 'end of run')
  const profiles = await r.db.selectFrom('profiles').select(['id', 'organization_id', 'role'])
    .where('id', 'in', m.users.map((u) => u.id)).execute()
  for (const u of m.users) {
    const p = profiles.find((x) => x.id === u.id)
    assert.deepEqual({ org: p?.organization_id, role: p?.role }, { org: u.org, role: u.role }, `end of run: profile ${u.id}`)
  }
  for (const org of m.orgs) {
    const admins = m.users.filter((u) => u.org === org.id && u.role === 'admin').length
    assert.ok(admins >= 1, `end of run: organization ${org.slug} keeps an admin`)
  }
  assert.deepEqual(await crossTenantRows(r.db), [], 'end of run: cross-tenant rows')
  assert.deepEqual(await inconsistentCustomers(r.db), [], 'end of run: derived figures of every customer')
}
