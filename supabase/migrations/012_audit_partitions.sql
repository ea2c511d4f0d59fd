-- 012_audit_partitions: public.audit_logs becomes a table partitioned by month on created_at (issue 15),
-- so that keeping the trail is dropping whole months, not deleting rows, and reading it stays as fast
-- at a hundred million rows as at a million (docs/audit.md, "Partitions and retention").
--
-- What it does, in one transaction:
--   1. takes an ACCESS EXCLUSIVE lock on audit_logs (its first ALTER TABLE does, waiting at most
--      lock_timeout for it; no LOCK TABLE: `supabase db push` runs a file as one implicit transaction,
--      where LOCK TABLE is refused);
--   2. renames the table aside and creates the partitioned audit_logs with the same columns, defaults,
--      NOT NULL and CHECK constraints and column comments (LIKE ... INCLUDING: whatever earlier
--      migrations left on the old table is carried over), the same grants (copied from the old
--      table's ACL), policy, append-only trigger and comments; the primary key becomes (id, created_at)
--      because a unique constraint of a partitioned table must include the partition key;
--   3. creates a partition for every month the old rows cover, the current month and the next three,
--      and a default partition; copies every row; drops the old table; then builds the primary key
--      and the organization index on every partition.
--
-- What it locks, and for how long: audit_logs, ACCESS EXCLUSIVE, until the file commits. Every write
-- to customers, revenue, activities, organizations and profiles writes to audit_logs through the
-- audit triggers, so those writes wait too; readers of the trail wait as well. The time is the copy and
-- the index builds after it: about 1 s per 100,000 audit rows on PostgreSQL 15 here (3 s embedded),
-- measured on a 2-core machine. For a trail of a few hundred thousand rows that is seconds, applied in
-- a quiet moment; ten million rows would hold every audited write for minutes.
--
-- An operator of a huge trail (tens of millions of rows) would not run this copy under a lock.
-- Instead, before applying it: create the partitioned table under another name with its monthly
-- partitions from the current month on; add to the old table `check (created_at < <first day of next
-- month>) not valid` and `validate` it (SHARE UPDATE EXCLUSIVE: writes go on) and build
-- `create unique index concurrently ... (id, created_at)` on it; then, in one short transaction, rename
-- the two tables and `attach partition` the old table as one "archive" partition for
-- [minvalue, next month) (the validated CHECK spares the scan, so the lock is held for milliseconds).
-- The archive is dropped whole once all of it is past the retention period. This file does the simple,
-- complete version: the conversion of a table the size this project's databases have.
--
-- Partitions live in schema private, which the API does not expose. Each one is also protected on its
-- own, should it ever be reached directly: no privileges for anon, authenticated or service_role, row
-- level security on with no policy, and the append-only trigger (statement triggers of a partitioned
-- table do not fire for statements aimed at a partition). Reads and writes through public.audit_logs
-- are governed by its own policy and grants only, as before.

set lock_timeout = '5s';
-- The copy is the long part: minutes would mean a trail too large for this file (see above); past
-- that, the whole file rolls back rather than hold every audited write any longer.
set statement_timeout = '10min';

-- Renaming (and, below, dropping) the old table is the conversion itself: no client reaches it meanwhile,
-- the lock this takes is held until commit, and the new table takes its name, columns, grants and policy.
-- squawk-ignore renaming-table
alter table public.audit_logs rename to audit_logs_unpartitioned;
alter index public.audit_logs_pkey rename to audit_logs_unpartitioned_pkey;
alter index public.idx_audit_logs_org_created rename to idx_audit_logs_unpartitioned_org_created;

create table public.audit_logs (
  like public.audit_logs_unpartitioned including defaults including constraints including comments including storage
) partition by range (created_at);

alter table public.audit_logs enable row level security;
create policy audit_logs_select on public.audit_logs for select to authenticated
  using (organization_id = (select private.admin_org_id()));

create trigger audit_logs_append_only before update or delete or truncate on public.audit_logs
  for each statement execute function private.audit_logs_append_only();

-- The same privileges as the old table, whatever default privileges gave the new one.
do $grants$
declare
  g record;
begin
  for g in
    select distinct a.grantee
      from pg_catalog.pg_class c, aclexplode(c.relacl) a
     where c.oid = 'public.audit_logs'::regclass and a.grantee <> c.relowner
  loop
    execute format('revoke all on table public.audit_logs from %s',
                   case when g.grantee = 0 then 'public' else quote_ident(g.grantee::regrole::text) end);
  end loop;
  for g in
    select a.grantee, a.privilege_type, a.is_grantable
      from pg_catalog.pg_class c, aclexplode(c.relacl) a
     where c.oid = 'public.audit_logs_unpartitioned'::regclass and a.grantee <> c.relowner
  loop
    execute format('grant %s on table public.audit_logs to %s%s', g.privilege_type,
                   case when g.grantee = 0 then 'public' else quote_ident(g.grantee::regrole::text) end,
                   case when g.is_grantable then ' with grant option' else '' end);
  end loop;
end
$grants$;

-- ============================================================================
-- PARTITION MAINTENANCE
-- ============================================================================
-- Months are calendar months in UTC, whatever the session's time zone: partition
-- private.audit_logs_YYYY_MM holds [YYYY-MM-01 00:00 UTC, first day of the next month 00:00 UTC).

-- The partition for the month of p_month (any day of it), created and protected if missing.
create function private.audit_logs_ensure_partition(p_month date) returns text
  language plpgsql security definer set search_path = ''
  as $$
declare
  first_day date := date_trunc('month', p_month)::date;
  name text := 'audit_logs_' || to_char(first_day, 'YYYY_MM');
begin
  if to_regclass(format('private.%I', name)) is not null then
    return 'private.' || name;
  end if;
  execute format('create table private.%I partition of public.audit_logs for values from (%L) to (%L)', name,
                 to_char(first_day, 'YYYY-MM-DD') || ' 00:00:00+00',
                 to_char((first_day + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00');
  perform private.audit_logs_protect_partition(name);
  return 'private.' || name;
end
$$;

-- What every partition gets: reachable through public.audit_logs only.
create function private.audit_logs_protect_partition(p_name text) returns void
  language plpgsql security definer set search_path = ''
  as $$
begin
  execute format('revoke all on table private.%I from public, anon, authenticated, service_role', p_name);
  execute format('alter table private.%I enable row level security', p_name);
  execute format('create trigger audit_logs_append_only before update or delete or truncate on private.%I '
                 'for each statement execute function private.audit_logs_append_only()', p_name);
  execute format('comment on trigger audit_logs_append_only on private.%I is %L', p_name,
                 'Refuses UPDATE, DELETE and TRUNCATE of this partition, for everyone (the trigger of public.audit_logs does not fire for statements aimed at a partition).');
  execute format('comment on table private.%I is %L', p_name,
                 'A partition of public.audit_logs: read and written through it only. No policies, no grants to API roles, append-only.');
end
$$;

-- Moves the rows found in the default partition into monthly partitions (created as needed): detaches
-- the default, creates the months, puts a new empty default in place and re-inserts the rows through
-- public.audit_logs; the old default is dropped. No row is ever updated or deleted. Returns the rows
-- moved per month.
create function private.audit_logs_sweep_default() returns table (partition_name text, moved bigint)
  language plpgsql security definer set search_path = ''
  as $$
declare
  m record;
  has_rows boolean;
begin
  execute 'select exists (select 1 from private.audit_logs_default)' into has_rows;
  if not has_rows then
    return;
  end if;
  alter table public.audit_logs detach partition private.audit_logs_default;
  alter table private.audit_logs_default rename to audit_logs_default_swept;
  for m in execute
    'select date_trunc(''month'', d.created_at at time zone ''UTC'')::date as first_day, count(*) as n
       from private.audit_logs_default_swept d group by 1 order by 1'
  loop
    partition_name := private.audit_logs_ensure_partition(m.first_day);
    moved := m.n;
    return next;
  end loop;
  create table private.audit_logs_default partition of public.audit_logs default;
  perform private.audit_logs_protect_partition('audit_logs_default');
  execute 'insert into public.audit_logs select * from private.audit_logs_default_swept';
  execute 'drop table private.audit_logs_default_swept';
end
$$;

-- Keeps partitions ahead of need: the current month and the next p_months_ahead exist, and rows that
-- landed in the default partition are moved to their month. Run by `tenantry migrate`, `tenantry seed`
-- and, on Supabase, a monthly pg_cron job (docs/audit.md). Returns what it did, one row per partition.
create function private.audit_logs_maintain(p_months_ahead integer default 3)
  returns table (partition_name text, action text, rows bigint)
  language plpgsql security definer set search_path = ''
  as $$
declare
  this_month date := date_trunc('month', now() at time zone 'UTC')::date;
  i integer;
  name text;
  s record;
begin
  if p_months_ahead is null or p_months_ahead < 0 or p_months_ahead > 120 then
    raise exception 'months ahead must be from 0 to 120, not %', p_months_ahead using errcode = '22023';
  end if;
  if to_regclass('private.audit_logs_default') is null then
    create table private.audit_logs_default partition of public.audit_logs default;
    perform private.audit_logs_protect_partition('audit_logs_default');
    partition_name := 'private.audit_logs_default'; action := 'created'; rows := 0;
    return next;
  end if;
  for s in select * from private.audit_logs_sweep_default() loop
    partition_name := s.partition_name; action := 'moved'; rows := s.moved;
    return next;
  end loop;
  for i in 0 .. p_months_ahead loop
    name := 'audit_logs_' || to_char(this_month + make_interval(months => i), 'YYYY_MM');
    if to_regclass(format('private.%I', name)) is null then
      partition_name := private.audit_logs_ensure_partition((this_month + make_interval(months => i))::date);
      action := 'created'; rows := 0;
      return next;
    end if;
  end loop;
end
$$;

-- Drops every monthly partition before p_before (the first day of a month), after moving stray rows
-- out of the default partition. Refuses the current and the previous month (UTC). Detaches and drops
-- whole partitions, never deletes a row; then files one audit row per organization whose trail lost
-- rows (action DELETE, table audit_logs, old_data: the months, the organization's rows and the total).
create function private.audit_logs_prune(p_before date) returns table (month text, rows bigint)
  language plpgsql security definer set search_path = '' set lock_timeout = '5s'
  as $$
declare
  keep_from date := (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date;
  p record;
  names text[] := '{}';
  months text[] := '{}';
  total bigint := 0;
  name text;
begin
  if p_before is null or p_before <> date_trunc('month', p_before)::date then
    raise exception 'prune takes the first day of a month, not %', p_before using errcode = '22023';
  end if;
  if p_before > keep_from then
    raise exception 'refusing to prune % or later: the current and the previous month are kept',
      to_char(keep_from, 'YYYY-MM') using errcode = '22023';
  end if;
  perform private.audit_logs_sweep_default();

  create temporary table audit_prune_counts (organization_id uuid, n bigint) on commit drop;
  for p in
    select c.relname::text as name, to_date(substr(c.relname, 12), 'YYYY_MM') as first_day
      from pg_catalog.pg_inherits i
      join pg_catalog.pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'public.audit_logs'::regclass
       and c.relnamespace = 'private'::regnamespace
       and c.relname ~ '^audit_logs_[0-9]{4}_[0-9]{2}$'
       and to_date(substr(c.relname, 12), 'YYYY_MM') < p_before
     order by 2
  loop
    -- Nothing may be written into the month between counting and dropping it.
    execute format('lock table private.%I in share mode', p.name);
    execute format('insert into pg_temp.audit_prune_counts select organization_id, count(*) from private.%I group by 1', p.name);
    -- The month's rows are what its organizations' counts add up to: one scan of the month, not two.
    select coalesce(sum(c.n), 0) - total into rows from pg_temp.audit_prune_counts c;
    month := to_char(p.first_day, 'YYYY-MM');
    names := names || p.name;
    months := months || month;
    total := total + rows;
    return next;
  end loop;
  -- From the first DETACH on, audit_logs is locked (ACCESS EXCLUSIVE) until commit: only quick steps follow.
  foreach name in array names loop
    execute format('alter table public.audit_logs detach partition private.%I', name);
    execute format('drop table private.%I', name);
  end loop;

  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select c.organization_id, auth.uid(), 'DELETE', 'audit_logs', null,
         jsonb_build_object('pruned_months', to_jsonb(months), 'rows', sum(c.n), 'rows_all_organizations', total,
                            'by', coalesce(nullif(auth.role(), ''), session_user::text)),
         null
    from pg_temp.audit_prune_counts c
   group by c.organization_id;
  drop table pg_temp.audit_prune_counts;
end
$$;

revoke all on function private.audit_logs_ensure_partition(date), private.audit_logs_protect_partition(text),
  private.audit_logs_sweep_default(), private.audit_logs_maintain(integer), private.audit_logs_prune(date)
  from public, anon, authenticated, service_role;
grant execute on function private.audit_logs_maintain(integer), private.audit_logs_prune(date) to service_role;

-- ============================================================================
-- THE ROWS
-- ============================================================================
-- A partition for every month the old rows cover, then the current month and three ahead, and the
-- default; then every row, as it was (id and created_at included).
select private.audit_logs_ensure_partition(m.first_day)
  from (select distinct date_trunc('month', created_at at time zone 'UTC')::date as first_day
          from public.audit_logs_unpartitioned) m;
select private.audit_logs_maintain(3);

do $copy$
declare
  columns text;
begin
  select string_agg(quote_ident(attname), ', ' order by attnum) into columns
    from pg_catalog.pg_attribute
   where attrelid = 'public.audit_logs_unpartitioned'::regclass and attnum > 0 and not attisdropped;
  execute format('insert into public.audit_logs (%s) select %s from public.audit_logs_unpartitioned', columns, columns);
end
$copy$;

-- squawk-ignore ban-drop-table
drop table public.audit_logs_unpartitioned;

-- The keys after the rows: building an index over rows already there is several times faster than growing
-- it row by row, and nothing else can reach the table before this file commits.
-- squawk-ignore adding-serial-primary-key-field
alter table public.audit_logs add constraint audit_logs_pkey primary key (id, created_at);
-- An organization's trail newest first, in keyset order (created_at, id): one index per partition.
create index idx_audit_logs_org_created on public.audit_logs (organization_id, created_at, id);

-- ============================================================================
-- COMMENTS
-- ============================================================================
comment on table public.audit_logs is
  'Append-only audit trail, written by triggers only: one row per changed row of customers, revenue and activities, per update or delete of an organization, per change of a profile''s role or organization. Read by the organization''s admins; nobody may update, delete or truncate it. Partitioned by month on created_at (partitions in schema private, kept by private.audit_logs_maintain, dropped by private.audit_logs_prune).';
comment on column public.audit_logs.id is 'Primary key, with created_at (the partition key).';
comment on column public.audit_logs.created_at is
  'When the change was recorded (clock_timestamp(): rows of one transaction keep their order). The partition key: one partition per calendar month in UTC.';
comment on index public.idx_audit_logs_org_created is
  'An organization''s trail in keyset order (created_at, id), in every partition: the audit_logs policy and readAuditTrail, newest first.';
comment on policy audit_logs_select on public.audit_logs is 'Admins read their organization''s audit trail. No write policy: rows come from triggers.';
comment on trigger audit_logs_append_only on public.audit_logs is 'Refuses UPDATE, DELETE and TRUNCATE, for everyone.';
comment on function private.audit_logs_ensure_partition(date) is
  'Creates (if missing) the partition private.audit_logs_YYYY_MM of public.audit_logs for the UTC month of p_month, protected by private.audit_logs_protect_partition; returns its name.';
comment on function private.audit_logs_protect_partition(text) is
  'Protects a partition of public.audit_logs on its own: no privileges for API roles, row level security with no policy, the append-only trigger.';
comment on function private.audit_logs_sweep_default() is
  'Moves rows found in the default partition of public.audit_logs into their monthly partitions (detach, create, re-insert, drop: no row updated or deleted); returns the rows moved per partition.';
comment on function private.audit_logs_maintain(integer) is
  'Partition upkeep of public.audit_logs: ensures the default partition, the current month and p_months_ahead more (default 3), and moves rows out of the default partition. Returns one row per partition created or filled. Run by tenantry migrate and seed, and monthly by pg_cron on Supabase.';
comment on function private.audit_logs_prune(date) is
  'Retention: detaches and drops every monthly partition of public.audit_logs before p_before (a first day of a month), never the current or the previous month, and files one DELETE row (table audit_logs) per organization that lost rows, saying the months, its rows and the total. Owner and service_role only.';
