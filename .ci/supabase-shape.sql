-- CI only: gives template1 of a fresh cluster the privilege layout of a Supabase project, so that the
-- PostgreSQL pass runs the tests the way they run on Supabase: the migrations and the tests connect as
-- postgres, which is not a superuser (CREATEDB, CREATEROLE, BYPASSRLS), while auth and auth.users
-- belong to supabase_auth_admin; postgres may use and write them, and create triggers on auth.users,
-- but not comment on them. Run by the cluster's bootstrap superuser (supabase_admin, as on Supabase)
-- connected to template1, with the project root as the current directory.
\set ON_ERROR_STOP on

create role postgres login createdb createrole replication bypassrls;
create role supabase_auth_admin login noinherit createrole;

-- The project's own compatibility layer: the API roles, auth.users, auth.uid/role/jwt and the grants.
\i supabase/compat/supabase_compat.sql

-- postgres switches into the API roles, and what it creates in public is granted to them in full
-- (Supabase's default privileges).
grant anon, authenticated, service_role to postgres;
-- As on Supabase: postgres may end other sessions (DROP DATABASE ... WITH (FORCE) in the tests' cleanup
-- must stop an autovacuum worker, which runs as no role postgres is a member of).
grant pg_signal_backend to postgres;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;

-- GoTrue's schema is its own; postgres may use it and write to it.
alter schema auth owner to supabase_auth_admin;
alter table auth.users owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant usage on schema auth to postgres;
grant all on all tables in schema auth to postgres;
grant all on all routines in schema auth to postgres;
