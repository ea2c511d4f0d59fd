-- 016_customers_top_revenue_index: the index public.dashboard_top_customers reads (issue 20). Its own
-- file, because CREATE INDEX CONCURRENTLY cannot run inside a transaction (the Supabase CLI runs each
-- file in one; supabase/cli issue 2898), and CONCURRENTLY because customers is written all day.
--
-- Without it the top customers of an organization were found by reading every tenant's live customers
-- ordered by total_revenue and filtering by the policy's organization: the tenant-growth benchmark gave
-- 30.5 ms at 20,000 customers for the big tenant and 18-24 ms for a tenant of 200 customers beside it.
-- With (organization_id, total_revenue desc, id), the policy's `organization_id = (select
-- private.current_org_id())` is the index condition and the order is the index's: top_n entries read.
-- Partial on live rows, the policy's own `deleted_at is null`.
set lock_timeout = '5s';
-- The build may take minutes on a full table; a timeout would leave an INVALID index behind (then drop
-- it and run this again). No IF NOT EXISTS: an invalid leftover must fail loudly, not pass.
set statement_timeout = '30min';

-- No IF NOT EXISTS on purpose (see above):
-- squawk-ignore prefer-robust-stmts
create index concurrently idx_customers_org_total_revenue_live on public.customers
  (organization_id, total_revenue desc, id) where deleted_at is null;

comment on index public.idx_customers_org_total_revenue_live is
  'Live customers of an organization by total_revenue (descending), ties by id: public.dashboard_top_customers reads its top_n entries.';
