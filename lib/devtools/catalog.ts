// The one reader of pg_catalog behind every generated file: the tables of the schemas the migrations
// own, with their columns, keys, checks and foreign keys, and the indexes, functions, policies,
// triggers and privileges around them. lib/db/types.ts (types-gen.ts), docs/erd.md (docs-gen.ts) and
// supabase/schema.sql (schema-dump.ts) are renderings of this one model.
//
// Everything is read in one transaction with an empty search_path, so the server's pg_get_* functions
// schema-qualify every name outside pg_catalog and the text is the same whoever reads it. The queries
// are plain PostgreSQL 15 (the CI runs them on a server as well as on PGlite).
import { type Kysely, sql } from 'kysely'

/** The schemas the migrations own. Triggers elsewhere (on auth.users) are read when their function is in one. */
export const CATALOG_SCHEMAS: readonly string[] = ['public', 'private']
/** Roles whose privileges are read (with PUBLIC): the ones Supabase's Data API runs as. */
export const API_ROLES: readonly string[] = ['anon', 'authenticated', 'service_role']

export interface Column {
  /** As stored: customers, organization_id. */
  name: string
  /** As SQL spells it, quoted when it must be (format('%I')). */
  ident: string
  /** pg_type.typname: uuid, text, timestamptz, numeric, _text for text[]. */
  type: string
  /** The element type's typname for an array (text for text[]), else null. */
  elementType: string | null
  /** The declared type as SQL writes it (format_type): numeric(12,2), text[]. */
  sqlType: string
  nullable: boolean
  /** The DEFAULT or generation expression, deparsed; null when there is none. */
  defaultExpr: string | null
  /** pg_attribute.attidentity: '' none, 'a' GENERATED ALWAYS AS IDENTITY, 'd' BY DEFAULT. */
  identity: string
  /** pg_attribute.attgenerated: '' none, 's' stored, 'v' virtual. */
  generated: string
  /** A collation other than the type's, schema-qualified; else null. */
  collation: string | null
  comment: string | null
  /** Values allowed by a `CHECK (col IN (...))` / `col = ANY (ARRAY[...])` constraint. */
  allowed: string[] | null
}

export interface Constraint {
  name: string
  /** As SQL spells it (format('%I')). */
  ident: string
  /** pg_constraint.contype: p primary key, u unique, c check, x exclusion, f foreign key. */
  kind: string
  /** The constrained columns, in key order (names as stored). */
  columns: string[]
  /** pg_get_constraintdef. */
  def: string
  comment: string | null
  /** For a foreign key: the table and columns it refers to. */
  references: { schema: string; table: string; columns: string[] } | null
}

export interface Table {
  oid: string
  schema: string
  name: string
  /** schema.name as SQL spells it. */
  qname: string
  comment: string | null
  rls: boolean
  forceRls: boolean
  /**
   * For a partitioned table, its partition key as pg_get_partkeydef gives it (`RANGE (created_at)`), else
   * null. Its partitions are not tables of the model: they come and go with the data (audit_logs' months).
   */
  partitionKey: string | null
  columns: Column[]
  /** Primary key, unique, check, exclusion, then foreign key constraints, each group by name. */
  constraints: Constraint[]
}

export interface Index { qname: string; def: string; comment: string | null }
/** One argument or result column of a function (proargmodes: i in, o out, b inout, v variadic, t table column). */
export interface FunctionParam { name: string; type: string; mode: 'i' | 'o' | 'b' | 'v' | 't' }
export interface SqlFunction {
  oid: string
  signature: string
  def: string
  comment: string | null
  /** Unqualified name, for the generated SQL API types. */
  name: string
  schema: string
  params: FunctionParam[]
  /** How many of the last input arguments have a default (pronargdefaults). */
  defaults: number
  /** RETURNS SETOF or TABLE. */
  setof: boolean
  /** The return type's name (pg_type.typname), and the table it is the row type of, if any. */
  returnType: string
  returnTable: string | null
}
export interface Policy {
  tableQname: string
  name: string
  cmd: string
  permissive: boolean
  roles: string[]
  qual: string | null
  withCheck: string | null
  comment: string | null
}
export interface Trigger {
  name: string
  /** The table it is on, schema and name as stored. */
  schema: string
  table: string
  tableQname: string
  /** The oid of the function it executes. */
  functionOid: string
  def: string
  comment: string | null
}
export interface Grant { object: string; grantee: string; privilege: string; grantable: boolean }
export interface ColumnGrant extends Grant { column: string }
export interface DefaultAcl { schema: string; objtype: string; grantee: string; privilege: string }

export interface Catalog {
  /** The schemas read, other than public (which comes with every database), with their comments. */
  schemas: Array<{ name: string; comment: string | null }>
  /** Every table of those schemas, by schema then name (code point order). */
  tables: Table[]
  /**
   * Tables outside those schemas that one of their foreign keys refers to (auth.users), with every
   * column and their primary key and unique constraints only.
   */
  referencedTables: Table[]
  /** Objects in those schemas this model has no place for (views, sequences, types, ...). */
  unsupported: string[]
  /** Indexes not created by a constraint. */
  indexes: Index[]
  functions: SqlFunction[]
  policies: Policy[]
  /** Triggers on the tables, and triggers elsewhere (auth.users) that execute one of the functions. */
  triggers: Trigger[]
  schemaGrants: Grant[]
  tableGrants: Grant[]
  columnGrants: ColumnGrant[]
  functionGrants: Grant[]
  defaultAcls: DefaultAcl[]
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

/** The catalog of the database behind db (its schemas `schemas`). */
export async function readCatalog<DB>(db: Kysely<DB>, schemas: readonly string[] = CATALOG_SCHEMAS): Promise<Catalog> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_catalog.set_config('search_path', '', true)`.execute(trx)
    return read(trx, schemas)
  })
}

const EXTENSION_MEMBER = (classid: string, objid: string) => sql.raw(
  `exists (select 1 from pg_catalog.pg_depend d where d.classid = '${classid}'::regclass and d.objid = ${objid} and d.deptype = 'e')`,
)

/** Key columns of a constraint (conkey of its conrelid, or confkey of its confrelid), in key order. */
const KEY_COLUMNS = (keys: string, rel: string) => sql.raw(
  `array(select a.attname::text from unnest(${keys}) with ordinality as u(attnum, i)
          join pg_catalog.pg_attribute a on a.attrelid = ${rel} and a.attnum = u.attnum order by u.i)`,
)

interface TableRow {
  oid: string; schema: string; name: string; qname: string; comment: string | null; rls: boolean; force_rls: boolean; partition_key: string | null
}
interface ColumnRow {
  table_oid: string
  name: string
  ident: string
  type: string
  element_type: string | null
  sql_type: string
  not_null: boolean
  default_expr: string | null
  identity: string
  generated: string
  collation: string | null
  comment: string | null
}
interface ConstraintRow {
  table_oid: string
  name: string
  ident: string
  contype: string
  columns: string[]
  def: string
  comment: string | null
  ref_schema: string | null
  ref_table: string | null
  ref_columns: string[] | null
}

async function read<DB>(trx: Kysely<DB>, schemas: readonly string[]): Promise<Catalog> {
  const api = [...API_ROLES]
  const schemaRows = await sql<{ name: string; comment: string | null }>`
    select n.nspname as name, pg_catalog.obj_description(n.oid, 'pg_namespace') as comment
      from pg_catalog.pg_namespace n
     where n.nspname = any(${schemas}::text[]) and n.nspname <> 'public'
     order by n.nspname collate "C"`.execute(trx)

  const unsupported = await sql<{ what: string }>`
    select format('%s %I.%I', case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
             when 'S' then 'sequence' when 'p' then 'partitioned table' when 'I' then 'partitioned index'
             when 'f' then 'foreign table' when 'c' then 'composite type' else 'relation' end,
             n.nspname, c.relname) as what
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any(${schemas}::text[]) and c.relkind not in ('r', 'i', 'p', 'I')
       and not (c.relkind = 'S' and exists (select 1 from pg_catalog.pg_depend d
                 where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'i'))
       and not ${EXTENSION_MEMBER('pg_catalog.pg_class', 'c.oid')}
    union all
    select format('type %I.%I', n.nspname, t.typname)
      from pg_catalog.pg_type t
      join pg_catalog.pg_namespace n on n.oid = t.typnamespace
     where n.nspname = any(${schemas}::text[]) and t.typtype in ('e', 'd', 'r', 'm')
       and not ${EXTENSION_MEMBER('pg_catalog.pg_type', 't.oid')}
    union all
    select format('aggregate or window function %I.%I', n.nspname, p.proname)
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any(${schemas}::text[]) and p.prokind in ('a', 'w')
    order by 1`.execute(trx)

  const tableRows = await sql<TableRow>`
    select c.oid::text as oid, n.nspname as schema, c.relname as name, format('%I.%I', n.nspname, c.relname) as qname,
           pg_catalog.obj_description(c.oid, 'pg_class') as comment,
           c.relrowsecurity as rls, c.relforcerowsecurity as force_rls, pg_catalog.pg_get_partkeydef(c.oid) as partition_key
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any(${schemas}::text[]) and c.relkind in ('r', 'p') and not c.relispartition
       and not ${EXTENSION_MEMBER('pg_catalog.pg_class', 'c.oid')}
     order by n.nspname collate "C", c.relname collate "C"`.execute(trx)
  const tableOids = tableRows.rows.map((t) => t.oid)

  // Tables outside the schemas that a foreign key of theirs refers to (auth.users).
  const referencedRows = await sql<TableRow>`
    select c.oid::text as oid, n.nspname as schema, c.relname as name, format('%I.%I', n.nspname, c.relname) as qname,
           pg_catalog.obj_description(c.oid, 'pg_class') as comment,
           c.relrowsecurity as rls, c.relforcerowsecurity as force_rls, pg_catalog.pg_get_partkeydef(c.oid) as partition_key
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.oid in (select k.confrelid from pg_catalog.pg_constraint k
                      where k.contype = 'f' and k.conrelid = any(${tableOids}::oid[]))
       and not (c.oid = any(${tableOids}::oid[]))
     order by n.nspname collate "C", c.relname collate "C"`.execute(trx)
  const allOids = [...tableOids, ...referencedRows.rows.map((t) => t.oid)]

  const columns = await sql<ColumnRow>`
    select a.attrelid::text as table_oid, a.attname as name, format('%I', a.attname) as ident,
           t.typname as type, case when t.typcategory = 'A' then et.typname end as element_type,
           pg_catalog.format_type(a.atttypid, a.atttypmod) as sql_type, a.attnotnull as not_null,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expr,
           a.attidentity::text as identity, a.attgenerated::text as generated,
           case when a.attcollation <> t.typcollation
                then (select format('%I.%I', cn.nspname, co.collname) from pg_catalog.pg_collation co
                        join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation)
           end as collation,
           pg_catalog.col_description(a.attrelid, a.attnum) as comment
      from pg_catalog.pg_attribute a
      join pg_catalog.pg_type t on t.oid = a.atttypid
      left join pg_catalog.pg_type et on et.oid = t.typelem
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = any(${allOids}::oid[]) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`.execute(trx)

  // contype 'n' (PostgreSQL 18's not-null constraints) is left out: NOT NULL is the column's nullable.
  // Of the referenced tables, only the keys a foreign key can point at.
  const constraints = await sql<ConstraintRow>`
    select k.conrelid::text as table_oid, k.conname as name, format('%I', k.conname) as ident,
           k.contype::text as contype, ${KEY_COLUMNS('k.conkey', 'k.conrelid')} as columns,
           pg_catalog.pg_get_constraintdef(k.oid) as def,
           pg_catalog.obj_description(k.oid, 'pg_constraint') as comment,
           rn.nspname as ref_schema, rc.relname as ref_table,
           case when k.contype = 'f' then ${KEY_COLUMNS('k.confkey', 'k.confrelid')} end as ref_columns
      from pg_catalog.pg_constraint k
      left join pg_catalog.pg_class rc on rc.oid = k.confrelid
      left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
     where (k.conrelid = any(${tableOids}::oid[]) and k.contype in ('p', 'u', 'c', 'x', 'f'))
        or (k.conrelid = any(${allOids}::oid[]) and k.contype in ('p', 'u'))
     order by k.conrelid, array_position(array['p', 'u', 'c', 'x', 'f']::text[], k.contype::text), k.conname collate "C"`.execute(trx)

  const indexes = await sql<Index>`
    select format('%I.%I', n.nspname, ic.relname) as qname,
           -- An index of a partitioned table reads 'ON ONLY': as written, CREATE INDEX ... ON builds it on every partition.
           replace(pg_catalog.pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') as def,
           pg_catalog.obj_description(i.indexrelid, 'pg_class') as comment
      from pg_catalog.pg_index i
      join pg_catalog.pg_class ic on ic.oid = i.indexrelid
      join pg_catalog.pg_class c on c.oid = i.indrelid
      join pg_catalog.pg_namespace n on n.oid = ic.relnamespace
     where i.indrelid = any(${tableOids}::oid[])
       and not exists (select 1 from pg_catalog.pg_constraint k
                        where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))
     order by n.nspname collate "C", c.relname collate "C", ic.relname collate "C"`.execute(trx)

  const functions = await sql<SqlFunction>`
    select p.oid::text as oid,
           format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as signature,
           pg_catalog.pg_get_functiondef(p.oid) as def,
           pg_catalog.obj_description(p.oid, 'pg_proc') as comment,
           p.proname as name, n.nspname as schema,
           (select coalesce(json_agg(json_build_object('name', coalesce(p.proargnames[a.n], ''), 'type', t.typname,
                                                       'mode', coalesce(p.proargmodes[a.n]::text, 'i')) order by a.n), '[]'::json)
              from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a(oid, n)
              join pg_catalog.pg_type t on t.oid = a.oid) as params,
           p.pronargdefaults::int as defaults, p.proretset as setof, rt.typname as "returnType",
           (select rc.relname from pg_catalog.pg_class rc where rc.oid = rt.typrelid and rc.relkind in ('r', 'p')) as "returnTable"
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      join pg_catalog.pg_type rt on rt.oid = p.prorettype
     where n.nspname = any(${schemas}::text[]) and p.prokind in ('f', 'p')
       and not ${EXTENSION_MEMBER('pg_catalog.pg_proc', 'p.oid')}
     order by n.nspname collate "C", p.proname collate "C",
              pg_catalog.pg_get_function_identity_arguments(p.oid) collate "C"`.execute(trx)
  const functionOids = functions.rows.map((f) => f.oid)

  const policies = await sql<Policy>`
    select format('%I.%I', n.nspname, c.relname) as "tableQname", format('%I', p.polname) as name,
           p.polcmd::text as cmd, p.polpermissive as permissive,
           array(select g.name from (
                   select case when pr.oid = 0 then 'PUBLIC' else format('%I', r.rolname) end as name
                     from unnest(p.polroles) as pr(oid)
                     left join pg_catalog.pg_roles r on r.oid = pr.oid) g
                  order by g.name collate "C") as roles,
           pg_catalog.pg_get_expr(p.polqual, p.polrelid) as qual,
           pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as "withCheck",
           pg_catalog.obj_description(p.oid, 'pg_policy') as comment
      from pg_catalog.pg_policy p
      join pg_catalog.pg_class c on c.oid = p.polrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where p.polrelid = any(${tableOids}::oid[])
     order by n.nspname collate "C", c.relname collate "C", p.polname collate "C"`.execute(trx)

  const triggers = await sql<Trigger>`
    select format('%I', t.tgname) as name, n.nspname as schema, c.relname as table,
           format('%I.%I', n.nspname, c.relname) as "tableQname", t.tgfoid::text as "functionOid",
           pg_catalog.pg_get_triggerdef(t.oid, true) as def,
           pg_catalog.obj_description(t.oid, 'pg_trigger') as comment
      from pg_catalog.pg_trigger t
      join pg_catalog.pg_class c on c.oid = t.tgrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where not t.tgisinternal and not c.relispartition
       and (t.tgrelid = any(${tableOids}::oid[]) or t.tgfoid = any(${functionOids}::oid[]))
     order by n.nspname collate "C", c.relname collate "C", t.tgname collate "C"`.execute(trx)

  const grantee = sql.raw(`case when a.grantee = 0 then 'PUBLIC' else format('%I', (select r.rolname from pg_catalog.pg_roles r where r.oid = a.grantee)) end`)
  const granteeFilter = sql`(a.grantee = 0 or a.grantee in (select r.oid from pg_catalog.pg_roles r where r.rolname = any(${api}::text[])))`

  const schemaGrants = await sql<Grant>`
    select format('%I', n.nspname) as object, ${grantee} as grantee, a.privilege_type as privilege, a.is_grantable as grantable
      from pg_catalog.pg_namespace n
     cross join lateral pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
     where n.nspname = any(${schemas}::text[]) and n.nspname <> 'public' and ${granteeFilter}
     order by n.nspname collate "C"`.execute(trx)

  const tableGrants = await sql<Grant>`
    select format('%I.%I', n.nspname, c.relname) as object, ${grantee} as grantee, a.privilege_type as privilege,
           a.is_grantable as grantable
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     cross join lateral pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
     where c.oid = any(${tableOids}::oid[]) and ${granteeFilter}
     order by n.nspname collate "C", c.relname collate "C"`.execute(trx)

  const columnGrants = await sql<ColumnGrant>`
    select format('%I.%I', n.nspname, c.relname) as object, format('%I', at.attname) as column,
           ${grantee} as grantee, a.privilege_type as privilege, a.is_grantable as grantable
      from pg_catalog.pg_attribute at
      join pg_catalog.pg_class c on c.oid = at.attrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     cross join lateral pg_catalog.aclexplode(at.attacl) a
     where c.oid = any(${tableOids}::oid[]) and at.attacl is not null and at.attnum > 0 and ${granteeFilter}
     order by n.nspname collate "C", c.relname collate "C", at.attnum`.execute(trx)

  const functionGrants = await sql<Grant>`
    select format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as object,
           ${grantee} as grantee, a.privilege_type as privilege, a.is_grantable as grantable
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     cross join lateral pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
     where p.oid = any(${functionOids}::oid[]) and ${granteeFilter}`.execute(trx)

  const defaultAcls = await sql<DefaultAcl>`
    select format('%I', n.nspname) as schema, d.defaclobjtype::text as objtype, ${grantee} as grantee,
           a.privilege_type as privilege
      from pg_catalog.pg_default_acl d
      join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace
     cross join lateral pg_catalog.aclexplode(d.defaclacl) a
     where n.nspname = any(${schemas}::text[]) and n.nspname <> 'public' and ${granteeFilter}
     order by n.nspname collate "C", d.defaclobjtype`.execute(trx)

  const columnsOf = groupBy(columns.rows, (c) => c.table_oid)
  const constraintsOf = groupBy(constraints.rows, (k) => k.table_oid)
  const table = (t: TableRow): Table => {
    const keys = (constraintsOf.get(t.oid) ?? []).map((k): Constraint => ({
      name: k.name,
      ident: k.ident,
      kind: k.contype,
      columns: k.columns,
      def: k.def,
      comment: k.comment,
      references: k.ref_schema !== null && k.ref_table !== null && k.ref_columns !== null
        ? { schema: k.ref_schema, table: k.ref_table, columns: k.ref_columns }
        : null,
    }))
    const allowed = new Map<string, string[]>()
    for (const k of keys) {
      const parsed = k.kind === 'c' ? parseCheckEnum(k.def) : null
      if (parsed) allowed.set(parsed.column, parsed.values)
    }
    return {
      oid: t.oid,
      schema: t.schema,
      name: t.name,
      qname: t.qname,
      comment: t.comment,
      rls: t.rls,
      forceRls: t.force_rls,
      partitionKey: t.partition_key,
      columns: (columnsOf.get(t.oid) ?? []).map((c) => ({
        name: c.name,
        ident: c.ident,
        type: c.type,
        elementType: c.element_type,
        sqlType: c.sql_type,
        nullable: !c.not_null,
        defaultExpr: c.default_expr,
        identity: c.identity,
        generated: c.generated,
        collation: c.collation,
        comment: c.comment,
        allowed: allowed.get(c.name) ?? null,
      })),
      constraints: keys,
    }
  }

  return {
    schemas: schemaRows.rows,
    tables: tableRows.rows.map(table),
    referencedTables: referencedRows.rows.map(table),
    unsupported: unsupported.rows.map((r) => r.what),
    indexes: indexes.rows,
    functions: functions.rows,
    policies: policies.rows,
    triggers: triggers.rows,
    schemaGrants: schemaGrants.rows,
    tableGrants: tableGrants.rows,
    columnGrants: columnGrants.rows,
    functionGrants: functionGrants.rows,
    defaultAcls: defaultAcls.rows,
  }
}

export function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const r of rows) {
    const k = key(r)
    const list = out.get(k)
    if (list) list.push(r)
    else out.set(k, [r])
  }
  return out
}

/** The tables of the public schema: the ones the application, its types and the ERD are about. */
export function publicTables(catalog: Catalog): Table[] {
  return catalog.tables.filter((t) => t.schema === 'public')
}
