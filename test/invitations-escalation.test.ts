// The escalation catalogue of invitations (issue 12): every attack on invite / accept / revoke /
// decline / leave we could think of. Each must fail with the right typed error, say what it refused,
// and leave the database exactly as it was (invitations, profiles and the audit trail compared).
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  asAnon, asService, asSystem, asUser, ConflictError, InvalidInputError, NotAuthorizedError, NotFoundError,
} from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { useCast } from './support/fixtures.js'
import {
  accept, confirmAll, createUser, decline, expire, invitation, invite, type Invited, leave, myInvitations, revoke,
} from './support/invitations.js'

const t = useFreshDb()
const cast = useCast(t)
/** A confirmed outsider with an invitation to A waiting. */
let ivy: string
let ivyInvite: Invited

t.before(async () => {
  await confirmAll(t.db)
  ivy = await createUser(t.db, 'ivy@example.com')
  ivyInvite = await invite(t.db, cast.a.adminId, 'ivy@example.com')
})

/** Invitations, profiles and the audit trail, as one comparable value. */
async function state(): Promise<string> {
  return asSystem(t.db, async (trx) => {
    const r = await sql<{ s: string }>`
      select (select coalesce(jsonb_agg(to_jsonb(i) order by i.id), '[]') from public.invitations i)::text
          || (select coalesce(jsonb_agg(to_jsonb(p) order by p.id), '[]') from public.profiles p)::text
          || (select count(*) from public.audit_logs)::text as s`.execute(trx)
    return r.rows[0]?.s ?? ''
  })
}

/** The attempt is refused with the error class (and fields) given, and nothing changes. */
async function refused(
  attempt: () => Promise<unknown>,
  cls: typeof NotAuthorizedError | typeof ConflictError | typeof InvalidInputError | typeof NotFoundError,
  expected: Parameters<typeof expectError>[2] = {},
): Promise<Error> {
  const before = await state()
  const e = await expectError(attempt(), cls, expected)
  assert.equal(await state(), before, 'a refused attempt changed something')
  return e
}

describe('accepting what is not yours', () => {
  it('a confirmed user with another address cannot accept, and learns no organization', async () => {
    const mallory = await createUser(t.db, 'mallory@example.com')
    const e = await refused(() => accept(t.db, mallory, ivyInvite.token), NotAuthorizedError, { message: /addressed to another email address/ })
    assert.ok(!e.message.includes(cast.a.id) && !e.message.includes('Org A'))
  })

  it('the right address, not confirmed, cannot accept (email confirmation off: a squatter signs up with it)', async () => {
    const squatter = await createUser(t.db, 'victim@example.com', { confirmed: false })
    const inv = await invite(t.db, cast.a.adminId, 'victim@example.com')
    await refused(() => accept(t.db, squatter, inv.token), NotAuthorizedError, { message: /confirm your email address/ })
    assert.deepEqual(await myInvitations(t.db, squatter), [], 'an unconfirmed address sees no invitations')
    await refused(() => decline(t.db, squatter, inv.invitation_id), NotAuthorizedError)
  })

  it('claims naming the invited address do not count: auth.users does', async () => {
    const mallory = await createUser(t.db, 'mallory2@example.com')
    await refused(
      () => asUser(t.db, { sub: mallory, email: 'ivy@example.com', email_verified: true }, (trx) =>
        sql`select public.accept_invitation(${ivyInvite.token})`.execute(trx)),
      NotAuthorizedError,
    )
  })

  it('anon, service_role and the system (no user) cannot accept', async () => {
    await refused(() => asAnon(t.db, (trx) => sql`select public.accept_invitation(${ivyInvite.token})`.execute(trx)), NotAuthorizedError)
    await refused(() => asService(t.db, (trx) => sql`select public.accept_invitation(${ivyInvite.token})`.execute(trx)), NotAuthorizedError, { message: /needs a signed-in user/ })
    await refused(() => asSystem(t.db, (trx) => sql`select public.accept_invitation(${ivyInvite.token})`.execute(trx)), NotAuthorizedError)
  })

  it('guessing tokens: 300 random ones, of the right shape or not, all get the same answer', async () => {
    const messages = new Set<string>()
    const before = await state()
    for (let i = 0; i < 300; i++) {
      const guess = i % 3 === 0 ? randomBytes(32).toString('base64url') : i % 3 === 1 ? randomUUID() : `${ivyInvite.token.slice(0, 42)}${i % 10}`
      if (guess === ivyInvite.token) continue
      const e = await expectError(accept(t.db, ivy, guess), NotFoundError, { code: 'P0002' })
      messages.add(e.message)
    }
    assert.deepEqual([...messages], ['invitations: no invitation matches this token'])
    assert.equal(await state(), before)
  })

  it('the hash of the token is not the token: presenting the hash is refused', async () => {
    const hash = (await invitation(t.db, ivyInvite.invitation_id)).token_hash
    for (const s of [hash.toString('hex'), hash.toString('base64url'), `\\x${hash.toString('hex')}`]) {
      await refused(() => accept(t.db, ivy, s), NotFoundError)
    }
  })
})

describe('accepting twice, late, or after the end', () => {
  it('reuse: a token is accepted once; after leaving, the same token does not bring you back', async () => {
    const jo = await createUser(t.db, 'jo@example.com')
    const inv = await invite(t.db, cast.a.adminId, 'jo@example.com')
    await accept(t.db, jo, inv.token)
    await refused(() => accept(t.db, jo, inv.token), ConflictError, { message: /was accepted/ })
    await leave(t.db, jo)
    await refused(() => accept(t.db, jo, inv.token), ConflictError, { message: /was accepted and can no longer be accepted/ })
  })

  it('a second user with the same address cannot use a token already accepted', async () => {
    const twin1 = await createUser(t.db, 'twin@example.com')
    const twin2 = await createUser(t.db, 'twin@example.com')
    const inv = await invite(t.db, cast.b.adminId, 'twin@example.com')
    await accept(t.db, twin1, inv.token)
    await refused(() => accept(t.db, twin2, inv.token), ConflictError)
  })

  it('expired: refused, and says so', async () => {
    const kim = await createUser(t.db, 'kim@example.com')
    const inv = await invite(t.db, cast.a.adminId, 'kim@example.com')
    await expire(t.db, inv.invitation_id)
    await refused(() => accept(t.db, kim, inv.token), ConflictError, { code: '55000', message: /expired at/ })
    await refused(() => decline(t.db, kim, inv.invitation_id), ConflictError, { message: /expired/ })
    assert.deepEqual(await myInvitations(t.db, kim), [])
  })

  it('revoked, declined, replaced: refused, each saying which', async () => {
    const lee = await createUser(t.db, 'lee@example.com')
    const revoked = await invite(t.db, cast.a.adminId, 'lee@example.com')
    await revoke(t.db, cast.a.adminId, revoked.invitation_id)
    await refused(() => accept(t.db, lee, revoked.token), ConflictError, { message: /was revoked/ })
    const declined = await invite(t.db, cast.a.adminId, 'lee@example.com')
    await decline(t.db, lee, declined.invitation_id)
    await refused(() => accept(t.db, lee, declined.token), ConflictError, { message: /was declined/ })
    const replaced = await invite(t.db, cast.a.adminId, 'lee@example.com')
    await invite(t.db, cast.a.adminId, 'lee@example.com')
    await refused(() => accept(t.db, lee, replaced.token), ConflictError, { message: /was replaced/ })
  })

  it('a member of another organization must leave first; a member of the same one too', async () => {
    const inv = await invite(t.db, cast.a.adminId, 'member-b@example.com')
    await refused(() => accept(t.db, cast.b.memberId, inv.token), ConflictError, { message: /already belong to an organization/ })
  })

  it('an admin of A cannot accept an invitation into A addressed to someone else to pull a second seat', async () => {
    await refused(() => accept(t.db, cast.a.adminId, ivyInvite.token), NotAuthorizedError)
  })
})

describe('inviting without the right', () => {
  it('a member, an outsider, anon, service_role and the system cannot invite', async () => {
    await refused(() => invite(t.db, cast.a.memberId, 'x@example.com'), NotAuthorizedError, { message: /only an admin/ })
    await refused(() => invite(t.db, ivy, 'x@example.com'), NotAuthorizedError, { message: /only an admin/ })
    await refused(() => asAnon(t.db, (trx) => sql`select * from public.invite_member('x@example.com')`.execute(trx)), NotAuthorizedError)
    await refused(() => asService(t.db, (trx) => sql`select * from public.invite_member('x@example.com')`.execute(trx)), NotAuthorizedError, { message: /signed-in admin/ })
    await refused(() => asSystem(t.db, (trx) => sql`select * from public.invite_member('x@example.com')`.execute(trx)), NotAuthorizedError)
  })

  it('an admin invites only into their own organization (there is no organization argument to forge)', async () => {
    const inv = await invite(t.db, cast.b.adminId, 'for-b@example.com')
    assert.equal((await invitation(t.db, inv.invitation_id)).organization_id, cast.b.id)
  })

  it('calling the private implementation directly changes nothing: the same checks run', async () => {
    await refused(() => asUser(t.db, cast.a.memberId, (trx) => sql`select * from private.invite_member('x@example.com', 'admin', '1 day')`.execute(trx)), NotAuthorizedError)
    await refused(() => asUser(t.db, cast.a.adminId, (trx) => sql`select private.confirmed_email()`.execute(trx)), NotAuthorizedError)
    await refused(() => asUser(t.db, cast.a.adminId, (trx) => sql`select private.invitation_token_hash('x')`.execute(trx)), NotAuthorizedError)
  })
})

describe('revoking and declining what is not yours', () => {
  it("an admin of B cannot revoke A's invitation: the same answer as for an unknown one", async () => {
    const foreign = await refused(() => revoke(t.db, cast.b.adminId, ivyInvite.invitation_id), NotAuthorizedError)
    const unknown = await refused(() => revoke(t.db, cast.b.adminId, randomUUID()), NotAuthorizedError)
    assert.equal(foreign.message.replace(ivyInvite.invitation_id, '?'), unknown.message.replace(/[0-9a-f-]{36}/, '?'))
  })

  it('a member of A, the invitee and outsiders cannot revoke', async () => {
    for (const who of [cast.a.memberId, ivy, cast.b.memberId]) {
      await refused(() => revoke(t.db, who, ivyInvite.invitation_id), NotAuthorizedError, { message: /not allowed to revoke/ })
    }
  })

  it('only the invitee declines: not the admin, not another user, not the system', async () => {
    for (const who of [cast.a.adminId, cast.a.memberId, cast.b.adminId]) {
      await refused(() => decline(t.db, who, ivyInvite.invitation_id), NotAuthorizedError, { message: /not allowed to decline/ })
    }
    await refused(() => asService(t.db, (trx) => sql`select public.decline_invitation(${ivyInvite.invitation_id})`.execute(trx)), NotAuthorizedError)
  })
})

describe('the table itself', () => {
  it('no API role reads the token hash, admins included; select * fails', async () => {
    for (const run of [
      (q: ReturnType<typeof sql>) => asUser(t.db, cast.a.adminId, (trx) => q.execute(trx)),
      (q: ReturnType<typeof sql>) => asService(t.db, (trx) => q.execute(trx)),
      (q: ReturnType<typeof sql>) => asAnon(t.db, (trx) => q.execute(trx)),
    ]) {
      await refused(() => run(sql`select token_hash from public.invitations`), NotAuthorizedError, { message: /permission denied/ })
      await refused(() => run(sql`select * from public.invitations`), NotAuthorizedError)
      await refused(() => run(sql`select i.id from public.invitations i where i.token_hash is not null`), NotAuthorizedError)
    }
  })

  it("admins read their organization's invitations only; members, outsiders and anon none", async () => {
    const cols = sql`select id, organization_id from public.invitations`
    const seenByA = await asUser(t.db, cast.a.adminId, async (trx) => (await cols.execute(trx)).rows as { organization_id: string }[])
    assert.ok(seenByA.length > 0 && seenByA.every((r) => r.organization_id === cast.a.id))
    const seenByB = await asUser(t.db, cast.b.adminId, async (trx) => (await cols.execute(trx)).rows as { organization_id: string }[])
    assert.ok(seenByB.every((r) => r.organization_id === cast.b.id))
    for (const who of [cast.a.memberId, ivy]) {
      assert.deepEqual(await asUser(t.db, who, async (trx) => (await cols.execute(trx)).rows), [])
    }
  })

  it('nobody but the system writes it directly, service_role included', async () => {
    const A = cast.a.id
    for (const run of [
      (q: ReturnType<typeof sql>) => asUser(t.db, cast.a.adminId, (trx) => q.execute(trx)),
      (q: ReturnType<typeof sql>) => asUser(t.db, ivy, (trx) => q.execute(trx)),
      (q: ReturnType<typeof sql>) => asService(t.db, (trx) => q.execute(trx)),
    ]) {
      await refused(() => run(sql`insert into public.invitations (organization_id, email, role, token_hash, expires_at)
                                  values (${A}, 'forged@example.com', 'admin', sha256('x'), now() + interval '1 day')`), NotAuthorizedError)
      await refused(() => run(sql`update public.invitations set role = 'admin' where id = ${ivyInvite.invitation_id}`), NotAuthorizedError)
      await refused(() => run(sql`update public.invitations set expires_at = now() + interval '1 year'`), NotAuthorizedError)
      await refused(() => run(sql`delete from public.invitations`), NotAuthorizedError)
      await refused(() => run(sql`truncate public.invitations`), NotAuthorizedError)
    }
  })

  it("an outsider cannot set their own organization_id to the invitation's: the guard says how to join", async () => {
    await refused(
      () => asUser(t.db, ivy, (trx) => trx.updateTable('profiles').set({ organization_id: cast.a.id, role: 'admin' }).where('id', '=', ivy).execute()),
      NotAuthorizedError,
      { column: 'organization_id', message: /cannot be set directly: join an organization by accepting an invitation/ },
    )
  })
})

describe('leaving', () => {
  it('the last admin cannot leave; a second admin can, after which the first is the last again', async () => {
    await refused(() => leave(t.db, cast.a.adminId), InvalidInputError, { constraint: 'organization_keeps_an_admin' })
    const co = await createUser(t.db, 'co-admin@example.com')
    await accept(t.db, co, (await invite(t.db, cast.a.adminId, 'co-admin@example.com', 'admin')).token)
    await leave(t.db, cast.a.adminId)
    await refused(() => leave(t.db, co), InvalidInputError, { constraint: 'organization_keeps_an_admin' })
    // Put A back as it was for the other tests.
    await accept(t.db, cast.a.adminId, (await invite(t.db, co, 'admin-a@example.com', 'admin')).token)
  })

  it('anon and service_role cannot leave (there is nobody to leave)', async () => {
    await refused(() => asAnon(t.db, (trx) => sql`select public.leave_organization()`.execute(trx)), NotAuthorizedError)
    await refused(() => asService(t.db, (trx) => sql`select public.leave_organization()`.execute(trx)), NotAuthorizedError)
  })
})

describe('bad input', () => {
  it('implausible addresses, roles and validities are refused, naming what', async () => {
    const cases: [string | null, string | null, string | null, RegExp][] = [
      ['', 'member', '7 days', /address is required/],
      ['   ', 'member', '7 days', /address is required/],
      [null, 'member', '7 days', /address is required/],
      ['no-at-sign', 'member', '7 days', /not an email address/],
      ['two@@example.com', 'member', '7 days', /not an email address/],
      ['a@b@example.com', 'member', '7 days', /not an email address/],
      ['@example.com', 'member', '7 days', /not an email address/],
      ['someone@', 'member', '7 days', /not an email address/],
      ['with space@example.com', 'member', '7 days', /not an email address/],
      ['line\nbreak@example.com', 'member', '7 days', /not an email address/],
      ['nul\u0001@example.com', 'member', '7 days', /not an email address/],
      [`${'x'.repeat(309)}@example.com`, 'member', '7 days', /too long/],
      ['x@example.com', 'owner', '7 days', /role must be admin or member/],
      ['x@example.com', 'ADMIN', '7 days', /role must be admin or member/],
      ['x@example.com', null, '7 days', /role must be admin or member/],
      ['x@example.com', 'member', '59 minutes', /1 hour to 30 days/],
      ['x@example.com', 'member', '30 days 1 second', /1 hour to 30 days/],
      ['x@example.com', 'member', '-7 days', /1 hour to 30 days/],
      ['x@example.com', 'member', '1 year', /1 hour to 30 days/],
      ['x@example.com', 'member', null, /1 hour to 30 days/],
    ]
    for (const [email, role, validFor, message] of cases) {
      await refused(
        () => asUser(t.db, cast.a.adminId, (trx) => sql`select * from public.invite_member(${email}, ${role}, ${validFor}::interval)`.execute(trx)),
        InvalidInputError, { message },
      )
    }
    await refused(() => asUser(t.db, cast.a.adminId, (trx) => sql`select * from public.invite_member('x@example.com', 'member', 'forever'::interval)`.execute(trx)), InvalidInputError)
  })

  it('SQL in the address is data: stored as given, nothing else happens', async () => {
    const evil = "o'brien');drop--table@example.com"
    const inv = await invite(t.db, cast.a.adminId, evil)
    assert.equal((await invitation(t.db, inv.invitation_id)).email, evil)
    await refused(() => invite(t.db, cast.a.adminId, "x' or '1'='1@example.com"), InvalidInputError)
    const tables = await asSystem(t.db, async (trx) => (await sql<{ n: number }>`select count(*)::int as n from pg_catalog.pg_tables where schemaname = 'public'`.execute(trx)).rows[0]?.n)
    assert.equal(tables, 9)
  })

  it('accept: a missing, empty or absurdly long token is invalid input; an unknown one not found', async () => {
    await refused(() => accept(t.db, ivy, null), InvalidInputError, { message: /token is required/ })
    await refused(() => accept(t.db, ivy, '  '), InvalidInputError, { message: /token is required/ })
    await refused(() => accept(t.db, ivy, 'x'.repeat(100_000)), InvalidInputError, { message: /too long/ })
    await refused(() => accept(t.db, ivy, "' or 1=1 --"), NotFoundError)
  })

  it('revoke and decline: a malformed or NULL id is refused', async () => {
    await refused(() => asUser(t.db, cast.a.adminId, (trx) => sql`select public.revoke_invitation(${'not-a-uuid'})`.execute(trx)), InvalidInputError)
    await refused(() => asUser(t.db, cast.a.adminId, (trx) => sql`select public.revoke_invitation(null)`.execute(trx)), NotAuthorizedError)
    await refused(() => asUser(t.db, ivy, (trx) => sql`select public.decline_invitation(null)`.execute(trx)), NotAuthorizedError)
  })
})
