// The cast of the access-policy tests: two organizations, each with an admin and a member, an
// outsider with no organization, and rows of every table in both organizations.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { type Actor, asSystem, asUser, type Database } from '../../lib/db/index.js'
import type { ActorName } from '../../lib/devtools/access-policy.js'
import type { FreshDbFixture } from './db.js'

/** Inserts an auth user (as GoTrue would); its profile appears through the trigger. */
export async function createAuthUser(db: Kysely<Database>, email: string, fullName?: string): Promise<string> {
  const id = randomUUID()
  await sql`insert into auth.users (id, email, raw_user_meta_data, created_at, updated_at)
            values (${id}, ${email}, ${JSON.stringify({ full_name: fullName ?? email.split('@')[0] })}::jsonb, now(), now())`.execute(db)
  return id
}

export interface Org {
  id: string
  adminId: string
  memberId: string
  customerId: string
  deletedCustomerId: string
  revenueId: string
  activityId: string
  aiUsageId: string
}

export interface Cast {
  outsiderId: string
  a: Org
  b: Org
}

async function makeOrg(db: Kysely<Database>, key: string): Promise<Org> {
  const adminId = await createAuthUser(db, `admin-${key}@example.com`)
  const memberId = await createAuthUser(db, `member-${key}@example.com`)
  const id = await asUser(db, adminId, async (trx) => {
    const r = await sql<{ id: string }>`select public.create_organization(${`Org ${key.toUpperCase()}`}, ${`org-${key}`}) as id`.execute(trx)
    const orgId = r.rows[0]?.id
    if (!orgId) throw new Error('create_organization returned nothing')
    return orgId
  })
  return asSystem(db, async (trx) => {
    await trx.updateTable('profiles').set({ organization_id: id }).where('id', '=', memberId).execute()
    const customer = await trx.insertInto('customers')
      .values({ organization_id: id, name: `Customer ${key}`, email: `c@${key}.example`, industry: 'retail' })
      .returning('id').executeTakeFirstOrThrow()
    const deleted = await trx.insertInto('customers')
      .values({ organization_id: id, name: `Deleted ${key}`, deleted_at: new Date() })
      .returning('id').executeTakeFirstOrThrow()
    const revenue = await trx.insertInto('revenue')
      .values({ organization_id: id, customer_id: customer.id, amount: '100.00', date: '2026-01-15', category: 'subscription' })
      .returning('id').executeTakeFirstOrThrow()
    const activity = await trx.insertInto('activities')
      .values({ organization_id: id, customer_id: customer.id, type: 'purchase', metadata: { plan: 'pro' } })
      .returning('id').executeTakeFirstOrThrow()
    const usage = await trx.insertInto('ai_usage_log')
      .values({ organization_id: id, user_id: memberId, query_id: randomUUID(), model: 'gpt-x', date: '2026-01-15', input_tokens: 10, output_tokens: 20, cost_usd: '0.0100' })
      .returning('id').executeTakeFirstOrThrow()
    await trx.insertInto('ai_usage_log')
      .values({ organization_id: id, user_id: adminId, query_id: randomUUID(), model: 'gpt-x', date: '2026-01-15' })
      .execute()
    await trx.insertInto('user_preferences').values([{ user_id: adminId, theme_preference: 'dark' }, { user_id: memberId }]).execute()
    return {
      id, adminId, memberId,
      customerId: customer.id, deletedCustomerId: deleted.id, revenueId: revenue.id,
      activityId: activity.id, aiUsageId: usage.id,
    }
  })
}

export async function createCast(db: Kysely<Database>): Promise<Cast> {
  const outsiderId = await createAuthUser(db, 'outsider@example.com')
  await asSystem(db, (trx) => trx.insertInto('user_preferences').values({ user_id: outsiderId }).execute())
  return { outsiderId, a: await makeOrg(db, 'a'), b: await makeOrg(db, 'b') }
}

/** The cast's user behind an actor of the access policy; null for anon, service_role and the system. */
export function castUserId(cast: Cast, actor: ActorName): string | null {
  switch (actor) {
    case 'outsider': return cast.outsiderId
    case 'memberA': return cast.a.memberId
    case 'adminA': return cast.a.adminId
    case 'memberB': return cast.b.memberId
    case 'adminB': return cast.b.adminId
    default: return null
  }
}

/** The session actor behind an actor of the access policy. */
export function castActor(cast: Cast, actor: ActorName): Actor {
  if (actor === 'anon' || actor === 'service' || actor === 'system') return { kind: actor }
  const userId = castUserId(cast, actor)
  if (userId === null) throw new Error(`${actor} is not a user of the cast`)
  return { kind: 'user', userId }
}

/** The cast as a fixture: created in the fixture's database once it is open, there while the tests run. */
export function useCast(t: FreshDbFixture): Cast {
  let cast: Cast | undefined
  t.before(async () => {
    cast = await createCast(t.db)
  })
  const made = (): Cast => {
    if (!cast) throw new Error('useCast: the cast exists once the before() hook of its suite ran')
    return cast
  }
  return {
    get outsiderId() { return made().outsiderId },
    get a() { return made().a },
    get b() { return made().b },
  }
}
