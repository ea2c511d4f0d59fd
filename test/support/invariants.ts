// Whole-database invariants shared by the fuzz, load and fault tests: derived customer figures equal
// their live revenue, no row points across tenants, every audit row is filed under its row's
// organization, and a cheap fingerprint of what a step wrote (rows whose xmin is at or after a marker).
import { type Kysely, sql } from 'kysely'
import { type Database, type TableName, TABLES } from '../../lib/db/index.js'

/** Customers (optionally of some organizations only) whose stored totals differ from their live revenue. */
export async function inconsistentCustomers(db: Kysely<Database>, orgIds?: readonly string[]): Promise<string[]> {
  const filter = orgIds === undefined ? sql`true` : sql`c.organization_id = any(${[...orgIds]}::uuid[])`
  const r = await sql<{ id: string }>`
    select c.id::text as id from public.customers c
      left join lateral (
        select coalesce(sum(r.amount), 0) as total, max(r.date) as last
          from public.revenue r where r.customer_id = c.id and r.deleted_at is null) s on true
     where ${filter} and (c.total_revenue <> s.total or c.last_purchase_date is distinct from s.last)`.execute(db)
  return r.rows.map((x) => x.id)
}

/**
 * Rows that cross a tenant boundary, described in words (empty when there are none): revenue or an
 * activity pointing at another organization's customer, and audit rows of a business table or an
 * organization filed under another organization than the row they describe.
 */
export async function crossTenantRows(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ what: string; n: number }>`
    select 'revenue -> customer of another organization' as what, count(*)::int as n
      from public.revenue x join public.customers c on c.id = x.customer_id where c.organization_id <> x.organization_id
    union all
    select 'activity -> customer of another organization', count(*)::int
      from public.activities x join public.customers c on c.id = x.customer_id where c.organization_id <> x.organization_id
    union all
    select 'audit row of a customer under another organization', count(*)::int
      from public.audit_logs a join public.customers x on x.id = a.record_id
     where a.table_name = 'customers' and a.organization_id <> x.organization_id
    union all
    select 'audit row of revenue under another organization', count(*)::int
      from public.audit_logs a join public.revenue x on x.id = a.record_id
     where a.table_name = 'revenue' and a.organization_id <> x.organization_id
    union all
    select 'audit row of an activity under another organization', count(*)::int
      from public.audit_logs a join public.activities x on x.id = a.record_id
     where a.table_name = 'activities' and a.organization_id <> x.organization_id
    union all
    select 'audit row of an organization under another organization', count(*)::int
      from public.audit_logs a where a.table_name = 'organizations' and a.organization_id <> a.record_id
    union all
    select 'audit row of a business table with organization_id unlike its own data', count(*)::int
      from public.audit_logs a
     where a.table_name in ('customers', 'revenue', 'activities')
       and a.organization_id::text <> coalesce(a.new_data ->> 'organization_id', a.old_data ->> 'organization_id')
    union all
    select 'audit row of an invitation under another organization', count(*)::int
      from public.audit_logs a join public.invitations x on x.id = a.record_id
     where a.table_name = 'invitations' and a.organization_id <> x.organization_id
    union all
    select 'audit row holding an invitation token hash', count(*)::int
      from public.audit_logs a
     where a.table_name = 'invitations' and (a.old_data ? 'token_hash' or a.new_data ? 'token_hash')
    union all
    select 'AI usage of an organization that does not exist', count(*)::int
      from public.ai_usage_log u where not exists (select 1 from public.organizations o where o.id = u.organization_id)`.execute(db)
  return r.rows.filter((x) => x.n > 0).map((x) => `${x.n} × ${x.what}`)
}

/** Every table a step may write: the public tables and auth.users. */
export type Tracked = TableName | 'auth_users'
export const TRACKED: readonly Tracked[] = [...TABLES, 'auth_users']

/** The column that names a row, for every tracked table (a new table does not compile until it has one). */
const ROW_KEYS: Record<Tracked, string> = {
  organizations: 'id',
  profiles: 'id',
  customers: 'id',
  revenue: 'id',
  activities: 'id',
  ai_usage_log: 'id',
  user_preferences: 'user_id',
  audit_logs: 'id',
  invitations: 'id',
  auth_users: 'id',
}

export function isTracked(name: string): name is Tracked {
  return TRACKED.some((t) => t === name)
}

/** The table behind a tracked name, schema-qualified. */
function relation(table: Tracked): string {
  return table === 'auth_users' ? 'auth.users' : `public.${table}`
}

export type Counts = Record<Tracked, number>

/**
 * The fingerprint of the whole database: the row count of every table and the next transaction id
 * (the marker). Any committed change after the marker shows as a changed count (a delete) or as a
 * row whose xmin is at or after the marker (an insert or an update writes a new row version with
 * its transaction's id), which writtenSince() lists.
 */
export async function fingerprint(db: Kysely<Database>): Promise<{ marker: string; counts: Counts }> {
  const columns = TRACKED.map((t) => sql`(select count(*)::int from ${sql.table(relation(t))}) as ${sql.ref(t)}`)
  const r = await sql<Counts & { marker: string }>`
    select pg_snapshot_xmax(pg_current_snapshot())::text as marker, ${sql.join(columns)}`.execute(db)
  const row = r.rows[0]
  if (!row) throw new Error('fingerprint query returned no row')
  const { marker, ...counts } = row
  return { marker, counts }
}

export interface WrittenRow {
  table: Tracked
  id: string
  /** For audit rows: table|action|record_id|organization_id|user_id (or 'system'). */
  audit: string | null
}

/** Every row version written by a transaction that committed after `marker` was read. */
export async function writtenSince(db: Kysely<Database>, marker: string): Promise<WrittenRow[]> {
  // Audit rows carry what they say (table|action|record_id|organization_id|user_id or 'system').
  const selects = TRACKED.map((t) => sql`
    select ${t}::text as t, ${sql.ref(ROW_KEYS[t])}::text as id,
           ${t === 'audit_logs' ? sql`concat_ws('|', table_name, action, record_id, organization_id, coalesce(user_id::text, 'system'))` : sql`null::text`} as audit
      from ${sql.table(relation(t))} where xmin::text::bigint >= ${marker}::bigint`)
  const r = await sql<{ t: string; id: string; audit: string | null }>`${sql.join(selects, sql` union all `)}`.execute(db)
  return r.rows.map((row) => {
    if (!isTracked(row.t)) throw new Error(`unexpected table ${row.t}`)
    return { table: row.t, id: row.id, audit: row.audit }
  })
}
