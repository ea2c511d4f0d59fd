// GENERATED from the migrated database by `npm run tenantry -- gen-types`. Do not edit:
// change the SQL in supabase/migrations, then regenerate. test/types-drift.test.ts fails on any drift.
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely'

/** A column with a database default: optional on insert. Unwraps ColumnType, unlike Kysely's own. */
export type Generated<T> = T extends ColumnType<infer S, infer I, infer U>
  ? ColumnType<S, I | undefined, U>
  : ColumnType<T, T | undefined, T>

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
  ORGANIZATIONS: "organizations",
  PROFILES: "profiles",
  REVENUE: "revenue",
  USER_PREFERENCES: "user_preferences",
} as const
export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES]

/** The Kysely database interface. */
export interface Database {
  activities: ActivityTable
  ai_usage_log: AiUsageTable
  audit_logs: AuditLogTable
  customers: CustomerTable
  organizations: OrganizationTable
  profiles: ProfileTable
  revenue: RevenueTable
  user_preferences: UserPreferencesTable
}

export interface ActivityTable {
  id: Generated<string>
  organization_id: string
  type: ActivityType
  customer_id: string | null
  metadata: Generated<JsonObjectColumn>
  deleted_at: Timestamp | null
  created_at: Generated<Timestamp>
}
export type Activity = Selectable<ActivityTable>
export type NewActivity = Insertable<ActivityTable>
export type ActivityUpdate = Updateable<ActivityTable>

export interface AiUsageTable {
  id: Generated<string>
  user_id: string
  organization_id: string
  query_id: string
  input_tokens: Generated<number>
  output_tokens: Generated<number>
  cost_usd: Generated<Decimal>
  model: string
  date: DateString
  created_at: Generated<Timestamp>
}
export type AiUsage = Selectable<AiUsageTable>
export type NewAiUsage = Insertable<AiUsageTable>
export type AiUsageUpdate = Updateable<AiUsageTable>

export interface AuditLogTable {
  id: Generated<string>
  organization_id: string
  user_id: string | null
  action: AuditAction
  table_name: string
  record_id: string | null
  old_data: JsonObjectColumn | null
  new_data: JsonObjectColumn | null
  created_at: Generated<Timestamp>
}
export type AuditLog = Selectable<AuditLogTable>
export type NewAuditLog = Insertable<AuditLogTable>
export type AuditLogUpdate = Updateable<AuditLogTable>

export interface CustomerTable {
  id: Generated<string>
  organization_id: string
  name: string
  email: string | null
  company: string | null
  industry: string | null
  total_revenue: Generated<Decimal>
  last_purchase_date: DateString | null
  status: Generated<CustomerStatus>
  deleted_at: Timestamp | null
  created_at: Generated<Timestamp>
  updated_at: Generated<Timestamp>
}
export type Customer = Selectable<CustomerTable>
export type NewCustomer = Insertable<CustomerTable>
export type CustomerUpdate = Updateable<CustomerTable>

export interface OrganizationTable {
  id: Generated<string>
  name: string
  slug: string
  created_at: Generated<Timestamp>
  updated_at: Generated<Timestamp>
}
export type Organization = Selectable<OrganizationTable>
export type NewOrganization = Insertable<OrganizationTable>
export type OrganizationUpdate = Updateable<OrganizationTable>

export interface ProfileTable {
  id: string
  email: string
  full_name: string | null
  avatar_url: string | null
  organization_id: string | null
  role: Generated<ProfileRole>
  created_at: Generated<Timestamp>
  updated_at: Generated<Timestamp>
}
export type Profile = Selectable<ProfileTable>
export type NewProfile = Insertable<ProfileTable>
export type ProfileUpdate = Updateable<ProfileTable>

export interface RevenueTable {
  id: Generated<string>
  organization_id: string
  customer_id: string | null
  amount: Decimal
  date: DateString
  category: string | null
  description: string | null
  deleted_at: Timestamp | null
  created_at: Generated<Timestamp>
}
export type Revenue = Selectable<RevenueTable>
export type NewRevenue = Insertable<RevenueTable>
export type RevenueUpdate = Updateable<RevenueTable>

export interface UserPreferencesTable {
  user_id: string
  theme_preference: Generated<ThemePreference>
  updated_at: Generated<Timestamp>
}
export type UserPreferences = Selectable<UserPreferencesTable>
export type NewUserPreferences = Insertable<UserPreferencesTable>
export type UserPreferencesUpdate = Updateable<UserPreferencesTable>
