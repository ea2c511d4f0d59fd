// Supabase's init scripts create an auth.uid() that reads request.jwt.claim.sub alone; GoTrue's
// migrations later replace it with the one that also reads request.jwt.claims (../shared/FACTS.md).
// The sessions set both, so the tenant context holds on either database. This file swaps the older
// function in and checks what a member sees, what an admin may write and what the audit records.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { asSystem, asUser, NotAuthorizedError } from '../lib/db/index.js'
import { expectError } from './support/expect-error.js'
import { useCast } from './support/fixtures.js'
import { useFreshDb } from './support/db.js'

const t = useFreshDb()
const cast = useCast(t)

/** Whether this database's auth.uid() reads request.jwt.claims (the newer one). */
async function readsClaims(): Promise<boolean> {
  const r = await sql<{ src: string }>`select prosrc as src from pg_proc where oid = 'auth.uid()'::regprocedure`.execute(t.db)
  return (r.rows[0]?.src ?? '').includes('request.jwt.claims')
}

let skip: string | false = false
t.before(async () => {
  if (!(await readsClaims())) return // a database made by Supabase's init scripts alone: already the older one
  try {
    // The init scripts' definition (00000000000001-auth-schema.sql of supabase/postgres).
    await sql`create or replace function auth.uid() returns uuid as $$
                select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid;
              $$ language sql stable`.execute(t.db)
  } catch {
    skip = 'auth.uid() belongs to another role here and reads request.jwt.claims already'
  }
})

describe('with the auth.uid() of Supabase\'s init scripts', () => {
  it('is the older function that ignores request.jwt.claims', async (ctx) => {
    if (skip) return ctx.skip(skip)
    // By hand, not asUser: request.jwt.claims alone, without the per-claim settings the sessions add.
    const uid = await t.db.transaction().execute(async (trx) => {
      await sql`select set_config('request.jwt.claims', ${JSON.stringify({ sub: cast.a.memberId })}, true)`.execute(trx)
      return (await sql<{ uid: string | null }>`select auth.uid() as uid`.execute(trx)).rows[0]?.uid
    })
    assert.equal(uid, null, 'the claims alone do not reach this auth.uid()')
  })

  it('a member sees their organization\'s live rows and nothing of the other', async (ctx) => {
    if (skip) return ctx.skip(skip)
    const seen = await asUser(t.db, cast.a.memberId, async (trx) => ({
      uid: (await sql<{ uid: string }>`select auth.uid() as uid`.execute(trx)).rows[0]?.uid,
      customers: (await trx.selectFrom('customers').select('id').execute()).map((r) => r.id),
      revenue: (await trx.selectFrom('revenue').select('organization_id').execute()).map((r) => r.organization_id),
    }))
    assert.equal(seen.uid, cast.a.memberId)
    assert.deepEqual(seen.customers, [cast.a.customerId])
    assert.deepEqual(seen.revenue, [cast.a.id])
  })

  it('an admin\'s write is allowed in their organization, audited under their id, and refused in another', async (ctx) => {
    if (skip) return ctx.skip(skip)
    const id = await asUser(t.db, cast.a.adminId, async (trx) => (await trx.insertInto('customers')
      .values({ organization_id: cast.a.id, name: 'Legacy claims' }).returning('id').executeTakeFirstOrThrow()).id)
    const audit = await asSystem(t.db, (trx) => trx.selectFrom('audit_logs').select(['user_id', 'action', 'organization_id'])
      .where('record_id', '=', id).execute())
    assert.deepEqual(audit, [{ user_id: cast.a.adminId, action: 'INSERT', organization_id: cast.a.id }])
    await expectError(asUser(t.db, cast.a.adminId, (trx) => trx.insertInto('customers')
      .values({ organization_id: cast.b.id, name: 'Across tenants' }).execute()), NotAuthorizedError)
  })

  it('leaves no user behind on the connection after the transaction', async (ctx) => {
    if (skip) return ctx.skip(skip)
    await asUser(t.db, cast.a.memberId, (trx) => sql`select 1`.execute(trx))
    const after = await sql<{ uid: string | null; sub: string | null }>`
      select auth.uid() as uid, current_setting('request.jwt.claim.sub', true) as sub`.execute(t.db)
    assert.equal(after.rows[0]?.uid ?? null, null)
    assert.ok(!after.rows[0]?.sub, 'request.jwt.claim.sub is unset or empty')
  })
})
