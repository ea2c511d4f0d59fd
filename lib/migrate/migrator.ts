// Applies supabase/migrations the way `supabase db push` does, so a database migrated by either tool
// is up to date for the other: one transaction per file, recorded in
// supabase_migrations.schema_migrations (version, name, statements). On a database that is not a
// Supabase one, the compatibility layer runs first. Concurrent runners queue on a transaction-level
// advisory lock, and nothing depends on the session: all of it works through a transaction pooler.
// Every transaction has a lock_timeout, and a file whose statement timed out on a lock is tried again.
import { hostname } from 'node:os'
import { type Kysely, sql, type Transaction } from 'kysely'
import { type ErrorFields, TenantryError } from '../db/index.js'
import { type MigrationFile, readCompatStatements, readMigrationFiles } from './migration-files.js'
import { isCommentOnly, isSessionSetting, isTransactionControl } from '../sql-text.js'
import { migrationPlan } from './migration-plan.js'

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
  /** A statement of `file` gave up waiting for a lock (lock_timeout); the file is tried again after `delayMs`. */
  onRetry?(file: MigrationFile, attempt: number, delayMs: number, error: MigrationError): void
  /** Another runner holds the migration lock; this one waits (reported once per file). */
  onWait?(): void
}

export interface MigrateOptions {
  /**
   * lock_timeout of every migration transaction, in ms (default 4000, the Supabase CLI's own for its
   * history table): a statement that cannot get its lock in time fails instead of queueing behind a
   * long query while every query after it queues behind the migration. A file's own
   * `set lock_timeout` wins for the statements after it.
   */
  lockTimeoutMs?: number
  /** Attempts per file when a statement times out on a lock (55P03); default 4. */
  attempts?: number
  /** Pause before the second attempt, in ms, doubled for each further one (default 1000). */
  retryDelayMs?: number
  /** How long to wait for another runner holding the migration lock, in ms (default 10 minutes). */
  waitMs?: number
}

const DEFAULTS: Required<MigrateOptions> = { lockTimeoutMs: 4000, attempts: 4, retryDelayMs: 1000, waitMs: 10 * 60_000 }

/** The options, with TENANTRY_MIGRATE_LOCK_TIMEOUT_MS / _ATTEMPTS / _WAIT_MS from the environment. */
function resolveOptions(options: MigrateOptions): Required<MigrateOptions> {
  const env = (name: string): number | undefined => {
    const v = process.env[`TENANTRY_MIGRATE_${name}`]
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined
  }
  return {
    lockTimeoutMs: options.lockTimeoutMs ?? env('LOCK_TIMEOUT_MS') ?? DEFAULTS.lockTimeoutMs,
    attempts: Math.max(1, options.attempts ?? env('ATTEMPTS') ?? DEFAULTS.attempts),
    retryDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
    waitMs: options.waitMs ?? env('WAIT_MS') ?? DEFAULTS.waitMs,
  }
}

export interface MigrateResult {
  compatApplied: boolean
  /** The files this runner applied (a file applied meanwhile by another runner is not in it). */
  applied: MigrationFile[]
}

function sqlState(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined
}

function statementError(file: string, index: number, statement: string, e: unknown, committed = false): MigrationError {
  const pgMessage = e instanceof Error ? e.message : String(e)
  const code = sqlState(e)
  const firstLine = statement.split('\n').find((l) => l.trim() && !l.trim().startsWith('--')) ?? statement
  return new MigrationError(
    `${file}: statement ${index + 1} failed (${code ?? 'error'}): ${pgMessage}\n  at: ${firstLine.trim().slice(0, 160)}\n` +
      (committed
        ? 'The statements of this file before it that ran outside the same transaction stay applied; the file is not recorded.'
        : 'Nothing of this file was applied.'),
    { code: code ?? 'TENANTRY_MIGRATION_FAILED', cause: e },
  )
}

const LOCK_NOT_AVAILABLE = '55P03'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs fn in a transaction holding the migration lock: a transaction-level advisory lock, so that it
 * works through a transaction pooler (pgbouncer, Supavisor on 6543) as on a direct connection — a
 * session-level lock taken in one statement and released in another would land on two different
 * server connections there and stay held. Waiting is polling with pg_try_advisory_xact_lock between
 * short transactions, not a blocked transaction: a waiting runner holds no server connection, so
 * several runners behind a pooler of two connections still make progress. null: the wait exceeded
 * waitMs, never reached in normal use.
 */
async function withMigrationLock<DB, T>(
  db: Kysely<DB>,
  opts: Required<MigrateOptions>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  onWait: () => void = () => {},
): Promise<T> {
  const started = Date.now()
  for (let pause = 25; ; pause = Math.min(pause * 2, 1000)) {
    const outcome = await db.transaction().execute(async (trx) => {
      const got = await sql.raw<{ ok: boolean }>(`select pg_try_advisory_xact_lock(${MIGRATE_LOCK_KEY}) as ok`).execute(trx)
      if (!got.rows[0]?.ok) return { locked: false as const }
      await sql.raw(`set local lock_timeout = ${Math.floor(opts.lockTimeoutMs)}`).execute(trx)
      return { locked: true as const, value: await fn(trx) }
    })
    if (outcome.locked) return outcome.value
    if (Date.now() - started > opts.waitMs) {
      throw new MigrationError(
        `another migrate has held the migration lock for more than ${Math.round(opts.waitMs / 1000)} s; ` +
          'find it (select pid, query_start, query from pg_stat_activity where wait_event_type is distinct from \'Client\') or wait, then run migrate again',
        { code: 'TENANTRY_MIGRATE_BUSY' },
      )
    }
    if (pause === 25) onWait()
    await sleep(pause + Math.random() * pause)
  }
}

/** Ends a migration transaction without leaving its session settings (or role) on the connection. */
async function clearSession<DB>(trx: Transaction<DB>): Promise<void> {
  // RESET inside the transaction: what commits is the reset value, on whichever server connection a
  // pooler gave us. The Supabase CLI does RESET ALL before each file on its one connection.
  await sql`reset all`.execute(trx)
  await sql`reset role`.execute(trx)
}

/** The history row of `file`, inside the migration lock: already applied (by another runner)? */
async function alreadyApplied<DB>(trx: Transaction<DB>, file: MigrationFile): Promise<boolean> {
  const r = await sql<{ statements: string[] | null }>`
    select statements from supabase_migrations.schema_migrations where version = ${file.version}`.execute(trx)
  const row = r.rows[0]
  if (!row) return false
  if (!sameStatements(row.statements, file.statements)) {
    throw new MigrationError(`refusing to migrate: ${file.file} was applied meanwhile with other statements than this file's`)
  }
  return true
}

async function record<DB>(trx: Transaction<DB>, file: MigrationFile): Promise<void> {
  await sql`insert into supabase_migrations.schema_migrations (version, name, statements)
            values (${file.version}, ${file.name}, ${file.statements})`.execute(trx)
}

async function runStatements<DB>(trx: Transaction<DB>, file: MigrationFile, statements: { index: number; sql: string }[], committed: boolean): Promise<void> {
  for (const { index, sql: s } of statements) {
    if (isCommentOnly(s)) continue
    try {
      await sql.raw(s).execute(trx)
    } catch (e) {
      throw statementError(file.file, index, s, e, committed)
    }
  }
}

/**
 * Runs fn, again after a pause when it failed because a statement gave up waiting for a lock
 * (lock_timeout, 55P03): the migration stepped aside for the application's queries and tries later.
 */
async function retryingLockTimeouts<T>(
  file: MigrationFile,
  opts: Required<MigrateOptions>,
  events: MigrateEvents,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (e) {
      if (!(e instanceof MigrationError) || e.code !== LOCK_NOT_AVAILABLE) throw e
      if (attempt >= opts.attempts) {
        throw new MigrationError(
          `${e.message.split('\n')[0]}\n  gave up after ${attempt} attempt(s) of ${opts.lockTimeoutMs} ms each: a long transaction holds a lock this ` +
            'statement needs. Find it in pg_stat_activity, end it or wait, then run migrate again (or raise TENANTRY_MIGRATE_LOCK_TIMEOUT_MS).',
          { code: LOCK_NOT_AVAILABLE, cause: e },
        )
      }
      const delay = opts.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2)
      events.onRetry?.(file, attempt, delay, e)
      await sleep(delay)
    }
  }
}

/** Applies one file (see migration-plan.ts); false when another runner had applied it meanwhile. */
async function applyFile<DB>(
  db: Kysely<DB>,
  file: MigrationFile,
  opts: Required<MigrateOptions>,
  events: MigrateEvents,
): Promise<boolean> {
  const control = file.statements.findIndex(isTransactionControl)
  if (control >= 0) {
    throw new MigrationError(
      `${file.file}: statement ${control + 1} controls the transaction (BEGIN/COMMIT/ROLLBACK): the migrator runs each file in ` +
        'its own transaction; remove it (for statements that cannot run in a transaction, see docs/production.md)',
      { code: 'TENANTRY_MIGRATION_UNSUPPORTED' },
    )
  }
  const plan = migrationPlan(file)
  const [only] = plan
  if (plan.length === 1 && only?.kind === 'transaction') {
    // The usual case: the lock, the check, the statements and the history row in one transaction.
    let waited = false
    return retryingLockTimeouts(file, opts, events, () =>
      withMigrationLock(db, opts, async (trx) => {
        if (await alreadyApplied(trx, file)) return false
        await runStatements(trx, file, only.statements, false)
        await clearSession(trx)
        await record(trx, file)
        return true
      }, () => {
        if (!waited) events.onWait?.()
        waited = true
      }))
  }
  for (const step of plan) {
    if (step.kind === 'alone' && (isSessionSetting(step.sql) || isTransactionControl(step.sql))) {
      throw new MigrationError(
        `${file.file}: statement ${step.index + 1} (${step.sql.split('\n').find((l) => l.trim() && !l.trim().startsWith('--'))?.trim().slice(0, 60)}) ` +
          'would run outside a transaction, where a session setting outlives the file and, behind a transaction pooler, reaches ' +
          'another server connection than the statements after it: drop it, or drop the no-transaction marker and use set local',
        { code: 'TENANTRY_MIGRATION_UNSUPPORTED' },
      )
    }
  }
  // Statements outside a transaction cannot be covered by the transaction-level lock. The file is
  // claimed instead: a row in supabase_migrations.tenantry_applying, written under the lock, which
  // the transaction recording the file deletes. Another runner finding the claim waits for the file
  // to be recorded. It works with a pool of one connection and through any pooler (holding the lock
  // in an open transaction meanwhile would need a second connection, and deadlock without one).
  const claim = await claimFile(db, file, opts, events)
  if (claim === 'applied') return false
  let committed = false
  try {
    for (const step of plan) {
      if (step.kind === 'alone') {
        if (isCommentOnly(step.sql)) continue
        try {
          await sql.raw(step.sql).execute(db)
        } catch (e) {
          throw statementError(file.file, step.index, step.sql, e, committed)
        }
        committed = true
        continue
      }
      const wasCommitted = committed
      await retryingLockTimeouts(file, opts, events, () =>
        db.transaction().execute(async (trx) => {
          await sql.raw(`set local lock_timeout = ${Math.floor(opts.lockTimeoutMs)}`).execute(trx)
          await runStatements(trx, file, step.statements, wasCommitted)
          await clearSession(trx)
          if (step.record) {
            await record(trx, file)
            await sql`delete from supabase_migrations.tenantry_applying where version = ${file.version}`.execute(trx)
          }
        }))
      committed = true
    }
  } catch (e) {
    // The file is not recorded: give it back, so that the next migrate tries again.
    await sql`delete from supabase_migrations.tenantry_applying where version = ${file.version}`.execute(db).catch(() => {})
    throw e
  }
  return true
}

const CLAIMS_DDL = sql`create table if not exists supabase_migrations.tenantry_applying (
  version text primary key, claimed_by text not null, claimed_at timestamptz not null default now())`

/**
 * Claims a file that runs statements outside a transaction, under the migration lock: 'applied' when
 * it is recorded already (by another runner meanwhile), 'claimed' when this runner is to apply it.
 * While another runner holds the claim, waits for it, at most waitMs.
 */
async function claimFile<DB>(db: Kysely<DB>, file: MigrationFile, opts: Required<MigrateOptions>, events: MigrateEvents): Promise<'applied' | 'claimed'> {
  const me = `${hostname()} pid ${process.pid}`
  const started = Date.now()
  let waited = false
  for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
    const outcome = await withMigrationLock(db, opts, async (trx) => {
      if (await alreadyApplied(trx, file)) return 'applied' as const
      await CLAIMS_DDL.execute(trx)
      const held = await sql<{ claimed_by: string; since: string }>`
        select claimed_by, to_char(claimed_at, 'YYYY-MM-DD HH24:MI:SS TZ') as since
          from supabase_migrations.tenantry_applying where version = ${file.version}`.execute(trx)
      if (held.rows[0]) return held.rows[0]
      await sql`insert into supabase_migrations.tenantry_applying (version, claimed_by) values (${file.version}, ${me})`.execute(trx)
      return 'claimed' as const
    })
    if (outcome === 'applied' || outcome === 'claimed') return outcome
    if (Date.now() - started > opts.waitMs) {
      throw new MigrationError(
        `${file.file} has been being applied by ${outcome.claimed_by} since ${outcome.since}, for more than ${Math.round(opts.waitMs / 1000)} s. ` +
          'If that process is gone, check what it left (an INVALID index: drop index concurrently), then ' +
          `delete from supabase_migrations.tenantry_applying where version = '${file.version}'; and migrate again`,
        { code: 'TENANTRY_MIGRATE_BUSY' },
      )
    }
    if (!waited) events.onWait?.()
    waited = true
    await sleep(pause + Math.random() * pause)
  }
}

/**
 * Applies what is pending. Refuses, changing nothing, when an applied file was edited or is missing.
 * Works on a direct connection and through a transaction pooler alike: nothing relies on the session
 * (see withMigrationLock); several runners at once apply each file once.
 */
export async function migrate<DB>(
  db: Kysely<DB>,
  events: MigrateEvents = {},
  files: MigrationFile[] = readMigrationFiles(),
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const opts = resolveOptions(options)

  let compatApplied = false
  if (await needsCompat(db)) {
    compatApplied = await withMigrationLock(db, opts, async (trx) => {
      // Checked again under the lock: another runner may have applied it meanwhile.
      if (!(await needsCompat(trx))) return false
      events.onCompat?.()
      const statements = readCompatStatements()
      for (const [i, s] of statements.entries()) {
        try {
          await sql.raw(s).execute(trx)
        } catch (e) {
          throw statementError('supabase/compat/supabase_compat.sql', i, s, e)
        }
      }
      await clearSession(trx)
      return true
    })
  }

  const st = await migrationStatus(db, files)
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
    await withMigrationLock(db, opts, async (trx) => {
      for (const ddl of HISTORY_DDL) await ddl.execute(trx)
    })
  }
  const applied: MigrationFile[] = []
  for (const [index, file] of st.pending.entries()) {
    events.onApply?.(file, index, st.pending.length)
    if (await applyFile(db, file, opts, events)) applied.push(file)
  }
  return { compatApplied, applied }
}

/**
 * Drops everything the migrations made (the objects in public, schema private and the history) and
 * the auth users, whose profiles would be gone. The public schema itself stays, with its grants and
 * default privileges. Destructive: callers confirm first.
 */
export async function resetDatabase<DB>(db: Kysely<DB>, options: MigrateOptions = {}): Promise<void> {
  await withMigrationLock(db, resolveOptions(options), async (trx) => {
    await sql`drop schema if exists private cascade`.execute(trx)
    await sql`drop schema if exists supabase_migrations cascade`.execute(trx)
    await sql.raw(DROP_PUBLIC_OBJECTS).execute(trx)
    const users = await sql<{ t: string | null }>`select to_regclass('auth.users')::text as t`.execute(trx)
    if (users.rows[0]?.t) await sql`delete from auth.users`.execute(trx)
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
