// The public API: what an application imports. Connection, tenant sessions, typed errors, the
// generated types and the flows (lib/db/flows). Migrations have their own entry (lib/migrate).
export { createDb, DEFAULT_DATA_DIR, redactUrl, resolveTarget, ROLLUP_FOLD_MS, type DbHandle, type DbOptions } from './connection.js'
export { DataDirLockError, DataDirLockedError } from './data-dir-lock.js'
export { ReplicaUnavailableError, sessionRoutes, type SessionRoutes } from './session-routes.js'
export { waitForReplica, type ReplicaLag } from './replica.js'
export {
  API_ROLE_OF, asAnon, asService, asSystem, asUser, becomeActor, setRequestClaims, withActor,
  type Actor, type Claims, type SessionOptions,
} from './session.js'
export {
  AccessTokenError, actorOf, asRequest, bearerToken, verifyAccessToken,
  type AccessTokenClaims, type AccessTokenKeys, type AccessTokenRejection, type AnonAccessClaims, type RequestSessionOptions,
  type ServiceAccessClaims, type UserAccessClaims, type VerifyAccessTokenOptions,
} from './access-token.js'
export {
  ConflictError, connectionFailure, type ConnectionFailure, ConnectionLostError, DbError, InvalidInputError, NotAuthorizedError, NotFoundError, RetryableError,
  TenantryError, translated, translateError, type ErrorFields,
} from './errors.js'
export * from './types.js'

export { createOrganization, type CreateOrganizationInput } from './flows/organizations.js'
export { changeRole, removeMember } from './flows/members.js'
export {
  acceptInvitation, declineInvitation, inviteMember, leaveOrganization, listMyInvitations, listOrganizationInvitations, revokeInvitation,
  type CreatedInvitation, type InviteMemberInput, type ListOrganizationInvitationsOptions, type MyInvitation, type OrganizationInvitation,
} from './flows/invitations.js'
export { listDeleted, restore, softDelete, type SoftDeleteRow } from './flows/soft-delete.js'
export { recordAiUsage, type AiUsageInput } from './flows/ai-usage.js'
export { getPreferences, setPreferences, type PreferencesInput } from './flows/preferences.js'
export {
  AUDIT_TRAIL_DEFAULT_LIMIT, AUDIT_TRAIL_MAX_LIMIT, readAuditTrail,
  type AuditTrailPage, type AuditTrailQuery,
} from './flows/audit-trail.js'
export {
  activitiesByType, aiUsageByDay, aiUsageByModel, aiUsageByUser, callFunction, CUSTOMERS_PAGE_DEFAULT_SIZE, customersPage, monthlyRevenue,
  organizationSummary, SEARCH_ACTIVITIES_DEFAULT_SIZE, searchActivities, topCustomers,
  type ActivitiesByTypeRow, type AiUsageByDayRow, type AiUsageByModelRow, type AiUsageByUserRow, type AiUsageTotals, type CustomersPage,
  type CustomersPageQuery, type FunctionRow, type Instant, type MonthlyRevenueRow, type OrganizationSummary, type Period,
  type SearchActivitiesPage, type SearchActivitiesQuery, type TopCustomerRow,
} from './dashboard/index.js'
export { addMonths, lastCompleteMonth, type Month, monthOf, parseMonth } from './months.js'
export {
  DELTA_LOGS, type DeltaLog, mergeRollups, pendingDeltas, rebuildRollups, ROLLUPS, verifyRollups, type RebuiltRollup, type Rollup, type RollupDifference,
} from './flows/rollups.js'
export { decodeCursor, encodeCursor, type CursorPosition } from './cursor.js'
export {
  AUDIT_MONTHS_AHEAD, AuditRetentionError, auditMonthsBefore, exportFileName, listAuditPartitions, maintainAuditPartitions,
  pruneAuditMonths, pruneRefusal,
  type AuditMaintenanceStep, type AuditPartition, type AuditPruneOptions, type AuditPruneResult,
} from './flows/audit-partitions.js'
export {
  cancelOrganizationDeletion, deleteMyAccount, dueOrganizations, eraseUser, purgeInBatches, purgeOrganizations, purgeOrganizationStep,
  requestOrganizationDeletion,
  type DueOrganization, type PurgeInBatchesOptions, type PurgeProgress, type PurgeResult, type PurgeStep,
} from './flows/offboarding.js'
export {
  EXPORT_FORMAT, EXPORT_TABLES, exportOrganization, importOrganization, readManifest, schemaVersion,
  type ExportManifest, type ExportOptions, type ExportProgress, type ExportTable, type ImportOptions, type ImportProgress, type ImportResult,
  type ManifestTable,
} from './flows/export.js'
