-- 021_ai_usage_daily_member_model_index: the index a member's AI usage by model reads, with the sums in
-- it (issue 20). Its own file, because CREATE INDEX CONCURRENTLY cannot run inside a transaction (the
-- Supabase CLI runs each file in one; supabase/cli issue 2898), and CONCURRENTLY because the fold writes
-- private.ai_usage_daily all day. 022 drops the index it replaces.
--
-- A member's usage by model is the one AI usage question whose rows are the answer's own keys: one
-- (day, model) row of private.ai_usage_daily per model the member used that day. By 013's
-- idx_ai_usage_daily_org_user_day each of them cost a heap fetch on a page of its own (the fold writes
-- a day's rows of every user together), so the answer's cost followed the number of (day, model) keys:
-- 12 months at 3M rows per table (every model every day) took x1.46-1.56 the time at 30,000 (about
-- 3.3 models a day), over the issue's 1.5. With the sums in the index the window is one range of a
-- few leaf pages, read index-only (the rollup's pages are all-visible but for days the fold updated
-- since the last vacuum).
--
-- The price: an update of a rollup row now changes an indexed value, so the fold's updates of
-- ai_usage_daily are no longer HOT (one entry in this index and the primary key per rollup row the
-- fold changes, not per delta: 3,240 rows for 500,000 hot deltas in the benchmark).
set lock_timeout = '5s';
-- The build may take minutes on a full rollup; a timeout would leave an INVALID index behind (then drop
-- it and run this again). No IF NOT EXISTS: an invalid leftover must fail loudly, not pass.
set statement_timeout = '30min';

-- No IF NOT EXISTS on purpose (see above):
-- squawk-ignore prefer-robust-stmts
create index concurrently idx_ai_usage_daily_org_user_day_sums on private.ai_usage_daily
  (organization_id, user_id, day) include (model, calls, input_tokens, output_tokens, cost_usd);

comment on index private.idx_ai_usage_daily_org_user_day_sums is
  'One user''s AI usage rollup rows of an organization by day, with model and sums: a member''s AI usage by model (private.dashboard_ai_usage_by_model) reads its window index-only.';
