// Helpers of the offboarding tests: a tenant with rows everywhere, and scans of the catalog for what an
// organization or a person left behind (every table with organization_id, every text and jsonb column).
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { asSystem, asUser, type Database } from '../../lib/db/index.js'
import { createUser } from './invitations.js'

export interface Tenant {
  id: string
  name: string
  adminId: string
  memberId: string
  customerIds: string[]
}

/**
 * An organization with an admin and a member (confirmed addresses key@example.com), `rows` customers
 * each with revenue and an activity, AI usage, a pending and an accepted invitation: rows in every
 * tenant table and in the trail.
 */
export async function createTenant(db: Kysely<Database>, key: string, rows = 3): Promise<Tenant> {
  const name = `Tenant ${key}`
  const adminId = await createUser(db, `admin-${key}@example.com`, { fullName: `Admin ${key} Person` })
  const memberId = await createUser(db, `member-${key}@example.com`, { fullName: `Member ${key} Person` })
  const id = await asUser(db, adminId, async (trx) =>
    (await sql<{ id: string }>`select public.create_organization(${name}, ${`tenant-${key}`}) as id`.execute(trx)).rows[0]?.id ?? '')
  const token = await asUser(db, adminId, async (trx) => {
    await sql`select * from public.invite_member(${`pending-${key}@example.com`}, 'member', '7 days'::interval)`.execute(trx)
    return (await sql<{ token: string }>`select token from public.invite_member(${`member-${key}@example.com`}, 'member', '7 days'::interval)`.execute(trx)).rows[0]?.token ?? ''
  })
  await asUser(db, memberId, (trx) => sql`select public.accept_invitation(${token})`.execute(trx))
  const customerIds = await asUser(db, adminId, async (trx) => {
    const ids: string[] = []
    for (let i = 0; i < rows; i++) {
      const c = await trx.insertInto('customers').values({ organization_id: id, name: `Customer ${key}${i}`, email: `c${i}@${key}.example` })
        .returning('id').executeTakeFirstOrThrow()
      ids.push(c.id)
      await trx.insertInto('revenue').values({ organization_id: id, customer_id: c.id, amount: '10.00', date: '2026-01-15' }).execute()
      await trx.insertInto('activities').values({ organization_id: id, customer_id: c.id, type: 'purchase', metadata: { i } }).execute()
    }
    return ids
  })
  await asSystem(db, (trx) => trx.insertInto('ai_usage_log')
    .values([adminId, memberId].map((user_id) => ({ organization_id: id, user_id, query_id: randomUUID(), model: 'm', date: '2026-01-15' }))).execute())
  return { id, name, adminId, memberId, customerIds }
}

/** Rows per table holding organization_id = org (every table of every user schema, partitions one by one), plus the organization row. Zero counts left out. */
export async function rowsOfOrganization(db: Kysely<Database>, organizationId: string): Promise<Record<string, number>> {
  return asSystem(db, async (trx) => {
    const tables = (await sql<{ name: string }>`
      select format('%I.%I', n.nspname, c.relname) as name
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped
       where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\_%'
       order by 1`.execute(trx)).rows
    const counts: Record<string, number> = {}
    for (const t of [...tables.map((x) => ({ name: x.name, column: 'organization_id' })), { name: 'public.organizations', column: 'id' }]) {
      const n = Number((await sql<{ n: string }>`select count(*) as n from ${sql.raw(t.name)} where ${sql.id(t.column)} = ${organizationId}`.execute(trx)).rows[0]?.n)
      if (n > 0) counts[t.name] = n
    }
    return counts
  })
}

/** Where any of the strings occurs (case-insensitive) in a text, varchar or jsonb column of any user table: "schema.table.column" -> rows. */
export async function personalDataMatches(db: Kysely<Database>, needles: string[]): Promise<Record<string, number>> {
  return asSystem(db, async (trx) => {
    const columns = (await sql<{ tbl: string; col: string }>`
      select format('%I.%I', n.nspname, c.relname) as tbl, a.attname as col
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\_%'
         and a.atttypid in ('text'::regtype, 'varchar'::regtype, 'jsonb'::regtype, 'json'::regtype, 'bpchar'::regtype)
       order by 1, 2`.execute(trx)).rows
    const found: Record<string, number> = {}
    for (const c of columns) {
      const n = Number((await sql<{ n: string }>`
        select count(*) as n from ${sql.raw(c.tbl)} x
         where ${sql.join(needles.map((s) => sql`strpos(lower(x.${sql.id(c.col)}::text), lower(${s})) > 0`), sql` or `)}`.execute(trx)).rows[0]?.n)
      if (n > 0) found[`${c.tbl}.${c.col}`] = n
    }
    return found
  })
}

/** What a user of the organization sees of each tenant table (through RLS). */
export async function visibleCounts(db: Kysely<Database>, userId: string): Promise<Record<string, number>> {
  return asUser(db, userId, async (trx) => {
    const out: Record<string, number> = {}
    for (const t of ['customers', 'revenue', 'activities', 'ai_usage_log', 'audit_logs', 'organizations', 'profiles'] as const) {
      out[t] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`public.${t}`)}`.execute(trx)).rows[0]?.n)
    }
    out.invitations = Number((await sql<{ n: string }>`select count(id) as n from public.invitations`.execute(trx)).rows[0]?.n)
    return out
  })
}
