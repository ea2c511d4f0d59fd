-- 009_dashboard_api: the dashboard's questions as SQL functions (issue 13), so that a supabase-js
-- application calls supabase.rpc('dashboard_monthly_revenue', {...}) and gets what the typed library
-- (lib/db/dashboard, which calls these same functions) returns. One function per question.
--
-- Who sees what does not change. Where row level security already gives the plan written by hand
-- (the aggregates over a range, read by the covering indexes of 005, and AI usage, whose policy says
-- whose rows count), the function is SECURITY INVOKER: the caller's policies decide, exactly as for a
-- plain select. Three questions are answered by SECURITY DEFINER code in private behind a SECURITY
-- INVOKER wrapper in public (the project's pattern), which applies the select policies' own condition
-- itself, `organization_id = private.current_org_id() and deleted_at is null`:
--   - the metadata search (public.search_activities): jsonb @> is not leakproof, so under RLS
--     PostgreSQL filters it row by row after the policy and no index on metadata can serve a member
--     (docs/benchmarks.md); 010 builds the index it reads;
--   - the page of customers: its plan depends on the tenant's size, which a policy hides;
--   - the organization summary: three tables, one membership lookup instead of one per table.
-- test/dashboard.test.ts shows each returns what a plain select returns the same caller.
--
-- Arguments are checked with errors a caller can act on (SQLSTATE 22023, invalid_parameter_value):
-- periods of at most a year (three for monthly revenue), page sizes 1 to 500, search documents that
-- are non-empty JSON objects of at most 4 KiB.
set lock_timeout = '5s';
set statement_timeout = '60s';

-- ============================================================================
-- FUNCTIONS: one per dashboard question
-- ============================================================================
-- Monthly revenue: live revenue of the caller's organization by calendar month, over
-- [period_start, period_end). RLS alone: idx_revenue_org_date_live (005) is read by an index-only scan
-- whatever the tenant's size.
create function public.dashboard_monthly_revenue(period_start date, period_end date)
  returns table (month date, total numeric, invoices bigint)
  language plpgsql stable set search_path = ''
  as $$
begin
  if period_start is null or period_end is null then
    raise exception 'dashboard_monthly_revenue: period_start and period_end are required' using errcode = '22023';
  end if;
  if period_end <= period_start then
    raise exception 'dashboard_monthly_revenue: period_end (%) must be after period_start (%)', period_end, period_start
      using errcode = '22023', hint = 'The period is [period_start, period_end): period_end is the first day after it.';
  end if;
  if period_end::timestamptz - period_start::timestamptz > interval '1096 days' then
    raise exception 'dashboard_monthly_revenue: the period may be at most 1096 days long' using errcode = '22023';
  end if;
  return query
    select date_trunc('month', r.date::timestamp)::date, sum(r.amount), count(*)
      from public.revenue r
     where r.date >= period_start and r.date < period_end
     group by 1
     order by 1;
end
$$;

-- Top customers by total revenue (the derived customers.total_revenue), ties by id.
create function public.dashboard_top_customers(top_n integer default 10)
  returns table (id uuid, name text, company text, status text, total_revenue numeric, last_purchase_date date)
  language plpgsql stable set search_path = ''
  as $$
begin
  if top_n is null or top_n < 1 or top_n > 500 then
    raise exception 'dashboard_top_customers: top_n must be from 1 to 500, not %', coalesce(top_n::text, 'null')
      using errcode = '22023';
  end if;
  return query
    select c.id, c.name, c.company, c.status, c.total_revenue, c.last_purchase_date
      from public.customers c
     order by c.total_revenue desc, c.id
     limit top_n;
end
$$;

-- A page of customers, newest first (created_at desc, id desc), after a keyset cursor (the last row
-- of the previous page), with optional filters. Stable under inserts: a new customer lands before the
-- first page, never inside a later one.
--
-- SECURITY DEFINER (in private, behind the SECURITY INVOKER public.dashboard_customers_page): a page
-- has two plans, walk the organization's newest rows and stop after page_size, or read and sort the
-- whole tenant, and the right one depends on the tenant's size, which the planner cannot see behind a
-- policy's InitPlan. This function applies the customers_select policy's condition itself
-- (organization_id = private.current_org_id(), deleted_at is null) and is planned for each call with
-- its values (force_custom_plan), as the same query written by hand is.
create function private.dashboard_customers_page(
  page_size integer, after_created_at timestamptz, after_id uuid, status text, industry text, name_prefix text
) returns setof public.customers
  language plpgsql stable security definer
  set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_variable
declare
  org uuid;
begin
  if page_size is null or page_size < 1 or page_size > 500 then
    raise exception 'dashboard_customers_page: page_size must be from 1 to 500, not %', coalesce(page_size::text, 'null')
      using errcode = '22023';
  end if;
  if (after_created_at is null) <> (after_id is null) then
    raise exception 'dashboard_customers_page: after_created_at and after_id go together (the last row of the previous page)'
      using errcode = '22023';
  end if;
  if status is not null and status not in ('active', 'inactive', 'churned') then
    raise exception 'dashboard_customers_page: status must be active, inactive or churned, not %', left(status, 40)
      using errcode = '22023';
  end if;
  if char_length(industry) > 100 or char_length(name_prefix) > 200 then
    raise exception 'dashboard_customers_page: industry is at most 100 characters, name_prefix at most 200'
      using errcode = '22023';
  end if;
  org := private.current_org_id();
  if org is null then
    return; -- anon, an outsider, a removed member: no customers (as a plain select)
  end if;
  return query
    select c.*
      from public.customers c
     where c.organization_id = org
       and c.deleted_at is null
       and (after_created_at is null or (c.created_at, c.id) < (after_created_at, after_id))
       and (status is null or c.status = status)
       and (industry is null or c.industry = industry)
       and (name_prefix is null or starts_with(lower(c.name), lower(name_prefix)))
     order by c.created_at desc, c.id desc
     limit page_size;
end
$$;

create function public.dashboard_customers_page(
  page_size integer default 50,
  after_created_at timestamptz default null,
  after_id uuid default null,
  status text default null,
  industry text default null,
  name_prefix text default null
) returns setof public.customers
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_customers_page(page_size, after_created_at, after_id, status, industry, name_prefix);
end
$$;

-- Activities by type over [since, until), most frequent first. RLS alone: idx_activities_org_created_live
-- (005) covers type.
create function public.dashboard_activities_by_type(since timestamptz, until timestamptz)
  returns table (type text, activities bigint)
  language plpgsql stable set search_path = ''
  as $$
begin
  if since is null or until is null then
    raise exception 'dashboard_activities_by_type: since and until are required' using errcode = '22023';
  end if;
  if until <= since then
    raise exception 'dashboard_activities_by_type: until (%) must be after since (%)', until, since
      using errcode = '22023', hint = 'The period is [since, until): until is the first day after it.';
  end if;
  if until::timestamptz - since::timestamptz > interval '366 days' then
    raise exception 'dashboard_activities_by_type: the period may be at most 366 days long' using errcode = '22023';
  end if;
  return query
    select a.type, count(*)
      from public.activities a
     where a.created_at >= since and a.created_at < until
     group by a.type
     order by 2 desc, 1;
end
$$;

-- AI usage over [period_start, period_end) by day, by model and by user. The policy on ai_usage_log
-- decides whose usage is counted: a member's own, an admin's whole organization.
create function public.dashboard_ai_usage_by_day(period_start date, period_end date)
  returns table (day date, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable set search_path = ''
  as $$
begin
  if period_start is null or period_end is null then
    raise exception 'dashboard_ai_usage_by_day: period_start and period_end are required' using errcode = '22023';
  end if;
  if period_end <= period_start then
    raise exception 'dashboard_ai_usage_by_day: period_end (%) must be after period_start (%)', period_end, period_start
      using errcode = '22023', hint = 'The period is [period_start, period_end): period_end is the first day after it.';
  end if;
  if period_end::timestamptz - period_start::timestamptz > interval '366 days' then
    raise exception 'dashboard_ai_usage_by_day: the period may be at most 366 days long' using errcode = '22023';
  end if;
  return query
    select u.date, count(*), sum(u.input_tokens)::bigint, sum(u.output_tokens)::bigint, sum(u.cost_usd)
      from public.ai_usage_log u
     where u.date >= period_start and u.date < period_end
     group by u.date
     order by u.date;
end
$$;

create function public.dashboard_ai_usage_by_model(period_start date, period_end date)
  returns table (model text, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable set search_path = ''
  as $$
begin
  if period_start is null or period_end is null then
    raise exception 'dashboard_ai_usage_by_model: period_start and period_end are required' using errcode = '22023';
  end if;
  if period_end <= period_start then
    raise exception 'dashboard_ai_usage_by_model: period_end (%) must be after period_start (%)', period_end, period_start
      using errcode = '22023', hint = 'The period is [period_start, period_end): period_end is the first day after it.';
  end if;
  if period_end::timestamptz - period_start::timestamptz > interval '366 days' then
    raise exception 'dashboard_ai_usage_by_model: the period may be at most 366 days long' using errcode = '22023';
  end if;
  return query
    select u.model, count(*), sum(u.input_tokens)::bigint, sum(u.output_tokens)::bigint, sum(u.cost_usd)
      from public.ai_usage_log u
     where u.date >= period_start and u.date < period_end
     group by u.model
     order by 5 desc, 1;
end
$$;

create function public.dashboard_ai_usage_by_user(period_start date, period_end date)
  returns table (user_id uuid, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable set search_path = ''
  as $$
begin
  if period_start is null or period_end is null then
    raise exception 'dashboard_ai_usage_by_user: period_start and period_end are required' using errcode = '22023';
  end if;
  if period_end <= period_start then
    raise exception 'dashboard_ai_usage_by_user: period_end (%) must be after period_start (%)', period_end, period_start
      using errcode = '22023', hint = 'The period is [period_start, period_end): period_end is the first day after it.';
  end if;
  if period_end::timestamptz - period_start::timestamptz > interval '366 days' then
    raise exception 'dashboard_ai_usage_by_user: the period may be at most 366 days long' using errcode = '22023';
  end if;
  return query
    select u.user_id, count(*), sum(u.input_tokens)::bigint, sum(u.output_tokens)::bigint, sum(u.cost_usd)
      from public.ai_usage_log u
     where u.date >= period_start and u.date < period_end
     group by u.user_id
     order by 5 desc, 1;
end
$$;

-- The organization at a glance: live customers by status, revenue of the calendar month of as_of and
-- of the month before, and its users (profiles with access). One row; none for a caller without an
-- organization. as_of defaults to the current date.
--
-- SECURITY DEFINER (in private, behind the SECURITY INVOKER public.dashboard_organization_summary): it
-- reads three tables, and under RLS every table read runs the policy's membership lookup once more;
-- this function looks the organization up once and applies the select policies' conditions itself
-- (customers and revenue: organization_id = private.current_org_id() and deleted_at is null; profiles:
-- the organization's).
create function private.dashboard_organization_summary(as_of date)
  returns table (
    organization_id uuid, active_customers bigint, inactive_customers bigint, churned_customers bigint,
    revenue_this_month numeric, revenue_last_month numeric, active_users bigint
  )
  language plpgsql stable security definer set search_path = ''
  as $$
#variable_conflict use_variable
declare
  org uuid := private.current_org_id();
  this_month date := date_trunc('month', coalesce(as_of, current_date)::timestamp)::date;
  last_month date := (this_month - interval '1 month')::date;
  next_month date := (this_month + interval '1 month')::date;
begin
  if org is null then
    return;
  end if;
  return query
    select org, c.active, c.inactive, c.churned, r.current_total, r.previous_total,
           (select count(*) from public.profiles p where p.organization_id = org)
      from (select count(*) filter (where c.status = 'active') as active,
                   count(*) filter (where c.status = 'inactive') as inactive,
                   count(*) filter (where c.status = 'churned') as churned
              from public.customers c
             where c.organization_id = org and c.deleted_at is null) c,
           (select coalesce(sum(r.amount) filter (where r.date >= this_month), 0) as current_total,
                   coalesce(sum(r.amount) filter (where r.date < this_month), 0) as previous_total
              from public.revenue r
             where r.organization_id = org and r.deleted_at is null
               and r.date >= last_month and r.date < next_month) r;
end
$$;

create function public.dashboard_organization_summary(as_of date default null)
  returns table (
    organization_id uuid, active_customers bigint, inactive_customers bigint, churned_customers bigint,
    revenue_this_month numeric, revenue_last_month numeric, active_users bigint
  )
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_organization_summary(as_of);
end
$$;

-- ============================================================================
-- FUNCTIONS: the metadata search
-- ============================================================================
-- Runs as the owner (RLS bypassed) and applies the activities_select policy's condition itself:
-- the caller's organization, live rows. private.current_org_id() is the policies' own helper, read
-- when the query runs: a removed member gets nothing at once. force_custom_plan: planned with the
-- organization and the document of each call, so the planner picks between the metadata index (a rare
-- document) and walking the organization's newest rows (a common one) as it does by hand.
create function private.search_activities(
  document jsonb, page_size integer, before timestamptz, before_id uuid
) returns setof public.activities
  language plpgsql stable security definer
  set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_variable
declare
  org uuid;
begin
  if document is null or jsonb_typeof(document) <> 'object' then
    raise exception 'search_activities: document must be a JSON object, not %', coalesce(jsonb_typeof(document), 'null')
      using errcode = '22023', hint = 'Pass the keys and values to look for, e.g. {"format": "pdf"}.';
  end if;
  if document = '{}'::jsonb then
    raise exception 'search_activities: document must name at least one key (an empty object matches every activity)'
      using errcode = '22023';
  end if;
  if octet_length(document::text) > 4096 then
    raise exception 'search_activities: document is % bytes; at most 4096', octet_length(document::text)
      using errcode = '22023';
  end if;
  if page_size is null or page_size < 1 or page_size > 500 then
    raise exception 'search_activities: page_size must be from 1 to 500, not %', coalesce(page_size::text, 'null')
      using errcode = '22023';
  end if;
  if before is null and before_id is not null then
    raise exception 'search_activities: before_id needs before (the created_at of the same row)'
      using errcode = '22023';
  end if;
  org := private.current_org_id();
  if org is null then
    return; -- anon, an outsider, a removed member: nothing
  end if;
  -- The nil uuid without before_id: (created_at, id) < (before, nil) is created_at < before.
  return query
    select a.*
      from public.activities a
     where a.organization_id = org
       and a.deleted_at is null
       and a.metadata @> document
       and (before is null
            or (a.created_at, a.id) < (before, coalesce(before_id, '00000000-0000-0000-0000-000000000000'::uuid)))
     order by a.created_at desc, a.id desc
     limit page_size;
end
$$;

-- SECURITY INVOKER in public, so nothing in the exposed schema runs with the owner's rights (the
-- project's pattern: public wrappers around private SECURITY DEFINER code).
create function public.search_activities(
  document jsonb, page_size integer default 50, before timestamptz default null, before_id uuid default null
) returns setof public.activities
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.search_activities(document, page_size, before, before_id);
end
$$;

-- ============================================================================
-- GRANTS
-- ============================================================================
-- Supabase grants EXECUTE on new functions in public to anon, authenticated and service_role, and
-- PostgreSQL to PUBLIC. The dashboard is a signed-in user's: anon gets nothing. service_role neither:
-- it bypasses RLS, so the SECURITY INVOKER aggregates would sum every tenant for it.
revoke all on function
  private.dashboard_customers_page(integer, timestamptz, uuid, text, text, text),
  private.dashboard_organization_summary(date), private.search_activities(jsonb, integer, timestamptz, uuid)
  from public, anon, service_role;
grant execute on function
  private.dashboard_customers_page(integer, timestamptz, uuid, text, text, text),
  private.dashboard_organization_summary(date), private.search_activities(jsonb, integer, timestamptz, uuid)
  to authenticated;

revoke all on function
  public.dashboard_monthly_revenue(date, date), public.dashboard_top_customers(integer),
  public.dashboard_customers_page(integer, timestamptz, uuid, text, text, text),
  public.dashboard_activities_by_type(timestamptz, timestamptz),
  public.dashboard_ai_usage_by_day(date, date), public.dashboard_ai_usage_by_model(date, date),
  public.dashboard_ai_usage_by_user(date, date), public.dashboard_organization_summary(date),
  public.search_activities(jsonb, integer, timestamptz, uuid)
  from public, anon, service_role;
grant execute on function
  public.dashboard_monthly_revenue(date, date), public.dashboard_top_customers(integer),
  public.dashboard_customers_page(integer, timestamptz, uuid, text, text, text),
  public.dashboard_activities_by_type(timestamptz, timestamptz),
  public.dashboard_ai_usage_by_day(date, date), public.dashboard_ai_usage_by_model(date, date),
  public.dashboard_ai_usage_by_user(date, date), public.dashboard_organization_summary(date),
  public.search_activities(jsonb, integer, timestamptz, uuid)
  to authenticated;

-- ============================================================================
-- COMMENTS
-- ============================================================================
comment on function private.dashboard_customers_page(integer, timestamptz, uuid, text, text, text) is
  'Implementation of public.dashboard_customers_page: SECURITY DEFINER so that the page is planned with the organization id, whatever the tenant''s size; applies the customers_select policy''s condition itself (organization_id = private.current_org_id(), deleted_at is null).';
comment on function private.dashboard_organization_summary(date) is
  'Implementation of public.dashboard_organization_summary: SECURITY DEFINER so that the organization is looked up once for three tables; applies the select policies'' conditions itself (customers, revenue: the organization''s live rows; profiles: the organization''s).';
comment on function public.dashboard_monthly_revenue(date, date) is
  'Live revenue of the caller''s organization by calendar month over [period_start, period_end) (at most 1,096 days): month, total, invoices. SECURITY INVOKER: RLS decides; index-only scan of idx_revenue_org_date_live.';
comment on function public.dashboard_top_customers(integer) is
  'The caller''s organization''s top_n (1-500) live customers by total_revenue, ties by id. SECURITY INVOKER: RLS decides.';
comment on function public.dashboard_customers_page(integer, timestamptz, uuid, text, text, text) is
  'A page (1-500) of the caller''s organization''s live customers, newest first (created_at desc, id desc), after the keyset (after_created_at, after_id) of the previous page''s last row, filtered by status, industry and a case-insensitive name prefix. SECURITY INVOKER wrapper of private.dashboard_customers_page.';
comment on function public.dashboard_activities_by_type(timestamptz, timestamptz) is
  'Live activities of the caller''s organization over [since, until) (at most 366 days) counted by type, most frequent first. SECURITY INVOKER: RLS decides; index-only scan of idx_activities_org_created_live.';
comment on function public.dashboard_ai_usage_by_day(date, date) is
  'AI usage over [period_start, period_end) (at most 366 days) by day: calls, tokens, cost. SECURITY INVOKER: a member counts their own usage, an admin the organization''s (policy ai_usage_log_select).';
comment on function public.dashboard_ai_usage_by_model(date, date) is
  'AI usage over [period_start, period_end) (at most 366 days) by model, costliest first. SECURITY INVOKER: a member counts their own usage, an admin the organization''s.';
comment on function public.dashboard_ai_usage_by_user(date, date) is
  'AI usage over [period_start, period_end) (at most 366 days) by user, costliest first. SECURITY INVOKER: a member sees their own row, an admin every user of the organization.';
comment on function public.dashboard_organization_summary(date) is
  'One row about the caller''s organization: live customers by status, revenue of the month of as_of (default today) and of the month before, users with access. No row without an organization. SECURITY INVOKER wrapper of private.dashboard_organization_summary.';
comment on function private.search_activities(jsonb, integer, timestamptz, uuid) is
  'Implementation of public.search_activities: SECURITY DEFINER so that the metadata index can serve the search; applies the activities_select policy''s condition itself (organization_id = private.current_org_id(), deleted_at is null). Validates the document (a non-empty object of at most 4 KiB) and the page size.';
comment on function public.search_activities(jsonb, integer, timestamptz, uuid) is
  'The caller''s organization''s live activities whose metadata contains document (jsonb @>), newest first (created_at desc, id desc), page_size 1-500, before the keyset (before, before_id) of the previous page''s last row. Uses the metadata index whatever the tenant''s size; returns only rows the caller could select. SECURITY INVOKER wrapper of private.search_activities.';
