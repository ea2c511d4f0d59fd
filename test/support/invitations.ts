// Helpers of the invitation tests: users with a confirmed (or unconfirmed) address, and the API
// functions called as a given user through plain SQL, as supabase-js's rpc() would.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { asSystem, asUser, type Database } from '../../lib/db/index.js'

/** An auth user as GoTrue leaves one after sign-up; confirmed unless told otherwise. */
export async function createUser(
  db: Kysely<Database>,
  email: string,
  options: { confirmed?: boolean; fullName?: string } = {},
): Promise<string> {
  const id = randomUUID()
  const confirmed = options.confirmed ?? true
  await asSystem(db, (trx) =>
    sql`insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data, created_at, updated_at)
        values (${id}, ${email}, ${confirmed ? sql`now()` : sql`null`},
                ${JSON.stringify({ full_name: options.fullName ?? email.split('@')[0] })}::jsonb, now(), now())`.execute(trx))
  return id
}

/** Marks every auth user's address confirmed (the shared fixtures make unconfirmed users). */
export async function confirmAll(db: Kysely<Database>): Promise<void> {
  await asSystem(db, (trx) => sql`update auth.users set email_confirmed_at = now() where email_confirmed_at is null`.execute(trx))
}

export interface Invited {
  invitation_id: string
  token: string
  expires_at: Date
}

export function invite(db: Kysely<Database>, adminId: string, email: string, role?: string, validFor?: string): Promise<Invited> {
  return asUser(db, adminId, async (trx) => {
    const r = role === undefined
      ? await sql<Invited>`select * from public.invite_member(${email})`.execute(trx)
      : validFor === undefined
        ? await sql<Invited>`select * from public.invite_member(${email}, ${role})`.execute(trx)
        : await sql<Invited>`select * from public.invite_member(${email}, ${role}, ${validFor}::interval)`.execute(trx)
    const row = r.rows[0]
    if (!row || r.rows.length !== 1) throw new Error('invite_member returned no row')
    return row
  })
}

export function accept(db: Kysely<Database>, userId: string, token: string | null): Promise<string> {
  return asUser(db, userId, async (trx) => {
    const r = await sql<{ org: string }>`select public.accept_invitation(${token}) as org`.execute(trx)
    return r.rows[0]?.org ?? ''
  })
}

export function revoke(db: Kysely<Database>, userId: string, invitationId: string): Promise<void> {
  return asUser(db, userId, async (trx) => {
    await sql`select public.revoke_invitation(${invitationId})`.execute(trx)
  })
}

export function decline(db: Kysely<Database>, userId: string, invitationId: string): Promise<void> {
  return asUser(db, userId, async (trx) => {
    await sql`select public.decline_invitation(${invitationId})`.execute(trx)
  })
}

export function leave(db: Kysely<Database>, userId: string): Promise<void> {
  return asUser(db, userId, async (trx) => {
    await sql`select public.leave_organization()`.execute(trx)
  })
}

export interface MyInvitation {
  invitation_id: string
  organization_id: string
  organization_name: string
  role: string
  invited_by_name: string | null
  expires_at: Date
}

export function myInvitations(db: Kysely<Database>, userId: string): Promise<MyInvitation[]> {
  return asUser(db, userId, async (trx) => (await sql<MyInvitation>`select * from public.my_invitations()`.execute(trx)).rows)
}

export interface InvitationRow {
  id: string
  organization_id: string
  email: string
  role: string
  token_hash: Buffer
  invited_by: string | null
  status: string
  accepted_by: string | null
  created_at: Date
  expires_at: Date
  ended_at: Date | null
}

/** Every invitation, as the system sees it. */
export function allInvitations(db: Kysely<Database>): Promise<InvitationRow[]> {
  return asSystem(db, async (trx) => (await sql<InvitationRow>`select * from public.invitations order by created_at, id`.execute(trx)).rows)
}

export async function invitation(db: Kysely<Database>, id: string): Promise<InvitationRow> {
  const row = (await allInvitations(db)).find((i) => i.id === id)
  if (!row) throw new Error(`no invitation ${id}`)
  return row
}

export interface AuditRow {
  organization_id: string
  user_id: string | null
  action: string
  table_name: string
  record_id: string | null
  old_data: Record<string, unknown> | null
  new_data: Record<string, unknown> | null
}

/** Audit rows written after the given count of rows (in order of writing). */
export async function auditSince(db: Kysely<Database>, count: number): Promise<AuditRow[]> {
  return asSystem(db, async (trx) =>
    (await sql<AuditRow>`select organization_id, user_id, action, table_name, record_id, old_data, new_data
                          from public.audit_logs order by created_at, id offset ${count}`.execute(trx)).rows)
}

export async function auditCount(db: Kysely<Database>): Promise<number> {
  return asSystem(db, async (trx) => Number((await sql<{ n: string }>`select count(*) as n from public.audit_logs`.execute(trx)).rows[0]?.n))
}

/** Makes an invitation expired as if time had passed: both timestamps moved back (the system may). */
export async function expire(db: Kysely<Database>, invitationId: string): Promise<void> {
  await asSystem(db, (trx) =>
    sql`update public.invitations set created_at = created_at - interval '40 days', expires_at = now() - interval '1 second'
         where id = ${invitationId}`.execute(trx))
}

