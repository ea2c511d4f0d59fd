-- 023_ai_usage_by_day_sorted_aggregate: AI usage by day sums its window in day order instead of in a
-- hash table (issue 20).
--
-- private.dashboard_ai_usage_by_day groups up to 366 days of rollup rows (and pending deltas) by day.
-- Which plan the planner picks depends on the statistics of the moment: after a rebuild of a big
-- tenant's rollups it chose a HashAggregate, whose four sums per day (numeric states) take about 300 kB
-- that are allocated, touched and freed on every call; the page faults made a member's 12 months
-- 1.3-1.6 ms against 0.6-0.9 ms for the small tenant, which kept the sorted GroupAggregate (x2.1 on
-- PostgreSQL 15 at 3M rows per table; the issue allows 1.5). The rollup indexes deliver the rows in day
-- order ((organization_id, day, ...) for an admin, (organization_id, user_id, day) for a member), so a
-- sorted aggregate needs at most a sort of the pending deltas and holds one day's sums at a time:
-- x1.04 for a member and 1.5-1.7 ms instead of 1.8-1.9 ms for an admin, same measurement. The other
-- AI usage functions group into a handful of models or at most the organization's users, where the
-- hash table is small and the faster choice (an admin's usage by user took 8x longer sorted), so the
-- setting is this function's only.
set lock_timeout = '5s';
set statement_timeout = '60s';

alter function private.dashboard_ai_usage_by_day(date, date) set enable_hashagg = off;

comment on function private.dashboard_ai_usage_by_day(date, date) is
  'Implementation of public.dashboard_ai_usage_by_day over the rollups + pending deltas: an admin counts the organization (private.admin_org_id(); ai_usage_model_daily), a member their own rows (auth.uid() in private.current_org_id(); ai_usage_user_daily by idx_ai_usage_user_daily_org_user_day, one row a day), as the policy ai_usage_log_select. Sums in day order (enable_hashagg off, 023): one day''s sums in memory at a time, whatever the plan statistics suggest.';
