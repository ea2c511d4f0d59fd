-- 017_user_login_role: a login role for untrusted SQL as a user or anon (issue 22, item 7). 008's
-- tenantry_authenticator may become service_role, as PostgREST's authenticator may: fine for code
-- that writes its own queries, not for a session that runs SQL it did not write. `tenantry sql --as
-- <email|anon>` / `--token` ran over it, so as a member `do $$ begin execute 'set ro'||'le
-- service_role'; end $$` read every tenant's rows; only a reading of the statement's text stood in
-- the way. tenantry_user_authenticator is the same kind of login without service_role: whatever a
-- statement does, the roles it can reach are anon, authenticated and itself (no rights of its own).
--
--   LOGIN       created without a password, as 008's: nobody logs in with one until an administrator
--               sets it (alter role ... password, docs/production.md); trust/peer logins on a local
--               cluster need none.
--   NOINHERIT   membership grants it nothing until it switches role: as itself it has PUBLIC's rights.
--   granted anon and authenticated and nothing else: `set role service_role`, `set role postgres`,
--               `set session authorization` and `set_config('role', ...)` are refused (42501),
--               however they are written (execute, a function, a DO block).
--
-- Roles belong to the cluster: the role may exist already (another database of the cluster, or made
-- by hand), and two databases migrating at once may race to create, grant or comment on it; each step
-- tolerates that. Nothing here needs a superuser: CREATEROLE (Supabase's postgres has it) creates the
-- role, grants anon and authenticated on PostgreSQL 15, and comments on the role.

set lock_timeout = '4s';
set statement_timeout = '60s';

do $login$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'tenantry_user_authenticator') then
    create role tenantry_user_authenticator login noinherit;
  end if;
exception when duplicate_object or unique_violation then
  null; -- created meanwhile by a migration of another database of this cluster
end
$login$;

do $login$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if not pg_catalog.pg_has_role('tenantry_user_authenticator', api_role, 'member') then
      begin
        execute format('grant %I to tenantry_user_authenticator', api_role);
      exception when unique_violation then
        null; -- granted meanwhile by another database's migration
      end;
    end if;
  end loop;
end
$login$;

-- A comment on a role is the cluster's (pg_shdescription): written only when it differs, and a
-- concurrent writer's (unique_violation, or "tuple concurrently updated", XX000) is as good as ours.
do $login$
declare
  about constant text := 'Login for untrusted SQL as a user or anon (tenantry sql --as/--token, migration 017): '
    'no rights of its own, member of anon and authenticated only, never service_role or the owner. '
    'Created without a password; set one to log in with it (docs/production.md).';
begin
  if pg_catalog.shobj_description(
       (select oid from pg_catalog.pg_roles where rolname = 'tenantry_user_authenticator'), 'pg_authid') is distinct from about then
    execute format('comment on role tenantry_user_authenticator is %L', about);
  end if;
exception when unique_violation or internal_error then
  null; -- commented meanwhile by another database's migration
end
$login$;
