// Organizations: creation goes through public.create_organization(), which makes the caller its
// first admin in the same transaction (RLS has no INSERT policy on organizations).
import { type Kysely, sql } from 'kysely'
import { DbError, translated } from '../errors.js'
import type { Database } from '../types.js'

export interface CreateOrganizationInput {
  name: string
  /** Unique across all organizations; a taken slug is a ConflictError naming organizations_slug_key. */
  slug: string
}

/**
 * Creates an organization with the signed-in caller as its admin and returns its id.
 * Run it in asUser(): without a user it is a NotAuthorizedError; a caller who already belongs to an
 * organization gets a ConflictError (profiles.organization_id).
 */
export async function createOrganization(db: Kysely<Database>, input: CreateOrganizationInput): Promise<string> {
  const result = await translated(() =>
    sql<{ id: string | null }>`select public.create_organization(${input.name}, ${input.slug}) as id`.execute(db),
  )
  const id = result.rows[0]?.id
  if (!id) throw new DbError('create_organization returned no id', { table: 'organizations' })
  return id
}
