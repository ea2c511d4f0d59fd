-- 010_activities_metadata_index: the index public.search_activities reads (issue 13). Its own file,
-- because CREATE INDEX CONCURRENTLY cannot run inside a transaction (the Supabase CLI runs each file
-- in one; supabase/cli issue 2898), and CONCURRENTLY because activities is the largest table: a plain
-- CREATE INDEX would block every write to it while the index is built.
--
-- jsonb_path_ops indexes one hash per path and value ("format" = "pdf"), not keys and values apart as
-- the default jsonb_ops of idx_activities_metadata (001) does: a containment search reads one short
-- posting list per pair of the document instead of every row having the key. Partial on live rows,
-- the search's own `deleted_at is null`. The search adds `organization_id = <caller's organization>`
-- as a filter on the few rows the index returns; for a common document the planner walks
-- idx_activities_org_created_live instead (docs/dashboard.md).
set lock_timeout = '5s';
-- The build itself may take minutes on a full table; a timeout would leave an INVALID index behind
-- (then drop it and run this again). No IF NOT EXISTS: an invalid leftover must fail loudly, not pass.
set statement_timeout = '30min';

-- No IF NOT EXISTS on purpose (see above):
-- squawk-ignore prefer-robust-stmts
create index concurrently idx_activities_metadata_live on public.activities
  using gin (metadata jsonb_path_ops) where deleted_at is null;

comment on index public.idx_activities_metadata_live is
  'Live activities by metadata (jsonb_path_ops): the containment search of public.search_activities for a rare document.';
