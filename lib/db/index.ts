// The public API of lib/db: connection, sessions, typed errors, generated types, the flows and the
// migration runner. Application code imports from here.
export { createDb, DEFAULT_DATA_DIR, redactUrl, resolveTarget, type DbHandle, type DbOptions } from './connection.js'
export {
  asAnon, asService, asSystem, asUser, setRequestClaims, withActor,
  type Actor, type Claims, type SessionOptions,
} from './session.js'
export {
  ConflictError, ConnectionLostError, DbError, InvalidInputError, NotAuthorizedError, NotFoundError, RetryableError,
  translated, translateError, type DbErrorFields,
} from './errors.js'
export * from './types.js'
// reset and status under names that say what they touch (reset drops the schema).
export {
  migrate, MigrationError, needsCompat, reset as resetDatabase, status as migrationStatus,
  type AppliedMigration, type MigrateEvents, type MigrateResult, type MigrationStatus,
} from './migrator.js'
export { readMigrationFiles, type MigrationFile } from './migrations.js'

export { createOrganization, type CreateOrganizationInput } from './organizations.js'
export { changeRole, removeMember } from './members.js'
export {
  listDeleted, restore, softDelete, SOFT_DELETE_TABLES,
  type SoftDeleteRow, type SoftDeleteTable,
} from './soft-delete.js'
export { recordAiUsage, type AiUsageInput } from './ai-usage.js'
export { getPreferences, setPreferences, type PreferencesInput } from './preferences.js'
export {
  AUDIT_TRAIL_DEFAULT_LIMIT, AUDIT_TRAIL_MAX_LIMIT, decodeAuditCursor, encodeAuditCursor, readAuditTrail,
  type AuditTrailPage, type AuditTrailQuery,
} from './audit-trail.js'
