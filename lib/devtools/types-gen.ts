// Writes lib/db/types.ts from the migrated database (see introspect.ts). Generated rather than
// hand-written so the types cannot drift from the SQL; test/types-drift.test.ts regenerates and
// compares. Knows what generic generators don't: CHECK value lists become literal unions, DATE is
// 'YYYY-MM-DD' text (see connection.ts), numeric is an exact decimal string, jsonb is typed per column.
import type { ColumnInfo, TableInfo } from './catalog.js'

/** Row type names: the plan's (Organization, Profile, ...) and readable ones for the rest. */
const ROW_NAMES: Record<string, string> = {
  organizations: 'Organization',
  profiles: 'Profile',
  customers: 'Customer',
  revenue: 'Revenue',
  activities: 'Activity',
  audit_logs: 'AuditLog',
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
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())
}

function upperSnake(name: string): string {
  return name.toUpperCase()
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

function columnType(table: string, c: ColumnInfo): string {
  const key = `${table}.${c.name}`
  let t = c.allowed ? enumName(table, c.name) : JSON_TYPES[key] ?? SCALARS[c.type]
  if (t === undefined) throw new Error(`codegen: no TypeScript type for ${key} (${c.type}); add it to SCALARS`)
  if (c.nullable) t = `${t} | null`
  return c.hasDefault ? `Generated<${t}>` : t
}

function docComment(text: string | null, indent: string): string {
  if (!text) return ''
  return `${indent}/** ${text.replaceAll('*/', '*\\/').replaceAll('\n', `\n${indent} * `)} */\n`
}

export function generateTypes(tables: TableInfo[]): string {
  const sorted = [...tables].sort((a, b) => a.name.localeCompare(b.name))
  const out: string[] = []
  out.push(`// GENERATED from the migrated database by \`npm run tenantry -- gen-types\`. Do not edit:
// change the SQL in supabase/migrations, then regenerate. test/types-drift.test.ts fails on any drift.
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely'

/** A column with a database default: optional on insert. Unwraps ColumnType, unlike Kysely's own. */
export type Generated<T> = T extends ColumnType<infer S, infer I, infer U>
  ? ColumnType<S, I | undefined, U>
  : ColumnType<T, T | undefined, T>

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

  out.push(`/** Every table of the public schema, by name. */
export const TABLE_NAMES = {
${sorted.map((t) => `  ${upperSnake(t.name)}: ${JSON.stringify(t.name)},`).join('\n')}
} as const
export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES]

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
  return out.join('\n')
}
