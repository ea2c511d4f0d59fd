// Export and import of one organization (issue 21). The export reads through the admin's own session
// (asUser: row level security decides what leaves, never the service role) with a cursor per table,
// writing one `<table>.jsonl` per table and `manifest.json` (schema version, per table: rows and the
// sha256 of its file). Memory stays flat: rows go from the cursor to the file a page at a time. The
// import restores the files into a new organization on an empty database, with the same ids.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import { DbError, InvalidInputError, NotAuthorizedError, translated } from '../errors.js'
import { asSystem, asUser } from '../session.js'
import type { Database } from '../types.js'

export const EXPORT_FORMAT = 'tenantry-export/1'

/**
 * What an export holds, in the order the import restores it. Each source is read by the admin's
 * session; soft-deleted rows come from the trash functions (the select policies show live rows only).
 * invitations leave token_hash out (no API role may read it); audit_logs is exported for the record
 * and not restored (the new database writes its own trail of the import).
 */
export const EXPORT_TABLES = ['organizations', 'profiles', 'customers', 'revenue', 'activities', 'ai_usage_log', 'invitations', 'audit_logs'] as const
export type ExportTable = (typeof EXPORT_TABLES)[number]

const INVITATION_COLUMNS = sql.raw('id, organization_id, email, role, invited_by, status, accepted_by, created_at, expires_at, ended_at')

/** The row sources of a table, each a select ordered by a unique key (the cursor reads it in that order). */
function sources(table: ExportTable): RawBuilder<unknown>[] {
  switch (table) {
    case 'organizations':
      return [sql`select * from public.organizations order by id`]
    case 'profiles':
      return [sql`select id, email, full_name, avatar_url, organization_id, role, created_at, updated_at from public.profiles
                   where organization_id is not null order by id`]
    case 'customers':
    case 'revenue':
    case 'activities':
      return [sql`select * from ${sql.table(`public.${table}`)} order by id`,
        sql`select * from ${sql.raw(`public.deleted_${table}`)}() order by id`]
    case 'ai_usage_log':
      return [sql`select * from public.ai_usage_log order by id`]
    case 'invitations':
      return [sql`select ${INVITATION_COLUMNS} from public.invitations order by id`]
    case 'audit_logs':
      return [sql`select * from public.audit_logs order by created_at, id`]
  }
}

export interface ManifestTable {
  file: string
  rows: number
  sha256: string
}

export interface ExportManifest {
  format: typeof EXPORT_FORMAT
  /** The highest migration applied to the database exported from (e.g. "015"). */
  schema_version: string
  exported_at: string
  organization: { id: string; name: string; slug: string }
  tables: Record<ExportTable, ManifestTable>
}

export interface ExportProgress {
  table: ExportTable
  rows: number
  /** Rows of every table so far. */
  total: number
}

export interface ExportOptions {
  /** Rows fetched per round trip (default 1000). */
  pageRows?: number
  onProgress?: (p: ExportProgress) => void
  signal?: AbortSignal
}

/** The highest migration version recorded in supabase_migrations.schema_migrations. */
export async function schemaVersion(db: Kysely<Database>): Promise<string> {
  const r = await asSystem(db, (trx) => sql<{ v: string | null }>`select max(version) as v from supabase_migrations.schema_migrations`.execute(trx))
  const v = r.rows[0]?.v
  if (!v) throw new DbError('no migration has been applied to this database', { table: 'schema_migrations' })
  return v
}

async function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> {
  if (!out.write(line)) await once(out, 'drain')
}

/**
 * Exports the organization of `adminId` into `dir` (created if needed) and returns the manifest. One
 * transaction as the admin; each table through a cursor, so the process holds one page at a time.
 * NotAuthorizedError unless the user is an admin of an organization (not pending deletion).
 */
export async function exportOrganization(db: Kysely<Database>, adminId: string, dir: string, options: ExportOptions = {}): Promise<ExportManifest> {
  const pageRows = options.pageRows ?? 1000
  const version = await schemaVersion(db)
  await mkdir(dir, { recursive: true })
  return asUser(db, adminId, async (trx) => {
    const me = await trx.selectFrom('profiles').select(['organization_id', 'role']).where('id', '=', adminId).executeTakeFirst()
    const orgId = (await sql<{ id: string | null }>`select private.admin_org_id() as id`.execute(trx)).rows[0]?.id
    if (!me || me.role !== 'admin' || !orgId) {
      throw new NotAuthorizedError('only an admin of an organization (not pending deletion) can export it', { code: '42501', table: 'organizations' })
    }
    const org = await trx.selectFrom('organizations').select(['id', 'name', 'slug']).where('id', '=', orgId).executeTakeFirstOrThrow()
    const tables = {} as Record<ExportTable, ManifestTable>
    let total = 0
    for (const table of EXPORT_TABLES) {
      const file = `${table}.jsonl`
      const out = createWriteStream(join(dir, file))
      const hash = createHash('sha256')
      let rows = 0
      for (const [i, source] of sources(table).entries()) {
        const cursor = sql.id(`export_${table}_${i}`)
        await translated(() => sql`declare ${cursor} no scroll cursor for ${source}`.execute(trx))
        for (;;) {
          if (options.signal?.aborted) throw new DbError('export interrupted', { table })
          const page = await translated(() => sql<Record<string, unknown>>`fetch forward ${sql.lit(pageRows)} from ${cursor}`.execute(trx))
          for (const row of page.rows) {
            const line = `${JSON.stringify(row)}\n`
            hash.update(line)
            await writeLine(out, line)
          }
          rows += page.rows.length
          total += page.rows.length
          options.onProgress?.({ table, rows, total })
          if (page.rows.length < pageRows) break
        }
        await sql`close ${cursor}`.execute(trx)
      }
      out.end()
      await once(out, 'finish')
      tables[table] = { file, rows, sha256: hash.digest('hex') }
    }
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT, schema_version: version, exported_at: new Date().toISOString(), organization: org, tables,
    }
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    return manifest
  }, { attempts: 1 })
}

function isManifest(value: unknown): value is ExportManifest {
  if (typeof value !== 'object' || value === null) return false
  if (!('format' in value) || value.format !== EXPORT_FORMAT || !('tables' in value) || !('schema_version' in value)) return false
  const tables = value.tables
  return typeof tables === 'object' && tables !== null && EXPORT_TABLES.every((t) => t in tables)
}

/** Reads and checks manifest.json: the format, every file's sha256 and row count. InvalidInputError when anything differs. */
export async function readManifest(dir: string): Promise<ExportManifest> {
  const parsed: unknown = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
  if (!isManifest(parsed)) throw new InvalidInputError(`${join(dir, 'manifest.json')} is not a ${EXPORT_FORMAT} manifest`)
  for (const table of EXPORT_TABLES) {
    const entry = parsed.tables[table]
    const hash = createHash('sha256')
    let rows = 0
    for await (const chunk of createReadStream(join(dir, entry.file))) {
      hash.update(chunk)
    }
    for await (const line of createInterface({ input: createReadStream(join(dir, entry.file)), crlfDelay: Infinity })) {
      if (line !== '') rows++
    }
    const sha = hash.digest('hex')
    if (sha !== entry.sha256 || rows !== entry.rows) {
      throw new InvalidInputError(`${entry.file}: expected ${entry.rows} rows with sha256 ${entry.sha256}, found ${rows} rows with ${sha}`)
    }
  }
  return parsed
}

async function* jsonLines(path: string): AsyncGenerator<Record<string, unknown>> {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line === '') continue
    const value: unknown = JSON.parse(line)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${path}: a line is not a JSON object`)
    yield Object.fromEntries(Object.entries(value))
  }
}

/**
 * Inserts a batch of rows with the columns of the first one, typed by the table itself
 * (jsonb_populate_recordset); `computed` adds columns the export does not hold.
 */
async function insertBatch(
  trx: Transaction<Database>, table: string, rows: Record<string, unknown>[], computed: Record<string, RawBuilder<unknown>> = {},
): Promise<void> {
  const first = rows[0]
  if (!first) return
  const columns = Object.keys(first).filter((c) => !(c in computed))
  const targets = sql.join([...columns, ...Object.keys(computed)].map((c) => sql.id(c)))
  const values = sql.join([...columns.map((c) => sql.id(c)), ...Object.values(computed)])
  await translated(() => sql`insert into ${sql.table(`public.${table}`)} (${targets})
    select ${values} from jsonb_populate_recordset(null::${sql.table(`public.${table}`)}, ${JSON.stringify(rows)}::jsonb)`.execute(trx))
}

/** A fresh random hash for an imported invitation: its token was never exported (nor known to anyone). */
const NEW_TOKEN_HASH = sql`pg_catalog.sha256(pg_catalog.convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'))`

export interface ImportProgress {
  table: ExportTable
  rows: number
  total: number
}

export interface ImportOptions {
  /** Rows per INSERT (default 500). */
  batchRows?: number
  onProgress?: (p: ImportProgress) => void
}

export interface ImportResult {
  organizationId: string
  rows: Record<ExportTable, number>
}

/**
 * Restores an export into this database, which must hold no organization yet, in one transaction as
 * the owner: the organization, its members (auth users created with their id, email and name where
 * missing; they sign in again through the deployment's auth), its rows with the same ids, timestamps
 * and trash. Not restored: the audit trail (the import's own INSERTs are audited), invitation tokens
 * (pending invitations get a new random hash: send them again). The manifest is checked first.
 */
export async function importOrganization(db: Kysely<Database>, dir: string, options: ImportOptions = {}): Promise<ImportResult> {
  const manifest = await readManifest(dir)
  const version = await schemaVersion(db)
  if (version !== manifest.schema_version) {
    throw new InvalidInputError(`the export is of schema version ${manifest.schema_version}, this database is at ${version}: migrate both to the same version`)
  }
  const batchRows = options.batchRows ?? 500
  return asSystem(db, async (trx) => {
    const existing = await trx.selectFrom('organizations').select('id').limit(1).executeTakeFirst()
    if (existing) throw new InvalidInputError('import needs a database without organizations (restore into an empty, migrated database)')
    const rows = {} as Record<ExportTable, number>
    let total = 0
    for (const table of EXPORT_TABLES) {
      rows[table] = 0
      if (table === 'audit_logs') continue
      let batch: Record<string, unknown>[] = []
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return
        if (table === 'profiles') await restoreMembers(trx, batch)
        else await insertBatch(trx, table, batch, table === 'invitations' ? { token_hash: NEW_TOKEN_HASH } : {})
        rows[table] += batch.length
        total += batch.length
        options.onProgress?.({ table, rows: rows[table], total })
        batch = []
      }
      for await (const row of jsonLines(join(dir, manifest.tables[table].file))) {
        batch.push(row)
        if (batch.length >= batchRows) await flush()
      }
      await flush()
    }
    return { organizationId: manifest.organization.id, rows }
  }, { attempts: 1 })
}

/** Members: their auth user (GoTrue's table; the profile follows by trigger), then organization and role. */
async function restoreMembers(trx: Transaction<Database>, batch: Record<string, unknown>[]): Promise<void> {
  const json = JSON.stringify(batch)
  await translated(() => sql`
    insert into auth.users (id, email, raw_user_meta_data, created_at, updated_at)
    select p.id, p.email, jsonb_strip_nulls(jsonb_build_object('full_name', p.full_name, 'avatar_url', p.avatar_url)), p.created_at, now()
      from jsonb_populate_recordset(null::public.profiles, ${json}::jsonb) p
     where not exists (select 1 from auth.users u where u.id = p.id)`.execute(trx))
  await translated(() => sql`
    update public.profiles t set organization_id = p.organization_id, role = p.role, full_name = p.full_name, avatar_url = p.avatar_url
      from jsonb_populate_recordset(null::public.profiles, ${json}::jsonb) p where t.id = p.id`.execute(trx))
}
