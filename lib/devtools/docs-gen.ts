// Generated documentation: docs/erd.md (a Mermaid entity-relationship diagram of the public schema,
// from the catalog's foreign keys) and docs/access-policy.md (the access policy as one table, from
// lib/devtools/access-policy.ts — the data test/access-matrix.test.ts runs). Generated, so the docs
// can't disagree with the database or the tests; test/docs-generated.test.ts fails when they are stale.
import { readFileSync } from 'node:fs'
import { ACCESS_POLICY, ACTORS, type ActorName, OPERATIONS } from './access-policy.js'
import { type Catalog, type Column, type Constraint, publicTables, type Table } from './catalog.js'
import { TenantryError } from '../db/index.js'
import { ACCESS_POLICY_SOURCE } from '../paths.js'
import { REGENERATE } from './regenerate.js'

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
/** How the diagram names a table: bare in public, schema-qualified elsewhere (auth.users). */
function erdName(schema: string, table: string): string {
  return schema === 'public' ? table : `${schema}.${table}`
}

/** How the diagram names a column's type: the type's name, element_array for an array. */
function erdType(c: Column): string {
  return c.elementType === null ? c.type : `${c.elementType}_array`
}

interface Entity { name: string; columns: Column[]; keys: Constraint[] }

/** A Mermaid entity name: bare when it is a plain identifier, else quoted (auth.users). */
function entity(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name}"`
}

/** docs/erd.md for a catalog: every public table, and the columns of other tables its foreign keys refer to. */
export function renderErd(catalog: Catalog): string {
  const tables = publicTables(catalog)
  const foreignKeys = tables.flatMap((t) => t.constraints.filter((k) => k.kind === 'f').map((k) => ({ table: t.name, ...k })))
  const others = [...catalog.tables, ...catalog.referencedTables].filter((t) => t.schema !== 'public')
  const referenced = (t: Table) => new Set(foreignKeys.flatMap((fk) =>
    fk.references?.schema === t.schema && fk.references.table === t.name ? fk.references.columns : []))
  const entities: Entity[] = [
    ...tables.map((t) => ({ name: t.name, columns: t.columns, keys: t.constraints.filter((k) => k.kind === 'p' || k.kind === 'u') })),
    ...others
      .filter((t) => referenced(t).size > 0)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((t) => ({
        name: erdName(t.schema, t.name),
        columns: t.columns.filter((c) => referenced(t).has(c.name)),
        keys: t.constraints.filter((k) => k.kind === 'p' || k.kind === 'u'),
      })),
  ]
  const keysOf = (table: string) => entities.find((e) => e.name === table)?.keys ?? []
  const fkColumns = new Map<string, Set<string>>()
  for (const fk of foreignKeys) {
    const set = fkColumns.get(fk.table) ?? new Set<string>()
    for (const c of fk.columns) set.add(c)
    fkColumns.set(fk.table, set)
  }

  const lines: string[] = ['```mermaid', 'erDiagram']
  for (const fk of foreignKeys) {
    const cols = tables.find((t) => t.name === fk.table)?.columns.filter((c) => fk.columns.includes(c.name)) ?? []
    const required = cols.length > 0 && cols.every((c) => !c.nullable)
    const keys = keysOf(fk.table)
    const oneToOne = keys.some((k) => k.columns.every((c) => fk.columns.includes(c)))
    const pk = keys.find((k) => k.kind === 'p')
    const identifying = pk !== undefined && fk.columns.every((c) => pk.columns.includes(c))
    const left = required ? '||' : '|o'
    const right = oneToOne ? 'o|' : 'o{'
    const target = fk.references ? erdName(fk.references.schema, fk.references.table) : ''
    lines.push(`  ${entity(target)} ${left}${identifying ? '--' : '..'}${right} ${entity(fk.table)} : "${fk.columns.join(', ')}"`)
  }
  for (const { name: table, columns, keys } of entities) {
    const pk = keys.find((k) => k.kind === 'p')
    const unique = new Set(keys.filter((k) => k.kind === 'u' && k.columns.length === 1).flatMap((k) => k.columns))
    lines.push(`  ${entity(table)} {`)
    for (const c of columns) {
      const marks = [
        pk?.columns.includes(c.name) ? 'PK' : null,
        fkColumns.get(table)?.has(c.name) ? 'FK' : null,
        unique.has(c.name) ? 'UK' : null,
      ].filter((m) => m !== null)
      lines.push(`    ${erdType(c)} ${c.name}${marks.length > 0 ? ` ${marks.join(', ')}` : ''}${c.nullable ? ' "nullable"' : ''}`)
    }
    lines.push('  }')
  }
  lines.push('```')

  const withoutFk = tables.filter((t) => !foreignKeys.some((fk) => fk.table === t.name)).map((t) => `\`${t.name}\``)
  const out = [
    '# Entity-relationship diagram',
    '',
    `<!-- GENERATED by \`${REGENERATE}\` from the pg_catalog of a freshly migrated database (lib/devtools/docs-gen.ts). Do not edit; test/docs-generated.test.ts fails when it is stale. -->`,
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
    ...foreignKeys.map((fk) => `| ${fk.table} | ${fk.name} | \`${cell(fk.def)}\` |`),
    '',
    '## Tables',
    '',
    'From `COMMENT ON TABLE` (column comments: `supabase/schema.sql`, `lib/db/types.ts`, psql `\\d+`).',
    '',
    '| table | description |',
    '| --- | --- |',
    ...tables.map((t) => `| ${t.name} | ${cell(t.comment ?? '')} |`),
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
    throw new DocsGenError('docs-gen: no doc comment above `export type SelectOutcome` in lib/devtools/access-policy.ts')
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
  // In the order the matrix is written (tenant first, then its data), not alphabetical.
  const policies = Object.entries(ACCESS_POLICY)
  const rows: string[] = []
  for (const [table, policy] of policies) {
    for (const op of OPERATIONS) {
      const outcomes = ACTORS.map((actor) => policy[op][actor])
      for (const o of outcomes) {
        if (!explained.has(o)) throw new DocsGenError(`docs-gen: outcome '${o}' (${table} ${op}) is not in the legend of lib/devtools/access-policy.ts`)
      }
      rows.push(`| ${table} | ${op} | ${outcomes.join(' | ')} |`)
    }
  }
  const out = [
    '# Access policy',
    '',
    `<!-- GENERATED by \`${REGENERATE}\` from lib/devtools/access-policy.ts (lib/devtools/docs-gen.ts). Do not edit; test/docs-generated.test.ts fails when it is stale. -->`,
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
    ...policies.map(([table, policy]) => `| ${table} | ${cell(policy.target)} |`),
    '',
  )
  return out.join('\n')
}
