// GENERATED from the migrated database by `npx tenantry generate`. Do not edit:
// change the SQL in supabase/migrations, then regenerate. test/types-drift.test.ts fails on any drift.
import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely'

/** timestamptz: read as Date; written as Date or an ISO 8601 string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>
/** DATE as 'YYYY-MM-DD' text, free of time-zone shifts (see lib/db/connection.ts). */
export type DateString = string
/** numeric as an exact decimal string ('1234.50'), never a float. */
export type Decimal = string
/** bigint as an exact decimal string. */
export type Int8 = string

export type JsonPrimitive = string | number | boolean | null
export type Json = JsonPrimitive | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }
/** A jsonb column holding a JSON object. */
export type JsonObjectColumn = ColumnType<JsonObject, JsonObject, JsonObject>

/** Allowed values of activities.type (its CHECK constraint). */
export const ACTIVITY_TYPES = ["signup", "purchase", "churn", "login", "export"] as const
export type ActivityType = (typeof ACTIVITY_TYPES)[number]

/** Allowed values of audit_logs.action (its CHECK constraint). */
export const AUDIT_ACTIONS = ["INSERT", "UPDATE", "DELETE", "SOFT_DELETE", "RESTORE"] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/** Allowed values of customers.status (its CHECK constraint). */
export const CUSTOMER_STATUSES = ["active", "inactive", "churned"] as const
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number]

/** Allowed values of invitations.role (its CHECK constraint). */
export const INVITATION_ROLES = ["admin", "member"] as const
export type InvitationRole = (typeof INVITATION_ROLES)[number]

/** Allowed values of invitations.status (its CHECK constraint). */
export const INVITATION_STATUSES = ["pending", "accepted", "declined", "revoked", "replaced"] as const
export type InvitationStatus = (typeof INVITATION_STATUSES)[number]

/** Allowed values of profiles.role (its CHECK constraint). */
export const PROFILE_ROLES = ["admin", "member"] as const
export type ProfileRole = (typeof PROFILE_ROLES)[number]

/** Allowed values of user_preferences.theme_preference (its CHECK constraint). */
export const THEME_PREFERENCES = ["light", "dark", "system"] as const
export type ThemePreference = (typeof THEME_PREFERENCES)[number]

/** Every table of the public schema, by name. */
export const TABLE_NAMES = {
  ACTIVITIES: "activities",
  AI_USAGE_LOG: "ai_usage_log",
  AUDIT_LOGS: "audit_logs",
  CUSTOMERS: "customers",
  INVITATIONS: "invitations",
  ORGANIZATIONS: "organizations",
  PROFILES: "profiles",
  REVENUE: "revenue",
  USER_PREFERENCES: "user_preferences",
} as const
export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES]

/** Every table of the public schema, sorted. */
export const TABLES = ["activities", "ai_usage_log", "audit_logs", "customers", "invitations", "organizations", "profiles", "revenue", "user_preferences"] as const

/** Tables with a deleted_at column: an admin's DELETE moves a row to the trash (public.soft_delete, public.restore). */
export const SOFT_DELETE_TABLES = ["activities", "customers", "revenue"] as const
export type SoftDeleteTable = (typeof SOFT_DELETE_TABLES)[number]

/** Tables with an audit trigger: changes to their rows are written to audit_logs. */
export const AUDITED_TABLES = ["activities", "customers", "invitations", "organizations", "profiles", "revenue"] as const
export type AuditedTable = (typeof AUDITED_TABLES)[number]

/** Tables with an organization_id column: rows that belong to an organization. */
export const TENANT_TABLES = ["activities", "ai_usage_log", "audit_logs", "customers", "invitations", "profiles", "revenue"] as const
export type TenantTable = (typeof TENANT_TABLES)[number]

/** The Kysely database interface. */
export interface Database {
  activities: ActivityTable
  ai_usage_log: AiUsageTable
  audit_logs: AuditLogTable
  customers: CustomerTable
  invitations: InvitationTable
  organizations: OrganizationTable
  profiles: ProfileTable
  revenue: RevenueTable
  user_preferences: UserPreferencesTable
}

/** Events of an organization, optionally about one of its customers, with JSON metadata. Members read live rows, admins write; DELETE by an admin is a soft delete. Audited. */
export interface ActivityTable {
  /** Primary key. */
  id: Generated<string>
  /** Owning organization (tenant key); cannot change. Deleting the organization deletes its activities. */
  organization_id: ColumnType<string, string, never>
  /** Kind of event: signup, purchase, churn, login or export. */
  type: ActivityType
  /** Customer of the same organization (tenant-safe key activities_customer_id_fkey on customer_id, organization_id); set to NULL when that customer is hard-deleted. */
  customer_id: string | null
  /** Free-form JSON object about the event; never NULL (default {}); GIN-indexed for containment (@>) queries. */
  metadata: ColumnType<JsonObject, JsonObject | undefined, JsonObject>
  /** Soft delete: NULL = live; set = in the trash since then, hidden from normal reads. Set and cleared like customers.deleted_at; listed by public.deleted_activities(). */
  deleted_at: Timestamp | null
  /** When the event was recorded. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type Activity = Selectable<ActivityTable>
export type NewActivity = Insertable<ActivityTable>
export type ActivityUpdate = Updateable<ActivityTable>

/** Token and cost accounting of AI calls. Written by trusted roles (the server, service_role) only; a member reads their own rows, an admin the whole organization's. */
export interface AiUsageTable {
  /** Primary key. */
  id: Generated<string>
  /** The user the call was made for (an auth user id; no foreign key). */
  user_id: string
  /** Organization billed for the call. Deleting the organization deletes its usage rows. */
  organization_id: string
  /** Id of the AI query the call belongs to, assigned by the server. */
  query_id: string
  /** Prompt tokens; >= 0. */
  input_tokens: Generated<number>
  /** Completion tokens; >= 0. */
  output_tokens: Generated<number>
  /** Cost in US dollars, exact numeric(10,4); >= 0. */
  cost_usd: Generated<Decimal>
  /** Model that served the call. */
  model: string
  /** Day the usage counts for (DATE), for daily totals. */
  date: DateString
  /** When the row was recorded. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type AiUsage = Selectable<AiUsageTable>
export type NewAiUsage = Insertable<AiUsageTable>
export type AiUsageUpdate = Updateable<AiUsageTable>

/** Append-only audit trail, written by triggers only: one row per changed row of customers, revenue and activities, per update or delete of an organization, per change of a profile's role or organization. Read by the organization's admins; nobody may update, delete or truncate it. Partitioned by month on created_at (partitions in schema private, kept by private.audit_logs_maintain, dropped by private.audit_logs_prune). */
export interface AuditLogTable {
  /** Primary key, with created_at (the partition key). */
  id: Generated<string>
  /** Organization the changed row belongs to (taken from the row itself, OLD on delete). No foreign key on purpose: the trail outlives the organization. */
  organization_id: string
  /** The actor: auth.uid() of the request that made the change; NULL = system (no signed-in user: the owner, migrations, service_role, seeds). */
  user_id: string | null
  /** INSERT, UPDATE, DELETE (hard delete), SOFT_DELETE (deleted_at set) or RESTORE (deleted_at cleared). */
  action: AuditAction
  /** Table of the changed row, without schema. */
  table_name: string
  /** Primary key of the changed row (the profile id, the organization id, ...). */
  record_id: string | null
  /** The whole row before the change, as JSON; NULL for INSERT. */
  old_data: JsonObjectColumn | null
  /** The whole row after the change, as JSON; NULL for DELETE. */
  new_data: JsonObjectColumn | null
  /** When the change was recorded (clock_timestamp(): rows of one transaction keep their order). The partition key: one partition per calendar month in UTC. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type AuditLog = Selectable<AuditLogTable>
export type NewAuditLog = Insertable<AuditLogTable>
export type AuditLogUpdate = Updateable<AuditLogTable>

/** Customers of an organization (tenant data). Members read live rows, admins write; an admin's DELETE is a soft delete (deleted_at), hard delete is for trusted roles. Audited. */
export interface CustomerTable {
  /** Primary key. */
  id: Generated<string>
  /** Owning organization (the tenant key every policy compares); cannot change. Deleting the organization deletes its customers. */
  organization_id: ColumnType<string, string, never>
  /** Customer name. */
  name: string
  /** Contact email address. */
  email: string | null
  /** Company name. */
  company: string | null
  /** Industry, free text. */
  industry: string | null
  /** Derived: sum of amount over the customer's live revenue rows, kept by the revenue_totals_* triggers; any other write to it is ignored, and a change to it alone is not audited. */
  total_revenue: GeneratedAlways<Decimal>
  /** Derived: latest date of the customer's live revenue rows (NULL when none), kept like total_revenue. */
  last_purchase_date: GeneratedAlways<DateString | null>
  /** Lifecycle status: active (the default), inactive or churned. */
  status: Generated<CustomerStatus>
  /** Soft delete: NULL = live; set = in the trash since then, hidden from normal reads. Set by an admin's DELETE, public.soft_delete() or an UPDATE that only sets it; listed by public.deleted_customers(), cleared by public.restore(). */
  deleted_at: Timestamp | null
  /** When the row was created. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** Last change; set by the customers_touch_updated_at trigger (a change to it alone is not audited). */
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type Customer = Selectable<CustomerTable>
export type NewCustomer = Insertable<CustomerTable>
export type CustomerUpdate = Updateable<CustomerTable>

/** Invitations into an organization, bound to an email address. Its admins read them (every column but token_hash, which no API role may read); nobody writes them directly: public.invite_member(), accept_invitation(), revoke_invitation() and decline_invitation() do. Audited without the token hash. */
export interface InvitationTable {
  /** Primary key; the invitation_id of the API functions. */
  id: Generated<string>
  /** Organization the invitee joins (tenant key); cannot change. Deleting the organization deletes its invitations. */
  organization_id: ColumnType<string, string, never>
  /** Address invited, trimmed and lower-case; accepting needs the caller's confirmed auth.users address to equal it. */
  email: string
  /** 'admin' or 'member': the role the invitee gets on accepting. */
  role: InvitationRole
  /** sha256 of the token (32 bytes); the token itself is never stored. No API role may read this column. */
  token_hash: Buffer
  /** Profile of the admin who invited; NULL once that user is deleted. */
  invited_by: string | null
  /** pending (acceptable until expires_at), accepted, declined (by the invitee), revoked (by an admin) or replaced (by a newer invitation to the same address). */
  status: Generated<InvitationStatus>
  /** Profile of the user who accepted (status accepted); NULL otherwise or once that user is deleted. */
  accepted_by: string | null
  /** When the invitation was made. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** End of validity: a pending invitation cannot be accepted from then on (1 hour to 30 days after created_at). */
  expires_at: Timestamp
  /** When it was accepted, declined, revoked or replaced; NULL while pending. */
  ended_at: Timestamp | null
}
export type Invitation = Selectable<InvitationTable>
export type NewInvitation = Insertable<InvitationTable>
export type InvitationUpdate = Updateable<InvitationTable>

/** A tenant. Members read their own organization, its admins update it; signed-in users create one through public.create_organization(); only trusted roles insert or delete directly. */
export interface OrganizationTable {
  /** Primary key: the tenant id every organization_id refers to. */
  id: Generated<string>
  /** Display name. */
  name: string
  /** URL-friendly identifier, unique across all organizations (organizations_slug_key). */
  slug: string
  /** When the organization was created. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** Last change; set by the organizations_touch_updated_at trigger. */
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** When an admin requested the deletion (public.request_organization_deletion); NULL: not pending deletion. */
  deletion_requested_at: Timestamp | null
  /** End of the grace period: from then on the purge removes the organization; NULL: not pending deletion. */
  purge_after: Timestamp | null
  /** When the purge began removing rows (it cannot be cancelled from then on); NULL before. */
  purge_started_at: Timestamp | null
}
export type Organization = Selectable<OrganizationTable>
export type NewOrganization = Insertable<OrganizationTable>
export type OrganizationUpdate = Updateable<OrganizationTable>

/** One per auth user, created by the profiles_on_auth_user_created trigger and deleted with the user. Membership: at most one organization, as admin or member; organization_id NULL = outsider. */
export interface ProfileTable {
  /** The auth.users id, i.e. auth.uid() of the user's requests. Never changes; deleting the auth user deletes the profile. */
  id: string
  /** Copy of auth.users.email, kept in sync by a trigger on auth.users; signed-in users cannot change it here. */
  email: string
  /** Display name, initialised from the sign-up metadata (full_name); only the user may change it. */
  full_name: string | null
  /** Avatar URL, initialised from the sign-up metadata (avatar_url); only the user may change it. */
  avatar_url: string | null
  /** The organization the user belongs to; NULL = outsider. Set by public.create_organization(), public.accept_invitation() or a trusted role; cleared by an admin of that organization (public.remove_member(), or an UPDATE setting it to NULL), by the user (public.leave_organization()) or when the organization is deleted. A signed-in user never sets it with an UPDATE. */
  organization_id: string | null
  /** 'admin' or 'member' in organization_id. Only an admin of that organization changes it; the last admin cannot be demoted or removed; reset to 'member' when the profile leaves its organization. */
  role: Generated<ProfileRole>
  /** When the profile was created; signed-in users cannot change it. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** Last change; set by the profiles_guard trigger. */
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type Profile = Selectable<ProfileTable>
export type NewProfile = Insertable<ProfileTable>
export type ProfileUpdate = Updateable<ProfileTable>

/** Revenue entries of an organization, optionally attributed to one of its customers. Members read live rows, admins write; DELETE by an admin is a soft delete. Live rows feed the customer's derived totals. Audited. */
export interface RevenueTable {
  /** Primary key. */
  id: Generated<string>
  /** Owning organization (tenant key); cannot change. Deleting the organization deletes its revenue. */
  organization_id: ColumnType<string, string, never>
  /** Customer of the same organization (tenant-safe key revenue_customer_id_fkey on customer_id, organization_id); set to NULL when that customer is hard-deleted. */
  customer_id: string | null
  /** Amount, exact numeric(12,2). */
  amount: Decimal
  /** Day the revenue was earned (DATE, no time zone); feeds customers.last_purchase_date. */
  date: DateString
  /** Category, free text. */
  category: string | null
  /** Description, free text. */
  description: string | null
  /** Soft delete: NULL = live; set = in the trash since then, hidden from normal reads and excluded from the customer's totals. Set and cleared like customers.deleted_at; listed by public.deleted_revenue(). */
  deleted_at: Timestamp | null
  /** When the row was created. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type Revenue = Selectable<RevenueTable>
export type NewRevenue = Insertable<RevenueTable>
export type RevenueUpdate = Updateable<RevenueTable>

/** Per-user settings. Strictly private: each user reads and writes only their own row, admins included. */
export interface UserPreferencesTable {
  /** The user (profiles.id); deleted with the profile. */
  user_id: string
  /** UI theme: light, dark or system (the default: follow the device). */
  theme_preference: Generated<ThemePreference>
  /** Last change; set by the user_preferences_touch_updated_at trigger. */
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export type UserPreferences = Selectable<UserPreferencesTable>
export type NewUserPreferences = Insertable<UserPreferencesTable>
export type UserPreferencesUpdate = Updateable<UserPreferencesTable>

/**
 * The SQL API: every function of the public schema (what supabase.rpc calls), with its arguments by
 * name (optional when the function has a default for it) and its result. Result columns of RETURNS
 * TABLE are nullable as far as the catalog can tell.
 */
export interface Functions {
  /** The signed-in user joins the organization of the invitation with this token, in its role, and gets its id. Needs the user's confirmed auth.users email to be the invited address, the invitation pending and unexpired, and the user in no organization. Once per invitation. */
  accept_invitation: {
    Args: { token: string | null }
    Returns: string | null
  }
  /** An admin cancels a pending deletion of their organization within the grace period; everything is as before. */
  cancel_organization_deletion: {
    Args: Record<string, never>
    Returns: void
  }
  /** Creates an organization and makes the caller (a signed-in user with no organization) its admin; returns its id. Error 55000 when the caller already belongs to one, 23505 when the slug is taken. */
  create_organization: {
    Args: { name: string | null; slug: string | null }
    Returns: string | null
  }
  /** Live activities of the caller's organization over [since, until) (at most 366 days) counted by type, most frequent first. SECURITY INVOKER wrapper of private.dashboard_activities_by_type (daily rollup, raw rows for partial days). */
  dashboard_activities_by_type: {
    Args: { since: Date | string | null; until: Date | string | null }
    Returns: { type: string | null; activities: Int8 | null }[]
  }
  /** AI usage over [period_start, period_end) (at most 366 days) by day: calls, tokens, cost. A member counts their own usage, an admin the organization's. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_day (daily rollup). */
  dashboard_ai_usage_by_day: {
    Args: { period_start: DateString | null; period_end: DateString | null }
    Returns: { day: DateString | null; calls: Int8 | null; input_tokens: Int8 | null; output_tokens: Int8 | null; cost_usd: Decimal | null }[]
  }
  /** AI usage over [period_start, period_end) (at most 366 days) by model, costliest first; a member counts their own usage, an admin the organization's. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_model. */
  dashboard_ai_usage_by_model: {
    Args: { period_start: DateString | null; period_end: DateString | null }
    Returns: { model: string | null; calls: Int8 | null; input_tokens: Int8 | null; output_tokens: Int8 | null; cost_usd: Decimal | null }[]
  }
  /** AI usage over [period_start, period_end) (at most 366 days) by user, costliest first: a member sees their own row, an admin every user of the organization. SECURITY INVOKER wrapper of private.dashboard_ai_usage_by_user. */
  dashboard_ai_usage_by_user: {
    Args: { period_start: DateString | null; period_end: DateString | null }
    Returns: { user_id: string | null; calls: Int8 | null; input_tokens: Int8 | null; output_tokens: Int8 | null; cost_usd: Decimal | null }[]
  }
  /** A page (1-500) of the caller's organization's live customers, newest first (created_at desc, id desc), after the keyset (after_created_at, after_id) of the previous page's last row, filtered by status, industry and a case-insensitive name prefix. SECURITY INVOKER wrapper of private.dashboard_customers_page. */
  dashboard_customers_page: {
    Args: { page_size?: number | null; after_created_at?: Date | string | null; after_id?: string | null; status?: string | null; industry?: string | null; name_prefix?: string | null }
    Returns: Customer[]
  }
  /** Live revenue of the caller's organization by calendar month over [period_start, period_end) (at most 1,096 days): month, total, invoices. SECURITY INVOKER wrapper of private.dashboard_monthly_revenue (daily rollup). */
  dashboard_monthly_revenue: {
    Args: { period_start: DateString | null; period_end: DateString | null }
    Returns: { month: DateString | null; total: Decimal | null; invoices: Int8 | null }[]
  }
  /** One row about the caller's organization: live customers by status, revenue of the month of as_of (default today) and of the month before, users with access. No row without an organization. SECURITY INVOKER wrapper of private.dashboard_organization_summary. */
  dashboard_organization_summary: {
    Args: { as_of?: DateString | null }
    Returns: { organization_id: string | null; active_customers: Int8 | null; inactive_customers: Int8 | null; churned_customers: Int8 | null; revenue_this_month: Decimal | null; revenue_last_month: Decimal | null; active_users: Int8 | null }[]
  }
  /** The caller's organization's top_n (1-500) live customers by total_revenue, ties by id. SECURITY INVOKER: RLS decides. */
  dashboard_top_customers: {
    Args: { top_n?: number | null }
    Returns: { id: string | null; name: string | null; company: string | null; status: string | null; total_revenue: Decimal | null; last_purchase_date: DateString | null }[]
  }
  /** The invitee (signed in with the confirmed address invited) declines a pending invitation. */
  decline_invitation: {
    Args: { invitation_id: string | null }
    Returns: void
  }
  /** The signed-in user erases themself (as public.erase_user) and their auth account. */
  delete_my_account: {
    Args: Record<string, never>
    Returns: void
  }
  /** The trash: soft-deleted activities of the caller's organization, for its admins (empty for anyone else); newest first. */
  deleted_activities: {
    Args: Record<string, never>
    Returns: Activity[]
  }
  /** The trash: soft-deleted customers of the caller's organization, for its admins (empty for anyone else); newest first. */
  deleted_customers: {
    Args: Record<string, never>
    Returns: Customer[]
  }
  /** The trash: soft-deleted revenue rows of the caller's organization, for its admins (empty for anyone else); newest first. */
  deleted_revenue: {
    Args: Record<string, never>
    Returns: Revenue[]
  }
  /** service_role: erases a user (GDPR Art. 17): profile, invitations to their address, their email and name in the audit trail (audited without personal data). Refuses the last admin of an organization with other members. Then delete the auth user. */
  erase_user: {
    Args: { target: string | null }
    Returns: void
  }
  /** An admin invites an email address into their organization as admin or member, valid 1 hour to 30 days (default 7 days). Returns the invitation id, the token (returned this once, never stored) and its expiry. Replaces a pending invitation to the same address. Refuses non-admins, implausible addresses, other roles, a member's address and more than 100 pending invitations. */
  invite_member: {
    Args: { email: string | null; role?: string | null; valid_for?: string | null }
    Returns: { invitation_id: string | null; token: string | null; expires_at: Date | null }[]
  }
  /** The signed-in user leaves their organization and becomes an outsider; the last admin cannot. */
  leave_organization: {
    Args: Record<string, never>
    Returns: void
  }
  /** Pending, unexpired invitations addressed to the signed-in user's confirmed email: organization, role, who invited, expiry. No tokens. */
  my_invitations: {
    Args: Record<string, never>
    Returns: { invitation_id: string | null; organization_id: string | null; organization_name: string | null; role: string | null; invited_by_name: string | null; expires_at: Date | null }[]
  }
  /** An admin removes a member, or themselves, from their organization (organization_id -> NULL, role -> member). 42501 when not allowed; the last admin cannot be removed (23514). */
  remove_member: {
    Args: { user_id: string | null }
    Returns: void
  }
  /** An admin requests the deletion of their organization, confirming its name; returns when the purge may happen (now + the deployment's grace, 30 days by default). From then on nobody of it sees or writes its data; the organization row stays visible with the dates. */
  request_organization_deletion: {
    Args: { confirm_name: string | null }
    Returns: Date | null
  }
  /** An admin restores a soft-deleted row of customers, revenue or activities of their organization (clears deleted_at). True when a row changed, false otherwise. */
  restore: {
    Args: { table_name: string | null; id: string | null }
    Returns: boolean | null
  }
  /** An admin of the invitation's organization revokes a pending invitation; its token stops working. */
  revoke_invitation: {
    Args: { invitation_id: string | null }
    Returns: void
  }
  /** The caller's organization's live activities whose metadata contains document (jsonb @>), newest first (created_at desc, id desc), page_size 1-500, before the keyset (before, before_id) of the previous page's last row. Uses the metadata index whatever the tenant's size; returns only rows the caller could select. SECURITY INVOKER wrapper of private.search_activities. */
  search_activities: {
    Args: { document: Json | null; page_size?: number | null; before?: Date | string | null; before_id?: string | null }
    Returns: Activity[]
  }
  /** An admin moves a row of customers, revenue or activities of their organization to the trash (sets deleted_at). True when a live row changed, false otherwise; 22023 for another table. */
  soft_delete: {
    Args: { table_name: string | null; id: string | null }
    Returns: boolean | null
  }
}
export type FunctionName = keyof Functions
export type FunctionArgs<N extends FunctionName> = Functions[N]['Args']
export type FunctionReturns<N extends FunctionName> = Functions[N]['Returns']
