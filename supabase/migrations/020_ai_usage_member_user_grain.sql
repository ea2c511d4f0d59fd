-- 020_ai_usage_member_user_grain: a member's AI usage by day and by user reads the (organization, day,
-- user) rollup (issue 20).
--
-- 013 answered a member's own usage from private.ai_usage_daily (organization, day, model, user): one
-- row per model the member used each day. Members of a big tenant use every model every day, those of
-- a small one a few, so the same question cost more the bigger the tenant (a member's 12 months by day:
-- 2.63 ms against 1.71 ms, x1.54 at 3M rows per table against 30,000, PostgreSQL 15; the issue allows
-- 1.5). private.ai_usage_user_daily holds the same sums over models, one row per (organization, day,
-- user), and 019 indexed it by (organization_id, user_id, day): a member's window is one row a day for
-- any tenant. Same signatures, results, order, checks and SECURITY DEFINER; only the member's rollup
-- changes (the pending deltas are still ai_usage_daily_deltas, the log all three grains fold from). By
-- model still needs the model, so a member's usage by model keeps reading ai_usage_daily.
-- CREATE OR REPLACE keeps the grants; the comments are restated.
set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.dashboard_ai_usage_by_day(period_start date, period_end date)
  returns table (day date, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable security definer set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_variable
declare
  org uuid := private.admin_org_id();
  everyone boolean := org is not null;
  me uuid := auth.uid();
begin
  perform private.check_period('dashboard_ai_usage_by_day', period_start, period_end, 366);
  if not everyone then
    org := private.current_org_id();
  end if;
  if org is null then
    return;
  end if;
  if everyone then
    return query
      select x.day, sum(x.calls)::bigint, sum(x.input_tokens)::bigint, sum(x.output_tokens)::bigint, sum(x.cost_usd)
        from (select r.day, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_model_daily r
               where r.organization_id = org and r.day >= period_start and r.day < period_end
              union all
              select d.day, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.day >= period_start and d.day < period_end) x
       group by x.day
      having sum(x.calls) > 0
       order by x.day;
  else
    return query
      select x.day, sum(x.calls)::bigint, sum(x.input_tokens)::bigint, sum(x.output_tokens)::bigint, sum(x.cost_usd)
        from (select r.day, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_user_daily r
               where r.organization_id = org and r.user_id = me and r.day >= period_start and r.day < period_end
              union all
              select d.day, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.user_id = me and d.day >= period_start and d.day < period_end) x
       group by x.day
      having sum(x.calls) > 0
       order by x.day;
  end if;
end
$$;

create or replace function private.dashboard_ai_usage_by_user(period_start date, period_end date)
  returns table (user_id uuid, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable security definer set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_variable
declare
  org uuid := private.admin_org_id();
  everyone boolean := org is not null;
  me uuid := auth.uid();
begin
  perform private.check_period('dashboard_ai_usage_by_user', period_start, period_end, 366);
  if not everyone then
    org := private.current_org_id();
  end if;
  if org is null then
    return;
  end if;
  if everyone then
    return query
      select x.user_id, sum(x.calls)::bigint, sum(x.input_tokens)::bigint, sum(x.output_tokens)::bigint, sum(x.cost_usd)
        from (select r.user_id, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_user_daily r
               where r.organization_id = org and r.day >= period_start and r.day < period_end
              union all
              select d.user_id, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.day >= period_start and d.day < period_end) x
       group by x.user_id
      having sum(x.calls) > 0
       order by 5 desc, 1;
  else
    return query
      select x.user_id, sum(x.calls)::bigint, sum(x.input_tokens)::bigint, sum(x.output_tokens)::bigint, sum(x.cost_usd)
        from (select r.user_id, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_user_daily r
               where r.organization_id = org and r.user_id = me and r.day >= period_start and r.day < period_end
              union all
              select d.user_id, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.user_id = me and d.day >= period_start and d.day < period_end) x
       group by x.user_id
      having sum(x.calls) > 0
       order by 5 desc, 1;
  end if;
end
$$;

comment on function private.dashboard_ai_usage_by_day(date, date) is
  'Implementation of public.dashboard_ai_usage_by_day over the rollups + pending deltas: an admin counts the organization (private.admin_org_id(); ai_usage_model_daily), a member their own rows (auth.uid() in private.current_org_id(); ai_usage_user_daily by idx_ai_usage_user_daily_org_user_day, one row a day), as the policy ai_usage_log_select.';
comment on function private.dashboard_ai_usage_by_user(date, date) is
  'Implementation of public.dashboard_ai_usage_by_user over the rollups (ai_usage_user_daily: an admin every user, a member their own row by idx_ai_usage_user_daily_org_user_day); whose usage as private.dashboard_ai_usage_by_day.';
comment on table private.ai_usage_daily is
  'no policies: private rollup of public.ai_usage_log per organization, day, model and user: calls, tokens, cost. Serves a member''s own usage by model (idx_ai_usage_daily_org_user_day). Exact together with private.ai_usage_daily_deltas.';
comment on table private.ai_usage_user_daily is
  'no policies: private rollup of public.ai_usage_log per organization, day and user (ai_usage_daily summed over models): serves an admin''s usage by user and a member''s own usage by day and by user (idx_ai_usage_user_daily_org_user_day). Folded from private.ai_usage_daily_deltas with ai_usage_daily; exact together with them.';
comment on index private.idx_ai_usage_daily_org_user_day is
  'A member''s own AI usage by model over a window, without reading other users'' rows.';
