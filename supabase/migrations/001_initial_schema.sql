-- 001_initial_schema: organizations, profiles, tenant business tables, audit, AI usage, preferences.
--
-- Applies unchanged with `supabase db push` to a Supabase project, and to plain PostgreSQL 15+ or the
-- embedded database after supabase/compat/supabase_compat.sql. The access policy it implements is
-- written out in docs/access-policy.md and proven by test/access-matrix.test.ts.
--
-- Vocabulary used in comments:
--   untrusted role  anon or authenticated: subject to RLS, the roles API requests run as.
--   trusted role    anything else (the owner, service_role, superusers): bypasses RLS, "system".
--   actor           auth.uid() of the request; NULL in system context.

-- ============================================================================
-- SCHEMAS
-- ============================================================================
-- Helpers live in a schema the API does not expose (Supabase exposes public and graphql_public).
create schema private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
-- PostgreSQL grants EXECUTE on every new function to PUBLIC, and a per-schema default privilege can't
-- take that back: each migration revokes it explicitly for the functions it creates (see GRANTS).

-- ============================================================================
-- TABLES
-- ============================================================================
create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null constraint organizations_slug_key unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One profile per auth user, created by a trigger on auth.users. A user belongs to at most one
-- organization; organization_id NULL means "outsider".
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  full_name text,
  avatar_url text,
  organization_id uuid references public.organizations (id) on delete set null,
  role text not null default 'member' constraint profiles_role_check check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- total_revenue and last_purchase_date are derived from the customer's live revenue rows and kept
-- by triggers on revenue; writes to them from anywhere else are ignored.
create table public.customers (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null,
  email text,
  company text,
  industry text,
  total_revenue numeric(12, 2) not null default 0,
  last_purchase_date date,
  status text not null default 'active'
    constraint customers_status_check check (status in ('active', 'inactive', 'churned')),
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Target of the tenant-safe foreign keys below: a row may only point at a customer of its own org.
  constraint customers_id_organization_id_key unique (id, organization_id)
);

create table public.revenue (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  customer_id uuid,
  amount numeric(12, 2) not null,
  date date not null,
  category text,
  description text,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  -- A plain FK on customer_id would let an admin attach revenue to another tenant's customer (FK
  -- checks bypass RLS). SET NULL (customer_id) keeps organization_id when the customer goes.
  constraint revenue_customer_id_fkey foreign key (customer_id, organization_id)
    references public.customers (id, organization_id) on delete set null (customer_id)
);

create table public.activities (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  type text not null
    constraint activities_type_check check (type in ('signup', 'purchase', 'churn', 'login', 'export')),
  customer_id uuid,
  metadata jsonb not null default '{}'::jsonb,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  constraint activities_customer_id_fkey foreign key (customer_id, organization_id)
    references public.customers (id, organization_id) on delete set null (customer_id)
);

-- Append-only. organization_id has no foreign key on purpose: the trail must outlive the
-- organization it describes (a cascade would have to delete audit rows, which nobody may do).
-- user_id NULL = system actor.
create table public.audit_logs (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  user_id uuid,
  action text not null
    constraint audit_logs_action_check check (action in ('INSERT', 'UPDATE', 'DELETE', 'SOFT_DELETE', 'RESTORE')),
  table_name text not null,
  record_id uuid,
  old_data jsonb,
  new_data jsonb,
  -- clock_timestamp(), not now(): rows written by one transaction keep the order of their changes.
  created_at timestamptz not null default clock_timestamp()
);

create table public.ai_usage_log (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  query_id uuid not null,
  input_tokens integer not null default 0 constraint ai_usage_log_input_tokens_check check (input_tokens >= 0),
  output_tokens integer not null default 0 constraint ai_usage_log_output_tokens_check check (output_tokens >= 0),
  cost_usd numeric(10, 4) not null default 0 constraint ai_usage_log_cost_usd_check check (cost_usd >= 0),
  model text not null,
  date date not null,
  created_at timestamptz not null default now()
);

create table public.user_preferences (
  user_id uuid primary key references public.profiles (id) on delete cascade,
  theme_preference text not null default 'system'
    constraint user_preferences_theme_preference_check check (theme_preference in ('light', 'dark', 'system')),
  updated_at timestamptz not null default now()
);

-- ============================================================================
-- HELPERS (membership; SECURITY DEFINER so policies on profiles can't recurse into themselves)
-- ============================================================================
-- Read when the query runs, so a removed member loses access at once. Policies call them as
-- (select private.fn()): evaluated once per statement, and the comparison can use an index.
create function private.current_org_id() returns uuid
  language sql stable security definer set search_path = ''
  as $$ select p.organization_id from public.profiles p where p.id = auth.uid() $$;

create function private.admin_org_id() returns uuid
  language sql stable security definer set search_path = ''
  as $$ select p.organization_id from public.profiles p where p.id = auth.uid() and p.role = 'admin' $$;

-- Locks the organization row so that two admins demoting each other can't both succeed.
create function private.assert_not_last_admin(p_organization_id uuid, p_profile_id uuid) returns void
  language plpgsql security definer set search_path = ''
  as $$
begin
  perform 1 from public.organizations o where o.id = p_organization_id for update;
  if not found then
    return; -- the organization itself is being deleted
  end if;
  if not exists (
    select 1 from public.profiles p
     where p.organization_id = p_organization_id and p.role = 'admin' and p.id <> p_profile_id
  ) then
    raise exception 'cannot demote or remove the last admin of organization %', p_organization_id
      using errcode = '23514', table = 'profiles', column = 'role', constraint = 'organization_keeps_an_admin',
            hint = 'Promote another member to admin first.';
  end if;
end
$$;

-- ============================================================================
-- ROW LEVEL SECURITY AND POLICIES
-- ============================================================================
-- Every policy is for authenticated only: anon matches none and so sees and changes nothing.
-- One permissive policy per table and command (Supabase's multiple_permissive_policies lint).
alter table public.organizations enable row level security;
alter table public.profiles enable row level security;
alter table public.customers enable row level security;
alter table public.revenue enable row level security;
alter table public.activities enable row level security;
alter table public.audit_logs enable row level security;
alter table public.ai_usage_log enable row level security;
alter table public.user_preferences enable row level security;

-- organizations: no INSERT policy (public.create_organization), no DELETE policy (system only).
create policy organizations_select on public.organizations for select to authenticated
  using (id = (select private.current_org_id()));
create policy organizations_update on public.organizations for update to authenticated
  using (id = (select private.admin_org_id()))
  with check (id = (select private.admin_org_id()));

-- profiles: no INSERT/DELETE policy (created by trigger, deleted with the auth user). Which columns
-- an UPDATE may change is decided by private.profiles_guard(); an admin's removal of a member
-- (organization_id -> NULL) is carried out by private.remove_member(), because the removed row no
-- longer passes these policies.
create policy profiles_select on public.profiles for select to authenticated
  using (id = (select auth.uid()) or organization_id = (select private.current_org_id()));
create policy profiles_update on public.profiles for update to authenticated
  using (id = (select auth.uid()) or organization_id = (select private.admin_org_id()))
  with check (id = (select auth.uid()) or organization_id = (select private.admin_org_id()));

-- customers, revenue, activities: members read live rows; admins write. An admin's DELETE becomes a
-- soft delete (trigger below); trash listing and restore go through public functions.
create policy customers_select on public.customers for select to authenticated
  using (organization_id = (select private.current_org_id()) and deleted_at is null);
create policy customers_insert on public.customers for insert to authenticated
  with check (organization_id = (select private.admin_org_id()) and deleted_at is null);
create policy customers_update on public.customers for update to authenticated
  using (organization_id = (select private.admin_org_id()) and deleted_at is null)
  with check (organization_id = (select private.admin_org_id()) and deleted_at is null);
create policy customers_delete on public.customers for delete to authenticated
  using (organization_id = (select private.admin_org_id()) and deleted_at is null);

create policy revenue_select on public.revenue for select to authenticated
  using (organization_id = (select private.current_org_id()) and deleted_at is null);
create policy revenue_insert on public.revenue for insert to authenticated
  with check (organization_id = (select private.admin_org_id()) and deleted_at is null);
create policy revenue_update on public.revenue for update to authenticated
  using (organization_id = (select private.admin_org_id()) and deleted_at is null)
  with check (organization_id = (select private.admin_org_id()) and deleted_at is null);
create policy revenue_delete on public.revenue for delete to authenticated
  using (organization_id = (select private.admin_org_id()) and deleted_at is null);

create policy activities_select on public.activities for select to authenticated
  using (organization_id = (select private.current_org_id()) and deleted_at is null);
create policy activities_insert on public.activities for insert to authenticated
  with check (organization_id = (select private.admin_org_id()) and deleted_at is null);
create policy activities_update on public.activities for update to authenticated
  using (organization_id = (select private.admin_org_id()) and deleted_at is null)
  with check (organization_id = (select private.admin_org_id()) and deleted_at is null);
create policy activities_delete on public.activities for delete to authenticated
  using (organization_id = (select private.admin_org_id()) and deleted_at is null);

-- audit_logs: admins read their organization's trail; rows are written by triggers only.
create policy audit_logs_select on public.audit_logs for select to authenticated
  using (organization_id = (select private.admin_org_id()));

-- ai_usage_log: members read their own rows, admins the whole organization's; written by the server.
create policy ai_usage_log_select on public.ai_usage_log for select to authenticated
  using (
    organization_id = (select private.admin_org_id())
    or (user_id = (select auth.uid()) and organization_id = (select private.current_org_id()))
  );

-- user_preferences: strictly one's own row, admins included.
create policy user_preferences_own on public.user_preferences for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- ============================================================================
-- TRIGGERS: row guards and updated_at
-- ============================================================================
create function private.touch_updated_at() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create function private.reject_key_change() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  raise exception '%.id and organization_id cannot change', tg_table_name
    using errcode = '42501', table = tg_table_name, column = 'organization_id';
end
$$;

-- SECURITY INVOKER on purpose: current_user tells an API request (untrusted role) from trusted code
-- (the owner, service_role, or a SECURITY DEFINER function of this migration).
create function private.profiles_guard() returns trigger
  language plpgsql set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  actor_is_admin boolean;
begin
  if new.id is distinct from old.id then
    raise exception 'profiles.id cannot change' using errcode = '42501', table = 'profiles', column = 'id';
  end if;

  if current_user in ('anon', 'authenticated') then
    -- is not distinct from: admin_org_id() is NULL for a non-admin, and NULL must not pass as "not denied".
    actor_is_admin := old.organization_id is not null and old.organization_id is not distinct from private.admin_org_id();
    if new.email is distinct from old.email then
      raise exception 'profiles.email follows auth.users and cannot be changed here'
        using errcode = '42501', table = 'profiles', column = 'email';
    end if;
    if new.created_at is distinct from old.created_at then
      raise exception 'profiles.created_at cannot change' using errcode = '42501', table = 'profiles', column = 'created_at';
    end if;
    if new.organization_id is distinct from old.organization_id then
      -- Removal (to NULL) is an admin's, through public.remove_member(); nobody moves a profile between orgs.
      if new.organization_id is not null or not actor_is_admin then
        raise exception 'profiles.organization_id can only be cleared by an admin of that organization'
          using errcode = '42501', table = 'profiles', column = 'organization_id';
      end if;
    end if;
    if new.role is distinct from old.role and not actor_is_admin then
      raise exception 'only an admin of the organization can change roles'
        using errcode = '42501', table = 'profiles', column = 'role';
    end if;
    if (new.full_name, new.avatar_url) is distinct from (old.full_name, old.avatar_url) and old.id is distinct from actor then
      raise exception 'full_name and avatar_url can only be changed by the user themselves'
        using errcode = '42501', table = 'profiles', column = 'full_name';
    end if;
    -- An admin clearing another member's organization_id: the removed row would fail the SELECT and
    -- UPDATE policies' checks on the new row, so the plain UPDATE is carried out by remove_member()
    -- and the statement itself changes nothing more (it reports 0 rows updated).
    if new.organization_id is null and old.organization_id is not null and old.id is distinct from actor then
      perform private.remove_member(old.id);
      return null;
    end if;
  end if;

  -- A profile that leaves its organization becomes an outsider with no role there.
  if new.organization_id is null and old.organization_id is not null then
    new.role := 'member';
  end if;
  if old.role = 'admin' and old.organization_id is not null
     and (new.role <> 'admin' or new.organization_id is distinct from old.organization_id) then
    perform private.assert_not_last_admin(old.organization_id, old.id);
  end if;

  new.updated_at := now();
  return new;
end
$$;

-- customers' derived columns can only be written by private.revenue_totals_*; any other write to
-- them is ignored. The flag alone is not trusted: an API user could set it with set_config().
create function private.customers_keep_derived() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  if current_user not in ('anon', 'authenticated')
     and current_setting('tenantry.maintaining_totals', true) = 'on' then
    return new;
  end if;
  if tg_op = 'INSERT' then
    new.total_revenue := 0;
    new.last_purchase_date := null;
  else
    new.total_revenue := old.total_revenue;
    new.last_purchase_date := old.last_purchase_date;
  end if;
  return new;
end
$$;

create trigger organizations_touch_updated_at before update on public.organizations
  for each row execute function private.touch_updated_at();
create trigger organizations_reject_key_change before update on public.organizations
  for each row when (old.id is distinct from new.id) execute function private.reject_key_change();

create trigger profiles_guard before update on public.profiles
  for each row execute function private.profiles_guard();

create trigger customers_touch_updated_at before update on public.customers
  for each row execute function private.touch_updated_at();
create trigger customers_keep_derived_on_insert before insert on public.customers
  for each row when (new.total_revenue <> 0 or new.last_purchase_date is not null)
  execute function private.customers_keep_derived();
create trigger customers_keep_derived_on_update before update on public.customers
  for each row when (old.total_revenue is distinct from new.total_revenue
                     or old.last_purchase_date is distinct from new.last_purchase_date)
  execute function private.customers_keep_derived();

create trigger user_preferences_touch_updated_at before update on public.user_preferences
  for each row execute function private.touch_updated_at();

create trigger customers_reject_key_change before update on public.customers
  for each row when (old.id is distinct from new.id or old.organization_id is distinct from new.organization_id)
  execute function private.reject_key_change();
create trigger revenue_reject_key_change before update on public.revenue
  for each row when (old.id is distinct from new.id or old.organization_id is distinct from new.organization_id)
  execute function private.reject_key_change();
create trigger activities_reject_key_change before update on public.activities
  for each row when (old.id is distinct from new.id or old.organization_id is distinct from new.organization_id)
  execute function private.reject_key_change();

-- ============================================================================
-- TRIGGERS: soft delete
-- ============================================================================
-- Sets or clears deleted_at on one row of the caller's organization, if the caller is its admin.
-- Returns whether a row changed. The table name is checked against a fixed list before use.
create function private.set_deleted(p_table text, p_id uuid, p_deleted boolean) returns boolean
  language plpgsql security definer set search_path = ''
  as $$
declare
  admin_org uuid := private.admin_org_id();
  changed integer;
begin
  if p_table is null or p_table not in ('customers', 'revenue', 'activities') then
    raise exception 'soft delete is not available for table "%"', p_table
      using errcode = '22023', hint = 'Use customers, revenue or activities.';
  end if;
  if admin_org is null then
    return false;
  end if;
  execute format(
    'update public.%I set deleted_at = case when $3 then now() end
      where id = $1 and organization_id = $2 and (deleted_at is null) = $3', p_table)
    using p_id, admin_org, p_deleted;
  get diagnostics changed = row_count;
  return changed = 1;
end
$$;

-- An API user's DELETE (already filtered by the admin-only DELETE policy) keeps the row and marks it
-- deleted; trusted roles delete for real. The statement reports 0 rows deleted for a soft delete.
create function private.soft_delete_instead() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  perform private.set_deleted(tg_table_name, old.id, true);
  return null;
end
$$;

-- The sketched soft delete, `UPDATE ... SET deleted_at = now()` by an admin, would fail the policies'
-- checks on the new (hidden) row; a pure soft-delete UPDATE is carried out like a DELETE instead.
-- An UPDATE that changes anything else as well goes the normal way, and the policies refuse it.
create function private.soft_delete_by_update() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  if (to_jsonb(new) - 'deleted_at' - 'updated_at') is distinct from (to_jsonb(old) - 'deleted_at' - 'updated_at') then
    return new;
  end if;
  perform private.set_deleted(tg_table_name, old.id, true);
  return null;
end
$$;

create trigger customers_soft_delete before delete on public.customers
  for each row when (current_user in ('anon', 'authenticated')) execute function private.soft_delete_instead();
create trigger revenue_soft_delete before delete on public.revenue
  for each row when (current_user in ('anon', 'authenticated')) execute function private.soft_delete_instead();
create trigger activities_soft_delete before delete on public.activities
  for each row when (current_user in ('anon', 'authenticated')) execute function private.soft_delete_instead();

create trigger customers_soft_delete_by_update before update on public.customers
  for each row when (current_user in ('anon', 'authenticated') and old.deleted_at is null and new.deleted_at is not null)
  execute function private.soft_delete_by_update();
create trigger revenue_soft_delete_by_update before update on public.revenue
  for each row when (current_user in ('anon', 'authenticated') and old.deleted_at is null and new.deleted_at is not null)
  execute function private.soft_delete_by_update();
create trigger activities_soft_delete_by_update before update on public.activities
  for each row when (current_user in ('anon', 'authenticated') and old.deleted_at is null and new.deleted_at is not null)
  execute function private.soft_delete_by_update();

-- ============================================================================
-- TRIGGERS: customers' derived revenue figures (set-based, one statement per write)
-- ============================================================================
create function private.revenue_totals_after_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  perform set_config('tenantry.maintaining_totals', 'on', true);
  update public.customers c
     set total_revenue = c.total_revenue + s.amount,
         last_purchase_date = greatest(c.last_purchase_date, s.last_date)
    from (select n.customer_id, sum(n.amount) as amount, max(n.date) as last_date
            from new_rows n
           where n.customer_id is not null and n.deleted_at is null
           group by n.customer_id) s
   where c.id = s.customer_id;
  perform set_config('tenantry.maintaining_totals', 'off', true);
  return null;
end
$$;

-- Updates and deletes recompute from the live rows: max() can't be maintained incrementally. The
-- customers are locked first, in id order, so the sums read after the lock include every revenue
-- row committed by a concurrent writer of the same customer.
create function private.revenue_totals_recompute() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  affected uuid[];
begin
  if tg_op = 'UPDATE' then
    select array_agg(distinct x.customer_id) into affected
      from old_rows o
      join new_rows n on n.id = o.id
      cross join lateral (values (o.customer_id), (n.customer_id)) x(customer_id)
     where x.customer_id is not null
       and (o.amount, o.date, o.customer_id, o.deleted_at) is distinct from (n.amount, n.date, n.customer_id, n.deleted_at);
  else
    select array_agg(distinct o.customer_id) into affected from old_rows o where o.customer_id is not null;
  end if;
  if affected is null then
    return null;
  end if;

  perform 1 from public.customers c where c.id = any (affected) order by c.id for update;
  perform set_config('tenantry.maintaining_totals', 'on', true);
  update public.customers c
     set total_revenue = s.total, last_purchase_date = s.last_date
    from (select a.id, coalesce(sum(r.amount), 0) as total, max(r.date) as last_date
            from unnest(affected) a(id)
            left join public.revenue r on r.customer_id = a.id and r.deleted_at is null
           group by a.id) s
   where c.id = s.id
     and (c.total_revenue, c.last_purchase_date) is distinct from (s.total, s.last_date);
  perform set_config('tenantry.maintaining_totals', 'off', true);
  return null;
end
$$;

create trigger revenue_totals_after_insert after insert on public.revenue
  referencing new table as new_rows
  for each statement execute function private.revenue_totals_after_insert();
create trigger revenue_totals_after_update after update on public.revenue
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.revenue_totals_recompute();
create trigger revenue_totals_after_delete after delete on public.revenue
  referencing old table as old_rows
  for each statement execute function private.revenue_totals_recompute();

-- ============================================================================
-- TRIGGERS: audit
-- ============================================================================
-- Business tables: statement-level with transition tables, one INSERT ... SELECT per statement.
-- organization_id comes from the row itself (OLD on delete); user_id is the actor (NULL = system).
create function private.audit_insert() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select n.organization_id, actor, 'INSERT', tg_table_name, n.id, null, to_jsonb(n)
    from new_rows n;
  return null;
end
$$;

-- Trigger arguments name columns whose changes alone are not audited (derived or bookkeeping values).
create function private.audit_update() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  ignored text[] := coalesce(tg_argv, '{}');
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select n.organization_id, actor,
         -- Read through jsonb so that tables without deleted_at can use this function too.
         case
           when j.old_row ->> 'deleted_at' is null and j.new_row ->> 'deleted_at' is not null then 'SOFT_DELETE'
           when j.old_row ->> 'deleted_at' is not null and j.new_row ->> 'deleted_at' is null then 'RESTORE'
           else 'UPDATE'
         end,
         tg_table_name, n.id, j.old_row, j.new_row
    from old_rows o
    join new_rows n on n.id = o.id
    -- Each row converted once, not once per use.
    cross join lateral (select to_jsonb(o) as old_row, to_jsonb(n) as new_row) j
   where j.old_row - ignored is distinct from j.new_row - ignored;
  return null;
end
$$;

create function private.audit_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select o.organization_id, actor, 'DELETE', tg_table_name, o.id, to_jsonb(o), null
    from old_rows o;
  return null;
end
$$;

create trigger customers_audit_insert after insert on public.customers
  referencing new table as new_rows for each statement execute function private.audit_insert();
create trigger customers_audit_update after update on public.customers
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.audit_update('updated_at', 'total_revenue', 'last_purchase_date');
create trigger customers_audit_delete after delete on public.customers
  referencing old table as old_rows for each statement execute function private.audit_delete();

create trigger revenue_audit_insert after insert on public.revenue
  referencing new table as new_rows for each statement execute function private.audit_insert();
create trigger revenue_audit_update after update on public.revenue
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.audit_update();
create trigger revenue_audit_delete after delete on public.revenue
  referencing old table as old_rows for each statement execute function private.audit_delete();

create trigger activities_audit_insert after insert on public.activities
  referencing new table as new_rows for each statement execute function private.audit_insert();
create trigger activities_audit_update after update on public.activities
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.audit_update();
create trigger activities_audit_delete after delete on public.activities
  referencing old table as old_rows for each statement execute function private.audit_delete();

-- Organizations and memberships change rarely: row-level, filtered by WHEN.
create function private.audit_organization() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  values (old.id, auth.uid(), tg_op, tg_table_name, old.id, to_jsonb(old),
          case when tg_op = 'UPDATE' then to_jsonb(new) end);
  return null;
end
$$;

-- A membership change is filed under the organization the profile leaves, or else joins.
create function private.audit_profile() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  if tg_op = 'DELETE' then
    insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
    values (old.organization_id, auth.uid(), 'DELETE', tg_table_name, old.id, to_jsonb(old), null);
  else
    insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
    values (coalesce(old.organization_id, new.organization_id), auth.uid(), 'UPDATE', tg_table_name, new.id,
            to_jsonb(old), to_jsonb(new));
  end if;
  return null;
end
$$;

create trigger organizations_audit_update after update on public.organizations
  for each row when ((to_jsonb(old) - 'updated_at') is distinct from (to_jsonb(new) - 'updated_at'))
  execute function private.audit_organization();
create trigger organizations_audit_delete after delete on public.organizations
  for each row execute function private.audit_organization();

-- A change to a profile outside any organization (an outsider's role) belongs to no tenant's trail.
create trigger profiles_audit_update after update on public.profiles
  for each row when ((old.role is distinct from new.role or old.organization_id is distinct from new.organization_id)
                     and (old.organization_id is not null or new.organization_id is not null))
  execute function private.audit_profile();
create trigger profiles_audit_delete after delete on public.profiles
  for each row when (old.organization_id is not null)
  execute function private.audit_profile();

-- Nobody changes or removes audit rows, service_role and the owner included (REVOKEs below stop the
-- API roles; this stops the rest).
create function private.audit_logs_append_only() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  raise exception 'audit_logs is append-only: % is not allowed', tg_op
    using errcode = '42501', table = 'audit_logs';
end
$$;

create trigger audit_logs_append_only before update or delete or truncate on public.audit_logs
  for each statement execute function private.audit_logs_append_only();

-- ============================================================================
-- TRIGGERS: auth.users -> profiles
-- ============================================================================
-- GoTrue inserts as supabase_auth_admin with search_path = auth: SECURITY DEFINER, qualified names.
create function private.handle_new_user() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into public.profiles (id, email, full_name, avatar_url)
  values (new.id, coalesce(new.email, ''),
          new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'avatar_url');
  return new;
end
$$;

create function private.handle_user_email_change() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  update public.profiles set email = coalesce(new.email, '') where id = new.id;
  return new;
end
$$;

create trigger profiles_on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();
create trigger profiles_on_auth_user_email_changed after update of email on auth.users
  for each row when (old.email is distinct from new.email)
  execute function private.handle_user_email_change();

-- ============================================================================
-- FUNCTIONS (the API): SECURITY INVOKER wrappers in public around SECURITY DEFINER code in private,
-- so nothing in the exposed schema runs with the owner's rights.
-- ============================================================================
create function private.create_organization(p_name text, p_slug text) returns uuid
  language plpgsql security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  current_org uuid;
  new_org uuid;
begin
  if actor is null then
    raise exception 'create_organization needs a signed-in user' using errcode = '42501';
  end if;
  select p.organization_id into current_org from public.profiles p where p.id = actor for update;
  if not found then
    raise exception 'user % has no profile', actor using errcode = '42501', table = 'profiles';
  end if;
  if current_org is not null then
    raise exception 'user % already belongs to an organization', actor
      using errcode = '55000', table = 'profiles', column = 'organization_id',
            hint = 'A user belongs to one organization; leave it before creating another.';
  end if;
  insert into public.organizations (name, slug) values (p_name, p_slug) returning id into new_org;
  update public.profiles set organization_id = new_org, role = 'admin' where id = actor;
  return new_org;
end
$$;

create function public.create_organization(name text, slug text) returns uuid
  language sql volatile set search_path = ''
  as $$ select private.create_organization(name, slug) $$;

-- An admin removes a member (or themselves) from their organization. Unknown and foreign profiles
-- get the same answer, so the call reveals nothing about other tenants.
create function private.remove_member(p_user_id uuid) returns void
  language plpgsql security definer set search_path = ''
  as $$
declare
  target_org uuid;
begin
  select p.organization_id into target_org from public.profiles p where p.id = p_user_id;
  if target_org is null or target_org is distinct from private.admin_org_id() then
    raise exception 'not allowed to remove user % from an organization', p_user_id
      using errcode = '42501', table = 'profiles', column = 'organization_id';
  end if;
  update public.profiles set organization_id = null where id = p_user_id;
end
$$;

create function public.remove_member(user_id uuid) returns void
  language sql volatile set search_path = ''
  as $$ select private.remove_member(user_id) $$;

-- Soft delete and restore by an admin; true when a row changed, false when there was no such live
-- (or deleted) row in the caller's organization or the caller is not its admin.
create function public.soft_delete(table_name text, id uuid) returns boolean
  language sql volatile set search_path = ''
  as $$ select private.set_deleted(table_name, id, true) $$;

create function public.restore(table_name text, id uuid) returns boolean
  language sql volatile set search_path = ''
  as $$ select private.set_deleted(table_name, id, false) $$;

-- The trash: soft-deleted rows of the caller's organization, for its admins; newest first.
create function private.deleted_customers() returns setof public.customers
  language sql stable security definer set search_path = ''
  as $$ select c.* from public.customers c
         where c.organization_id = private.admin_org_id() and c.deleted_at is not null
         order by c.deleted_at desc $$;
create function private.deleted_revenue() returns setof public.revenue
  language sql stable security definer set search_path = ''
  as $$ select r.* from public.revenue r
         where r.organization_id = private.admin_org_id() and r.deleted_at is not null
         order by r.deleted_at desc $$;
create function private.deleted_activities() returns setof public.activities
  language sql stable security definer set search_path = ''
  as $$ select a.* from public.activities a
         where a.organization_id = private.admin_org_id() and a.deleted_at is not null
         order by a.deleted_at desc $$;

create function public.deleted_customers() returns setof public.customers
  language sql stable set search_path = '' as $$ select * from private.deleted_customers() $$;
create function public.deleted_revenue() returns setof public.revenue
  language sql stable set search_path = '' as $$ select * from private.deleted_revenue() $$;
create function public.deleted_activities() returns setof public.activities
  language sql stable set search_path = '' as $$ select * from private.deleted_activities() $$;

-- ============================================================================
-- GRANTS
-- ============================================================================
-- Supabase grants everything on new objects to the API roles; RLS governs rows, these close the rest.
-- TRUNCATE bypasses RLS and the audit; REFERENCES and TRIGGER have no business in an API role.
revoke truncate, references, trigger on
  public.organizations, public.profiles, public.customers, public.revenue, public.activities,
  public.audit_logs, public.ai_usage_log, public.user_preferences
  from anon, authenticated;
revoke insert, update, delete, truncate, references, trigger on public.audit_logs from service_role;
revoke insert, update, delete on public.audit_logs from anon, authenticated;
-- PostgreSQL 17 added MAINTAIN (VACUUM, REINDEX, LOCK TABLE), which Supabase's ALL grants include.
do $grants$
begin
  if current_setting('server_version_num')::int >= 170000 then
    execute 'revoke maintain on public.organizations, public.profiles, public.customers, public.revenue,
             public.activities, public.audit_logs, public.ai_usage_log, public.user_preferences
             from anon, authenticated';
  end if;
end
$grants$;

revoke all on all functions in schema private from public, anon;
grant execute on function
  private.current_org_id(), private.admin_org_id(), private.assert_not_last_admin(uuid, uuid),
  private.set_deleted(text, uuid, boolean), private.create_organization(text, text),
  private.remove_member(uuid), private.deleted_customers(), private.deleted_revenue(),
  private.deleted_activities()
  to authenticated, service_role;

revoke execute on function
  public.create_organization(text, text), public.remove_member(uuid), public.soft_delete(text, uuid),
  public.restore(text, uuid), public.deleted_customers(), public.deleted_revenue(), public.deleted_activities()
  from public, anon;
grant execute on function
  public.create_organization(text, text), public.remove_member(uuid), public.soft_delete(text, uuid),
  public.restore(text, uuid), public.deleted_customers(), public.deleted_revenue(), public.deleted_activities()
  to authenticated, service_role;

-- ============================================================================
-- INDEXES
-- ============================================================================
-- The plan's single-column organization_id indexes become composites led by organization_id (they
-- serve the policies and the foreign keys as well as the dashboard's range queries). The plan's
-- separate unique index on slug is dropped: the UNIQUE constraint already is one.
create index idx_profiles_org on public.profiles (organization_id);
create index idx_customers_org_created on public.customers (organization_id, created_at);
create index idx_customers_org_status on public.customers (organization_id, status) where deleted_at is null;
create index idx_revenue_org_date on public.revenue (organization_id, date);
create index idx_revenue_customer on public.revenue (customer_id, organization_id);
create index idx_activities_org_created on public.activities (organization_id, created_at);
create index idx_activities_org_type on public.activities (organization_id, type);
create index idx_activities_customer on public.activities (customer_id, organization_id);
create index idx_activities_metadata on public.activities using gin (metadata);
create index idx_audit_logs_org_created on public.audit_logs (organization_id, created_at);
create index idx_ai_usage_org_date on public.ai_usage_log (organization_id, date);
create index idx_ai_usage_user on public.ai_usage_log (user_id);
