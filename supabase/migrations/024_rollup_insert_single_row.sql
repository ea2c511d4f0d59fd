-- 024_rollup_insert_single_row: the rollups' insert triggers write a one-row statement's delta without
-- aggregating it (issue 20: a single-row insert may cost at most 1.10x what it costs without the
-- rollup machinery).
--
-- 013's insert triggers group the statement's transition table by rollup key, so that a bulk insert
-- leaves one delta per (organization, day, dimension) instead of one per row. For the application's
-- usual write, one row, the group is the row itself, and setting up the aggregate (a hash table with
-- a numeric state per sum) was a fifth of the trigger's time. A statement of one row now inserts its
-- delta directly: the same delta row (count 1, the row's own values); several rows are grouped as
-- before. "Several" is asked of the transition table itself (is there a second row?), a scan that
-- stops at the second row. PostgreSQL 15, 3M rows per table, the bench's 600 single-row inserts per
-- table alternating the variants in one run: the trigger's extra time per insert from 21-31 to 15-22
-- us server-side (docs/benchmarks.md, "single-row inserts").
--
-- Same names, signatures, owner and SECURITY DEFINER; CREATE OR REPLACE keeps the triggers bound.
set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.revenue_rollup_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  if exists (select from new_rows offset 1) then
    insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
    select n.organization_id, n.date, sum(n.amount), count(*)
      from new_rows n
     where n.deleted_at is null
     group by n.organization_id, n.date;
  else
    insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
    select n.organization_id, n.date, n.amount, 1
      from new_rows n
     where n.deleted_at is null;
  end if;
  return null;
end
$$;

-- Activities count by the UTC day of created_at.
create or replace function private.activities_rollup_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  if exists (select from new_rows offset 1) then
    insert into private.activities_daily_deltas (organization_id, day, type, activities)
    select n.organization_id, (n.created_at at time zone 'UTC')::date, n.type, count(*)
      from new_rows n
     where n.deleted_at is null
     group by 1, 2, 3;
  else
    insert into private.activities_daily_deltas (organization_id, day, type, activities)
    select n.organization_id, (n.created_at at time zone 'UTC')::date, n.type, 1
      from new_rows n
     where n.deleted_at is null;
  end if;
  return null;
end
$$;

create or replace function private.ai_usage_rollup_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  if exists (select from new_rows offset 1) then
    insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
    select n.organization_id, n.date, n.model, n.user_id, count(*), sum(n.input_tokens), sum(n.output_tokens), sum(n.cost_usd)
      from new_rows n
     group by n.organization_id, n.date, n.model, n.user_id;
  else
    insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
    select n.organization_id, n.date, n.model, n.user_id, 1, n.input_tokens, n.output_tokens, n.cost_usd
      from new_rows n;
  end if;
  return null;
end
$$;

comment on function private.revenue_rollup_insert() is 'Trigger revenue_rollup_insert: appends + deltas for the statement''s new live rows, one per organization and day (a one-row statement''s without aggregating, 024).';
comment on function private.activities_rollup_insert() is 'Trigger activities_rollup_insert: + deltas per organization, UTC day of created_at and type (a one-row statement''s without aggregating, 024).';
comment on function private.ai_usage_rollup_insert() is 'Trigger ai_usage_log_rollup_insert: + deltas per organization, day, model and user (a one-row statement''s without aggregating, 024).';
