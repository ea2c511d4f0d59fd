// Invitations (issue 12): an admin invites an address, the invitee accepts or declines, an admin
// revokes, an invitation to the same address replaces the last one, a member leaves — each with the
// state and the audit rows it should leave. Attacks are in test/invitations-escalation.test.ts, races
// in test/invitations-race.test.ts.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { asSystem, asUser, ConflictError, InvalidInputError } from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { useCast } from './support/fixtures.js'
import {
  accept, allInvitations, confirmAll, auditCount, auditSince, createUser, decline, expire, invitation, invite, leave,
  myInvitations, revoke,
} from './support/invitations.js'

const t = useFreshDb()
const cast = useCast(t)
t.before(async () => {
  await confirmAll(t.db)
})

async function profile(id: string) {
  return asSystem(t.db, (trx) => trx.selectFrom('profiles').select(['organization_id', 'role']).where('id', '=', id).executeTakeFirstOrThrow())
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

describe('invite and accept', () => {
  it('an admin invites, the invitee sees it, accepts and joins with its role; the trail names both', async () => {
    const bob = await createUser(t.db, 'bob@example.com', { fullName: 'Bob' })
    const n = await auditCount(t.db)
    const inv = await invite(t.db, cast.a.adminId, 'bob@example.com')
    assert.match(inv.token, /^[A-Za-z0-9_-]{43}$/)
    const days = (inv.expires_at.getTime() - Date.now()) / 86_400_000
    assert.ok(days > 6.99 && days <= 7, `default validity 7 days, got ${days}`)

    const mine = await myInvitations(t.db, bob)
    assert.equal(mine.length, 1)
    assert.deepEqual(
      { ...mine[0], expires_at: mine[0]?.expires_at.getTime() },
      { invitation_id: inv.invitation_id, organization_id: cast.a.id, organization_name: 'Org A', role: 'member', invited_by_name: 'admin-a', expires_at: inv.expires_at.getTime() },
    )

    assert.equal(await accept(t.db, bob, inv.token), cast.a.id)
    assert.deepEqual(await profile(bob), { organization_id: cast.a.id, role: 'member' })
    const row = await invitation(t.db, inv.invitation_id)
    assert.equal(row.status, 'accepted')
    assert.equal(row.accepted_by, bob)
    assert.notEqual(row.ended_at, null)
    assert.deepEqual(await myInvitations(t.db, bob), [])

    // Sorted by table and action: the embedded database's clock ticks in milliseconds, so rows of one
    // call may tie on created_at and come in either order.
    const trail = (await auditSince(t.db, n)).sort((x, y) => `${x.table_name} ${x.action}`.localeCompare(`${y.table_name} ${y.action}`))
    assert.deepEqual(
      trail.map((r) => [r.table_name, r.action, r.user_id, r.organization_id, r.record_id]),
      [
        ['invitations', 'INSERT', cast.a.adminId, cast.a.id, inv.invitation_id],
        ['invitations', 'UPDATE', bob, cast.a.id, inv.invitation_id],
        ['profiles', 'UPDATE', bob, cast.a.id, bob],
      ],
    )
    assert.equal(trail[1]?.new_data?.status, 'accepted')
    assert.equal(trail[2]?.new_data?.organization_id, cast.a.id)
  })

  it('the token is stored only as its sha256; neither appears anywhere in the trail', async () => {
    await createUser(t.db, 'hash@example.com')
    const inv = await invite(t.db, cast.a.adminId, 'hash@example.com')
    const row = await invitation(t.db, inv.invitation_id)
    assert.deepEqual(row.token_hash, sha256(inv.token))
    const dump = await asSystem(t.db, async (trx) =>
      (await sql<{ t: string }>`select coalesce(string_agg(to_jsonb(x)::text, ''), '') as t from public.invitations x`.execute(trx)).rows[0]?.t ?? '')
    assert.ok(!dump.includes(inv.token), 'the token itself is stored')
    const trail = await asSystem(t.db, async (trx) =>
      (await sql<{ t: string }>`select string_agg(coalesce(old_data::text, '') || coalesce(new_data::text, ''), '') as t from public.audit_logs`.execute(trx)).rows[0]?.t ?? '')
    assert.ok(!trail.includes(inv.token), 'the token is in the trail')
    assert.ok(!trail.includes(sha256(inv.token).toString('hex')), 'the hash is in the trail')
    assert.ok(!trail.includes('token_hash'), 'the hash column is in the trail')
  })

  it('tokens are distinct and carry 256 bits of encoding', async () => {
    const tokens = new Set<string>()
    for (let i = 0; i < 20; i++) tokens.add((await invite(t.db, cast.b.adminId, `many-${i}@example.com`)).token)
    assert.equal(tokens.size, 20)
    for (const token of tokens) assert.equal(Buffer.from(token, 'base64url').length, 32)
  })

  it('the address is trimmed and lower-cased; the invitee accepts whatever case their own address has', async () => {
    const carol = await createUser(t.db, 'Carol@Example.COM')
    const inv = await invite(t.db, cast.a.adminId, '  CAROL@example.com\t', 'admin', '1 hour')
    assert.equal((await invitation(t.db, inv.invitation_id)).email, 'carol@example.com')
    assert.equal(await accept(t.db, carol, `  ${inv.token} `), cast.a.id)
    assert.deepEqual(await profile(carol), { organization_id: cast.a.id, role: 'admin' })
  })

  it('validity: 1 hour to 30 days, a month counting as 30 days', async () => {
    for (const [validFor, seconds] of [['1 hour', 3600], ['30 days', 30 * 86400], ['1 mon', 30 * 86400], ['720:00:00', 30 * 86400]] as const) {
      const inv = await invite(t.db, cast.b.adminId, 'validity@example.com', 'member', validFor)
      const row = await invitation(t.db, inv.invitation_id)
      assert.equal((row.expires_at.getTime() - row.created_at.getTime()) / 1000, seconds, validFor)
    }
  })
})

describe('replace, revoke, decline, leave', () => {
  it('inviting the same address again replaces the pending invitation; the old token stops working', async () => {
    const dan = await createUser(t.db, 'dan@example.com')
    const first = await invite(t.db, cast.a.adminId, 'dan@example.com')
    const n = await auditCount(t.db)
    const second = await invite(t.db, cast.a.adminId, 'DAN@example.com', 'admin')
    assert.equal((await invitation(t.db, first.invitation_id)).status, 'replaced')
    const trail = await auditSince(t.db, n)
    // Both rows come from one call, often within one millisecond: the embedded database's clock
    // ticks in milliseconds, so created_at may tie and the rows come in either order. Compared as a set.
    assert.deepEqual(trail.map((r) => [r.action, r.record_id, r.user_id, r.new_data?.status]).sort(), [
      ['INSERT', second.invitation_id, cast.a.adminId, 'pending'],
      ['UPDATE', first.invitation_id, cast.a.adminId, 'replaced'],
    ])
    await expectError(accept(t.db, dan, first.token), ConflictError, { code: '55000', message: /was replaced/ })
    assert.deepEqual((await myInvitations(t.db, dan)).map((i) => [i.invitation_id, i.role]), [[second.invitation_id, 'admin']])
    assert.equal(await accept(t.db, dan, second.token), cast.a.id)
  })

  it('an expired pending invitation is replaced too', async () => {
    const inv = await invite(t.db, cast.a.adminId, 'late@example.com')
    await expire(t.db, inv.invitation_id)
    const again = await invite(t.db, cast.a.adminId, 'late@example.com')
    assert.equal((await invitation(t.db, inv.invitation_id)).status, 'replaced')
    assert.equal((await invitation(t.db, again.invitation_id)).status, 'pending')
  })

  it('an admin revokes: the token stops working; revoking again is refused', async () => {
    const erin = await createUser(t.db, 'erin@example.com')
    const inv = await invite(t.db, cast.a.adminId, 'erin@example.com')
    const n = await auditCount(t.db)
    await revoke(t.db, cast.a.adminId, inv.invitation_id)
    const trail = await auditSince(t.db, n)
    assert.deepEqual(trail.map((r) => [r.table_name, r.action, r.user_id, r.organization_id, r.new_data?.status]), [
      ['invitations', 'UPDATE', cast.a.adminId, cast.a.id, 'revoked'],
    ])
    await expectError(accept(t.db, erin, inv.token), ConflictError, { message: /was revoked/ })
    await expectError(revoke(t.db, cast.a.adminId, inv.invitation_id), ConflictError, { message: /was revoked and can no longer be revoked/ })
    assert.deepEqual(await myInvitations(t.db, erin), [])
    assert.equal((await profile(erin)).organization_id, null)
  })

  it('the invitee declines: audited as theirs; the token stops working', async () => {
    const fay = await createUser(t.db, 'fay@example.com')
    const inv = await invite(t.db, cast.b.adminId, 'fay@example.com')
    const n = await auditCount(t.db)
    await decline(t.db, fay, inv.invitation_id)
    const trail = await auditSince(t.db, n)
    assert.deepEqual(trail.map((r) => [r.action, r.user_id, r.organization_id, r.new_data?.status]), [['UPDATE', fay, cast.b.id, 'declined']])
    await expectError(accept(t.db, fay, inv.token), ConflictError, { message: /was declined/ })
    await expectError(decline(t.db, fay, inv.invitation_id), ConflictError)
  })

  it('a member leaves (audited as theirs, filed under the organization left); an admin may too, the last admin not', async () => {
    const gus = await createUser(t.db, 'gus@example.com')
    await accept(t.db, gus, (await invite(t.db, cast.b.adminId, 'gus@example.com', 'admin')).token)
    const n = await auditCount(t.db)
    await leave(t.db, gus)
    assert.deepEqual(await profile(gus), { organization_id: null, role: 'member' })
    const trail = await auditSince(t.db, n)
    assert.deepEqual(trail.map((r) => [r.table_name, r.action, r.user_id, r.organization_id, r.record_id]), [['profiles', 'UPDATE', gus, cast.b.id, gus]])
    assert.equal(trail[0]?.old_data?.role, 'admin')
    assert.equal(trail[0]?.new_data?.organization_id, null)

    await leave(t.db, cast.b.memberId)
    assert.deepEqual(await profile(cast.b.memberId), { organization_id: null, role: 'member' })
    await expectError(leave(t.db, cast.b.adminId), InvalidInputError, { constraint: 'organization_keeps_an_admin', table: 'profiles' })
    await expectError(leave(t.db, cast.b.memberId), ConflictError, { message: /do not belong to an organization/ })
    // Back in through an invitation, with its role.
    await accept(t.db, cast.b.memberId, (await invite(t.db, cast.b.adminId, 'member-b@example.com')).token)
    assert.deepEqual(await profile(cast.b.memberId), { organization_id: cast.b.id, role: 'member' })
  })
})

describe('limits', () => {
  it('an address of a member of this organization is refused; of another organization, not', async () => {
    await expectError(invite(t.db, cast.a.adminId, 'Member-A@example.com'), ConflictError, { code: '55000', message: /already belongs to a member of your organization/ })
    const inv = await invite(t.db, cast.a.adminId, 'member-b@example.com')
    await expectError(accept(t.db, cast.b.memberId, inv.token), ConflictError, { message: /already belong to an organization: leave it first/ })
    assert.equal((await invitation(t.db, inv.invitation_id)).status, 'pending', 'a refused accept changes nothing')
  })

  it('at most 100 pending invitations per organization; expired and ended ones do not count', async () => {
    const admin = await createUser(t.db, 'limit-admin@example.com')
    const org = await asUser(t.db, admin, async (trx) => (await sql<{ id: string }>`select public.create_organization('Limit', 'limit') as id`.execute(trx)).rows[0]?.id)
    assert.ok(org)
    const made = []
    for (let i = 0; i < 100; i++) made.push(await invite(t.db, admin, `l${i}@example.com`))
    const n = await auditCount(t.db)
    await expectError(invite(t.db, admin, 'one-too-many@example.com'), ConflictError, { message: /100 pending invitations/ })
    assert.equal(await auditCount(t.db), n, 'a refusal writes nothing')
    // Replacing one keeps the count.
    await invite(t.db, admin, 'l0@example.com')
    await expire(t.db, made[1]?.invitation_id ?? '')
    await invite(t.db, admin, 'now-room@example.com')
    await revoke(t.db, admin, made[2]?.invitation_id ?? '')
    await invite(t.db, admin, 'room-again@example.com')
    await expectError(invite(t.db, admin, 'full-again@example.com'), ConflictError)
    const pending = (await allInvitations(t.db)).filter((i) => i.organization_id === org && i.status === 'pending' && i.expires_at > new Date())
    assert.equal(pending.length, 100)
  })
})

describe('email confirmation on a database GoTrue has not migrated yet', () => {
  // Supabase's init scripts create auth.users with confirmed_at; GoTrue's own migrations later rename
  // it to email_confirmed_at (and add a generated confirmed_at beside it). The invitation functions
  // read whichever the database has. Altering auth.users needs its owner: the embedded database, or a
  // server where postgres owns auth (not the Supabase-shaped CI cluster, where supabase_auth_admin does).
  it('reads confirmed_at where email_confirmed_at does not exist yet', async (ctx) => {
    const owns = await asSystem(t.db, async (trx) => (await sql<{ owns: boolean }>`
      select pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE') as owns
        from pg_catalog.pg_class c where c.oid = 'auth.users'::regclass`.execute(trx)).rows[0]?.owns)
    if (!owns) return ctx.skip('auth.users belongs to another role here (as on Supabase): it cannot be reshaped')
    const confirmed = await createUser(t.db, 'early-confirmed@example.com')
    const unconfirmed = await createUser(t.db, 'early-unconfirmed@example.com', { confirmed: false })
    const answers = await asSystem(t.db, async (trx) => {
      await sql`alter table auth.users rename column email_confirmed_at to confirmed_at`.execute(trx)
      return (await sql<{ id: string; confirmed: boolean }>`
        select u.id, private.email_confirmed(u) as confirmed from auth.users u where u.id in (${confirmed}, ${unconfirmed})`.execute(trx)).rows
    }, { attempts: 1, rollback: true })
    assert.deepEqual(new Map(answers.map((a) => [a.id, a.confirmed])), new Map([[confirmed, true], [unconfirmed, false]]))
  })
})
