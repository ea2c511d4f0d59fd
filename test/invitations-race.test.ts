// Races on invitations, on a real PostgreSQL server (PGlite has one session: nothing runs concurrently
// there). Each round starts the contenders on separate connections at once and checks that exactly one
// outcome happened, in the table, the profiles and the audit trail:
//   - two users with the invited address (GoTrue keeps addresses unique, the compatibility layer does
//     not) accept one token while an admin revokes it: one of the three wins, never two memberships;
//   - one user accepts invitations from two organizations at once: one membership;
//   - an accept races a replacement (a new invitation to the same address): the old token either
//     joined (and then the new invitation is refused: already a member) or stopped working.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { asSystem, asUser, ConflictError, NotFoundError } from '../lib/db/index.js'
import { onServer, useFreshDb } from './support/db.js'
import { accept, auditCount, auditSince, createUser, invitation, invite, revoke } from './support/invitations.js'

const ROUNDS = Number(process.env.INVITATION_RACE_ROUNDS ?? 150)

const t = useFreshDb({ poolSize: 8, when: onServer })
let adminA: string
let adminB: string
let orgA: string
let orgB: string
let adminC: string
let orgC: string

async function newOrg(email: string, slug: string): Promise<{ admin: string; org: string }> {
  const admin = await createUser(t.db, email)
  const org = await asUser(t.db, admin, async (trx) =>
    (await sql<{ id: string }>`select public.create_organization(${slug}, ${slug}) as id`.execute(trx)).rows[0]?.id)
  assert.ok(org)
  return { admin, org }
}

async function orgOf(userId: string): Promise<string | null> {
  return asSystem(t.db, async (trx) => (await trx.selectFrom('profiles').select('organization_id').where('id', '=', userId).executeTakeFirstOrThrow()).organization_id)
}

/** Starts every contender only when all have their own connection, so that they truly overlap. */
async function race<T>(contenders: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(contenders.map((c) => c()))
}

t.before(async () => {
  ;({ admin: adminA, org: orgA } = await newOrg('race-admin-a@example.com', 'race-a'))
  ;({ admin: adminB, org: orgB } = await newOrg('race-admin-b@example.com', 'race-b'))
  ;({ admin: adminC, org: orgC } = await newOrg('race-admin-c@example.com', 'race-c'))
})

describe('invitation races', { skip: !onServer && 'needs a PostgreSQL server (DATABASE_URL): the embedded database runs one session at a time' }, () => {
  it(`two accepts and a revoke of one token: exactly one outcome (${ROUNDS} rounds)`, async () => {
    const wins = { accepted: 0, revoked: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const email = `race-${round}@example.com`
      const u1 = await createUser(t.db, email)
      const u2 = await createUser(t.db, email)
      const inv = await invite(t.db, adminA, email)
      const n = await auditCount(t.db)
      // Whoever is sent first usually wins on a busy machine: the revoke goes first every third round, so
      // that both outcomes are exercised (one run on a loaded machine saw 150 accepts out of 150).
      const contenders = [
        () => accept(t.db, u1, inv.token),
        () => accept(t.db, u2, inv.token),
        () => revoke(t.db, adminA, inv.invitation_id),
      ]
      const first = round % 3
      const settled = await race<unknown>([...contenders.slice(first), ...contenders.slice(0, first)])
      const [r1, r2, rv] = [0, 1, 2].map((i) => settled[(i - first + 3) % 3])
      const ok = [r1, r2, rv].filter((r) => r?.status === 'fulfilled').length
      assert.equal(ok, 1, `round ${round}: ${ok} contenders won: ${JSON.stringify([r1, r2, rv].map((r) => r?.status === 'rejected' ? String(r.reason) : 'ok'))}`)
      for (const r of [r1, r2, rv]) {
        if (r?.status === 'rejected') assert.ok(r.reason instanceof ConflictError, `round ${round}: ${String(r.reason)}`)
      }
      const row = await invitation(t.db, inv.invitation_id)
      const members = [await orgOf(u1), await orgOf(u2)].filter((o) => o !== null)
      const trail = await auditSince(t.db, n)
      if (rv?.status === 'fulfilled') {
        wins.revoked++
        assert.equal(row.status, 'revoked')
        assert.deepEqual(members, [])
        assert.deepEqual(trail.map((a) => [a.table_name, a.user_id]), [['invitations', adminA]])
      } else {
        wins.accepted++
        const winner = r1?.status === 'fulfilled' ? u1 : u2
        assert.equal(row.status, 'accepted')
        assert.equal(row.accepted_by, winner)
        assert.deepEqual(members, [orgA])
        assert.deepEqual(trail.map((a) => [a.table_name, a.user_id]), [['invitations', winner], ['profiles', winner]])
      }
    }
    // Both outcomes happen, or the race was not a race.
    console.log(`accept/accept/revoke: ${JSON.stringify(wins)} over ${ROUNDS} rounds`)
    assert.ok(wins.accepted > 0 && wins.revoked > 0, JSON.stringify(wins))
  })

  it(`one user accepts two organizations' invitations at once: one membership (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const email = `double-${round}@example.com`
      const u = await createUser(t.db, email)
      const a = await invite(t.db, adminA, email)
      const b = await invite(t.db, adminB, email)
      const results = await race([() => accept(t.db, u, a.token), () => accept(t.db, u, b.token)])
      const won = results.filter((r) => r.status === 'fulfilled')
      assert.equal(won.length, 1, `round ${round}`)
      const joined = await orgOf(u)
      assert.ok(joined === orgA || joined === orgB)
      const statuses = [(await invitation(t.db, a.invitation_id)).status, (await invitation(t.db, b.invitation_id)).status].sort()
      assert.deepEqual(statuses, ['accepted', 'pending'])
      // The other stays pending: revoked, so that many rounds stay under the 100-invitation limit.
      const open = (await invitation(t.db, a.invitation_id)).status === 'pending' ? [adminA, a] as const : [adminB, b] as const
      await revoke(t.db, open[0], open[1].invitation_id)
    }
  })

  it(`an accept races a replacement: the old token joins or stops working, never both (${ROUNDS} rounds)`, async () => {
    const outcomes = { joined: 0, replaced: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const email = `replace-${round}@example.com`
      const u = await createUser(t.db, email)
      const old = await invite(t.db, adminC, email)
      const [acc, rep] = await Promise.allSettled([accept(t.db, u, old.token), invite(t.db, adminC, email)])
      const oldRow = await invitation(t.db, old.invitation_id)
      if (acc.status === 'fulfilled') {
        outcomes.joined++
        assert.equal(oldRow.status, 'accepted')
        assert.equal(await orgOf(u), orgC)
        // The replacement either came first (impossible here: the accept won) or found a member.
        assert.equal(rep.status, 'rejected', `round ${round}: a member was invited again`)
        assert.ok(rep.status === 'rejected' && rep.reason instanceof ConflictError)
      } else {
        outcomes.replaced++
        assert.equal(rep.status, 'fulfilled')
        assert.equal(oldRow.status, 'replaced')
        assert.equal(await orgOf(u), null)
        assert.ok(acc.status === 'rejected' && (acc.reason instanceof ConflictError || acc.reason instanceof NotFoundError))
      }
      // Whoever won, one pending invitation at most for the address.
      const pending = await asSystem(t.db, async (trx) =>
        (await sql<{ n: number }>`select count(*)::int as n from public.invitations where email = ${email} and status = 'pending'`.execute(trx)).rows[0]?.n)
      assert.ok((pending ?? 0) <= 1)
      // The new invitation, if it was made, is revoked: many rounds stay under the 100-invitation limit.
      if (rep.status === 'fulfilled') await revoke(t.db, adminC, rep.value.invitation_id)
    }
    console.log(`accept/replace: ${JSON.stringify(outcomes)} over ${ROUNDS} rounds`)
  })
})
