// Small organizations made through the public flows, for tests that change memberships or rows and
// must not disturb the shared cast.
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { asSystem, asUser, createOrganization, type Database } from '../../lib/db/index.js'
import { createAuthUser } from './fixtures.js'

export interface Team {
  orgId: string
  slug: string
  adminId: string
  memberIds: string[]
  /** The first member (every team has at least one). */
  memberId: string
}

/** An organization created by its admin through createOrganization, with `members` members added by the system. */
export async function createTeam(db: Kysely<Database>, key: string, members = 1): Promise<Team> {
  const tag = `${key}-${randomUUID().slice(0, 8)}`
  const adminId = await createAuthUser(db, `admin-${tag}@example.com`)
  const slug = `team-${tag}`
  const orgId = await asUser(db, adminId, (trx) => createOrganization(trx, { name: `Team ${key}`, slug }))
  const memberIds: string[] = []
  for (let i = 0; i < Math.max(1, members); i++) {
    memberIds.push(await createAuthUser(db, `member${i}-${tag}@example.com`))
  }
  await asSystem(db, (trx) =>
    trx.updateTable('profiles').set({ organization_id: orgId }).where('id', 'in', memberIds).execute(),
  )
  const [memberId = ''] = memberIds
  return { orgId, slug, adminId, memberIds, memberId }
}
