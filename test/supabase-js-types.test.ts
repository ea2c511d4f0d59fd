// supabase-js against the generated supabase/database.types.ts, at compile time: `npm test` runs
// `tsc --noEmit` first, so a call that stops type-checking (a renamed column, a changed RPC argument)
// fails the run, and every `@ts-expect-error` below must still be an error. No server is needed: the
// functions are type-checked, never called (supabase-js on Node 20 even refuses to construct a client
// without a WebSocket implementation: docs/nextjs.md).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createServerClient } from '@supabase/ssr'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import type { Database, Tables, TablesInsert } from '../supabase/database.types.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** Reads and writes as an app would; returns the data so its types can be checked below. */
async function queries(supabase: SupabaseClient<Database>) {
  const customers = await supabase.from('customers').select('id, name').eq('status', 'active').order('created_at', { ascending: false }).limit(50)
  const withOrg = await supabase.from('customers').select('id, organizations(name, slug)').limit(1).single()
  const orgId = await supabase.rpc('create_organization', { name: 'Acme', slug: 'acme' })
  const trash = await supabase.rpc('deleted_customers')
  const restored = await supabase.rpc('restore', { table_name: 'customers', id: '00000000-0000-0000-0000-000000000000' })
  const removed = await supabase.rpc('remove_member', { user_id: '00000000-0000-0000-0000-000000000000' })
  const inserted = await supabase.from('customers').insert({ organization_id: 'o', name: 'New customer' }).select('id').single()
  // The team functions (migration 007) and the dashboard's (009).
  const invited = await supabase.rpc('invite_member', { email: 'new@example.com', role: 'member' })
  const accepted = await supabase.rpc('accept_invitation', { token: 'from-the-email' })
  const revenue = await supabase.rpc('dashboard_monthly_revenue', { period_start: '2026-01-01', period_end: '2026-06-30' })
  const found = await supabase.rpc('search_activities', { document: { plan: 'pro' }, page_size: 20 })
  return { customers, withOrg, orgId, trash, restored, removed, inserted, invited, accepted, revenue, found }
}

type Results = Awaited<ReturnType<typeof queries>>

const typeChecks: [
  // select('id, name') gives exactly those columns, non-null as in the table.
  Equal<NonNullable<Results['customers']['data']>, { id: string; name: string }[]>,
  // An embedded many-to-one relation comes back as one object, thanks to the Relationships metadata.
  Equal<NonNullable<Results['withOrg']['data']>['organizations'], { name: string; slug: string }>,
  Equal<Results['orgId']['data'], string | null>,
  Equal<NonNullable<Results['trash']['data']>[number], Tables<'customers'>>,
  Equal<Results['restored']['data'], boolean | null>,
  Equal<NonNullable<Results['inserted']['data']>, { id: string }>,
  Equal<NonNullable<Results['invited']['data']>[number], { expires_at: string; invitation_id: string; token: string }>,
  Equal<Results['accepted']['data'], string | null>,
  Equal<NonNullable<Results['revenue']['data']>[number], { invoices: number; month: string; total: number }>,
  Equal<NonNullable<Results['found']['data']>[number], Tables<'activities'>>,
  // Row, Insert: numeric is a number to supabase-js (JSON), dates are strings; defaults are optional.
  Equal<Tables<'customers'>['total_revenue'], number>,
  Equal<Tables<'customers'>['deleted_at'], string | null>,
  Equal<TablesInsert<'customers'>['status'], string | undefined>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true]

/** Calls that must not compile. */
async function mistakes(supabase: SupabaseClient<Database>) {
  // @ts-expect-error no such table
  await supabase.from('customer').select('id')
  // @ts-expect-error no such function
  await supabase.rpc('create_org', { name: 'Acme', slug: 'acme' })
  // @ts-expect-error create_organization needs a slug
  await supabase.rpc('create_organization', { name: 'Acme' })
  // @ts-expect-error name is text, not a number
  await supabase.rpc('create_organization', { name: 42, slug: 'acme' })
  // @ts-expect-error restore takes the table's name and the row's id
  await supabase.rpc('restore', { table: 'customers', id: 'x' })
  // @ts-expect-error invite_member needs the invitee's email
  await supabase.rpc('invite_member', { role: 'member' })
  // @ts-expect-error the period is two dates, not one
  await supabase.rpc('dashboard_monthly_revenue', { period_start: '2026-01-01' })
  // @ts-expect-error page_size is a number
  await supabase.rpc('search_activities', { document: { plan: 'pro' }, page_size: '20' })
  // @ts-expect-error organization_id is required on insert
  await supabase.from('customers').insert({ name: 'No organization' })
  // @ts-expect-error name is text
  await supabase.from('customers').insert({ organization_id: 'o', name: 7 })
  // @ts-expect-error no column "nmae"
  await supabase.from('customers').update({ nmae: 'typo' }).eq('id', 'x')
  // @ts-expect-error eq on a column the table does not have
  await supabase.from('customers').select('id').eq('nope', 1)
  // A column in a select string that does not exist is not a compile error, but its rows are an error type.
  const typo = await supabase.from('customers').select('id, nmae')
  const row = typo.data?.[0]
  // @ts-expect-error the row is a SelectQueryError, not a customer
  const id: string | undefined = row?.id
  return id
}

/** The clients the app makes (docs/nextjs.md), typed with the same Database. */
function clients(url: string, anonKey: string) {
  const browserLike = createClient<Database>(url, anonKey)
  const server = createServerClient<Database>(url, anonKey, { cookies: { getAll: () => [], setAll: () => {} } })
  return [browserLike, server] as const
}

test('supabase-js calls type-check against supabase/database.types.ts (checked by tsc; nothing runs)', () => {
  assert.ok(typeChecks.every(Boolean))
  assert.equal(typeof queries, 'function')
  assert.equal(typeof mistakes, 'function')
  assert.equal(typeof clients, 'function')
})
