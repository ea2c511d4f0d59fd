-- 007_invitations: an admin invites an email address into their organization, the invitee accepts
-- (or declines), an admin revokes, a member leaves (issue 12). Membership stays one organization per
-- user (profiles.organization_id); joining is only ever done by SECURITY DEFINER code here, never by a
-- plain UPDATE (private.profiles_guard() refuses that, see 006).
--
-- The security model, in short (docs/team.md has the reasons):
--   * the token is 256 bits from the CSPRNG behind gen_random_uuid() (two of them, 244 random bits),
--     returned once by invite_member() and never stored: only its sha256 is, in a column no API role
--     may read;
--   * an invitation is bound to an email address: accepting needs the caller's address as recorded in
--     auth.users to be that address and confirmed (email_confirmed_at), and the token;
--   * nobody writes public.invitations directly, service_role included: only the functions below do,
--     each taking the row lock that makes accept / revoke / decline / replace exclusive;
--   * every step is audited with the real actor (auth.uid() of the request; SECURITY DEFINER code
--     still sees the caller's claims), and the audited rows leave the token hash out.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- ============================================================================
-- TABLE
-- ============================================================================
create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null
    constraint invitations_email_normalised check (email = lower(btrim(email)) and email !~ '[[:space:][:cntrl:]]')
    constraint invitations_email_format check (char_length(email) <= 320 and email ~ '^[^@]+@[^@]+$'),
  role text not null constraint invitations_role_check check (role in ('admin', 'member')),
  token_hash bytea not null constraint invitations_token_hash_length check (octet_length(token_hash) = 32),
  invited_by uuid references public.profiles (id) on delete set null,
  status text not null default 'pending'
    constraint invitations_status_check check (status in ('pending', 'accepted', 'declined', 'revoked', 'replaced')),
  accepted_by uuid references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz,
  constraint invitations_expiry check (expires_at > created_at),
  -- Pending means not ended; an ended invitation says when; only an accepted one names who accepted.
  constraint invitations_ended check ((status = 'pending') = (ended_at is null)),
  constraint invitations_accepted_by check (accepted_by is null or status = 'accepted')
);

-- ============================================================================
-- INDEXES (a new, empty table: built in this transaction, no CONCURRENTLY needed)
-- ============================================================================
-- The tenant key first: the admins' listing, the SELECT policy and the foreign key to organizations.
create index idx_invitations_org_created on public.invitations (organization_id, created_at);
-- At most one pending invitation per organization and address: a new one replaces the old (and the
-- index counts an organization's pending invitations for the limit).
create unique index invitations_org_email_pending_key on public.invitations (organization_id, email)
  where status = 'pending';
-- accept_invitation() finds the invitation by the hash of the token it is given.
create unique index invitations_token_hash_key on public.invitations (token_hash);
-- my_invitations(): the caller's pending invitations by address.
create index idx_invitations_email_pending on public.invitations (email) where status = 'pending';
-- Foreign keys to profiles (deleting a profile sets these to NULL).
create index idx_invitations_invited_by on public.invitations (invited_by);
create index idx_invitations_accepted_by on public.invitations (accepted_by);

-- ============================================================================
-- ROW LEVEL SECURITY AND PRIVILEGES
-- ============================================================================
-- Reads: an organization's admins, their organization's invitations. Writes: no policy and no privilege
-- for any API role; the SECURITY DEFINER functions below write as the owner.
alter table public.invitations enable row level security;
create policy invitations_select on public.invitations for select to authenticated
  using (organization_id = (select private.admin_org_id()));

-- Supabase grants everything on a new table to anon, authenticated and service_role. Take it all back,
-- then give SELECT on every column but token_hash: no API role reads the hash, admins and service_role
-- included (select * fails for them; name the columns, or use public.invitations' flows).
revoke all on public.invitations from anon, authenticated, service_role;
grant select (id, organization_id, email, role, invited_by, status, accepted_by, created_at, expires_at, ended_at)
  on public.invitations to anon, authenticated, service_role;

-- ============================================================================
-- AUDIT
-- ============================================================================
-- Row-level: invitations change one at a time. Filed under the invitation's organization, with the
-- actor from the request's claims (SECURITY DEFINER code sees them too) and without the token hash.
create function private.audit_invitation() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  values (case when tg_op = 'INSERT' then new.organization_id else old.organization_id end,
          auth.uid(), tg_op, tg_table_name,
          case when tg_op = 'INSERT' then new.id else old.id end,
          case when tg_op <> 'INSERT' then to_jsonb(old) - 'token_hash' end,
          case when tg_op <> 'DELETE' then to_jsonb(new) - 'token_hash' end);
  return null;
end
$$;

create trigger invitations_audit after insert or update or delete on public.invitations
  for each row execute function private.audit_invitation();

create trigger invitations_reject_key_change before update on public.invitations
  for each row when (old.id is distinct from new.id or old.organization_id is distinct from new.organization_id)
  execute function private.reject_key_change();

-- ============================================================================
-- HELPERS
-- ============================================================================
-- The signed-in caller's address as GoTrue recorded it, normalised, and only once it is confirmed;
-- NULL otherwise. auth.users, not profiles.email: confirmation is only recorded there.
-- Whether GoTrue recorded the user's address as confirmed. GoTrue keeps that in email_confirmed_at; a
-- database built from Supabase's init scripts, before GoTrue's migrations ran, has only the column
-- GoTrue later renames to it, confirmed_at. Read through to_jsonb so that this compiles and answers on
-- both; where both exist, confirmed_at is GoTrue's generated least(email, phone) and is not read.
create function private.email_confirmed(p_user auth.users) returns boolean
  language sql stable set search_path = ''
  as $$
    select case when pg_catalog.to_jsonb(p_user) ? 'email_confirmed_at'
                then pg_catalog.to_jsonb(p_user) ->> 'email_confirmed_at'
                else pg_catalog.to_jsonb(p_user) ->> 'confirmed_at' end is not null
  $$;

create function private.confirmed_email() returns text
  language plpgsql stable security definer set search_path = ''
  as $$
begin
  return (select lower(btrim(u.email)) from auth.users u
           where u.id = auth.uid() and private.email_confirmed(u) and u.email is not null);
end
$$;

-- The hash stored for a token: sha256 (PostgreSQL 11+, no extension) of its UTF-8 bytes.
create function private.invitation_token_hash(p_token text) returns bytea
  language sql immutable strict set search_path = ''
  as $$ select pg_catalog.sha256(pg_catalog.convert_to(p_token, 'UTF8')) $$;

-- ============================================================================
-- FUNCTIONS (the API): SECURITY INVOKER wrappers in public around SECURITY DEFINER code in private
-- ============================================================================
create function private.invite_member(p_email text, p_role text, p_valid_for interval)
  returns table (invitation_id uuid, token text, expires_at timestamptz)
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  v_org uuid;
  v_email text := lower(btrim(p_email, E' \t\r\n'));
  v_seconds numeric;
  v_expires timestamptz;
  v_replaced uuid;
  v_pending integer;
  v_token text;
  v_id uuid;
begin
  if actor is null then
    raise exception 'invite_member needs a signed-in admin' using errcode = '42501', table = 'invitations';
  end if;
  -- FOR SHARE: a concurrent demotion of the caller waits until this invitation is made, or wins first.
  select p.organization_id into v_org from public.profiles p
   where p.id = actor and p.role = 'admin' and p.organization_id is not null for share;
  if v_org is null then
    raise exception 'only an admin of an organization can invite members' using errcode = '42501', table = 'invitations';
  end if;

  if v_email is null or v_email = '' then
    raise exception 'an email address is required' using errcode = '22023', table = 'invitations', column = 'email';
  end if;
  if char_length(v_email) > 320 then
    raise exception 'email address is too long (% characters, at most 320)', char_length(v_email)
      using errcode = '22023', table = 'invitations', column = 'email';
  end if;
  if v_email ~ '[[:space:][:cntrl:]]' or v_email !~ '^[^@]+@[^@]+$' then
    raise exception 'not an email address: expected one "@" between a name and a domain, and no spaces'
      using errcode = '22023', table = 'invitations', column = 'email';
  end if;
  if p_role is null or p_role not in ('admin', 'member') then
    raise exception 'role must be admin or member' using errcode = '22023', table = 'invitations', column = 'role';
  end if;
  -- In seconds (a month counts as 30 days), so that the validity is the same whatever the calendar,
  -- time zone or daylight saving time.
  v_seconds := extract(epoch from p_valid_for);
  if v_seconds is null or v_seconds < 3600 or v_seconds > 30 * 86400 then
    raise exception 'an invitation is valid for 1 hour to 30 days, not %', coalesce(p_valid_for::text, 'NULL')
      using errcode = '22023', table = 'invitations', column = 'expires_at';
  end if;
  v_expires := now() + make_interval(secs => v_seconds);

  -- One invitation at a time per organization (the limit and the replacement are decided on what is
  -- committed). FOR NO KEY UPDATE does not block foreign-key checks (inserts into tenant tables).
  perform 1 from public.organizations o where o.id = v_org for no key update;
  -- The pending invitation this one replaces, locked: an accept of its token waits, or has won.
  select i.id into v_replaced from public.invitations i
   where i.organization_id = v_org and i.email = v_email and i.status = 'pending' for update;

  if exists (select 1 from public.profiles p where p.organization_id = v_org and lower(p.email) = v_email) then
    raise exception 'this address already belongs to a member of your organization'
      using errcode = '55000', table = 'invitations', column = 'email';
  end if;
  select count(*) into v_pending from public.invitations i
   where i.organization_id = v_org and i.status = 'pending' and i.expires_at > now() and i.id is distinct from v_replaced;
  if v_pending >= 100 then
    raise exception 'your organization has 100 pending invitations, the most it may have: revoke some first'
      using errcode = '55000', table = 'invitations';
  end if;

  if v_replaced is not null then
    update public.invitations set status = 'replaced', ended_at = now() where id = v_replaced;
  end if;
  -- Two UUIDs from the server's CSPRNG: 244 random bits, as URL-safe base64 (43 characters).
  v_token := rtrim(translate(encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64'), '+/', '-_'), '=');
  insert into public.invitations (organization_id, email, role, token_hash, invited_by, expires_at)
  values (v_org, v_email, p_role, private.invitation_token_hash(v_token), actor, v_expires)
  returning id into v_id;
  return query select v_id, v_token, v_expires;
end
$$;

create function public.invite_member(email text, role text default 'member', valid_for interval default '7 days')
  returns table (invitation_id uuid, token text, expires_at timestamptz)
  language sql volatile set search_path = ''
  as $$ select * from private.invite_member(email, role, valid_for) $$;

create function private.accept_invitation(p_token text) returns uuid
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  v_email text;
  v_confirmed boolean;
  inv record;
  current_org uuid;
begin
  if actor is null then
    raise exception 'accept_invitation needs a signed-in user' using errcode = '42501', table = 'invitations';
  end if;
  if p_token is null or btrim(p_token) = '' then
    raise exception 'an invitation token is required' using errcode = '22023', table = 'invitations';
  end if;
  if char_length(p_token) > 200 then
    raise exception 'not an invitation token (too long)' using errcode = '22023', table = 'invitations';
  end if;
  -- Locked: of an accept and a revoke, decline, replacement or second accept of the same invitation,
  -- the second waits and then finds it no longer pending.
  select i.id, i.organization_id, i.email, i.role, i.status, i.expires_at into inv
    from public.invitations i where i.token_hash = private.invitation_token_hash(btrim(p_token)) for update;
  if not found then
    -- Says nothing about any organization, nor whether such a token ever existed.
    raise exception 'no invitation matches this token' using errcode = 'P0002', table = 'invitations';
  end if;

  select lower(btrim(u.email)), private.email_confirmed(u) into v_email, v_confirmed
    from auth.users u where u.id = actor;
  if v_email is distinct from inv.email then
    raise exception 'this invitation is addressed to another email address than yours'
      using errcode = '42501', table = 'invitations', column = 'email',
            hint = 'Sign in with the address the invitation was sent to.';
  end if;
  if not v_confirmed then
    raise exception 'confirm your email address before accepting an invitation'
      using errcode = '42501', table = 'invitations', column = 'email';
  end if;
  if inv.status <> 'pending' then
    raise exception 'this invitation was % and can no longer be accepted', inv.status
      using errcode = '55000', table = 'invitations', column = 'status';
  end if;
  if inv.expires_at <= now() then
    raise exception 'this invitation expired at %', inv.expires_at
      using errcode = '55000', table = 'invitations', column = 'expires_at', hint = 'Ask an admin to invite you again.';
  end if;

  select p.organization_id into current_org from public.profiles p where p.id = actor for update;
  if not found then
    raise exception 'user % has no profile', actor using errcode = '42501', table = 'profiles';
  end if;
  if current_org is not null then
    raise exception 'you already belong to an organization: leave it first (public.leave_organization)'
      using errcode = '55000', table = 'profiles', column = 'organization_id',
            hint = 'A user belongs to one organization.';
  end if;

  update public.invitations set status = 'accepted', accepted_by = actor, ended_at = now() where id = inv.id;
  -- Runs as the owner: profiles_guard() treats it as trusted code, as it does remove_member().
  update public.profiles set organization_id = inv.organization_id, role = inv.role where id = actor;
  return inv.organization_id;
end
$$;

create function public.accept_invitation(token text) returns uuid
  language sql volatile set search_path = ''
  as $$ select private.accept_invitation(token) $$;

-- Unknown invitations and other organizations' get the same answer as a non-admin: nothing is revealed.
create function private.revoke_invitation(p_invitation_id uuid) returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  v_status text;
begin
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

create function public.revoke_invitation(invitation_id uuid) returns void
  language sql volatile set search_path = ''
  as $$ select private.revoke_invitation(invitation_id) $$;

create function private.decline_invitation(p_invitation_id uuid) returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  v_email text := private.confirmed_email();
  inv record;
begin
  select i.status, i.expires_at into inv from public.invitations i
   where i.id = p_invitation_id and i.email = v_email for update;
  if not found then
    raise exception 'not allowed to decline invitation %', p_invitation_id
      using errcode = '42501', table = 'invitations',
            hint = 'Only the invitee, signed in with the confirmed address it was sent to, can decline it.';
  end if;
  if inv.status <> 'pending' then
    raise exception 'invitation % was % and can no longer be declined', p_invitation_id, inv.status
      using errcode = '55000', table = 'invitations', column = 'status';
  end if;
  if inv.expires_at <= now() then
    raise exception 'invitation % expired at %', p_invitation_id, inv.expires_at
      using errcode = '55000', table = 'invitations', column = 'expires_at';
  end if;
  update public.invitations set status = 'declined', ended_at = now() where id = p_invitation_id;
end
$$;

create function public.decline_invitation(invitation_id uuid) returns void
  language sql volatile set search_path = ''
  as $$ select private.decline_invitation(invitation_id) $$;

create function private.my_invitations()
  returns table (invitation_id uuid, organization_id uuid, organization_name text, role text,
                 invited_by_name text, expires_at timestamptz)
  language plpgsql stable security definer set search_path = ''
  as $$
declare
  v_email text := private.confirmed_email();
begin
  return query
    select i.id, i.organization_id, o.name, i.role, coalesce(p.full_name, p.email), i.expires_at
      from public.invitations i
      join public.organizations o on o.id = i.organization_id
      left join public.profiles p on p.id = i.invited_by
     where i.email = v_email and i.status = 'pending' and i.expires_at > now()
     order by i.created_at desc, i.id;
end
$$;

create function public.my_invitations()
  returns table (invitation_id uuid, organization_id uuid, organization_name text, role text,
                 invited_by_name text, expires_at timestamptz)
  language sql stable set search_path = ''
  as $$ select * from private.my_invitations() $$;

create function private.leave_organization() returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
declare
  actor uuid := auth.uid();
  current_org uuid;
begin
  if actor is null then
    raise exception 'leave_organization needs a signed-in user' using errcode = '42501', table = 'profiles';
  end if;
  select p.organization_id into current_org from public.profiles p where p.id = actor for update;
  if current_org is null then
    raise exception 'you do not belong to an organization' using errcode = '55000', table = 'profiles', column = 'organization_id';
  end if;
  -- profiles_guard() resets the role to member and keeps the last admin (organization_keeps_an_admin).
  update public.profiles set organization_id = null where id = actor;
end
$$;

create function public.leave_organization() returns void
  language sql volatile set search_path = ''
  as $$ select private.leave_organization() $$;

-- ============================================================================
-- GRANTS: new functions are executable by PUBLIC (and, on Supabase, granted to the API roles)
-- ============================================================================
revoke all on function
  private.audit_invitation(), private.email_confirmed(auth.users), private.confirmed_email(), private.invitation_token_hash(text),
  private.invite_member(text, text, interval), private.accept_invitation(text), private.revoke_invitation(uuid),
  private.decline_invitation(uuid), private.my_invitations(), private.leave_organization()
  from public, anon, authenticated, service_role;
-- The helpers run only inside the SECURITY DEFINER functions (as the owner): no API role calls them.
grant execute on function
  private.invite_member(text, text, interval), private.accept_invitation(text), private.revoke_invitation(uuid),
  private.decline_invitation(uuid), private.my_invitations(), private.leave_organization()
  to authenticated, service_role;

revoke all on function
  public.invite_member(text, text, interval), public.accept_invitation(text), public.revoke_invitation(uuid),
  public.decline_invitation(uuid), public.my_invitations(), public.leave_organization()
  from public, anon;
grant execute on function
  public.invite_member(text, text, interval), public.accept_invitation(text), public.revoke_invitation(uuid),
  public.decline_invitation(uuid), public.my_invitations(), public.leave_organization()
  to authenticated, service_role;

-- ============================================================================
-- COMMENTS
-- ============================================================================
comment on table public.invitations is
  'Invitations into an organization, bound to an email address. Its admins read them (every column but token_hash, which no API role may read); nobody writes them directly: public.invite_member(), accept_invitation(), revoke_invitation() and decline_invitation() do. Audited without the token hash.';
comment on column public.invitations.id is 'Primary key; the invitation_id of the API functions.';
comment on column public.invitations.organization_id is 'Organization the invitee joins (tenant key); cannot change. Deleting the organization deletes its invitations.';
comment on column public.invitations.email is 'Address invited, trimmed and lower-case; accepting needs the caller''s confirmed auth.users address to equal it.';
comment on column public.invitations.role is '''admin'' or ''member'': the role the invitee gets on accepting.';
comment on column public.invitations.token_hash is 'sha256 of the token (32 bytes); the token itself is never stored. No API role may read this column.';
comment on column public.invitations.invited_by is 'Profile of the admin who invited; NULL once that user is deleted.';
comment on column public.invitations.status is 'pending (acceptable until expires_at), accepted, declined (by the invitee), revoked (by an admin) or replaced (by a newer invitation to the same address).';
comment on column public.invitations.accepted_by is 'Profile of the user who accepted (status accepted); NULL otherwise or once that user is deleted.';
comment on column public.invitations.created_at is 'When the invitation was made.';
comment on column public.invitations.expires_at is 'End of validity: a pending invitation cannot be accepted from then on (1 hour to 30 days after created_at).';
comment on column public.invitations.ended_at is 'When it was accepted, declined, revoked or replaced; NULL while pending.';
comment on policy invitations_select on public.invitations is 'Admins read their organization''s invitations (column privileges keep token_hash out).';
comment on index public.idx_invitations_org_created is 'An organization''s invitations by time: the admins'' listing, the policy and the foreign key to organizations.';
comment on index public.invitations_org_email_pending_key is 'At most one pending invitation per organization and address (a new one replaces it).';
comment on index public.invitations_token_hash_key is 'Finds an invitation by the hash of its token; two tokens never share a hash.';
comment on index public.idx_invitations_email_pending is 'Pending invitations by address: public.my_invitations().';
comment on index public.idx_invitations_invited_by is 'Foreign key invited_by -> profiles.';
comment on index public.idx_invitations_accepted_by is 'Foreign key accepted_by -> profiles.';
comment on trigger invitations_audit on public.invitations is 'Audits every invitation row change (private.audit_invitation), without the token hash.';
comment on trigger invitations_reject_key_change on public.invitations is 'id and organization_id never change.';

comment on function private.audit_invitation() is
  'AFTER INSERT/UPDATE/DELETE row trigger on invitations: one audit row filed under the invitation''s organization, actor auth.uid(), the row without token_hash.';
comment on function private.email_confirmed(auth.users) is
  'Whether the user''s address is confirmed: auth.users.email_confirmed_at, or confirmed_at where GoTrue''s migrations have not yet renamed it.';
comment on function private.confirmed_email() is
  'The signed-in user''s auth.users email, trimmed and lower-case, if it is confirmed (private.email_confirmed); NULL otherwise.';
comment on function private.invitation_token_hash(text) is 'sha256 of a token''s UTF-8 bytes: what invitations.token_hash stores.';
comment on function private.invite_member(text, text, interval) is 'Implements public.invite_member().';
comment on function private.accept_invitation(text) is 'Implements public.accept_invitation().';
comment on function private.revoke_invitation(uuid) is 'Implements public.revoke_invitation().';
comment on function private.decline_invitation(uuid) is 'Implements public.decline_invitation().';
comment on function private.my_invitations() is 'Implements public.my_invitations().';
comment on function private.leave_organization() is 'Implements public.leave_organization().';
comment on function public.invite_member(text, text, interval) is
  'An admin invites an email address into their organization as admin or member, valid 1 hour to 30 days (default 7 days). Returns the invitation id, the token (returned this once, never stored) and its expiry. Replaces a pending invitation to the same address. Refuses non-admins, implausible addresses, other roles, a member''s address and more than 100 pending invitations.';
comment on function public.accept_invitation(text) is
  'The signed-in user joins the organization of the invitation with this token, in its role, and gets its id. Needs the user''s confirmed auth.users email to be the invited address, the invitation pending and unexpired, and the user in no organization. Once per invitation.';
comment on function public.revoke_invitation(uuid) is 'An admin of the invitation''s organization revokes a pending invitation; its token stops working.';
comment on function public.decline_invitation(uuid) is 'The invitee (signed in with the confirmed address invited) declines a pending invitation.';
comment on function public.my_invitations() is 'Pending, unexpired invitations addressed to the signed-in user''s confirmed email: organization, role, who invited, expiry. No tokens.';
comment on function public.leave_organization() is 'The signed-in user leaves their organization and becomes an outsider; the last admin cannot.';

comment on column public.profiles.organization_id is
  'The organization the user belongs to; NULL = outsider. Set by public.create_organization(), public.accept_invitation() or a trusted role; cleared by an admin of that organization (public.remove_member(), or an UPDATE setting it to NULL), by the user (public.leave_organization()) or when the organization is deleted. A signed-in user never sets it with an UPDATE.';
