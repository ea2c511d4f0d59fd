// Offboarding (issue 21): deletion request, grace period, cancel, purge (also interrupted), user erasure
// and auth.users deletion, each checked against the catalog: every table holding organization_id and
// every text/jsonb column of every table, so that tables added later are covered. Attacks at the end.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  asService, asSystem, asUser, cancelOrganizationDeletion, ConflictError, deleteMyAccount, eraseUser, InvalidInputError,
  NotAuthorizedError, purgeInBatches, purgeOrganizations, purgeOrganizationStep, requestOrganizationDeletion, softDelete,
} from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { invite } from './support/invitations.js'
import { createTenant, personalDataMatches, rowsOfOrganization, type Tenant, visibleCounts } from './support/offboarding.js'

const t = useFreshDb()
const DAY = 86_400_000
const later = (days: number): Date => new Date(Date.now() + days * DAY)

let a: Tenant
let b: Tenant
t.before(async () => {
  a = await createTenant(t.db, 'a')
  b = await createTenant(t.db, 'b')
})

const request = (userId: string, name: string) => asUser(t.db, userId, (trx) => requestOrganizationDeletion(trx, name))
const cancel = (userId: string) => asUser(t.db, userId, (trx) => cancelOrganizationDeletion(trx))

describe('requesting and cancelling a deletion', () => {
  it('refuses members, outsiders and a wrong name; an admin gets the end of a 30-day grace', async () => {
    await expectError(request(a.memberId, a.name), NotAuthorizedError, { code: '42501', table: 'organizations' })
    const outsider = (await createTenant(t.db, 'x', 0)).memberId
    await asUser(t.db, outsider, (trx) => sql`select public.leave_organization()`.execute(trx))
    await expectError(request(outsider, a.name), NotAuthorizedError, { code: '42501' })
    await expectError(request(a.adminId, 'tenant a'), InvalidInputError, { code: '22023', column: 'name', message: /exactly/ })
    await expectError(request(a.adminId, `${a.name} `), InvalidInputError, { code: '22023' })
    const before = await visibleCounts(t.db, a.adminId)
    const purgeAfter = await request(a.adminId, a.name)
    const days = (purgeAfter.getTime() - Date.now()) / DAY
    assert.ok(days > 29.99 && days <= 30, `grace of 30 days, got ${days}`)
    await expectError(request(a.adminId, a.name), ConflictError, { code: '55000', column: 'deletion_requested_at' })

    // Members see the organization row with its dates and each other, nothing of its data.
    for (const user of [a.adminId, a.memberId]) {
      assert.deepEqual(await visibleCounts(t.db, user), { customers: 0, revenue: 0, activities: 0, ai_usage_log: 0, audit_logs: 0, organizations: 1, profiles: 2, invitations: 0 })
      const row = await asUser(t.db, user, (trx) => trx.selectFrom('organizations').select(['deletion_requested_at', 'purge_after']).executeTakeFirstOrThrow())
      assert.equal(row.purge_after?.getTime(), purgeAfter.getTime())
      assert.ok(row.deletion_requested_at instanceof Date)
    }
    // The dashboards, built on the same helpers, answer nothing.
    const summary = await asUser(t.db, a.adminId, async (trx) =>
      (await sql<{ n: string }>`select count(*) as n from public.dashboard_top_customers(10)`.execute(trx)).rows[0]?.n)
    assert.equal(Number(summary), 0)

    // Writes: clear errors from the API and from trusted writers; plain updates see nothing.
    const pending = { code: '55000', message: /pending deletion/ }
    await expectError(asUser(t.db, a.adminId, (trx) => trx.insertInto('customers').values({ organization_id: a.id, name: 'new' }).execute()), ConflictError, { ...pending, table: 'customers' })
    await expectError(asUser(t.db, a.adminId, (trx) => softDelete(trx, 'customers', a.customerIds[0] ?? '')), ConflictError, pending)
    await expectError(invite(t.db, a.adminId, 'late@example.com'), ConflictError, { ...pending, table: 'invitations' })
    await expectError(asUser(t.db, a.adminId, (trx) => sql`select public.remove_member(${a.memberId})`.execute(trx)), ConflictError, pending)
    const inv = await asSystem(t.db, (trx) => trx.selectFrom('invitations').select('id').where('organization_id', '=', a.id).where('status', '=', 'pending').executeTakeFirstOrThrow())
    await expectError(asUser(t.db, a.adminId, (trx) => sql`select public.revoke_invitation(${inv.id})`.execute(trx)), ConflictError, pending)
    await expectError(asService(t.db, (trx) => trx.insertInto('ai_usage_log').values({ organization_id: a.id, user_id: a.memberId, query_id: randomUUID(), model: 'm', date: '2026-01-16' }).execute()), ConflictError, { ...pending, table: 'ai_usage_log' })
    const updated = await asUser(t.db, a.adminId, (trx) => trx.updateTable('customers').set({ name: 'renamed' }).executeTakeFirst())
    assert.equal(updated.numUpdatedRows, 0n)
    const renamed = await asUser(t.db, a.adminId, (trx) => trx.updateTable('organizations').set({ purge_after: new Date() }).executeTakeFirst())
    assert.equal(renamed.numUpdatedRows, 0n)

    // The other organization is untouched.
    assert.equal((await visibleCounts(t.db, b.adminId)).customers, 3)
    await asUser(t.db, b.adminId, (trx) => trx.insertInto('customers').values({ organization_id: b.id, name: 'b new' }).execute())

    // Cancel: members may not; the admin gets everything back, counts exactly as before.
    await expectError(cancel(a.memberId), NotAuthorizedError, { code: '42501' })
    const beforePurge = await purgeOrganizations(t.db, new Date())
    assert.equal(beforePurge, 0, 'nothing is due before the grace ends')
    await cancel(a.adminId)
    // Exactly as before, with two rows more in the trail: the request and the cancellation.
    assert.deepEqual(await visibleCounts(t.db, a.adminId), { ...before, audit_logs: (before.audit_logs ?? 0) + 2 })
    await expectError(cancel(a.adminId), ConflictError, { code: '55000', column: 'deletion_requested_at' })
    const trail = await asUser(t.db, a.adminId, (trx) => trx.selectFrom('audit_logs').select(['user_id', 'new_data'])
      .where('table_name', '=', 'organizations').orderBy('created_at').execute())
    assert.deepEqual(trail.map((r) => [r.user_id, r.new_data?.['purge_after'] === null]), [[a.adminId, false], [a.adminId, true]])
  })

  it('the grace is a setting of the deployment; cancelling after it ended is refused', async () => {
    const c = await createTenant(t.db, 'grace', 1)
    await asSystem(t.db, (trx) => sql`update private.offboarding_settings set deletion_grace = '1 hour'`.execute(trx))
    try {
      const purgeAfter = await request(c.adminId, c.name)
      const hours = (purgeAfter.getTime() - Date.now()) / 3_600_000
      assert.ok(hours > 0.99 && hours <= 1, `grace of 1 hour, got ${hours}`)
    } finally {
      await asSystem(t.db, (trx) => sql`update private.offboarding_settings set deletion_grace = '30 days'`.execute(trx))
    }
    await asSystem(t.db, (trx) => sql`update public.organizations set purge_after = now() - interval '1 second' where id = ${c.id}`.execute(trx))
    await expectError(cancel(c.adminId), ConflictError, { code: '55000', column: 'purge_after' })
    assert.equal(await purgeOrganizations(t.db, new Date()), 1)
  })
})

describe('purge', () => {
  it('does nothing before the grace ends; after it, nothing of the organization is left but a tombstone', async () => {
    const c = await createTenant(t.db, 'purge', 4)
    const bBefore = await rowsOfOrganization(t.db, b.id)
    await request(c.adminId, c.name)
    const all = await rowsOfOrganization(t.db, c.id)
    assert.equal(await purgeOrganizations(t.db, later(29)), 0)
    assert.deepEqual(await rowsOfOrganization(t.db, c.id), all)

    assert.ok(await purgeOrganizations(t.db, later(31)) >= 1)
    const left = await rowsOfOrganization(t.db, c.id)
    const auditTables = Object.keys(left)
    assert.equal(Object.values(left).reduce((x, y) => x + y, 0), 1, `only the tombstone is left: ${JSON.stringify(left)}`)
    assert.match(auditTables[0] ?? '', /^private\.audit_logs_/)
    const tomb = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').selectAll().where('organization_id', '=', c.id).executeTakeFirstOrThrow())
    assert.equal(tomb.old_data?.['tombstone'], true)
    assert.deepEqual(await personalDataMatches(t.db, [c.name, 'admin-purge@', 'Admin purge Person', 'pending-purge@']), {
      // The auth users stay (their accounts are theirs, not the organization's): only auth.users holds them.
      'auth.users.email': 1, 'auth.users.raw_user_meta_data': 1, 'public.profiles.email': 1, 'public.profiles.full_name': 1,
    })
    // Members are outsiders now; the other organization is untouched.
    const members = await asSystem(t.db, (trx) => trx.selectFrom('profiles').select(['organization_id', 'role']).where('id', 'in', [c.adminId, c.memberId]).execute())
    assert.deepEqual(members, [{ organization_id: null, role: 'member' }, { organization_id: null, role: 'member' }])
    assert.deepEqual(await rowsOfOrganization(t.db, b.id), bBefore)
  })

  it('an interrupted purge resumes where it stopped and cannot be cancelled any more', async () => {
    const c = await createTenant(t.db, 'crash', 6)
    await request(c.adminId, c.name)
    const asOf = later(31)
    // Two committed batches, then one that dies with its transaction (as a crash would).
    for (let i = 0; i < 2; i++) await asSystem(t.db, (trx) => purgeOrganizationStep(trx, c.id, { asOf, batchRows: 2 }))
    await assert.rejects(asSystem(t.db, async (trx) => {
      await purgeOrganizationStep(trx, c.id, { asOf, batchRows: 2 })
      throw new Error('crash')
    }, { attempts: 1 }), /crash/)
    const midway = await rowsOfOrganization(t.db, c.id)
    // The two committed batches took 4 of the 6 activities (public's tables come first in the purge's
    // order; the rollups' deltas those deletes append in private come after them).
    assert.equal(midway['public.activities'], 2, JSON.stringify(midway))
    assert.ok((midway['public.customers'] ?? 0) === 6, 'customers go after the rows referring to them')
    await expectError(cancel(c.adminId), ConflictError, { code: '55000' })

    const batches: string[] = []
    const result = await purgeInBatches(t.db, { asOf, batchRows: 4, onBatch: (p) => { if (p.organizationId === c.id) batches.push(p.step.table ?? '') } })
    assert.ok(result.purged.includes(c.id))
    assert.equal(batches.at(-1), 'organizations')
    assert.ok(batches.length > 3, `several batches, got ${batches.join(',')}`)
    assert.deepEqual(Object.values(await rowsOfOrganization(t.db, c.id)), [1])
  })
})

describe('erasure', () => {
  it('erase_user leaves no trace of the email and name anywhere; then the auth user can be deleted', async () => {
    const c = await createTenant(t.db, 'erase', 1)
    // Invitations to the member's address elsewhere too (pending in b), and the trail's profile rows.
    await invite(t.db, b.adminId, 'member-erase@example.com')
    await asUser(t.db, c.memberId, (trx) => trx.updateTable('profiles').set({ full_name: 'Member erase Renamed' }).where('id', '=', c.memberId).execute())
    const needles = ['member-erase@example.com', 'Member erase Person', 'Member erase Renamed']
    const before = await personalDataMatches(t.db, needles)
    assert.ok(Object.keys(before).some((k) => k.startsWith('private.audit_logs_')), 'the trail held them')

    await expectError(asUser(t.db, c.adminId, (trx) => eraseUser(trx, c.memberId)), NotAuthorizedError, { code: '42501' })
    await asService(t.db, (trx) => eraseUser(trx, c.memberId))
    assert.deepEqual(await personalDataMatches(t.db, needles), { 'auth.users.email': 1, 'auth.users.raw_user_meta_data': 1 })
    const filed = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').select(['organization_id', 'old_data', 'new_data'])
      .where('table_name', '=', 'audit_logs').where('record_id', '=', c.memberId).execute())
    assert.ok(filed.some((r) => r.organization_id === c.id && r.new_data?.['erasure'] === true))
    await deleteAuthUser(c.memberId)
    assert.deepEqual(await personalDataMatches(t.db, needles), {})
  })

  it('refuses the last admin of an organization with other members; a sole member erases themself and their account', async () => {
    const c = await createTenant(t.db, 'last', 1)
    await expectError(asService(t.db, (trx) => eraseUser(trx, c.adminId)), InvalidInputError,
      { code: '23514', constraint: 'organization_keeps_an_admin', message: /last admin/ })
    await asUser(t.db, c.memberId, (trx) => sql`select public.leave_organization()`.execute(trx))
    await asUser(t.db, c.adminId, (trx) => deleteMyAccount(trx))
    const gone = await asSystem(t.db, async (trx) => (await sql<{ n: string }>`select count(*) as n from auth.users where id = ${c.adminId}`.execute(trx)).rows[0]?.n)
    assert.equal(Number(gone), 0)
    assert.deepEqual(await personalDataMatches(t.db, ['admin-last@example.com', 'Admin last Person']), {})
    // The organization has nobody left: it is put into its grace period, to be purged.
    const org = await asSystem(t.db, (trx) => trx.selectFrom('organizations').select('purge_after').where('id', '=', c.id).executeTakeFirstOrThrow())
    assert.ok(org.purge_after instanceof Date)
  })
})

/** Deletes an auth user as GoTrue does (as supabase_auth_admin where this database has that role and we may become it). */
async function deleteAuthUser(id: string): Promise<void> {
  await asSystem(t.db, async (trx) => {
    const canBecome = (await sql<{ ok: boolean }>`
      select exists (select 1 from pg_catalog.pg_roles r where r.rolname = 'supabase_auth_admin'
                      and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')) as ok`.execute(trx)).rows[0]?.ok
    if (canBecome) await sql`set local role supabase_auth_admin`.execute(trx)
    await sql`delete from auth.users where id = ${id}`.execute(trx)
  })
}

describe('deleting auth users directly', () => {
  it('every foreign key to auth.users cascades or sets null (read from the catalog)', async () => {
    const fks = await asSystem(t.db, async (trx) => (await sql<{ name: string; action: string }>`
      select format('%s.%s', c.conrelid::regclass, c.conname) as name, c.confdeltype::text as action
        from pg_catalog.pg_constraint c
       where c.contype = 'f' and c.confrelid = 'auth.users'::regclass
         and c.connamespace not in (select oid from pg_catalog.pg_namespace where nspname = 'auth')`.execute(trx)).rows)
    assert.ok(fks.length >= 1, 'profiles refers to auth.users')
    assert.deepEqual(fks.filter((f) => f.action !== 'c' && f.action !== 'n' && f.action !== 'd'), [])
  })

  it('a user who created an organization, data and audit entries can be deleted as GoTrue does', async () => {
    const c = await createTenant(t.db, 'gotrue', 2)
    await asUser(t.db, c.memberId, (trx) => sql`select public.leave_organization()`.execute(trx))
    await deleteAuthUser(c.adminId)
    assert.deepEqual(await personalDataMatches(t.db, ['admin-gotrue@example.com', 'Admin gotrue Person']), {})
    // Its data stays the organization's (customers by the organization, actor ids pseudonymous).
    assert.equal((await rowsOfOrganization(t.db, c.id))['public.customers'], 2)
  })
})

describe('attacks', () => {
  it('a member cannot purge, erase others, or change the trail through erasure', async () => {
    const c = await createTenant(t.db, 'attack', 1)
    const trail = async () => new Map(await asSystem(t.db, async (trx) =>
      (await sql<{ id: string; row: string }>`select id, to_jsonb(a)::text as row from public.audit_logs a
                                             where record_id is distinct from ${c.memberId}`.execute(trx)).rows.map((r) => [r.id, r.row])))
    const before = await trail()
    for (const stmt of [
      sql`select private.purge_organizations(now() + interval '1000 days')`,
      sql`select * from private.purge_organization_step(${b.id}::uuid, now(), 10)`,
      sql`select public.erase_user(${b.adminId}::uuid)`,
      sql`select private.erase_user(${b.adminId}::uuid)`,
      sql`select * from private.scrub_user_from_audit(${b.adminId}::uuid, 'admin-b@example.com')`,
      sql`update public.audit_logs set old_data = null where organization_id = ${c.id}`,
      sql`delete from public.audit_logs where organization_id = ${c.id}`,
      sql`update private.offboarding_settings set deletion_grace = '0'`,
    ]) {
      await expectError(asUser(t.db, c.memberId, (trx) => stmt.execute(trx)), NotAuthorizedError, { code: '42501' })
      await expectError(asUser(t.db, c.adminId, (trx) => stmt.execute(trx)), NotAuthorizedError, { code: '42501' })
    }
    // Not even the owner rewrites the trail outside the two sanctioned functions.
    await expectError(asSystem(t.db, (trx) => sql`update public.audit_logs set action = 'DELETE' where organization_id = ${c.id}`.execute(trx)), NotAuthorizedError, { message: /append-only/ })
    await expectError(asSystem(t.db, (trx) => sql`delete from public.audit_logs where organization_id = ${c.id}`.execute(trx)), NotAuthorizedError, { message: /append-only/ })
    // A member erasing themself changes no other row of the trail.
    await asUser(t.db, c.memberId, (trx) => deleteMyAccount(trx))
    const after = await trail()
    // Only the rows that held the member's own address changed (to null there, test above).
    const others = [...before].filter(([, row]) => !row.includes('member-attack@example.com'))
    assert.ok(others.length > 5)
    assert.deepEqual(others.filter(([id, row]) => after.get(id) !== row), [], 'the rest of the trail is unchanged')
    // An admin cannot use the organization's UPDATE policy to shorten the grace.
    await request(c.adminId, c.name)
    const moved = await asUser(t.db, c.adminId, (trx) => trx.updateTable('organizations').set({ purge_after: new Date(0) }).where('id', '=', c.id).executeTakeFirst())
    assert.equal(moved.numUpdatedRows, 0n)
  })
})
