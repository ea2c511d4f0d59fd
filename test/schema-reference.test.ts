// supabase/schema.sql is generated (lib/devtools/schema-dump.ts) and must match the migrations: regenerated
// here and compared. Also: on PostgreSQL (DATABASE_URL) the dump is the same text as on the embedded
// database; the file is complete (applied to an empty database it rebuilds a schema that dumps to
// itself); and every table, column, function, policy and trigger carries a comment.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrate } from '../lib/migrate/index.js'
import { splitStatements } from '../lib/sql-text.js'
import { CATALOG_SCHEMAS } from '../lib/devtools/catalog.js'
import { contentOf, renderGenerated } from '../lib/devtools/generate.js'
import { REGENERATE } from '../lib/devtools/regenerate.js'
import { dumpSchema } from '../lib/devtools/schema-dump.js'
import { SCHEMA_FILE } from '../lib/paths.js'
import { freshDb, onServer, useFreshDb } from './support/db.js'

/** Where two texts first differ, for a readable failure. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n')
  const e = expected.split('\n')
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}:\n  file:      ${a[i] ?? '<end of file>'}\n  generated: ${e[i] ?? '<end of file>'}`
  }
  return 'no difference'
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

let generated: string
const t = useFreshDb()
/**
 * The schema as this database can hold it. Where auth.users belongs to another role (a database made
 * by Supabase's own setup scripts), 004_comments.sql leaves its triggers without comments, as on
 * Supabase: those COMMENT lines can't be there.
 */
let expected: string
let ownsAuthUsers: boolean
const AUTH_TRIGGER_COMMENT = /^COMMENT ON TRIGGER \S+ ON auth\.users IS /

t.before(async () => {
  generated = contentOf(await renderGenerated(), SCHEMA_FILE)
  const r = await sql<{ owns: boolean }>`
    select pg_catalog.pg_has_role(relowner, 'USAGE') as owns from pg_catalog.pg_class where oid = 'auth.users'::regclass`.execute(t.db)
  ownsAuthUsers = r.rows[0]?.owns ?? true
  expected = ownsAuthUsers ? generated : generated.split('\n').filter((line) => !AUTH_TRIGGER_COMMENT.test(line)).join('\n')
})

describe('supabase/schema.sql', () => {
  it('is up to date with supabase/migrations', () => {
    const file = readOrEmpty(SCHEMA_FILE)
    assert.ok(
      file === generated,
      `supabase/schema.sql is out of date; regenerate it with: ${REGENERATE}\nfirst difference at ${firstDifference(file, generated)}`,
    )
  })

  it('is the same text when dumped from PostgreSQL (DATABASE_URL)', { skip: onServer ? false : 'embedded run: DATABASE_URL is not set' }, async () => {
    const dumped = await dumpSchema(t.db)
    assert.ok(dumped === expected, `the dump on PostgreSQL differs from the embedded one at ${firstDifference(dumped, expected)}`)
  })

  it('is complete: applied after the compatibility layer to an empty database, it rebuilds the same schema', async () => {
    const empty = await freshDb({ migrated: false })
    try {
      await migrate(empty.db, {}, []) // the compatibility layer only
      await empty.db.connection().execute((conn) =>
        conn.transaction().execute(async (trx) => {
          for (const statement of splitStatements(generated)) {
            if (ownsAuthUsers || !AUTH_TRIGGER_COMMENT.test(statement)) await sql.raw(statement).execute(trx)
          }
        }),
      )
      const rebuilt = await dumpSchema(empty.db)
      assert.ok(rebuilt === expected, `rebuilt from schema.sql, the schema dumps differently at ${firstDifference(rebuilt, expected)}`)
    } finally {
      await empty.close()
    }
  })
})

describe('the database documents itself', () => {
  it('every table, column, function, policy and trigger of the migrations has a COMMENT', async () => {
    const r = await sql<{ what: string }>`
      select 'table ' || c.relname as what
        from pg_catalog.pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and pg_catalog.obj_description(c.oid, 'pg_class') is null
      union all
      select 'column ' || c.relname || '.' || a.attname
        from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
       where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
         and pg_catalog.col_description(c.oid, a.attnum) is null
      union all
      select 'function ' || p.oid::regprocedure::text
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname = any(${[...CATALOG_SCHEMAS]}::text[]) and pg_catalog.obj_description(p.oid, 'pg_proc') is null
      union all
      select 'policy ' || p.polname || ' on ' || p.polrelid::regclass::text
        from pg_catalog.pg_policy p where pg_catalog.obj_description(p.oid, 'pg_policy') is null
      union all
      select 'trigger ' || tg.tgname || ' on ' || tg.tgrelid::regclass::text
        from pg_catalog.pg_trigger tg
        join pg_catalog.pg_proc p on p.oid = tg.tgfoid
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_class c on c.oid = tg.tgrelid
       where not tg.tgisinternal and n.nspname = any(${[...CATALOG_SCHEMAS]}::text[])
         and pg_catalog.obj_description(tg.oid, 'pg_trigger') is null
         -- only a table's owner may comment on its triggers (auth.users on Supabase: see 004_comments.sql)
         and pg_catalog.pg_has_role(c.relowner, 'USAGE')
      order by 1`.execute(t.db)
    assert.deepEqual(r.rows.map((row) => row.what), [], 'add a COMMENT ON for each of these in a migration')
  })
})
