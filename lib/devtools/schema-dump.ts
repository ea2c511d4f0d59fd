// supabase/schema.sql, generated: the full schema of the migrated database — tables, columns,
// constraints, indexes, row level security, policies, functions with their definitions, triggers,
// privileges of the API roles and every comment — read from pg_catalog in a stable order.
//
// The output is meant to be the same on PostgreSQL 15 and on PGlite (PostgreSQL 18): everything is
// deparsed by the server's own pg_get_* functions with an empty search_path (so every name outside
// pg_catalog is schema-qualified), NOT NULL comes from pg_attribute rather than the not-null
// constraints PostgreSQL 18 also records, owners are left out, privileges are shown for PUBLIC and the
// API roles only, and MAINTAIN (PostgreSQL 17+) is left out. It is also valid SQL: applied after the
// compatibility layer to an empty database, it rebuilds a schema that dumps to the same text
// (test/schema-reference.test.ts checks that too).
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import { createDb, TenantryError } from '../db/index.js'
import { migrate } from '../migrate/index.js'
import { PROJECT_ROOT } from '../paths.js'

export const SCHEMA_FILE = join(PROJECT_ROOT, 'supabase', 'schema.sql')
/** The schemas the migrations own. Triggers elsewhere (on auth.users) are included when their function is in one. */
export const DUMPED_SCHEMAS: readonly string[] = ['public', 'private']
/** Roles whose privileges are shown (with PUBLIC): the ones Supabase's Data API runs as. */
export const API_ROLES: readonly string[] = ['anon', 'authenticated', 'service_role']
/** Table privileges shown, in this order. MAINTAIN (PostgreSQL 17+) is left out so 15 and 18 agree. */
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const
const GRANTEES_SQL = 'PUBLIC, anon, authenticated, service_role'

export class SchemaDumpError extends TenantryError {
  constructor(message: string) {
    super(message, { code: 'TENANTRY_GENERATE_FAILED' })
  }
}

// ---------------------------------------------------------------------------------------------
// Catalog rows
// ---------------------------------------------------------------------------------------------
interface SchemaRow { name: string; comment: string | null }
interface TableRow { oid: string; qname: string; comment: string | null; rls: boolean; force_rls: boolean }
interface ColumnRow {
  table_oid: string
  name: string
  type: string
  not_null: boolean
  default_expr: string | null
  identity: string
  generated: string
  collation: string | null
  comment: string | null
}
interface ConstraintRow { table_oid: string; qname: string; name: string; contype: string; def: string; comment: string | null }
interface IndexRow { qname: string; def: string; comment: string | null }
interface FunctionRow { signature: string; def: string; comment: string | null }
interface PolicyRow {
  table_qname: string
  name: string
  cmd: string
  permissive: boolean
  roles: string[]
  qual: string | null
  with_check: string | null
  comment: string | null
}
interface TriggerRow { name: string; table_qname: string; def: string; comment: string | null }
interface GrantRow { object: string; grantee: string; privilege: string; grantable: boolean }
interface ColumnGrantRow extends GrantRow { column_name: string }
interface DefaultAclRow { schema: string; objtype: string; grantee: string; privilege: string }

interface Catalog {
  schemas: SchemaRow[]
  tables: TableRow[]
  columns: ColumnRow[]
  constraints: ConstraintRow[]
  indexes: IndexRow[]
  functions: FunctionRow[]
  policies: PolicyRow[]
  triggers: TriggerRow[]
  schemaGrants: GrantRow[]
  tableGrants: GrantRow[]
  columnGrants: ColumnGrantRow[]
  functionGrants: GrantRow[]
  defaultAcls: DefaultAclRow[]
}

/** SQL string literal (standard_conforming_strings: only the quote is doubled). */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

function commentOn(what: string, comment: string | null): string[] {
  return comment === null ? [] : [`COMMENT ON ${what} IS ${literal(comment)};`]
}

function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------
async function unsupportedObjects<DB>(trx: Kysely<DB>, schemas: readonly string[]): Promise<string[]> {
  const r = await sql<{ what: string }>`
    select format('%s %I.%I', case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
             when 'S' then 'sequence' when 'p' then 'partitioned table' when 'I' then 'partitioned index'
             when 'f' then 'foreign table' when 'c' then 'composite type' else 'relation' end,
             n.nspname, c.relname) as what
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any(${schemas}::text[]) and c.relkind not in ('r', 'i')
       and not (c.relkind = 'S' and exists (select 1 from pg_catalog.pg_depend d
                 where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'i'))
       and not exists (select 1 from pg_catalog.pg_depend d
                 where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    union all
    select format('type %I.%I', n.nspname, t.typname)
      from pg_catalog.pg_type t
      join pg_catalog.pg_namespace n on n.oid = t.typnamespace
     where n.nspname = any(${schemas}::text[]) and t.typtype in ('e', 'd', 'r', 'm')
       and not exists (select 1 from pg_catalog.pg_depend d
                 where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
    union all
    select format('aggregate or window function %I.%I', n.nspname, p.proname)
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any(${schemas}::text[]) and p.prokind in ('a', 'w')
    order by 1`.execute(trx)
  return r.rows.map((row) => row.what)
}

const EXTENSION_MEMBER = (classid: string, objid: string) => sql.raw(
  `exists (select 1 from pg_catalog.pg_depend d where d.classid = '${classid}'::regclass and d.objid = ${objid} and d.deptype = 'e')`,
)

async function read<DB>(trx: Kysely<DB>, schemas: readonly string[]): Promise<Catalog> {
  const api = [...API_ROLES]
  const schemaRows = await sql<SchemaRow>`
    select n.nspname as name, pg_catalog.obj_description(n.oid, 'pg_namespace') as comment
      from pg_catalog.pg_namespace n
     where n.nspname = any(${schemas}::text[]) and n.nspname <> 'public'
     order by n.nspname collate "C"`.execute(trx)

  const tables = await sql<TableRow>`
    select c.oid::text as oid, format('%I.%I', n.nspname, c.relname) as qname,
           pg_catalog.obj_description(c.oid, 'pg_class') as comment,
           c.relrowsecurity as rls, c.relforcerowsecurity as force_rls
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any(${schemas}::text[]) and c.relkind = 'r'
       and not ${EXTENSION_MEMBER('pg_catalog.pg_class', 'c.oid')}
     order by n.nspname collate "C", c.relname collate "C"`.execute(trx)
  const tableOids = tables.rows.map((t) => t.oid)

  const columns = await sql<ColumnRow>`
    select a.attrelid::text as table_oid, format('%I', a.attname) as name,
           pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expr,
           a.attidentity::text as identity, a.attgenerated::text as generated,
           case when a.attcollation <> t.typcollation
                then (select format('%I.%I', cn.nspname, co.collname) from pg_catalog.pg_collation co
                        join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation)
           end as collation,
           pg_catalog.col_description(a.attrelid, a.attnum) as comment
      from pg_catalog.pg_attribute a
      join pg_catalog.pg_type t on t.oid = a.atttypid
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = any(${tableOids}::oid[]) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`.execute(trx)

  // contype 'n' (PostgreSQL 18's not-null constraints) is shown as NOT NULL on the column instead.
  const constraints = await sql<ConstraintRow>`
    select k.conrelid::text as table_oid, format('%I.%I', n.nspname, c.relname) as qname,
           format('%I', k.conname) as name, k.contype::text as contype,
           pg_catalog.pg_get_constraintdef(k.oid) as def,
           pg_catalog.obj_description(k.oid, 'pg_constraint') as comment
      from pg_catalog.pg_constraint k
      join pg_catalog.pg_class c on c.oid = k.conrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where k.conrelid = any(${tableOids}::oid[]) and k.contype in ('p', 'u', 'c', 'x', 'f')
     order by n.nspname collate "C", c.relname collate "C",
              array_position(array['p', 'u', 'c', 'x', 'f']::text[], k.contype::text), k.conname collate "C"`.execute(trx)

  const indexes = await sql<IndexRow>`
    select format('%I.%I', n.nspname, ic.relname) as qname, pg_catalog.pg_get_indexdef(i.indexrelid) as def,
           pg_catalog.obj_description(i.indexrelid, 'pg_class') as comment
      from pg_catalog.pg_index i
      join pg_catalog.pg_class ic on ic.oid = i.indexrelid
      join pg_catalog.pg_class c on c.oid = i.indrelid
      join pg_catalog.pg_namespace n on n.oid = ic.relnamespace
     where i.indrelid = any(${tableOids}::oid[])
       and not exists (select 1 from pg_catalog.pg_constraint k
                        where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))
     order by n.nspname collate "C", c.relname collate "C", ic.relname collate "C"`.execute(trx)

  const functions = await sql<FunctionRow & { oid: string }>`
    select p.oid::text as oid,
           format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as signature,
           pg_catalog.pg_get_functiondef(p.oid) as def,
           pg_catalog.obj_description(p.oid, 'pg_proc') as comment
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any(${schemas}::text[]) and p.prokind in ('f', 'p')
       and not ${EXTENSION_MEMBER('pg_catalog.pg_proc', 'p.oid')}
     order by n.nspname collate "C", p.proname collate "C",
              pg_catalog.pg_get_function_identity_arguments(p.oid) collate "C"`.execute(trx)

  const policies = await sql<PolicyRow>`
    select format('%I.%I', n.nspname, c.relname) as table_qname, format('%I', p.polname) as name,
           p.polcmd::text as cmd, p.polpermissive as permissive,
           array(select g.name from (
                   select case when pr.oid = 0 then 'PUBLIC' else format('%I', r.rolname) end as name
                     from unnest(p.polroles) as pr(oid)
                     left join pg_catalog.pg_roles r on r.oid = pr.oid) g
                  order by g.name collate "C") as roles,
           pg_catalog.pg_get_expr(p.polqual, p.polrelid) as qual,
           pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as with_check,
           pg_catalog.obj_description(p.oid, 'pg_policy') as comment
      from pg_catalog.pg_policy p
      join pg_catalog.pg_class c on c.oid = p.polrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where p.polrelid = any(${tableOids}::oid[])
     order by n.nspname collate "C", c.relname collate "C", p.polname collate "C"`.execute(trx)

  // Triggers on the dumped tables, and triggers elsewhere (auth.users) that call a dumped function.
  const functionOids = functions.rows.map((f) => f.oid)
  const triggers = await sql<TriggerRow>`
    select format('%I', t.tgname) as name, format('%I.%I', n.nspname, c.relname) as table_qname,
           pg_catalog.pg_get_triggerdef(t.oid, true) as def,
           pg_catalog.obj_description(t.oid, 'pg_trigger') as comment
      from pg_catalog.pg_trigger t
      join pg_catalog.pg_class c on c.oid = t.tgrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where not t.tgisinternal
       and (t.tgrelid = any(${tableOids}::oid[]) or t.tgfoid = any(${functionOids}::oid[]))
     order by n.nspname collate "C", c.relname collate "C", t.tgname collate "C"`.execute(trx)

  const grantee = sql.raw(`case when a.grantee = 0 then 'PUBLIC' else format('%I', (select r.rolname from pg_catalog.pg_roles r where r.oid = a.grantee)) end`)
  const granteeFilter = sql`(a.grantee = 0 or a.grantee in (select r.oid from pg_catalog.pg_roles r where r.rolname = any(${api}::text[])))`

  const schemaGrants = await sql<GrantRow>`
    select format('%I', n.nspname) as object, ${grantee} as grantee, a.privilege_type as privilege, a.is_grantable as grantable
      from pg_catalog.pg_namespace n
     cross join lateral pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
     where n.nspname = any(${schemas}::text[]) and n.nspname <> 'public' and ${granteeFilter}
     order by n.nspname collate "C"`.execute(trx)

  const tableGrants = await sql<GrantRow>`
    select format('%I.%I', n.nspname, c.relname) as object, ${grantee} as grantee, a.privilege_type as privilege,
           a.is_grantable as grantable
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     cross join lateral pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
     where c.oid = any(${tableOids}::oid[]) and ${granteeFilter}
     order by n.nspname collate "C", c.relname collate "C"`.execute(trx)

  const columnGrants = await sql<ColumnGrantRow>`
    select format('%I.%I', n.nspname, c.relname) as object, format('%I', at.attname) as column_name,
           ${grantee} as grantee, a.privilege_type as privilege, a.is_grantable as grantable
      from pg_catalog.pg_attribute at
      join pg_catalog.pg_class c on c.oid = at.attrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     cross join lateral pg_catalog.aclexplode(at.attacl) a
     where c.oid = any(${tableOids}::oid[]) and at.attacl is not null and at.attnum > 0 and ${granteeFilter}
     order by n.nspname collate "C", c.relname collate "C", at.attnum`.execute(trx)

  const functionGrants = await sql<GrantRow>`
    select format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as object,
           ${grantee} as grantee, a.privilege_type as privilege, a.is_grantable as grantable
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     cross join lateral pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
     where p.oid = any(${functionOids}::oid[]) and ${granteeFilter}`.execute(trx)

  const defaultAcls = await sql<DefaultAclRow>`
    select format('%I', n.nspname) as schema, d.defaclobjtype::text as objtype, ${grantee} as grantee,
           a.privilege_type as privilege
      from pg_catalog.pg_default_acl d
      join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace
     cross join lateral pg_catalog.aclexplode(d.defaclacl) a
     where n.nspname = any(${schemas}::text[]) and n.nspname <> 'public' and ${granteeFilter}
     order by n.nspname collate "C", d.defaclobjtype`.execute(trx)

  return {
    schemas: schemaRows.rows,
    tables: tables.rows,
    columns: columns.rows,
    constraints: constraints.rows,
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


// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------
const POLICY_COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' }
const DEFAULT_ACL_OBJECTS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' }

function section(title: string): string[] {
  return ['', '-- ' + '='.repeat(96), `-- ${title}`, '-- ' + '='.repeat(96)]
}

function columnLine(c: ColumnRow): string {
  let line = `  ${c.name} ${c.type}`
  if (c.collation) line += ` COLLATE ${c.collation}`
  if (c.generated === 's' && c.default_expr) line += ` GENERATED ALWAYS AS (${c.default_expr}) STORED`
  else if (c.generated === 'v' && c.default_expr) line += ` GENERATED ALWAYS AS (${c.default_expr}) VIRTUAL`
  else if (c.identity === 'a') line += ' GENERATED ALWAYS AS IDENTITY'
  else if (c.identity === 'd') line += ' GENERATED BY DEFAULT AS IDENTITY'
  else if (c.default_expr !== null) line += ` DEFAULT ${c.default_expr}`
  if (c.not_null) line += ' NOT NULL'
  return line
}

/** GRANT statements for one object, in a fixed privilege order; grantees with the same privileges share one. */
function grantLines(kind: string, object: string, rows: GrantRow[], order: readonly string[]): string[] {
  const byGrantee = new Map<string, { plain: string[]; grantable: string[] }>()
  for (const r of rows) {
    if (!order.includes(r.privilege)) continue
    const g = byGrantee.get(r.grantee) ?? { plain: [], grantable: [] }
    ;(r.grantable ? g.grantable : g.plain).push(r.privilege)
    byGrantee.set(r.grantee, g)
  }
  const sorted = (ps: string[]) => [...ps].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(', ')
  const grantees = [...byGrantee.keys()].sort((a, b) => (a === 'PUBLIC' ? -1 : b === 'PUBLIC' ? 1 : byCode(a, b)))
  // statement suffix -> grantees, in the order of their first grantee
  const statements = new Map<string, string[]>()
  for (const grantee of grantees) {
    const g = byGrantee.get(grantee)
    if (!g) continue
    if (g.plain.length > 0) {
      const key = `${sorted(g.plain)}|`
      statements.set(key, [...(statements.get(key) ?? []), grantee])
    }
    if (g.grantable.length > 0) {
      const key = `${sorted(g.grantable)}| WITH GRANT OPTION`
      statements.set(key, [...(statements.get(key) ?? []), grantee])
    }
  }
  return [...statements].map(([key, to]) => {
    const [privileges, suffix] = key.split('|')
    return `GRANT ${privileges} ON ${kind} ${object} TO ${to.join(', ')}${suffix};`
  })
}

/** pg_get_triggerdef's one line, broken before FOR EACH and EXECUTE FUNCTION. */
function triggerText(def: string): string {
  const forEach = def.indexOf(' FOR EACH ')
  const execute = def.lastIndexOf(' EXECUTE FUNCTION ')
  if (forEach < 0 || execute < forEach) return def
  return `${def.slice(0, forEach)}\n ${def.slice(forEach, execute)}\n ${def.slice(execute)}`
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const r of rows) {
    const k = key(r)
    const list = out.get(k)
    if (list) list.push(r)
    else out.set(k, [r])
  }
  return out
}

function render(cat: Catalog): string {
  const out: string[] = [
    '-- supabase/schema.sql: the full schema reference, GENERATED from a freshly migrated embedded database by',
    '-- `npx tsx cli/commands/dump-schema.ts` (also `tenantry dump-schema`), from pg_catalog (lib/db/schema-dump.ts).',
    '-- Do not edit: change the SQL in supabase/migrations, then regenerate. test/schema-reference.test.ts fails when',
    '-- this file is out of date.',
    '--',
    '-- Not a migration: supabase/migrations builds the database. This file shows what they build, in one place, in a',
    '-- stable order: schemas, tables (columns, keys, checks), foreign keys, indexes, functions (full definitions),',
    '-- row level security and policies, triggers, and privileges, each followed by its COMMENT. It is valid SQL:',
    '-- after supabase/compat/supabase_compat.sql on an empty database it rebuilds the same schema (tested).',
    '--',
    '-- Left out, so that PostgreSQL 15 and 18 give the same text: owners; privileges of roles other than PUBLIC, anon,',
    '-- authenticated and service_role; and MAINTAIN (PostgreSQL 17+), which Supabase\'s default "grant all" also gives',
    '-- the API roles wherever they hold the table privileges shown below.',
    '',
    'SET check_function_bodies = false;',
  ]

  // Schemas
  out.push(...section('SCHEMAS (public comes with the database; its privileges are Supabase\'s)'))
  const schemaGrants = groupBy(cat.schemaGrants, (g) => g.object)
  const defaultAcls = groupBy(cat.defaultAcls, (d) => d.schema)
  for (const s of cat.schemas) {
    const name = s.name
    out.push('', `CREATE SCHEMA ${name};`, ...commentOn(`SCHEMA ${name}`, s.comment))
    out.push(`REVOKE ALL ON SCHEMA ${name} FROM ${GRANTEES_SQL};`)
    out.push(...grantLines('SCHEMA', name, schemaGrants.get(name) ?? [], ['USAGE', 'CREATE']))
    for (const [objtype, rows] of groupBy(defaultAcls.get(name) ?? [], (d) => d.objtype)) {
      const objects = DEFAULT_ACL_OBJECTS[objtype] ?? objtype
      for (const [grantee, gs] of groupBy(rows, (d) => d.grantee)) {
        out.push(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${name} GRANT ${gs.map((g) => g.privilege).join(', ')} ON ${objects} TO ${grantee};`)
      }
    }
  }

  // Tables
  out.push(...section('TABLES'))
  const columnsOf = groupBy(cat.columns, (c) => String(c.table_oid))
  const constraintsOf = groupBy(cat.constraints, (k) => String(k.table_oid))
  for (const t of cat.tables) {
    const cols = columnsOf.get(String(t.oid)) ?? []
    const inline = (constraintsOf.get(String(t.oid)) ?? []).filter((k) => k.contype !== 'f')
    const lines = [...cols.map(columnLine), ...inline.map((k) => `  CONSTRAINT ${k.name} ${k.def}`)]
    out.push('', `CREATE TABLE ${t.qname} (`, lines.join(',\n'), ');')
    out.push(...commentOn(`TABLE ${t.qname}`, t.comment))
    for (const c of cols) out.push(...commentOn(`COLUMN ${t.qname}.${c.name}`, c.comment))
    for (const k of inline) out.push(...commentOn(`CONSTRAINT ${k.name} ON ${t.qname}`, k.comment))
  }

  // Foreign keys: after every table, so that the order of the tables does not matter.
  out.push(...section('FOREIGN KEYS'))
  for (const k of cat.constraints.filter((c) => c.contype === 'f')) {
    out.push('', `ALTER TABLE ${k.qname} ADD CONSTRAINT ${k.name} ${k.def};`)
    out.push(...commentOn(`CONSTRAINT ${k.name} ON ${k.qname}`, k.comment))
  }

  // Indexes not created by a constraint.
  out.push(...section('INDEXES (those behind primary key and unique constraints are above)'))
  for (const i of cat.indexes) {
    out.push('', `${i.def};`, ...commentOn(`INDEX ${i.qname}`, i.comment))
  }

  // Functions, with who may execute them.
  out.push(...section('FUNCTIONS'))
  const functionGrants = groupBy(cat.functionGrants, (g) => g.object)
  for (const f of cat.functions) {
    out.push('', `${f.def.trimEnd()};`, ...commentOn(`FUNCTION ${f.signature}`, f.comment))
    out.push(`REVOKE ALL ON FUNCTION ${f.signature} FROM ${GRANTEES_SQL};`)
    out.push(...grantLines('FUNCTION', f.signature, functionGrants.get(f.signature) ?? [], ['EXECUTE']))
  }

  // Row level security and policies.
  out.push(...section('ROW LEVEL SECURITY AND POLICIES'))
  const policiesOf = groupBy(cat.policies, (p) => p.table_qname)
  for (const t of cat.tables) {
    out.push('', `ALTER TABLE ${t.qname} ${t.rls ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;`)
    if (t.force_rls) out.push(`ALTER TABLE ${t.qname} FORCE ROW LEVEL SECURITY;`)
    for (const p of policiesOf.get(t.qname) ?? []) {
      const cmd = POLICY_COMMANDS[p.cmd]
      if (!cmd) throw new SchemaDumpError(`schema-dump: policy ${p.name} has unknown command ${p.cmd}`)
      let text = `CREATE POLICY ${p.name} ON ${t.qname} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${cmd} TO ${p.roles.join(', ')}`
      if (p.qual !== null) text += `\n  USING (${p.qual})`
      if (p.with_check !== null) text += `\n  WITH CHECK (${p.with_check})`
      out.push(`${text};`, ...commentOn(`POLICY ${p.name} ON ${t.qname}`, p.comment))
    }
  }

  // Triggers.
  out.push(...section('TRIGGERS'))
  for (const [table, list] of groupBy(cat.triggers, (tg) => tg.table_qname)) {
    out.push('')
    for (const tg of list) {
      out.push(`${triggerText(tg.def)};`, ...commentOn(`TRIGGER ${tg.name} ON ${table}`, tg.comment))
    }
  }

  // Table privileges of the API roles (row level security decides which rows).
  out.push(...section('TABLE PRIVILEGES of PUBLIC and the API roles (row level security then decides which rows)'))
  const tableGrants = groupBy(cat.tableGrants, (g) => g.object)
  const columnGrants = groupBy(cat.columnGrants, (g) => g.object)
  for (const t of cat.tables) {
    out.push('', `REVOKE ALL ON TABLE ${t.qname} FROM ${GRANTEES_SQL};`)
    out.push(...grantLines('TABLE', t.qname, tableGrants.get(t.qname) ?? [], TABLE_PRIVILEGES))
    for (const [column, rows] of groupBy(columnGrants.get(t.qname) ?? [], (g) => g.column_name)) {
      for (const line of grantLines('TABLE', t.qname, rows, TABLE_PRIVILEGES)) {
        out.push(line.replace(/^GRANT (.+?) ON TABLE/, (_, privs: string) => `GRANT ${privs.split(', ').map((p) => `${p} (${column})`).join(', ')} ON TABLE`))
      }
    }
  }
  return `${out.join('\n')}\n`
}

/** The schema reference text of the database behind db (its schemas `schemas`). */
export async function dumpSchema<DB>(db: Kysely<DB>, schemas: readonly string[] = DUMPED_SCHEMAS): Promise<string> {
  return db.transaction().execute(async (trx) => {
    // Every name outside pg_catalog comes out schema-qualified, whatever the caller's search_path.
    await sql`select pg_catalog.set_config('search_path', '', true)`.execute(trx)
    const unsupported = await unsupportedObjects(trx, schemas)
    if (unsupported.length > 0) {
      throw new SchemaDumpError(
        `schema-dump: cannot render ${unsupported.join(', ')}; extend lib/db/schema-dump.ts before adding such objects`,
      )
    }
    return render(await read(trx, schemas))
  })
}

/** supabase/schema.sql as it should be: the dump of a freshly migrated in-memory embedded database. */
export async function renderSchema(): Promise<string> {
  const handle = await createDb({ dataDir: 'memory://' })
  try {
    await migrate(handle.db)
    return await dumpSchema(handle.db)
  } finally {
    await handle.close()
  }
}
