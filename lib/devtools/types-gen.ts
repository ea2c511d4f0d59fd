// Writes lib/db/types.ts from the catalog of the migrated database (catalog.ts). Generated rather than
// hand-written so the types cannot drift from the SQL; test/types-drift.test.ts regenerates and
// compares. Knows what generic generators don't: CHECK value lists become literal unions, DATE is
// 'YYYY-MM-DD' text (see connection.ts), numeric is an exact decimal string, jsonb is typed per column.
//
// The rules the SQL states become Kysely's column types, with Kysely's meanings: a column with a
// default is Generated (optional on insert); a column the database computes — GENERATED, IDENTITY
// ALWAYS, or one whose comment starts with "Derived:" — is GeneratedAlways (never inserted or
// updated); a column whose comment says it "cannot change" (after a ';' or '.', so the column itself
// is the subject) is ColumnType<S, I, never> (never updated). The table sets (TABLES,
// SOFT_DELETE_TABLES, AUDITED_TABLES, TENANT_TABLES) come from the catalog too.
import { type Catalog, type Column, type FunctionParam, publicTables, type SqlFunction, type Table } from './catalog.js'
import { REGENERATE } from './regenerate.js'

/** Row type names: the plan's (Organization, Profile, ...) and readable ones for the rest. */
const ROW_NAMES: Record<string, string> = {
  organizations: 'Organization',
  profiles: 'Profile',
  customers: 'Customer',
  revenue: 'Revenue',
  activities: 'Activity',
  audit_logs: 'AuditLog',
  invitations: 'Invitation',
  ai_usage_log: 'AiUsage',
  user_preferences: 'UserPreferences',
}

/** Names of the literal unions for CHECK-constrained columns. */
const ENUM_NAMES: Record<string, string> = {
  'profiles.role': 'ProfileRole',
  'customers.status': 'CustomerStatus',
  'activities.type': 'ActivityType',
  'user_preferences.theme_preference': 'ThemePreference',
  'audit_logs.action': 'AuditAction',
}

/** What a column comment says when the database computes the column: never written by anyone. */
const DERIVED_COMMENT = /^Derived:/
/** What a column comment says when the column never changes once inserted (not "users cannot change it"). */
const FROZEN_COMMENT = /(?:^|[;.]\s+)cannot change\b/i

/** jsonb columns with a known shape. */
const JSON_TYPES: Record<string, string> = {
  'activities.metadata': 'JsonObjectColumn',
  'audit_logs.old_data': 'JsonObjectColumn',
  'audit_logs.new_data': 'JsonObjectColumn',
}

const SCALARS: Record<string, string> = {
  uuid: 'string',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  citext: 'string',
  bool: 'boolean',
  int2: 'number',
  int4: 'number',
  float4: 'number',
  float8: 'number',
  int8: 'Int8',
  numeric: 'Decimal',
  date: 'DateString',
  timestamptz: 'Timestamp',
  timestamp: 'Timestamp',
  jsonb: 'Json',
  json: 'Json',
  _text: 'string[]',
  _uuid: 'string[]',
  // node-postgres reads bytea as a Buffer (invitations.token_hash, which no API role may select).
  bytea: 'Buffer',
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())
}

function upperSnake(name: string): string {
  return name.toUpperCase()
}

/** Select, insert and update types of the aliases that are ColumnTypes (written in the header below). */
const COLUMN_TYPE_ALIASES: Record<string, { select: string; insert: string; update: string }> = {
  Timestamp: { select: 'Date', insert: 'Date | string', update: 'Date | string' },
  JsonObjectColumn: { select: 'JsonObject', insert: 'JsonObject', update: 'JsonObject' },
}

function rowName(table: string): string {
  return ROW_NAMES[table] ?? pascal(table)
}

function enumName(table: string, column: string): string {
  return ENUM_NAMES[`${table}.${column}`] ?? `${rowName(table)}${pascal(column)}`
}

function constName(enumTypeName: string): string {
  const snake = enumTypeName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
  return snake.endsWith('S') ? `${snake}ES` : `${snake}S`
}

function baseType(table: string, c: Column): string {
  const key = `${table}.${c.name}`
  const t = c.allowed ? enumName(table, c.name) : JSON_TYPES[key] ?? SCALARS[c.type]
  if (t === undefined) throw new Error(`types-gen: no TypeScript type for ${key} (${c.type}); add it to SCALARS`)
  return t
}

/** Never inserted or updated: the database computes it. */
function isComputed(c: Column): boolean {
  return c.generated !== '' || c.identity === 'a' || DERIVED_COMMENT.test(c.comment ?? '')
}

/** Set on insert, never updated. */
function isFrozen(c: Column): boolean {
  return FROZEN_COMMENT.test(c.comment ?? '')
}

function columnType(table: string, c: Column): string {
  const base = baseType(table, c)
  const alias = COLUMN_TYPE_ALIASES[base]
  const orNull = (t: string) => (c.nullable ? `${t} | null` : t)
  const select = orNull(alias?.select ?? base)
  if (isComputed(c)) return `GeneratedAlways<${select}>`
  const optional = c.defaultExpr !== null || c.identity === 'd'
  const frozen = isFrozen(c)
  if (!optional && !frozen) return orNull(base)
  if (optional && !frozen && !alias) return `Generated<${orNull(base)}>`
  const insert = orNull(alias?.insert ?? base) + (optional ? ' | undefined' : '')
  const update = frozen ? 'never' : orNull(alias?.update ?? base)
  return `ColumnType<${select}, ${insert}, ${update}>`
}

function docComment(text: string | null, indent: string): string {
  if (!text) return ''
  return `${indent}/** ${text.replaceAll('*/', '*\\/').replaceAll('\n', `\n${indent} * `)} */\n`
}

/** Public tables with an audit trigger: one whose function writes public.audit_logs. */
function auditedTables(catalog: Catalog, tables: Table[]): string[] {
  const writesAudit = new Set(catalog.functions.filter((f) => /\binsert\s+into\s+public\.audit_logs\b/i.test(f.def)).map((f) => f.oid))
  return tables
    .filter((t) => catalog.triggers.some((tg) => tg.schema === t.schema && tg.table === t.name && writesAudit.has(tg.functionOid)))
    .map((t) => t.name)
}

function tableSet(constName: string, typeName: string | null, doc: string, names: string[]): string {
  const type = typeName ? `\nexport type ${typeName} = (typeof ${constName})[number]` : ''
  return `/** ${doc} */
export const ${constName} = [${names.map((n) => JSON.stringify(n)).join(', ')}] as const${type}
`
}

export function generateTypes(catalog: Catalog): string {
  const sorted = publicTables(catalog)
  const columnTypes = sorted.flatMap((t) => t.columns.map((c) => columnType(t.name, c)))
  const kysely = ['ColumnType', 'Generated', 'GeneratedAlways'].filter((name) =>
    name === 'ColumnType' || columnTypes.some((ct) => ct.startsWith(`${name}<`)))
  const out: string[] = []
  out.push(`// GENERATED from the migrated database by \`${REGENERATE}\`. Do not edit:
// change the SQL in supabase/migrations, then regenerate. test/types-drift.test.ts fails on any drift.
import type { ${[...kysely, 'Insertable', 'Selectable', 'Updateable'].join(', ')} } from 'kysely'

/** timestamptz: read as Date; written as Date or an ISO 8601 string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>
/** DATE as 'YYYY-MM-DD' text, free of time-zone shifts (see lib/db/connection.ts). */
export type DateString = string
/** numeric as an exact decimal string ('1234.50'), never a float. */
export type Decimal = string
/** bigint as an exact decimal string. */
export type Int8 = string

export type JsonPrimitive = string | number | boolean | null
export type Json = JsonPrimitive | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }
/** A jsonb column holding a JSON object. */
export type JsonObjectColumn = ColumnType<JsonObject, JsonObject, JsonObject>
`)

  for (const t of sorted) {
    for (const c of t.columns) {
      if (!c.allowed) continue
      const name = enumName(t.name, c.name)
      out.push(`/** Allowed values of ${t.name}.${c.name} (its CHECK constraint). */
export const ${constName(name)} = [${c.allowed.map((v) => JSON.stringify(v)).join(', ')}] as const
export type ${name} = (typeof ${constName(name)})[number]
`)
    }
  }

  const withColumn = (column: string) => sorted.filter((t) => t.columns.some((c) => c.name === column)).map((t) => t.name)
  out.push(`/** Every table of the public schema, by name. */
export const TABLE_NAMES = {
${sorted.map((t) => `  ${upperSnake(t.name)}: ${JSON.stringify(t.name)},`).join('\n')}
} as const
export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES]

${tableSet('TABLES', null, 'Every table of the public schema, sorted.', sorted.map((t) => t.name))}
${tableSet('SOFT_DELETE_TABLES', 'SoftDeleteTable', 'Tables with a deleted_at column: an admin\'s DELETE moves a row to the trash (public.soft_delete, public.restore).', withColumn('deleted_at'))}
${tableSet('AUDITED_TABLES', 'AuditedTable', 'Tables with an audit trigger: changes to their rows are written to audit_logs.', auditedTables(catalog, sorted))}
${tableSet('TENANT_TABLES', 'TenantTable', 'Tables with an organization_id column: rows that belong to an organization.', withColumn('organization_id'))}
/** The Kysely database interface. */
export interface Database {
${sorted.map((t) => `  ${t.name}: ${rowName(t.name)}Table`).join('\n')}
}
`)

  for (const t of sorted) {
    const row = rowName(t.name)
    out.push(`${docComment(t.comment, '')}export interface ${row}Table {
${t.columns.map((c) => `${docComment(c.comment, '  ')}  ${c.name}: ${columnType(t.name, c)}`).join('\n')}
}
export type ${row} = Selectable<${row}Table>
export type New${row} = Insertable<${row}Table>
export type ${row}Update = Updateable<${row}Table>
`)
  }
  out.push(generateFunctionTypes(catalog))
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------
// The SQL API: public functions with their arguments and results (issue 13), so that a call from
// TypeScript (lib/db/dashboard's callFunction, or a raw select) is checked against the migration.
// ---------------------------------------------------------------------------------------------

/** An argument as the caller may pass it: timestamptz as a Date or ISO 8601 text, an interval as text ('7 days'). */
const ARG_TYPES: Record<string, string> = { timestamptz: 'Date | string', timestamp: 'Date | string', interval: 'string' }
/** A result column as node-postgres reads it (the library's conventions: connection.ts). */
const RESULT_TYPES: Record<string, string> = { timestamptz: 'Date', timestamp: 'Date', void: 'void' }

function sqlScalar(type: string, where: string, overrides: Record<string, string>): string {
  const t = overrides[type] ?? SCALARS[type]
  if (t === undefined) throw new Error(`types-gen: no TypeScript type for ${where} (${type}); add it to SCALARS`)
  return t
}

function functionArgs(f: SqlFunction): string {
  const inputs = f.params.filter((p) => p.mode === 'i' || p.mode === 'b' || p.mode === 'v')
  if (inputs.some((p) => p.name === '')) throw new Error(`types-gen: ${f.signature} has an unnamed argument; name it (supabase.rpc passes arguments by name)`)
  const firstDefault = inputs.length - f.defaults
  const fields = inputs.map((p: FunctionParam, i) => {
    const t = sqlScalar(p.type, `${f.signature} argument ${p.name}`, ARG_TYPES)
    return i >= firstDefault ? `${p.name}?: ${t} | null` : `${p.name}: ${t} | null`
  })
  return fields.length ? `{ ${fields.join('; ')} }` : 'Record<string, never>'
}

function functionReturns(f: SqlFunction): string {
  const columns = f.params.filter((p) => p.mode === 't' || p.mode === 'o' || p.mode === 'b')
  if (f.returnTable) return `${rowName(f.returnTable)}${f.setof ? '[]' : ' | null'}`
  if (columns.length > 0 && (f.returnType === 'record' || columns.length > 1)) {
    // A result column can be NULL as far as the catalog can tell: a function states no NOT NULL.
    const row = `{ ${columns.map((c) => `${c.name}: ${sqlScalar(c.type, `${f.signature} column ${c.name}`, RESULT_TYPES)} | null`).join('; ')} }`
    return f.setof ? `${row}[]` : `${row} | null`
  }
  const t = sqlScalar(f.returnType, `${f.signature} result`, RESULT_TYPES)
  return f.setof ? `${t}[]` : t === 'void' ? 'void' : `${t} | null`
}

function generateFunctionTypes(catalog: Catalog): string {
  const api = catalog.functions
    .filter((f) => f.schema === 'public' && !['trigger', 'event_trigger'].includes(f.returnType))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.signature < b.signature ? -1 : 1))
  const names = [...new Set(api.map((f) => f.name))]
  const entry = (name: string): string => {
    const overloads = api.filter((f) => f.name === name)
    const doc = docComment(overloads[0]?.comment ?? null, '  ')
    const args = overloads.map(functionArgs).join(' | ')
    const returns = [...new Set(overloads.map(functionReturns))].join(' | ')
    return `${doc}  ${name}: {\n    Args: ${args}\n    Returns: ${returns}\n  }`
  }
  return `/**
 * The SQL API: every function of the public schema (what supabase.rpc calls), with its arguments by
 * name (optional when the function has a default for it) and its result. Result columns of RETURNS
 * TABLE are nullable as far as the catalog can tell.
 */
export interface Functions {
${names.map(entry).join('\n')}
}
export type FunctionName = keyof Functions
export type FunctionArgs<N extends FunctionName> = Functions[N]['Args']
export type FunctionReturns<N extends FunctionName> = Functions[N]['Returns']
`
}
