// The flows of lib/db (organizations, members, soft delete, AI usage, preferences, audit trail, invitations,
// audit partitions; each of the last two has a file of its own for its attacks, races and edge cases):
// success and failure paths, the rows they leave and the audit rows they write.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { before, describe, test } from 'node:test'
import { sql } from 'kysely'
import {
  acceptInvitation, type Activity, asAnon, asService, asSystem, asUser, type AuditLog, auditMonthsBefore, changeRole, ConflictError, createOrganization,
  type Customer, declineInvitation, exportFileName, getPreferences, InvalidInputError, inviteMember, leaveOrganization, listDeleted, listMyInvitations,
  listOrganizationInvitations, maintainAuditPartitions, NotAuthorizedError, NotFoundError, type Profile, pruneAuditMonths, readAuditTrail, recordAiUsage,
  removeMember, restore, type Revenue, revokeInvitation, setPreferences, SOFT_DELETE_TABLES, softDelete, type SoftDeleteTable,
} from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { createAuthUser, useCast } from './support/fixtures.js'
import { createTeam, type Team } from './support/teams.js'

// Compile-time checks of the flows' types: the trash of each table is typed as that table's rows.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const trashTypes: [
  Equal<Awaited<ReturnType<typeof listDeleted<'customers'>>>, Customer[]>,
  Equal<Awaited<ReturnType<typeof listDeleted<'revenue'>>>, Revenue[]>,
  Equal<Awaited<ReturnType<typeof listDeleted<'activities'>>>, Activity[]>,
] = [true, true, true]
void trashTypes

const h = useFreshDb()
const cast = useCast(h)

function profile(id: string): Promise<Profile> {
  return asSystem(h.db, (trx) => trx.selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
}

function auditOf(recordId: string): Promise<AuditLog[]> {
  return asSystem(h.db, (trx) =>
    trx.selectFrom('audit_logs').selectAll().where('record_id', '=', recordId)
      .orderBy('created_at').orderBy('id').execute(),
  )
}

function auditCount(): Promise<number> {
  return asSystem(h.db, async (trx) => {
    const r = await trx.selectFrom('audit_logs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    return Number(r.n)
  })
}

/** Rows of the business tables in a team's organization, inserted by the system. */
async function seedRows(team: Team): Promise<Record<SoftDeleteTable, string>> {
  return asSystem(h.db, async (trx) => {
    const customer = await trx.insertInto('customers').values({ organization_id: team.orgId, name: 'Seed customer' })
      .returning('id').executeTakeFirstOrThrow()
    const revenue = await trx.insertInto('revenue')
      .values({ organization_id: team.orgId, customer_id: customer.id, amount: '250.50', date: '2026-02-01' })
      .returning('id').executeTakeFirstOrThrow()
    const activity = await trx.insertInto('activities')
      .values({ organization_id: team.orgId, customer_id: customer.id, type: 'signup', metadata: { source: 'seed' } })
      .returning('id').executeTakeFirstOrThrow()
    return { customers: customer.id, revenue: revenue.id, activities: activity.id }
  })
}

/** Whether a user sees the row as live (through RLS). */
async function seesLive(userId: string, table: SoftDeleteTable, id: string): Promise<boolean> {
  const row = await asUser(h.db, userId, (trx) => trx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst())
  return row !== undefined
}

async function deletedAt(table: SoftDeleteTable, id: string): Promise<Date | null> {
  const row = await asSystem(h.db, (trx) => trx.selectFrom(table).select('deleted_at').where('id', '=', id).executeTakeFirstOrThrow())
  return row.deleted_at
}

describe('createOrganization', () => {
  test('makes the caller the admin of a new organization, audited as a membership change', async () => {
    const founder = await createAuthUser(h.db, 'founder@example.com')
    const orgId = await asUser(h.db, founder, (trx) => createOrganization(trx, { name: 'Founders Inc', slug: 'founders' }))

    const org = await asSystem(h.db, (trx) => trx.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow())
    assert.equal(org.name, 'Founders Inc')
    assert.equal(org.slug, 'founders')
    assert.ok(org.created_at instanceof Date)
    const p = await profile(founder)
    assert.equal(p.organization_id, orgId)
    assert.equal(p.role, 'admin')

    // The founder sees the organization through RLS.
    const visible = await asUser(h.db, founder, (trx) => trx.selectFrom('organizations').select('id').execute())
    assert.deepEqual(visible.map((o) => o.id), [orgId])

    const audit = await auditOf(founder)
    assert.equal(audit.length, 1)
    const [row] = audit
    assert.equal(row?.action, 'UPDATE')
    assert.equal(row?.table_name, 'profiles')
    assert.equal(row?.organization_id, orgId)
    assert.equal(row?.user_id, founder)
    assert.equal(row?.old_data?.organization_id, null)
    assert.equal(row?.old_data?.role, 'member')
    assert.equal(row?.new_data?.organization_id, orgId)
    assert.equal(row?.new_data?.role, 'admin')
  })

  test('a taken slug is a ConflictError naming the constraint, and nothing is created', async () => {
    const user = await createAuthUser(h.db, 'slug-taker@example.com')
    const before = await auditCount()
    const err = await expectError(
      asUser(h.db, user, (trx) => createOrganization(trx, { name: 'Copycat', slug: 'org-a' })),
      ConflictError,
      { code: '23505', table: 'organizations', column: 'slug', constraint: 'organizations_slug_key', message: /"org-a" is already taken/ },
    )
    assert.match(err.message, /organizations\.slug/)
    assert.equal((await profile(user)).organization_id, null)
    assert.equal(await auditCount(), before)
    const copies = await asSystem(h.db, (trx) => trx.selectFrom('organizations').select('id').where('name', '=', 'Copycat').execute())
    assert.equal(copies.length, 0)
  })

  test('a member of an organization cannot create another (ConflictError on profiles.organization_id)', async () => {
    await expectError(
      asUser(h.db, cast.a.memberId, (trx) => createOrganization(trx, { name: 'Second', slug: 'second-org' })),
      ConflictError,
      { code: '55000', table: 'profiles', column: 'organization_id', message: /already belongs to an organization/ },
    )
    assert.equal((await profile(cast.a.memberId)).organization_id, cast.a.id)
  })

  test('needs a signed-in user: anon, service and system get NotAuthorizedError', async () => {
    // anon may not even call the function; service and system have no user to make admin.
    await expectError(asAnon(h.db, (trx) => createOrganization(trx, { name: 'Anon', slug: 'anon-org' })), NotAuthorizedError, { code: '42501' })
    await expectError(asService(h.db, (trx) => createOrganization(trx, { name: 'Svc', slug: 'svc-org' })), NotAuthorizedError, {
      code: '42501', message: /signed-in user/,
    })
    await expectError(asSystem(h.db, (trx) => createOrganization(trx, { name: 'Sys', slug: 'sys-org' })), NotAuthorizedError, { code: '42501' })
  })
})

describe('changeRole', () => {
  test('an admin promotes and demotes a member, each change audited with old and new role', async () => {
    const team = await createTeam(h.db, 'roles')
    await asUser(h.db, team.adminId, (trx) => changeRole(trx, team.memberId, 'admin'))
    assert.equal((await profile(team.memberId)).role, 'admin')
    await asUser(h.db, team.adminId, (trx) => changeRole(trx, team.memberId, 'member'))
    assert.equal((await profile(team.memberId)).role, 'member')

    const audit = (await auditOf(team.memberId)).filter((a) => a.old_data?.role !== a.new_data?.role)
    assert.equal(audit.length, 2)
    for (const a of audit) {
      assert.equal(a.action, 'UPDATE')
      assert.equal(a.table_name, 'profiles')
      assert.equal(a.organization_id, team.orgId)
      assert.equal(a.user_id, team.adminId)
    }
    assert.deepEqual(
      audit.map((a) => [a.old_data?.role, a.new_data?.role]).sort(),
      [['admin', 'member'], ['member', 'admin']],
    )
  })

  test('setting the role a member already has succeeds and writes no audit row', async () => {
    const team = await createTeam(h.db, 'same-role')
    const before = (await auditOf(team.memberId)).length
    await asUser(h.db, team.adminId, (trx) => changeRole(trx, team.memberId, 'member'))
    assert.equal((await auditOf(team.memberId)).length, before)
  })

  test('a member cannot change their own role (NotAuthorizedError on profiles.role)', async () => {
    const team = await createTeam(h.db, 'self-promote')
    await expectError(asUser(h.db, team.memberId, (trx) => changeRole(trx, team.memberId, 'admin')), NotAuthorizedError, {
      code: '42501', table: 'profiles', column: 'role',
    })
    assert.equal((await profile(team.memberId)).role, 'member')
  })

  test("a member cannot change a colleague's role: the update touches no row", async () => {
    const team = await createTeam(h.db, 'colleague', 2)
    const [, other = ''] = team.memberIds
    await expectError(asUser(h.db, team.memberId, (trx) => changeRole(trx, other, 'admin')), NotAuthorizedError, {
      table: 'profiles', column: 'role', message: /not authorized/,
    })
    assert.equal((await profile(other)).role, 'member')
  })

  test("another organization's admin, or an unknown user id, gets the same NotAuthorizedError", async () => {
    const before = await auditCount()
    const foreign = await expectError(asUser(h.db, cast.b.adminId, (trx) => changeRole(trx, cast.a.memberId, 'admin')), NotAuthorizedError)
    const unknown = await expectError(asUser(h.db, cast.b.adminId, (trx) => changeRole(trx, randomUUID(), 'admin')), NotAuthorizedError)
    assert.equal(foreign.message.replace(/[0-9a-f-]{36}/, 'ID'), unknown.message.replace(/[0-9a-f-]{36}/, 'ID'))
    assert.equal((await profile(cast.a.memberId)).role, 'member')
    assert.equal(await auditCount(), before)
  })

  test('the last admin cannot demote themselves (InvalidInputError organization_keeps_an_admin)', async () => {
    const team = await createTeam(h.db, 'last-admin')
    await expectError(asUser(h.db, team.adminId, (trx) => changeRole(trx, team.adminId, 'member')), InvalidInputError, {
      code: '23514', table: 'profiles', column: 'role', constraint: 'organization_keeps_an_admin', message: /last admin/,
    })
    assert.equal((await profile(team.adminId)).role, 'admin')
  })

  test('an admin can step down once there is another admin', async () => {
    const team = await createTeam(h.db, 'step-down')
    await asUser(h.db, team.adminId, async (trx) => {
      await changeRole(trx, team.memberId, 'admin')
      await changeRole(trx, team.adminId, 'member')
    })
    assert.equal((await profile(team.adminId)).role, 'member')
    assert.equal((await profile(team.memberId)).role, 'admin')
  })

  test('trusted code (system) may change any role; audited with no user', async () => {
    const team = await createTeam(h.db, 'system-role')
    await asSystem(h.db, (trx) => changeRole(trx, team.memberId, 'admin'))
    assert.equal((await profile(team.memberId)).role, 'admin')
    const last = (await auditOf(team.memberId)).find((a) => a.new_data?.role === 'admin')
    assert.equal(last?.user_id, null)
    await expectError(asSystem(h.db, (trx) => changeRole(trx, randomUUID(), 'admin')), NotAuthorizedError)
  })
})

describe('removeMember', () => {
  test('an admin removes a member: the profile becomes an outsider and loses access at once', async () => {
    const team = await createTeam(h.db, 'remove')
    await asUser(h.db, team.adminId, (trx) => changeRole(trx, team.memberId, 'admin'))
    const [customer] = await asSystem(h.db, (trx) =>
      trx.insertInto('customers').values({ organization_id: team.orgId, name: 'Kept' }).returning('id').execute())
    assert.ok(customer)
    assert.equal(await seesLive(team.memberId, 'customers', customer.id), true)

    await asUser(h.db, team.adminId, (trx) => removeMember(trx, team.memberId))
    const p = await profile(team.memberId)
    assert.equal(p.organization_id, null)
    assert.equal(p.role, 'member', 'a removed admin keeps no role')
    assert.equal(await seesLive(team.memberId, 'customers', customer.id), false)
    const orgs = await asUser(h.db, team.memberId, (trx) => trx.selectFrom('organizations').select('id').execute())
    assert.deepEqual(orgs, [])

    const removal = (await auditOf(team.memberId)).find((a) => a.new_data?.organization_id === null)
    assert.ok(removal, 'the removal is audited')
    assert.equal(removal.organization_id, team.orgId, 'filed under the organization the member left')
    assert.equal(removal.user_id, team.adminId)
    assert.equal(removal.old_data?.organization_id, team.orgId)
  })

  test('a member cannot remove anyone (NotAuthorizedError on profiles.organization_id)', async () => {
    const team = await createTeam(h.db, 'member-removes', 2)
    const [, other = ''] = team.memberIds
    await expectError(asUser(h.db, team.memberId, (trx) => removeMember(trx, other)), NotAuthorizedError, {
      code: '42501', table: 'profiles', column: 'organization_id',
    })
    await expectError(asUser(h.db, team.memberId, (trx) => removeMember(trx, team.adminId)), NotAuthorizedError)
    assert.equal((await profile(other)).organization_id, team.orgId)
    assert.equal((await profile(team.adminId)).organization_id, team.orgId)
  })

  test("an admin cannot remove another organization's member, nor an unknown user or an outsider", async () => {
    await expectError(asUser(h.db, cast.b.adminId, (trx) => removeMember(trx, cast.a.memberId)), NotAuthorizedError, {
      table: 'profiles', column: 'organization_id',
    })
    await expectError(asUser(h.db, cast.b.adminId, (trx) => removeMember(trx, randomUUID())), NotAuthorizedError)
    await expectError(asUser(h.db, cast.b.adminId, (trx) => removeMember(trx, cast.outsiderId)), NotAuthorizedError)
    assert.equal((await profile(cast.a.memberId)).organization_id, cast.a.id)
  })

  test('the last admin cannot remove themselves; with a second admin they can', async () => {
    const team = await createTeam(h.db, 'leave')
    await expectError(asUser(h.db, team.adminId, (trx) => removeMember(trx, team.adminId)), InvalidInputError, {
      constraint: 'organization_keeps_an_admin',
    })
    assert.equal((await profile(team.adminId)).organization_id, team.orgId)

    await asUser(h.db, team.adminId, async (trx) => {
      await changeRole(trx, team.memberId, 'admin')
      await removeMember(trx, team.adminId)
    })
    const p = await profile(team.adminId)
    assert.equal(p.organization_id, null)
    assert.equal(p.role, 'member')
  })

  test('a malformed user id is an InvalidInputError', async () => {
    await expectError(asUser(h.db, cast.a.adminId, (trx) => removeMember(trx, 'not-a-uuid')), InvalidInputError, { code: '22P02' })
  })
})

describe('softDelete / listDeleted / restore', () => {
  for (const table of SOFT_DELETE_TABLES) {
    test(`${table}: an admin soft deletes, finds the row in the trash and restores it; both audited`, async () => {
      const team = await createTeam(h.db, `trash-${table}`)
      const ids = await seedRows(team)
      const id = ids[table]
      assert.equal(await seesLive(team.memberId, table, id), true)

      await asUser(h.db, team.adminId, (trx) => softDelete(trx, table, id))
      assert.ok((await deletedAt(table, id)) instanceof Date)
      assert.equal(await seesLive(team.memberId, table, id), false, 'members no longer see it')
      assert.equal(await seesLive(team.adminId, table, id), false, 'nor does the admin, outside the trash')

      const trash = await asUser(h.db, team.adminId, (trx) => listDeleted(trx, table))
      assert.deepEqual(trash.map((r) => r.id), [id])
      const [row] = trash
      assert.ok(row?.deleted_at instanceof Date)
      assert.equal(row.organization_id, team.orgId)

      await asUser(h.db, team.adminId, (trx) => restore(trx, table, id))
      assert.equal(await deletedAt(table, id), null)
      assert.equal(await seesLive(team.memberId, table, id), true)
      assert.deepEqual(await asUser(h.db, team.adminId, (trx) => listDeleted(trx, table)), [])

      // Separate transactions may share a millisecond on the embedded database: find rows by action.
      const audit = await auditOf(id)
      assert.deepEqual(audit.map((a) => a.action).sort(), ['INSERT', 'RESTORE', 'SOFT_DELETE'])
      const deletion = audit.find((a) => a.action === 'SOFT_DELETE')
      const restoration = audit.find((a) => a.action === 'RESTORE')
      for (const a of [deletion, restoration]) {
        assert.equal(a?.table_name, table)
        assert.equal(a?.organization_id, team.orgId)
        assert.equal(a?.user_id, team.adminId)
      }
      assert.equal(deletion?.old_data?.deleted_at, null)
      assert.equal(typeof deletion?.new_data?.deleted_at, 'string')
      assert.equal(typeof restoration?.old_data?.deleted_at, 'string')
      assert.equal(restoration?.new_data?.deleted_at, null)
    })
  }

  test('the trash is typed and carries every column (customers: decimals as strings, dates as text)', async () => {
    const team = await createTeam(h.db, 'trash-columns')
    const ids = await seedRows(team)
    await asUser(h.db, team.adminId, async (trx) => {
      await softDelete(trx, 'revenue', ids.revenue)
      await softDelete(trx, 'customers', ids.customers)
    })
    const [customers, revenue] = await asUser(h.db, team.adminId, (trx) =>
      Promise.all([listDeleted(trx, 'customers'), listDeleted(trx, 'revenue')]))
    const [c] = customers
    const [r] = revenue
    assert.ok(c && r)
    assert.equal(c.name, 'Seed customer')
    assert.equal(c.status, 'active')
    assert.equal(c.total_revenue, '0.00', 'its revenue is soft deleted, so the derived total is 0')
    assert.equal(c.last_purchase_date, null)
    assert.equal(r.amount, '250.50')
    assert.equal(r.date, '2026-02-01')
    assert.equal(r.customer_id, ids.customers)
  })

  test('soft deleting revenue updates the customer total; restoring brings it back', async () => {
    const team = await createTeam(h.db, 'totals')
    const ids = await seedRows(team)
    const total = async () => (await asUser(h.db, team.memberId, (trx) =>
      trx.selectFrom('customers').select(['total_revenue', 'last_purchase_date']).where('id', '=', ids.customers).executeTakeFirstOrThrow()))
    assert.deepEqual(await total(), { total_revenue: '250.50', last_purchase_date: '2026-02-01' })
    await asUser(h.db, team.adminId, (trx) => softDelete(trx, 'revenue', ids.revenue))
    assert.deepEqual(await total(), { total_revenue: '0.00', last_purchase_date: null })
    await asUser(h.db, team.adminId, (trx) => restore(trx, 'revenue', ids.revenue))
    assert.deepEqual(await total(), { total_revenue: '250.50', last_purchase_date: '2026-02-01' })
  })

  test('a member gets NotAuthorizedError, and an empty trash', async () => {
    const before = await auditCount()
    for (const table of SOFT_DELETE_TABLES) {
      const id = table === 'customers' ? cast.a.customerId : table === 'revenue' ? cast.a.revenueId : cast.a.activityId
      await expectError(asUser(h.db, cast.a.memberId, (trx) => softDelete(trx, table, id)), NotAuthorizedError, {
        table, message: /only an organization admin/,
      })
      assert.equal(await deletedAt(table, id), null)
    }
    await expectError(asUser(h.db, cast.a.memberId, (trx) => restore(trx, 'customers', cast.a.deletedCustomerId)), NotAuthorizedError)
    assert.deepEqual(await asUser(h.db, cast.a.memberId, (trx) => listDeleted(trx, 'customers')), [])
    assert.deepEqual(await asUser(h.db, cast.outsiderId, (trx) => listDeleted(trx, 'customers')), [])
    assert.equal(await auditCount(), before)
  })

  test("another organization's admin gets NotFoundError and never sees the other trash", async () => {
    await expectError(asUser(h.db, cast.b.adminId, (trx) => softDelete(trx, 'customers', cast.a.customerId)), NotFoundError, {
      table: 'customers', message: /no live customers row/,
    })
    await expectError(asUser(h.db, cast.b.adminId, (trx) => restore(trx, 'customers', cast.a.deletedCustomerId)), NotFoundError, {
      table: 'customers', message: /no deleted customers row/,
    })
    assert.equal(await deletedAt('customers', cast.a.customerId), null)
    assert.ok((await deletedAt('customers', cast.a.deletedCustomerId)) instanceof Date)
    const trashB = await asUser(h.db, cast.b.adminId, (trx) => listDeleted(trx, 'customers'))
    assert.deepEqual(trashB.map((r) => r.id), [cast.b.deletedCustomerId])
  })

  test('NotFoundError for a row already deleted, a live row to restore and an unknown id', async () => {
    await expectError(asUser(h.db, cast.a.adminId, (trx) => softDelete(trx, 'customers', cast.a.deletedCustomerId)), NotFoundError)
    await expectError(asUser(h.db, cast.a.adminId, (trx) => restore(trx, 'customers', cast.a.customerId)), NotFoundError)
    await expectError(asUser(h.db, cast.a.adminId, (trx) => softDelete(trx, 'activities', randomUUID())), NotFoundError, { table: 'activities' })
    await expectError(asUser(h.db, cast.a.adminId, (trx) => restore(trx, 'revenue', randomUUID())), NotFoundError, { table: 'revenue' })
  })

  test('a malformed id is an InvalidInputError; anon, service and system are not authorized', async () => {
    await expectError(asUser(h.db, cast.a.adminId, (trx) => softDelete(trx, 'customers', 'nope')), InvalidInputError, { code: '22P02' })
    await expectError(asAnon(h.db, (trx) => softDelete(trx, 'customers', cast.a.customerId)), NotAuthorizedError)
    await expectError(asAnon(h.db, (trx) => listDeleted(trx, 'customers')), NotAuthorizedError, { code: '42501' })
    // Soft delete is an admin's action: trusted code without a user updates deleted_at itself.
    await expectError(asService(h.db, (trx) => softDelete(trx, 'customers', cast.a.customerId)), NotAuthorizedError)
    await expectError(asSystem(h.db, (trx) => restore(trx, 'customers', cast.a.deletedCustomerId)), NotAuthorizedError)
    assert.deepEqual(await asService(h.db, (trx) => listDeleted(trx, 'customers')), [])
  })

  test('a table outside the list is refused by the database too (InvalidInputError 22023)', async () => {
    const table: string = 'profiles'
    await expectError(
      asUser(h.db, cast.a.adminId, (trx) => sql`select public.soft_delete(${table}, ${cast.a.memberId}::uuid)`.execute(trx)),
      InvalidInputError,
      { code: '22023', message: /not available for table "profiles"/ },
    )
  })
})

describe('recordAiUsage', () => {
  test('the service records usage with defaults; the user and their admin can read it', async () => {
    const team = await createTeam(h.db, 'ai')
    const queryId = randomUUID()
    const row = await asService(h.db, (trx) =>
      recordAiUsage(trx, { userId: team.memberId, organizationId: team.orgId, queryId, model: 'model-s' }))
    assert.equal(row.user_id, team.memberId)
    assert.equal(row.organization_id, team.orgId)
    assert.equal(row.query_id, queryId)
    assert.equal(row.model, 'model-s')
    assert.equal(row.input_tokens, 0)
    assert.equal(row.output_tokens, 0)
    assert.equal(row.cost_usd, '0.0000')
    assert.match(row.date, /^\d{4}-\d{2}-\d{2}$/)
    const today = await asSystem(h.db, async (trx) => (await sql<{ d: string }>`select current_date as d`.execute(trx)).rows[0]?.d)
    assert.equal(row.date, today)
    assert.ok(row.created_at instanceof Date)

    const mine = await asUser(h.db, team.memberId, (trx) => trx.selectFrom('ai_usage_log').select('id').execute())
    assert.deepEqual(mine.map((r) => r.id), [row.id])
    const admins = await asUser(h.db, team.adminId, (trx) => trx.selectFrom('ai_usage_log').select('id').execute())
    assert.deepEqual(admins.map((r) => r.id), [row.id])
    const foreign = await asUser(h.db, cast.a.adminId, (trx) => trx.selectFrom('ai_usage_log').select('id').where('id', '=', row.id).execute())
    assert.deepEqual(foreign, [])
    assert.deepEqual(await auditOf(row.id), [], 'AI usage is not part of the audit trail')
  })

  test('explicit counts, an exact decimal cost and a date are stored as given (system too)', async () => {
    const row = await asSystem(h.db, (trx) => recordAiUsage(trx, {
      userId: cast.a.adminId, organizationId: cast.a.id, queryId: randomUUID(), model: 'model-l',
      inputTokens: 1200, outputTokens: 345, costUsd: '0.1235', date: '2026-01-01',
    }))
    assert.equal(row.input_tokens, 1200)
    assert.equal(row.output_tokens, 345)
    assert.equal(row.cost_usd, '0.1235')
    assert.equal(row.date, '2026-01-01')
  })

  test('users may not record usage themselves (NotAuthorizedError)', async () => {
    await expectError(asUser(h.db, cast.a.adminId, (trx) => recordAiUsage(trx, {
      userId: cast.a.adminId, organizationId: cast.a.id, queryId: randomUUID(), model: 'm',
    })), NotAuthorizedError, { code: '42501', message: /ai_usage_log/ })
    await expectError(asAnon(h.db, (trx) => recordAiUsage(trx, {
      userId: cast.a.adminId, organizationId: cast.a.id, queryId: randomUUID(), model: 'm',
    })), NotAuthorizedError)
  })

  test('negative counts or cost and an unknown organization are InvalidInputErrors naming the constraint', async () => {
    const base = { userId: cast.a.memberId, organizationId: cast.a.id, queryId: randomUUID(), model: 'm' }
    await expectError(asService(h.db, (trx) => recordAiUsage(trx, { ...base, inputTokens: -1 })), InvalidInputError, {
      code: '23514', table: 'ai_usage_log', constraint: 'ai_usage_log_input_tokens_check',
    })
    await expectError(asService(h.db, (trx) => recordAiUsage(trx, { ...base, outputTokens: -5 })), InvalidInputError, {
      constraint: 'ai_usage_log_output_tokens_check',
    })
    await expectError(asService(h.db, (trx) => recordAiUsage(trx, { ...base, costUsd: '-0.0001' })), InvalidInputError, {
      constraint: 'ai_usage_log_cost_usd_check',
    })
    await expectError(asService(h.db, (trx) => recordAiUsage(trx, { ...base, organizationId: randomUUID() })), InvalidInputError, {
      code: '23503', table: 'ai_usage_log', column: 'organization_id', constraint: 'ai_usage_log_organization_id_fkey',
    })
    await expectError(asService(h.db, (trx) => recordAiUsage(trx, { ...base, costUsd: 'cheap' })), InvalidInputError, { code: '22P02' })
    await expectError(asService(h.db, (trx) => recordAiUsage(trx, { ...base, date: '2026-02-30' })), InvalidInputError, { code: '22008' })
  })
})

describe('getPreferences / setPreferences', () => {
  test('a new user has no preferences; setting creates the row, setting again updates it', async () => {
    const team = await createTeam(h.db, 'prefs')
    const user = team.memberId
    assert.equal(await asUser(h.db, user, (trx) => getPreferences(trx)), undefined)

    const created = await asUser(h.db, user, (trx) => setPreferences(trx, { theme_preference: 'dark' }))
    assert.equal(created.user_id, user)
    assert.equal(created.theme_preference, 'dark')
    const read = await asUser(h.db, user, (trx) => getPreferences(trx))
    assert.deepEqual(read, created)

    const updated = await asUser(h.db, user, (trx) => setPreferences(trx, { theme_preference: 'light' }))
    assert.equal(updated.theme_preference, 'light')
    assert.ok(updated.updated_at.getTime() >= created.updated_at.getTime())
    const rows = await asSystem(h.db, (trx) => trx.selectFrom('user_preferences').selectAll().where('user_id', '=', user).execute())
    assert.deepEqual(rows, [updated])
  })

  test("each user reads and writes only their own row, admins included", async () => {
    const adminBefore = await asUser(h.db, cast.a.adminId, (trx) => getPreferences(trx))
    assert.equal(adminBefore?.user_id, cast.a.adminId)
    assert.equal(adminBefore?.theme_preference, 'dark')
    const member = await asUser(h.db, cast.a.memberId, (trx) => getPreferences(trx))
    assert.equal(member?.user_id, cast.a.memberId)
    assert.equal(member?.theme_preference, 'system')

    await asUser(h.db, cast.b.memberId, (trx) => setPreferences(trx, { theme_preference: 'light' }))
    const adminAfter = await asUser(h.db, cast.a.adminId, (trx) => getPreferences(trx))
    assert.deepEqual(adminAfter, adminBefore)
    assert.equal((await asUser(h.db, cast.a.memberId, (trx) => getPreferences(trx)))?.theme_preference, 'system')
  })

  test('a theme outside the CHECK list is rejected by the types and by the database', async () => {
    await expectError(
      // @ts-expect-error 'neon' is not a ThemePreference
      asUser(h.db, cast.a.memberId, (trx) => setPreferences(trx, { theme_preference: 'neon' })),
      InvalidInputError,
      { code: '23514', table: 'user_preferences', constraint: 'user_preferences_theme_preference_check' },
    )
    assert.equal((await asUser(h.db, cast.a.memberId, (trx) => getPreferences(trx)))?.theme_preference, 'system')
  })

  test('anon, service and system have no preferences of their own (NotAuthorizedError)', async () => {
    await expectError(asAnon(h.db, (trx) => getPreferences(trx)), NotAuthorizedError, { table: 'user_preferences' })
    await expectError(asService(h.db, (trx) => setPreferences(trx, { theme_preference: 'dark' })), NotAuthorizedError)
    await expectError(asSystem(h.db, (trx) => getPreferences(trx)), NotAuthorizedError)
  })
})

describe('readAuditTrail', () => {
  let team: Team
  /** The team's whole trail, newest first, as the system reads it. */
  let all: AuditLog[]
  let customerIds: string[]

  before(async () => {
    team = await createTeam(h.db, 'audit')
    // Many rows in one statement share created_at: pages must still split them by id.
    customerIds = await asUser(h.db, team.adminId, async (trx) => {
      const rows = await trx.insertInto('customers')
        .values(Array.from({ length: 12 }, (_, i) => ({ organization_id: team.orgId, name: `Audited ${i}` })))
        .returning('id').execute()
      return rows.map((r) => r.id)
    })
    const [first = '', second = ''] = customerIds
    await asUser(h.db, team.adminId, (trx) => trx.updateTable('customers').set({ status: 'churned' }).where('id', '=', first).execute())
    await asUser(h.db, team.adminId, (trx) => softDelete(trx, 'customers', second))
    await asUser(h.db, team.adminId, (trx) => restore(trx, 'customers', second))
    await asSystem(h.db, (trx) => trx.insertInto('activities').values({ organization_id: team.orgId, type: 'login' }).execute())
    all = await asSystem(h.db, (trx) => trx.selectFrom('audit_logs').selectAll().where('organization_id', '=', team.orgId)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').execute())
    assert.ok(all.length >= 17, `enough rows to page through (${all.length})`)
  })

  test("an admin reads their organization's whole trail, newest first", async () => {
    const page = await asUser(h.db, team.adminId, (trx) => readAuditTrail(trx, { limit: 1000 }))
    assert.deepEqual(page.rows, all)
    assert.equal(page.nextCursor, null)
    assert.equal(page.nextOffset, null)
  })

  test('keyset pages cover the trail exactly once, across rows that share created_at', async () => {
    const seen: AuditLog[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await asUser(h.db, team.adminId, (trx) => readAuditTrail(trx, { limit: 4, ...(cursor ? { cursor } : {}) }))
      assert.ok(page.rows.length <= 4)
      seen.push(...page.rows)
      cursor = page.nextCursor ?? undefined
      pages++
    } while (cursor && pages < 100)
    assert.deepEqual(seen, all)
    assert.equal(pages, Math.ceil(all.length / 4))
  })

  test('offset pages give the same order', async () => {
    const seen: AuditLog[] = []
    let offset: number | null = 0
    while (offset !== null) {
      const from: number = offset
      const page = await asUser(h.db, team.adminId, (trx) => readAuditTrail(trx, { limit: 5, offset: from }))
      seen.push(...page.rows)
      offset = page.nextOffset
    }
    assert.deepEqual(seen, all)
  })

  test('a cursor stays valid while new rows arrive: the next page neither repeats nor skips', async () => {
    const t = await createTeam(h.db, 'audit-live')
    await asSystem(h.db, (trx) => trx.insertInto('activities')
      .values(Array.from({ length: 6 }, () => ({ organization_id: t.orgId, type: 'login' as const }))).execute())
    const first = await asUser(h.db, t.adminId, (trx) => readAuditTrail(trx, { limit: 3, table: 'activities' }))
    assert.ok(first.nextCursor)
    await asSystem(h.db, (trx) => trx.insertInto('activities').values({ organization_id: t.orgId, type: 'export' }).execute())
    const second = await asUser(h.db, t.adminId, (trx) => readAuditTrail(trx, { limit: 10, table: 'activities', cursor: first.nextCursor ?? '' }))
    assert.equal(second.rows.length, 3)
    assert.equal(second.nextCursor, null)
    const ids = [...first.rows, ...second.rows].map((r) => r.id)
    assert.equal(new Set(ids).size, 6)
    assert.ok(second.rows.every((r) => r.new_data?.type === 'login'))
  })

  test('filters: table, action (one or several), record, actor (a user or the system)', async () => {
    const read = (q: Parameters<typeof readAuditTrail>[1]) => asUser(h.db, team.adminId, (trx) => readAuditTrail(trx, { limit: 1000, ...q }))
    const [first = '', second = ''] = customerIds

    assert.deepEqual((await read({ table: 'customers' })).rows, all.filter((a) => a.table_name === 'customers'))
    assert.deepEqual((await read({ table: 'activities' })).rows, all.filter((a) => a.table_name === 'activities'))
    assert.deepEqual((await read({ action: 'SOFT_DELETE' })).rows.map((a) => a.record_id), [second])
    assert.deepEqual((await read({ action: ['SOFT_DELETE', 'RESTORE'] })).rows.map((a) => a.action).sort(), ['RESTORE', 'SOFT_DELETE'])
    assert.deepEqual((await read({ action: [] })).rows, [])
    assert.deepEqual((await read({ recordId: first })).rows.map((a) => a.action).sort(), ['INSERT', 'UPDATE'])
    assert.deepEqual((await read({ actorId: team.adminId })).rows, all.filter((a) => a.user_id === team.adminId))
    const system = (await read({ actorId: null })).rows
    assert.ok(system.length >= 2, 'the system joined the member and inserted an activity')
    assert.deepEqual(system, all.filter((a) => a.user_id === null))
    assert.deepEqual((await read({ actorId: team.memberId })).rows, [])
    const combined = await read({ table: 'customers', action: 'INSERT', actorId: team.adminId, limit: 5 })
    assert.equal(combined.rows.length, 5)
    assert.ok(combined.rows.every((a) => a.table_name === 'customers' && a.action === 'INSERT'))
    assert.ok(combined.nextCursor)
  })

  test('since (inclusive) and until (exclusive), as Date or ISO string', async () => {
    const times = [...new Set(all.map((a) => a.created_at.getTime()))].sort((x, y) => x - y)
    assert.ok(times.length >= 3, 'the trail spans several transactions')
    const mid = new Date(times[1] ?? 0)
    const read = (q: Parameters<typeof readAuditTrail>[1]) => asUser(h.db, team.adminId, (trx) => readAuditTrail(trx, { limit: 1000, ...q }))
    // Timestamps carry microseconds the JS Date lacks: compare on whole milliseconds' boundaries.
    const next = new Date(mid.getTime() + 1)
    assert.deepEqual((await read({ since: next })).rows, all.filter((a) => a.created_at.getTime() >= next.getTime()))
    assert.deepEqual((await read({ until: mid })).rows, all.filter((a) => a.created_at.getTime() < mid.getTime()))
    assert.deepEqual((await read({ since: next.toISOString() })).rows, (await read({ since: next })).rows)
    assert.deepEqual((await read({ since: mid, until: mid })).rows, [])
    await expectError(read({ since: 'yesterday-ish' }), InvalidInputError)
  })

  test('members, outsiders and other admins see nothing of the trail', async () => {
    assert.deepEqual((await asUser(h.db, team.memberId, (trx) => readAuditTrail(trx))).rows, [])
    assert.deepEqual((await asUser(h.db, cast.outsiderId, (trx) => readAuditTrail(trx))).rows, [])
    assert.deepEqual((await asUser(h.db, cast.b.adminId, (trx) => readAuditTrail(trx, { organizationId: team.orgId }))).rows, [])
    const own = await asUser(h.db, cast.b.adminId, (trx) => readAuditTrail(trx, { limit: 1000 }))
    assert.ok(own.rows.length > 0)
    assert.ok(own.rows.every((a) => a.organization_id === cast.b.id))
    assert.deepEqual((await asAnon(h.db, (trx) => readAuditTrail(trx))).rows, [])
  })

  test('trusted roles read any organization by organizationId', async () => {
    const viaService = await asService(h.db, (trx) => readAuditTrail(trx, { organizationId: team.orgId, limit: 1000 }))
    assert.deepEqual(viaService.rows, all)
    const everything = await asSystem(h.db, (trx) => readAuditTrail(trx, { limit: 1000 }))
    assert.ok(everything.rows.some((a) => a.organization_id === cast.a.id))
    assert.ok(everything.rows.some((a) => a.organization_id === team.orgId))
  })

  test('bad paging input is an InvalidInputError', async () => {
    const read = (q: Parameters<typeof readAuditTrail>[1]) => asUser(h.db, team.adminId, (trx) => readAuditTrail(trx, q))
    await expectError(read({ limit: 0 }), InvalidInputError, { table: 'audit_logs', message: /limit/ })
    await expectError(read({ limit: 1001 }), InvalidInputError)
    await expectError(read({ limit: 2.5 }), InvalidInputError)
    await expectError(read({ offset: -1 }), InvalidInputError, { message: /offset/ })
    await expectError(read({ cursor: 'garbage' }), InvalidInputError, { message: /cursor/ })
    await expectError(read({ cursor: Buffer.from('["2026-01-01","x"]').toString('base64url') }), InvalidInputError)
    const page = await read({ limit: 1 })
    await expectError(read({ cursor: page.nextCursor ?? '', offset: 1 }), InvalidInputError, { message: /not both/ })
  })
})

describe('inviteMember / listMyInvitations / acceptInvitation / declineInvitation / revokeInvitation / leaveOrganization', () => {
  test('an admin invites, the invitee sees it and joins, leaves again; a second is declined, a third revoked; each step audited', async () => {
    const team = await createTeam(h.db, 'flows-invite')
    const confirmed = async (email: string): Promise<string> => {
      const id = await createAuthUser(h.db, email)
      await asSystem(h.db, (trx) => sql`update auth.users set email_confirmed_at = now() where id = ${id}`.execute(trx))
      return id
    }
    const joinerId = await confirmed('joiner@flows.example')
    const declinerId = await confirmed('decliner@flows.example')

    const made = await asUser(h.db, team.adminId, (trx) => inviteMember(trx, { email: 'Joiner@Flows.example', role: 'admin', validFor: '2 days' }))
    const waiting = await asUser(h.db, joinerId, (trx) => listMyInvitations(trx))
    assert.deepEqual(waiting.map((i) => [i.invitation_id, i.organization_id, i.role]), [[made.invitation_id, team.orgId, 'admin']])
    assert.equal(await asUser(h.db, joinerId, (trx) => acceptInvitation(trx, made.token)), team.orgId)
    assert.deepEqual([(await profile(joinerId)).organization_id, (await profile(joinerId)).role], [team.orgId, 'admin'])
    await expectError(asUser(h.db, joinerId, (trx) => acceptInvitation(trx, made.token)), ConflictError, { code: '55000' })
    await asUser(h.db, joinerId, (trx) => leaveOrganization(trx))
    assert.equal((await profile(joinerId)).organization_id, null)

    const declined = await asUser(h.db, team.adminId, (trx) => inviteMember(trx, { email: 'decliner@flows.example', role: 'member', validFor: '1 day' }))
    await asUser(h.db, declinerId, (trx) => declineInvitation(trx, declined.invitation_id))
    await expectError(asUser(h.db, declinerId, (trx) => acceptInvitation(trx, declined.token)), ConflictError, { code: '55000' })
    const revoked = await asUser(h.db, team.adminId, (trx) => inviteMember(trx, { email: 'late@flows.example', role: 'member', validFor: '1 day' }))
    await asUser(h.db, team.adminId, (trx) => revokeInvitation(trx, revoked.invitation_id))

    const states = await asUser(h.db, team.adminId, (trx) => listOrganizationInvitations(trx))
    const stateOf = (id: string): string | undefined => states.find((i) => i.id === id)?.state
    assert.deepEqual([stateOf(made.invitation_id), stateOf(declined.invitation_id), stateOf(revoked.invitation_id)], ['accepted', 'declined', 'revoked'])
    assert.ok(states.every((i) => !('token_hash' in i)), 'no token hash leaves the database')
    // The invitation's life in the trail, and the membership changes on the profile.
    const trail = (await auditOf(made.invitation_id)).map((a) => a.action)
    assert.deepEqual(trail.slice(0, 2), ['INSERT', 'UPDATE'], trail.join(', '))
    assert.deepEqual((await auditOf(joinerId)).filter((a) => a.action === 'UPDATE').length, 2, 'joined, then left')
    // An invitation addressed to someone else cannot be declined by another user.
    await expectError(asUser(h.db, declinerId, (trx) => declineInvitation(trx, revoked.invitation_id)), NotAuthorizedError)
  })
})

describe('maintainAuditPartitions / auditMonthsBefore / pruneAuditMonths / exportFileName', () => {
  test('the months before a month, as a prune would drop them; the prune drops exactly those and leaves its row', async () => {
    const team = await createTeam(h.db, 'flows-prune')
    await asSystem(h.db, (trx) => sql`
      insert into public.audit_logs (organization_id, action, table_name, created_at)
      select ${team.orgId}::uuid, 'INSERT', 'customers', timestamptz '2023-01-10 00:00+00' + g * interval '20 days'
        from generate_series(0, 5) g`.execute(trx))
    await maintainAuditPartitions(h.db)
    const planned = await asSystem(h.db, (trx) => auditMonthsBefore(trx, '2023-03'))
    // Jan 10 and 30, Feb 19, Mar 11 and 31, Apr 20.
    assert.deepEqual(planned, [{ month: '2023-01', rows: 2 }, { month: '2023-02', rows: 1 }])
    const result = await pruneAuditMonths(h.db, { before: '2023-03' })
    assert.deepEqual(result.months.map((m) => [m.month, m.rows]), [['2023-01', 2], ['2023-02', 1]])
    assert.deepEqual(await asSystem(h.db, (trx) => auditMonthsBefore(trx, '2023-03')), [])
    assert.deepEqual(await asSystem(h.db, (trx) => auditMonthsBefore(trx, '2023-05')), [{ month: '2023-03', rows: 2 }, { month: '2023-04', rows: 1 }])
    const left = await asSystem(h.db, (trx) => readAuditTrail(trx, { organizationId: team.orgId, table: 'audit_logs' }))
    assert.equal(left.rows.length, 1, 'one row says which months went')
    assert.equal(exportFileName('2023-01'), 'audit_logs_2023-01.jsonl.gz')
    await expectError(asSystem(h.db, (trx) => auditMonthsBefore(trx, '2023-13')), InvalidInputError)
  })
})
