-- supabase/schema.sql: the full schema reference, GENERATED from a freshly migrated embedded database by
-- `npx tenantry generate`, from pg_catalog (lib/devtools/catalog.ts, lib/devtools/schema-dump.ts).
-- Do not edit: change the SQL in supabase/migrations, then regenerate. test/schema-reference.test.ts fails when
-- this file is out of date.
--
-- Not a migration: supabase/migrations builds the database. This file shows what they build, in one place, in a
-- stable order: schemas, tables (columns, keys, checks), foreign keys, indexes, functions (full definitions),
-- row level security and policies, triggers, and privileges, each followed by its COMMENT. It is valid SQL:
-- after supabase/compat/supabase_compat.sql on an empty database it rebuilds the same schema (tested).
--
-- Left out, so that PostgreSQL 15 and 18 give the same text: owners; privileges of roles other than PUBLIC, anon,
-- authenticated and service_role; and MAINTAIN (PostgreSQL 17+), which Supabase's default "grant all" also gives
-- the API roles wherever they hold the table privileges shown below.

SET check_function_bodies = false;

-- ================================================================================================
-- SCHEMAS (public comes with the database; its privileges are Supabase's)
-- ================================================================================================

CREATE SCHEMA private;
COMMENT ON SCHEMA private IS 'Helpers for policies, triggers and the public API. Not exposed by the Data API; no EXECUTE for PUBLIC or anon.';
REVOKE ALL ON SCHEMA private FROM PUBLIC, anon, authenticated, service_role;
GRANT USAGE ON SCHEMA private TO authenticated, service_role;

-- ================================================================================================
-- TABLES
-- ================================================================================================

CREATE TABLE private.activities_daily (
  organization_id uuid NOT NULL,
  day date NOT NULL,
  type text NOT NULL,
  activities bigint NOT NULL,
  CONSTRAINT activities_daily_pkey PRIMARY KEY (organization_id, day, type)
);
COMMENT ON TABLE private.activities_daily IS 'no policies: private rollup of public.activities. Live rows per organization, UTC day of created_at and type. Exact together with private.activities_daily_deltas.';

CREATE TABLE private.activities_daily_deltas (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  organization_id uuid NOT NULL,
  day date NOT NULL,
  type text NOT NULL,
  activities bigint NOT NULL,
  CONSTRAINT activities_daily_deltas_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE private.activities_daily_deltas IS 'no policies: append-only log of signed changes to private.activities_daily (activities_rollup_* triggers), folded by private.rollups_merge.';

CREATE TABLE private.ai_usage_daily (
  organization_id uuid NOT NULL,
  day date NOT NULL,
  model text NOT NULL,
  user_id uuid NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric(24,4) NOT NULL,
  CONSTRAINT ai_usage_daily_pkey PRIMARY KEY (organization_id, day, model, user_id)
);
COMMENT ON TABLE private.ai_usage_daily IS 'no policies: private rollup of public.ai_usage_log per organization, day, model and user: calls, tokens, cost. Serves a member''s own usage by model (idx_ai_usage_daily_org_user_day_sums, index-only). Exact together with private.ai_usage_daily_deltas.';

CREATE TABLE private.ai_usage_daily_deltas (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  organization_id uuid NOT NULL,
  day date NOT NULL,
  model text NOT NULL,
  user_id uuid NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric(24,4) NOT NULL,
  CONSTRAINT ai_usage_daily_deltas_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE private.ai_usage_daily_deltas IS 'no policies: append-only log of signed changes to private.ai_usage_daily and its admin grains ai_usage_model_daily and ai_usage_user_daily (ai_usage_log_rollup_* triggers), folded into all three by private.rollups_merge.';

CREATE TABLE private.ai_usage_model_daily (
  organization_id uuid NOT NULL,
  day date NOT NULL,
  model text NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric(24,4) NOT NULL,
  CONSTRAINT ai_usage_model_daily_pkey PRIMARY KEY (organization_id, day, model)
);
COMMENT ON TABLE private.ai_usage_model_daily IS 'no policies: private rollup of public.ai_usage_log per organization, day and model (ai_usage_daily summed over users): serves an admin''s usage by day and by model. Folded from private.ai_usage_daily_deltas with ai_usage_daily; exact together with them.';

CREATE TABLE private.ai_usage_user_daily (
  organization_id uuid NOT NULL,
  day date NOT NULL,
  user_id uuid NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric(24,4) NOT NULL,
  CONSTRAINT ai_usage_user_daily_pkey PRIMARY KEY (organization_id, day, user_id)
);
COMMENT ON TABLE private.ai_usage_user_daily IS 'no policies: private rollup of public.ai_usage_log per organization, day and user (ai_usage_daily summed over models): serves an admin''s usage by user and a member''s own usage by day and by user (idx_ai_usage_user_daily_org_user_day). Folded from private.ai_usage_daily_deltas with ai_usage_daily; exact together with them.';

CREATE TABLE private.offboarding_settings (
  id boolean DEFAULT true NOT NULL,
  deletion_grace interval DEFAULT '30 days'::interval NOT NULL,
  purge_batch_rows bigint DEFAULT 5000 NOT NULL,
  CONSTRAINT offboarding_settings_pkey PRIMARY KEY (id),
  CONSTRAINT offboarding_settings_batch_range CHECK (((purge_batch_rows >= 1) AND (purge_batch_rows <= 1000000))),
  CONSTRAINT offboarding_settings_grace_range CHECK (((deletion_grace >= '00:00:00'::interval) AND (deletion_grace <= '366 days'::interval))),
  CONSTRAINT offboarding_settings_one_row CHECK (id)
);
COMMENT ON TABLE private.offboarding_settings IS 'One row: how the deployment offboards (no policies: the owner''s only, no API role reads or writes it). deletion_grace: time between a deletion request and the purge (default 30 days); purge_batch_rows: rows deleted per batch by the purge (default 5000). Changed by the owner: update private.offboarding_settings set deletion_grace = ''7 days''.';
COMMENT ON COLUMN private.offboarding_settings.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN private.offboarding_settings.deletion_grace IS 'Grace period after public.request_organization_deletion(): 0 to 366 days.';
COMMENT ON COLUMN private.offboarding_settings.purge_batch_rows IS 'Rows per batch (and per transaction, through the CLI or pg_cron) of the purge.';

CREATE TABLE private.revenue_daily (
  organization_id uuid NOT NULL,
  day date NOT NULL,
  amount numeric(20,2) NOT NULL,
  invoices bigint NOT NULL,
  CONSTRAINT revenue_daily_pkey PRIMARY KEY (organization_id, day)
);
COMMENT ON TABLE private.revenue_daily IS 'no policies: private rollup of public.revenue, read only by the owner''s dashboard functions. Live rows per organization and day: amount = sum(amount), invoices = count. Exact together with private.revenue_daily_deltas; folded by private.rollups_merge, recomputed by private.rollups_rebuild.';

CREATE TABLE private.revenue_daily_deltas (
  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  organization_id uuid NOT NULL,
  day date NOT NULL,
  amount numeric(20,2) NOT NULL,
  invoices bigint NOT NULL,
  CONSTRAINT revenue_daily_deltas_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE private.revenue_daily_deltas IS 'no policies: append-only log of signed changes to private.revenue_daily, written by the revenue_rollup_* statement triggers, deleted when folded by private.rollups_merge. No foreign key (write path); deltas of a deleted organization are discarded by the fold.';

CREATE TABLE public.activities (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  type text NOT NULL,
  customer_id uuid,
  metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
  deleted_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT activities_pkey PRIMARY KEY (id),
  CONSTRAINT activities_metadata_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
  CONSTRAINT activities_metadata_size CHECK ((octet_length((metadata)::text) <= 65536)),
  CONSTRAINT activities_type_check CHECK ((type = ANY (ARRAY['signup'::text, 'purchase'::text, 'churn'::text, 'login'::text, 'export'::text])))
);
COMMENT ON TABLE public.activities IS 'Events of an organization, optionally about one of its customers, with JSON metadata. Members read live rows, admins write; DELETE by an admin is a soft delete. Audited.';
COMMENT ON COLUMN public.activities.id IS 'Primary key.';
COMMENT ON COLUMN public.activities.organization_id IS 'Owning organization (tenant key); cannot change. Deleting the organization deletes its activities.';
COMMENT ON COLUMN public.activities.type IS 'Kind of event: signup, purchase, churn, login or export.';
COMMENT ON COLUMN public.activities.customer_id IS 'Customer of the same organization (tenant-safe key activities_customer_id_fkey on customer_id, organization_id); set to NULL when that customer is hard-deleted.';
COMMENT ON COLUMN public.activities.metadata IS 'Free-form JSON object about the event; never NULL (default {}); GIN-indexed for containment (@>) queries.';
COMMENT ON COLUMN public.activities.deleted_at IS 'Soft delete: NULL = live; set = in the trash since then, hidden from normal reads. Set and cleared like customers.deleted_at; listed by public.deleted_activities().';
COMMENT ON COLUMN public.activities.created_at IS 'When the event was recorded.';

CREATE TABLE public.ai_usage_log (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  organization_id uuid NOT NULL,
  query_id uuid NOT NULL,
  input_tokens integer DEFAULT 0 NOT NULL,
  output_tokens integer DEFAULT 0 NOT NULL,
  cost_usd numeric(10,4) DEFAULT 0 NOT NULL,
  model text NOT NULL,
  date date NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT ai_usage_log_pkey PRIMARY KEY (id),
  CONSTRAINT ai_usage_log_cost_usd_check CHECK ((cost_usd >= (0)::numeric)),
  CONSTRAINT ai_usage_log_input_tokens_check CHECK ((input_tokens >= 0)),
  CONSTRAINT ai_usage_log_model_length CHECK (((char_length(btrim(model)) >= 1) AND (char_length(btrim(model)) <= 100))),
  CONSTRAINT ai_usage_log_output_tokens_check CHECK ((output_tokens >= 0))
);
COMMENT ON TABLE public.ai_usage_log IS 'Token and cost accounting of AI calls. Written by trusted roles (the server, service_role) only; a member reads their own rows, an admin the whole organization''s.';
COMMENT ON COLUMN public.ai_usage_log.id IS 'Primary key.';
COMMENT ON COLUMN public.ai_usage_log.user_id IS 'The user the call was made for (an auth user id; no foreign key).';
COMMENT ON COLUMN public.ai_usage_log.organization_id IS 'Organization billed for the call. Deleting the organization deletes its usage rows.';
COMMENT ON COLUMN public.ai_usage_log.query_id IS 'Id of the AI query the call belongs to, assigned by the server.';
COMMENT ON COLUMN public.ai_usage_log.input_tokens IS 'Prompt tokens; >= 0.';
COMMENT ON COLUMN public.ai_usage_log.output_tokens IS 'Completion tokens; >= 0.';
COMMENT ON COLUMN public.ai_usage_log.cost_usd IS 'Cost in US dollars, exact numeric(10,4); >= 0.';
COMMENT ON COLUMN public.ai_usage_log.model IS 'Model that served the call.';
COMMENT ON COLUMN public.ai_usage_log.date IS 'Day the usage counts for (DATE), for daily totals.';
COMMENT ON COLUMN public.ai_usage_log.created_at IS 'When the row was recorded.';

CREATE TABLE public.audit_logs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  user_id uuid,
  action text NOT NULL,
  table_name text NOT NULL,
  record_id uuid,
  old_data jsonb,
  new_data jsonb,
  created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
  CONSTRAINT audit_logs_pkey PRIMARY KEY (id, created_at),
  CONSTRAINT audit_logs_action_check CHECK ((action = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text, 'SOFT_DELETE'::text, 'RESTORE'::text])))
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.audit_logs IS 'Append-only audit trail, written by triggers only: one row per changed row of customers, revenue and activities, per update or delete of an organization, per change of a profile''s role or organization. Read by the organization''s admins; nobody may update, delete or truncate it. Partitioned by month on created_at (partitions in schema private, kept by private.audit_logs_maintain, dropped by private.audit_logs_prune).';
COMMENT ON COLUMN public.audit_logs.id IS 'Primary key, with created_at (the partition key).';
COMMENT ON COLUMN public.audit_logs.organization_id IS 'Organization the changed row belongs to (taken from the row itself, OLD on delete). No foreign key on purpose: the trail outlives the organization.';
COMMENT ON COLUMN public.audit_logs.user_id IS 'The actor: auth.uid() of the request that made the change; NULL = system (no signed-in user: the owner, migrations, service_role, seeds).';
COMMENT ON COLUMN public.audit_logs.action IS 'INSERT, UPDATE, DELETE (hard delete), SOFT_DELETE (deleted_at set) or RESTORE (deleted_at cleared).';
COMMENT ON COLUMN public.audit_logs.table_name IS 'Table of the changed row, without schema.';
COMMENT ON COLUMN public.audit_logs.record_id IS 'Primary key of the changed row (the profile id, the organization id, ...).';
COMMENT ON COLUMN public.audit_logs.old_data IS 'The whole row before the change, as JSON; NULL for INSERT.';
COMMENT ON COLUMN public.audit_logs.new_data IS 'The whole row after the change, as JSON; NULL for DELETE.';
COMMENT ON COLUMN public.audit_logs.created_at IS 'When the change was recorded (clock_timestamp(): rows of one transaction keep their order). The partition key: one partition per calendar month in UTC.';

CREATE TABLE public.customers (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  name text NOT NULL,
  email text,
  company text,
  industry text,
  total_revenue numeric(12,2) DEFAULT 0 NOT NULL,
  last_purchase_date date,
  status text DEFAULT 'active'::text NOT NULL,
  deleted_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT customers_pkey PRIMARY KEY (id),
  CONSTRAINT customers_id_organization_id_key UNIQUE (id, organization_id),
  CONSTRAINT customers_company_length CHECK ((char_length(company) <= 200)),
  CONSTRAINT customers_email_length CHECK ((char_length(email) <= 320)),
  CONSTRAINT customers_industry_length CHECK ((char_length(industry) <= 100)),
  CONSTRAINT customers_name_length CHECK (((char_length(btrim(name)) >= 1) AND (char_length(btrim(name)) <= 200))),
  CONSTRAINT customers_status_check CHECK ((status = ANY (ARRAY['active'::text, 'inactive'::text, 'churned'::text])))
);
COMMENT ON TABLE public.customers IS 'Customers of an organization (tenant data). Members read live rows, admins write; an admin''s DELETE is a soft delete (deleted_at), hard delete is for trusted roles. Audited.';
COMMENT ON COLUMN public.customers.id IS 'Primary key.';
COMMENT ON COLUMN public.customers.organization_id IS 'Owning organization (the tenant key every policy compares); cannot change. Deleting the organization deletes its customers.';
COMMENT ON COLUMN public.customers.name IS 'Customer name.';
COMMENT ON COLUMN public.customers.email IS 'Contact email address.';
COMMENT ON COLUMN public.customers.company IS 'Company name.';
COMMENT ON COLUMN public.customers.industry IS 'Industry, free text.';
COMMENT ON COLUMN public.customers.total_revenue IS 'Derived: sum of amount over the customer''s live revenue rows, kept by the revenue_totals_* triggers; any other write to it is ignored, and a change to it alone is not audited.';
COMMENT ON COLUMN public.customers.last_purchase_date IS 'Derived: latest date of the customer''s live revenue rows (NULL when none), kept like total_revenue.';
COMMENT ON COLUMN public.customers.status IS 'Lifecycle status: active (the default), inactive or churned.';
COMMENT ON COLUMN public.customers.deleted_at IS 'Soft delete: NULL = live; set = in the trash since then, hidden from normal reads. Set by an admin''s DELETE, public.soft_delete() or an UPDATE that only sets it; listed by public.deleted_customers(), cleared by public.restore().';
COMMENT ON COLUMN public.customers.created_at IS 'When the row was created.';
COMMENT ON COLUMN public.customers.updated_at IS 'Last change; set by the customers_touch_updated_at trigger (a change to it alone is not audited).';
COMMENT ON CONSTRAINT customers_id_organization_id_key ON public.customers IS 'Target of the tenant-safe foreign keys: (id, organization_id) lets a row point only at a customer of its own organization.';

CREATE TABLE public.invitations (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  email text NOT NULL,
  role text NOT NULL,
  token_hash bytea NOT NULL,
  invited_by uuid,
  status text DEFAULT 'pending'::text NOT NULL,
  accepted_by uuid,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  ended_at timestamp with time zone,
  CONSTRAINT invitations_pkey PRIMARY KEY (id),
  CONSTRAINT invitations_accepted_by CHECK (((accepted_by IS NULL) OR (status = 'accepted'::text))),
  CONSTRAINT invitations_email_format CHECK (((char_length(email) <= 320) AND (email ~ '^[^@]+@[^@]+$'::text))),
  CONSTRAINT invitations_email_normalised CHECK (((email = lower(btrim(email))) AND (email !~ '[[:space:][:cntrl:]]'::text))),
  CONSTRAINT invitations_ended CHECK (((status = 'pending'::text) = (ended_at IS NULL))),
  CONSTRAINT invitations_expiry CHECK ((expires_at > created_at)),
  CONSTRAINT invitations_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'member'::text]))),
  CONSTRAINT invitations_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'accepted'::text, 'declined'::text, 'revoked'::text, 'replaced'::text]))),
  CONSTRAINT invitations_token_hash_length CHECK ((octet_length(token_hash) = 32))
);
COMMENT ON TABLE public.invitations IS 'Invitations into an organization, bound to an email address. Its admins read them (every column but token_hash, which no API role may read); nobody writes them directly: public.invite_member(), accept_invitation(), revoke_invitation() and decline_invitation() do. Audited without the token hash.';
COMMENT ON COLUMN public.invitations.id IS 'Primary key; the invitation_id of the API functions.';
COMMENT ON COLUMN public.invitations.organization_id IS 'Organization the invitee joins (tenant key); cannot change. Deleting the organization deletes its invitations.';
COMMENT ON COLUMN public.invitations.email IS 'Address invited, trimmed and lower-case; accepting needs the caller''s confirmed auth.users address to equal it.';
COMMENT ON COLUMN public.invitations.role IS '''admin'' or ''member'': the role the invitee gets on accepting.';
COMMENT ON COLUMN public.invitations.token_hash IS 'sha256 of the token (32 bytes); the token itself is never stored. No API role may read this column.';
COMMENT ON COLUMN public.invitations.invited_by IS 'Profile of the admin who invited; NULL once that user is deleted.';
COMMENT ON COLUMN public.invitations.status IS 'pending (acceptable until expires_at), accepted, declined (by the invitee), revoked (by an admin) or replaced (by a newer invitation to the same address).';
COMMENT ON COLUMN public.invitations.accepted_by IS 'Profile of the user who accepted (status accepted); NULL otherwise or once that user is deleted.';
COMMENT ON COLUMN public.invitations.created_at IS 'When the invitation was made.';
COMMENT ON COLUMN public.invitations.expires_at IS 'End of validity: a pending invitation cannot be accepted from then on (1 hour to 30 days after created_at).';
COMMENT ON COLUMN public.invitations.ended_at IS 'When it was accepted, declined, revoked or replaced; NULL while pending.';

CREATE TABLE public.organizations (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name text NOT NULL,
  slug text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  deletion_requested_at timestamp with time zone,
  purge_after timestamp with time zone,
  purge_started_at timestamp with time zone,
  CONSTRAINT organizations_pkey PRIMARY KEY (id),
  CONSTRAINT organizations_slug_key UNIQUE (slug),
  CONSTRAINT organizations_deletion_state CHECK ((((deletion_requested_at IS NULL) = (purge_after IS NULL)) AND ((purge_started_at IS NULL) OR (purge_after IS NOT NULL)))),
  CONSTRAINT organizations_name_length CHECK (((char_length(btrim(name)) >= 1) AND (char_length(btrim(name)) <= 200))),
  CONSTRAINT organizations_slug_format CHECK ((slug ~ '^[a-z0-9]([a-z0-9_-]{0,98}[a-z0-9])?$'::text))
);
COMMENT ON TABLE public.organizations IS 'A tenant. Members read their own organization, its admins update it; signed-in users create one through public.create_organization(); only trusted roles insert or delete directly.';
COMMENT ON COLUMN public.organizations.id IS 'Primary key: the tenant id every organization_id refers to.';
COMMENT ON COLUMN public.organizations.name IS 'Display name.';
COMMENT ON COLUMN public.organizations.slug IS 'URL-friendly identifier, unique across all organizations (organizations_slug_key).';
COMMENT ON COLUMN public.organizations.created_at IS 'When the organization was created.';
COMMENT ON COLUMN public.organizations.updated_at IS 'Last change; set by the organizations_touch_updated_at trigger.';
COMMENT ON COLUMN public.organizations.deletion_requested_at IS 'When an admin requested the deletion (public.request_organization_deletion); NULL: not pending deletion.';
COMMENT ON COLUMN public.organizations.purge_after IS 'End of the grace period: from then on the purge removes the organization; NULL: not pending deletion.';
COMMENT ON COLUMN public.organizations.purge_started_at IS 'When the purge began removing rows (it cannot be cancelled from then on); NULL before.';
COMMENT ON CONSTRAINT organizations_deletion_state ON public.organizations IS 'A pending deletion has both its request time and its purge time; a purge only starts on a pending deletion.';

CREATE TABLE public.profiles (
  id uuid NOT NULL,
  email text NOT NULL,
  full_name text,
  avatar_url text,
  organization_id uuid,
  role text DEFAULT 'member'::text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT profiles_pkey PRIMARY KEY (id),
  CONSTRAINT profiles_avatar_url_length CHECK ((char_length(avatar_url) <= 2048)),
  CONSTRAINT profiles_email_length CHECK ((char_length(email) <= 320)),
  CONSTRAINT profiles_full_name_length CHECK ((char_length(full_name) <= 200)),
  CONSTRAINT profiles_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'member'::text])))
);
COMMENT ON TABLE public.profiles IS 'One per auth user, created by the profiles_on_auth_user_created trigger and deleted with the user. Membership: at most one organization, as admin or member; organization_id NULL = outsider.';
COMMENT ON COLUMN public.profiles.id IS 'The auth.users id, i.e. auth.uid() of the user''s requests. Never changes; deleting the auth user deletes the profile.';
COMMENT ON COLUMN public.profiles.email IS 'Copy of auth.users.email, kept in sync by a trigger on auth.users; signed-in users cannot change it here.';
COMMENT ON COLUMN public.profiles.full_name IS 'Display name, initialised from the sign-up metadata (full_name); only the user may change it.';
COMMENT ON COLUMN public.profiles.avatar_url IS 'Avatar URL, initialised from the sign-up metadata (avatar_url); only the user may change it.';
COMMENT ON COLUMN public.profiles.organization_id IS 'The organization the user belongs to; NULL = outsider. Set by public.create_organization(), public.accept_invitation() or a trusted role; cleared by an admin of that organization (public.remove_member(), or an UPDATE setting it to NULL), by the user (public.leave_organization()) or when the organization is deleted. A signed-in user never sets it with an UPDATE.';
COMMENT ON COLUMN public.profiles.role IS '''admin'' or ''member'' in organization_id. Only an admin of that organization changes it; the last admin cannot be demoted or removed; reset to ''member'' when the profile leaves its organization.';
COMMENT ON COLUMN public.profiles.created_at IS 'When the profile was created; signed-in users cannot change it.';
COMMENT ON COLUMN public.profiles.updated_at IS 'Last change; set by the profiles_guard trigger.';

CREATE TABLE public.revenue (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  organization_id uuid NOT NULL,
  customer_id uuid,
  amount numeric(12,2) NOT NULL,
  date date NOT NULL,
  category text,
  description text,
  deleted_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT revenue_pkey PRIMARY KEY (id),
  CONSTRAINT revenue_category_length CHECK ((char_length(category) <= 100)),
  CONSTRAINT revenue_description_length CHECK ((char_length(description) <= 2000))
);
COMMENT ON TABLE public.revenue IS 'Revenue entries of an organization, optionally attributed to one of its customers. Members read live rows, admins write; DELETE by an admin is a soft delete. Live rows feed the customer''s derived totals. Audited.';
COMMENT ON COLUMN public.revenue.id IS 'Primary key.';
COMMENT ON COLUMN public.revenue.organization_id IS 'Owning organization (tenant key); cannot change. Deleting the organization deletes its revenue.';
COMMENT ON COLUMN public.revenue.customer_id IS 'Customer of the same organization (tenant-safe key revenue_customer_id_fkey on customer_id, organization_id); set to NULL when that customer is hard-deleted.';
COMMENT ON COLUMN public.revenue.amount IS 'Amount, exact numeric(12,2).';
COMMENT ON COLUMN public.revenue.date IS 'Day the revenue was earned (DATE, no time zone); feeds customers.last_purchase_date.';
COMMENT ON COLUMN public.revenue.category IS 'Category, free text.';
COMMENT ON COLUMN public.revenue.description IS 'Description, free text.';
COMMENT ON COLUMN public.revenue.deleted_at IS 'Soft delete: NULL = live; set = in the trash since then, hidden from normal reads and excluded from the customer''s totals. Set and cleared like customers.deleted_at; listed by public.deleted_revenue().';
COMMENT ON COLUMN public.revenue.created_at IS 'When the row was created.';

CREATE TABLE public.user_preferences (
  user_id uuid NOT NULL,
  theme_preference text DEFAULT 'system'::text NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT user_preferences_pkey PRIMARY KEY (user_id),
  CONSTRAINT user_preferences_theme_preference_check CHECK ((theme_preference = ANY (ARRAY['light'::text, 'dark'::text, 'system'::text])))
);
COMMENT ON TABLE public.user_preferences IS 'Per-user settings. Strictly private: each user reads and writes only their own row, admins included.';
COMMENT ON COLUMN public.user_preferences.user_id IS 'The user (profiles.id); deleted with the profile.';
COMMENT ON COLUMN public.user_preferences.theme_preference IS 'UI theme: light, dark or system (the default: follow the device).';
COMMENT ON COLUMN public.user_preferences.updated_at IS 'Last change; set by the user_preferences_touch_updated_at trigger.';

-- ================================================================================================
-- FOREIGN KEYS
-- ================================================================================================

ALTER TABLE public.activities ADD CONSTRAINT activities_customer_id_fkey FOREIGN KEY (customer_id, organization_id) REFERENCES public.customers(id, organization_id) ON DELETE SET NULL (customer_id);
COMMENT ON CONSTRAINT activities_customer_id_fkey ON public.activities IS 'Tenant-safe: the customer must belong to the same organization. ON DELETE SET NULL (customer_id) keeps organization_id.';

ALTER TABLE public.activities ADD CONSTRAINT activities_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE public.ai_usage_log ADD CONSTRAINT ai_usage_log_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE public.customers ADD CONSTRAINT customers_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE public.invitations ADD CONSTRAINT invitations_accepted_by_fkey FOREIGN KEY (accepted_by) REFERENCES public.profiles(id) ON DELETE SET NULL;

ALTER TABLE public.invitations ADD CONSTRAINT invitations_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES public.profiles(id) ON DELETE SET NULL;

ALTER TABLE public.invitations ADD CONSTRAINT invitations_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE public.profiles ADD CONSTRAINT profiles_id_fkey FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE;

ALTER TABLE public.profiles ADD CONSTRAINT profiles_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE SET NULL;

ALTER TABLE public.revenue ADD CONSTRAINT revenue_customer_id_fkey FOREIGN KEY (customer_id, organization_id) REFERENCES public.customers(id, organization_id) ON DELETE SET NULL (customer_id);
COMMENT ON CONSTRAINT revenue_customer_id_fkey ON public.revenue IS 'Tenant-safe: the customer must belong to the same organization (FK checks bypass RLS, so a plain key on customer_id would not). ON DELETE SET NULL (customer_id) keeps organization_id.';

ALTER TABLE public.revenue ADD CONSTRAINT revenue_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE public.user_preferences ADD CONSTRAINT user_preferences_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.profiles(id) ON DELETE CASCADE;

-- ================================================================================================
-- INDEXES (those behind primary key and unique constraints are above)
-- ================================================================================================

CREATE INDEX idx_activities_daily_deltas_org_day ON private.activities_daily_deltas USING btree (organization_id, day);
COMMENT ON INDEX private.idx_activities_daily_deltas_org_day IS 'Pending activity deltas of an organization''s window, read by every dashboard call.';

CREATE INDEX idx_ai_usage_daily_org_user_day_sums ON private.ai_usage_daily USING btree (organization_id, user_id, day) INCLUDE (model, calls, input_tokens, output_tokens, cost_usd);
COMMENT ON INDEX private.idx_ai_usage_daily_org_user_day_sums IS 'One user''s AI usage rollup rows of an organization by day, with model and sums: a member''s AI usage by model (private.dashboard_ai_usage_by_model) reads its window index-only.';

CREATE INDEX idx_ai_usage_daily_deltas_org_day ON private.ai_usage_daily_deltas USING btree (organization_id, day);
COMMENT ON INDEX private.idx_ai_usage_daily_deltas_org_day IS 'Pending AI usage deltas of an organization''s window, read by every dashboard call.';

CREATE INDEX idx_ai_usage_user_daily_org_user_day ON private.ai_usage_user_daily USING btree (organization_id, user_id, day);
COMMENT ON INDEX private.idx_ai_usage_user_daily_org_user_day IS 'One user''s AI usage rollup rows of an organization by day: a member''s AI usage by day and by user (private.dashboard_ai_usage_by_day, _by_user) read one row a day.';

CREATE INDEX idx_revenue_daily_deltas_org_day ON private.revenue_daily_deltas USING btree (organization_id, day);
COMMENT ON INDEX private.idx_revenue_daily_deltas_org_day IS 'Pending revenue deltas of an organization''s window, read by every dashboard call.';

CREATE INDEX idx_activities_customer ON public.activities USING btree (customer_id, organization_id);
COMMENT ON INDEX public.idx_activities_customer IS 'The tenant-safe foreign key to customers, activities per customer.';

CREATE INDEX idx_activities_metadata ON public.activities USING gin (metadata);
COMMENT ON INDEX public.idx_activities_metadata IS 'GIN on metadata, for containment (@>) queries.';

CREATE INDEX idx_activities_metadata_live ON public.activities USING gin (metadata jsonb_path_ops) WHERE (deleted_at IS NULL);
COMMENT ON INDEX public.idx_activities_metadata_live IS 'Live activities by metadata (jsonb_path_ops): the containment search of public.search_activities for a rare document.';

CREATE INDEX idx_activities_org_created ON public.activities USING btree (organization_id, created_at);
COMMENT ON INDEX public.idx_activities_org_created IS 'Tenant key first: the activities policies, the foreign key to organizations, recent activity.';

CREATE INDEX idx_activities_org_created_live ON public.activities USING btree (organization_id, created_at) INCLUDE (type) WHERE (deleted_at IS NULL);
COMMENT ON INDEX public.idx_activities_org_created_live IS 'Live activities of an organization by time, covering type: counts by type over a period by index-only scan, and newest-first pages.';

CREATE INDEX idx_activities_org_type ON public.activities USING btree (organization_id, type);
COMMENT ON INDEX public.idx_activities_org_type IS 'Activities of an organization by type.';

CREATE INDEX idx_ai_usage_org_date ON public.ai_usage_log USING btree (organization_id, date);
COMMENT ON INDEX public.idx_ai_usage_org_date IS 'Tenant key first: the ai_usage_log policy, the foreign key to organizations, usage per day.';

CREATE INDEX idx_ai_usage_user ON public.ai_usage_log USING btree (user_id);
COMMENT ON INDEX public.idx_ai_usage_user IS 'A member''s own usage rows (the ai_usage_log policy''s second branch).';

CREATE INDEX idx_audit_logs_org_created ON public.audit_logs USING btree (organization_id, created_at, id);
COMMENT ON INDEX public.idx_audit_logs_org_created IS 'An organization''s trail in keyset order (created_at, id), in every partition: the audit_logs policy and readAuditTrail, newest first.';

CREATE INDEX idx_customers_org_created ON public.customers USING btree (organization_id, created_at);
COMMENT ON INDEX public.idx_customers_org_created IS 'Tenant key first: the customers policies, the foreign key to organizations, newest-first listings.';

CREATE INDEX idx_customers_org_status ON public.customers USING btree (organization_id, status) WHERE (deleted_at IS NULL);
COMMENT ON INDEX public.idx_customers_org_status IS 'Live customers of an organization by status.';

CREATE INDEX idx_customers_org_total_revenue_live ON public.customers USING btree (organization_id, total_revenue DESC, id) WHERE (deleted_at IS NULL);
COMMENT ON INDEX public.idx_customers_org_total_revenue_live IS 'Live customers of an organization by total_revenue (descending), ties by id: public.dashboard_top_customers reads its top_n entries.';

CREATE INDEX idx_invitations_accepted_by ON public.invitations USING btree (accepted_by);
COMMENT ON INDEX public.idx_invitations_accepted_by IS 'Foreign key accepted_by -> profiles.';

CREATE INDEX idx_invitations_email_pending ON public.invitations USING btree (email) WHERE (status = 'pending'::text);
COMMENT ON INDEX public.idx_invitations_email_pending IS 'Pending invitations by address: public.my_invitations().';

CREATE INDEX idx_invitations_invited_by ON public.invitations USING btree (invited_by);
COMMENT ON INDEX public.idx_invitations_invited_by IS 'Foreign key invited_by -> profiles.';

CREATE INDEX idx_invitations_org_created ON public.invitations USING btree (organization_id, created_at);
COMMENT ON INDEX public.idx_invitations_org_created IS 'An organization''s invitations by time: the admins'' listing, the policy and the foreign key to organizations.';

CREATE UNIQUE INDEX invitations_org_email_pending_key ON public.invitations USING btree (organization_id, email) WHERE (status = 'pending'::text);
COMMENT ON INDEX public.invitations_org_email_pending_key IS 'At most one pending invitation per organization and address (a new one replaces it).';

CREATE UNIQUE INDEX invitations_token_hash_key ON public.invitations USING btree (token_hash);
COMMENT ON INDEX public.invitations_token_hash_key IS 'Finds an invitation by the hash of its token; two tokens never share a hash.';

CREATE INDEX idx_profiles_org ON public.profiles USING btree (organization_id);
COMMENT ON INDEX public.idx_profiles_org IS 'Members of an organization: the profiles policies and the foreign key to organizations.';

CREATE INDEX idx_revenue_customer ON public.revenue USING btree (customer_id, organization_id);
COMMENT ON INDEX public.idx_revenue_customer IS 'The tenant-safe foreign key to customers (finds the rows to update when a customer is deleted), revenue per customer.';

CREATE INDEX idx_revenue_org_date ON public.revenue USING btree (organization_id, date);
COMMENT ON INDEX public.idx_revenue_org_date IS 'Tenant key first: the revenue policies, the foreign key to organizations, revenue over a date range.';

CREATE INDEX idx_revenue_org_date_live ON public.revenue USING btree (organization_id, date) INCLUDE (amount) WHERE (deleted_at IS NULL);
COMMENT ON INDEX public.idx_revenue_org_date_live IS 'Live revenue of an organization by date, covering amount: monthly totals by index-only scan, the same plan under RLS as by hand.';

-- ================================================================================================
-- FUNCTIONS
-- ================================================================================================

CREATE OR REPLACE FUNCTION private.accept_invitation(p_token text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.accept_invitation(p_token text) IS 'Implements public.accept_invitation().';
REVOKE ALL ON FUNCTION private.accept_invitation(p_token text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.accept_invitation(p_token text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.activities_rollup_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  insert into private.activities_daily_deltas (organization_id, day, type, activities)
  select o.organization_id, (o.created_at at time zone 'UTC')::date, o.type, -count(*)
    from old_rows o
   where o.deleted_at is null
   group by 1, 2, 3
  having exists (select 1 from public.organizations g where g.id = o.organization_id);
  return null;
end
$function$;
COMMENT ON FUNCTION private.activities_rollup_delete() IS 'Trigger activities_rollup_delete: minus the deleted live rows.';
REVOKE ALL ON FUNCTION private.activities_rollup_delete() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.activities_rollup_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  if exists (select from new_rows offset 1) then
    insert into private.activities_daily_deltas (organization_id, day, type, activities)
    select n.organization_id, (n.created_at at time zone 'UTC')::date, n.type, count(*)
      from new_rows n
     where n.deleted_at is null
     group by 1, 2, 3;
  else
    insert into private.activities_daily_deltas (organization_id, day, type, activities)
    select n.organization_id, (n.created_at at time zone 'UTC')::date, n.type, 1
      from new_rows n
     where n.deleted_at is null;
  end if;
  return null;
end
$function$;
COMMENT ON FUNCTION private.activities_rollup_insert() IS 'Trigger activities_rollup_insert: + deltas per organization, UTC day of created_at and type (a one-row statement''s without aggregating, 024).';
REVOKE ALL ON FUNCTION private.activities_rollup_insert() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.activities_rollup_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.activities_rollup_update() IS 'Trigger activities_rollup_update: minus the old live rows, plus the new (type, created_at, soft delete, restore).';
REVOKE ALL ON FUNCTION private.activities_rollup_update() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.admin_org_id()
 RETURNS uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
declare
  org uuid;
begin
  select p.organization_id into org from public.profiles p
    join public.organizations o on o.id = p.organization_id
   where p.id = auth.uid() and p.role = 'admin' and o.deletion_requested_at is null;
  return org;
end
$function$;
COMMENT ON FUNCTION private.admin_org_id() IS 'The organization the signed-in user is an admin of, NULL for none or one pending deletion. SECURITY DEFINER; call as (select private.admin_org_id()) in policies. PL/pgSQL so that its plan is cached per session (a SECURITY DEFINER SQL function is planned again on every statement before PostgreSQL 18).';
REVOKE ALL ON FUNCTION private.admin_org_id() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.admin_org_id() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.ai_usage_rollup_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
  select o.organization_id, o.date, o.model, o.user_id, -count(*), -sum(o.input_tokens), -sum(o.output_tokens), -sum(o.cost_usd)
    from old_rows o
   group by o.organization_id, o.date, o.model, o.user_id
  having exists (select 1 from public.organizations g where g.id = o.organization_id);
  return null;
end
$function$;
COMMENT ON FUNCTION private.ai_usage_rollup_delete() IS 'Trigger ai_usage_log_rollup_delete: minus the deleted rows.';
REVOKE ALL ON FUNCTION private.ai_usage_rollup_delete() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.ai_usage_rollup_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  if exists (select from new_rows offset 1) then
    insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
    select n.organization_id, n.date, n.model, n.user_id, count(*), sum(n.input_tokens), sum(n.output_tokens), sum(n.cost_usd)
      from new_rows n
     group by n.organization_id, n.date, n.model, n.user_id;
  else
    insert into private.ai_usage_daily_deltas (organization_id, day, model, user_id, calls, input_tokens, output_tokens, cost_usd)
    select n.organization_id, n.date, n.model, n.user_id, 1, n.input_tokens, n.output_tokens, n.cost_usd
      from new_rows n;
  end if;
  return null;
end
$function$;
COMMENT ON FUNCTION private.ai_usage_rollup_insert() IS 'Trigger ai_usage_log_rollup_insert: + deltas per organization, day, model and user (a one-row statement''s without aggregating, 024).';
REVOKE ALL ON FUNCTION private.ai_usage_rollup_insert() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.ai_usage_rollup_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.ai_usage_rollup_update() IS 'Trigger ai_usage_log_rollup_update: minus the old rows, plus the new (date, model, user, tokens, cost, organization).';
REVOKE ALL ON FUNCTION private.ai_usage_rollup_update() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.assert_not_last_admin(p_organization_id uuid, p_profile_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.assert_not_last_admin(p_organization_id uuid, p_profile_id uuid) IS 'Raises 23514 (organization_keeps_an_admin) unless the organization keeps another admin besides the given profile. Locks the organization row first so concurrent demotions serialize; does nothing when the organization is being deleted.';
REVOKE ALL ON FUNCTION private.assert_not_last_admin(p_organization_id uuid, p_profile_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.assert_not_last_admin(p_organization_id uuid, p_profile_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
declare
  actor uuid := auth.uid();
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select o.organization_id, actor, 'DELETE', tg_table_name, o.id, to_jsonb(o), null
    from old_rows o
   where not exists (select 1 from public.organizations g where g.id = o.organization_id and g.purge_started_at is not null);
  return null;
end
$function$;
COMMENT ON FUNCTION private.audit_delete() IS 'AFTER DELETE statement trigger: one audit_logs row (DELETE) per deleted row, organization_id from the OLD row.';
REVOKE ALL ON FUNCTION private.audit_delete() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
declare
  actor uuid := auth.uid();
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  select n.organization_id, actor, 'INSERT', tg_table_name, n.id, null, to_jsonb(n)
    from new_rows n;
  return null;
end
$function$;
COMMENT ON FUNCTION private.audit_insert() IS 'AFTER INSERT statement trigger: one audit_logs row (INSERT) per inserted row, from the transition table; organization_id from the row, user_id = auth.uid() (NULL = system).';
REVOKE ALL ON FUNCTION private.audit_insert() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_invitation()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  values (case when tg_op = 'INSERT' then new.organization_id else old.organization_id end,
          auth.uid(), tg_op, tg_table_name,
          case when tg_op = 'INSERT' then new.id else old.id end,
          case when tg_op <> 'INSERT' then to_jsonb(old) - 'token_hash' end,
          case when tg_op <> 'DELETE' then to_jsonb(new) - 'token_hash' end);
  return null;
end
$function$;
COMMENT ON FUNCTION private.audit_invitation() IS 'AFTER INSERT/UPDATE/DELETE row trigger on invitations: one audit row filed under the invitation''s organization, actor auth.uid(), the row without token_hash.';
REVOKE ALL ON FUNCTION private.audit_invitation() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_logs_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_logs_append_only() IS 'BEFORE UPDATE/DELETE/TRUNCATE statement trigger on audit_logs: always raises 42501, whoever the caller (service_role and the owner included).';
REVOKE ALL ON FUNCTION private.audit_logs_append_only() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_logs_ensure_partition(p_month date)
 RETURNS text
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_logs_ensure_partition(p_month date) IS 'Creates (if missing) the partition private.audit_logs_YYYY_MM of public.audit_logs for the UTC month of p_month, protected by private.audit_logs_protect_partition; returns its name.';
REVOKE ALL ON FUNCTION private.audit_logs_ensure_partition(p_month date) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_logs_maintain(p_months_ahead integer DEFAULT 3)
 RETURNS TABLE(partition_name text, action text, rows bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_logs_maintain(p_months_ahead integer) IS 'Partition upkeep of public.audit_logs: ensures the default partition, the current month and p_months_ahead more (default 3), and moves rows out of the default partition. Returns one row per partition created or filled. Run by tenantry migrate and seed, and monthly by pg_cron on Supabase.';
REVOKE ALL ON FUNCTION private.audit_logs_maintain(p_months_ahead integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.audit_logs_maintain(p_months_ahead integer) TO service_role;

CREATE OR REPLACE FUNCTION private.audit_logs_protect_partition(p_name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_logs_protect_partition(p_name text) IS 'Protects a partition of public.audit_logs on its own: no privileges for API roles, row level security with no policy, the append-only trigger.';
REVOKE ALL ON FUNCTION private.audit_logs_protect_partition(p_name text) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_logs_prune(p_before date)
 RETURNS TABLE(month text, rows bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
 SET lock_timeout TO '5s'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_logs_prune(p_before date) IS 'Retention: detaches and drops every monthly partition of public.audit_logs before p_before (a first day of a month), never the current or the previous month, and files one DELETE row (table audit_logs) per organization that lost rows, saying the months, its rows and the total. Owner and service_role only.';
REVOKE ALL ON FUNCTION private.audit_logs_prune(p_before date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.audit_logs_prune(p_before date) TO service_role;

CREATE OR REPLACE FUNCTION private.audit_logs_sweep_default()
 RETURNS TABLE(partition_name text, moved bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_logs_sweep_default() IS 'Moves rows found in the default partition of public.audit_logs into their monthly partitions (detach, create, re-insert, drop: no row updated or deleted); returns the rows moved per partition.';
REVOKE ALL ON FUNCTION private.audit_logs_sweep_default() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_organization()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  insert into public.audit_logs (organization_id, user_id, action, table_name, record_id, old_data, new_data)
  values (old.id, auth.uid(), tg_op, tg_table_name, old.id, to_jsonb(old),
          case when tg_op = 'UPDATE' then to_jsonb(new) end);
  return null;
end
$function$;
COMMENT ON FUNCTION private.audit_organization() IS 'AFTER UPDATE/DELETE row trigger on organizations: one audit_logs row filed under the organization itself.';
REVOKE ALL ON FUNCTION private.audit_organization() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_profile()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_profile() IS 'AFTER UPDATE/DELETE row trigger on profiles: audits a change of role or organization (filed under the organization left, else the one joined) and the deletion of a profile (under its organization).';
REVOKE ALL ON FUNCTION private.audit_profile() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.audit_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.audit_update() IS 'AFTER UPDATE statement trigger: one audit_logs row per changed row, SOFT_DELETE or RESTORE when deleted_at was set or cleared, else UPDATE. Trigger arguments name columns whose changes alone are not audited.';
REVOKE ALL ON FUNCTION private.audit_update() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.cancel_organization_deletion()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.cancel_organization_deletion() IS 'Implements public.cancel_organization_deletion().';
REVOKE ALL ON FUNCTION private.cancel_organization_deletion() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.cancel_organization_deletion() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.check_page_size(fn text, arg text, value integer)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  if value is null or value < 1 or value > 500 then
    raise exception '%: % must be from 1 to 500, not %', fn, arg, coalesce(value::text, 'null') using errcode = '22023';
  end if;
end
$function$;
COMMENT ON FUNCTION private.check_page_size(fn text, arg text, value integer) IS 'Raises 22023 naming fn and the argument arg unless value is from 1 to 500. The dashboard functions'' shared check.';
REVOKE ALL ON FUNCTION private.check_page_size(fn text, arg text, value integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.check_page_size(fn text, arg text, value integer) TO authenticated;

CREATE OR REPLACE FUNCTION private.check_period(fn text, period_start date, period_end date, max_days integer)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.check_period(fn text, period_start date, period_end date, max_days integer) IS 'Raises 22023 naming fn unless [period_start, period_end) is given, non-empty and at most max_days long. The dashboard functions'' shared check.';
REVOKE ALL ON FUNCTION private.check_period(fn text, period_start date, period_end date, max_days integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.check_period(fn text, period_start date, period_end date, max_days integer) TO authenticated;

CREATE OR REPLACE FUNCTION private.check_period(fn text, since timestamp with time zone, until timestamp with time zone, max_days integer)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.check_period(fn text, since timestamp with time zone, until timestamp with time zone, max_days integer) IS 'Raises 22023 naming fn unless [since, until) is given, non-empty and at most max_days long. The dashboard functions'' shared check.';
REVOKE ALL ON FUNCTION private.check_period(fn text, since timestamp with time zone, until timestamp with time zone, max_days integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.check_period(fn text, since timestamp with time zone, until timestamp with time zone, max_days integer) TO authenticated;

CREATE OR REPLACE FUNCTION private.confirmed_email()
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  return (select lower(btrim(u.email)) from auth.users u
           where u.id = auth.uid() and private.email_confirmed(u) and u.email is not null);
end
$function$;
COMMENT ON FUNCTION private.confirmed_email() IS 'The signed-in user''s auth.users email, trimmed and lower-case, if it is confirmed (private.email_confirmed); NULL otherwise.';
REVOKE ALL ON FUNCTION private.confirmed_email() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.create_organization(p_name text, p_slug text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.create_organization(p_name text, p_slug text) IS 'Implements public.create_organization(): for a signed-in user with a profile and no organization, inserts the organization and makes the user its admin. 42501 without a user or profile, 55000 when already in an organization.';
REVOKE ALL ON FUNCTION private.create_organization(p_name text, p_slug text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.create_organization(p_name text, p_slug text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.current_org_id()
 RETURNS uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
declare
  org uuid;
begin
  select p.organization_id into org from public.profiles p
    join public.organizations o on o.id = p.organization_id
   where p.id = auth.uid() and o.deletion_requested_at is null;
  return org;
end
$function$;
COMMENT ON FUNCTION private.current_org_id() IS 'The signed-in user''s organization, NULL for none or one pending deletion: what every tenant policy and function reads. SECURITY DEFINER so policies on profiles do not recurse; call as (select private.current_org_id()) in policies: evaluated once per statement. PL/pgSQL so that its plan is cached per session (a SECURITY DEFINER SQL function is planned again on every statement before PostgreSQL 18).';
REVOKE ALL ON FUNCTION private.current_org_id() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.current_org_id() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.customers_keep_derived()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.customers_keep_derived() IS 'BEFORE INSERT/UPDATE trigger on customers: keeps total_revenue and last_purchase_date as they were (0/NULL on insert) unless a trusted role writes them with tenantry.maintaining_totals on, as the revenue_totals_* functions do.';
REVOKE ALL ON FUNCTION private.customers_keep_derived() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone)
 RETURNS TABLE(type text, activities bigint)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone) IS 'Implementation of public.dashboard_activities_by_type: whole UTC days from activities_daily + pending deltas, the partial first and last day from public.activities; the caller''s organization, live rows.';
REVOKE ALL ON FUNCTION private.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone) TO authenticated;

CREATE OR REPLACE FUNCTION private.dashboard_ai_usage_by_day(period_start date, period_end date)
 RETURNS TABLE(day date, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_hashagg TO 'off'
AS $function$
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
        from (select r.day, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_user_daily r
               where r.organization_id = org and r.user_id = me and r.day >= period_start and r.day < period_end
              union all
              select d.day, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.user_id = me and d.day >= period_start and d.day < period_end) x
       group by x.day
      having sum(x.calls) > 0
       order by x.day;
  end if;
end
$function$;
COMMENT ON FUNCTION private.dashboard_ai_usage_by_day(period_start date, period_end date) IS 'Implementation of public.dashboard_ai_usage_by_day over the rollups + pending deltas: an admin counts the organization (private.admin_org_id(); ai_usage_model_daily), a member their own rows (auth.uid() in private.current_org_id(); ai_usage_user_daily by idx_ai_usage_user_daily_org_user_day, one row a day), as the policy ai_usage_log_select. Sums in day order (enable_hashagg off, 023): one day''s sums in memory at a time, whatever the plan statistics suggest.';
REVOKE ALL ON FUNCTION private.dashboard_ai_usage_by_day(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_ai_usage_by_day(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION private.dashboard_ai_usage_by_model(period_start date, period_end date)
 RETURNS TABLE(model text, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.dashboard_ai_usage_by_model(period_start date, period_end date) IS 'Implementation of public.dashboard_ai_usage_by_model over the rollups (an admin: ai_usage_model_daily); whose usage as private.dashboard_ai_usage_by_day.';
REVOKE ALL ON FUNCTION private.dashboard_ai_usage_by_model(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_ai_usage_by_model(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION private.dashboard_ai_usage_by_user(period_start date, period_end date)
 RETURNS TABLE(user_id uuid, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
        from (select r.user_id, r.calls, r.input_tokens, r.output_tokens, r.cost_usd from private.ai_usage_user_daily r
               where r.organization_id = org and r.user_id = me and r.day >= period_start and r.day < period_end
              union all
              select d.user_id, d.calls, d.input_tokens, d.output_tokens, d.cost_usd from private.ai_usage_daily_deltas d
               where d.organization_id = org and d.user_id = me and d.day >= period_start and d.day < period_end) x
       group by x.user_id
      having sum(x.calls) > 0
       order by 5 desc, 1;
  end if;
end
$function$;
COMMENT ON FUNCTION private.dashboard_ai_usage_by_user(period_start date, period_end date) IS 'Implementation of public.dashboard_ai_usage_by_user over the rollups (ai_usage_user_daily: an admin every user, a member their own row by idx_ai_usage_user_daily_org_user_day); whose usage as private.dashboard_ai_usage_by_day.';
REVOKE ALL ON FUNCTION private.dashboard_ai_usage_by_user(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_ai_usage_by_user(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION private.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text)
 RETURNS SETOF public.customers
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text) IS 'Implementation of public.dashboard_customers_page: SECURITY DEFINER so that the page is planned with the organization id, whatever the tenant''s size; applies the customers_select policy''s condition itself (organization_id = private.current_org_id(), deleted_at is null).';
REVOKE ALL ON FUNCTION private.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text) TO authenticated;

CREATE OR REPLACE FUNCTION private.dashboard_monthly_revenue(period_start date, period_end date)
 RETURNS TABLE(month date, total numeric, invoices bigint)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.dashboard_monthly_revenue(period_start date, period_end date) IS 'Implementation of public.dashboard_monthly_revenue: SECURITY DEFINER to read the private rollup (revenue_daily + pending deltas); the caller''s organization (private.current_org_id()), live rows.';
REVOKE ALL ON FUNCTION private.dashboard_monthly_revenue(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_monthly_revenue(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION private.dashboard_organization_summary(as_of date)
 RETURNS TABLE(organization_id uuid, active_customers bigint, inactive_customers bigint, churned_customers bigint, revenue_this_month numeric, revenue_last_month numeric, active_users bigint)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.dashboard_organization_summary(as_of date) IS 'Implementation of public.dashboard_organization_summary: SECURITY DEFINER so that the organization is looked up once for three tables; applies the select policies'' conditions itself (customers: the organization''s live rows; revenue: its rollup + pending deltas; profiles: the organization''s).';
REVOKE ALL ON FUNCTION private.dashboard_organization_summary(as_of date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.dashboard_organization_summary(as_of date) TO authenticated;

CREATE OR REPLACE FUNCTION private.decline_invitation(p_invitation_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.decline_invitation(p_invitation_id uuid) IS 'Implements public.decline_invitation().';
REVOKE ALL ON FUNCTION private.decline_invitation(p_invitation_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.decline_invitation(p_invitation_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.delete_my_account()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.delete_my_account() IS 'Implements public.delete_my_account().';
REVOKE ALL ON FUNCTION private.delete_my_account() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.delete_my_account() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.deleted_activities()
 RETURNS SETOF public.activities
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$ select a.* from public.activities a
         where a.organization_id = private.admin_org_id() and a.deleted_at is not null
         order by a.deleted_at desc $function$;
COMMENT ON FUNCTION private.deleted_activities() IS 'Implements public.deleted_activities(): soft-deleted activities of the caller''s organization, for its admins; newest first.';
REVOKE ALL ON FUNCTION private.deleted_activities() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.deleted_activities() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.deleted_customers()
 RETURNS SETOF public.customers
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$ select c.* from public.customers c
         where c.organization_id = private.admin_org_id() and c.deleted_at is not null
         order by c.deleted_at desc $function$;
COMMENT ON FUNCTION private.deleted_customers() IS 'Implements public.deleted_customers(): soft-deleted customers of the caller''s organization, for its admins; newest first.';
REVOKE ALL ON FUNCTION private.deleted_customers() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.deleted_customers() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.deleted_revenue()
 RETURNS SETOF public.revenue
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$ select r.* from public.revenue r
         where r.organization_id = private.admin_org_id() and r.deleted_at is not null
         order by r.deleted_at desc $function$;
COMMENT ON FUNCTION private.deleted_revenue() IS 'Implements public.deleted_revenue(): soft-deleted revenue of the caller''s organization, for its admins; newest first.';
REVOKE ALL ON FUNCTION private.deleted_revenue() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.deleted_revenue() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.email_confirmed(p_user auth.users)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO ''
AS $function$
    select case when pg_catalog.to_jsonb(p_user) ? 'email_confirmed_at'
                then pg_catalog.to_jsonb(p_user) ->> 'email_confirmed_at'
                else pg_catalog.to_jsonb(p_user) ->> 'confirmed_at' end is not null
  $function$;
COMMENT ON FUNCTION private.email_confirmed(p_user auth.users) IS 'Whether the user''s address is confirmed: auth.users.email_confirmed_at, or confirmed_at where GoTrue''s migrations have not yet renamed it.';
REVOKE ALL ON FUNCTION private.email_confirmed(p_user auth.users) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.erase_user(p_target uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.erase_user(p_target uuid) IS 'Implements public.erase_user().';
REVOKE ALL ON FUNCTION private.erase_user(p_target uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.erase_user(p_target uuid) TO service_role;

CREATE OR REPLACE FUNCTION private.erase_user_trail(p_user uuid, p_email text, p_organization_id uuid)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.erase_user_trail(p_user uuid, p_email text, p_organization_id uuid) IS 'Deletes invitations to the address, scrubs the trail (private.scrub_user_from_audit) and files an erasure row (no personal data) per organization concerned.';
REVOKE ALL ON FUNCTION private.erase_user_trail(p_user uuid, p_email text, p_organization_id uuid) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.handle_new_user()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  insert into public.profiles (id, email, full_name, avatar_url)
  values (new.id, coalesce(new.email, ''),
          new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'avatar_url');
  return new;
end
$function$;
COMMENT ON FUNCTION private.handle_new_user() IS 'AFTER INSERT trigger on auth.users: creates the profile (email, full_name and avatar_url from the sign-up metadata; role member, no organization). SECURITY DEFINER: runs for GoTrue''s role.';
REVOKE ALL ON FUNCTION private.handle_new_user() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.handle_user_deleted()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
declare
  v_org uuid;
begin
  delete from public.profiles p where p.id = old.id returning p.organization_id into v_org;
  perform private.erase_user_trail(old.id, old.email, v_org);
  return old;
end
$function$;
COMMENT ON FUNCTION private.handle_user_deleted() IS 'BEFORE DELETE trigger on auth.users: deletes the profile, and the trail keeps nothing personal of a deleted user (private.erase_user_trail).';
REVOKE ALL ON FUNCTION private.handle_user_deleted() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.handle_user_email_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  update public.profiles set email = coalesce(new.email, '') where id = new.id;
  return new;
end
$function$;
COMMENT ON FUNCTION private.handle_user_email_change() IS 'AFTER UPDATE OF email trigger on auth.users: copies the new email to the profile.';
REVOKE ALL ON FUNCTION private.handle_user_email_change() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.invitation_token_hash(p_token text)
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE STRICT
 SET search_path TO ''
AS $function$ select pg_catalog.sha256(pg_catalog.convert_to(p_token, 'UTF8')) $function$;
COMMENT ON FUNCTION private.invitation_token_hash(p_token text) IS 'sha256 of a token''s UTF-8 bytes: what invitations.token_hash stores.';
REVOKE ALL ON FUNCTION private.invitation_token_hash(p_token text) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.invite_member(p_email text, p_role text, p_valid_for interval)
 RETURNS TABLE(invitation_id uuid, token text, expires_at timestamp with time zone)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.invite_member(p_email text, p_role text, p_valid_for interval) IS 'Implements public.invite_member().';
REVOKE ALL ON FUNCTION private.invite_member(p_email text, p_role text, p_valid_for interval) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.invite_member(p_email text, p_role text, p_valid_for interval) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.leave_organization()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.leave_organization() IS 'Implements public.leave_organization().';
REVOKE ALL ON FUNCTION private.leave_organization() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.leave_organization() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.member_org_id()
 RETURNS uuid
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
declare
  org uuid;
begin
  select p.organization_id into org from public.profiles p where p.id = auth.uid();
  return org;
end
$function$;
COMMENT ON FUNCTION private.member_org_id() IS 'The signed-in user''s organization even while pending deletion: the organizations and profiles select policies read it. SECURITY DEFINER; call as (select private.member_org_id()). PL/pgSQL so that its plan is cached per session (a SECURITY DEFINER SQL function is planned again on every statement before PostgreSQL 18).';
REVOKE ALL ON FUNCTION private.member_org_id() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.member_org_id() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.my_invitations()
 RETURNS TABLE(invitation_id uuid, organization_id uuid, organization_name text, role text, invited_by_name text, expires_at timestamp with time zone)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.my_invitations() IS 'Implements public.my_invitations().';
REVOKE ALL ON FUNCTION private.my_invitations() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.my_invitations() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.organizations_deletion_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
begin
  if (new.deletion_requested_at, new.purge_after, new.purge_started_at)
     is distinct from (old.deletion_requested_at, old.purge_after, old.purge_started_at) then
    raise exception 'the deletion state of an organization changes through public.request_organization_deletion() and public.cancel_organization_deletion() only'
      using errcode = '42501', table = 'organizations', column = 'deletion_requested_at';
  end if;
  return new;
end
$function$;
COMMENT ON FUNCTION private.organizations_deletion_guard() IS 'BEFORE UPDATE trigger of organizations for API roles: the deletion state is not theirs to write.';
REVOKE ALL ON FUNCTION private.organizations_deletion_guard() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.profiles_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.profiles_guard() IS 'BEFORE UPDATE trigger on profiles. id never changes. For anon/authenticated callers: email and created_at never change; role only by an admin of the organization; organization_id only cleared, by its admin (another member''s removal is carried out by private.remove_member() and the UPDATE itself skipped); full_name and avatar_url only by the user. For everyone: leaving an organization resets role to member; the last admin stays; sets updated_at.';
REVOKE ALL ON FUNCTION private.profiles_guard() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.purge_organization_step(p_organization_id uuid, p_as_of timestamp with time zone DEFAULT now(), p_batch_rows integer DEFAULT NULL::integer)
 RETURNS TABLE(table_name text, deleted bigint, done boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
 SET lock_timeout TO '5s'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.purge_organization_step(p_organization_id uuid, p_as_of timestamp with time zone, p_batch_rows integer) IS 'One batch (one transaction) of the purge of an organization due for it: deletes up to p_batch_rows rows (default private.offboarding_settings.purge_batch_rows) of the first table holding rows of it; at the end the organization row, its trail, and a tombstone. done = nothing left. Owner only.';
REVOKE ALL ON FUNCTION private.purge_organization_step(p_organization_id uuid, p_as_of timestamp with time zone, p_batch_rows integer) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.purge_organizations(as_of timestamp with time zone DEFAULT now())
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.purge_organizations(as_of timestamp with time zone) IS 'Purges every organization whose grace period ended before as_of, batch after batch in this transaction; returns how many. Owner only (pg_cron on Supabase, tenantry orgs purge in the CLI).';
REVOKE ALL ON FUNCTION private.purge_organizations(as_of timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.purge_tables()
 RETURNS TABLE(relation regclass, purge_order integer)
 LANGUAGE sql
 STABLE
 SET search_path TO ''
AS $function$
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
  $function$;
COMMENT ON FUNCTION private.purge_tables() IS 'The tables the purge empties and in which order: every table of public and private with organization_id (partitions through their parent), public''s before private''s (the rollups and their deltas, which deleting raw rows feeds), referencing before referenced, audit_logs last.';
REVOKE ALL ON FUNCTION private.purge_tables() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.refuse_if_caller_pending(p_table text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  perform private.refuse_pending_organization(private.member_org_id(), p_table);
end
$function$;
COMMENT ON FUNCTION private.refuse_if_caller_pending(p_table text) IS 'private.refuse_pending_organization() for the signed-in caller''s organization.';
REVOKE ALL ON FUNCTION private.refuse_if_caller_pending(p_table text) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.refuse_pending_organization(p_organization_id uuid, p_table text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.refuse_pending_organization(p_organization_id uuid, p_table text) IS 'Raises 55000 (pending deletion, with the purge date and how to cancel) when the organization is pending deletion and its purge has not started.';
REVOKE ALL ON FUNCTION private.refuse_pending_organization(p_organization_id uuid, p_table text) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.refuse_pending_organization_row()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  perform private.refuse_pending_organization(new.organization_id, tg_table_name);
  return new;
end
$function$;
COMMENT ON FUNCTION private.refuse_pending_organization_row() IS 'BEFORE row trigger: refuses a row of an organization pending deletion (55000).';
REVOKE ALL ON FUNCTION private.refuse_pending_organization_row() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.refuse_pending_organization_writes()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.refuse_pending_organization_writes() IS 'AFTER INSERT/UPDATE statement trigger: refuses rows of an organization pending deletion (55000).';
REVOKE ALL ON FUNCTION private.refuse_pending_organization_writes() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.reject_key_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
begin
  raise exception '%.id and organization_id cannot change', tg_table_name
    using errcode = '42501', table = tg_table_name, column = 'organization_id';
end
$function$;
COMMENT ON FUNCTION private.reject_key_change() IS 'BEFORE UPDATE trigger function (fired by a WHEN clause): raises 42501, id and organization_id cannot change.';
REVOKE ALL ON FUNCTION private.reject_key_change() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.remove_member(p_user_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.remove_member(p_user_id uuid) IS 'Implements public.remove_member(): clears organization_id of a profile in the caller''s organization if the caller is its admin; 42501 otherwise, the same for unknown and foreign profiles.';
REVOKE ALL ON FUNCTION private.remove_member(p_user_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.remove_member(p_user_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.request_organization_deletion(p_confirm_name text)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.request_organization_deletion(p_confirm_name text) IS 'Implements public.request_organization_deletion().';
REVOKE ALL ON FUNCTION private.request_organization_deletion(p_confirm_name text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.request_organization_deletion(p_confirm_name text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.revenue_rollup_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
  select o.organization_id, o.date, -sum(o.amount), -count(*)
    from old_rows o
   where o.deleted_at is null
   group by o.organization_id, o.date
  having exists (select 1 from public.organizations g where g.id = o.organization_id);
  return null;
end
$function$;
COMMENT ON FUNCTION private.revenue_rollup_delete() IS 'Trigger revenue_rollup_delete: minus the deleted live rows, per organization and day.';
REVOKE ALL ON FUNCTION private.revenue_rollup_delete() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.revenue_rollup_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
begin
  if exists (select from new_rows offset 1) then
    insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
    select n.organization_id, n.date, sum(n.amount), count(*)
      from new_rows n
     where n.deleted_at is null
     group by n.organization_id, n.date;
  else
    insert into private.revenue_daily_deltas (organization_id, day, amount, invoices)
    select n.organization_id, n.date, n.amount, 1
      from new_rows n
     where n.deleted_at is null;
  end if;
  return null;
end
$function$;
COMMENT ON FUNCTION private.revenue_rollup_insert() IS 'Trigger revenue_rollup_insert: appends + deltas for the statement''s new live rows, one per organization and day (a one-row statement''s without aggregating, 024).';
REVOKE ALL ON FUNCTION private.revenue_rollup_insert() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.revenue_rollup_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.revenue_rollup_update() IS 'Trigger revenue_rollup_update: minus the old live rows, plus the new live rows (amount, date, soft delete, restore), per organization and day; nothing when no measured value changed.';
REVOKE ALL ON FUNCTION private.revenue_rollup_update() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.revenue_totals_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.revenue_totals_after_insert() IS 'AFTER INSERT statement trigger on revenue: adds the new live rows to their customers'' total_revenue and last_purchase_date, one UPDATE per statement.';
REVOKE ALL ON FUNCTION private.revenue_totals_after_insert() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.revenue_totals_recompute()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.revenue_totals_recompute() IS 'AFTER UPDATE/DELETE statement trigger on revenue: recomputes total_revenue and last_purchase_date of the affected customers from their live revenue rows, after locking those customers in id order.';
REVOKE ALL ON FUNCTION private.revenue_totals_recompute() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.revoke_invitation(p_invitation_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.revoke_invitation(p_invitation_id uuid) IS 'Implements public.revoke_invitation().';
REVOKE ALL ON FUNCTION private.revoke_invitation(p_invitation_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.revoke_invitation(p_invitation_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.rollup_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.rollup_truncate() IS 'Triggers *_rollup_truncate: a truncated table''s rollups and deltas are emptied with it.';
REVOKE ALL ON FUNCTION private.rollup_truncate() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.rollups_merge(max_rows integer DEFAULT NULL::integer)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.rollups_merge(max_rows integer) IS 'Folds at most max_rows pending deltas (null: all), oldest first, into the rollups and returns how many; discards those of deleted organizations. Serialized by a transaction-level advisory lock; atomic. Owner only: pg_cron on Supabase, tenantry rollups merge, the embedded database''s timer.';
REVOKE ALL ON FUNCTION private.rollups_merge(max_rows integer) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.rollups_organization_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.rollups_organization_delete() IS 'Trigger organizations_rollup_delete: deletes the rollup rows and pending deltas of the deleted organizations, under the fold''s lock (in place of a foreign key).';
REVOKE ALL ON FUNCTION private.rollups_organization_delete() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.rollups_rebuild(organization_id uuid DEFAULT NULL::uuid)
 RETURNS TABLE(rollup text, rows_written bigint, deltas_discarded bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.rollups_rebuild(organization_id uuid) IS 'Recomputes the rollups of one organization (null: all) from the raw rows and discards the deltas they reflect; per rollup: rows written and deltas discarded (those of the AI usage log counted on ai_usage_daily). Safe beside writers and folds. Owner only: after a bulk load with the rollup triggers off, or to repair.';
REVOKE ALL ON FUNCTION private.rollups_rebuild(organization_id uuid) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.rollups_verify(organization_id uuid DEFAULT NULL::uuid)
 RETURNS TABLE(rollup text, organization uuid, day date, dimension text, raw jsonb, kept jsonb)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.rollups_verify(organization_id uuid) IS 'Every (rollup, organization, day, dimension) where rollup + pending deltas differ from the raw rows (raw: what the raw rows give, kept: what the rollups give); no row when exact. Owner only: tenantry rollups verify, the tests.';
REVOKE ALL ON FUNCTION private.rollups_verify(organization_id uuid) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.scrub_user_from_audit(p_user uuid, p_email text)
 RETURNS TABLE(organization_id uuid, scrubbed bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.scrub_user_from_audit(p_user uuid, p_email text) IS 'Blanks email, full_name and avatar_url in the audit rows of the user''s profile and email in those of invitations to their address; the one sanctioned UPDATE of the trail. Owner only.';
REVOKE ALL ON FUNCTION private.scrub_user_from_audit(p_user uuid, p_email text) FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid)
 RETURNS SETOF public.activities
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO ''
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION private.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid) IS 'Implementation of public.search_activities: SECURITY DEFINER so that the metadata index can serve the search; applies the activities_select policy''s condition itself (organization_id = private.current_org_id(), deleted_at is null). Validates the document (a non-empty object of at most 4 KiB) and the page size.';
REVOKE ALL ON FUNCTION private.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid) TO authenticated;

CREATE OR REPLACE FUNCTION private.set_deleted(p_table text, p_id uuid, p_deleted boolean)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO ''
AS $function$
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
$function$;
COMMENT ON FUNCTION private.set_deleted(p_table text, p_id uuid, p_deleted boolean) IS 'Sets (true) or clears (false) deleted_at on one row of customers, revenue or activities in the caller''s organization, if the caller is its admin; returns whether a row changed. Raises 22023 for another table. SECURITY DEFINER: the UPDATE bypasses the policies that hide deleted rows.';
REVOKE ALL ON FUNCTION private.set_deleted(p_table text, p_id uuid, p_deleted boolean) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION private.set_deleted(p_table text, p_id uuid, p_deleted boolean) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION private.soft_delete_by_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
begin
  if (to_jsonb(new) - 'deleted_at' - 'updated_at') is distinct from (to_jsonb(old) - 'deleted_at' - 'updated_at') then
    return new;
  end if;
  perform private.set_deleted(tg_table_name, old.id, true);
  return null;
end
$function$;
COMMENT ON FUNCTION private.soft_delete_by_update() IS 'BEFORE UPDATE trigger for anon/authenticated callers setting deleted_at: an UPDATE that changes nothing else is carried out as a soft delete through private.set_deleted() and skipped (0 rows reported); one that changes more goes on, and the policies refuse it.';
REVOKE ALL ON FUNCTION private.soft_delete_by_update() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.soft_delete_instead()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
begin
  perform private.set_deleted(tg_table_name, old.id, true);
  return null;
end
$function$;
COMMENT ON FUNCTION private.soft_delete_instead() IS 'BEFORE DELETE trigger for anon/authenticated callers: soft-deletes the row through private.set_deleted() and skips the DELETE (the statement reports 0 rows). Trusted roles delete for real.';
REVOKE ALL ON FUNCTION private.soft_delete_instead() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION private.touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO ''
AS $function$
begin
  new.updated_at := now();
  return new;
end
$function$;
COMMENT ON FUNCTION private.touch_updated_at() IS 'BEFORE UPDATE trigger function: sets updated_at to now().';
REVOKE ALL ON FUNCTION private.touch_updated_at() FROM PUBLIC, anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION public.accept_invitation(token text)
 RETURNS uuid
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.accept_invitation(token) $function$;
COMMENT ON FUNCTION public.accept_invitation(token text) IS 'The signed-in user joins the organization of the invitation with this token, in its role, and gets its id. Needs the user''s confirmed auth.users email to be the invited address, the invitation pending and unexpired, and the user in no organization. Once per invitation.';
REVOKE ALL ON FUNCTION public.accept_invitation(token text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.accept_invitation(token text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.cancel_organization_deletion()
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.cancel_organization_deletion() $function$;
COMMENT ON FUNCTION public.cancel_organization_deletion() IS 'An admin cancels a pending deletion of their organization within the grace period; everything is as before.';
REVOKE ALL ON FUNCTION public.cancel_organization_deletion() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.cancel_organization_deletion() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.create_organization(name text, slug text)
 RETURNS uuid
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.create_organization(name, slug) $function$;
COMMENT ON FUNCTION public.create_organization(name text, slug text) IS 'Creates an organization and makes the caller (a signed-in user with no organization) its admin; returns its id. Error 55000 when the caller already belongs to one, 23505 when the slug is taken.';
REVOKE ALL ON FUNCTION public.create_organization(name text, slug text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.create_organization(name text, slug text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone)
 RETURNS TABLE(type text, activities bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_activities_by_type(since, until);
end
$function$;
COMMENT ON FUNCTION public.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone) IS 'Live activities of the caller''s organization over [since, until) (at most 366 days) counted by type, most frequent first. SECURITY INVOKER wrapper of private.dashboard_activities_by_type (daily rollup, raw rows for partial days).';
REVOKE ALL ON FUNCTION public.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_activities_by_type(since timestamp with time zone, until timestamp with time zone) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_ai_usage_by_day(period_start date, period_end date)
 RETURNS TABLE(day date, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_ai_usage_by_day(period_start, period_end);
end
$function$;
COMMENT ON FUNCTION public.dashboard_ai_usage_by_day(period_start date, period_end date) IS 'AI usage over [period_start, period_end) (at most 366 days) by day: calls, tokens, cost. A member counts their own usage, an admin the organization''s. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_day (daily rollup).';
REVOKE ALL ON FUNCTION public.dashboard_ai_usage_by_day(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_ai_usage_by_day(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_ai_usage_by_model(period_start date, period_end date)
 RETURNS TABLE(model text, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_ai_usage_by_model(period_start, period_end);
end
$function$;
COMMENT ON FUNCTION public.dashboard_ai_usage_by_model(period_start date, period_end date) IS 'AI usage over [period_start, period_end) (at most 366 days) by model, costliest first; a member counts their own usage, an admin the organization''s. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_model.';
REVOKE ALL ON FUNCTION public.dashboard_ai_usage_by_model(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_ai_usage_by_model(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_ai_usage_by_user(period_start date, period_end date)
 RETURNS TABLE(user_id uuid, calls bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_ai_usage_by_user(period_start, period_end);
end
$function$;
COMMENT ON FUNCTION public.dashboard_ai_usage_by_user(period_start date, period_end date) IS 'AI usage over [period_start, period_end) (at most 366 days) by user, costliest first: a member sees their own row, an admin every user of the organization. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_user.';
REVOKE ALL ON FUNCTION public.dashboard_ai_usage_by_user(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_ai_usage_by_user(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_customers_page(page_size integer DEFAULT 50, after_created_at timestamp with time zone DEFAULT NULL::timestamp with time zone, after_id uuid DEFAULT NULL::uuid, status text DEFAULT NULL::text, industry text DEFAULT NULL::text, name_prefix text DEFAULT NULL::text)
 RETURNS SETOF public.customers
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_customers_page(page_size, after_created_at, after_id, status, industry, name_prefix);
end
$function$;
COMMENT ON FUNCTION public.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text) IS 'A page (1-500) of the caller''s organization''s live customers, newest first (created_at desc, id desc), after the keyset (after_created_at, after_id) of the previous page''s last row, filtered by status, industry and a case-insensitive name prefix. SECURITY INVOKER wrapper of private.dashboard_customers_page.';
REVOKE ALL ON FUNCTION public.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_customers_page(page_size integer, after_created_at timestamp with time zone, after_id uuid, status text, industry text, name_prefix text) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_monthly_revenue(period_start date, period_end date)
 RETURNS TABLE(month date, total numeric, invoices bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_monthly_revenue(period_start, period_end);
end
$function$;
COMMENT ON FUNCTION public.dashboard_monthly_revenue(period_start date, period_end date) IS 'Live revenue of the caller''s organization by calendar month over [period_start, period_end) (at most 1,096 days): month, total, invoices. SECURITY INVOKER wrapper of private.dashboard_monthly_revenue (daily rollup).';
REVOKE ALL ON FUNCTION public.dashboard_monthly_revenue(period_start date, period_end date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_monthly_revenue(period_start date, period_end date) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_organization_summary(as_of date DEFAULT NULL::date)
 RETURNS TABLE(organization_id uuid, active_customers bigint, inactive_customers bigint, churned_customers bigint, revenue_this_month numeric, revenue_last_month numeric, active_users bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.dashboard_organization_summary(as_of);
end
$function$;
COMMENT ON FUNCTION public.dashboard_organization_summary(as_of date) IS 'One row about the caller''s organization: live customers by status, revenue of the month of as_of (default today) and of the month before, users with access. No row without an organization. SECURITY INVOKER wrapper of private.dashboard_organization_summary.';
REVOKE ALL ON FUNCTION public.dashboard_organization_summary(as_of date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_organization_summary(as_of date) TO authenticated;

CREATE OR REPLACE FUNCTION public.dashboard_top_customers(top_n integer DEFAULT 10)
 RETURNS TABLE(id uuid, name text, company text, status text, total_revenue numeric, last_purchase_date date)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  perform private.check_page_size('dashboard_top_customers', 'top_n', top_n);
  return query
    select c.id, c.name, c.company, c.status, c.total_revenue, c.last_purchase_date
      from public.customers c
     order by c.total_revenue desc, c.id
     limit top_n;
end
$function$;
COMMENT ON FUNCTION public.dashboard_top_customers(top_n integer) IS 'The caller''s organization''s top_n (1-500) live customers by total_revenue, ties by id. SECURITY INVOKER: RLS decides.';
REVOKE ALL ON FUNCTION public.dashboard_top_customers(top_n integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_top_customers(top_n integer) TO authenticated;

CREATE OR REPLACE FUNCTION public.decline_invitation(invitation_id uuid)
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.decline_invitation(invitation_id) $function$;
COMMENT ON FUNCTION public.decline_invitation(invitation_id uuid) IS 'The invitee (signed in with the confirmed address invited) declines a pending invitation.';
REVOKE ALL ON FUNCTION public.decline_invitation(invitation_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.decline_invitation(invitation_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.delete_my_account()
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.delete_my_account() $function$;
COMMENT ON FUNCTION public.delete_my_account() IS 'The signed-in user erases themself (as public.erase_user) and their auth account.';
REVOKE ALL ON FUNCTION public.delete_my_account() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.delete_my_account() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.deleted_activities()
 RETURNS SETOF public.activities
 LANGUAGE sql
 STABLE
 SET search_path TO ''
AS $function$ select * from private.deleted_activities() $function$;
COMMENT ON FUNCTION public.deleted_activities() IS 'The trash: soft-deleted activities of the caller''s organization, for its admins (empty for anyone else); newest first.';
REVOKE ALL ON FUNCTION public.deleted_activities() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.deleted_activities() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.deleted_customers()
 RETURNS SETOF public.customers
 LANGUAGE sql
 STABLE
 SET search_path TO ''
AS $function$ select * from private.deleted_customers() $function$;
COMMENT ON FUNCTION public.deleted_customers() IS 'The trash: soft-deleted customers of the caller''s organization, for its admins (empty for anyone else); newest first.';
REVOKE ALL ON FUNCTION public.deleted_customers() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.deleted_customers() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.deleted_revenue()
 RETURNS SETOF public.revenue
 LANGUAGE sql
 STABLE
 SET search_path TO ''
AS $function$ select * from private.deleted_revenue() $function$;
COMMENT ON FUNCTION public.deleted_revenue() IS 'The trash: soft-deleted revenue rows of the caller''s organization, for its admins (empty for anyone else); newest first.';
REVOKE ALL ON FUNCTION public.deleted_revenue() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.deleted_revenue() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.erase_user(target uuid)
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.erase_user(target) $function$;
COMMENT ON FUNCTION public.erase_user(target uuid) IS 'service_role: erases a user (GDPR Art. 17): profile, invitations to their address, their email and name in the audit trail (audited without personal data). Refuses the last admin of an organization with other members. Then delete the auth user.';
REVOKE ALL ON FUNCTION public.erase_user(target uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.erase_user(target uuid) TO service_role;

CREATE OR REPLACE FUNCTION public.invite_member(email text, role text DEFAULT 'member'::text, valid_for interval DEFAULT '7 days'::interval)
 RETURNS TABLE(invitation_id uuid, token text, expires_at timestamp with time zone)
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select * from private.invite_member(email, role, valid_for) $function$;
COMMENT ON FUNCTION public.invite_member(email text, role text, valid_for interval) IS 'An admin invites an email address into their organization as admin or member, valid 1 hour to 30 days (default 7 days). Returns the invitation id, the token (returned this once, never stored) and its expiry. Replaces a pending invitation to the same address. Refuses non-admins, implausible addresses, other roles, a member''s address and more than 100 pending invitations.';
REVOKE ALL ON FUNCTION public.invite_member(email text, role text, valid_for interval) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.invite_member(email text, role text, valid_for interval) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.leave_organization()
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.leave_organization() $function$;
COMMENT ON FUNCTION public.leave_organization() IS 'The signed-in user leaves their organization and becomes an outsider; the last admin cannot.';
REVOKE ALL ON FUNCTION public.leave_organization() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.leave_organization() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.my_invitations()
 RETURNS TABLE(invitation_id uuid, organization_id uuid, organization_name text, role text, invited_by_name text, expires_at timestamp with time zone)
 LANGUAGE sql
 STABLE
 SET search_path TO ''
AS $function$ select * from private.my_invitations() $function$;
COMMENT ON FUNCTION public.my_invitations() IS 'Pending, unexpired invitations addressed to the signed-in user''s confirmed email: organization, role, who invited, expiry. No tokens.';
REVOKE ALL ON FUNCTION public.my_invitations() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.my_invitations() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.remove_member(user_id uuid)
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.remove_member(user_id) $function$;
COMMENT ON FUNCTION public.remove_member(user_id uuid) IS 'An admin removes a member, or themselves, from their organization (organization_id -> NULL, role -> member). 42501 when not allowed; the last admin cannot be removed (23514).';
REVOKE ALL ON FUNCTION public.remove_member(user_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.remove_member(user_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.request_organization_deletion(confirm_name text)
 RETURNS timestamp with time zone
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.request_organization_deletion(confirm_name) $function$;
COMMENT ON FUNCTION public.request_organization_deletion(confirm_name text) IS 'An admin requests the deletion of their organization, confirming its name; returns when the purge may happen (now + the deployment''s grace, 30 days by default). From then on nobody of it sees or writes its data; the organization row stays visible with the dates.';
REVOKE ALL ON FUNCTION public.request_organization_deletion(confirm_name text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.request_organization_deletion(confirm_name text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.restore(table_name text, id uuid)
 RETURNS boolean
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.set_deleted(table_name, id, false) $function$;
COMMENT ON FUNCTION public.restore(table_name text, id uuid) IS 'An admin restores a soft-deleted row of customers, revenue or activities of their organization (clears deleted_at). True when a row changed, false otherwise.';
REVOKE ALL ON FUNCTION public.restore(table_name text, id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.restore(table_name text, id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.revoke_invitation(invitation_id uuid)
 RETURNS void
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.revoke_invitation(invitation_id) $function$;
COMMENT ON FUNCTION public.revoke_invitation(invitation_id uuid) IS 'An admin of the invitation''s organization revokes a pending invitation; its token stops working.';
REVOKE ALL ON FUNCTION public.revoke_invitation(invitation_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.revoke_invitation(invitation_id uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.search_activities(document jsonb, page_size integer DEFAULT 50, before timestamp with time zone DEFAULT NULL::timestamp with time zone, before_id uuid DEFAULT NULL::uuid)
 RETURNS SETOF public.activities
 LANGUAGE plpgsql
 STABLE
 SET search_path TO ''
AS $function$
begin
  return query select * from private.search_activities(document, page_size, before, before_id);
end
$function$;
COMMENT ON FUNCTION public.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid) IS 'The caller''s organization''s live activities whose metadata contains document (jsonb @>), newest first (created_at desc, id desc), page_size 1-500, before the keyset (before, before_id) of the previous page''s last row. Uses the metadata index whatever the tenant''s size; returns only rows the caller could select. SECURITY INVOKER wrapper of private.search_activities.';
REVOKE ALL ON FUNCTION public.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.search_activities(document jsonb, page_size integer, before timestamp with time zone, before_id uuid) TO authenticated;

CREATE OR REPLACE FUNCTION public.soft_delete(table_name text, id uuid)
 RETURNS boolean
 LANGUAGE sql
 SET search_path TO ''
AS $function$ select private.set_deleted(table_name, id, true) $function$;
COMMENT ON FUNCTION public.soft_delete(table_name text, id uuid) IS 'An admin moves a row of customers, revenue or activities of their organization to the trash (sets deleted_at). True when a live row changed, false otherwise; 22023 for another table.';
REVOKE ALL ON FUNCTION public.soft_delete(table_name text, id uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.soft_delete(table_name text, id uuid) TO authenticated, service_role;

-- ================================================================================================
-- ROW LEVEL SECURITY AND POLICIES
-- ================================================================================================

ALTER TABLE private.activities_daily ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.activities_daily_deltas ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.ai_usage_daily ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.ai_usage_daily_deltas ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.ai_usage_model_daily ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.ai_usage_user_daily ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.offboarding_settings ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.revenue_daily ENABLE ROW LEVEL SECURITY;

ALTER TABLE private.revenue_daily_deltas ENABLE ROW LEVEL SECURITY;

ALTER TABLE public.activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY activities_delete ON public.activities AS PERMISSIVE FOR DELETE TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY activities_delete ON public.activities IS 'Admins delete live activities of their organization; the activities_soft_delete trigger makes it a soft delete.';
CREATE POLICY activities_insert ON public.activities AS PERMISSIVE FOR INSERT TO authenticated
  WITH CHECK (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY activities_insert ON public.activities IS 'Admins insert live activities into their organization.';
CREATE POLICY activities_select ON public.activities AS PERMISSIVE FOR SELECT TO authenticated
  USING (((organization_id = ( SELECT private.current_org_id() AS current_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY activities_select ON public.activities IS 'Members and admins read the live activities of their organization.';
CREATE POLICY activities_update ON public.activities AS PERMISSIVE FOR UPDATE TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)))
  WITH CHECK (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY activities_update ON public.activities IS 'Admins update live activities of their organization, keeping them live and in it.';

ALTER TABLE public.ai_usage_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY ai_usage_log_select ON public.ai_usage_log AS PERMISSIVE FOR SELECT TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) OR ((user_id = ( SELECT auth.uid() AS uid)) AND (organization_id = ( SELECT private.current_org_id() AS current_org_id)))));
COMMENT ON POLICY ai_usage_log_select ON public.ai_usage_log IS 'Admins read their organization''s usage; a member reads their own rows in their organization. No write policy: written by the server.';

ALTER TABLE public.audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_logs_select ON public.audit_logs AS PERMISSIVE FOR SELECT TO authenticated
  USING ((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)));
COMMENT ON POLICY audit_logs_select ON public.audit_logs IS 'Admins read their organization''s audit trail. No write policy: rows come from triggers.';

ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customers_delete ON public.customers AS PERMISSIVE FOR DELETE TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY customers_delete ON public.customers IS 'Admins delete live customers of their organization; the customers_soft_delete trigger makes it a soft delete.';
CREATE POLICY customers_insert ON public.customers AS PERMISSIVE FOR INSERT TO authenticated
  WITH CHECK (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY customers_insert ON public.customers IS 'Admins insert live customers into their organization.';
CREATE POLICY customers_select ON public.customers AS PERMISSIVE FOR SELECT TO authenticated
  USING (((organization_id = ( SELECT private.current_org_id() AS current_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY customers_select ON public.customers IS 'Members and admins read the live customers of their organization.';
CREATE POLICY customers_update ON public.customers AS PERMISSIVE FOR UPDATE TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)))
  WITH CHECK (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY customers_update ON public.customers IS 'Admins update live customers of their organization, keeping them live and in it.';

ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY invitations_select ON public.invitations AS PERMISSIVE FOR SELECT TO authenticated
  USING ((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)));
COMMENT ON POLICY invitations_select ON public.invitations IS 'Admins read their organization''s invitations (column privileges keep token_hash out).';

ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_select ON public.organizations AS PERMISSIVE FOR SELECT TO authenticated
  USING ((id = ( SELECT private.member_org_id() AS member_org_id)));
COMMENT ON POLICY organizations_select ON public.organizations IS 'Members and admins read their own organization.';
CREATE POLICY organizations_update ON public.organizations AS PERMISSIVE FOR UPDATE TO authenticated
  USING ((id = ( SELECT private.admin_org_id() AS admin_org_id)))
  WITH CHECK ((id = ( SELECT private.admin_org_id() AS admin_org_id)));
COMMENT ON POLICY organizations_update ON public.organizations IS 'Admins update their own organization.';

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_select ON public.profiles AS PERMISSIVE FOR SELECT TO authenticated
  USING (((id = ( SELECT auth.uid() AS uid)) OR (organization_id = ( SELECT private.member_org_id() AS member_org_id))));
COMMENT ON POLICY profiles_select ON public.profiles IS 'A user reads their own profile and the profiles of their organization.';
CREATE POLICY profiles_update ON public.profiles AS PERMISSIVE FOR UPDATE TO authenticated
  USING (((id = ( SELECT auth.uid() AS uid)) OR (organization_id = ( SELECT private.admin_org_id() AS admin_org_id))))
  WITH CHECK (((id = ( SELECT auth.uid() AS uid)) OR (organization_id = ( SELECT private.admin_org_id() AS admin_org_id))));
COMMENT ON POLICY profiles_update ON public.profiles IS 'A user updates their own profile, an admin the profiles of their organization; which columns may change is decided by the profiles_guard trigger.';

ALTER TABLE public.revenue ENABLE ROW LEVEL SECURITY;
CREATE POLICY revenue_delete ON public.revenue AS PERMISSIVE FOR DELETE TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY revenue_delete ON public.revenue IS 'Admins delete live revenue of their organization; the revenue_soft_delete trigger makes it a soft delete.';
CREATE POLICY revenue_insert ON public.revenue AS PERMISSIVE FOR INSERT TO authenticated
  WITH CHECK (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY revenue_insert ON public.revenue IS 'Admins insert live revenue into their organization.';
CREATE POLICY revenue_select ON public.revenue AS PERMISSIVE FOR SELECT TO authenticated
  USING (((organization_id = ( SELECT private.current_org_id() AS current_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY revenue_select ON public.revenue IS 'Members and admins read the live revenue of their organization.';
CREATE POLICY revenue_update ON public.revenue AS PERMISSIVE FOR UPDATE TO authenticated
  USING (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)))
  WITH CHECK (((organization_id = ( SELECT private.admin_org_id() AS admin_org_id)) AND (deleted_at IS NULL)));
COMMENT ON POLICY revenue_update ON public.revenue IS 'Admins update live revenue of their organization, keeping it live and in it.';

ALTER TABLE public.user_preferences ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_preferences_own ON public.user_preferences AS PERMISSIVE FOR ALL TO authenticated
  USING ((user_id = ( SELECT auth.uid() AS uid)))
  WITH CHECK ((user_id = ( SELECT auth.uid() AS uid)));
COMMENT ON POLICY user_preferences_own ON public.user_preferences IS 'Each user reads and writes only their own row, admins included.';

-- ================================================================================================
-- TRIGGERS
-- ================================================================================================

CREATE TRIGGER profiles_on_auth_user_created AFTER INSERT ON auth.users
  FOR EACH ROW
  EXECUTE FUNCTION private.handle_new_user();
COMMENT ON TRIGGER profiles_on_auth_user_created ON auth.users IS 'Creates the profile of a new auth user (private.handle_new_user).';
CREATE TRIGGER profiles_on_auth_user_deleted BEFORE DELETE ON auth.users
  FOR EACH ROW
  EXECUTE FUNCTION private.handle_user_deleted();
COMMENT ON TRIGGER profiles_on_auth_user_deleted ON auth.users IS 'Deletes the profile and scrubs the user''s email and name from the trail (private.handle_user_deleted).';
CREATE TRIGGER profiles_on_auth_user_email_changed AFTER UPDATE OF email ON auth.users
  FOR EACH ROW WHEN (old.email::text IS DISTINCT FROM new.email::text)
  EXECUTE FUNCTION private.handle_user_email_change();
COMMENT ON TRIGGER profiles_on_auth_user_email_changed ON auth.users IS 'Copies a changed email to the profile (private.handle_user_email_change).';

CREATE TRIGGER activities_audit_delete AFTER DELETE ON public.activities REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_delete();
COMMENT ON TRIGGER activities_audit_delete ON public.activities IS 'Audits hard-deleted rows.';
CREATE TRIGGER activities_audit_insert AFTER INSERT ON public.activities REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_insert();
COMMENT ON TRIGGER activities_audit_insert ON public.activities IS 'Audits inserted rows.';
CREATE TRIGGER activities_audit_update AFTER UPDATE ON public.activities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_update();
COMMENT ON TRIGGER activities_audit_update ON public.activities IS 'Audits changed rows (UPDATE, SOFT_DELETE, RESTORE).';
CREATE TRIGGER activities_pending_deletion_api BEFORE INSERT ON public.activities
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.refuse_pending_organization_row();
COMMENT ON TRIGGER activities_pending_deletion_api ON public.activities IS 'An API insert into an organization pending deletion gets 55000 before the policy''s check.';
CREATE TRIGGER activities_pending_deletion_insert AFTER INSERT ON public.activities REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER activities_pending_deletion_insert ON public.activities IS 'Refuses rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER activities_pending_deletion_update AFTER UPDATE ON public.activities REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER activities_pending_deletion_update ON public.activities IS 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER activities_reject_key_change BEFORE UPDATE ON public.activities
  FOR EACH ROW WHEN (old.id IS DISTINCT FROM new.id OR old.organization_id IS DISTINCT FROM new.organization_id)
  EXECUTE FUNCTION private.reject_key_change();
COMMENT ON TRIGGER activities_reject_key_change ON public.activities IS 'id and organization_id never change.';
CREATE TRIGGER activities_rollup_delete AFTER DELETE ON public.activities REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.activities_rollup_delete();
COMMENT ON TRIGGER activities_rollup_delete ON public.activities IS 'Appends - deltas of the statement''s deleted rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER activities_rollup_insert AFTER INSERT ON public.activities REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.activities_rollup_insert();
COMMENT ON TRIGGER activities_rollup_insert ON public.activities IS 'Appends + deltas of the statement''s new rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER activities_rollup_truncate AFTER TRUNCATE ON public.activities
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.rollup_truncate();
COMMENT ON TRIGGER activities_rollup_truncate ON public.activities IS 'Empties the table''s dashboard rollup and delta log with it (migration 013).';
CREATE TRIGGER activities_rollup_update AFTER UPDATE ON public.activities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.activities_rollup_update();
COMMENT ON TRIGGER activities_rollup_update ON public.activities IS 'Appends - old / + new deltas of the statement''s changed rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER activities_soft_delete BEFORE DELETE ON public.activities
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.soft_delete_instead();
COMMENT ON TRIGGER activities_soft_delete ON public.activities IS 'A DELETE by anon/authenticated becomes a soft delete.';
CREATE TRIGGER activities_soft_delete_by_update BEFORE UPDATE ON public.activities
  FOR EACH ROW WHEN ((CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name])) AND old.deleted_at IS NULL AND new.deleted_at IS NOT NULL)
  EXECUTE FUNCTION private.soft_delete_by_update();
COMMENT ON TRIGGER activities_soft_delete_by_update ON public.activities IS 'An UPDATE by anon/authenticated that only sets deleted_at becomes a soft delete.';

CREATE TRIGGER ai_usage_log_pending_deletion_insert AFTER INSERT ON public.ai_usage_log REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER ai_usage_log_pending_deletion_insert ON public.ai_usage_log IS 'Refuses rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER ai_usage_log_pending_deletion_update AFTER UPDATE ON public.ai_usage_log REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER ai_usage_log_pending_deletion_update ON public.ai_usage_log IS 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER ai_usage_log_rollup_delete AFTER DELETE ON public.ai_usage_log REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.ai_usage_rollup_delete();
COMMENT ON TRIGGER ai_usage_log_rollup_delete ON public.ai_usage_log IS 'Appends - deltas of the statement''s deleted rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER ai_usage_log_rollup_insert AFTER INSERT ON public.ai_usage_log REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.ai_usage_rollup_insert();
COMMENT ON TRIGGER ai_usage_log_rollup_insert ON public.ai_usage_log IS 'Appends + deltas of the statement''s new rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER ai_usage_log_rollup_truncate AFTER TRUNCATE ON public.ai_usage_log
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.rollup_truncate();
COMMENT ON TRIGGER ai_usage_log_rollup_truncate ON public.ai_usage_log IS 'Empties the table''s dashboard rollup and delta log with it (migration 013).';
CREATE TRIGGER ai_usage_log_rollup_update AFTER UPDATE ON public.ai_usage_log REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.ai_usage_rollup_update();
COMMENT ON TRIGGER ai_usage_log_rollup_update ON public.ai_usage_log IS 'Appends - old / + new deltas of the statement''s changed rows to the dashboard rollup''s delta log (migration 013).';

CREATE TRIGGER audit_logs_append_only BEFORE DELETE OR UPDATE OR TRUNCATE ON public.audit_logs
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_logs_append_only();
COMMENT ON TRIGGER audit_logs_append_only ON public.audit_logs IS 'Refuses UPDATE, DELETE and TRUNCATE, for everyone.';

CREATE TRIGGER customers_audit_delete AFTER DELETE ON public.customers REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_delete();
COMMENT ON TRIGGER customers_audit_delete ON public.customers IS 'Audits hard-deleted rows.';
CREATE TRIGGER customers_audit_insert AFTER INSERT ON public.customers REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_insert();
COMMENT ON TRIGGER customers_audit_insert ON public.customers IS 'Audits inserted rows: one INSERT into audit_logs per statement.';
CREATE TRIGGER customers_audit_update AFTER UPDATE ON public.customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_update('updated_at', 'total_revenue', 'last_purchase_date');
COMMENT ON TRIGGER customers_audit_update ON public.customers IS 'Audits changed rows (UPDATE, SOFT_DELETE, RESTORE); changes to updated_at, total_revenue and last_purchase_date alone are not audited.';
CREATE TRIGGER customers_keep_derived_on_insert BEFORE INSERT ON public.customers
  FOR EACH ROW WHEN (new.total_revenue <> 0::numeric OR new.last_purchase_date IS NOT NULL)
  EXECUTE FUNCTION private.customers_keep_derived();
COMMENT ON TRIGGER customers_keep_derived_on_insert ON public.customers IS 'Ignores total_revenue and last_purchase_date given on insert.';
CREATE TRIGGER customers_keep_derived_on_update BEFORE UPDATE ON public.customers
  FOR EACH ROW WHEN (old.total_revenue IS DISTINCT FROM new.total_revenue OR old.last_purchase_date IS DISTINCT FROM new.last_purchase_date)
  EXECUTE FUNCTION private.customers_keep_derived();
COMMENT ON TRIGGER customers_keep_derived_on_update ON public.customers IS 'Ignores writes to total_revenue and last_purchase_date except from the revenue_totals_* functions.';
CREATE TRIGGER customers_pending_deletion_api BEFORE INSERT ON public.customers
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.refuse_pending_organization_row();
COMMENT ON TRIGGER customers_pending_deletion_api ON public.customers IS 'An API insert into an organization pending deletion gets 55000 before the policy''s check.';
CREATE TRIGGER customers_pending_deletion_insert AFTER INSERT ON public.customers REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER customers_pending_deletion_insert ON public.customers IS 'Refuses rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER customers_pending_deletion_update AFTER UPDATE ON public.customers REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER customers_pending_deletion_update ON public.customers IS 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER customers_reject_key_change BEFORE UPDATE ON public.customers
  FOR EACH ROW WHEN (old.id IS DISTINCT FROM new.id OR old.organization_id IS DISTINCT FROM new.organization_id)
  EXECUTE FUNCTION private.reject_key_change();
COMMENT ON TRIGGER customers_reject_key_change ON public.customers IS 'id and organization_id never change.';
CREATE TRIGGER customers_soft_delete BEFORE DELETE ON public.customers
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.soft_delete_instead();
COMMENT ON TRIGGER customers_soft_delete ON public.customers IS 'A DELETE by anon/authenticated becomes a soft delete.';
CREATE TRIGGER customers_soft_delete_by_update BEFORE UPDATE ON public.customers
  FOR EACH ROW WHEN ((CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name])) AND old.deleted_at IS NULL AND new.deleted_at IS NOT NULL)
  EXECUTE FUNCTION private.soft_delete_by_update();
COMMENT ON TRIGGER customers_soft_delete_by_update ON public.customers IS 'An UPDATE by anon/authenticated that only sets deleted_at becomes a soft delete.';
CREATE TRIGGER customers_touch_updated_at BEFORE UPDATE ON public.customers
  FOR EACH ROW
  EXECUTE FUNCTION private.touch_updated_at();
COMMENT ON TRIGGER customers_touch_updated_at ON public.customers IS 'Keeps updated_at.';

CREATE TRIGGER invitations_audit AFTER INSERT OR DELETE OR UPDATE ON public.invitations
  FOR EACH ROW
  EXECUTE FUNCTION private.audit_invitation();
COMMENT ON TRIGGER invitations_audit ON public.invitations IS 'Audits every invitation row change (private.audit_invitation), without the token hash.';
CREATE TRIGGER invitations_pending_deletion_insert BEFORE INSERT ON public.invitations
  FOR EACH ROW
  EXECUTE FUNCTION private.refuse_pending_organization_row();
COMMENT ON TRIGGER invitations_pending_deletion_insert ON public.invitations IS 'No invitation into an organization pending deletion (55000).';
CREATE TRIGGER invitations_pending_deletion_update BEFORE UPDATE ON public.invitations
  FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status AND new.status <> 'declined'::text)
  EXECUTE FUNCTION private.refuse_pending_organization_row();
COMMENT ON TRIGGER invitations_pending_deletion_update ON public.invitations IS 'No acceptance or revocation in an organization pending deletion (55000); declining stays possible.';
CREATE TRIGGER invitations_reject_key_change BEFORE UPDATE ON public.invitations
  FOR EACH ROW WHEN (old.id IS DISTINCT FROM new.id OR old.organization_id IS DISTINCT FROM new.organization_id)
  EXECUTE FUNCTION private.reject_key_change();
COMMENT ON TRIGGER invitations_reject_key_change ON public.invitations IS 'id and organization_id never change.';

CREATE TRIGGER organizations_audit_delete AFTER DELETE ON public.organizations
  FOR EACH ROW
  EXECUTE FUNCTION private.audit_organization();
COMMENT ON TRIGGER organizations_audit_delete ON public.organizations IS 'Audits the deletion; the row outlives the organization.';
CREATE TRIGGER organizations_audit_update AFTER UPDATE ON public.organizations
  FOR EACH ROW WHEN ((to_jsonb(old.*) - 'updated_at'::text) IS DISTINCT FROM (to_jsonb(new.*) - 'updated_at'::text))
  EXECUTE FUNCTION private.audit_organization();
COMMENT ON TRIGGER organizations_audit_update ON public.organizations IS 'Audits an update that changes more than updated_at.';
CREATE TRIGGER organizations_deletion_guard BEFORE UPDATE ON public.organizations
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.organizations_deletion_guard();
COMMENT ON TRIGGER organizations_deletion_guard ON public.organizations IS 'API roles cannot change deletion_requested_at, purge_after or purge_started_at directly.';
CREATE TRIGGER organizations_reject_key_change BEFORE UPDATE ON public.organizations
  FOR EACH ROW WHEN (old.id IS DISTINCT FROM new.id)
  EXECUTE FUNCTION private.reject_key_change();
COMMENT ON TRIGGER organizations_reject_key_change ON public.organizations IS 'The id never changes.';
CREATE TRIGGER organizations_rollup_delete AFTER DELETE ON public.organizations REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.rollups_organization_delete();
COMMENT ON TRIGGER organizations_rollup_delete ON public.organizations IS 'Deletes the deleted organizations'' dashboard rollup rows and pending deltas (migration 013; the rollups have no foreign key).';
CREATE TRIGGER organizations_touch_updated_at BEFORE UPDATE ON public.organizations
  FOR EACH ROW
  EXECUTE FUNCTION private.touch_updated_at();
COMMENT ON TRIGGER organizations_touch_updated_at ON public.organizations IS 'Keeps updated_at.';

CREATE TRIGGER profiles_audit_delete AFTER DELETE ON public.profiles
  FOR EACH ROW WHEN (old.organization_id IS NOT NULL)
  EXECUTE FUNCTION private.audit_profile();
COMMENT ON TRIGGER profiles_audit_delete ON public.profiles IS 'Audits the deletion of a profile that belonged to an organization.';
CREATE TRIGGER profiles_audit_update AFTER UPDATE ON public.profiles
  FOR EACH ROW WHEN ((old.role IS DISTINCT FROM new.role OR old.organization_id IS DISTINCT FROM new.organization_id) AND (old.organization_id IS NOT NULL OR new.organization_id IS NOT NULL))
  EXECUTE FUNCTION private.audit_profile();
COMMENT ON TRIGGER profiles_audit_update ON public.profiles IS 'Audits a change of role or organization.';
CREATE TRIGGER profiles_guard BEFORE UPDATE ON public.profiles
  FOR EACH ROW
  EXECUTE FUNCTION private.profiles_guard();
COMMENT ON TRIGGER profiles_guard ON public.profiles IS 'Column rules of profile updates, last-admin rule, updated_at (private.profiles_guard).';

CREATE TRIGGER revenue_audit_delete AFTER DELETE ON public.revenue REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_delete();
COMMENT ON TRIGGER revenue_audit_delete ON public.revenue IS 'Audits hard-deleted rows.';
CREATE TRIGGER revenue_audit_insert AFTER INSERT ON public.revenue REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_insert();
COMMENT ON TRIGGER revenue_audit_insert ON public.revenue IS 'Audits inserted rows.';
CREATE TRIGGER revenue_audit_update AFTER UPDATE ON public.revenue REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.audit_update();
COMMENT ON TRIGGER revenue_audit_update ON public.revenue IS 'Audits changed rows (UPDATE, SOFT_DELETE, RESTORE).';
CREATE TRIGGER revenue_pending_deletion_api BEFORE INSERT ON public.revenue
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.refuse_pending_organization_row();
COMMENT ON TRIGGER revenue_pending_deletion_api ON public.revenue IS 'An API insert into an organization pending deletion gets 55000 before the policy''s check.';
CREATE TRIGGER revenue_pending_deletion_insert AFTER INSERT ON public.revenue REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER revenue_pending_deletion_insert ON public.revenue IS 'Refuses rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER revenue_pending_deletion_update AFTER UPDATE ON public.revenue REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.refuse_pending_organization_writes();
COMMENT ON TRIGGER revenue_pending_deletion_update ON public.revenue IS 'Refuses changes to rows of an organization pending deletion (55000), for every role.';
CREATE TRIGGER revenue_reject_key_change BEFORE UPDATE ON public.revenue
  FOR EACH ROW WHEN (old.id IS DISTINCT FROM new.id OR old.organization_id IS DISTINCT FROM new.organization_id)
  EXECUTE FUNCTION private.reject_key_change();
COMMENT ON TRIGGER revenue_reject_key_change ON public.revenue IS 'id and organization_id never change.';
CREATE TRIGGER revenue_rollup_delete AFTER DELETE ON public.revenue REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.revenue_rollup_delete();
COMMENT ON TRIGGER revenue_rollup_delete ON public.revenue IS 'Appends - deltas of the statement''s deleted rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER revenue_rollup_insert AFTER INSERT ON public.revenue REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.revenue_rollup_insert();
COMMENT ON TRIGGER revenue_rollup_insert ON public.revenue IS 'Appends + deltas of the statement''s new rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER revenue_rollup_truncate AFTER TRUNCATE ON public.revenue
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.rollup_truncate();
COMMENT ON TRIGGER revenue_rollup_truncate ON public.revenue IS 'Empties the table''s dashboard rollup and delta log with it (migration 013).';
CREATE TRIGGER revenue_rollup_update AFTER UPDATE ON public.revenue REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.revenue_rollup_update();
COMMENT ON TRIGGER revenue_rollup_update ON public.revenue IS 'Appends - old / + new deltas of the statement''s changed rows to the dashboard rollup''s delta log (migration 013).';
CREATE TRIGGER revenue_soft_delete BEFORE DELETE ON public.revenue
  FOR EACH ROW WHEN (CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name]))
  EXECUTE FUNCTION private.soft_delete_instead();
COMMENT ON TRIGGER revenue_soft_delete ON public.revenue IS 'A DELETE by anon/authenticated becomes a soft delete.';
CREATE TRIGGER revenue_soft_delete_by_update BEFORE UPDATE ON public.revenue
  FOR EACH ROW WHEN ((CURRENT_USER = ANY (ARRAY['anon'::name, 'authenticated'::name])) AND old.deleted_at IS NULL AND new.deleted_at IS NOT NULL)
  EXECUTE FUNCTION private.soft_delete_by_update();
COMMENT ON TRIGGER revenue_soft_delete_by_update ON public.revenue IS 'An UPDATE by anon/authenticated that only sets deleted_at becomes a soft delete.';
CREATE TRIGGER revenue_totals_after_delete AFTER DELETE ON public.revenue REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.revenue_totals_recompute();
COMMENT ON TRIGGER revenue_totals_after_delete ON public.revenue IS 'Recomputes the totals of customers whose revenue was hard-deleted.';
CREATE TRIGGER revenue_totals_after_insert AFTER INSERT ON public.revenue REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.revenue_totals_after_insert();
COMMENT ON TRIGGER revenue_totals_after_insert ON public.revenue IS 'Adds inserted live rows to their customers'' totals.';
CREATE TRIGGER revenue_totals_after_update AFTER UPDATE ON public.revenue REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT
  EXECUTE FUNCTION private.revenue_totals_recompute();
COMMENT ON TRIGGER revenue_totals_after_update ON public.revenue IS 'Recomputes the totals of customers whose revenue changed in amount, date, customer or deleted_at.';

CREATE TRIGGER user_preferences_touch_updated_at BEFORE UPDATE ON public.user_preferences
  FOR EACH ROW
  EXECUTE FUNCTION private.touch_updated_at();
COMMENT ON TRIGGER user_preferences_touch_updated_at ON public.user_preferences IS 'Keeps updated_at.';

-- ================================================================================================
-- TABLE PRIVILEGES of PUBLIC and the API roles (row level security then decides which rows)
-- ================================================================================================

REVOKE ALL ON TABLE private.activities_daily FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.activities_daily_deltas FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.ai_usage_daily FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.ai_usage_daily_deltas FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.ai_usage_model_daily FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.ai_usage_user_daily FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.offboarding_settings FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.revenue_daily FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE private.revenue_daily_deltas FROM PUBLIC, anon, authenticated, service_role;

REVOKE ALL ON TABLE public.activities FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.activities TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.activities TO service_role;

REVOKE ALL ON TABLE public.ai_usage_log FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.ai_usage_log TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.ai_usage_log TO service_role;

REVOKE ALL ON TABLE public.audit_logs FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT ON TABLE public.audit_logs TO anon, authenticated, service_role;

REVOKE ALL ON TABLE public.customers FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.customers TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.customers TO service_role;

REVOKE ALL ON TABLE public.invitations FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT (id) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (organization_id) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (email) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (role) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (invited_by) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (status) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (accepted_by) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (created_at) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (expires_at) ON TABLE public.invitations TO anon, authenticated, service_role;
GRANT SELECT (ended_at) ON TABLE public.invitations TO anon, authenticated, service_role;

REVOKE ALL ON TABLE public.organizations FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.organizations TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.organizations TO service_role;

REVOKE ALL ON TABLE public.profiles FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.profiles TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.profiles TO service_role;

REVOKE ALL ON TABLE public.revenue FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.revenue TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.revenue TO service_role;

REVOKE ALL ON TABLE public.user_preferences FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.user_preferences TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.user_preferences TO service_role;
