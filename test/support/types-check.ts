// An independent check of lib/db/types.ts against a migrated database: the database side is read
// from information_schema (not pg_catalog, which lib/devtools/catalog.ts reads), the TypeScript side is
// parsed with the TypeScript compiler (not compared as text). Every difference is reported.
import { type Kysely, sql } from 'kysely'
import ts from 'typescript'

export interface DbColumn {
  name: string
  udtName: string
  dataType: string
  nullable: boolean
  hasDefault: boolean
}

export interface DbSchema {
  /** table -> columns in ordinal order */
  tables: Map<string, DbColumn[]>
  /** 'table.column' -> values allowed by a `column IN (...)` CHECK constraint */
  enums: Map<string, string[]>
}

/** Parses `((role = ANY (ARRAY['admin'::text, 'member'::text])))` and `(role IN ('a', 'b'))`. */
export function parseEnumCheck(clause: string): { column: string; values: string[] } | null {
  const body = clause.trim().replace(/^\(+/, '').replace(/\)+$/, '')
  const any = /^\(?(\w+)\)?(?:::[\w ]+)? = ANY \(+ARRAY\[(.*?)\]\)?(?:::[\w ]+\[\])?$/s.exec(body)
  const inList = /^\(?(\w+)\)?(?:::[\w ]+)? IN \((.*)$/s.exec(body)
  const m = any ?? inList
  if (!m?.[1] || m[2] === undefined) return null
  const items = m[2].split(/,\s*/)
  const values: string[] = []
  for (const item of items) {
    const v = /^\(?'((?:[^']|'')*)'(?:::[\w ]+)?\)?$/.exec(item.trim())
    if (!v || v[1] === undefined) return null // not a plain list of literals
    values.push(v[1].replaceAll("''", "'"))
  }
  return values.length > 0 ? { column: m[1], values } : null
}

export async function readDbSchema<DB>(db: Kysely<DB>): Promise<DbSchema> {
  const cols = await sql<{
    table_name: string; column_name: string; udt_name: string; data_type: string
    is_nullable: string; column_default: string | null; is_identity: string; is_generated: string
  }>`
    select c.table_name, c.column_name, c.udt_name, c.data_type, c.is_nullable, c.column_default,
           c.is_identity, c.is_generated
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
     order by c.table_name, c.ordinal_position`.execute(db)
  const checks = await sql<{ table_name: string; constraint_name: string; check_clause: string; column_name: string }>`
    select tc.table_name, tc.constraint_name, cc.check_clause, ccu.column_name
      from information_schema.table_constraints tc
      join information_schema.check_constraints cc
        on cc.constraint_schema = tc.constraint_schema and cc.constraint_name = tc.constraint_name
      join information_schema.constraint_column_usage ccu
        on ccu.constraint_schema = tc.constraint_schema and ccu.constraint_name = tc.constraint_name
       and ccu.table_name = tc.table_name
     where tc.table_schema = 'public' and tc.constraint_type = 'CHECK'`.execute(db)

  const tables = new Map<string, DbColumn[]>()
  for (const r of cols.rows) {
    const list = tables.get(r.table_name) ?? []
    list.push({
      name: r.column_name,
      udtName: r.udt_name,
      dataType: r.data_type,
      nullable: r.is_nullable === 'YES',
      hasDefault: r.column_default !== null || r.is_identity === 'YES' || r.is_generated === 'ALWAYS',
    })
    tables.set(r.table_name, list)
  }
  const enums = new Map<string, string[]>()
  for (const c of checks.rows) {
    const parsed = parseEnumCheck(c.check_clause)
    if (parsed && parsed.column === c.column_name) enums.set(`${c.table_name}.${c.column_name}`, parsed.values)
  }
  return { tables, enums }
}

/** What a column type in types.ts says. */
interface TsColumn {
  /** On insert: must be given, may be left out (Generated<>, or undefined in ColumnType's insert type), or cannot be given (never). */
  insert: 'required' | 'optional' | 'never'
  /** The selected type, without null. */
  nullable: boolean
  base: string
}

interface TsSchema {
  /** Database interface: table -> interface name */
  database: Map<string, string>
  interfaces: Map<string, Map<string, TsColumn>>
  /** type alias name -> its text */
  aliases: Map<string, string>
  /** const name -> string values of `[...] as const` */
  constArrays: Map<string, string[]>
  tableNames: string[] | null
}

/** Kysely's wrappers: Generated<S> (optional on insert), GeneratedAlways<S> and ColumnType<S, I, U>. */
function describeType(node: ts.TypeNode, sf: ts.SourceFile): TsColumn {
  let insert: TsColumn['insert'] = 'required'
  let inner = node
  const wrapper = ts.isTypeReferenceNode(inner) ? inner.typeName.getText(sf) : ''
  const args = ts.isTypeReferenceNode(inner) ? inner.typeArguments ?? [] : []
  const [select, insertType] = args
  if (select && (((wrapper === 'Generated' || wrapper === 'GeneratedAlways') && args.length === 1) || wrapper === 'ColumnType')) {
    inner = select
    if (wrapper === 'Generated') insert = 'optional'
    if (wrapper === 'GeneratedAlways') insert = 'never'
    if (wrapper === 'ColumnType' && insertType) {
      const parts = ts.isUnionTypeNode(insertType) ? [...insertType.types] : [insertType]
      if (insertType.kind === ts.SyntaxKind.NeverKeyword) insert = 'never'
      else if (parts.some((p) => p.kind === ts.SyntaxKind.UndefinedKeyword)) insert = 'optional'
    }
  }
  let nullable = false
  let parts: ts.TypeNode[] = [inner]
  if (ts.isUnionTypeNode(inner)) parts = [...inner.types]
  const rest = parts.filter((p) => {
    const isNull = ts.isLiteralTypeNode(p) && p.literal.kind === ts.SyntaxKind.NullKeyword
    if (isNull) nullable = true
    return !isNull
  })
  return { insert, nullable, base: rest.map((p) => p.getText(sf)).join(' | ') }
}

function stringsOf(node: ts.Expression): string[] | null {
  let e = node
  if (ts.isAsExpression(e)) e = e.expression
  if (!ts.isArrayLiteralExpression(e)) return null
  const out: string[] = []
  for (const el of e.elements) {
    if (!ts.isStringLiteral(el)) return null
    out.push(el.text)
  }
  return out
}

export function parseTypesFile(text: string): TsSchema {
  const sf = ts.createSourceFile('types.ts', text, ts.ScriptTarget.Latest, true)
  const schema: TsSchema = { database: new Map(), interfaces: new Map(), aliases: new Map(), constArrays: new Map(), tableNames: null }
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st)) {
      const members = new Map<string, TsColumn>()
      for (const m of st.members) {
        if (!ts.isPropertySignature(m) || !m.type) continue
        if (st.name.text === 'Database') schema.database.set(m.name.getText(sf), m.type.getText(sf))
        else members.set(m.name.getText(sf), { ...describeType(m.type, sf), nullable: describeType(m.type, sf).nullable || Boolean(m.questionToken) })
      }
      if (st.name.text !== 'Database') schema.interfaces.set(st.name.text, members)
    } else if (ts.isTypeAliasDeclaration(st)) {
      schema.aliases.set(st.name.text, st.type.getText(sf))
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer) continue
        const values = stringsOf(d.initializer)
        if (values) schema.constArrays.set(d.name.text, values)
        if (d.name.text === 'TABLE_NAMES') {
          let init = d.initializer
          if (ts.isAsExpression(init)) init = init.expression
          if (ts.isObjectLiteralExpression(init)) {
            schema.tableNames = init.properties.flatMap((p) =>
              ts.isPropertyAssignment(p) && ts.isStringLiteral(p.initializer) ? [p.initializer.text] : [])
          }
        }
      }
    }
  }
  return schema
}

/** The TypeScript types a database column of this type may have in types.ts. */
function allowedBases(c: DbColumn): string[] {
  switch (c.udtName) {
    case 'uuid': case 'text': case 'varchar': case 'bpchar': case 'citext': return ['string']
    case 'int2': case 'int4': case 'float4': case 'float8': return ['number']
    case 'int8': return ['Int8', 'string']
    case 'numeric': return ['Decimal', 'string']
    case 'bool': return ['boolean']
    case 'date': return ['DateString', 'string']
    case 'timestamptz': case 'timestamp': return ['Timestamp', 'Date']
    case 'jsonb': case 'json': return ['Json', 'JsonObjectColumn', 'JsonObject']
    case '_text': case '_uuid': case '_varchar': return ['string[]']
    case 'bytea': return ['Buffer']
    default: return []
  }
}

/** Every disagreement between the database and types.ts, as readable lines (empty: none). */
export function compareTypes(dbSchema: DbSchema, typesText: string): string[] {
  const t = parseTypesFile(typesText)
  const problems: string[] = []
  const dbTables = [...dbSchema.tables.keys()].sort()
  const tsTables = [...t.database.keys()].sort()
  if (JSON.stringify(dbTables) !== JSON.stringify(tsTables)) {
    problems.push(`tables: database has [${dbTables.join(', ')}], Database interface has [${tsTables.join(', ')}]`)
  }
  if (JSON.stringify([...(t.tableNames ?? [])].sort()) !== JSON.stringify(dbTables)) {
    problems.push(`TABLE_NAMES: [${(t.tableNames ?? []).join(', ')}] instead of [${dbTables.join(', ')}]`)
  }

  for (const [table, columns] of dbSchema.tables) {
    const iface = t.database.get(table)
    if (!iface) continue
    const members = t.interfaces.get(iface)
    if (!members) {
      problems.push(`${table}: interface ${iface} is missing`)
      continue
    }
    const row = iface.replace(/Table$/, '')
    for (const [alias, expected] of [[row, `Selectable<${iface}>`], [`New${row}`, `Insertable<${iface}>`], [`${row}Update`, `Updateable<${iface}>`]]) {
      if (alias && t.aliases.get(alias) !== expected) problems.push(`${table}: type ${alias} should be ${expected}`)
    }
    const dbNames = columns.map((c) => c.name)
    for (const name of members.keys()) if (!dbNames.includes(name)) problems.push(`${table}.${name}: in ${iface}, not in the database`)

    for (const c of columns) {
      const key = `${table}.${c.name}`
      const col = members.get(c.name)
      if (!col) {
        problems.push(`${key}: in the database, missing from ${iface}`)
        continue
      }
      if (col.nullable !== c.nullable) problems.push(`${key}: nullable is ${c.nullable} in the database, ${col.nullable} in types.ts`)
      if (col.insert === 'never') {
        if (!c.hasDefault && !c.nullable) problems.push(`${key}: has no default and is NOT NULL in the database, cannot be inserted in types.ts`)
      } else if ((col.insert === 'optional') !== c.hasDefault) {
        problems.push(`${key}: ${c.hasDefault ? 'has' : 'has no'} default in the database, ${col.insert === 'optional' ? 'is' : 'is not'} Generated<> in types.ts`)
      }
      const values = dbSchema.enums.get(key)
      if (values) {
        const constName = /typeof\s+(\w+)/.exec(t.aliases.get(col.base) ?? '')?.[1]
        const tsValues = constName ? t.constArrays.get(constName) : undefined
        if (!tsValues) problems.push(`${key}: CHECK allows [${values.join(', ')}], but its type ${col.base} is not a literal union from a const list`)
        else if (JSON.stringify([...tsValues].sort()) !== JSON.stringify([...values].sort())) {
          problems.push(`${key}: CHECK allows [${values.join(', ')}], ${col.base} has [${tsValues.join(', ')}]`)
        }
      } else if (!allowedBases(c).includes(col.base)) {
        problems.push(`${key}: ${c.udtName} in the database, ${col.base} in types.ts (expected ${allowedBases(c).join(' or ') || 'a mapping'})`)
      }
    }
  }
  return problems
}
