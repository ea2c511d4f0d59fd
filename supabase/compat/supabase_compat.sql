-- Supabase compatibility layer for plain PostgreSQL 15+ and the embedded database (PGlite).
--
-- Not a migration: it recreates, only where missing, what every Supabase database already has and
-- what supabase/migrations relies on. On a real Supabase database every statement below is a no-op,
-- so nothing Supabase owns is ever overwritten. Safe to run any number of times.

-- ============================================================================
-- ROLES
-- ============================================================================
do $compat$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- The migration owner (postgres on Supabase) switches into the API roles, as PostgREST's
  -- authenticator does; a superuser needs no membership, a plain owner does.
  if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    execute format('grant anon, authenticated, service_role to %I', current_user);
  end if;
end
$compat$;

-- ============================================================================
-- SCHEMA auth AND auth.users (the columns GoTrue writes that this project reads)
-- ============================================================================
create schema if not exists auth;

-- Checked first: where auth.users exists (Supabase), postgres may not create in auth at all, and
-- CREATE TABLE IF NOT EXISTS checks that privilege before it looks.
do $compat$
begin
  if to_regclass('auth.users') is null then
    create table auth.users (
      instance_id uuid,
      id uuid primary key,
      aud varchar(255),
      role varchar(255),
      email varchar(255),
      encrypted_password varchar(255),
      email_confirmed_at timestamptz,
      last_sign_in_at timestamptz,
      raw_app_meta_data jsonb,
      raw_user_meta_data jsonb,
      is_super_admin boolean,
      created_at timestamptz default now(),
      updated_at timestamptz default now(),
      phone text unique default null,
      phone_confirmed_at timestamptz,
      banned_until timestamptz,
      is_sso_user boolean not null default false,
      deleted_at timestamptz,
      is_anonymous boolean not null default false
    );
  end if;
end
$compat$;

-- ============================================================================
-- auth.uid(), auth.role(), auth.jwt(): Supabase's definitions. Claims are read with
-- current_setting(..., true) and '' treated as NULL: once a pooled connection has set the claims,
-- the setting reads '' (not NULL) for the next user of that connection.
-- ============================================================================
do $compat$
begin
  if to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid
      language sql stable
      as $fn$
        select coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $fn$;
  end if;
  if to_regprocedure('auth.role()') is null then
    create function auth.role() returns text
      language sql stable
      as $fn$
        select coalesce(
          nullif(current_setting('request.jwt.claim.role', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $fn$;
  end if;
  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb
      language sql stable
      as $fn$
        select coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $fn$;
  end if;
end
$compat$;

-- ============================================================================
-- GRANTS: Supabase's defaults. The API roles may use public and call the auth helpers, and every new
-- table, sequence and function in public is granted to them in full, so Row Level Security and
-- explicit REVOKEs in the migrations are the only barriers, exactly as on Supabase.
-- ============================================================================
grant usage on schema public to anon, authenticated, service_role;
grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
