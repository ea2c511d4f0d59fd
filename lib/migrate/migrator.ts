// Applies supabase/migrations the way `supabase db push` does, so a database migrated by either tool
// is up to date for the other: one transaction per file, recorded in
// supabase_migrations.schema_migrations (version, name, statements). On a database that is not a
// Supabase one, the compatibility layer runs first. Concurrent runners queue on an advisory lock.
import { type Kysely, sql } from 'kysely'
import { type ErrorFields, TenantryError } from '../db/index.js'
import { type MigrationFile, readCompatStatements, readMigrationFiles } from './migration-files.js'
import { isCommentOnly } from './sql-split.js'

// Any constant works; it only has to be the same for every runner of this project.
const MIGRATE_LOCK_KEY = 7_253_104_221

export interface AppliedMigration {
  version: string
  name: string | null
  statements: string[] | null
}

export interface MigrationStatus {
  applied: AppliedMigration[]
  pending: MigrationFile[]
  /** Applied, but the file's statements are no longer what was applied. */
  changed: MigrationFile[]
  /** Recorded as applied, with no file of that version here. */
  missingLocally: AppliedMigration[]
}

/**
 * A migration failed or was refused. code: the SQLSTATE of the failing statement, or
 * TENANTRY_MIGRATION_DRIFT when applied files were edited or are missing.
 */
export class MigrationError extends TenantryError {
  constructor(message: string, fields: ErrorFields = {}) {
    super(message, { code: 'TENANTRY_MIGRATION_DRIFT', ...fields })
  }
}

// The CLI creates the table with version only and adds the columns later; so do we.
const HISTORY_DDL = [
  sql`create schema if not exists supabase_migrations`,
  sql`create table if not exists supabase_migrations.schema_migrations (version text not null primary key)`,
  sql`alter table supabase_migrations.schema_migrations add column if not exists statements text[]`,
  sql`alter table supabase_migrations.schema_migrations add column if not exists name text`,
]

async function readApplied<DB>(db: Kysely<DB>): Promise<AppliedMigration[]> {
  const exists = await sql<{ t: string | null }>`select to_regclass('supabase_migrations.schema_migrations')::text as t`.execute(db)
  if (!exists.rows[0]?.t) return []
  const cols = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
     where table_schema = 'supabase_migrations' and table_name = 'schema_migrations'`.execute(db)
  const has = new Set(cols.rows.map((r) => r.column_name))
  const rows = await sql<AppliedMigration>`
    select version,
           ${sql.raw(has.has('name') ? 'name' : 'null::text as name')},
           ${sql.raw(has.has('statements') ? 'statements' : 'null::text[] as statements')}
      from supabase_migrations.schema_migrations order by version`.execute(db)
  return rows.rows
}

function sameStatements(a: string[] | null, b: string[]): boolean {
  // An old CLI recorded no statements: nothing to compare against, so trust the version.
  if (a === null) return true
  return a.length === b.length && a.every((s, i) => s === b[i])
}

export async function migrationStatus<DB>(db: Kysely<DB>, files: MigrationFile[] = readMigrationFiles()): Promise<MigrationStatus> {
  const applied = await readApplied(db)
  const byVersion = new Map(applied.map((a) => [a.version, a]))
  const local = new Set(files.map((f) => f.version))
  return {
    applied,
    pending: files.filter((f) => !byVersion.has(f.version)),
    changed: files.filter((f) => {
      const a = byVersion.get(f.version)
      return a !== undefined && !sameStatements(a.statements, f.statements)
    }),
    missingLocally: applied.filter((a) => !local.has(a.version)),
  }
}

/** True where the database lacks what the migrations expect of Supabase (roles, auth.users, auth.uid()). */
export async function needsCompat<DB>(db: Kysely<DB>): Promise<boolean> {
  const r = await sql<{ ok: boolean }>`
    select to_regclass('auth.users') is not null
       and to_regprocedure('auth.uid()') is not null
       and to_regprocedure('auth.jwt()') is not null
       and to_regprocedure('auth.role()') is not null
       and (select count(*) from pg_catalog.pg_roles where rolname in ('anon', 'authenticated', 'service_role')) = 3
       as ok`.execute(db)
  return !r.rows[0]?.ok
}

export interface MigrateEvents {
  onCompat?(): void
  onApply?(file: MigrationFile, index: number, total: number): void
}

export interface MigrateResult {
  compatApplied: boolean
  applied: MigrationFile[]
}

function statementError(file: string, index: number, statement: string, e: unknown): MigrationError {
  const pgMessage = e instanceof Error ? e.message : String(e)
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined
  const firstLine = statement.split('\n').find((l) => l.trim() && !l.trim().startsWith('--')) ?? statement
  return new MigrationError(
    `${file}: statement ${index + 1} failed (${code ?? 'error'}): ${pgMessage}\n  at: ${firstLine.trim().slice(0, 160)}\n` +
      'Nothing of this file was applied.',
    { code: code ?? 'TENANTRY_MIGRATION_FAILED', cause: e },
  )
}

/** Applies what is pending. Refuses, changing nothing, when an applied file was edited or is missing. */
export async function migrate<DB>(db: Kysely<DB>, events: MigrateEvents = {}, files: MigrationFile[] = readMigrationFiles()): Promise<MigrateResult> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATE_LOCK_KEY})`.execute(conn)
    try {
      let compatApplied = false
      if (await needsCompat(conn)) {
        events.onCompat?.()
        const statements = readCompatStatements()
        await conn.transaction().execute(async (trx) => {
          for (const [i, s] of statements.entries()) {
            try {
              await sql.raw(s).execute(trx)
            } catch (e) {
              throw statementError('supabase/compat/supabase_compat.sql', i, s, e)
            }
          }
        })
        compatApplied = true
      }

      const st = await migrationStatus(conn, files)
      if (st.changed.length > 0) {
        throw new MigrationError(
          `refusing to migrate: applied migration(s) changed since they were applied: ${st.changed.map((f) => f.file).join(', ')}. ` +
            'Put changes in a new migration file; restore the applied ones as they were.',
        )
      }
      if (st.missingLocally.length > 0) {
        throw new MigrationError(
          `refusing to migrate: the database has migration(s) with no file here: ${st.missingLocally.map((m) => m.version).join(', ')}`,
        )
      }
      if (st.pending.length > 0) {
        for (const ddl of HISTORY_DDL) await ddl.execute(conn)
      }
      for (const [index, file] of st.pending.entries()) {
        events.onApply?.(file, index, st.pending.length)
        await conn.transaction().execute(async (trx) => {
          for (const [i, s] of file.statements.entries()) {
            if (isCommentOnly(s)) continue
            try {
              await sql.raw(s).execute(trx)
            } catch (e) {
              throw statementError(file.file, i, s, e)
            }
          }
          await sql`insert into supabase_migrations.schema_migrations (version, name, statements)
                    values (${file.version}, ${file.name}, ${file.statements})`.execute(trx)
        })
        // A session-level setting made by a migration must not outlive it (the CLI does RESET ALL too).
        await sql`reset all`.execute(conn)
      }
      return { compatApplied, applied: st.pending }
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATE_LOCK_KEY})`.execute(conn)
    }
  })
}

/**
 * Drops everything the migrations made (the objects in public, schema private and the history) and
 * the auth users, whose profiles would be gone. The public schema itself stays, with its grants and
 * default privileges. Destructive: callers confirm first.
 */
export async function resetDatabase<DB>(db: Kysely<DB>): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATE_LOCK_KEY})`.execute(conn)
    try {
      await conn.transaction().execute(async (trx) => {
        await sql`drop schema if exists private cascade`.execute(trx)
        await sql`drop schema if exists supabase_migrations cascade`.execute(trx)
        await sql.raw(DROP_PUBLIC_OBJECTS).execute(trx)
        const users = await sql<{ t: string | null }>`select to_regclass('auth.users')::text as t`.execute(trx)
        if (users.rows[0]?.t) await sql`delete from auth.users`.execute(trx)
      })
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATE_LOCK_KEY})`.execute(conn)
    }
  })
}

// Objects that belong to an extension are left to the extension.
const DROP_PUBLIC_OBJECTS = `
do $reset$
declare
  r record;
begin
  for r in
    select c.oid::regclass::text as name, c.relkind from pg_catalog.pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and not exists (select 1 from pg_catalog.pg_depend d where d.objid = c.oid and d.deptype = 'e')
  loop
    execute format('drop %s if exists %s cascade',
      case r.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
      r.name);
  end loop;
  for r in
    select p.oid::regprocedure::text as name from pg_catalog.pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e')
  loop
    execute format('drop routine if exists %s cascade', r.name);
  end loop;
end
$reset$`
