// Generated documentation: docs/erd.md (a Mermaid entity-relationship diagram of the public schema,
// from pg_catalog's foreign keys) and docs/access-policy.md (the access policy as one table, from
// lib/db/access-policy.ts — the data test/access-matrix.test.ts runs). Generated, so the docs can't
// disagree with the database or the tests; test/docs-generated.test.ts fails when they are stale.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { ACCESS_POLICY, ACTORS, type ActorName, OPERATIONS } from './access-policy.js'
import { createDb, TenantryError } from '../db/index.js'
import { migrate } from '../migrate/index.js'
import { PROJECT_ROOT } from '../paths.js'

export const ERD_FILE = join(PROJECT_ROOT, 'docs', 'erd.md')
export const ACCESS_POLICY_FILE = join(PROJECT_ROOT, 'docs', 'access-policy.md')
export const ACCESS_POLICY_SOURCE = join(PROJECT_ROOT, 'lib', 'db', 'access-policy.ts')

const REGENERATE = '`npx tsx cli/commands/dump-schema.ts` (or `tenantry dump-schema`)'

export class DocsGenError extends TenantryError {
  constructor(message: string) {
    super(message, { code: 'TENANTRY_GENERATE_FAILED' })
  }
}

/** Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|')
}

// ---------------------------------------------------------------------------------------------
// Entity-relationship diagram
// ---------------------------------------------------------------------------------------------
interface ErdColumn { table: string; name: string; type: string; not_null: boolean; comment: string | null }
interface ErdKey { table: string; name: string; contype: string; columns: string[] }
interface ErdForeignKey {
  name: string
  table: string
  columns: string[]
  ref_table: string
  ref_columns: string[]
  def: string
}
interface ErdTable { name: string; comment: string | null }

export interface ErdModel {
  tables: ErdTable[]
  columns: ErdColumn[]
  keys: ErdKey[]
  foreignKeys: ErdForeignKey[]
}

/** Tables, columns, keys and foreign keys of the public schema, from pg_catalog. */
export async function readErdModel<DB>(db: Kysely<DB>): Promise<ErdModel> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_catalog.set_config('search_path', '', true)`.execute(trx)
    const tables = await sql<ErdTable>`
      select c.relname as name, pg_catalog.obj_description(c.oid, 'pg_class') as comment
        from pg_catalog.pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
       order by c.relname collate "C"`.execute(trx)
    // Tables outside public that a public table refers to (auth.users) are drawn with their key only.
    const columns = await sql<ErdColumn>`
      select case when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as table,
             a.attname as name,
             case when t.typcategory = 'A' then et.typname || '_array' else t.typname end as type,
             a.attnotnull as not_null, pg_catalog.col_description(c.oid, a.attnum) as comment
        from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on c.oid = a.attrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_type t on t.oid = a.atttypid
        left join pg_catalog.pg_type et on et.oid = t.typelem
       where a.attnum > 0 and not a.attisdropped and c.relkind = 'r'
         and (n.nspname = 'public'
              or exists (select 1 from pg_catalog.pg_constraint k
                          where k.contype = 'f' and k.confrelid = c.oid and a.attnum = any(k.confkey)
                            and k.connamespace = 'public'::regnamespace))
       order by n.nspname <> 'public', c.relname collate "C", a.attnum`.execute(trx)
    const keys = await sql<ErdKey>`
      select case when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as table,
             k.conname as name, k.contype::text as contype,
             array(select a.attname::text from unnest(k.conkey) with ordinality as u(attnum, i)
                     join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
                    order by u.i) as columns
        from pg_catalog.pg_constraint k
        join pg_catalog.pg_class c on c.oid = k.conrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where k.contype in ('p', 'u')
         and (n.nspname = 'public'
              or c.oid in (select f.confrelid from pg_catalog.pg_constraint f
                            where f.contype = 'f' and f.connamespace = 'public'::regnamespace))
       order by n.nspname collate "C", c.relname collate "C", k.conname collate "C"`.execute(trx)
    const foreignKeys = await sql<ErdForeignKey>`
      select k.conname as name, c.relname as table,
             array(select a.attname::text from unnest(k.conkey) with ordinality as u(attnum, i)
                     join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
                    order by u.i) as columns,
             case when rn.nspname = 'public' then rc.relname else rn.nspname || '.' || rc.relname end as ref_table,
             array(select a.attname::text from unnest(k.confkey) with ordinality as u(attnum, i)
                     join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum
                    order by u.i) as ref_columns,
             pg_catalog.pg_get_constraintdef(k.oid) as def
        from pg_catalog.pg_constraint k
        join pg_catalog.pg_class c on c.oid = k.conrelid
        join pg_catalog.pg_class rc on rc.oid = k.confrelid
        join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
       where k.contype = 'f' and k.connamespace = 'public'::regnamespace
       order by c.relname collate "C", k.conname collate "C"`.execute(trx)
    return { tables: tables.rows, columns: columns.rows, keys: keys.rows, foreignKeys: foreignKeys.rows }
  })
}

/** A Mermaid entity name: bare when it is a plain identifier, else quoted (auth.users). */
function entity(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name}"`
}

export function renderErd(model: ErdModel): string {
  const keysOf = (table: string) => model.keys.filter((k) => k.table === table)
  const fkColumns = new Map<string, Set<string>>()
  for (const fk of model.foreignKeys) {
    const set = fkColumns.get(fk.table) ?? new Set<string>()
    for (const c of fk.columns) set.add(c)
    fkColumns.set(fk.table, set)
  }
  const entities = [...new Set(model.columns.map((c) => c.table))]

  const lines: string[] = ['```mermaid', 'erDiagram']
  for (const fk of model.foreignKeys) {
    const cols = model.columns.filter((c) => c.table === fk.table && fk.columns.includes(c.name))
    const required = cols.length > 0 && cols.every((c) => c.not_null)
    const keys = keysOf(fk.table)
    const oneToOne = keys.some((k) => k.columns.every((c) => fk.columns.includes(c)))
    const pk = keys.find((k) => k.contype === 'p')
    const identifying = pk !== undefined && fk.columns.every((c) => pk.columns.includes(c))
    const left = required ? '||' : '|o'
    const right = oneToOne ? 'o|' : 'o{'
    lines.push(`  ${entity(fk.ref_table)} ${left}${identifying ? '--' : '..'}${right} ${entity(fk.table)} : "${fk.columns.join(', ')}"`)
  }
  for (const table of entities) {
    const keys = keysOf(table)
    const pk = keys.find((k) => k.contype === 'p')
    const unique = new Set(keys.filter((k) => k.contype === 'u' && k.columns.length === 1).flatMap((k) => k.columns))
    lines.push(`  ${entity(table)} {`)
    for (const c of model.columns.filter((col) => col.table === table)) {
      const marks = [
        pk?.columns.includes(c.name) ? 'PK' : null,
        fkColumns.get(table)?.has(c.name) ? 'FK' : null,
        unique.has(c.name) ? 'UK' : null,
      ].filter((m) => m !== null)
      lines.push(`    ${c.type} ${c.name}${marks.length > 0 ? ` ${marks.join(', ')}` : ''}${c.not_null ? '' : ' "nullable"'}`)
    }
    lines.push('  }')
  }
  lines.push('```')

  const withoutFk = model.tables.filter((t) => !model.foreignKeys.some((fk) => fk.table === t.name)).map((t) => `\`${t.name}\``)
  const out = [
    '# Entity-relationship diagram',
    '',
    `<!-- GENERATED by ${REGENERATE} from the pg_catalog of a freshly migrated database (lib/db/docs-gen.ts). Do not edit; test/docs-generated.test.ts fails when it is stale. -->`,
    '',
    'The tables of the `public` schema and their foreign keys, as `supabase/migrations` builds them. Every column',
    'and key is shown; `supabase/schema.sql` has everything else (checks, indexes, policies, triggers, functions).',
    '',
    'Reading it: `||` exactly one, `|o` zero or one, `o{` zero or more. A solid line is a foreign key that is part',
    "of the child's primary key, a dashed one is not. A line's label names the child's foreign-key columns.",
    withoutFk.length > 0 ? `Tables with no foreign key: ${withoutFk.join(', ')} (see their description below).` : '',
    '',
    ...lines,
    '',
    '## Foreign keys',
    '',
    '| table | constraint | definition |',
    '| --- | --- | --- |',
    ...model.foreignKeys.map((fk) => `| ${fk.table} | ${fk.name} | \`${cell(fk.def)}\` |`),
    '',
    '## Tables',
    '',
    'From `COMMENT ON TABLE` (column comments: `supabase/schema.sql`, `lib/db/types.ts`, psql `\\d+`).',
    '',
    '| table | description |',
    '| --- | --- |',
    ...model.tables.map((t) => `| ${t.name} | ${cell(t.comment ?? '')} |`),
    '',
  ]
  return out.filter((line, i, all) => !(line === '' && all[i - 1] === '')).join('\n')
}

// ---------------------------------------------------------------------------------------------
// Access policy
// ---------------------------------------------------------------------------------------------
/** Who each actor of the matrix is (lib/db/session.ts and test/access-matrix.test.ts set them up). */
const ACTOR_NOTES: Record<ActorName, string> = {
  anon: 'An API request with no signed-in user: role `anon`, no `sub` claim.',
  outsider: 'Signed in (role `authenticated`), with a profile that belongs to no organization.',
  memberA: 'Signed in, member of organization A.',
  adminA: 'Signed in, admin of organization A.',
  memberB: 'Signed in, member of organization B.',
  adminB: 'Signed in, admin of organization B.',
  service: 'The trusted server: role `service_role` (BYPASSRLS), no `sub` claim; audited as the system actor.',
  system: 'No JWT at all, as the database owner: migrations, seed scripts, maintenance.',
}

interface LegendGroup { heading: string; entries: Array<{ outcome: string; meaning: string }> }

/** The legend of outcomes: the doc comment above `export type SelectOutcome` in access-policy.ts. */
export function parseLegend(source: string): LegendGroup[] {
  const anchor = source.indexOf('export type SelectOutcome')
  const start = source.lastIndexOf('/**', anchor)
  const end = source.indexOf('*/', start)
  if (anchor < 0 || start < 0 || end < 0 || end > anchor) {
    throw new DocsGenError('docs-gen: no doc comment above `export type SelectOutcome` in lib/db/access-policy.ts')
  }
  const groups: LegendGroup[] = []
  for (const raw of source.slice(start + 3, end).split('\n')) {
    const line = raw.replace(/^\s*\*( |$)/, '')
    if (line.trim() === '') continue
    const entry = /^\s{2,}(\w+)\s+(.+)$/.exec(line)
    if (entry?.[1] && entry[2]) {
      const group = groups.at(-1)
      if (!group) throw new DocsGenError(`docs-gen: legend entry before any heading: ${line.trim()}`)
      group.entries.push({ outcome: entry[1], meaning: entry[2].trim() })
    } else {
      groups.push({ heading: line.trim().replace(/\s*—$/, ''), entries: [] })
    }
  }
  return groups
}

export function renderAccessPolicy(source: string = readFileSync(ACCESS_POLICY_SOURCE, 'utf8')): string {
  const legend = parseLegend(source)
  const explained = new Set(legend.flatMap((g) => g.entries.map((e) => e.outcome)))
  const tables = Object.keys(ACCESS_POLICY)
  const rows: string[] = []
  for (const table of tables) {
    const policy = ACCESS_POLICY[table]
    if (!policy) continue
    for (const op of OPERATIONS) {
      const outcomes = ACTORS.map((actor) => policy[op][actor])
      for (const o of outcomes) {
        if (!explained.has(o)) throw new DocsGenError(`docs-gen: outcome '${o}' (${table} ${op}) is not in the legend of lib/db/access-policy.ts`)
      }
      rows.push(`| ${table} | ${op} | ${outcomes.join(' | ')} |`)
    }
  }
  const out = [
    '# Access policy',
    '',
    `<!-- GENERATED by ${REGENERATE} from lib/db/access-policy.ts (lib/db/docs-gen.ts). Do not edit; test/docs-generated.test.ts fails when it is stale. -->`,
    '',
    'Who may do what to which table: every actor x table x operation. The same data drives',
    '`test/access-matrix.test.ts`, which runs every cell against the database (embedded and PostgreSQL 15) and',
    'checks that nothing changed after a refusal; the SQL in `supabase/migrations` implements it.',
    '',
    '## Actors',
    '',
    '| actor | who |',
    '| --- | --- |',
    ...ACTORS.map((a) => `| ${a} | ${cell(ACTOR_NOTES[a])} |`),
    '',
    '## Outcomes',
    '',
  ]
  for (const group of legend) {
    out.push(`**${group.heading}**`, '', '| outcome | meaning |', '| --- | --- |')
    out.push(...group.entries.map((e) => `| ${e.outcome} | ${cell(e.meaning)} |`), '')
  }
  out.push(
    '## The matrix',
    '',
    `| table | operation | ${ACTORS.join(' | ')} |`,
    `| --- | --- | ${ACTORS.map(() => '---').join(' | ')} |`,
    ...rows,
    '',
    '## What the writes aim at',
    '',
    '| table | target |',
    '| --- | --- |',
    ...tables.map((t) => `| ${t} | ${cell(ACCESS_POLICY[t]?.target ?? '')} |`),
    '',
  )
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------
// All generated docs
// ---------------------------------------------------------------------------------------------
export interface GeneratedFile { path: string; content: string }

/** The generated docs for the database behind db (which must be freshly migrated). */
export async function renderDocsFrom<DB>(db: Kysely<DB>): Promise<GeneratedFile[]> {
  return [
    { path: ERD_FILE, content: renderErd(await readErdModel(db)) },
    { path: ACCESS_POLICY_FILE, content: renderAccessPolicy() },
  ]
}

/** docs/erd.md and docs/access-policy.md as they should be, from a fresh in-memory embedded database. */
export async function renderDocs(): Promise<GeneratedFile[]> {
  const handle = await createDb({ dataDir: 'memory://' })
  try {
    await migrate(handle.db)
    return await renderDocsFrom(handle.db)
  } finally {
    await handle.close()
  }
}
