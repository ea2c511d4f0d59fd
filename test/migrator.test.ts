// The migration runner: what it records is what the Supabase CLI records, a failing file leaves no
// trace, an edited applied file stops it, and concurrent runners apply each file once.
import assert from 'node:assert/strict'
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { createDb } from '../lib/db/index.js'
import { migrate, MigrationError, migrationStatus, needsCompat, readCompatStatements, readMigrationFiles, resetDatabase } from '../lib/migrate/index.js'
import { isCommentOnly, splitStatements } from '../lib/sql-text.js'
import { MIGRATIONS_DIR } from '../lib/paths.js'
import { freshDb, onServer, useFreshDb } from './support/db.js'
import { useMigrationsCopy } from './support/migrations.js'

describe('splitStatements (the Supabase CLI way)', () => {
  it('splits on top-level semicolons only, trims, keeps leading comments', () => {
    const input = `-- header
create table a (x text default ';');  /* ; */
create function f() returns text language sql as $$ select 'a;b' $$;
create function g() returns int language plpgsql as $body$ begin return 1; end $body$;
select "we;ird" from (select 1; ) q;
create function h() returns int language sql begin atomic select 1; select 2; end;
-- trailing comment`
    assert.deepEqual(splitStatements(input), [
      "-- header\ncreate table a (x text default ';')",
      "/* ; */\ncreate function f() returns text language sql as $$ select 'a;b' $$",
      'create function g() returns int language plpgsql as $body$ begin return 1; end $body$',
      'select "we;ird" from (select 1; ) q',
      'create function h() returns int language sql begin atomic select 1; select 2; end',
      '-- trailing comment',
    ])
    assert.equal(isCommentOnly('-- trailing comment'), true)
    assert.equal(isCommentOnly('-- c\nselect 1'), false)
  })

  it("handles doubled quotes, nested block comments and $1 parameters", () => {
    assert.deepEqual(splitStatements("select 'it''s;'; /* a /* b; */ c; */ select $1;;"), ["select 'it''s;'", '/* a /* b; */ c; */ select $1'])
  })
})

describe('migrate', () => {
  const t = useFreshDb({ migrated: false })
  const migrations = useMigrationsCopy('tenantry-migrations-')

  it('applies the compat layer where it is missing and every file, recording version, name and statements', async () => {
    // An empty database needs the compat layer, unless its template already has all of Supabase's
    // auth (the PostgreSQL pass of CI is shaped like a Supabase project: .ci/supabase-shape.sql).
    const needed = await needsCompat(t.db)
    if (!onServer) assert.equal(needed, true, 'the embedded database starts without auth')
    const files = readMigrationFiles(migrations.dir)
    const result = await migrate(t.db, {}, files)
    assert.equal(result.compatApplied, needed)
    assert.deepEqual(result.applied.map((f) => f.version), files.map((f) => f.version))
    const rows = await sql<{ version: string; name: string; statements: string[] }>`
      select version, name, statements from supabase_migrations.schema_migrations order by version`.execute(t.db)
    assert.deepEqual(rows.rows, files.map((f) => ({ version: f.version, name: f.name, statements: f.statements })))
    assert.equal(await needsCompat(t.db), false)
  })

  it('is a no-op the second time', async () => {
    const again = await migrate(t.db, {}, readMigrationFiles(migrations.dir))
    assert.deepEqual(again, { compatApplied: false, applied: [] })
  })

  it('leaves nothing of a failing file: no table, no history row', async () => {
    writeFileSync(join(migrations.dir, '900_broken.sql'), 'create table public.half_done (id int);\nselect * from no_such_table;\n')
    await assert.rejects(migrate(t.db, {}, readMigrationFiles(migrations.dir)), (e: unknown) =>
      e instanceof MigrationError && /900_broken\.sql: statement 2 failed/.test(e.message))
    const table = await sql<{ t: string | null }>`select to_regclass('public.half_done')::text as t`.execute(t.db)
    assert.equal(table.rows[0]?.t, null)
    const st = await migrationStatus(t.db, readMigrationFiles(migrations.dir))
    assert.deepEqual(st.pending.map((f) => f.version), ['900'])
    rmSync(join(migrations.dir, '900_broken.sql'))
  })

  it('refuses to run when an applied file changed, and says which', async () => {
    const first = readMigrationFiles(migrations.dir)[0]
    assert.ok(first)
    writeFileSync(join(migrations.dir, '901_new.sql'), 'create table public.should_not_exist (id int);')
    writeFileSync(first.path, `${readFileSync(first.path, 'utf8')}\nselect 1;\n`)
    const st = await migrationStatus(t.db, readMigrationFiles(migrations.dir))
    assert.deepEqual(st.changed.map((f) => f.version), [first.version])
    await assert.rejects(migrate(t.db, {}, readMigrationFiles(migrations.dir)), (e: unknown) =>
      e instanceof MigrationError && e.message.includes(first.file))
    const table = await sql<{ t: string | null }>`select to_regclass('public.should_not_exist')::text as t`.execute(t.db)
    assert.equal(table.rows[0]?.t, null)
    cpSync(MIGRATIONS_DIR, migrations.dir, { recursive: true })
    rmSync(join(migrations.dir, '901_new.sql'))
  })

  it('takes a database migrated by the Supabase CLI as up to date', async () => {
    // The CLI's first table had only a version column; a database from then must still be understood.
    await sql`alter table supabase_migrations.schema_migrations drop column statements, drop column name`.execute(t.db)
    const st = await migrationStatus(t.db, readMigrationFiles(migrations.dir))
    assert.deepEqual([st.pending, st.changed, st.missingLocally], [[], [], []])
    assert.deepEqual(await migrate(t.db, {}, readMigrationFiles(migrations.dir)), { compatApplied: false, applied: [] })
  })

  it('reset empties the database; migrate rebuilds it', async () => {
    await resetDatabase(t.db)
    const tables = await sql<{ n: string }>`select count(*)::text as n from pg_catalog.pg_tables where schemaname = 'public'`.execute(t.db)
    assert.equal(tables.rows[0]?.n, '0')
    const again = await migrate(t.db, {}, readMigrationFiles(migrations.dir))
    assert.equal(again.applied.length, readMigrationFiles(migrations.dir).length)
    const grants = await sql<{ ok: boolean }>`select has_table_privilege('authenticated', 'public.customers', 'select') as ok`.execute(t.db)
    assert.equal(grants.rows[0]?.ok, true, "Supabase's default privileges survive a reset")
  })
})

describe('the compatibility layer', () => {
  it('runs twice without error and changes nothing the second time', async () => {
    const t = await freshDb()
    try {
      const before = await sql<{ n: string }>`select count(*)::text as n from pg_catalog.pg_proc where pronamespace = 'auth'::regnamespace`.execute(t.db)
      for (const s of readCompatStatements()) await sql.raw(s).execute(t.db)
      const after = await sql<{ n: string }>`select count(*)::text as n from pg_catalog.pg_proc where pronamespace = 'auth'::regnamespace`.execute(t.db)
      assert.deepEqual(after.rows, before.rows)
    } finally {
      await t.close()
    }
  })
})

describe('concurrent runners', { skip: !onServer && 'the embedded database is single-process (see the data-dir lock test)' }, () => {
  it('apply each file once', async () => {
    const t = await freshDb({ migrated: false })
    const url = t.url
    assert.ok(url)
    const others = await Promise.all([1, 2, 3].map(() => createDb({ databaseUrl: url, poolSize: 1 })))
    try {
      const results = await Promise.all([t, ...others].map((h) => migrate(h.db)))
      const applied = results.flatMap((r) => r.applied.map((f) => f.version))
      assert.deepEqual(applied.sort(), readMigrationFiles().map((f) => f.version).sort())
    } finally {
      await Promise.all(others.map((o) => o.close()))
      await t.close()
    }
  })
})
