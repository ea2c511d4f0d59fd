// The typed flows of lib/db/flows/invitations.ts: each returns typed rows (dates as Date, roles and
// states as their unions) and each refusal comes out as the typed error the SQL chose.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  acceptInvitation, asUser, ConflictError, createOrganization, declineInvitation, InvalidInputError, inviteMember, leaveOrganization,
  listMyInvitations, listOrganizationInvitations, NotAuthorizedError, NotFoundError, revokeInvitation,
} from '../lib/db/index.js'
import { freshDb, type TestDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { createUser, expire } from './support/invitations.js'

let t: TestDb
let admin: string
let org: string

before(async () => {
  t = await freshDb()
  admin = await createUser(t.db, 'flow-admin@example.com', { fullName: 'Flow Admin' })
  org = await asUser(t.db, admin, (trx) => createOrganization(trx, { name: 'Flows', slug: 'flows' }))
})
after(async () => {
  await t?.close()
})

describe('invitation flows', () => {
  it('inviteMember, listMyInvitations, acceptInvitation, listOrganizationInvitations, leaveOrganization', async () => {
    const uma = await createUser(t.db, 'uma@example.com')
    const made = await asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'Uma@Example.com', role: 'admin', validFor: '2 days' }))
    assert.ok(made.expires_at instanceof Date)
    assert.match(made.token, /^[\w-]{43}$/)

    const mine = await asUser(t.db, uma, (trx) => listMyInvitations(trx))
    assert.deepEqual(mine.map((i) => ({ ...i, expires_at: i.expires_at.getTime() })), [{
      invitation_id: made.invitation_id, organization_id: org, organization_name: 'Flows', role: 'admin',
      invited_by_name: 'Flow Admin', expires_at: made.expires_at.getTime(),
    }])

    assert.equal(await asUser(t.db, uma, (trx) => acceptInvitation(trx, made.token)), org)
    const listed = await asUser(t.db, admin, (trx) => listOrganizationInvitations(trx))
    assert.deepEqual(listed.map((i) => [i.id, i.email, i.role, i.status, i.state, i.accepted_by]), [[made.invitation_id, 'uma@example.com', 'admin', 'accepted', 'accepted', uma]])
    assert.ok(!('token_hash' in (listed[0] ?? {})), 'the hash is not selected')
    assert.deepEqual(await asUser(t.db, uma, (trx) => listMyInvitations(trx)), [])

    await asUser(t.db, uma, (trx) => leaveOrganization(trx))
    await expectError(asUser(t.db, admin, (trx) => leaveOrganization(trx)), InvalidInputError, { constraint: 'organization_keeps_an_admin' })
  })

  it("revokeInvitation, declineInvitation, an expired one's state, and pendingOnly", async () => {
    const vic = await createUser(t.db, 'vic@example.com')
    const revoked = await asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'revoked@example.com' }))
    await asUser(t.db, admin, (trx) => revokeInvitation(trx, revoked.invitation_id))
    const declined = await asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'vic@example.com' }))
    await asUser(t.db, vic, (trx) => declineInvitation(trx, declined.invitation_id))
    const late = await asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'late@example.com' }))
    await expire(t.db, late.invitation_id)
    const open = await asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'open@example.com', role: 'member' }))

    const all = await asUser(t.db, admin, (trx) => listOrganizationInvitations(trx))
    const state = (id: string) => all.find((i) => i.id === id)?.state
    assert.deepEqual([state(revoked.invitation_id), state(declined.invitation_id), state(late.invitation_id), state(open.invitation_id)],
      ['revoked', 'declined', 'expired', 'pending'])
    const pending = await asUser(t.db, admin, (trx) => listOrganizationInvitations(trx, { pendingOnly: true }))
    assert.deepEqual(pending.map((i) => i.id), [open.invitation_id])
    assert.deepEqual(await asUser(t.db, vic, (trx) => listOrganizationInvitations(trx)), [], 'not an admin: nothing')
  })

  it('refusals are typed: NotAuthorized, NotFound, Conflict, InvalidInput', async () => {
    const wes = await createUser(t.db, 'wes@example.com')
    await expectError(asUser(t.db, wes, (trx) => inviteMember(trx, { email: 'x@example.com' })), NotAuthorizedError, { table: 'invitations' })
    await expectError(asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'x@example.com', validFor: '31 days' })), InvalidInputError, { column: 'expires_at' })
    await expectError(asUser(t.db, admin, (trx) => inviteMember(trx, { email: 'flow-admin@example.com' })), ConflictError, { column: 'email' })
    await expectError(asUser(t.db, wes, (trx) => acceptInvitation(trx, 'x'.repeat(43))), NotFoundError, { code: 'P0002' })
    await expectError(asUser(t.db, wes, (trx) => revokeInvitation(trx, '00000000-0000-4000-8000-000000000000')), NotAuthorizedError)
    await expectError(asUser(t.db, wes, (trx) => revokeInvitation(trx, 'not-a-uuid')), InvalidInputError)
    await expectError(asUser(t.db, wes, (trx) => declineInvitation(trx, '00000000-0000-4000-8000-000000000000')), NotAuthorizedError)
    await expectError(asUser(t.db, wes, (trx) => leaveOrganization(trx)), ConflictError)
  })
})
