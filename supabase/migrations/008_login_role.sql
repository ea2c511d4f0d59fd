-- 008_login_role: the login role for user sessions (issue 14). The application's pool used to log in
-- as the owner, so that only `set local role` stood between a session and the owner's rights: a
-- `reset role` (or `set role postgres`) inside a session ran as the owner again. Supabase's own API
-- logs in as `authenticator` instead, a role with no rights of its own that can only become anon,
-- authenticated or service_role; tenantry_authenticator is the same for this project's sessions
-- (createDb's authenticatorUrl, docs/production.md).
--
--   LOGIN       it is a login, but created without a password: nobody can log in with one until an
--               administrator sets it (alter role ... password, docs/production.md); trust/peer
--               logins on a local cluster need none.
--   NOINHERIT   membership grants it nothing until it switches role: as itself it has PUBLIC's
--               rights only (no table, no sequence, no schema of its own).
--   granted anon, authenticated, service_role and nothing else: `set role` to the owner, `set
--               session authorization` and `set_config('role', ...)` to anything else are refused.
--
-- Roles belong to the cluster, not to the database: the role may exist already (another database of
-- the same cluster, or created by hand), and two databases migrating at once may race to create it;
-- both are fine. Nothing here needs a superuser: CREATEROLE (Supabase's postgres has it) creates the
-- role and grants the API roles on PostgreSQL 15.

set lock_timeout = '4s';
set statement_timeout = '60s';

do $login$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'tenantry_authenticator') then
    create role tenantry_authenticator login noinherit;
  end if;
exception when duplicate_object or unique_violation then
  null; -- created meanwhile by a migration of another database of this cluster
end
$login$;

do $login$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated', 'service_role'] loop
    if not pg_catalog.pg_has_role('tenantry_authenticator', api_role, 'member') then
      begin
        execute format('grant %I to tenantry_authenticator', api_role);
      exception when unique_violation then
        null; -- granted meanwhile by another database's migration
      end;
    end if;
  end loop;
end
$login$;

