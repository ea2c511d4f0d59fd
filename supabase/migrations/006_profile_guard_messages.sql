-- 006_profile_guard_messages: private.profiles_guard() says what it refused (issue 11). An outsider
-- setting their own organization_id was told it "can only be cleared by an admin", which answered a
-- question they had not asked; setting it (joining, or moving between organizations) is now refused
-- with the ways that do work. Clearing it by a non-admin keeps its message. Everything else is as in
-- 001: the same checks, in the same order, with the same error codes; CREATE OR REPLACE keeps the
-- trigger, the grants and the comment.
--
-- The trusted branch (current_user not anon/authenticated) is unchanged: SECURITY DEFINER code of
-- these migrations runs as the owner, which is how private.remove_member() and, from 007,
-- private.accept_invitation() and private.leave_organization() change organization_id, and the only
-- way an API request can.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.profiles_guard() returns trigger
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
      -- Joining (or moving) is never a plain UPDATE: it happens in SECURITY DEFINER code (trusted branch
      -- below), private.accept_invitation() or private.create_organization(). Removal (to NULL) is an
      -- admin's, through public.remove_member(); one's own leaving is public.leave_organization().
      if new.organization_id is not null then
        raise exception 'profiles.organization_id cannot be set directly: join an organization by accepting an invitation (public.accept_invitation) or create one (public.create_organization)'
          using errcode = '42501', table = 'profiles', column = 'organization_id';
      end if;
      if not actor_is_admin then
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

