// Membership: roles change with a plain UPDATE that RLS and private.profiles_guard() judge; removal
// goes through public.remove_member() (the removed row no longer passes the SELECT policy).
import { type Kysely, sql } from 'kysely'
import { NotAuthorizedError, translated } from '../errors.js'
import type { Database, ProfileRole } from '../types.js'

/**
 * Sets a member's role. Only an admin of the member's organization may (trusted roles always may).
 * A profile the caller may not change, or that does not exist, is a NotAuthorizedError either way,
 * so the answer reveals nothing about other tenants; demoting the last admin is an InvalidInputError
 * (constraint organization_keeps_an_admin).
 */
export async function changeRole(db: Kysely<Database>, userId: string, role: ProfileRole): Promise<void> {
  const result = await translated(() =>
    db.updateTable('profiles').set({ role }).where('id', '=', userId).executeTakeFirst(),
  )
  if (result.numUpdatedRows !== 1n) {
    throw new NotAuthorizedError(`not authorized: no profile ${userId} whose role the caller may change`, {
      table: 'profiles',
      column: 'role',
    })
  }
}

/**
 * Removes a member (or the admin themselves) from the caller's organization; the profile stays, as
 * an outsider with role member. Only an admin of that organization may: anyone else, and any unknown
 * or foreign user, gets a NotAuthorizedError. Removing the last admin is an InvalidInputError.
 */
export async function removeMember(db: Kysely<Database>, userId: string): Promise<void> {
  await translated(() => sql`select public.remove_member(${userId})`.execute(db))
}
