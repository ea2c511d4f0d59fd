// The migration API: apply supabase/migrations as `supabase db push` does, report what is pending or
// changed, reset a development database. Build and deploy tooling imports from here; an application
// imports lib/db.
export {
  migrate, MigrationError, migrationStatus, needsCompat, resetDatabase,
  type AppliedMigration, type MigrateEvents, type MigrateOptions, type MigrateResult, type MigrationStatus,
} from './migrator.js'
export { NO_TRANSACTION_MARKER, readCompatStatements, readMigrationFiles, type MigrationFile } from './migration-files.js'
export { migrationPlan, runsAlone, type MigrationStep } from './migration-plan.js'
