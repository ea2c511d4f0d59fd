-- 005_dashboard_indexes: keep tenant isolation free for the dashboard at a million rows and more
-- (issue 6; measured by `npm run bench`, results in docs/benchmarks.md).
--
-- Under a policy the tenant id is an InitPlan, `organization_id = (select private.current_org_id())`,
-- whose value the planner cannot see: it plans every tenant as an average one (rows / organizations).
-- For the largest tenant that is 100x too few rows, and where two plans compete the cheap-looking one
-- loses (a plain index scan over tens of thousands of rows in index order instead of a bitmap scan).
-- The indexes below give those queries a plan that is the best one whatever the tenant's size, so the
-- planner picks the same plan with the id hidden (a member under RLS) as with it written out (by hand):
-- covering, partial on `deleted_at is null` (the policies' own condition), read by index-only scans.
-- The policies themselves do not change.

-- ============================================================================
-- INDEXES
-- ============================================================================
-- Monthly revenue over a date range: organization, date and amount without touching the table.
create index idx_revenue_org_date_live on public.revenue (organization_id, date) include (amount)
  where deleted_at is null;

-- Activities by type over a time range, and the newest activities first (the metadata search reads
-- it backwards, newest first, until it has its page).
create index idx_activities_org_created_live on public.activities (organization_id, created_at) include (type)
  where deleted_at is null;

comment on index public.idx_revenue_org_date_live is
  'Live revenue of an organization by date, covering amount: monthly totals by index-only scan, the same plan under RLS as by hand.';
comment on index public.idx_activities_org_created_live is
  'Live activities of an organization by time, covering type: counts by type over a period by index-only scan, and newest-first pages.';

-- ============================================================================
-- HELPERS: the policies' membership lookups in PL/pgSQL
-- ============================================================================
-- Same signature, result, volatility, SECURITY DEFINER and search_path as in 001; only the language
-- changes. A SQL function that cannot be inlined (SECURITY DEFINER) has its body parsed and planned
-- again on every statement by PostgreSQL before 18 (Supabase runs 15 and 17): about 0.06 ms per query
-- on PostgreSQL 15 here, more than the rest of RLS costs. PL/pgSQL caches the plan of its query for the
-- session. CREATE OR REPLACE keeps the grants and comments made earlier.
create or replace function private.current_org_id() returns uuid
  language plpgsql stable security definer set search_path = ''
  as $$
begin
  return (select p.organization_id from public.profiles p where p.id = auth.uid());
end
$$;

create or replace function private.admin_org_id() returns uuid
  language plpgsql stable security definer set search_path = ''
  as $$
begin
  return (select p.organization_id from public.profiles p where p.id = auth.uid() and p.role = 'admin');
end
$$;

comment on function private.current_org_id() is
  'Organization of the signed-in user (auth.uid()), or NULL. SECURITY DEFINER so policies on profiles do not recurse; call as (select private.current_org_id()) in policies: evaluated once per statement. PL/pgSQL so that its plan is cached per session.';
comment on function private.admin_org_id() is
  'Organization the signed-in user is an admin of, or NULL (also for members). SECURITY DEFINER; call as (select private.admin_org_id()) in policies. PL/pgSQL so that its plan is cached per session.';
