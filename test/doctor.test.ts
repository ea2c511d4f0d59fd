// lib/devtools/doctor.ts: nothing to report on the migrated schema; each kind of mistake, made in a
// transaction that is rolled back afterwards, is found and named.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { type DoctorCheck, type Finding, runDoctor, unwrappedHelperCalls } from '../lib/devtools/doctor.js'
import { asSystem, type Database } from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'

const t = useFreshDb()

/** Findings after `ddl` ran, in a transaction rolled back afterwards. */
async function findingsAfter(ddl: string[]): Promise<Finding[]> {
  return asSystem(t.db, async (trx) => {
    for (const statement of ddl) await sql.raw(statement).execute(trx)
    return runDoctor<Database>(trx)
  }, { attempts: 1, rollback: true })
}

function only(findings: Finding[], check: DoctorCheck): Finding[] {
  return findings.filter((f) => f.check === check)
}

describe('doctor', () => {
  it('finds nothing on the migrated schema', async () => {
    assert.deepEqual(await runDoctor(t.db), [])
  })

  it('finds a public table without row level security', async () => {
    const f = await findingsAfter(['create table public.doc_open (id int primary key)'])
    assert.deepEqual(f.map((x) => [x.check, x.object]), [['rls_disabled', 'public.doc_open']])
  })

  it('finds auth.uid() and private helpers called per row, and accepts them wrapped', async () => {
    const f = await findingsAfter([
      'create table public.doc_notes (id uuid primary key, organization_id uuid references public.organizations (id))',
      'create index on public.doc_notes (organization_id)',
      'alter table public.doc_notes enable row level security',
      `create policy doc_notes_select on public.doc_notes for select to authenticated
         using (organization_id = private.current_org_id() or id = auth.uid())`,
      `create policy doc_notes_insert on public.doc_notes for insert to authenticated
         with check (organization_id = (select private.admin_org_id()) and id = (select auth.uid()))`,
      `create policy doc_notes_update on public.doc_notes for update to authenticated
         using (organization_id = (select private.admin_org_id()))
         with check ((current_setting('request.jwt.claims', true))::jsonb ->> 'role' = 'authenticated')`,
    ])
    const initplan = only(f, 'auth_rls_initplan')
    assert.deepEqual(initplan.map((x) => x.object), [
      'policy doc_notes_select on public.doc_notes',
      'policy doc_notes_update on public.doc_notes',
    ])
    assert.match(initplan[0]?.message ?? '', /auth\.uid\(\)/)
    assert.match(initplan[0]?.message ?? '', /private\.current_org_id\(\)/)
    assert.match(initplan[1]?.message ?? '', /current_setting\(\)/)
    assert.deepEqual(f.filter((x) => x.check !== 'auth_rls_initplan'), [])
  })

  it('finds functions without a fixed search_path, SECURITY DEFINER ones anywhere', async () => {
    const f = await findingsAfter([
      "create function public.doc_loose() returns int language sql as 'select 1'",
      "create function private.doc_loose_private() returns int language sql as 'select 1'",
      "create schema doc_other",
      "create function doc_other.doc_definer() returns int language sql security definer as 'select 1'",
      "create function doc_other.doc_invoker() returns int language sql as 'select 1'",
      "create function public.doc_fixed() returns int language sql set search_path = '' as 'select 1'",
    ])
    assert.deepEqual(only(f, 'function_search_path_mutable').map((x) => x.object), [
      'function doc_other.doc_definer()',
      'function private.doc_loose_private()',
      'function public.doc_loose()',
    ])
    assert.match(only(f, 'function_search_path_mutable')[0]?.message ?? '', /SECURITY DEFINER/)
  })

  it('finds a foreign key no index leads with, in order', async () => {
    const f = await findingsAfter([
      `create table public.doc_items (
         id uuid primary key, organization_id uuid not null, customer_id uuid,
         constraint doc_items_org_fkey foreign key (organization_id) references public.organizations (id),
         constraint doc_items_customer_fkey foreign key (customer_id, organization_id)
           references public.customers (id, organization_id))`,
      'alter table public.doc_items enable row level security',
      'create policy doc_items_select on public.doc_items for select to authenticated using (true)',
      // Leads with organization_id: covers doc_items_org_fkey, not (customer_id, organization_id).
      'create index on public.doc_items (organization_id, customer_id)',
    ])
    assert.deepEqual(only(f, 'unindexed_foreign_key').map((x) => x.object), ['foreign key doc_items_customer_fkey on public.doc_items'])
    assert.match(only(f, 'unindexed_foreign_key')[0]?.message ?? '', /\(customer_id, organization_id\)/)
    assert.deepEqual(f.filter((x) => x.check !== 'unindexed_foreign_key'), [])
  })

  it('finds indexes identical apart from their names', async () => {
    const f = await findingsAfter(['create index doc_customers_dup on public.customers (organization_id, created_at)'])
    assert.deepEqual(f.map((x) => [x.check, x.object]), [['duplicate_index', 'public.customers']])
    assert.match(f[0]?.message ?? '', /doc_customers_dup, idx_customers_org_created/)
  })

  it('finds RLS with no policy unless the comment says so', async () => {
    const f = await findingsAfter([
      'create table public.doc_locked (id int primary key)',
      'alter table public.doc_locked enable row level security',
      'create table public.doc_server_only (id int primary key)',
      'alter table public.doc_server_only enable row level security',
      "comment on table public.doc_server_only is 'No policies: only the server (service_role) reads it.'",
    ])
    assert.deepEqual(f.map((x) => [x.check, x.object]), [['rls_enabled_no_policy', 'public.doc_locked']])
  })

  it('finds two permissive policies for one role and command', async () => {
    const f = await findingsAfter([
      'create policy doc_customers_extra on public.customers for all to authenticated using (deleted_at is null)',
    ])
    const multiple = only(f, 'multiple_permissive_policies')
    assert.deepEqual(multiple.map((x) => x.message.split(':')[0]), [
      '2 permissive policies for authenticated DELETE (customers_delete, doc_customers_extra)',
      '2 permissive policies for authenticated INSERT (customers_insert, doc_customers_extra)',
      '2 permissive policies for authenticated SELECT (customers_select, doc_customers_extra)',
      '2 permissive policies for authenticated UPDATE (customers_update, doc_customers_extra)',
    ])
    assert.deepEqual(f.filter((x) => x.check !== 'multiple_permissive_policies'), [])
  })

  it('finds a SECURITY DEFINER function in public that the API roles may call', async () => {
    const f = await findingsAfter([
      "create function public.doc_definer() returns int language sql security definer set search_path = '' as 'select 1'",
      "create function public.doc_definer_closed() returns int language sql security definer set search_path = '' as 'select 1'",
      'revoke execute on function public.doc_definer_closed() from public, anon, authenticated',
    ])
    assert.deepEqual(f.map((x) => [x.check, x.object, /executable by (\w+)/.exec(x.message)?.[1]]), [
      ['security_definer_exposed', 'function public.doc_definer()', 'anon'],
      ['security_definer_exposed', 'function public.doc_definer()', 'authenticated'],
    ])
  })

  it('finds an applied migration edited since, and one with no file', async () => {
    const f = await findingsAfter([
      "update supabase_migrations.schema_migrations set statements = array['select 1'] where version = '001'",
      "insert into supabase_migrations.schema_migrations (version, name, statements) values ('999', 'gone', array['select 1'])",
    ])
    assert.deepEqual(f.map((x) => [x.check, x.object]), [
      ['migration_drift', '001_initial_schema.sql'],
      ['migration_drift', 'migration 999_gone'],
    ])
  })
})

describe('unwrappedHelperCalls', () => {
  it('tests each call on its own, skipping string literals', () => {
    assert.deepEqual(unwrappedHelperCalls('(organization_id = ( SELECT private.current_org_id() AS current_org_id))'), [])
    assert.deepEqual(unwrappedHelperCalls('(id = auth.uid())'), ['auth.uid()'])
    // Splinter's text test passes this one: a wrapped call does not excuse the bare one.
    assert.deepEqual(unwrappedHelperCalls('((id = ( SELECT auth.uid() AS uid)) OR (owner = auth.uid()))'), ['auth.uid()'])
    // Inside a subquery, even as an argument, a call runs once per statement.
    assert.deepEqual(unwrappedHelperCalls('(x = ( SELECT private.f(auth.uid()) AS f))'), [])
    assert.deepEqual(unwrappedHelperCalls("(note = 'auth.uid() (select 1)')"), [])
    assert.deepEqual(unwrappedHelperCalls('(a = auth . jwt ())'), ['auth.jwt()'])
  })
})
