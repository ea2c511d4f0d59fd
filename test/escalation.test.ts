// Named escalation attempts from the access policy: each must fail and leave the data as it was.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  asAnon, asService, asSystem, asUser, ConflictError, InvalidInputError, NotAuthorizedError, TENANT_TABLES,
} from '../lib/db/index.js'
import { expectError } from './support/expect-error.js'
import { createAuthUser, useCast } from './support/fixtures.js'
import { useFreshDb } from './support/db.js'

const t = useFreshDb()
const cast = useCast(t)

async function profile(id: string) {
  return asSystem(t.db, (trx) => trx.selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
}

async function auditCount(): Promise<number> {
  return asSystem(t.db, async (trx) => Number((await trx.selectFrom('audit_logs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n))
}

describe('profiles', () => {
  it('a member cannot promote themselves to admin', async () => {
    await assert.rejects(
      asUser(t.db, cast.a.memberId, (trx) => trx.updateTable('profiles').set({ role: 'admin' }).where('id', '=', cast.a.memberId).execute()),
      NotAuthorizedError,
    )
    assert.equal((await profile(cast.a.memberId)).role, 'member')
  })

  it('a user cannot change their own organization_id or email', async () => {
    for (const change of [{ organization_id: cast.b.id }, { organization_id: null }, { email: 'evil@example.com' }]) {
      await assert.rejects(
        asUser(t.db, cast.a.memberId, (trx) => trx.updateTable('profiles').set(change).where('id', '=', cast.a.memberId).execute()),
        NotAuthorizedError,
        JSON.stringify(change),
      )
    }
    const p = await profile(cast.a.memberId)
    assert.equal(p.organization_id, cast.a.id)
    assert.equal(p.email, 'member-a@example.com')
  })

  it('an outsider cannot join an organization by setting organization_id', async () => {
    await asUser(t.db, cast.outsiderId, (trx) =>
      trx.updateTable('profiles').set({ organization_id: cast.a.id }).where('id', '=', cast.outsiderId).execute(),
    ).catch((e: unknown) => assert.ok(e instanceof NotAuthorizedError))
    assert.equal((await profile(cast.outsiderId)).organization_id, null)
  })

  it('an outsider setting their own organization_id is told how to join, not that only an admin may clear it', async () => {
    await expectError(
      asUser(t.db, cast.outsiderId, (trx) => trx.updateTable('profiles').set({ organization_id: cast.a.id }).where('id', '=', cast.outsiderId).execute()),
      NotAuthorizedError,
      {
        code: '42501', table: 'profiles', column: 'organization_id',
        message: /^not authorized: profiles\.organization_id cannot be set directly: join an organization by accepting an invitation \(public\.accept_invitation\) or create one \(public\.create_organization\)$/,
      },
    )
    // Clearing it stays an admin's: a member trying is told exactly that.
    await expectError(
      asUser(t.db, cast.a.memberId, (trx) => trx.updateTable('profiles').set({ organization_id: null }).where('id', '=', cast.a.memberId).execute()),
      NotAuthorizedError,
      { column: 'organization_id', message: /profiles\.organization_id can only be cleared by an admin of that organization$/ },
    )
    assert.equal((await profile(cast.outsiderId)).organization_id, null)
  })

  it("an admin cannot move a profile into another organization", async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('profiles').set({ organization_id: cast.b.id }).where('id', '=', cast.a.memberId).execute()),
      NotAuthorizedError,
    )
    assert.equal((await profile(cast.a.memberId)).organization_id, cast.a.id)
  })

  it("an admin cannot edit another member's name", async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('profiles').set({ full_name: 'Renamed' }).where('id', '=', cast.a.memberId).execute()),
      NotAuthorizedError,
    )
  })

  it("an admin cannot touch another organization's profiles", async () => {
    const r = await asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('profiles').set({ role: 'admin' }).where('id', '=', cast.b.memberId).executeTakeFirst())
    assert.equal(r.numUpdatedRows, 0n)
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => sql`select public.remove_member(${cast.b.memberId})`.execute(trx)), NotAuthorizedError)
    assert.equal((await profile(cast.b.memberId)).organization_id, cast.b.id)
  })

  it('nobody can demote or remove the last admin, not even the system', async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('profiles').set({ role: 'member' }).where('id', '=', cast.a.adminId).execute()),
      (e: unknown) => e instanceof InvalidInputError && e.constraint === 'organization_keeps_an_admin' && e.table === 'profiles',
    )
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => sql`select public.remove_member(${cast.a.adminId})`.execute(trx)), InvalidInputError)
    await assert.rejects(
      asSystem(t.db, (trx) => trx.updateTable('profiles').set({ organization_id: null }).where('id', '=', cast.a.adminId).execute()),
      InvalidInputError,
    )
    const p = await profile(cast.a.adminId)
    assert.equal(p.role, 'admin')
    assert.equal(p.organization_id, cast.a.id)
  })

  it('two admins demoting each other concurrently leave one admin', async () => {
    const second = await createAuthUser(t.db, 'second-admin@example.com')
    const org = await asUser(t.db, second, (trx) => sql<{ id: string }>`select public.create_organization('Race', 'race') as id`.execute(trx))
    const orgId = org.rows[0]?.id ?? ''
    const first = await createAuthUser(t.db, 'first-admin@example.com')
    await asSystem(t.db, (trx) => trx.updateTable('profiles').set({ organization_id: orgId, role: 'admin' }).where('id', '=', first).execute())
    const results = await Promise.allSettled([
      asUser(t.db, first, (trx) => trx.updateTable('profiles').set({ role: 'member' }).where('id', '=', second).execute()),
      asUser(t.db, second, (trx) => trx.updateTable('profiles').set({ role: 'member' }).where('id', '=', first).execute()),
    ])
    const admins = await asSystem(t.db, (trx) => trx.selectFrom('profiles').select('id').where('organization_id', '=', orgId).where('role', '=', 'admin').execute())
    assert.equal(admins.length, 1, JSON.stringify(results.map((r) => r.status)))
  })

  it('a removed member loses access with their next query', async () => {
    const user = await createAuthUser(t.db, 'leaver@example.com')
    await asSystem(t.db, (trx) => trx.updateTable('profiles').set({ organization_id: cast.a.id }).where('id', '=', user).execute())
    const seen = await asUser(t.db, user, (trx) => trx.selectFrom('customers').select('id').execute())
    assert.ok(seen.length > 0)
    await asUser(t.db, cast.a.adminId, (trx) => sql`select public.remove_member(${user})`.execute(trx))
    // Every table of organization rows, and the organization itself: all that is left is their own profile.
    for (const table of [...TENANT_TABLES, 'organizations'] as const) {
      const rows = await asUser(t.db, user, (trx) => trx.selectFrom(table).select('id').execute())
      assert.deepEqual(rows, table === 'profiles' ? [{ id: user }] : [], table)
    }
    const p = await profile(user)
    assert.equal(p.organization_id, null)
    assert.equal(p.role, 'member')
  })
})

describe('tenant rows', () => {
  it("an admin cannot insert into another organization", async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => trx.insertInto('customers').values({ organization_id: cast.b.id, name: 'planted' }).execute()),
      NotAuthorizedError,
    )
  })

  it("an admin cannot move a row to another organization", async () => {
    await assert.rejects(
      // @ts-expect-error organization_id is not updatable in the types; the database refuses it as well
      asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('customers').set({ organization_id: cast.b.id }).where('id', '=', cast.a.customerId).execute()),
      NotAuthorizedError,
    )
    const c = await asSystem(t.db, (trx) => trx.selectFrom('customers').select('organization_id').where('id', '=', cast.a.customerId).executeTakeFirstOrThrow())
    assert.equal(c.organization_id, cast.a.id)
  })

  it("revenue cannot point at another organization's customer", async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) =>
        trx.insertInto('revenue').values({ organization_id: cast.a.id, customer_id: cast.b.customerId, amount: '1.00', date: '2026-01-01' }).execute()),
      (e: unknown) => e instanceof InvalidInputError && e.constraint === 'revenue_customer_id_fkey',
    )
    await assert.rejects(
      asSystem(t.db, (trx) =>
        trx.insertInto('activities').values({ organization_id: cast.a.id, customer_id: cast.b.customerId, type: 'login' }).execute()),
      InvalidInputError,
    )
  })

  it('a member cannot read soft-deleted rows, nor list the trash', async () => {
    const rows = await asUser(t.db, cast.a.memberId, (trx) => trx.selectFrom('customers').select('id').execute())
    assert.ok(!rows.some((r) => r.id === cast.a.deletedCustomerId))
    const trash = await asUser(t.db, cast.a.memberId, (trx) => sql`select * from public.deleted_customers()`.execute(trx))
    assert.equal(trash.rows.length, 0)
    const restored = await asUser(t.db, cast.a.memberId, (trx) => sql<{ ok: boolean }>`select public.restore('customers', ${cast.a.deletedCustomerId}) as ok`.execute(trx))
    assert.equal(restored.rows[0]?.ok, false)
  })

  it("an admin cannot restore another organization's rows", async () => {
    const r = await asUser(t.db, cast.b.adminId, (trx) => sql<{ ok: boolean }>`select public.restore('customers', ${cast.a.deletedCustomerId}) as ok`.execute(trx))
    assert.equal(r.rows[0]?.ok, false)
  })

  it('soft delete and restore reject a table outside the list', async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => sql`select public.soft_delete('audit_logs', ${randomUUID()})`.execute(trx)),
      InvalidInputError,
    )
  })

  it('a member cannot write derived customer figures', async () => {
    await asUser(t.db, cast.a.adminId, async (trx) => {
      await sql`select set_config('tenantry.maintaining_totals', 'on', true)`.execute(trx)
      // @ts-expect-error derived columns are not updatable in the types; the database ignores the write as well
      await trx.updateTable('customers').set({ total_revenue: '999999.00' }).where('id', '=', cast.a.customerId).execute()
    })
    const c = await asSystem(t.db, (trx) => trx.selectFrom('customers').select('total_revenue').where('id', '=', cast.a.customerId).executeTakeFirstOrThrow())
    assert.equal(c.total_revenue, '100.00')
  })
})

describe('ai_usage_log', () => {
  it('signed-in users cannot forge usage rows, for themselves or anyone', async () => {
    for (const user of [cast.a.memberId, cast.a.adminId]) {
      await assert.rejects(
        asUser(t.db, user, (trx) =>
          trx.insertInto('ai_usage_log').values({ organization_id: cast.b.id, user_id: cast.b.memberId, query_id: randomUUID(), model: 'x', date: '2026-01-01' }).execute()),
        NotAuthorizedError,
      )
      await assert.rejects(
        asUser(t.db, user, (trx) =>
          trx.insertInto('ai_usage_log').values({ organization_id: cast.a.id, user_id: user, query_id: randomUUID(), model: 'x', date: '2026-01-01' }).execute()),
        NotAuthorizedError,
      )
    }
  })
})

describe('audit_logs', () => {
  it('an admin cannot change or delete audit rows', async () => {
    const n = await auditCount()
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('audit_logs').set({ action: 'DELETE' }).execute()), NotAuthorizedError)
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => trx.deleteFrom('audit_logs').execute()), NotAuthorizedError)
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => sql`truncate public.audit_logs`.execute(trx)), NotAuthorizedError)
    assert.equal(await auditCount(), n)
  })

  it('service_role and the system cannot change, delete or truncate audit rows', async () => {
    const n = await auditCount()
    for (const run of [asService, asSystem]) {
      await assert.rejects(run(t.db, (trx) => trx.updateTable('audit_logs').set({ action: 'DELETE' }).execute()), NotAuthorizedError)
      await assert.rejects(run(t.db, (trx) => trx.deleteFrom('audit_logs').execute()), NotAuthorizedError)
      await assert.rejects(run(t.db, (trx) => sql`truncate public.audit_logs`.execute(trx)), NotAuthorizedError)
    }
    await assert.rejects(asService(t.db, (trx) => trx.insertInto('audit_logs').values({ organization_id: cast.a.id, action: 'INSERT', table_name: 'x' }).execute()), NotAuthorizedError)
    assert.equal(await auditCount(), n)
  })

  it('the audit trail outlives a deleted organization', async () => {
    const owner = await createAuthUser(t.db, 'short-lived@example.com')
    const org = await asUser(t.db, owner, (trx) => sql<{ id: string }>`select public.create_organization('Short lived', 'short-lived') as id`.execute(trx))
    const orgId = org.rows[0]?.id ?? ''
    await asUser(t.db, owner, (trx) => trx.insertInto('customers').values({ organization_id: orgId, name: 'c' }).execute())
    await asService(t.db, (trx) => trx.deleteFrom('organizations').where('id', '=', orgId).execute())
    const trail = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').select(['table_name', 'action']).where('organization_id', '=', orgId).execute())
    assert.deepEqual(
      trail.map((r) => `${r.table_name}:${r.action}`).sort(),
      ['customers:DELETE', 'customers:INSERT', 'organizations:DELETE', 'profiles:UPDATE', 'profiles:UPDATE'].sort(),
    )
  })
})

describe('anon and auth', () => {
  it('anon cannot execute any SECURITY DEFINER function', async () => {
    const fns = await asSystem(t.db, async (trx) =>
      (await sql<{ sig: string }>`
        select p.oid::regprocedure::text as sig from pg_catalog.pg_proc p
         where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef`.execute(trx)).rows)
    assert.ok(fns.length > 5)
    for (const { sig } of fns) {
      const allowed = await asSystem(t.db, async (trx) =>
        (await sql<{ ok: boolean }>`select has_function_privilege('anon', ${sig}::regprocedure, 'execute') as ok`.execute(trx)).rows[0]?.ok)
      assert.equal(allowed, false, `anon may execute ${sig}`)
    }
    for (const call of [
      sql`select public.create_organization('x', 'x')`,
      sql`select public.remove_member(${cast.a.memberId})`,
      sql`select public.soft_delete('customers', ${cast.a.customerId})`,
      sql`select public.restore('customers', ${cast.a.deletedCustomerId})`,
      sql`select * from public.deleted_customers()`,
      sql`select private.current_org_id()`,
    ]) {
      await assert.rejects(asAnon(t.db, (trx) => call.execute(trx)), NotAuthorizedError)
    }
  })

  it('signed-in users and anon cannot read auth.users', async () => {
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => sql`select * from auth.users`.execute(trx)), NotAuthorizedError)
    await assert.rejects(asAnon(t.db, (trx) => sql`select * from auth.users`.execute(trx)), NotAuthorizedError)
  })

  it('create_organization: only for a signed-in user with no organization', async () => {
    await assert.rejects(asUser(t.db, cast.a.memberId, (trx) => sql`select public.create_organization('Second', 'second')`.execute(trx)), ConflictError)
    await assert.rejects(asService(t.db, (trx) => sql`select public.create_organization('Nobody', 'nobody')`.execute(trx)), NotAuthorizedError)
    const outsider = await createAuthUser(t.db, 'founder@example.com')
    await assert.rejects(
      asUser(t.db, outsider, (trx) => sql`select public.create_organization('Taken', 'org-a')`.execute(trx)),
      (e: unknown) => e instanceof ConflictError && e.constraint === 'organizations_slug_key',
    )
    assert.equal((await profile(outsider)).organization_id, null, 'a failed create leaves the user an outsider')
  })

  it('claims and role do not survive on a pooled connection after an error in a session', async () => {
    await assert.rejects(asUser(t.db, cast.a.adminId, (trx) => sql`select 1/0`.execute(trx)))
    const r = await sql<{ uid: string | null; role: string }>`select auth.uid() as uid, current_user as role`.execute(t.db)
    assert.equal(r.rows[0]?.uid, null)
    assert.notEqual(r.rows[0]?.role, 'authenticated')
  })
})

describe('the natural statements work under RLS', () => {
  it("an admin removes a member with a plain UPDATE of organization_id", async () => {
    const user = await createAuthUser(t.db, 'plain-removal@example.com')
    await asSystem(t.db, (trx) => trx.updateTable('profiles').set({ organization_id: cast.a.id }).where('id', '=', user).execute())
    await asUser(t.db, cast.a.adminId, (trx) => trx.updateTable('profiles').set({ organization_id: null }).where('id', '=', user).execute())
    const p = await profile(user)
    assert.deepEqual([p.organization_id, p.role], [null, 'member'])
    const trail = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').select(['user_id', 'organization_id']).where('record_id', '=', user).execute())
    assert.deepEqual(trail.at(-1), { user_id: cast.a.adminId, organization_id: cast.a.id })
  })

  it("a member cannot remove anyone with a plain UPDATE", async () => {
    await asUser(t.db, cast.b.memberId, (trx) => trx.updateTable('profiles').set({ organization_id: null }).where('id', '=', cast.b.adminId).execute())
      .catch((e: unknown) => assert.ok(e instanceof NotAuthorizedError))
    assert.equal((await profile(cast.b.adminId)).organization_id, cast.b.id)
  })

  it('an admin soft-deletes with UPDATE ... SET deleted_at = now(), as the plan sketched', async () => {
    const c = await asSystem(t.db, (trx) => trx.insertInto('customers').values({ organization_id: cast.a.id, name: 'to trash' }).returning('id').executeTakeFirstOrThrow())
    await asUser(t.db, cast.a.adminId, (trx) => sql`update public.customers set deleted_at = now() where id = ${c.id}`.execute(trx))
    const row = await asSystem(t.db, (trx) => trx.selectFrom('customers').select('deleted_at').where('id', '=', c.id).executeTakeFirstOrThrow())
    assert.notEqual(row.deleted_at, null)
    const trail = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').select(['action', 'user_id']).where('record_id', '=', c.id).orderBy('created_at').execute())
    assert.deepEqual(trail.map((r) => r.action), ['INSERT', 'SOFT_DELETE'])
    assert.equal(trail[1]?.user_id, cast.a.adminId)
  })

  it('a soft-delete UPDATE that also changes other columns is refused, and a member cannot soft delete', async () => {
    await assert.rejects(
      asUser(t.db, cast.a.adminId, (trx) => sql`update public.customers set deleted_at = now(), name = 'sneaky' where id = ${cast.a.customerId}`.execute(trx)),
      NotAuthorizedError,
    )
    await asUser(t.db, cast.a.memberId, (trx) => sql`update public.customers set deleted_at = now() where id = ${cast.a.customerId}`.execute(trx))
    await asUser(t.db, cast.a.memberId, (trx) => trx.deleteFrom('customers').where('id', '=', cast.a.customerId).execute())
    const row = await asSystem(t.db, (trx) => trx.selectFrom('customers').select(['deleted_at', 'name']).where('id', '=', cast.a.customerId).executeTakeFirstOrThrow())
    assert.equal(row.deleted_at, null)
    assert.notEqual(row.name, 'sneaky')
  })
})
