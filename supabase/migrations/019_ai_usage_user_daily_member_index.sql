-- 019_ai_usage_user_daily_member_index: the index a member's AI usage by day and by user reads (issue
-- 20, read by 020's functions). Its own file, because CREATE INDEX CONCURRENTLY cannot run inside a
-- transaction (the Supabase CLI runs each file in one; supabase/cli issue 2898), and CONCURRENTLY
-- because the fold writes private.ai_usage_user_daily all day.
--
-- A member's AI usage by day read private.ai_usage_daily (organization, day, model, user) by
-- idx_ai_usage_daily_org_user_day: one row per model the member used that day. The big tenant's
-- members use every model every day, a small tenant's a few, so the answer's cost grew with the
-- tenant (x1.54 for a member's 12 months at 3M rows per table against 30,000, over the issue's 1.5).
-- private.ai_usage_user_daily already holds one row per (organization, day, user), the sum over
-- models; with (organization_id, user_id, day) a member's window is one range of one row a day,
-- whatever the tenant's size. No value column in the index: the fold's updates stay HOT.
set lock_timeout = '5s';
-- The build may take minutes on a full rollup; a timeout would leave an INVALID index behind (then drop
-- it and run this again). No IF NOT EXISTS: an invalid leftover must fail loudly, not pass.
set statement_timeout = '30min';

-- No IF NOT EXISTS on purpose (see above):
-- squawk-ignore prefer-robust-stmts
create index concurrently idx_ai_usage_user_daily_org_user_day on private.ai_usage_user_daily
  (organization_id, user_id, day);

comment on index private.idx_ai_usage_user_daily_org_user_day is
  'One user''s AI usage rollup rows of an organization by day: a member''s AI usage by day and by user (private.dashboard_ai_usage_by_day, _by_user) read one row a day.';
