// One handler per operation kind, in a table keyed by kind: who performs it, what the model predicts
// (success, or which typed error), the operation itself in the actor's session, and on success the
// model's new state with the rows and audit rows the step must have written — all in one place per
// kind. A new kind in operations.ts does not compile until it has an entry here.
//
// Adding a kind (say, invitations): its fields and generator in operations.ts (OpFields, GENERATORS);
// the state it changes in model.ts (Model, plus a transition there if several kinds share it); its
// entry here; for a new table, what each actor sees of it in check.ts (VISIBLE) and its row in the
// tracked tables of test/support/invariants.ts, so that every step checks its writes.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import {
  acceptInvitation, changeRole, ConflictError, createOrganization, type Database, declineInvitation, getPreferences, InvalidInputError,
  inviteMember, leaveOrganization, listDeleted, NotAuthorizedError, NotFoundError, readAuditTrail, recordAiUsage, removeMember, restore,
  revokeInvitation, setPreferences, softDelete, type SoftDeleteTable,
} from '../../lib/db/index.js'
import { attempt, auditRowsVisibleTo, expectOutcome, sorted, verifyStep, visibleTo, type Want } from './check.js'
import {
  type Actor, actorId, actorLabel, adminOrg, applyHardDelete, applyLeave, applySoftDelete, at, centsToDecimal, dayOf, Effects,
  isAdminOf, type MBiz, type Model, otherAdmins, type Real, rowsOf, session, snapshotTotals, totalsOf, trusted, unknownId,
} from './model.js'
import {
  inviteeOrAnyone, mostlyAdmins, type Op, type OpKind, pickActor, pickCustomer, pickInvitation, pickOrg, pickRow, pickUser, type ReadTarget,
  SYSTEM,
} from './operations.js'

/** What a handler works with during one step. */
export interface Ctx {
  m: Model
  a: Actor
  /** The user audit rows name for this actor: null for service and the system. */
  uid: string | null
  label: string
  /** The step's expected writes and audit rows, checked after the handler returns. */
  eff: Effects
  /** Runs fn in the actor's session and asserts the predicted outcome; the value when success was predicted. */
  expect<T>(want: Want, fn: (trx: Transaction<Database>) => Promise<T>, note?: string): Promise<T | undefined>
}

export interface Handler<K extends OpKind> {
  /** Who performs the operation. */
  actor(m: Model, op: Op<K>): Actor
  /** Predicts, runs, and on success updates the model and the expected effects (ctx.eff). */
  run(ctx: Ctx, op: Op<K>): Promise<void>
}

/** Admins of an organization get a larger share, for the operations only they may do to their rows. */
const adminsOften = (m: Model, op: { actor: number }): Actor => pickActor(m, op.actor, undefined, 0, 14)

/** Plain UPDATEs of one row: it is hit (1 row) by its organization's admins while live, and by service/system. */
function reaches(a: Actor, row: MBiz | undefined): row is MBiz {
  return row !== undefined && ((isAdminOf(a, row.org) && !row.deleted) || trusted(a))
}

const HANDLERS: { [K in OpKind]: Handler<K> } = {
  read: {
    actor: mostlyAdmins,
    run: (ctx, op) => READS[op.target](ctx, op.table),
  },

  insertCustomer: {
    actor: mostlyAdmins,
    async run({ m, a, uid, eff, expect }, op) {
      const org = pickOrg(m, a, op.org)
      const want: Want = trusted(a) ? (org.known ? 'ok' : InvalidInputError) : isAdminOf(a, org.id) ? 'ok' : NotAuthorizedError
      const row = await expect(want, (trx) =>
        trx.insertInto('customers').values({ organization_id: org.id, name: op.name, status: op.status }).returning('id').executeTakeFirstOrThrow())
      if (!row) return
      m.customers.push({ id: row.id, org: org.id, name: op.name, status: op.status, deleted: false })
      eff.write('customers', row.id).count('customers', 1).audited('customers', 'INSERT', row.id, org.id, uid)
    },
  },

  insertRevenue: {
    actor: mostlyAdmins,
    async run({ m, a, uid, eff, expect }, op) {
      const org = pickOrg(m, a, op.org)
      const customer = pickCustomer(m, org.id, op.customer)
      const customerId = customer?.id ?? null
      const amount = centsToDecimal(op.cents)
      const date = dayOf(op.day)
      const row = await expect(insertWant(a, org, customer),
        (trx) => trx.insertInto('revenue').values({ organization_id: org.id, customer_id: customerId, amount, date, category: 'fuzz' })
          .returning('id').executeTakeFirstOrThrow(),
        `(customer ${customer ? (customer.org === org.id ? 'same org' : 'other org') : 'none'})`)
      if (!row) return
      m.revenue.push({ id: row.id, org: org.id, customer: customerId, cents: op.cents, date, deleted: false })
      eff.write('revenue', row.id).count('revenue', 1).audited('revenue', 'INSERT', row.id, org.id, uid)
      // The insert trigger adds to the customer's figures with an UPDATE, whatever the amount.
      if (customerId) eff.write('customers', customerId)
    },
  },

  insertActivity: {
    actor: mostlyAdmins,
    async run({ m, a, uid, eff, expect }, op) {
      const org = pickOrg(m, a, op.org)
      const customer = pickCustomer(m, org.id, op.customer)
      const customerId = customer?.id ?? null
      const row = await expect(insertWant(a, org, customer), (trx) =>
        trx.insertInto('activities').values({ organization_id: org.id, customer_id: customerId, type: op.type, metadata: { fuzz: true, by: uid } })
          .returning('id').executeTakeFirstOrThrow())
      if (!row) return
      m.activities.push({ id: row.id, org: org.id, customer: customerId, type: op.type, deleted: false })
      eff.write('activities', row.id).count('activities', 1).audited('activities', 'INSERT', row.id, org.id, uid)
    },
  },

  updateCustomer: {
    actor: mostlyAdmins,
    async run({ m, a, uid, label, eff, expect }, op) {
      const c = pickRow(m.customers, a, op.row)
      const id = c?.id ?? unknownId(op.row)
      const res = await expect('ok', (trx) =>
        trx.updateTable('customers').set({ name: op.name, status: op.status }).where('id', '=', id).executeTakeFirst())
      assert.equal(res?.numUpdatedRows, reaches(a, c) ? 1n : 0n, `${label}: rows updated`)
      if (!reaches(a, c)) return
      eff.write('customers', c.id)
      if (c.name !== op.name || c.status !== op.status) eff.audited('customers', 'UPDATE', c.id, c.org, uid)
      c.name = op.name
      c.status = op.status
    },
  },

  updateRevenue: {
    actor: mostlyAdmins,
    async run({ m, a, uid, label, eff, expect }, op) {
      const rv = pickRow(m.revenue, a, op.row)
      const id = rv?.id ?? unknownId(op.row)
      const writable = reaches(a, rv)
      const customer = rv ? pickCustomer(m, rv.org, op.customer) : null
      const customerId = customer?.id ?? null
      const want: Want = writable && customer && customer.org !== rv.org ? InvalidInputError : 'ok'
      const amount = centsToDecimal(op.cents)
      const date = dayOf(op.day)
      const res = await expect(want, (trx) =>
        trx.updateTable('revenue').set({ amount, date, customer_id: customerId }).where('id', '=', id).executeTakeFirst())
      if (want !== 'ok') return
      assert.equal(res?.numUpdatedRows, writable ? 1n : 0n, `${label}: rows updated`)
      if (!rv || !writable) return
      const changed = rv.cents !== op.cents || rv.date !== date || rv.customer !== customerId
      const before = snapshotTotals(m, changed ? [rv.customer, customerId] : [])
      eff.write('revenue', rv.id)
      if (changed) eff.audited('revenue', 'UPDATE', rv.id, rv.org, uid)
      rv.cents = op.cents
      rv.date = date
      rv.customer = customerId
      eff.totals(before)
    },
  },

  updateActivity: {
    actor: mostlyAdmins,
    async run({ m, a, uid, label, eff, expect }, op) {
      const act = pickRow(m.activities, a, op.row)
      const id = act?.id ?? unknownId(op.row)
      const res = await expect('ok', (trx) => trx.updateTable('activities').set({ type: op.type }).where('id', '=', id).executeTakeFirst())
      assert.equal(res?.numUpdatedRows, reaches(a, act) ? 1n : 0n, `${label}: rows updated`)
      if (!reaches(a, act)) return
      eff.write('activities', act.id)
      if (act.type !== op.type) eff.audited('activities', 'UPDATE', act.id, act.org, uid)
      act.type = op.type
    },
  },

  moveRow: {
    actor: mostlyAdmins,
    async run({ m, a, label, expect }, op) {
      // Moving a row to another organization is refused to everyone who can reach the row, the
      // system included (reject_key_change); everyone else's UPDATE matches no row. In SQL: the
      // generated types forbid the update, an API client is not bound by them.
      const row = pickRow(rowsOf(m, op.table), a, op.row)
      const others = m.orgs.filter((o) => o.id !== row?.org)
      const target = at(others, op.org)?.id ?? unknownId(op.org)
      const id = row?.id ?? unknownId(op.row)
      const res = await expect(reaches(a, row) ? NotAuthorizedError : 'ok', (trx) =>
        sql`update ${sql.table(op.table)} set organization_id = ${target} where id = ${id}`.execute(trx), `(${op.table})`)
      if (res) assert.equal(res.numAffectedRows, 0n, `${label}: rows updated`)
    },
  },

  softDelete: {
    actor: adminsOften,
    run: (ctx, op) => softDeleteOrRestore(ctx, op.table, op.row, true),
  },

  restore: {
    actor: adminsOften,
    run: (ctx, op) => softDeleteOrRestore(ctx, op.table, op.row, false),
  },

  deleteRaw: {
    actor: adminsOften,
    async run(ctx, op) {
      const { m, a, label, eff, expect } = ctx
      // An API user's DELETE is a soft delete (and reports 0 rows); service and system delete for real.
      const row = pickRow(rowsOf(m, op.table), a, op.row)
      const id = row?.id ?? unknownId(op.row)
      const res = await expect('ok', (trx) => trx.deleteFrom(op.table).where('id', '=', id).executeTakeFirst(), `(${op.table})`)
      if (trusted(a)) {
        assert.equal(res?.numDeletedRows, row ? 1n : 0n, `${label}: rows deleted`)
        if (row) applyHardDelete(m, eff, op.table, row)
      } else {
        softDeletedByApi(ctx, op.table, row, res?.numDeletedRows)
      }
    },
  },

  softDeleteByUpdate: {
    actor: adminsOften,
    async run(ctx, op) {
      const { m, a, uid, label, eff, expect } = ctx
      // `UPDATE ... SET deleted_at = now()`: an admin's becomes a soft delete (0 rows reported);
      // service and system update the row like any other column (a second time: a plain UPDATE).
      const row = pickRow<MBiz>(rowsOf(m, op.table), a, op.row, (x) => !x.deleted)
      const id = row?.id ?? unknownId(op.row)
      const res = await expect('ok', (trx) =>
        trx.updateTable(op.table).set({ deleted_at: sql<Date>`now()` }).where('id', '=', id).executeTakeFirst(), `(${op.table})`)
      if (trusted(a)) {
        assert.equal(res?.numUpdatedRows, row ? 1n : 0n, `${label}: rows updated`)
        if (row && !row.deleted) applySoftDelete(m, eff, op.table, row, true, uid)
        else if (row) eff.write(op.table, row.id).audited(op.table, 'UPDATE', row.id, row.org, uid)
      } else {
        softDeletedByApi(ctx, op.table, row, res?.numUpdatedRows)
      }
    },
  },

  removeByUpdate: {
    actor: mostlyAdmins,
    async run({ m, a, uid, label, eff, expect }, op) {
      // `UPDATE profiles SET organization_id = NULL`: an admin's removal of a colleague is carried out
      // by remove_member() (0 rows reported); one's own leaves through the guard (1 row).
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const mine = adminOrg(a)
      let want: Want = 'ok'
      let hits = 0n
      let removes = false
      if (target && (trusted(a) || (a.kind === 'user' && a.user.id === target.id))) {
        if (target.org === null) hits = 1n
        else if (!trusted(a) && mine !== target.org) want = NotAuthorizedError
        else if (target.role === 'admin' && otherAdmins(m, target.org, target.id) === 0) want = InvalidInputError
        else {
          hits = 1n
          removes = true
        }
      } else if (target && mine !== null && target.org === mine) removes = true
      const res = await expect(want, (trx) => trx.updateTable('profiles').set({ organization_id: null }).where('id', '=', id).executeTakeFirst())
      if (!res) return
      assert.equal(res.numUpdatedRows, hits, `${label}: rows updated`)
      if (!target) return
      if (removes && target.org) applyLeave(eff, target, target.org, uid)
      else if (hits === 1n) eff.write('profiles', target.id)
    },
  },

  changeRole: {
    actor: mostlyAdmins,
    async run({ m, a, uid, eff, expect }, op) {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      let want: Want
      if (!target) want = NotAuthorizedError
      else if (a.kind === 'user') {
        const me = a.user
        if (target.id === me.id) {
          want = op.role === me.role ? 'ok'
            : adminOrg(a) === null ? NotAuthorizedError
            : otherAdmins(m, me.org ?? '', me.id) > 0 ? 'ok' : InvalidInputError
        } else {
          want = adminOrg(a) !== null && target.org === adminOrg(a) ? 'ok' : NotAuthorizedError
        }
      } else if (a.kind === 'anon') want = NotAuthorizedError
      else if (op.role === target.role || target.org === null) want = 'ok'
      else if (target.role === 'admin' && otherAdmins(m, target.org, target.id) === 0) want = InvalidInputError
      else want = 'ok'
      await expect(want, (trx) => changeRole(trx, id, op.role),
        `(${target ? `${target.role}${target.org ? '' : ', no org'}` : 'unknown'} -> ${op.role})`)
      if (!target || want !== 'ok') return
      eff.write('profiles', target.id)
      // An outsider's role change belongs to no organization's trail: not audited.
      if (target.role !== op.role && target.org) eff.audited('profiles', 'UPDATE', target.id, target.org, uid)
      target.role = op.role
    },
  },

  removeMember: {
    actor: mostlyAdmins,
    async run({ m, a, uid, eff, expect }, op) {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const mine = adminOrg(a)
      const want: Want = a.kind !== 'user' || mine === null || !target || target.org !== mine ? NotAuthorizedError
        : target.role === 'admin' && otherAdmins(m, mine, target.id) === 0 ? InvalidInputError : 'ok'
      await expect(want, (trx) => removeMember(trx, id))
      if (target && mine && want === 'ok') applyLeave(eff, target, mine, uid)
    },
  },

  createOrg: {
    actor: (m, op) => pickActor(m, op.actor, (u) => u.org === null),
    async run({ m, a, eff, expect }, op) {
      const taken = op.takenSlug ? m.orgs[m.slugs % m.orgs.length]?.slug : undefined
      const slug = taken ?? `${m.tag}-o${++m.slugs}`
      const want: Want = a.kind !== 'user' ? NotAuthorizedError : a.user.org !== null || taken !== undefined ? ConflictError : 'ok'
      const orgId = await expect(want, (trx) => createOrganization(trx, { name: op.name, slug }), `(slug ${taken ? 'taken' : 'new'})`)
      if (!orgId || a.kind !== 'user') return
      m.orgs.push({ id: orgId, slug, name: op.name })
      eff.write('organizations', orgId).count('organizations', 1).write('profiles', a.user.id)
        .audited('profiles', 'UPDATE', a.user.id, orgId, a.user.id)
      a.user.org = orgId
      a.user.role = 'admin'
    },
  },

  renameOrg: {
    actor: mostlyAdmins,
    async run({ m, a, uid, label, eff, expect }, op) {
      const org = pickOrg(m, a, op.org)
      const model = m.orgs.find((o) => o.id === org.id)
      const hits = model && (trusted(a) || isAdminOf(a, org.id)) ? 1n : 0n
      const res = await expect('ok', (trx) => trx.updateTable('organizations').set({ name: op.name }).where('id', '=', org.id).executeTakeFirst())
      assert.equal(res?.numUpdatedRows, hits, `${label}: rows updated`)
      if (!model || hits !== 1n) return
      eff.write('organizations', model.id)
      if (model.name !== op.name) eff.audited('organizations', 'UPDATE', model.id, model.id, uid)
      model.name = op.name
    },
  },

  setTheme: {
    actor: mostlyAdmins,
    async run({ a, eff, expect }, op) {
      const row = await expect(a.kind === 'user' ? 'ok' : NotAuthorizedError, (trx) => setPreferences(trx, { theme_preference: op.theme }))
      if (!row || a.kind !== 'user') return
      assert.equal(row.user_id, a.user.id)
      eff.write('user_preferences', a.user.id).count('user_preferences', a.user.theme === null ? 1 : 0)
      a.user.theme = op.theme
    },
  },

  updateTheme: {
    actor: mostlyAdmins,
    async run({ m, a, label, eff, expect }, op) {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const hits = target && target.theme !== null && (trusted(a) || (a.kind === 'user' && a.user.id === target.id)) ? 1n : 0n
      const res = await expect('ok', (trx) =>
        trx.updateTable('user_preferences').set({ theme_preference: op.theme }).where('user_id', '=', id).executeTakeFirst())
      assert.equal(res?.numUpdatedRows, hits, `${label}: rows updated`)
      if (!target || hits !== 1n) return
      eff.write('user_preferences', target.id)
      target.theme = op.theme
    },
  },

  setName: {
    actor: mostlyAdmins,
    async run({ m, a, label, eff, expect }, op) {
      const target = pickUser(m, a, op.target)
      const id = target?.id ?? unknownId(op.target)
      const fullName = `fz ${op.name}`.slice(0, 200)
      let want: Want = 'ok'
      let hits = 0n
      if (target && (trusted(a) || (a.kind === 'user' && a.user.id === target.id))) hits = 1n
      else if (target && a.kind === 'user' && adminOrg(a) !== null && target.org === adminOrg(a)) {
        // An admin reaches a colleague's row, but names are the user's own business.
        if (target.fullName !== fullName) want = NotAuthorizedError
        else hits = 1n
      }
      const res = await expect(want, (trx) => trx.updateTable('profiles').set({ full_name: fullName }).where('id', '=', id).executeTakeFirst())
      if (res) assert.equal(res.numUpdatedRows, hits, `${label}: rows updated`)
      if (!target || hits !== 1n) return
      eff.write('profiles', target.id)
      target.fullName = fullName
    },
  },

  aiUsage: {
    actor: (m, op) => pickActor(m, op.actor, undefined, 50),
    async run({ m, a, eff, expect }, op) {
      const user = pickUser(m, a, op.user)
      const userId = user?.id ?? unknownId(op.user)
      const org = pickOrg(m, a, op.org)
      const want: Want = !trusted(a) ? NotAuthorizedError : org.known ? 'ok' : InvalidInputError
      const row = await expect(want, (trx) => recordAiUsage(trx, {
        userId, organizationId: org.id, queryId: randomUUID(), model: 'fuzz-model', inputTokens: op.tokens, outputTokens: op.tokens % 997,
        costUsd: '0.0100',
      }))
      if (!row) return
      m.usage.push({ id: row.id, org: org.id, user: userId })
      eff.write('ai_usage_log', row.id).count('ai_usage_log', 1)
    },
  },

  signUp: {
    // GoTrue's insert into auth.users: no JWT; the trigger creates the profile. Every second sign-up
    // has confirmed the address (email_confirmed_at), the others have not (yet).
    actor: () => SYSTEM,
    async run({ m, eff, expect }) {
      const id = randomUUID()
      const email = `signup-${id}@fuzz.example`
      const confirmed = m.users.length % 2 === 0
      await expect('ok', (trx) => sql`insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data, created_at, updated_at)
        values (${id}, ${email}, ${confirmed ? sql`now()` : sql`null`}, '{"full_name": "signed up"}'::jsonb, now(), now())`.execute(trx))
      m.users.push({ id, org: null, role: 'member', theme: null, fullName: 'signed up', email, confirmed })
      eff.write('auth_users', id).count('auth_users', 1).write('profiles', id).count('profiles', 1)
    },
  },

  // Invitations (007_invitations.sql). The order of the predictions is the order of the checks in SQL.
  invite: {
    actor: adminsOften,
    async run({ m, a, uid, eff, expect }, op) {
      const mine = adminOrg(a)
      const colleagues = m.users.filter((u) => u.org !== null && u.org === mine)
      const r = op.target % 10
      const email = r === 8 ? 'not an address'
        : r === 9 ? (at(colleagues, op.target)?.email ?? `${m.tag}-inv${op.target % 50}@fuzz.example`)
        : r >= 6 ? `${m.tag}-inv${op.target % 50}@fuzz.example`
        // Mostly someone who can accept: an outsider of the run (founders' leavers included).
        : (at(r < 5 ? m.users.filter((u) => u.org === null && u.confirmed) : m.users, Math.floor(op.target / 10)) ?? at(m.users, op.target))?.email ??
          `${m.tag}-inv0@fuzz.example`
      const validFor = op.validity % 10 === 0 ? '30 minutes' : op.validity % 10 === 1 ? '30 days' : '7 days'
      const want: Want = a.kind !== 'user' || mine === null ? NotAuthorizedError
        : r === 8 || validFor === '30 minutes' ? InvalidInputError
        : colleagues.some((u) => u.email === email) ? ConflictError
        : 'ok'
      const presented = op.shout ? `  ${email.toUpperCase()} ` : email
      const made = await expect(want, (trx) => inviteMember(trx, { email: presented, role: op.role, validFor }), `(${email}, ${validFor})`)
      if (!made || mine === null) return
      const replaced = m.invitations.find((i) => i.org === mine && i.email === email && i.status === 'pending')
      if (replaced) {
        replaced.status = 'replaced'
        eff.write('invitations', replaced.id).audited('invitations', 'UPDATE', replaced.id, mine, uid)
      }
      m.invitations.push({ id: made.invitation_id, org: mine, email, role: op.role, status: 'pending', token: made.token, expired: false })
      eff.write('invitations', made.invitation_id).count('invitations', 1).audited('invitations', 'INSERT', made.invitation_id, mine, uid)
    },
  },

  acceptInvitation: {
    actor: (m, op) => inviteeOrAnyone(m, pickInvitation(m, null, op.invitation), op.actor),
    async run({ m, a, eff, expect }, op) {
      const inv = pickInvitation(m, null, op.invitation)
      const token = inv?.token ?? `unknown-${op.invitation}`
      const user = a.kind === 'user' ? a.user : undefined
      const want: Want = !user ? NotAuthorizedError
        : !inv ? NotFoundError
        : user.email !== inv.email || !user.confirmed ? NotAuthorizedError
        : inv.status !== 'pending' || inv.expired || user.org !== null ? ConflictError
        : 'ok'
      const joined = await expect(want, (trx) => acceptInvitation(trx, token), inv ? `(${inv.status}${inv.expired ? ', expired' : ''})` : '(unknown token)')
      if (!joined || !inv || !user) return
      assert.equal(joined, inv.org)
      inv.status = 'accepted'
      eff.write('invitations', inv.id).audited('invitations', 'UPDATE', inv.id, inv.org, user.id)
      user.org = inv.org
      user.role = inv.role
      eff.write('profiles', user.id).audited('profiles', 'UPDATE', user.id, inv.org, user.id)
    },
  },

  revokeInvitation: {
    actor: adminsOften,
    async run({ m, a, uid, eff, expect }, op) {
      const inv = pickInvitation(m, adminOrg(a), op.invitation)
      const id = inv?.id ?? unknownId(op.invitation)
      const want: Want = !inv || adminOrg(a) !== inv.org ? NotAuthorizedError : inv.status !== 'pending' ? ConflictError : 'ok'
      await expect(want, (trx) => revokeInvitation(trx, id), inv ? `(${inv.status})` : '(unknown)')
      if (!inv || want !== 'ok') return
      inv.status = 'revoked'
      eff.write('invitations', inv.id).audited('invitations', 'UPDATE', inv.id, inv.org, uid)
    },
  },

  declineInvitation: {
    actor: (m, op) => inviteeOrAnyone(m, pickInvitation(m, null, op.invitation), op.actor),
    async run({ m, a, uid, eff, expect }, op) {
      const inv = pickInvitation(m, null, op.invitation)
      const id = inv?.id ?? unknownId(op.invitation)
      const user = a.kind === 'user' ? a.user : undefined
      const want: Want = !user || !inv || !user.confirmed || user.email !== inv.email ? NotAuthorizedError
        : inv.status !== 'pending' || inv.expired ? ConflictError
        : 'ok'
      await expect(want, (trx) => declineInvitation(trx, id), inv ? `(${inv.status})` : '(unknown)')
      if (!inv || want !== 'ok') return
      inv.status = 'declined'
      eff.write('invitations', inv.id).audited('invitations', 'UPDATE', inv.id, inv.org, uid)
    },
  },

  expireInvitation: {
    // Time passing, as the system writes it: the invitation's dates move into the past.
    actor: () => SYSTEM,
    async run({ m, label, eff, expect }, op) {
      const inv = pickInvitation(m, null, op.invitation)
      const id = inv?.id ?? unknownId(op.invitation)
      const res = await expect('ok', (trx) => trx.updateTable('invitations')
        .set({ created_at: sql<Date>`created_at - interval '40 days'`, expires_at: sql<Date>`now() - interval '1 second'` })
        .where('id', '=', id).executeTakeFirst())
      assert.equal(res?.numUpdatedRows, inv ? 1n : 0n, `${label}: rows updated`)
      if (!inv) return
      inv.expired = true
      eff.write('invitations', inv.id).audited('invitations', 'UPDATE', inv.id, inv.org, null)
    },
  },

  leave: {
    actor: (m, op) => pickActor(m, op.actor, (u) => u.org !== null),
    async run({ m, a, eff, expect }, op) {
      const user = a.kind === 'user' ? a.user : undefined
      const org = user?.org ?? null
      const want: Want = !user ? NotAuthorizedError
        : org === null ? ConflictError
        : user.role === 'admin' && otherAdmins(m, org, user.id) === 0 ? InvalidInputError
        : 'ok'
      await expect(want, (trx) => leaveOrganization(trx), `(${op.actor % 24})`)
      if (user && org && want === 'ok') applyLeave(eff, user, org, user.id)
    },
  },
}

/** An insert into a business table: admins of the organization and service/system write; the customer must be of the same organization. */
function insertWant(a: Actor, org: { id: string; known: boolean }, customer: { org: string } | null): Want {
  if (!trusted(a) && !isAdminOf(a, org.id)) return NotAuthorizedError
  return !org.known || (customer && customer.org !== org.id) ? InvalidInputError : 'ok'
}

/**
 * An API user's DELETE or `UPDATE ... SET deleted_at`: it reports 0 rows, and becomes a soft delete
 * of the row when the user reaches it (an admin of its organization, the row live).
 */
function softDeletedByApi({ m, a, uid, label, eff }: Ctx, table: SoftDeleteTable, row: MBiz | undefined, reported: bigint | undefined): void {
  assert.equal(reported, 0n, `${label}: rows reported`)
  if (reaches(a, row)) applySoftDelete(m, eff, table, row, true, uid)
}

/** softDelete()/restore(): only admins, only live (deleted) rows of their own organization. */
async function softDeleteOrRestore({ m, a, uid, eff, expect }: Ctx, table: SoftDeleteTable, n: number, deleting: boolean): Promise<void> {
  const row = pickRow<MBiz>(rowsOf(m, table), a, n, (x) => x.deleted !== deleting)
  const id = row?.id ?? unknownId(n)
  const mine = adminOrg(a)
  const want: Want = mine === null ? NotAuthorizedError : row && row.org === mine && row.deleted !== deleting ? 'ok' : NotFoundError
  await expect(want, (trx) => (deleting ? softDelete : restore)(trx, table, id), `(${table})`)
  if (row && want === 'ok') applySoftDelete(m, eff, table, row, deleting, uid)
}

// ---------------------------------------------------------------------------------------------
// Reads: one checker per target. Service and the system see every row of the run; users and anon
// exactly their share (check.ts).
// ---------------------------------------------------------------------------------------------
const READS: { [T in ReadTarget]: (ctx: Ctx, table: SoftDeleteTable) => Promise<void> } = {
  async trash({ m, a, label, expect }, table) {
    // The trash functions are not executable by anon.
    const rows = await expect(a.kind === 'anon' ? NotAuthorizedError : 'ok', (trx) => listDeleted(trx, table), `trash ${table}`)
    if (!rows) return
    assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(visibleTo(m, a, `trash_${table}`)), `${label}: trash of ${table}`)
    assert.ok(rows.every((x) => x.deleted_at !== null), `${label}: the trash holds deleted rows only`)
  },

  async audit_trail({ m, a, label, expect }) {
    const org = at(m.orgs, m.orgs.length) ?? m.orgs[0]
    const page = await expect('ok', (trx) =>
      readAuditTrail(trx, trusted(a) && org ? { organizationId: org.id, limit: 1000 } : { limit: 1000 }), 'audit trail')
    if (!page) return
    const expectedOrg = trusted(a) ? org?.id ?? null : adminOrg(a)
    const expectedCount = expectedOrg ? m.audit.get(expectedOrg) ?? 0 : 0
    assert.equal(page.rows.length, expectedCount, `${label}: audit trail length`)
    assert.ok(page.rows.every((x) => x.organization_id === expectedOrg), `${label}: audit trail of one organization`)
  },

  async preferences({ a, label, expect }) {
    const user = a.kind === 'user' ? a.user : undefined
    const prefs = await expect(user ? 'ok' : NotAuthorizedError, (trx) => getPreferences(trx), 'preferences')
    if (user) assert.equal(prefs?.theme_preference ?? null, user.theme, `${label}: own theme`)
  },

  async customers({ m, a, label, expect }) {
    const orgIds = m.orgs.map((o) => o.id)
    const rows = await expect('ok', (trx) => {
      const q = trx.selectFrom('customers').select(['id', 'organization_id', 'name', 'status', 'total_revenue', 'last_purchase_date', 'deleted_at'])
      return (trusted(a) ? q.where('organization_id', 'in', orgIds) : q).execute()
    }) ?? []
    const visible = visibleTo(m, a, 'customers')
    const expected = trusted(a) ? m.customers : m.customers.filter((c) => visible.includes(c.id))
    assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(expected.map((c) => c.id)), `${label}: customers`)
    for (const row of rows) {
      const c = m.customers.find((x) => x.id === row.id)
      assert.ok(c, `${label}: customer ${row.id} is of this run`)
      const totals = totalsOf(m, c.id)
      assert.deepEqual(
        { org: row.organization_id, name: row.name, status: row.status, total: row.total_revenue, last: row.last_purchase_date, deleted: row.deleted_at !== null },
        { org: c.org, name: c.name, status: c.status, total: centsToDecimal(totals.total), last: totals.last, deleted: c.deleted },
        `${label}: customer ${c.id}`)
    }
  },

  async revenue({ m, a, label, expect }) {
    const orgIds = m.orgs.map((o) => o.id)
    const rows = await expect('ok', (trx) => {
      const q = trx.selectFrom('revenue').select(['id', 'organization_id', 'customer_id', 'amount', 'date', 'deleted_at'])
      return (trusted(a) ? q.where('organization_id', 'in', orgIds) : q).execute()
    }) ?? []
    const visible = visibleTo(m, a, 'revenue')
    const expected = trusted(a) ? m.revenue : m.revenue.filter((x) => visible.includes(x.id))
    assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(expected.map((x) => x.id)), `${label}: revenue`)
    for (const row of rows) {
      const rv = m.revenue.find((x) => x.id === row.id)
      assert.ok(rv, `${label}: revenue ${row.id} is of this run`)
      assert.deepEqual(
        { org: row.organization_id, customer: row.customer_id, amount: row.amount, date: row.date, deleted: row.deleted_at !== null },
        { org: rv.org, customer: rv.customer, amount: centsToDecimal(rv.cents), date: rv.date, deleted: rv.deleted },
        `${label}: revenue ${rv.id}`)
    }
  },

  async audit_logs({ m, a, label, expect }) {
    const orgIds = m.orgs.map((o) => o.id)
    const rows = await expect('ok', (trx) => {
      const q = trx.selectFrom('audit_logs').select(['organization_id'])
      return (trusted(a) ? q.where('organization_id', 'in', orgIds) : q).execute()
    }) ?? []
    const expected = trusted(a) ? orgIds.reduce((s, o) => s + (m.audit.get(o) ?? 0), 0) : auditRowsVisibleTo(m, a)
    assert.equal(rows.length, expected, `${label}: audit rows`)
    if (!trusted(a)) assert.ok(rows.every((x) => x.organization_id === adminOrg(a)), `${label}: audit rows of own organization`)
  },

  organizations: (ctx) => readIds(ctx, 'organizations', ctx.m.orgs),
  profiles: (ctx) => readIds(ctx, 'profiles', ctx.m.users),
  activities: (ctx) => readIds(ctx, 'activities', ctx.m.activities),
  ai_usage_log: (ctx) => readIds(ctx, 'ai_usage_log', ctx.m.usage),

  async user_preferences({ m, a, label, expect }) {
    const rows = await expect('ok', (trx) => trx.selectFrom('user_preferences').select(['user_id', 'theme_preference']).execute()) ?? []
    if (trusted(a)) return
    assert.deepEqual(rows.map((x) => x.user_id), visibleTo(m, a, 'user_preferences'), `${label}: preferences`)
    if (a.kind === 'user') assert.deepEqual(rows.map((x) => x.theme_preference), a.user.theme ? [a.user.theme] : [], `${label}: own theme`)
  },
}

/** A table read by id: service and the system see all of the run's rows (and other runs'), others exactly their share. */
async function readIds(
  { m, a, label, expect }: Ctx, table: 'organizations' | 'profiles' | 'activities' | 'ai_usage_log', all: readonly { id: string }[],
): Promise<void> {
  const rows = await expect('ok', (trx) => trx.selectFrom(table).select('id').execute()) ?? []
  if (trusted(a)) {
    const ids = new Set(rows.map((x) => x.id))
    assert.ok(all.every((x) => ids.has(x.id)), `${label}: ${table} of the run all visible`)
  } else {
    assert.deepEqual(sorted(rows.map((x) => x.id)), sorted(visibleTo(m, a, table)), `${label}: ${table}`)
  }
}

/** Runs one operation against the database and the model, then verifies the step. */
export async function perform<K extends OpKind>(op: Op<K>, m: Model, r: Real): Promise<void> {
  const handler: Handler<K> = HANDLERS[op.kind]
  const a = handler.actor(m, op)
  const label = `${op.kind} by ${actorLabel(a)}`
  const eff = new Effects(m)
  await handler.run({
    m, a, uid: actorId(a), label, eff,
    expect: async (want, fn, note) => expectOutcome(op.kind, note ? `${label} ${note}` : label, want, await attempt(() => session(r.db, a, fn))),
  }, op)
  await verifyStep(m, r, a, label, eff)
}
