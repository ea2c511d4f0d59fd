-- 004_comments: the database documents itself. A COMMENT on every schema object 001 created: tables,
-- columns, functions, policies, triggers, the non-constraint indexes and the tenant-safe keys.
-- Supabase's dashboard, psql's \d+ and the type generator (lib/db/types.ts) show them, and
-- supabase/schema.sql is generated from them. Comments only: no behaviour changes here.

-- ============================================================================
-- SCHEMA
-- ============================================================================
comment on schema private is
  'Helpers for policies, triggers and the public API. Not exposed by the Data API; no EXECUTE for PUBLIC or anon.';

-- ============================================================================
-- TABLES AND COLUMNS
-- ============================================================================
comment on table public.organizations is
  'A tenant. Members read their own organization, its admins update it; signed-in users create one through public.create_organization(); only trusted roles insert or delete directly.';
comment on column public.organizations.id is 'Primary key: the tenant id every organization_id refers to.';
comment on column public.organizations.name is 'Display name.';
comment on column public.organizations.slug is 'URL-friendly identifier, unique across all organizations (organizations_slug_key).';
comment on column public.organizations.created_at is 'When the organization was created.';
comment on column public.organizations.updated_at is 'Last change; set by the organizations_touch_updated_at trigger.';

comment on table public.profiles is
  'One per auth user, created by the profiles_on_auth_user_created trigger and deleted with the user. Membership: at most one organization, as admin or member; organization_id NULL = outsider.';
comment on column public.profiles.id is 'The auth.users id, i.e. auth.uid() of the user''s requests. Never changes; deleting the auth user deletes the profile.';
comment on column public.profiles.email is 'Copy of auth.users.email, kept in sync by a trigger on auth.users; signed-in users cannot change it here.';
comment on column public.profiles.full_name is 'Display name, initialised from the sign-up metadata (full_name); only the user may change it.';
comment on column public.profiles.avatar_url is 'Avatar URL, initialised from the sign-up metadata (avatar_url); only the user may change it.';
comment on column public.profiles.organization_id is
  'The organization the user belongs to; NULL = outsider. Set by public.create_organization() or a trusted role; cleared by an admin of that organization (public.remove_member(), or an UPDATE setting it to NULL) or when the organization is deleted. A signed-in user never moves a profile between organizations.';
comment on column public.profiles.role is
  '''admin'' or ''member'' in organization_id. Only an admin of that organization changes it; the last admin cannot be demoted or removed; reset to ''member'' when the profile leaves its organization.';
comment on column public.profiles.created_at is 'When the profile was created; signed-in users cannot change it.';
comment on column public.profiles.updated_at is 'Last change; set by the profiles_guard trigger.';

comment on table public.customers is
  'Customers of an organization (tenant data). Members read live rows, admins write; an admin''s DELETE is a soft delete (deleted_at), hard delete is for trusted roles. Audited.';
comment on column public.customers.id is 'Primary key.';
comment on column public.customers.organization_id is 'Owning organization (the tenant key every policy compares); cannot change. Deleting the organization deletes its customers.';
comment on column public.customers.name is 'Customer name.';
comment on column public.customers.email is 'Contact email address.';
comment on column public.customers.company is 'Company name.';
comment on column public.customers.industry is 'Industry, free text.';
comment on column public.customers.total_revenue is
  'Derived: sum of amount over the customer''s live revenue rows, kept by the revenue_totals_* triggers; any other write to it is ignored, and a change to it alone is not audited.';
comment on column public.customers.last_purchase_date is
  'Derived: latest date of the customer''s live revenue rows (NULL when none), kept like total_revenue.';
comment on column public.customers.status is 'Lifecycle status: active (the default), inactive or churned.';
comment on column public.customers.deleted_at is
  'Soft delete: NULL = live; set = in the trash since then, hidden from normal reads. Set by an admin''s DELETE, public.soft_delete() or an UPDATE that only sets it; listed by public.deleted_customers(), cleared by public.restore().';
comment on column public.customers.created_at is 'When the row was created.';
comment on column public.customers.updated_at is 'Last change; set by the customers_touch_updated_at trigger (a change to it alone is not audited).';

comment on table public.revenue is
  'Revenue entries of an organization, optionally attributed to one of its customers. Members read live rows, admins write; DELETE by an admin is a soft delete. Live rows feed the customer''s derived totals. Audited.';
comment on column public.revenue.id is 'Primary key.';
comment on column public.revenue.organization_id is 'Owning organization (tenant key); cannot change. Deleting the organization deletes its revenue.';
comment on column public.revenue.customer_id is
  'Customer of the same organization (tenant-safe key revenue_customer_id_fkey on customer_id, organization_id); set to NULL when that customer is hard-deleted.';
comment on column public.revenue.amount is 'Amount, exact numeric(12,2).';
comment on column public.revenue.date is 'Day the revenue was earned (DATE, no time zone); feeds customers.last_purchase_date.';
comment on column public.revenue.category is 'Category, free text.';
comment on column public.revenue.description is 'Description, free text.';
comment on column public.revenue.deleted_at is
  'Soft delete: NULL = live; set = in the trash since then, hidden from normal reads and excluded from the customer''s totals. Set and cleared like customers.deleted_at; listed by public.deleted_revenue().';
comment on column public.revenue.created_at is 'When the row was created.';

comment on table public.activities is
  'Events of an organization, optionally about one of its customers, with JSON metadata. Members read live rows, admins write; DELETE by an admin is a soft delete. Audited.';
comment on column public.activities.id is 'Primary key.';
comment on column public.activities.organization_id is 'Owning organization (tenant key); cannot change. Deleting the organization deletes its activities.';
comment on column public.activities.type is 'Kind of event: signup, purchase, churn, login or export.';
comment on column public.activities.customer_id is
  'Customer of the same organization (tenant-safe key activities_customer_id_fkey on customer_id, organization_id); set to NULL when that customer is hard-deleted.';
comment on column public.activities.metadata is 'Free-form JSON object about the event; never NULL (default {}); GIN-indexed for containment (@>) queries.';
comment on column public.activities.deleted_at is
  'Soft delete: NULL = live; set = in the trash since then, hidden from normal reads. Set and cleared like customers.deleted_at; listed by public.deleted_activities().';
comment on column public.activities.created_at is 'When the event was recorded.';

comment on table public.audit_logs is
  'Append-only audit trail, written by triggers only: one row per changed row of customers, revenue and activities, per update or delete of an organization, per change of a profile''s role or organization. Read by the organization''s admins; nobody may update, delete or truncate it.';
comment on column public.audit_logs.id is 'Primary key.';
comment on column public.audit_logs.organization_id is
  'Organization the changed row belongs to (taken from the row itself, OLD on delete). No foreign key on purpose: the trail outlives the organization.';
comment on column public.audit_logs.user_id is
  'The actor: auth.uid() of the request that made the change; NULL = system (no signed-in user: the owner, migrations, service_role, seeds).';
comment on column public.audit_logs.action is
  'INSERT, UPDATE, DELETE (hard delete), SOFT_DELETE (deleted_at set) or RESTORE (deleted_at cleared).';
comment on column public.audit_logs.table_name is 'Table of the changed row, without schema.';
comment on column public.audit_logs.record_id is 'Primary key of the changed row (the profile id, the organization id, ...).';
comment on column public.audit_logs.old_data is 'The whole row before the change, as JSON; NULL for INSERT.';
comment on column public.audit_logs.new_data is 'The whole row after the change, as JSON; NULL for DELETE.';
comment on column public.audit_logs.created_at is 'When the change was recorded (start of its transaction).';

comment on table public.ai_usage_log is
  'Token and cost accounting of AI calls. Written by trusted roles (the server, service_role) only; a member reads their own rows, an admin the whole organization''s.';
comment on column public.ai_usage_log.id is 'Primary key.';
comment on column public.ai_usage_log.user_id is 'The user the call was made for (an auth user id; no foreign key).';
comment on column public.ai_usage_log.organization_id is 'Organization billed for the call. Deleting the organization deletes its usage rows.';
comment on column public.ai_usage_log.query_id is 'Id of the AI query the call belongs to, assigned by the server.';
comment on column public.ai_usage_log.input_tokens is 'Prompt tokens; >= 0.';
comment on column public.ai_usage_log.output_tokens is 'Completion tokens; >= 0.';
comment on column public.ai_usage_log.cost_usd is 'Cost in US dollars, exact numeric(10,4); >= 0.';
comment on column public.ai_usage_log.model is 'Model that served the call.';
comment on column public.ai_usage_log.date is 'Day the usage counts for (DATE), for daily totals.';
comment on column public.ai_usage_log.created_at is 'When the row was recorded.';

comment on table public.user_preferences is
  'Per-user settings. Strictly private: each user reads and writes only their own row, admins included.';
comment on column public.user_preferences.user_id is 'The user (profiles.id); deleted with the profile.';
comment on column public.user_preferences.theme_preference is 'UI theme: light, dark or system (the default: follow the device).';
comment on column public.user_preferences.updated_at is 'Last change; set by the user_preferences_touch_updated_at trigger.';

-- ============================================================================
-- CONSTRAINTS AND INDEXES
-- ============================================================================
comment on constraint customers_id_organization_id_key on public.customers is
  'Target of the tenant-safe foreign keys: (id, organization_id) lets a row point only at a customer of its own organization.';
comment on constraint revenue_customer_id_fkey on public.revenue is
  'Tenant-safe: the customer must belong to the same organization (FK checks bypass RLS, so a plain key on customer_id would not). ON DELETE SET NULL (customer_id) keeps organization_id.';
comment on constraint activities_customer_id_fkey on public.activities is
  'Tenant-safe: the customer must belong to the same organization. ON DELETE SET NULL (customer_id) keeps organization_id.';

comment on index public.idx_profiles_org is 'Members of an organization: the profiles policies and the foreign key to organizations.';
comment on index public.idx_customers_org_created is 'Tenant key first: the customers policies, the foreign key to organizations, newest-first listings.';
comment on index public.idx_customers_org_status is 'Live customers of an organization by status.';
comment on index public.idx_revenue_org_date is 'Tenant key first: the revenue policies, the foreign key to organizations, revenue over a date range.';
comment on index public.idx_revenue_customer is 'The tenant-safe foreign key to customers (finds the rows to update when a customer is deleted), revenue per customer.';
comment on index public.idx_activities_org_created is 'Tenant key first: the activities policies, the foreign key to organizations, recent activity.';
comment on index public.idx_activities_org_type is 'Activities of an organization by type.';
comment on index public.idx_activities_customer is 'The tenant-safe foreign key to customers, activities per customer.';
comment on index public.idx_activities_metadata is 'GIN on metadata, for containment (@>) queries.';
comment on index public.idx_audit_logs_org_created is 'An organization''s trail in time order: the audit_logs policy and its readers.';
comment on index public.idx_ai_usage_org_date is 'Tenant key first: the ai_usage_log policy, the foreign key to organizations, usage per day.';
comment on index public.idx_ai_usage_user is 'A member''s own usage rows (the ai_usage_log policy''s second branch).';

-- ============================================================================
-- FUNCTIONS: private helpers
-- ============================================================================
comment on function private.current_org_id() is
  'Organization of the signed-in user (auth.uid()), or NULL. SECURITY DEFINER so policies on profiles do not recurse; call as (select private.current_org_id()) in policies: evaluated once per statement.';
comment on function private.admin_org_id() is
  'Organization the signed-in user is an admin of, or NULL (also for members). SECURITY DEFINER; call as (select private.admin_org_id()) in policies.';
comment on function private.assert_not_last_admin(uuid, uuid) is
  'Raises 23514 (organization_keeps_an_admin) unless the organization keeps another admin besides the given profile. Locks the organization row first so concurrent demotions serialize; does nothing when the organization is being deleted.';
comment on function private.touch_updated_at() is 'BEFORE UPDATE trigger function: sets updated_at to now().';
comment on function private.reject_key_change() is 'BEFORE UPDATE trigger function (fired by a WHEN clause): raises 42501, id and organization_id cannot change.';
comment on function private.profiles_guard() is
  'BEFORE UPDATE trigger on profiles. id never changes. For anon/authenticated callers: email and created_at never change; role only by an admin of the organization; organization_id only cleared, by its admin (another member''s removal is carried out by private.remove_member() and the UPDATE itself skipped); full_name and avatar_url only by the user. For everyone: leaving an organization resets role to member; the last admin stays; sets updated_at.';
comment on function private.customers_keep_derived() is
  'BEFORE INSERT/UPDATE trigger on customers: keeps total_revenue and last_purchase_date as they were (0/NULL on insert) unless a trusted role writes them with tenantry.maintaining_totals on, as the revenue_totals_* functions do.';
comment on function private.set_deleted(text, uuid, boolean) is
  'Sets (true) or clears (false) deleted_at on one row of customers, revenue or activities in the caller''s organization, if the caller is its admin; returns whether a row changed. Raises 22023 for another table. SECURITY DEFINER: the UPDATE bypasses the policies that hide deleted rows.';
comment on function private.soft_delete_instead() is
  'BEFORE DELETE trigger for anon/authenticated callers: soft-deletes the row through private.set_deleted() and skips the DELETE (the statement reports 0 rows). Trusted roles delete for real.';
comment on function private.soft_delete_by_update() is
  'BEFORE UPDATE trigger for anon/authenticated callers setting deleted_at: an UPDATE that changes nothing else is carried out as a soft delete through private.set_deleted() and skipped (0 rows reported); one that changes more goes on, and the policies refuse it.';
comment on function private.revenue_totals_after_insert() is
  'AFTER INSERT statement trigger on revenue: adds the new live rows to their customers'' total_revenue and last_purchase_date, one UPDATE per statement.';
comment on function private.revenue_totals_recompute() is
  'AFTER UPDATE/DELETE statement trigger on revenue: recomputes total_revenue and last_purchase_date of the affected customers from their live revenue rows, after locking those customers in id order.';
comment on function private.audit_insert() is
  'AFTER INSERT statement trigger: one audit_logs row (INSERT) per inserted row, from the transition table; organization_id from the row, user_id = auth.uid() (NULL = system).';
comment on function private.audit_update() is
  'AFTER UPDATE statement trigger: one audit_logs row per changed row, SOFT_DELETE or RESTORE when deleted_at was set or cleared, else UPDATE. Trigger arguments name columns whose changes alone are not audited.';
comment on function private.audit_delete() is
  'AFTER DELETE statement trigger: one audit_logs row (DELETE) per deleted row, organization_id from the OLD row.';
comment on function private.audit_organization() is
  'AFTER UPDATE/DELETE row trigger on organizations: one audit_logs row filed under the organization itself.';
comment on function private.audit_profile() is
  'AFTER UPDATE/DELETE row trigger on profiles: audits a change of role or organization (filed under the organization left, else the one joined) and the deletion of a profile (under its organization).';
comment on function private.audit_logs_append_only() is
  'BEFORE UPDATE/DELETE/TRUNCATE statement trigger on audit_logs: always raises 42501, whoever the caller (service_role and the owner included).';
comment on function private.handle_new_user() is
  'AFTER INSERT trigger on auth.users: creates the profile (email, full_name and avatar_url from the sign-up metadata; role member, no organization). SECURITY DEFINER: runs for GoTrue''s role.';
comment on function private.handle_user_email_change() is
  'AFTER UPDATE OF email trigger on auth.users: copies the new email to the profile.';
comment on function private.create_organization(text, text) is
  'Implements public.create_organization(): for a signed-in user with a profile and no organization, inserts the organization and makes the user its admin. 42501 without a user or profile, 55000 when already in an organization.';
comment on function private.remove_member(uuid) is
  'Implements public.remove_member(): clears organization_id of a profile in the caller''s organization if the caller is its admin; 42501 otherwise, the same for unknown and foreign profiles.';
comment on function private.deleted_customers() is 'Implements public.deleted_customers(): soft-deleted customers of the caller''s organization, for its admins; newest first.';
comment on function private.deleted_revenue() is 'Implements public.deleted_revenue(): soft-deleted revenue of the caller''s organization, for its admins; newest first.';
comment on function private.deleted_activities() is 'Implements public.deleted_activities(): soft-deleted activities of the caller''s organization, for its admins; newest first.';

-- ============================================================================
-- FUNCTIONS: the public API (SECURITY INVOKER wrappers; authenticated and service_role only)
-- ============================================================================
comment on function public.create_organization(text, text) is
  'Creates an organization and makes the caller (a signed-in user with no organization) its admin; returns its id. Error 55000 when the caller already belongs to one, 23505 when the slug is taken.';
comment on function public.remove_member(uuid) is
  'An admin removes a member, or themselves, from their organization (organization_id -> NULL, role -> member). 42501 when not allowed; the last admin cannot be removed (23514).';
comment on function public.soft_delete(text, uuid) is
  'An admin moves a row of customers, revenue or activities of their organization to the trash (sets deleted_at). True when a live row changed, false otherwise; 22023 for another table.';
comment on function public.restore(text, uuid) is
  'An admin restores a soft-deleted row of customers, revenue or activities of their organization (clears deleted_at). True when a row changed, false otherwise.';
comment on function public.deleted_customers() is 'The trash: soft-deleted customers of the caller''s organization, for its admins (empty for anyone else); newest first.';
comment on function public.deleted_revenue() is 'The trash: soft-deleted revenue rows of the caller''s organization, for its admins (empty for anyone else); newest first.';
comment on function public.deleted_activities() is 'The trash: soft-deleted activities of the caller''s organization, for its admins (empty for anyone else); newest first.';

-- ============================================================================
-- POLICIES (all for authenticated only: anon matches none)
-- ============================================================================
comment on policy organizations_select on public.organizations is 'Members and admins read their own organization.';
comment on policy organizations_update on public.organizations is 'Admins update their own organization.';
comment on policy profiles_select on public.profiles is 'A user reads their own profile and the profiles of their organization.';
comment on policy profiles_update on public.profiles is
  'A user updates their own profile, an admin the profiles of their organization; which columns may change is decided by the profiles_guard trigger.';
comment on policy customers_select on public.customers is 'Members and admins read the live customers of their organization.';
comment on policy customers_insert on public.customers is 'Admins insert live customers into their organization.';
comment on policy customers_update on public.customers is 'Admins update live customers of their organization, keeping them live and in it.';
comment on policy customers_delete on public.customers is 'Admins delete live customers of their organization; the customers_soft_delete trigger makes it a soft delete.';
comment on policy revenue_select on public.revenue is 'Members and admins read the live revenue of their organization.';
comment on policy revenue_insert on public.revenue is 'Admins insert live revenue into their organization.';
comment on policy revenue_update on public.revenue is 'Admins update live revenue of their organization, keeping it live and in it.';
comment on policy revenue_delete on public.revenue is 'Admins delete live revenue of their organization; the revenue_soft_delete trigger makes it a soft delete.';
comment on policy activities_select on public.activities is 'Members and admins read the live activities of their organization.';
comment on policy activities_insert on public.activities is 'Admins insert live activities into their organization.';
comment on policy activities_update on public.activities is 'Admins update live activities of their organization, keeping them live and in it.';
comment on policy activities_delete on public.activities is 'Admins delete live activities of their organization; the activities_soft_delete trigger makes it a soft delete.';
comment on policy audit_logs_select on public.audit_logs is 'Admins read their organization''s audit trail. No write policy: rows come from triggers.';
comment on policy ai_usage_log_select on public.ai_usage_log is
  'Admins read their organization''s usage; a member reads their own rows in their organization. No write policy: written by the server.';
comment on policy user_preferences_own on public.user_preferences is 'Each user reads and writes only their own row, admins included.';

-- ============================================================================
-- TRIGGERS
-- ============================================================================
comment on trigger organizations_touch_updated_at on public.organizations is 'Keeps updated_at.';
comment on trigger organizations_reject_key_change on public.organizations is 'The id never changes.';
comment on trigger organizations_audit_update on public.organizations is 'Audits an update that changes more than updated_at.';
comment on trigger organizations_audit_delete on public.organizations is 'Audits the deletion; the row outlives the organization.';

comment on trigger profiles_guard on public.profiles is 'Column rules of profile updates, last-admin rule, updated_at (private.profiles_guard).';
comment on trigger profiles_audit_update on public.profiles is 'Audits a change of role or organization.';
comment on trigger profiles_audit_delete on public.profiles is 'Audits the deletion of a profile that belonged to an organization.';

comment on trigger customers_touch_updated_at on public.customers is 'Keeps updated_at.';
comment on trigger customers_keep_derived_on_insert on public.customers is 'Ignores total_revenue and last_purchase_date given on insert.';
comment on trigger customers_keep_derived_on_update on public.customers is 'Ignores writes to total_revenue and last_purchase_date except from the revenue_totals_* functions.';
comment on trigger customers_reject_key_change on public.customers is 'id and organization_id never change.';
comment on trigger customers_soft_delete on public.customers is 'A DELETE by anon/authenticated becomes a soft delete.';
comment on trigger customers_soft_delete_by_update on public.customers is 'An UPDATE by anon/authenticated that only sets deleted_at becomes a soft delete.';
comment on trigger customers_audit_insert on public.customers is 'Audits inserted rows: one INSERT into audit_logs per statement.';
comment on trigger customers_audit_update on public.customers is
  'Audits changed rows (UPDATE, SOFT_DELETE, RESTORE); changes to updated_at, total_revenue and last_purchase_date alone are not audited.';
comment on trigger customers_audit_delete on public.customers is 'Audits hard-deleted rows.';

comment on trigger revenue_reject_key_change on public.revenue is 'id and organization_id never change.';
comment on trigger revenue_soft_delete on public.revenue is 'A DELETE by anon/authenticated becomes a soft delete.';
comment on trigger revenue_soft_delete_by_update on public.revenue is 'An UPDATE by anon/authenticated that only sets deleted_at becomes a soft delete.';
comment on trigger revenue_totals_after_insert on public.revenue is 'Adds inserted live rows to their customers'' totals.';
comment on trigger revenue_totals_after_update on public.revenue is 'Recomputes the totals of customers whose revenue changed in amount, date, customer or deleted_at.';
comment on trigger revenue_totals_after_delete on public.revenue is 'Recomputes the totals of customers whose revenue was hard-deleted.';
comment on trigger revenue_audit_insert on public.revenue is 'Audits inserted rows.';
comment on trigger revenue_audit_update on public.revenue is 'Audits changed rows (UPDATE, SOFT_DELETE, RESTORE).';
comment on trigger revenue_audit_delete on public.revenue is 'Audits hard-deleted rows.';

comment on trigger activities_reject_key_change on public.activities is 'id and organization_id never change.';
comment on trigger activities_soft_delete on public.activities is 'A DELETE by anon/authenticated becomes a soft delete.';
comment on trigger activities_soft_delete_by_update on public.activities is 'An UPDATE by anon/authenticated that only sets deleted_at becomes a soft delete.';
comment on trigger activities_audit_insert on public.activities is 'Audits inserted rows.';
comment on trigger activities_audit_update on public.activities is 'Audits changed rows (UPDATE, SOFT_DELETE, RESTORE).';
comment on trigger activities_audit_delete on public.activities is 'Audits hard-deleted rows.';

comment on trigger audit_logs_append_only on public.audit_logs is 'Refuses UPDATE, DELETE and TRUNCATE, for everyone.';

comment on trigger user_preferences_touch_updated_at on public.user_preferences is 'Keeps updated_at.';

-- Commenting a trigger needs ownership of its table. On Supabase auth.users belongs to
-- supabase_auth_admin, not to the migration role: there these two comments are skipped (the trigger
-- functions' comments say the same).
do $comments$
begin
  if pg_catalog.pg_has_role((select c.relowner from pg_catalog.pg_class c where c.oid = 'auth.users'::regclass), 'USAGE') then
    comment on trigger profiles_on_auth_user_created on auth.users is 'Creates the profile of a new auth user (private.handle_new_user).';
    comment on trigger profiles_on_auth_user_email_changed on auth.users is 'Copies a changed email to the profile (private.handle_user_email_change).';
  end if;
end
$comments$;
