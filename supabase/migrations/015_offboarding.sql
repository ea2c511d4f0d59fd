-- 015_offboarding: the end of a tenant's life (issue 21). An organization's admin requests its deletion;
-- during a grace period (a setting of the deployment, 30 days by default) nobody of that organization
-- sees or writes its data, an admin may cancel; afterwards a scheduled purge removes every row of it,
-- in batches. A user can be erased (GDPR Art. 17): profile, invitations to their address, and their
-- email and name in the audit trail, which is the one sanctioned change to the append-only trail.
-- docs/offboarding.md has the whole story.
--
-- How "nobody sees or writes during grace" is done: private.current_org_id() and private.admin_org_id()
-- answer NULL for an organization pending deletion, so every policy and every SECURITY DEFINER function
-- built on them (the dashboards, the trash, the audit trail, the invitations) sees nothing and writes
-- nothing for its members; the organization row and the member list are read through their own helper,
-- private.member_org_id(), which still finds it. Writes get a clear error (55000) from a trigger on the
-- tenant tables and from the API functions, not a silent "0 rows".
set lock_timeout = '5s';
set statement_timeout = '60s';

-- ============================================================================
-- SETTINGS OF THE DEPLOYMENT
-- ============================================================================
create table private.offboarding_settings (
  id boolean primary key default true constraint offboarding_settings_one_row check (id),
  deletion_grace interval not null default interval '30 days'
    constraint offboarding_settings_grace_range check (deletion_grace >= interval '0' and deletion_grace <= interval '366 days'),
  purge_batch_rows bigint not null default 5000
    constraint offboarding_settings_batch_range check (purge_batch_rows between 1 and 1000000)
);
insert into private.offboarding_settings default values;
alter table private.offboarding_settings enable row level security;
revoke all on private.offboarding_settings from public, anon, authenticated, service_role;
comment on table private.offboarding_settings is
  'One row: how the deployment offboards (no policies: the owner''s only, no API role reads or writes it). deletion_grace: time between a deletion request and the purge (default 30 days); purge_batch_rows: rows deleted per batch by the purge (default 5000). Changed by the owner: update private.offboarding_settings set deletion_grace = ''7 days''.';
comment on column private.offboarding_settings.id is 'Always true: the table has one row.';
comment on column private.offboarding_settings.deletion_grace is 'Grace period after public.request_organization_deletion(): 0 to 366 days.';
comment on column private.offboarding_settings.purge_batch_rows is 'Rows per batch (and per transaction, through the CLI or pg_cron) of the purge.';

-- ============================================================================
-- ORGANIZATIONS: the deletion state
-- ============================================================================
alter table public.organizations add column deletion_requested_at timestamptz;
alter table public.organizations add column purge_after timestamptz;
alter table public.organizations add column purge_started_at timestamptz;
alter table public.organizations add constraint organizations_deletion_state
  check ((deletion_requested_at is null) = (purge_after is null) and (purge_started_at is null or purge_after is not null)) not valid;
-- The three columns were added just above, NULL in every row: validation reads organizations (one row
-- per tenant) once and finds nothing to refuse; a file of its own would buy nothing.
-- squawk-ignore constraint-missing-not-valid
alter table public.organizations validate constraint organizations_deletion_state;
comment on column public.organizations.deletion_requested_at is 'When an admin requested the deletion (public.request_organization_deletion); NULL: not pending deletion.';
comment on column public.organizations.purge_after is 'End of the grace period: from then on the purge removes the organization; NULL: not pending deletion.';
comment on column public.organizations.purge_started_at is 'When the purge began removing rows (it cannot be cancelled from then on); NULL before.';
comment on constraint organizations_deletion_state on public.organizations is
  'A pending deletion has both its request time and its purge time; a purge only starts on a pending deletion.';

-- The deletion state changes through the functions below only: an admin's plain UPDATE of their
-- organization (organizations_update) must not shorten the grace or clear a pending deletion.
create function private.organizations_deletion_guard() returns trigger
  language plpgsql set search_path = ''
  as $$
begin
  if (new.deletion_requested_at, new.purge_after, new.purge_started_at)
     is distinct from (old.deletion_requested_at, old.purge_after, old.purge_started_at) then
    raise exception 'the deletion state of an organization changes through public.request_organization_deletion() and public.cancel_organization_deletion() only'
      using errcode = '42501', table = 'organizations', column = 'deletion_requested_at';
  end if;
  return new;
end
$$;
create trigger organizations_deletion_guard before update on public.organizations
  for each row when (current_user in ('anon', 'authenticated'))
  execute function private.organizations_deletion_guard();
comment on trigger organizations_deletion_guard on public.organizations is
  'API roles cannot change deletion_requested_at, purge_after or purge_started_at directly.';

-- ============================================================================
-- HELPERS: membership, with and without organizations pending deletion
-- ============================================================================
-- Same signatures as 001, so every policy and function built on them follows. The extra lookup is one
-- primary-key probe of organizations per statement (policies call them as (select ...)).
create or replace function private.current_org_id() returns uuid
  language sql stable security definer set search_path = ''
  as $$ select p.organization_id from public.profiles p
          join public.organizations o on o.id = p.organization_id
         where p.id = auth.uid() and o.deletion_requested_at is null $$;

create or replace function private.admin_org_id() returns uuid
  language sql stable security definer set search_path = ''
  as $$ select p.organization_id from public.profiles p
          join public.organizations o on o.id = p.organization_id
         where p.id = auth.uid() and p.role = 'admin' and o.deletion_requested_at is null $$;

-- The caller's organization even while it is pending deletion: its row and its member list stay visible.
create function private.member_org_id() returns uuid
  language sql stable security definer set search_path = ''
  as $$ select p.organization_id from public.profiles p where p.id = auth.uid() $$;

comment on function private.current_org_id() is
  'The signed-in user''s organization, NULL for none or one pending deletion: what every tenant policy and function reads.';
comment on function private.admin_org_id() is
  'The organization the signed-in user is an admin of, NULL for none or one pending deletion.';
comment on function private.member_org_id() is
  'The signed-in user''s organization even while pending deletion: the organizations and profiles select policies read it.';

alter policy organizations_select on public.organizations using (id = (select private.member_org_id()));
alter policy profiles_select on public.profiles
  using (id = (select auth.uid()) or organization_id = (select private.member_org_id()));

-- Raises the error every refused write of a pending organization gets.
create function private.refuse_pending_organization(p_organization_id uuid, p_table text) returns void
  language plpgsql stable security definer set search_path = ''
  as $$
declare
  v_until timestamptz;
begin
  select o.purge_after into v_until from public.organizations o
   where o.id = p_organization_id and o.deletion_requested_at is not null and o.purge_started_at is null;
  if found then
    raise exception 'organization % is pending deletion (purge after %): its data can no longer be read or changed', p_organization_id, v_until
      using errcode = '55000', table = p_table, column = 'organization_id',
            hint = 'An admin can cancel the deletion until then with public.cancel_organization_deletion().';
  end if;
end
$$;

-- The caller's own organization, if it is pending deletion: API functions refuse with the same error.
create function private.refuse_if_caller_pending(p_table text) returns void
  language plpgsql stable security definer set search_path = ''
  as $$
begin
  perform private.refuse_pending_organization(private.member_org_id(), p_table);
end
$$;

-- ============================================================================
-- WRITES DURING GRACE
-- ============================================================================
-- Statement-level for everyone (the service role and SECURITY DEFINER code too): one join of the new
-- rows with organizations per statement. Skipped once the purge has started (its own writes).
create function private.refuse_pending_organization_writes() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  v_org uuid;
begin
  select o.id into v_org from new_rows n join public.organizations o on o.id = n.organization_id
   where o.deletion_requested_at is not null and o.purge_started_at is null
   limit 1;
  if v_org is not null then
    perform private.refuse_pending_organization(v_org, tg_table_name);
  end if;
  return null;
end
$$;

-- Row-level for API inserts: a BEFORE trigger runs before the policy's WITH CHECK, so the caller reads
-- "pending deletion", not "violates row-level security policy". Trusted bulk inserts do not pay for it.
create function private.refuse_pending_organization_row() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  perform private.refuse_pending_organization(new.organization_id, tg_table_name);
  return new;
end
$$;

create trigger customers_pending_deletion_insert after insert on public.customers
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger customers_pending_deletion_update after update on public.customers
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger revenue_pending_deletion_insert after insert on public.revenue
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger revenue_pending_deletion_update after update on public.revenue
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger activities_pending_deletion_insert after insert on public.activities
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger activities_pending_deletion_update after update on public.activities
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger ai_usage_log_pending_deletion_insert after insert on public.ai_usage_log
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();
create trigger ai_usage_log_pending_deletion_update after update on public.ai_usage_log
  referencing new table as new_rows for each statement execute function private.refuse_pending_organization_writes();

create trigger customers_pending_deletion_api before insert on public.customers
  for each row when (current_user in ('anon', 'authenticated')) execute function private.refuse_pending_organization_row();
create trigger revenue_pending_deletion_api before insert on public.revenue
  for each row when (current_user in ('anon', 'authenticated')) execute function private.refuse_pending_organization_row();
create trigger activities_pending_deletion_api before insert on public.activities
  for each row when (current_user in ('anon', 'authenticated')) execute function private.refuse_pending_organization_row();

-- Invitations change one at a time: row-level. A new invitation, an acceptance, a revocation are
-- refused; the invitee may still decline, and a deleted inviter's profile still clears invited_by.
create trigger invitations_pending_deletion_insert before insert on public.invitations
  for each row execute function private.refuse_pending_organization_row();
create trigger invitations_pending_deletion_update before update on public.invitations
  for each row when (old.status is distinct from new.status and new.status <> 'declined')
  execute function private.refuse_pending_organization_row();

comment on trigger customers_pending_deletion_insert on public.customers is 'Refuses rows of an organization pending deletion (55000), for every role.';
comment on trigger customers_pending_deletion_update on public.customers is 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
comment on trigger revenue_pending_deletion_insert on public.revenue is 'Refuses rows of an organization pending deletion (55000), for every role.';
comment on trigger revenue_pending_deletion_update on public.revenue is 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
comment on trigger activities_pending_deletion_insert on public.activities is 'Refuses rows of an organization pending deletion (55000), for every role.';
comment on trigger activities_pending_deletion_update on public.activities is 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
comment on trigger ai_usage_log_pending_deletion_insert on public.ai_usage_log is 'Refuses rows of an organization pending deletion (55000), for every role.';
comment on trigger ai_usage_log_pending_deletion_update on public.ai_usage_log is 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
comment on trigger customers_pending_deletion_api on public.customers is 'An API insert into an organization pending deletion gets 55000 before the policy''s check.';
comment on trigger revenue_pending_deletion_api on public.revenue is 'An API insert into an organization pending deletion gets 55000 before the policy''s check.';
comment on trigger activities_pending_deletion_api on public.activities is 'An API insert into an organization pending deletion gets 55000 before the policy''s check.';
comment on trigger invitations_pending_deletion_insert on public.invitations is 'No invitation into an organization pending deletion (55000).';
comment on trigger invitations_pending_deletion_update on public.invitations is 'No acceptance or revocation in an organization pending deletion (55000); declining stays possible.';

-- The API functions that answered "not allowed" or false for a pending organization say why instead.
create or replace function private.set_deleted(p_table text, p_id uuid, p_deleted boolean) returns boolean
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
    perform private.refuse_if_caller_pending(p_table);
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

create or replace function private.remove_member(p_user_id uuid) returns void
  language plpgsql security definer set search_path = ''
  as $$
declare
  target_org uuid;
begin
  perform private.refuse_if_caller_pending('profiles');
  select p.organization_id into target_org from public.profiles p where p.id = p_user_id;
  if target_org is null or target_org is distinct from private.admin_org_id() then
    raise exception 'not allowed to remove user % from an organization', p_user_id
      using errcode = '42501', table = 'profiles', column = 'organization_id';
  end if;
  update public.profiles set organization_id = null where id = p_user_id;
end
$$;

create or replace function private.revoke_invitation(p_invitation_id uuid) returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  v_status text;
begin
  perform private.refuse_if_caller_pending('invitations');
  select i.status into v_status from public.invitations i
   where i.id = p_invitation_id and i.organization_id = private.admin_org_id() for update;
  if not found then
    raise exception 'not allowed to revoke invitation %', p_invitation_id
      using errcode = '42501', table = 'invitations',
            hint = 'Only an admin of the invitation''s organization can revoke it.';
  end if;
  if v_status <> 'pending' then
    raise exception 'invitation % was % and can no longer be revoked', p_invitation_id, v_status
      using errcode = '55000', table = 'invitations', column = 'status';
  end if;
  update public.invitations set status = 'revoked', ended_at = now() where id = p_invitation_id;
end
$$;

-- ============================================================================
-- REQUEST AND CANCEL
-- ============================================================================
create function private.request_organization_deletion(p_confirm_name text) returns timestamptz
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  v_org uuid;
  o record;
  v_grace interval;
  v_purge_after timestamptz;
begin
  select p.organization_id into v_org from public.profiles p
   where p.id = actor and p.role = 'admin' and p.organization_id is not null;
  if v_org is null then
    raise exception 'only an admin of an organization can request its deletion'
      using errcode = '42501', table = 'organizations';
  end if;
  select g.name, g.deletion_requested_at, g.purge_after into o from public.organizations g where g.id = v_org for update;
  if o.deletion_requested_at is not null then
    raise exception 'organization % is already pending deletion (purge after %)', v_org, o.purge_after
      using errcode = '55000', table = 'organizations', column = 'deletion_requested_at';
  end if;
  if p_confirm_name is distinct from o.name then
    raise exception 'confirm_name must be the organization''s name, exactly as it is written'
      using errcode = '22023', table = 'organizations', column = 'name';
  end if;
  select s.deletion_grace into v_grace from private.offboarding_settings s;
  update public.organizations
     set deletion_requested_at = now(), purge_after = now() + coalesce(v_grace, interval '30 days')
   where id = v_org
  returning purge_after into v_purge_after;
  return v_purge_after;
end
$$;

create function private.cancel_organization_deletion() returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  v_org uuid;
  o record;
begin
  select p.organization_id into v_org from public.profiles p
   where p.id = actor and p.role = 'admin' and p.organization_id is not null;
  if v_org is null then
    raise exception 'only an admin of an organization can cancel its deletion'
      using errcode = '42501', table = 'organizations';
  end if;
  select g.deletion_requested_at, g.purge_after, g.purge_started_at into o from public.organizations g where g.id = v_org for update;
  if o.deletion_requested_at is null then
    raise exception 'organization % is not pending deletion', v_org
      using errcode = '55000', table = 'organizations', column = 'deletion_requested_at';
  end if;
  if o.purge_started_at is not null or o.purge_after <= now() then
    raise exception 'the grace period of organization % ended at %: it can no longer be cancelled', v_org, o.purge_after
      using errcode = '55000', table = 'organizations', column = 'purge_after';
  end if;
  update public.organizations set deletion_requested_at = null, purge_after = null where id = v_org;
end
$$;

create function public.request_organization_deletion(confirm_name text) returns timestamptz
  language sql volatile set search_path = ''
  as $$ select private.request_organization_deletion(confirm_name) $$;

create function public.cancel_organization_deletion() returns void
  language sql volatile set search_path = ''
  as $$ select private.cancel_organization_deletion() $$;

-- ============================================================================
-- THE AUDIT TRAIL: the two sanctioned changes
-- ============================================================================
-- The trail stays append-only for every statement but those issued by the purge and the erasure below
-- (read from the call stack, which no caller can forge: only the owner creates functions in private).
-- The API roles and service_role have no UPDATE or DELETE privilege on it or its partitions anyway.
create or replace function private.audit_logs_append_only() returns trigger
  language plpgsql set search_path = ''
  as $$
declare
  stack text;
begin
  if tg_op in ('UPDATE', 'DELETE') then
    get diagnostics stack = pg_context;
    if (tg_op = 'DELETE' and stack ~ 'function private\.purge_organization_step\(')
       or (tg_op = 'UPDATE' and stack ~ 'function private\.scrub_user_from_audit\(') then
      return null;
    end if;
  end if;
  raise exception 'audit_logs is append-only: % is not allowed', tg_op
    using errcode = '42501', table = 'audit_logs';
end
$$;

-- Blanks a user's personal data in the whole trail: their profile's rows (by record_id: every email,
-- name and avatar it ever had) and invitations addressed to their email. Reads every partition (no
-- index serves record_id or the jsonb): seconds on a trail of millions of rows, for a rare event.
-- Returns the rows changed per organization.
create function private.scrub_user_from_audit(p_user uuid, p_email text)
  returns table (organization_id uuid, scrubbed bigint)
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  v_email text := lower(btrim(p_email));
begin
  return query
  with changed as (
    update public.audit_logs a
       set old_data = case when a.old_data is null then null
                           else a.old_data || (select coalesce(pg_catalog.jsonb_object_agg(k, 'null'::jsonb), '{}'::jsonb)
                                                 from unnest(array['email', 'full_name', 'avatar_url']) k
                                                where a.old_data ? k and (a.table_name = 'profiles' or k = 'email')) end,
           new_data = case when a.new_data is null then null
                           else a.new_data || (select coalesce(pg_catalog.jsonb_object_agg(k, 'null'::jsonb), '{}'::jsonb)
                                                 from unnest(array['email', 'full_name', 'avatar_url']) k
                                                where a.new_data ? k and (a.table_name = 'profiles' or k = 'email')) end
     where (a.table_name = 'profiles' and a.record_id = p_user
            and coalesce(a.old_data ->> 'email', a.old_data ->> 'full_name', a.old_data ->> 'avatar_url',
                         a.new_data ->> 'email', a.new_data ->> 'full_name', a.new_data ->> 'avatar_url') is not null)
        or (v_email <> '' and a.table_name = 'invitations'
            and (lower(a.old_data ->> 'email') = v_email or lower(a.new_data ->> 'email') = v_email))
    returning a.organization_id
  )
  select c.organization_id, count(*) from changed c group by c.organization_id;
end
$$;

-- ============================================================================
-- ERASURE
-- ============================================================================
-- The user's trail scrubbed and every invitation to their address deleted; files one audit row per
-- organization whose trail changed (or their organization), without personal data.
create function private.erase_user_trail(p_user uuid, p_email text, p_organization_id uuid) returns bigint
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  v_email text := lower(btrim(coalesce(p_email, '')));
  total bigint := 0;
  s record;
  filed boolean := false;
begin
  if v_email <> '' then
    delete from public.invitations i where i.email = v_email;
  end if;
  for s in select * from private.scrub_user_from_audit(p_user, v_email) loop
    total := total + s.scrubbed;
    if exists (select 1 from public.organizations g where g.id = s.organization_id) then
      insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
      values (s.organization_id, auth.uid(), 'UPDATE', 'audit_logs', p_user, null,
              pg_catalog.jsonb_build_object('erasure', true, 'rows_scrubbed', s.scrubbed,
                                            'by', coalesce(nullif(auth.role(), ''), session_user::text)));
      filed := filed or s.organization_id = p_organization_id;
    end if;
  end loop;
  if not filed and p_organization_id is not null then
    insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
    values (p_organization_id, auth.uid(), 'UPDATE', 'audit_logs', p_user, null,
            pg_catalog.jsonb_build_object('erasure', true, 'rows_scrubbed', 0,
                                          'by', coalesce(nullif(auth.role(), ''), session_user::text)));
  end if;
  return total;
end
$$;

-- Erases a user: refuses the last admin of an organization that has other members; an organization
-- left without members is put into its grace period (nobody could ever reach or delete it otherwise).
create function private.erase_user(p_target uuid) returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  prof record;
  has_profile boolean;
  v_auth_email text;
  others integer;
  other_admins integer;
  v_grace interval;
begin
  if p_target is null then
    raise exception 'erase_user needs a user id' using errcode = '22023', table = 'profiles', column = 'id';
  end if;
  select p.email, p.organization_id, p.role into prof from public.profiles p where p.id = p_target;
  has_profile := found;
  select u.email into v_auth_email from auth.users u where u.id = p_target;
  if not has_profile and v_auth_email is null then
    raise exception 'no user %', p_target using errcode = 'P0002', table = 'profiles';
  end if;
  if prof.organization_id is not null then
    -- The organization first, as private.assert_not_last_admin() locks it: a concurrent demotion waits.
    perform 1 from public.organizations g where g.id = prof.organization_id for update;
    select count(*) filter (where p.id <> p_target), count(*) filter (where p.id <> p_target and p.role = 'admin')
      into others, other_admins
      from public.profiles p where p.organization_id = prof.organization_id;
    if prof.role = 'admin' and others > 0 and other_admins = 0 then
      raise exception 'user % is the last admin of organization %, which has % other member(s): make one of them admin first', p_target, prof.organization_id, others
        using errcode = '23514', table = 'profiles', column = 'role', constraint = 'organization_keeps_an_admin',
              hint = 'Hand the organization over (promote another member to admin), then erase.';
    end if;
    if others = 0 then
      select s.deletion_grace into v_grace from private.offboarding_settings s;
      update public.organizations
         set deletion_requested_at = now(), purge_after = now() + coalesce(v_grace, interval '30 days')
       where id = prof.organization_id and deletion_requested_at is null;
    end if;
  end if;
  delete from public.profiles p where p.id = p_target;
  perform private.erase_user_trail(p_target, coalesce(prof.email, v_auth_email), prof.organization_id);
  if v_auth_email is not null and lower(v_auth_email) is distinct from lower(prof.email) then
    perform private.erase_user_trail(p_target, v_auth_email, null);
  end if;
end
$$;

create function private.delete_my_account() returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
begin
  if actor is null then
    raise exception 'delete_my_account needs a signed-in user' using errcode = '42501', table = 'profiles';
  end if;
  perform private.erase_user(actor);
  -- The account itself, as GoTrue's admin API would (its sessions and identities cascade in GoTrue's schema).
  delete from auth.users u where u.id = actor;
end
$$;

create function public.erase_user(target uuid) returns void
  language sql volatile set search_path = ''
  as $$ select private.erase_user(target) $$;

create function public.delete_my_account() returns void
  language sql volatile set search_path = ''
  as $$ select private.delete_my_account() $$;

-- GoTrue's "delete user" (or any DELETE of auth.users): the profile is deleted here rather than by
-- the foreign key's cascade, so that the audit row its deletion writes exists before the trail is
-- scrubbed (a cascade's own triggers would fire after this one). No refusal: deleting the auth user
-- must always succeed.
create function private.handle_user_deleted() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  v_org uuid;
begin
  delete from public.profiles p where p.id = old.id returning p.organization_id into v_org;
  perform private.erase_user_trail(old.id, old.email, v_org);
  return old;
end
$$;
create trigger profiles_on_auth_user_deleted before delete on auth.users
  for each row execute function private.handle_user_deleted();
-- Commenting a trigger needs ownership of its table: not on Supabase, where GoTrue owns auth.users (004).
do $comment$
begin
  if pg_catalog.pg_has_role((select c.relowner from pg_catalog.pg_class c where c.oid = 'auth.users'::regclass), 'USAGE') then
    comment on trigger profiles_on_auth_user_deleted on auth.users is
      'Deletes the profile and scrubs the user''s email and name from the trail (private.handle_user_deleted).';
  end if;
end
$comment$;

-- ============================================================================
-- PURGE
-- ============================================================================
-- Rows of an organization being purged are deleted without audit rows (the trail of that organization
-- is deleted as well, only a tombstone stays): the delete audit trigger skips them.
create or replace function private.audit_delete() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select o.organization_id, actor, 'DELETE', tg_table_name, o.id, to_jsonb(o), null
    from old_rows o
   where not exists (select 1 from public.organizations g where g.id = o.organization_id and g.purge_started_at is not null);
  return null;
end
$$;

-- The tables the purge empties, in the order it empties them: every table of public and private with an
-- organization_id column (so tables added later are covered), partitions through their parent, the
-- audit trail last; a table referenced by a foreign key of another one after it.
create function private.purge_tables() returns table (relation regclass, purge_order integer)
  language sql stable set search_path = ''
  as $$
    with recursive t as (
      select c.oid
        from pg_catalog.pg_class c
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped
       where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace)
         and c.relkind in ('r', 'p') and not c.relispartition
         -- Members' profiles are not the organization's: they become outsiders when its row goes.
         and c.oid not in ('public.organizations'::regclass, 'public.profiles'::regclass, 'public.audit_logs'::regclass)
    ), refs as (
      select distinct f.conrelid as referencing, f.confrelid as referenced
        from pg_catalog.pg_constraint f
       where f.contype = 'f' and f.conrelid in (select oid from t) and f.confrelid in (select oid from t)
         and f.conrelid <> f.confrelid
    ), depth (oid, d) as (
      select oid, 0 from t
      union all
      select r.referenced, depth.d + 1 from depth join refs r on r.referencing = depth.oid where depth.d < 16
    )
    -- public's tables first (referencing before referenced), then private's: deleting raw rows appends
    -- deltas for the rollups (013), which the later steps then find and delete.
    select depth.oid::regclass,
           (row_number() over (order by c.relnamespace = 'private'::regnamespace, max(depth.d), depth.oid::regclass::text))::integer
      from depth join pg_catalog.pg_class c on c.oid = depth.oid
     group by depth.oid, c.relnamespace
    union all
    select 'public.audit_logs'::regclass, 1000000
    order by 2
  $$;

-- One batch of the purge of one organization, in the caller's transaction: deletes at most p_batch_rows
-- rows of the first table that still has rows of it; once all are empty, deletes the organization row
-- (its members' profiles become outsiders: ON DELETE SET NULL) and what that wrote to the trail, and
-- files the tombstone. Returns what it did; done is true once nothing of the organization is left. A
-- crash between batches loses nothing: the next call goes on from the rows still there.
create function private.purge_organization_step(p_organization_id uuid, p_as_of timestamptz default now(), p_batch_rows integer default null)
  returns table (table_name text, deleted bigint, done boolean)
  language plpgsql volatile security definer set search_path = '' set lock_timeout = '5s'
  as $$
declare
  o record;
  t record;
  n bigint;
  v_batch integer;
  counts jsonb;
begin
  select g.deletion_requested_at, g.purge_after, g.purge_started_at into o
    from public.organizations g where g.id = p_organization_id for update;
  if not found then
    table_name := null; deleted := 0; done := true;
    return next;
    return;
  end if;
  if o.purge_after is null or o.purge_after > coalesce(p_as_of, now()) then
    raise exception 'organization % is not due for purging (purge after %)', p_organization_id, coalesce(o.purge_after::text, 'never: not pending deletion')
      using errcode = '55000', table = 'organizations', column = 'purge_after';
  end if;
  if o.purge_started_at is null then
    update public.organizations set purge_started_at = clock_timestamp() where id = p_organization_id;
  end if;
  select coalesce(p_batch_rows, s.purge_batch_rows) into v_batch from private.offboarding_settings s;

  for t in select p.relation from private.purge_tables() p order by p.purge_order loop
    execute format('delete from %s where organization_id = $1 and ctid = any (array(select ctid from %s where organization_id = $1 limit $2))',
                   t.relation, t.relation)
      using p_organization_id, v_batch;
    get diagnostics n = row_count;
    if n > 0 then
      table_name := t.relation::text; deleted := n; done := false;
      return next;
      return;
    end if;
  end loop;

  -- Nothing left but the row itself: its deletion clears the members' organization and writes a few
  -- audit rows (the organization's, its members'), deleted at once; then the tombstone.
  select pg_catalog.jsonb_build_object('deletion_requested_at', o.deletion_requested_at, 'purge_after', o.purge_after,
                                       'purge_started_at', coalesce(o.purge_started_at, clock_timestamp()),
                                       'purged_at', clock_timestamp())
    into counts;
  delete from public.organizations where id = p_organization_id;
  delete from public.audit_logs a where a.organization_id = p_organization_id;
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  values (p_organization_id, null, 'DELETE', 'organizations', p_organization_id, counts || pg_catalog.jsonb_build_object('tombstone', true), null);
  table_name := 'organizations'; deleted := 1; done := true;
  return next;
end
$$;

-- The scheduled purge: every organization whose grace ended before p_as_of, completely, in this
-- transaction (batch after batch). For large organizations run the batches in transactions of their
-- own: `tenantry orgs purge`, or private.purge_organization_step in a loop (docs/offboarding.md).
create function private.purge_organizations(as_of timestamptz default now()) returns integer
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  g record;
  s record;
  purged integer := 0;
begin
  for g in
    select o.id from public.organizations o
     where o.purge_after is not null and o.purge_after <= coalesce(as_of, now())
     order by o.purge_after, o.id
  loop
    loop
      select * into s from private.purge_organization_step(g.id, coalesce(as_of, now()), null);
      exit when s.done;
    end loop;
    purged := purged + 1;
  end loop;
  return purged;
end
$$;

-- ============================================================================
-- GRANTS
-- ============================================================================
revoke all on function
  private.organizations_deletion_guard(), private.member_org_id(), private.refuse_pending_organization(uuid, text),
  private.refuse_if_caller_pending(text), private.refuse_pending_organization_writes(), private.refuse_pending_organization_row(),
  private.request_organization_deletion(text), private.cancel_organization_deletion(), private.scrub_user_from_audit(uuid, text), private.erase_user_trail(uuid, text, uuid),
  private.erase_user(uuid), private.delete_my_account(), private.handle_user_deleted(), private.purge_tables(),
  private.purge_organization_step(uuid, timestamptz, integer), private.purge_organizations(timestamptz)
  from public, anon, authenticated, service_role;
-- Policies call member_org_id() as the caller; the API functions' implementations are called by the wrappers.
grant execute on function private.member_org_id(), private.request_organization_deletion(text), private.cancel_organization_deletion(),
  private.delete_my_account()
  to authenticated, service_role;
grant execute on function private.erase_user(uuid) to service_role;

revoke all on function public.request_organization_deletion(text), public.cancel_organization_deletion(),
  public.erase_user(uuid), public.delete_my_account()
  from public, anon, authenticated, service_role;
grant execute on function public.request_organization_deletion(text), public.cancel_organization_deletion(), public.delete_my_account()
  to authenticated, service_role;
grant execute on function public.erase_user(uuid) to service_role;

-- ============================================================================
-- COMMENTS
-- ============================================================================
comment on function private.organizations_deletion_guard() is 'BEFORE UPDATE trigger of organizations for API roles: the deletion state is not theirs to write.';
comment on function private.refuse_pending_organization(uuid, text) is 'Raises 55000 (pending deletion, with the purge date and how to cancel) when the organization is pending deletion and its purge has not started.';
comment on function private.refuse_if_caller_pending(text) is 'private.refuse_pending_organization() for the signed-in caller''s organization.';
comment on function private.refuse_pending_organization_writes() is 'AFTER INSERT/UPDATE statement trigger: refuses rows of an organization pending deletion (55000).';
comment on function private.refuse_pending_organization_row() is 'BEFORE row trigger: refuses a row of an organization pending deletion (55000).';
comment on function private.request_organization_deletion(text) is 'Implements public.request_organization_deletion().';
comment on function private.cancel_organization_deletion() is 'Implements public.cancel_organization_deletion().';
comment on function private.scrub_user_from_audit(uuid, text) is 'Blanks email, full_name and avatar_url in the audit rows of the user''s profile and email in those of invitations to their address; the one sanctioned UPDATE of the trail. Owner only.';
comment on function private.erase_user_trail(uuid, text, uuid) is 'Deletes invitations to the address, scrubs the trail (private.scrub_user_from_audit) and files an erasure row (no personal data) per organization concerned.';
comment on function private.erase_user(uuid) is 'Implements public.erase_user().';
comment on function private.delete_my_account() is 'Implements public.delete_my_account().';
comment on function private.handle_user_deleted() is 'BEFORE DELETE trigger on auth.users: deletes the profile, and the trail keeps nothing personal of a deleted user (private.erase_user_trail).';
comment on function private.purge_tables() is 'The tables the purge empties and in which order: every table of public and private with organization_id (partitions through their parent), public''s before private''s (the rollups and their deltas, which deleting raw rows feeds), referencing before referenced, audit_logs last.';
comment on function private.purge_organization_step(uuid, timestamptz, integer) is
  'One batch (one transaction) of the purge of an organization due for it: deletes up to p_batch_rows rows (default private.offboarding_settings.purge_batch_rows) of the first table holding rows of it; at the end the organization row, its trail, and a tombstone. done = nothing left. Owner only.';
comment on function private.purge_organizations(timestamptz) is
  'Purges every organization whose grace period ended before as_of, batch after batch in this transaction; returns how many. Owner only (pg_cron on Supabase, tenantry orgs purge in the CLI).';
comment on function public.request_organization_deletion(text) is
  'An admin requests the deletion of their organization, confirming its name; returns when the purge may happen (now + the deployment''s grace, 30 days by default). From then on nobody of it sees or writes its data; the organization row stays visible with the dates.';
comment on function public.cancel_organization_deletion() is 'An admin cancels a pending deletion of their organization within the grace period; everything is as before.';
comment on function public.erase_user(uuid) is
  'service_role: erases a user (GDPR Art. 17): profile, invitations to their address, their email and name in the audit trail (audited without personal data). Refuses the last admin of an organization with other members. Then delete the auth user.';
comment on function public.delete_my_account() is 'The signed-in user erases themself (as public.erase_user) and their auth account.';
