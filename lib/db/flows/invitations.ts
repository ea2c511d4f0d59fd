// Invitations and leaving (issue 12): typed calls of the SQL API of 007_invitations.sql. Run each in
// asUser() as the user who acts: the database decides who may, and audits the real actor. Rows come
// back with the SQL functions' own column names, as supabase.rpc() returns them.
import { type Kysely, sql } from 'kysely'
import { DbError, translated } from '../errors.js'
import type { Database, Invitation, InvitationRole, InvitationStatus } from '../types.js'

export interface InviteMemberInput {
  /** Trimmed and lower-cased by the database; refused unless it looks like one address (at most 320 characters). */
  email: string
  /** Default 'member'. */
  role?: InvitationRole
  /** A PostgreSQL interval, 1 hour to 30 days ('7 days', '12 hours', '2 weeks'); default 7 days. */
  validFor?: string
}

/** What invite_member() returns: the token exists only here; the database keeps its hash. */
export interface CreatedInvitation {
  invitation_id: string
  /** 43 URL-safe characters (256 bits); send it to the invitee, e.g. in a link. */
  token: string
  expires_at: Date
}

/**
 * An admin invites an address into their own organization; replaces a pending invitation to the same
 * address (whose token stops working). NotAuthorizedError unless the caller is an admin;
 * InvalidInputError for an implausible address, another role or a validity outside 1 hour - 30 days;
 * ConflictError when the address is already a member's, or the organization has 100 pending invitations.
 */
export async function inviteMember(db: Kysely<Database>, input: InviteMemberInput): Promise<CreatedInvitation> {
  const r = await translated(() =>
    sql<CreatedInvitation>`select invitation_id, token, expires_at
                             from public.invite_member(${input.email}, ${input.role ?? 'member'}, ${input.validFor ?? '7 days'}::interval)`.execute(db),
  )
  const row = r.rows[0]
  if (!row) throw new DbError('invite_member returned no invitation', { table: 'invitations' })
  return row
}

/**
 * The signed-in caller joins the organization of the invitation with this token, in its role; returns
 * the organization's id. NotFoundError for an unknown token (nothing else is said about it);
 * NotAuthorizedError when the caller's confirmed address is not the invited one; ConflictError when it
 * was accepted, declined, revoked or replaced, has expired, or the caller belongs to an organization.
 */
export async function acceptInvitation(db: Kysely<Database>, token: string): Promise<string> {
  const r = await translated(() => sql<{ organization_id: string | null }>`select public.accept_invitation(${token}) as organization_id`.execute(db))
  const id = r.rows[0]?.organization_id
  if (!id) throw new DbError('accept_invitation returned no organization', { table: 'invitations' })
  return id
}

/**
 * An admin of the invitation's organization revokes a pending invitation. NotAuthorizedError for
 * anyone else, and for an unknown id (the same answer); ConflictError when it has already ended.
 */
export async function revokeInvitation(db: Kysely<Database>, invitationId: string): Promise<void> {
  await translated(() => sql`select public.revoke_invitation(${invitationId}::uuid)`.execute(db))
}

/**
 * The invitee (signed in with the confirmed address invited) declines a pending invitation.
 * NotAuthorizedError for anyone else and for an unknown id; ConflictError when it ended or expired.
 */
export async function declineInvitation(db: Kysely<Database>, invitationId: string): Promise<void> {
  await translated(() => sql`select public.decline_invitation(${invitationId}::uuid)`.execute(db))
}

/** A row of my_invitations(): an invitation waiting for the caller. No token: that went by email. */
export interface MyInvitation {
  invitation_id: string
  organization_id: string
  organization_name: string
  role: InvitationRole
  /** The inviting admin's name (or address); NULL once that user is deleted. */
  invited_by_name: string | null
  expires_at: Date
}

/** Pending, unexpired invitations addressed to the caller's confirmed email, newest first. */
export async function listMyInvitations(db: Kysely<Database>): Promise<MyInvitation[]> {
  const r = await translated(() =>
    sql<MyInvitation>`select invitation_id, organization_id, organization_name, role, invited_by_name, expires_at
                        from public.my_invitations()`.execute(db),
  )
  return r.rows
}

/** An invitation as its organization's admins see it: every column but the token hash. */
export type OrganizationInvitation = Omit<Invitation, 'token_hash'> & {
  /** status, except that a pending invitation past expires_at is 'expired'. */
  state: InvitationStatus | 'expired'
}

export interface ListOrganizationInvitationsOptions {
  /** Only pending, unexpired invitations (default: all, newest first). */
  pendingOnly?: boolean
}

/**
 * The caller's organization's invitations, newest first; empty for anyone but its admins (row level
 * security). The token hash is not selected: no API role may read it.
 */
export async function listOrganizationInvitations(
  db: Kysely<Database>,
  options: ListOrganizationInvitationsOptions = {},
): Promise<OrganizationInvitation[]> {
  const rows = await translated(() => {
    let q = db
      .selectFrom('invitations')
      .select([
        'id', 'organization_id', 'email', 'role', 'invited_by', 'status', 'accepted_by', 'created_at', 'expires_at', 'ended_at',
        sql<Date>`now()`.as('now'),
      ])
      .orderBy('created_at', 'desc')
      .orderBy('id')
    if (options.pendingOnly) q = q.where('status', '=', 'pending').where('expires_at', '>', sql<Date>`now()`)
    return q.execute()
  })
  // Expiry judged by the database's clock, as accept_invitation() judges it.
  return rows.map(({ now, ...row }) => ({
    ...row,
    state: row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status,
  }))
}

/**
 * The signed-in caller leaves their organization and becomes an outsider (audited as theirs).
 * InvalidInputError (constraint organization_keeps_an_admin) for its last admin; ConflictError for a
 * caller in no organization.
 */
export async function leaveOrganization(db: Kysely<Database>): Promise<void> {
  await translated(() => sql`select public.leave_organization()`.execute(db))
}
