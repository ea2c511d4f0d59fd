// Reads the public schema's tables, columns and CHECK-constrained value lists from pg_catalog:
// the one source lib/db/types.ts is generated from and checked against.
import { type Kysely, sql } from 'kysely'

export interface ColumnInfo {
  name: string
  /** pg_type.typname, e.g. uuid, text, timestamptz, numeric, _text for text[] */
  type: string
  nullable: boolean
  hasDefault: boolean
  comment: string | null
  /** Values allowed by a `CHECK (col IN (...))` / `col = ANY (ARRAY[...])` constraint. */
  allowed: string[] | null
}

export interface TableInfo {
  name: string
  comment: string | null
  columns: ColumnInfo[]
}

const ANY_ARRAY = /^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$/
const TEXT_LITERAL = /'((?:[^']|'')*)'::(?:text|character varying)/g

/** Parses `CHECK ((role = ANY (ARRAY['admin'::text, 'member'::text])))` into its column and values. */
export function parseCheckEnum(def: string): { column: string; values: string[] } | null {
  const m = ANY_ARRAY.exec(def)
  if (!m?.[1] || m[2] === undefined) return null
  const values = [...m[2].matchAll(TEXT_LITERAL)].map((v) => (v[1] ?? '').replaceAll("''", "'"))
  return values.length > 0 ? { column: m[1], values } : null
}

export async function introspectPublic<DB>(db: Kysely<DB>): Promise<TableInfo[]> {
  const cols = await sql<{
    table_name: string
    table_comment: string | null
    column_name: string
    type: string
    nullable: boolean
    has_default: boolean
    comment: string | null
  }>`
    select c.relname as table_name, obj_description(c.oid, 'pg_class') as table_comment,
           a.attname as column_name, t.typname as type, not a.attnotnull as nullable,
           a.atthasdef as has_default, col_description(c.oid, a.attnum) as comment
      from pg_catalog.pg_class c
      join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_catalog.pg_type t on t.oid = a.atttypid
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
     order by c.relname, a.attnum`.execute(db)
  const checks = await sql<{ table_name: string; def: string }>`
    select conrelid::regclass::text as table_name, pg_get_constraintdef(oid) as def
      from pg_catalog.pg_constraint
     where contype = 'c' and connamespace = 'public'::regnamespace`.execute(db)

  const allowed = new Map<string, string[]>()
  for (const c of checks.rows) {
    const parsed = parseCheckEnum(c.def)
    if (parsed) allowed.set(`${c.table_name.replace(/^public\./, '')}.${parsed.column}`, parsed.values)
  }
  const tables = new Map<string, TableInfo>()
  for (const r of cols.rows) {
    let t = tables.get(r.table_name)
    if (!t) {
      t = { name: r.table_name, comment: r.table_comment, columns: [] }
      tables.set(r.table_name, t)
    }
    t.columns.push({
      name: r.column_name,
      type: r.type,
      nullable: r.nullable,
      hasDefault: r.has_default,
      comment: r.comment,
      allowed: allowed.get(`${r.table_name}.${r.column_name}`) ?? null,
    })
  }
  return [...tables.values()]
}
