-- 022_drop_ai_usage_daily_org_user_day: 013's (organization_id, user_id, day) index of
-- private.ai_usage_daily, which 021's index covers with the sums besides (same key; issue 20). Nothing
-- else reads it since 020 (a member's usage by day and by user read ai_usage_user_daily), and the fold
-- would keep writing it. Its own file: DROP INDEX CONCURRENTLY cannot run inside a transaction.
set lock_timeout = '5s';
set statement_timeout = '60s';

drop index concurrently if exists private.idx_ai_usage_daily_org_user_day;

comment on table private.ai_usage_daily is
  'no policies: private rollup of public.ai_usage_log per organization, day, model and user: calls, tokens, cost. Serves a member''s own usage by model (idx_ai_usage_daily_org_user_day_sums, index-only). Exact together with private.ai_usage_daily_deltas.';
