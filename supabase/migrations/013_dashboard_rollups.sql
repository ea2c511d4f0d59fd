-- 013_dashboard_rollups: dashboards that cost the same for a tenant of 30k rows and one of 3M (issue 20),
-- and one home for the dashboard's argument checks (issue 22, item 4).
--
-- The dashboard functions of 009 aggregated raw rows on every call. They now read daily rollups, one
-- row per (organization, day[, type | model, user]), plus the changes not folded into them yet. AI
-- usage has three: per (day, model, user) for a member's own usage, and the admin grains per (day,
-- model) and per (day, user), so that an admin's year reads 365 x models or 365 x users rows, not
-- their product; all three are folded from one delta log (writers pay for one):
--
--   writers   statement-level AFTER triggers (transition tables) on revenue, activities and
--             ai_usage_log append signed deltas to an append-only log, one row per (organization, day,
--             dimension) the statement touched: + for new live rows, - for old live rows. An UPDATE
--             of any measured column (amount, date, type, created_at, model, user, tokens, cost,
--             deleted_at) is "minus the old row, plus the new one"; soft delete, restore, hard delete
--             and backdated rows are the same arithmetic. No writer updates a shared row, so writers
--             of one organization and day never wait for each other or deadlock (a row trigger that
--             upserts the rollup deadlocked 60% of 8 writers' transactions: FACTS.md).
--   readers   each dashboard function sums rollup + pending deltas in one statement, so one snapshot:
--             exact at every commit. activities_by_type takes instants: whole UTC days come from the
--             rollup, the partial first and last day from the raw rows (idx_activities_org_created_live).
--   folding   private.rollups_merge(max_rows) moves deltas into the rollups (delete ... returning,
--             then insert ... on conflict do update, one statement per delta log), serialized by a
--             transaction-level advisory lock; pg_cron on Supabase, an in-process timer on the
--             embedded database. private.rollups_rebuild(organization_id) recomputes from raw rows;
--             private.rollups_verify(organization_id) lists every difference.
--
-- Rollups are private (no grants, RLS on and no policy), so the functions reading them become SECURITY
-- DEFINER in private behind SECURITY INVOKER wrappers in public with the same signatures (the
-- project's pattern, 009). They apply the select policies' conditions themselves, with the policies'
-- own helpers: revenue and activities, the live rows of private.current_org_id(); AI usage, the
-- organization of private.admin_org_id() for an admin, else the caller's own rows (auth.uid()) in
-- private.current_org_id(). Results, types, numeric scales, orders and error messages are those of 009.
--
-- Rollups contain live rows only; a rollup row whose count reached 0 may stay until a rebuild (the
-- functions drop groups whose count is 0). Every rollup and delta table has organization_id: a purge
-- driven by the catalog finds them. No foreign key to organizations: its check, one per new rollup
-- row, was half of a fold whose deltas each make a new rollup row, and the fold already discards the
-- deltas of an organization that no longer exists. A statement trigger on organizations
-- (organizations_rollup_delete) deletes a deleted organization's rollup rows and deltas instead.
set lock_timeout = '5s';
-- The last statement fills the rollups from every existing row: one pass over each table.
set statement_timeout = '30min';

-- ============================================================================
-- HELPERS: the dashboard's argument checks (issue 22 item 4), one place for 009's repeated blocks
-- ============================================================================
create or replace function private.check_period(fn text, period_start date, period_end date, max_days integer)
  returns void
  language plpgsql stable set search_path = ''
  as $$
begin
  if period_start is null or period_end is null then
    raise exception '%: period_start and period_end are required', fn using errcode = '22023';
  end if;
  if period_end <= period_start then
    raise exception '%: period_end (%) must be after period_start (%)', fn, period_end, period_start
      using errcode = '22023', hint = 'The period is [period_start, period_end): period_end is the first day after it.';
  end if;
  if period_end::timestamptz - period_start::timestamptz > make_interval(days => max_days) then
    raise exception '%: the period may be at most % days long', fn, max_days using errcode = '22023';
  end if;
end
$$;

create or replace function private.check_period(fn text, since timestamptz, until timestamptz, max_days integer)
  returns void
  language plpgsql stable set search_path = ''
  as $$
begin
  if since is null or until is null then
    raise exception '%: since and until are required', fn using errcode = '22023';
  end if;
  if until <= since then
    raise exception '%: until (%) must be after since (%)', fn, until, since
      using errcode = '22023', hint = 'The period is [since, until): until is the first day after it.';
  end if;
  if until - since > make_interval(days => max_days) then
    raise exception '%: the period may be at most % days long', fn, max_days using errcode = '22023';
  end if;
end
$$;

create or replace function private.check_page_size(fn text, arg text, value integer)
  returns void
  language plpgsql stable set search_path = ''
  as $$
begin
  if value is null or value < 1 or value > 500 then
    raise exception '%: % must be from 1 to 500, not %', fn, arg, coalesce(value::text, 'null') using errcode = '22023';
  end if;
end
$$;

-- ============================================================================
-- TABLES: rollups (one row per organization, UTC day and dimension) and their delta logs
-- ============================================================================
-- Sums keep the scale of the raw columns (numeric(12,2) amounts, numeric(10,4) costs): a total prints as
-- the sum over raw rows does.
create table private.revenue_daily (
  organization_id uuid not null,
  day date not null,
  amount numeric(20, 2) not null,
  invoices bigint not null,
  constraint revenue_daily_pkey primary key (organization_id, day)
);

create table private.activities_daily (
  organization_id uuid not null,
  day date not null,
  type text not null,
  activities bigint not null,
  constraint activities_daily_pkey primary key (organization_id, day, type)
);

create table private.ai_usage_daily (
  organization_id uuid not null,
  day date not null,
  model text not null,
  user_id uuid not null,
  calls bigint not null,
  input_tokens bigint not null,
  output_tokens bigint not null,
  cost_usd numeric(24, 4) not null,
  constraint ai_usage_daily_pkey primary key (organization_id, day, model, user_id)
);

-- The admin grains of ai_usage_daily (its sums over users, over models): folded, rebuilt and verified
-- with it, from its delta log.
create table private.ai_usage_model_daily (
  organization_id uuid not null,
  day date not null,
  model text not null,
  calls bigint not null,
  input_tokens bigint not null,
  output_tokens bigint not null,
  cost_usd numeric(24, 4) not null,
  constraint ai_usage_model_daily_pkey primary key (organization_id, day, model)
);

create table private.ai_usage_user_daily (
  organization_id uuid not null,
  day date not null,
  user_id uuid not null,
  calls bigint not null,
  input_tokens bigint not null,
  output_tokens bigint not null,
  cost_usd numeric(24, 4) not null,
  constraint ai_usage_user_daily_pkey primary key (organization_id, day, user_id)
);

-- Append-only between folds: written by the triggers, read by the dashboard, deleted by the fold. A
-- queue: vacuumed after every 10,000 dead rows whatever its size, so that the fold's probe and the
-- dashboard's reads do not wade through the rows of folds past.
create table private.revenue_daily_deltas (
  id bigint generated always as identity primary key,
  organization_id uuid not null,
  day date not null,
  amount numeric(20, 2) not null,
  invoices bigint not null
) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

create table private.activities_daily_deltas (
  id bigint generated always as identity primary key,
  organization_id uuid not null,
  day date not null,
  type text not null,
  activities bigint not null
) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

create table private.ai_usage_daily_deltas (
  id bigint generated always as identity primary key,
  organization_id uuid not null,
  day date not null,
  model text not null,
  user_id uuid not null,
  calls bigint not null,
  input_tokens bigint not null,
  output_tokens bigint not null,
  cost_usd numeric(24, 4) not null
) with (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

-- ============================================================================
-- INDEXES (the tables are new and empty: built here, in the file's transaction)
-- ============================================================================
-- A member's own AI usage: their rows of a window, not every user's.
create index idx_ai_usage_daily_org_user_day on private.ai_usage_daily (organization_id, user_id, day);
-- The pending deltas of an organization's window, read by every dashboard call.
create index idx_revenue_daily_deltas_org_day on private.revenue_daily_deltas (organization_id, day);
create index idx_activities_daily_deltas_org_day on private.activities_daily_deltas (organization_id, day);
create index idx_ai_usage_daily_deltas_org_day on private.ai_usage_daily_deltas (organization_id, day);

-- ============================================================================
-- ROW LEVEL SECURITY AND GRANTS: nothing reaches these tables but the owner's functions
-- ============================================================================
alter table private.revenue_daily enable row level security;
alter table private.activities_daily enable row level security;
alter table private.ai_usage_daily enable row level security;
alter table private.ai_usage_model_daily enable row level security;
alter table private.ai_usage_user_daily enable row level security;
alter table private.revenue_daily_deltas enable row level security;
alter table private.activities_daily_deltas enable row level security;
alter table private.ai_usage_daily_deltas enable row level security;

revoke all on table
  private.revenue_daily, private.activities_daily, private.ai_usage_daily,
  private.ai_usage_model_daily, private.ai_usage_user_daily,
  private.revenue_daily_deltas, private.activities_daily_deltas, private.ai_usage_daily_deltas
  from public, anon, authenticated, service_role;

-- ============================================================================
-- TRIGGERS: signed deltas, one row per (organization, day, dimension) a statement touched
-- ============================================================================
-- SECURITY DEFINER: the writer (an admin's API request, service_role) has no rights on private tables.
-- One function per table and event: a transition table exists only for its own event.
create function private.revenue_rollup_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
  select n.organization_id, n.date, sum(n.amount), count(*)
    from new_rows n
   where n.deleted_at is null
   group by n.organization_id, n.date;
  return null;
end
$$;

create function private.revenue_rollup_update() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
  select x.organization_id, x.day, sum(x.amount), sum(x.invoices)
    from (select o.organization_id, o.date as day, -o.amount as amount, -1 as invoices from old_rows o where o.deleted_at is null
          union all
          select n.organization_id, n.date, n.amount, 1 from new_rows n where n.deleted_at is null) x
   group by x.organization_id, x.day
  having sum(x.invoices) <> 0 or sum(x.amount) <> 0;
  return null;
end
$$;

create function private.revenue_rollup_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
  select o.organization_id, o.date, -sum(o.amount), -count(*)
    from old_rows o
   where o.deleted_at is null
   group by o.organization_id, o.date
  having exists (select 1 from public.organizations g where g.id = o.organization_id);
  return null;
end
$$;

-- Activities count by the UTC day of created_at.
create function private.activities_rollup_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.activities_daily_deltas (organization_id, day, type, activities)
  select n.organization_id, (n.created_at at time zone 'UTC')::date, n.type, count(*)
    from new_rows n
   where n.deleted_at is null
   group by 1, 2, 3;
  return null;
end
$$;

create function private.activities_rollup_update() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.activities_daily_deltas (organization_id, day, type, activities)
  select x.organization_id, x.day, x.type, sum(x.n)
    from (select o.organization_id, (o.created_at at time zone 'UTC')::date as day, o.type, -1 as n from old_rows o where o.deleted_at is null
          union all
          select n.organization_id, (n.created_at at time zone 'UTC')::date, n.type, 1 from new_rows n where n.deleted_at is null) x
   group by x.organization_id, x.day, x.type
  having sum(x.n) <> 0;
  return null;
end
$$;

create function private.activities_rollup_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.activities_daily_deltas (organization_id, day, type, activities)
  select o.organization_id, (o.created_at at time zone 'UTC')::date, o.type, -count(*)
    from old_rows o
   where o.deleted_at is null
   group by 1, 2, 3
  having exists (select 1 from public.organizations g where g.id = o.organization_id);
  return null;
end
$$;

-- ai_usage_log has no soft delete; its organization_id may change (no key guard): the old row's
-- organization loses it, the new one's gains it.
create function private.ai_usage_rollup_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
  select n.organization_id, n.date, n.model, n.user_id, count(*), sum(n.input_tokens), sum(n.output_tokens), sum(n.cost_usd)
    from new_rows n
   group by n.organization_id, n.date, n.model, n.user_id;
  return null;
end
$$;

create function private.ai_usage_rollup_update() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
  select x.organization_id, x.day, x.model, x.user_id, sum(x.calls), sum(x.input_tokens), sum(x.output_tokens), sum(x.cost_usd)
    from (select o.organization_id, o.date as day, o.model, o.user_id, -1 as calls,
                 -o.input_tokens::bigint as input_tokens, -o.output_tokens::bigint as output_tokens, -o.cost_usd as cost_usd
            from old_rows o
          union all
          select n.organization_id, n.date, n.model, n.user_id, 1, n.input_tokens, n.output_tokens, n.cost_usd
            from new_rows n) x
   group by x.organization_id, x.day, x.model, x.user_id
  having sum(x.calls) <> 0 or sum(x.input_tokens) <> 0 or sum(x.output_tokens) <> 0 or sum(x.cost_usd) <> 0;
  return null;
end
$$;

create function private.ai_usage_rollup_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
  select o.organization_id, o.date, o.model, o.user_id, -count(*), -sum(o.input_tokens), -sum(o.output_tokens), -sum(o.cost_usd)
    from old_rows o
   group by o.organization_id, o.date, o.model, o.user_id
  having exists (select 1 from public.organizations g where g.id = o.organization_id);
  return null;
end
$$;

-- The delete triggers skip the rows of an organization that no longer exists: its deletion's cascade
-- runs them after organizations_rollup_delete (below) cleared its rollups and deltas.

-- TRUNCATE fires no row events: the table's rollups and deltas are emptied with it (same transaction;
-- a TRUNCATE ... CASCADE of organizations fires it for each of the three tables). DELETE, not
-- TRUNCATE: no ACCESS EXCLUSIVE lock on tables every dashboard call reads. Under the fold's lock, so
-- that a fold running meanwhile cannot leave a rollup row behind.
create function private.rollup_truncate() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(20013);
  case tg_table_name
    when 'revenue' then
      delete from private.revenue_daily;
      delete from private.revenue_daily_deltas;
    when 'activities' then
      delete from private.activities_daily;
      delete from private.activities_daily_deltas;
    when 'ai_usage_log' then
      delete from private.ai_usage_daily;
      delete from private.ai_usage_model_daily;
      delete from private.ai_usage_user_daily;
      delete from private.ai_usage_daily_deltas;
  end case;
  return null;
end
$$;

-- A deleted organization's rollup rows and deltas, in place of a foreign key (the cascade to revenue,
-- activities and ai_usage_log appends none: their delete triggers skip deleted organizations). Under the fold's lock: a fold that saw the organization and is writing its rows
-- commits first, and this statement, planned afterwards in a new snapshot (READ COMMITTED), deletes
-- them; a fold starting later sees the organization gone and discards its deltas.
create function private.rollups_organization_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(20013);
  delete from private.revenue_daily x using old_rows o where x.organization_id = o.id;
  delete from private.activities_daily x using old_rows o where x.organization_id = o.id;
  delete from private.ai_usage_daily x using old_rows o where x.organization_id = o.id;
  delete from private.ai_usage_model_daily x using old_rows o where x.organization_id = o.id;
  delete from private.ai_usage_user_daily x using old_rows o where x.organization_id = o.id;
  delete from private.revenue_daily_deltas x using old_rows o where x.organization_id = o.id;
  delete from private.activities_daily_deltas x using old_rows o where x.organization_id = o.id;
  delete from private.ai_usage_daily_deltas x using old_rows o where x.organization_id = o.id;
  return null;
end
$$;

create trigger organizations_rollup_delete after delete on public.organizations
  referencing old table as old_rows for each statement execute function private.rollups_organization_delete();

-- Every trigger of the machinery has "rollup" in its name (the benchmark switches them off by name).
create trigger revenue_rollup_insert after insert on public.revenue
  referencing new table as new_rows for each statement execute function private.revenue_rollup_insert();
create trigger revenue_rollup_update after update on public.revenue
  referencing old table as old_rows new table as new_rows for each statement execute function private.revenue_rollup_update();
create trigger revenue_rollup_delete after delete on public.revenue
  referencing old table as old_rows for each statement execute function private.revenue_rollup_delete();
create trigger revenue_rollup_truncate after truncate on public.revenue
  for each statement execute function private.rollup_truncate();

create trigger activities_rollup_insert after insert on public.activities
  referencing new table as new_rows for each statement execute function private.activities_rollup_insert();
create trigger activities_rollup_update after update on public.activities
  referencing old table as old_rows new table as new_rows for each statement execute function private.activities_rollup_update();
create trigger activities_rollup_delete after delete on public.activities
  referencing old table as old_rows for each statement execute function private.activities_rollup_delete();
create trigger activities_rollup_truncate after truncate on public.activities
  for each statement execute function private.rollup_truncate();

create trigger ai_usage_log_rollup_insert after insert on public.ai_usage_log
  referencing new table as new_rows for each statement execute function private.ai_usage_rollup_insert();
create trigger ai_usage_log_rollup_update after update on public.ai_usage_log
  referencing old table as old_rows new table as new_rows for each statement execute function private.ai_usage_rollup_update();
create trigger ai_usage_log_rollup_delete after delete on public.ai_usage_log
  referencing old table as old_rows for each statement execute function private.ai_usage_rollup_delete();
create trigger ai_usage_log_rollup_truncate after truncate on public.ai_usage_log
  for each statement execute function private.rollup_truncate();

-- ============================================================================
-- FUNCTIONS: folding, rebuilding, verifying (the owner's; pg_cron, the CLI, the embedded timer)
-- ============================================================================
-- Folds are serialized by this transaction-level advisory lock (a session-level one does not survive
-- pgbouncer's transaction mode: FACTS.md); a second fold waits, then folds what is left. The key is
-- the literal 20013 (issue 20, migration 013).
--
-- Each delta log is folded by one statement (AI usage: into its three rollups): the deltas visible to
-- it are deleted and their sums upserted in the same snapshot, so a reader sees them either pending or folded, never both or neither; a fold
-- killed halfway rolls back whole. Deltas of an organization that no longer exists are deleted and
-- not folded. At most max_rows deltas in all (null: every pending one), oldest first.
create function private.rollups_merge(max_rows integer default null) returns integer
  language plpgsql volatile security definer set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
declare
  last_id bigint; -- the last delta of a log within the budget; null: the whole log
  n bigint;
  folded bigint := 0;
begin
  if max_rows is not null and max_rows < 1 then
    raise exception 'rollups_merge: max_rows must be at least 1 (or null for every pending delta), not %', max_rows
      using errcode = '22023';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(20013);

  -- An empty log costs one probe (the embedded database folds every second, mostly nothing).
  if exists (select 1 from private.revenue_daily_deltas) then
    last_id := null;
    if max_rows is not null then
      select d.id into last_id from private.revenue_daily_deltas d order by d.id offset max_rows - 1 limit 1;
    end if;
    with moved as (
      delete from private.revenue_daily_deltas d where last_id is null or d.id <= last_id
      returning d.organization_id, d.day, d.amount, d.invoices
    ), summed as (
      select m.organization_id, m.day, sum(m.amount) as amount, sum(m.invoices) as invoices
        from moved m
       group by m.organization_id, m.day
    ), upserted as (
      insert into private.revenue_daily as r (organization_id, day, amount, invoices)
      select s.organization_id, s.day, s.amount, s.invoices from summed s
       where exists (select 1 from public.organizations o where o.id = s.organization_id)
       order by s.organization_id, s.day
      on conflict (organization_id, day) do update
        set amount = r.amount + excluded.amount, invoices = r.invoices + excluded.invoices
    )
    select count(*) into n from moved;
    folded := folded + n;
  end if;

  if (max_rows is null or folded < max_rows) and exists (select 1 from private.activities_daily_deltas) then
    last_id := null;
    if max_rows is not null then
      select d.id into last_id from private.activities_daily_deltas d order by d.id offset max_rows - folded - 1 limit 1;
    end if;
    with moved as (
      delete from private.activities_daily_deltas d where last_id is null or d.id <= last_id
      returning d.organization_id, d.day, d.type, d.activities
    ), summed as (
      select m.organization_id, m.day, m.type, sum(m.activities) as activities
        from moved m
       group by m.organization_id, m.day, m.type
    ), upserted as (
      insert into private.activities_daily as r (organization_id, day, type, activities)
      select s.organization_id, s.day, s.type, s.activities from summed s
       where exists (select 1 from public.organizations o where o.id = s.organization_id)
       order by s.organization_id, s.day, s.type
      on conflict (organization_id, day, type) do update set activities = r.activities + excluded.activities
    )
    select count(*) into n from moved;
    folded := folded + n;
  end if;

  if (max_rows is null or folded < max_rows) and exists (select 1 from private.ai_usage_daily_deltas) then
    last_id := null;
    if max_rows is not null then
      select d.id into last_id from private.ai_usage_daily_deltas d order by d.id offset max_rows - folded - 1 limit 1;
    end if;
    with moved as (
      delete from private.ai_usage_daily_deltas d where last_id is null or d.id <= last_id
      returning d.organization_id, d.day, d.model, d.user_id, d.calls, d.input_tokens, d.output_tokens, d.cost_usd
    ), summed as (
      select m.organization_id, m.day, m.model, m.user_id, sum(m.calls) as calls, sum(m.input_tokens) as input_tokens,
             sum(m.output_tokens) as output_tokens, sum(m.cost_usd) as cost_usd
        from moved m
       group by m.organization_id, m.day, m.model, m.user_id
    ), live as (
      select s.* from summed s where exists (select 1 from public.organizations o where o.id = s.organization_id)
    ), upserted as (
      insert into private.ai_usage_daily as r (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
      select l.organization_id, l.day, l.model, l.user_id, l.calls, l.input_tokens, l.output_tokens, l.cost_usd
        from live l order by l.organization_id, l.day, l.model, l.user_id
      on conflict (organization_id, day, model, user_id) do update
        set calls = r.calls + excluded.calls, input_tokens = r.input_tokens + excluded.input_tokens,
            output_tokens = r.output_tokens + excluded.output_tokens, cost_usd = r.cost_usd + excluded.cost_usd
    ), upserted_model as (
      insert into private.ai_usage_model_daily as r (organization_id, day, model, calls, input_tokens, output_tokens, cost_usd)
      select l.organization_id, l.day, l.model, sum(l.calls), sum(l.input_tokens), sum(l.output_tokens), sum(l.cost_usd)
        from live l group by 1, 2, 3 order by 1, 2, 3
      on conflict (organization_id, day, model) do update
        set calls = r.calls + excluded.calls, input_tokens = r.input_tokens + excluded.input_tokens,
            output_tokens = r.output_tokens + excluded.output_tokens, cost_usd = r.cost_usd + excluded.cost_usd
    ), upserted_user as (
      insert into private.ai_usage_user_daily as r (organization_id, day, user_id, calls, input_tokens, output_tokens, cost_usd)
      select l.organization_id, l.day, l.user_id, sum(l.calls), sum(l.input_tokens), sum(l.output_tokens), sum(l.cost_usd)
        from live l group by 1, 2, 3 order by 1, 2, 3
      on conflict (organization_id, day, user_id) do update
        set calls = r.calls + excluded.calls, input_tokens = r.input_tokens + excluded.input_tokens,
            output_tokens = r.output_tokens + excluded.output_tokens, cost_usd = r.cost_usd + excluded.cost_usd
    )
    select count(*) into n from moved;
    folded := folded + n;
  end if;
  return folded;
end
$$;

-- Recomputes the rollups of one organization (null: all) from the raw rows, under the fold's lock.
-- One statement per rollup, so one snapshot: the deltas it deletes are those of the rows it read, and
-- the deltas of writers committing meanwhile stay pending (their rows were not read). Writers are not
-- blocked. Rollup rows without raw rows behind them go (zero rows left by folds included).
create function private.rollups_rebuild(organization_id uuid default null)
  returns table (rollup text, rows_written bigint, deltas_discarded bigint)
  language plpgsql volatile security definer set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_column
declare
  org uuid := rollups_rebuild.organization_id;
begin
  perform pg_catalog.pg_advisory_xact_lock(20013);

  return query
    with raw as (
      select r.organization_id, r.date as day, sum(r.amount) as amount, count(*) as invoices
        from public.revenue r
       where r.deleted_at is null and (org is null or r.organization_id = org)
       group by r.organization_id, r.date
    ), discarded as (
      delete from private.revenue_daily_deltas d where org is null or d.organization_id = org returning 1
    ), cleared as (
      delete from private.revenue_daily x
       where (org is null or x.organization_id = org)
         and not exists (select 1 from raw where raw.organization_id = x.organization_id and raw.day = x.day)
    ), written as (
      insert into private.revenue_daily as x (organization_id, day, amount, invoices)
      select raw.organization_id, raw.day, raw.amount, raw.invoices from raw
      on conflict (organization_id, day) do update set amount = excluded.amount, invoices = excluded.invoices
      returning 1
    )
    select 'revenue_daily', (select count(*) from written), (select count(*) from discarded);

  return query
    with raw as (
      select a.organization_id, (a.created_at at time zone 'UTC')::date as day, a.type, count(*) as activities
        from public.activities a
       where a.deleted_at is null and (org is null or a.organization_id = org)
       group by 1, 2, 3
    ), discarded as (
      delete from private.activities_daily_deltas d where org is null or d.organization_id = org returning 1
    ), cleared as (
      delete from private.activities_daily x
       where (org is null or x.organization_id = org)
         and not exists (select 1 from raw where raw.organization_id = x.organization_id and raw.day = x.day and raw.type = x.type)
    ), written as (
      insert into private.activities_daily as x (organization_id, day, type, activities)
      select raw.organization_id, raw.day, raw.type, raw.activities from raw
      on conflict (organization_id, day, type) do update set activities = excluded.activities
      returning 1
    )
    select 'activities_daily', (select count(*) from written), (select count(*) from discarded);

  -- AI usage: one statement for the log and its three rollups (the admin grains summed from the fine
  -- one), since the deltas it discards must be those of the rows all three read. The discarded deltas
  -- are counted once, on ai_usage_daily.
  return query
    with raw as (
      select u.organization_id, u.date as day, u.model, u.user_id, count(*) as calls, sum(u.input_tokens) as input_tokens,
             sum(u.output_tokens) as output_tokens, sum(u.cost_usd) as cost_usd
        from public.ai_usage_log u
       where org is null or u.organization_id = org
       group by u.organization_id, u.date, u.model, u.user_id
    ), raw_model as (
      select raw.organization_id, raw.day, raw.model, sum(raw.calls) as calls, sum(raw.input_tokens) as input_tokens,
             sum(raw.output_tokens) as output_tokens, sum(raw.cost_usd) as cost_usd
        from raw group by 1, 2, 3
    ), raw_user as (
      select raw.organization_id, raw.day, raw.user_id, sum(raw.calls) as calls, sum(raw.input_tokens) as input_tokens,
             sum(raw.output_tokens) as output_tokens, sum(raw.cost_usd) as cost_usd
        from raw group by 1, 2, 3
    ), discarded as (
      delete from private.ai_usage_daily_deltas d where org is null or d.organization_id = org returning 1
    ), cleared as (
      delete from private.ai_usage_daily x
       where (org is null or x.organization_id = org)
         and not exists (select 1 from raw where raw.organization_id = x.organization_id and raw.day = x.day
                                             and raw.model = x.model and raw.user_id = x.user_id)
    ), cleared_model as (
      delete from private.ai_usage_model_daily x
       where (org is null or x.organization_id = org)
         and not exists (select 1 from raw_model r where r.organization_id = x.organization_id and r.day = x.day and r.model = x.model)
    ), cleared_user as (
      delete from private.ai_usage_user_daily x
       where (org is null or x.organization_id = org)
         and not exists (select 1 from raw_user r where r.organization_id = x.organization_id and r.day = x.day and r.user_id = x.user_id)
    ), written as (
      insert into private.ai_usage_daily as x (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
      select raw.organization_id, raw.day, raw.model, raw.user_id, raw.calls, raw.input_tokens, raw.output_tokens, raw.cost_usd from raw
      on conflict (organization_id, day, model, user_id) do update
        set calls = excluded.calls, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
            cost_usd = excluded.cost_usd
      returning 1
    ), written_model as (
      insert into private.ai_usage_model_daily as x (organization_id, day, model, calls, input_tokens, output_tokens, cost_usd)
      select r.organization_id, r.day, r.model, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from raw_model r
      on conflict (organization_id, day, model) do update
        set calls = excluded.calls, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
            cost_usd = excluded.cost_usd
      returning 1
    ), written_user as (
      insert into private.ai_usage_user_daily as x (organization_id, day, user_id, calls, input_tokens, output_tokens, cost_usd)
      select r.organization_id, r.day, r.user_id, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from raw_user r
      on conflict (organization_id, day, user_id) do update
        set calls = excluded.calls, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
            cost_usd = excluded.cost_usd
      returning 1
    )
    select 'ai_usage_daily', (select count(*) from written), (select count(*) from discarded)
    union all
    select 'ai_usage_model_daily', (select count(*) from written_model), 0::bigint
    union all
    select 'ai_usage_user_daily', (select count(*) from written_user), 0::bigint;
end
$$;

-- Every (organization, day, dimension) where rollup + pending deltas differ from the raw rows, for
-- one organization or all: nothing when the rollups are exact. Each rollup is compared in one
-- statement (one snapshot), so concurrent writers cause no false difference.
create function private.rollups_verify(organization_id uuid default null)
  returns table (rollup text, organization uuid, day date, dimension text, raw jsonb, kept jsonb)
  language plpgsql stable security definer set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_column
declare
  org uuid := rollups_verify.organization_id;
begin
  return query
    with src as (
      select r.organization_id, r.date as day, sum(r.amount) as amount, count(*) as invoices
        from public.revenue r
       where r.deleted_at is null and (org is null or r.organization_id = org)
       group by 1, 2
    ), agg as (
      select k.organization_id, k.day, sum(k.amount) as amount, sum(k.invoices) as invoices
        from (select x.organization_id, x.day, x.amount, x.invoices from private.revenue_daily x where org is null or x.organization_id = org
              union all
              select d.organization_id, d.day, d.amount, d.invoices from private.revenue_daily_deltas d
               where (org is null or d.organization_id = org)
                 and exists (select 1 from public.organizations o where o.id = d.organization_id)) k
       group by 1, 2
      having sum(k.invoices) <> 0 or sum(k.amount) <> 0
    )
    select 'revenue_daily', coalesce(src.organization_id, agg.organization_id), coalesce(src.day, agg.day), null::text,
           case when src.day is not null then jsonb_build_object('amount', src.amount, 'invoices', src.invoices) end,
           case when agg.day is not null then jsonb_build_object('amount', agg.amount, 'invoices', agg.invoices) end
      from src full join agg on agg.organization_id = src.organization_id and agg.day = src.day
     where (src.amount, src.invoices) is distinct from (agg.amount, agg.invoices);

  return query
    with src as (
      select a.organization_id, (a.created_at at time zone 'UTC')::date as day, a.type, count(*) as activities
        from public.activities a
       where a.deleted_at is null and (org is null or a.organization_id = org)
       group by 1, 2, 3
    ), agg as (
      select k.organization_id, k.day, k.type, sum(k.activities) as activities
        from (select x.organization_id, x.day, x.type, x.activities from private.activities_daily x where org is null or x.organization_id = org
              union all
              select d.organization_id, d.day, d.type, d.activities from private.activities_daily_deltas d
               where (org is null or d.organization_id = org)
                 and exists (select 1 from public.organizations o where o.id = d.organization_id)) k
       group by 1, 2, 3
      having sum(k.activities) <> 0
    )
    select 'activities_daily', coalesce(src.organization_id, agg.organization_id), coalesce(src.day, agg.day),
           coalesce(src.type, agg.type),
           case when src.day is not null then jsonb_build_object('activities', src.activities) end,
           case when agg.day is not null then jsonb_build_object('activities', agg.activities) end
      from src full join agg on agg.organization_id = src.organization_id and agg.day = src.day and agg.type = src.type
     where src.activities is distinct from agg.activities;

  return query
    with src as (
      select u.organization_id, u.date as day, u.model, u.user_id, count(*) as calls, sum(u.input_tokens) as input_tokens,
             sum(u.output_tokens) as output_tokens, sum(u.cost_usd) as cost_usd
        from public.ai_usage_log u
       where org is null or u.organization_id = org
       group by 1, 2, 3, 4
    ), agg as (
      select k.organization_id, k.day, k.model, k.user_id, sum(k.calls) as calls, sum(k.input_tokens) as input_tokens,
             sum(k.output_tokens) as output_tokens, sum(k.cost_usd) as cost_usd
        from (select x.organization_id, x.day, x.model, x.user_id, x.calls, x.input_tokens, x.output_tokens, x.cost_usd
                from private.ai_usage_daily x where org is null or x.organization_id = org
              union all
              select d.organization_id, d.day, d.model, d.user_id, d.calls, d.input_tokens, d.output_tokens, d.cost_usd
                from private.ai_usage_daily_deltas d
               where (org is null or d.organization_id = org)
                 and exists (select 1 from public.organizations o where o.id = d.organization_id)) k
       group by 1, 2, 3, 4
      having sum(k.calls) <> 0 or sum(k.input_tokens) <> 0 or sum(k.output_tokens) <> 0 or sum(k.cost_usd) <> 0
    )
    select 'ai_usage_daily', coalesce(src.organization_id, agg.organization_id), coalesce(src.day, agg.day),
           coalesce(src.model, agg.model) || ' ' || coalesce(src.user_id, agg.user_id)::text,
           case when src.day is not null then jsonb_build_object('calls', src.calls, 'input_tokens', src.input_tokens,
             'output_tokens', src.output_tokens, 'cost_usd', src.cost_usd) end,
           case when agg.day is not null then jsonb_build_object('calls', agg.calls, 'input_tokens', agg.input_tokens,
             'output_tokens', agg.output_tokens, 'cost_usd', agg.cost_usd) end
      from src full join agg on agg.organization_id = src.organization_id and agg.day = src.day
                             and agg.model = src.model and agg.user_id = src.user_id
     where (src.calls, src.input_tokens, src.output_tokens, src.cost_usd)
           is distinct from (agg.calls, agg.input_tokens, agg.output_tokens, agg.cost_usd);

  -- The admin grains, each against the raw rows summed to its grain.
  return query
    with src as (
      select u.organization_id, u.date as day, u.model, count(*) as calls, sum(u.input_tokens) as input_tokens,
             sum(u.output_tokens) as output_tokens, sum(u.cost_usd) as cost_usd
        from public.ai_usage_log u
       where org is null or u.organization_id = org
       group by 1, 2, 3
    ), agg as (
      select k.organization_id, k.day, k.model, sum(k.calls) as calls, sum(k.input_tokens) as input_tokens,
             sum(k.output_tokens) as output_tokens, sum(k.cost_usd) as cost_usd
        from (select x.organization_id, x.day, x.model, x.calls, x.input_tokens, x.output_tokens, x.cost_usd
                from private.ai_usage_model_daily x where org is null or x.organization_id = org
              union all
              select d.organization_id, d.day, d.model, d.calls, d.input_tokens, d.output_tokens, d.cost_usd
                from private.ai_usage_daily_deltas d
               where (org is null or d.organization_id = org)
                 and exists (select 1 from public.organizations o where o.id = d.organization_id)) k
       group by 1, 2, 3
      having sum(k.calls) <> 0 or sum(k.input_tokens) <> 0 or sum(k.output_tokens) <> 0 or sum(k.cost_usd) <> 0
    )
    select 'ai_usage_model_daily', coalesce(src.organization_id, agg.organization_id), coalesce(src.day, agg.day),
           coalesce(src.model, agg.model),
           case when src.day is not null then jsonb_build_object('calls', src.calls, 'input_tokens', src.input_tokens,
             'output_tokens', src.output_tokens, 'cost_usd', src.cost_usd) end,
           case when agg.day is not null then jsonb_build_object('calls', agg.calls, 'input_tokens', agg.input_tokens,
             'output_tokens', agg.output_tokens, 'cost_usd', agg.cost_usd) end
      from src full join agg on agg.organization_id = src.organization_id and agg.day = src.day and agg.model = src.model
     where (src.calls, src.input_tokens, src.output_tokens, src.cost_usd)
           is distinct from (agg.calls, agg.input_tokens, agg.output_tokens, agg.cost_usd);
  return query
    with src as (
      select u.organization_id, u.date as day, u.user_id, count(*) as calls, sum(u.input_tokens) as input_tokens,
             sum(u.output_tokens) as output_tokens, sum(u.cost_usd) as cost_usd
        from public.ai_usage_log u
       where org is null or u.organization_id = org
       group by 1, 2, 3
    ), agg as (
      select k.organization_id, k.day, k.user_id, sum(k.calls) as calls, sum(k.input_tokens) as input_tokens,
             sum(k.output_tokens) as output_tokens, sum(k.cost_usd) as cost_usd
        from (select x.organization_id, x.day, x.user_id, x.calls, x.input_tokens, x.output_tokens, x.cost_usd
                from private.ai_usage_user_daily x where org is null or x.organization_id = org
              union all
              select d.organization_id, d.day, d.user_id, d.calls, d.input_tokens, d.output_tokens, d.cost_usd
                from private.ai_usage_daily_deltas d
               where (org is null or d.organization_id = org)
                 and exists (select 1 from public.organizations o where o.id = d.organization_id)) k
       group by 1, 2, 3
      having sum(k.calls) <> 0 or sum(k.input_tokens) <> 0 or sum(k.output_tokens) <> 0 or sum(k.cost_usd) <> 0
    )
    select 'ai_usage_user_daily', coalesce(src.organization_id, agg.organization_id), coalesce(src.day, agg.day),
           coalesce(src.user_id, agg.user_id)::text,
           case when src.day is not null then jsonb_build_object('calls', src.calls, 'input_tokens', src.input_tokens,
             'output_tokens', src.output_tokens, 'cost_usd', src.cost_usd) end,
           case when agg.day is not null then jsonb_build_object('calls', agg.calls, 'input_tokens', agg.input_tokens,
             'output_tokens', agg.output_tokens, 'cost_usd', agg.cost_usd) end
      from src full join agg on agg.organization_id = src.organization_id and agg.day = src.day and agg.user_id = src.user_id
     where (src.calls, src.input_tokens, src.output_tokens, src.cost_usd)
           is distinct from (agg.calls, agg.input_tokens, agg.output_tokens, agg.cost_usd);
end
$$;

-- ============================================================================
-- FUNCTIONS: the dashboard's questions over the rollups (SECURITY DEFINER in private)
-- ============================================================================
-- Live revenue of the caller's organization by calendar month over [period_start, period_end).
create function private.dashboard_monthly_revenue(period_start date, period_end date)
  returns table (month date, total numeric, invoices bigint)
  language plpgsql stable security definer set search_path = ''
  as $$
#variable_conflict use_variable
declare
  org uuid;
begin
  perform private.check_period('dashboard_monthly_revenue', period_start, period_end, 1096);
  org := private.current_org_id();
  if org is null then
    return; -- anon, an outsider, a removed member: no revenue (as a plain select)
  end if;
  return query
    select date_trunc('month', x.day::timestamp)::date, sum(x.amount), sum(x.invoices)::bigint
      from (select r.day, r.amount, r.invoices from private.revenue_daily r
             where r.organization_id = org and r.day >= period_start and r.day < period_end
            union all
            select d.day, d.amount, d.invoices from private.revenue_daily_deltas d
             where d.organization_id = org and d.day >= period_start and d.day < period_end) x
     group by 1
    having sum(x.invoices) > 0
     order by 1;
end
$$;

-- Live activities of the caller's organization over [since, until) by type: the whole UTC days inside
-- the period from the rollup, the partial day at either end from the raw rows.
create function private.dashboard_activities_by_type(since timestamptz, until timestamptz)
  returns table (type text, activities bigint)
  language plpgsql stable security definer set search_path = ''
  as $$
#variable_conflict use_variable
declare
  org uuid;
  first_day date; -- the first whole day: starts at or after since
  end_day date;   -- the day after the last whole day: starts at or before until
  head_end timestamptz;
  tail_start timestamptz;
begin
  perform private.check_period('dashboard_activities_by_type', since, until, 366);
  org := private.current_org_id();
  if org is null then
    return;
  end if;
  first_day := (since at time zone 'UTC')::date;
  if (first_day::timestamp at time zone 'UTC') < since then
    first_day := first_day + 1;
  end if;
  end_day := (until at time zone 'UTC')::date;
  if first_day >= end_day then
    -- No whole day inside: every row comes from the raw table.
    first_day := end_day;
    head_end := until;
    tail_start := until;
  else
    head_end := first_day::timestamp at time zone 'UTC';
    tail_start := end_day::timestamp at time zone 'UTC';
  end if;
  return query
    select x.type, sum(x.n)::bigint
      from (select r.type, r.activities as n from private.activities_daily r
             where r.organization_id = org and r.day >= first_day and r.day < end_day
            union all
            select d.type, d.activities from private.activities_daily_deltas d
             where d.organization_id = org and d.day >= first_day and d.day < end_day
            union all
            select a.type, count(*) from public.activities a
             where a.organization_id = org and a.deleted_at is null and a.created_at >= since and a.created_at < head_end
             group by a.type
            union all
            select a.type, count(*) from public.activities a
             where a.organization_id = org and a.deleted_at is null and a.created_at >= tail_start and a.created_at < until
             group by a.type) x
     group by x.type
    having sum(x.n) > 0
     order by 2 desc, 1;
end
$$;

-- AI usage: whose rows count is the policy ai_usage_log_select's: an admin's whole organization
-- (private.admin_org_id()), else the caller's own rows (auth.uid()) in private.current_org_id().
-- An admin reads the admin grain (ai_usage_model_daily for by day and by model, ai_usage_user_daily
-- for by user), a member their own rows of ai_usage_daily (idx_ai_usage_daily_org_user_day); both
-- with the pending deltas of the window, which sum to any grain.
create function private.dashboard_ai_usage_by_day(period_start date, period_end date)
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
        from (select r.day, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_daily r
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

create function private.dashboard_ai_usage_by_model(period_start date, period_end date)
  returns table (model text, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable security definer set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_variable
declare
  org uuid := private.admin_org_id();
  everyone boolean := org is not null;
  me uuid := auth.uid();
begin
  perform private.check_period('dashboard_ai_usage_by_model', period_start, period_end, 366);
  if not everyone then
    org := private.current_org_id();
  end if;
  if org is null then
    return;
  end if;
  if everyone then
    return query
      select x.model, sum(x.calls)::bigint, sum(x.input_tokens)::bigint, sum(x.output_tokens)::bigint, sum(x.cost_usd)
        from (select r.model, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_model_daily r
               where r.organization_id = org and r.day >= period_start and r.day < period_end
              union all
              select d.model, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.day >= period_start and d.day < period_end) x
       group by x.model
      having sum(x.calls) > 0
       order by 5 desc, 1;
  else
    return query
      select x.model, sum(x.calls)::bigint, sum(x.input_tokens)::bigint, sum(x.output_tokens)::bigint, sum(x.cost_usd)
        from (select r.model, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_daily r
               where r.organization_id = org and r.user_id = me and r.day >= period_start and r.day < period_end
              union all
              select d.model, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.user_id = me and d.day >= period_start and d.day < period_end) x
       group by x.model
      having sum(x.calls) > 0
       order by 5 desc, 1;
  end if;
end
$$;

create function private.dashboard_ai_usage_by_user(period_start date, period_end date)
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
        from (select r.user_id, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_daily r
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

-- The summary's revenue of two months from the rollup; a month without live revenue is 0, as before.
create or replace function private.dashboard_organization_summary(as_of date)
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
           (select case when sum(x.invoices) filter (where x.day >= this_month) > 0
                        then sum(x.amount) filter (where x.day >= this_month) else 0 end as current_total,
                   case when sum(x.invoices) filter (where x.day < this_month) > 0
                        then sum(x.amount) filter (where x.day < this_month) else 0 end as previous_total
              from (select r.day, r.amount, r.invoices from private.revenue_daily r
                     where r.organization_id = org and r.day >= last_month and r.day < next_month
                    union all
                    select d.day, d.amount, d.invoices from private.revenue_daily_deltas d
                     where d.organization_id = org and d.day >= last_month and d.day < next_month) x) r;
end
$$;

-- ============================================================================
-- FUNCTIONS: 009's others, with the shared checks (same behaviour and messages)
-- ============================================================================
create or replace function public.dashboard_top_customers(top_n integer default 10)
  returns table (id uuid, name text, company text, status text, total_revenue numeric, last_purchase_date date)
  language plpgsql stable set search_path = ''
  as $$
begin
  perform private.check_page_size('dashboard_top_customers', 'top_n', top_n);
  return query
    select c.id, c.name, c.company, c.status, c.total_revenue, c.last_purchase_date
      from public.customers c
     order by c.total_revenue desc, c.id
     limit top_n;
end
$$;

create or replace function private.dashboard_customers_page(
  page_size integer, after_created_at timestamptz, after_id uuid, status text, industry text, name_prefix text
) returns setof public.customers
  language plpgsql stable security definer
  set search_path = '' set plan_cache_mode = 'force_custom_plan'
  as $$
#variable_conflict use_variable
declare
  org uuid;
begin
  perform private.check_page_size('dashboard_customers_page', 'page_size', page_size);
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

create or replace function private.search_activities(
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
  perform private.check_page_size('search_activities', 'page_size', page_size);
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

-- ============================================================================
-- FUNCTIONS: the public questions become wrappers of the private implementations (same signatures)
-- ============================================================================
create or replace function public.dashboard_monthly_revenue(period_start date, period_end date)
  returns table (month date, total numeric, invoices bigint)
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_monthly_revenue(period_start, period_end);
end
$$;

create or replace function public.dashboard_activities_by_type(since timestamptz, until timestamptz)
  returns table (type text, activities bigint)
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_activities_by_type(since, until);
end
$$;

create or replace function public.dashboard_ai_usage_by_day(period_start date, period_end date)
  returns table (day date, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_ai_usage_by_day(period_start, period_end);
end
$$;

create or replace function public.dashboard_ai_usage_by_model(period_start date, period_end date)
  returns table (model text, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_ai_usage_by_model(period_start, period_end);
end
$$;

create or replace function public.dashboard_ai_usage_by_user(period_start date, period_end date)
  returns table (user_id uuid, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
  language plpgsql stable set search_path = ''
  as $$
begin
  return query select * from private.dashboard_ai_usage_by_user(period_start, period_end);
end
$$;

-- ============================================================================
-- GRANTS
-- ============================================================================
-- PostgreSQL grants EXECUTE on new functions to PUBLIC; Supabase's default privileges to the API roles
-- in public. The dashboard's implementations are for signed-in users (the public wrappers run as them);
-- the checks too (dashboard_top_customers is SECURITY INVOKER). Trigger functions and the fold,
-- rebuild and verify functions: the owner only.
revoke all on function
  private.check_period(text, date, date, integer), private.check_period(text, timestamptz, timestamptz, integer),
  private.check_page_size(text, text, integer),
  private.dashboard_monthly_revenue(date, date), private.dashboard_activities_by_type(timestamptz, timestamptz),
  private.dashboard_ai_usage_by_day(date, date), private.dashboard_ai_usage_by_model(date, date),
  private.dashboard_ai_usage_by_user(date, date)
  from public, anon, service_role;
grant execute on function
  private.check_period(text, date, date, integer), private.check_period(text, timestamptz, timestamptz, integer),
  private.check_page_size(text, text, integer),
  private.dashboard_monthly_revenue(date, date), private.dashboard_activities_by_type(timestamptz, timestamptz),
  private.dashboard_ai_usage_by_day(date, date), private.dashboard_ai_usage_by_model(date, date),
  private.dashboard_ai_usage_by_user(date, date)
  to authenticated;

revoke all on function
  private.revenue_rollup_insert(), private.revenue_rollup_update(), private.revenue_rollup_delete(),
  private.activities_rollup_insert(), private.activities_rollup_update(), private.activities_rollup_delete(),
  private.ai_usage_rollup_insert(), private.ai_usage_rollup_update(), private.ai_usage_rollup_delete(),
  private.rollup_truncate(), private.rollups_organization_delete(),
  private.rollups_merge(integer), private.rollups_rebuild(uuid), private.rollups_verify(uuid)
  from public, anon, authenticated, service_role;

-- ============================================================================
-- COMMENTS
-- ============================================================================
comment on table private.revenue_daily is
  'no policies: private rollup of public.revenue, read only by the owner''s dashboard functions. Live rows per organization and day: amount = sum(amount), invoices = count. Exact together with private.revenue_daily_deltas; folded by private.rollups_merge, recomputed by private.rollups_rebuild.';
comment on table private.activities_daily is
  'no policies: private rollup of public.activities. Live rows per organization, UTC day of created_at and type. Exact together with private.activities_daily_deltas.';
comment on table private.ai_usage_daily is
  'no policies: private rollup of public.ai_usage_log per organization, day, model and user: calls, tokens, cost. Serves a member''s own usage by day, by model and by user (idx_ai_usage_daily_org_user_day). Exact together with private.ai_usage_daily_deltas.';
comment on table private.ai_usage_model_daily is
  'no policies: private rollup of public.ai_usage_log per organization, day and model (ai_usage_daily summed over users): serves an admin''s usage by day and by model. Folded from private.ai_usage_daily_deltas with ai_usage_daily; exact together with them.';
comment on table private.ai_usage_user_daily is
  'no policies: private rollup of public.ai_usage_log per organization, day and user (ai_usage_daily summed over models): serves an admin''s usage by user. Folded from private.ai_usage_daily_deltas with ai_usage_daily; exact together with them.';
comment on table private.revenue_daily_deltas is
  'no policies: append-only log of signed changes to private.revenue_daily, written by the revenue_rollup_* statement triggers, deleted when folded by private.rollups_merge. No foreign key (write path); deltas of a deleted organization are discarded by the fold.';
comment on table private.activities_daily_deltas is
  'no policies: append-only log of signed changes to private.activities_daily (activities_rollup_* triggers), folded by private.rollups_merge.';
comment on table private.ai_usage_daily_deltas is
  'no policies: append-only log of signed changes to private.ai_usage_daily and its admin grains ai_usage_model_daily and ai_usage_user_daily (ai_usage_log_rollup_* triggers), folded into all three by private.rollups_merge.';
comment on index private.idx_ai_usage_daily_org_user_day is
  'A member''s own AI usage over a window (the dashboard''s member view), without reading other users'' rows.';
comment on index private.idx_revenue_daily_deltas_org_day is 'Pending revenue deltas of an organization''s window, read by every dashboard call.';
comment on index private.idx_activities_daily_deltas_org_day is 'Pending activity deltas of an organization''s window, read by every dashboard call.';
comment on index private.idx_ai_usage_daily_deltas_org_day is 'Pending AI usage deltas of an organization''s window, read by every dashboard call.';

comment on trigger organizations_rollup_delete on public.organizations is 'Deletes the deleted organizations'' dashboard rollup rows and pending deltas (migration 013; the rollups have no foreign key).';
comment on trigger revenue_rollup_insert on public.revenue is 'Appends + deltas of the statement''s new rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger revenue_rollup_update on public.revenue is 'Appends - old / + new deltas of the statement''s changed rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger revenue_rollup_delete on public.revenue is 'Appends - deltas of the statement''s deleted rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger revenue_rollup_truncate on public.revenue is 'Empties the table''s dashboard rollup and delta log with it (migration 013).';
comment on trigger activities_rollup_insert on public.activities is 'Appends + deltas of the statement''s new rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger activities_rollup_update on public.activities is 'Appends - old / + new deltas of the statement''s changed rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger activities_rollup_delete on public.activities is 'Appends - deltas of the statement''s deleted rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger activities_rollup_truncate on public.activities is 'Empties the table''s dashboard rollup and delta log with it (migration 013).';
comment on trigger ai_usage_log_rollup_insert on public.ai_usage_log is 'Appends + deltas of the statement''s new rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger ai_usage_log_rollup_update on public.ai_usage_log is 'Appends - old / + new deltas of the statement''s changed rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger ai_usage_log_rollup_delete on public.ai_usage_log is 'Appends - deltas of the statement''s deleted rows to the dashboard rollup''s delta log (migration 013).';
comment on trigger ai_usage_log_rollup_truncate on public.ai_usage_log is 'Empties the table''s dashboard rollup and delta log with it (migration 013).';

comment on function private.check_period(text, date, date, integer) is
  'Raises 22023 naming fn unless [period_start, period_end) is given, non-empty and at most max_days long. The dashboard functions'' shared check.';
comment on function private.check_period(text, timestamptz, timestamptz, integer) is
  'Raises 22023 naming fn unless [since, until) is given, non-empty and at most max_days long. The dashboard functions'' shared check.';
comment on function private.check_page_size(text, text, integer) is
  'Raises 22023 naming fn and the argument arg unless value is from 1 to 500. The dashboard functions'' shared check.';
comment on function private.rollups_merge(integer) is
  'Folds at most max_rows pending deltas (null: all), oldest first, into the rollups and returns how many; discards those of deleted organizations. Serialized by a transaction-level advisory lock; atomic. Owner only: pg_cron on Supabase, tenantry rollups merge, the embedded database''s timer.';
comment on function private.rollups_rebuild(uuid) is
  'Recomputes the rollups of one organization (null: all) from the raw rows and discards the deltas they reflect; per rollup: rows written and deltas discarded (those of the AI usage log counted on ai_usage_daily). Safe beside writers and folds. Owner only: after a bulk load with the rollup triggers off, or to repair.';
comment on function private.rollups_verify(uuid) is
  'Every (rollup, organization, day, dimension) where rollup + pending deltas differ from the raw rows (raw: what the raw rows give, kept: what the rollups give); no row when exact. Owner only: tenantry rollups verify, the tests.';
comment on function private.revenue_rollup_insert() is 'Trigger revenue_rollup_insert: appends + deltas for the statement''s new live rows, one per organization and day.';
comment on function private.revenue_rollup_update() is 'Trigger revenue_rollup_update: minus the old live rows, plus the new live rows (amount, date, soft delete, restore), per organization and day; nothing when no measured value changed.';
comment on function private.revenue_rollup_delete() is 'Trigger revenue_rollup_delete: minus the deleted live rows, per organization and day.';
comment on function private.activities_rollup_insert() is 'Trigger activities_rollup_insert: + deltas per organization, UTC day of created_at and type.';
comment on function private.activities_rollup_update() is 'Trigger activities_rollup_update: minus the old live rows, plus the new (type, created_at, soft delete, restore).';
comment on function private.activities_rollup_delete() is 'Trigger activities_rollup_delete: minus the deleted live rows.';
comment on function private.ai_usage_rollup_insert() is 'Trigger ai_usage_log_rollup_insert: + deltas per organization, day, model and user.';
comment on function private.ai_usage_rollup_update() is 'Trigger ai_usage_log_rollup_update: minus the old rows, plus the new (date, model, user, tokens, cost, organization).';
comment on function private.ai_usage_rollup_delete() is 'Trigger ai_usage_log_rollup_delete: minus the deleted rows.';
comment on function private.rollup_truncate() is 'Triggers *_rollup_truncate: a truncated table''s rollups and deltas are emptied with it.';
comment on function private.rollups_organization_delete() is 'Trigger organizations_rollup_delete: deletes the rollup rows and pending deltas of the deleted organizations, under the fold''s lock (in place of a foreign key).';
comment on function private.dashboard_monthly_revenue(date, date) is
  'Implementation of public.dashboard_monthly_revenue: SECURITY DEFINER to read the private rollup (revenue_daily + pending deltas); the caller''s organization (private.current_org_id()), live rows.';
comment on function private.dashboard_activities_by_type(timestamptz, timestamptz) is
  'Implementation of public.dashboard_activities_by_type: whole UTC days from activities_daily + pending deltas, the partial first and last day from public.activities; the caller''s organization, live rows.';
comment on function private.dashboard_ai_usage_by_day(date, date) is
  'Implementation of public.dashboard_ai_usage_by_day over the rollups + pending deltas: an admin counts the organization (private.admin_org_id(); ai_usage_model_daily), a member their own rows (auth.uid() in private.current_org_id(); ai_usage_daily), as the policy ai_usage_log_select.';
comment on function private.dashboard_ai_usage_by_model(date, date) is
  'Implementation of public.dashboard_ai_usage_by_model over the rollups (an admin: ai_usage_model_daily); whose usage as private.dashboard_ai_usage_by_day.';
comment on function private.dashboard_ai_usage_by_user(date, date) is
  'Implementation of public.dashboard_ai_usage_by_user over the rollups (an admin: ai_usage_user_daily); whose usage as private.dashboard_ai_usage_by_day.';
comment on function private.dashboard_organization_summary(date) is
  'Implementation of public.dashboard_organization_summary: SECURITY DEFINER so that the organization is looked up once for three tables; applies the select policies'' conditions itself (customers: the organization''s live rows; revenue: its rollup + pending deltas; profiles: the organization''s).';
comment on function public.dashboard_monthly_revenue(date, date) is
  'Live revenue of the caller''s organization by calendar month over [period_start, period_end) (at most 1,096 days): month, total, invoices. SECURITY INVOKER wrapper of private.dashboard_monthly_revenue (daily rollup).';
comment on function public.dashboard_activities_by_type(timestamptz, timestamptz) is
  'Live activities of the caller''s organization over [since, until) (at most 366 days) counted by type, most frequent first. SECURITY INVOKER wrapper of private.dashboard_activities_by_type (daily rollup, raw rows for partial days).';
comment on function public.dashboard_ai_usage_by_day(date, date) is
  'AI usage over [period_start, period_end) (at most 366 days) by day: calls, tokens, cost. A member counts their own usage, an admin the organization''s. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_day (daily rollup).';
comment on function public.dashboard_ai_usage_by_model(date, date) is
  'AI usage over [period_start, period_end) (at most 366 days) by model, costliest first; a member counts their own usage, an admin the organization''s. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_model.';
comment on function public.dashboard_ai_usage_by_user(date, date) is
  'AI usage over [period_start, period_end) (at most 366 days) by user, costliest first: a member sees their own row, an admin every user of the organization. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_user.';

-- ============================================================================
-- DATA: the rollups of the rows already there (the triggers above are in place: nothing is missed)
-- ============================================================================
select * from private.rollups_rebuild();
