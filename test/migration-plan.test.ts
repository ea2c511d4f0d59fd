// How the migrator runs a file (lib/migrate/migration-plan.ts, as the Supabase CLI 2.117.0 does) and
// how it behaves on a live database: a statement that cannot get its lock within lock_timeout fails
// instead of queueing (and making every query behind it queue), and the file is tried again after a
// pause; when the lock never comes, the migration stops with one clear error and nothing applied.
// A concurrent-index file applied by the real CLI and by our migrator leaves the same history.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { migrate, MigrationError, migrationPlan, migrationStatus, readMigrationFiles } from '../lib/migrate/index.js'
import { createDb } from '../lib/db/index.js'
import { PROJECT_ROOT } from '../lib/paths.js'
import { createServerDatabase, onServer, useFreshDb } from './support/db.js'
import { useMigrationsCopy } from './support/migrations.js'

describe('migrationPlan (the Supabase CLI 2.117.0 way)', () => {
  const s = (...statements: string[]): string[] => statements
  it('one transaction with the history row for an ordinary file', () => {
    assert.deepEqual(migrationPlan({ statements: s('create table a (id int)', 'insert into a values (1)'), transactional: true }), [
      { kind: 'transaction', statements: [{ index: 0, sql: 'create table a (id int)' }, { index: 1, sql: 'insert into a values (1)' }], record: true },
    ])
  })

  it('a concurrent index runs alone, between the transactions of the statements before and after it', () => {
    const plan = migrationPlan({
      statements: s("set lock_timeout = '4s'", '-- why\ncreate unique index concurrently if not exists i on a (x)', 'comment on index i is \'x\''),
      transactional: true,
    })
    assert.deepEqual(plan.map((p) => p.kind === 'alone' ? `alone ${p.index}` : `tx ${p.statements.map((x) => x.index).join(',')}${p.record ? ' +history' : ''}`),
      ['tx 0', 'alone 1', 'tx 2 +history'])
    const last = migrationPlan({ statements: s('drop index concurrently if exists i'), transactional: true })
    assert.deepEqual(last.map((p) => p.kind), ['alone', 'transaction'], 'the history row alone after the last statement')
  })

  it('the no-transaction marker runs every statement alone, then the history', () => {
    const plan = migrationPlan({ statements: s('create table w (id int)', 'insert into w values (1)'), transactional: false })
    assert.deepEqual(plan.map((p) => p.kind), ['alone', 'alone', 'transaction'])
  })
})

describe('files the migrator refuses, changing nothing', () => {
  const t = useFreshDb()
  const migrations = useMigrationsCopy('tenantry-refused-')

  for (const [name, body, pattern] of [
    ['960_commit.sql', 'create table public.refused_a (id int);\ncommit;\n', /controls the transaction/],
    ['960_session_set.sql', "-- pg-delta: transaction=false\nset statement_timeout = '1min';\ncreate table public.refused_a (id int);\n", /outside a transaction/],
  ] as const) {
    it(`${name}: one line saying why`, async () => {
      writeFileSync(join(migrations.dir, name), body)
      try {
        await assert.rejects(migrate(t.db, {}, readMigrationFiles(migrations.dir)), (e: unknown) =>
          e instanceof MigrationError && e.code === 'TENANTRY_MIGRATION_UNSUPPORTED' && pattern.test(e.message))
        const table = await sql<{ t: string | null }>`select to_regclass('public.refused_a')::text as t`.execute(t.db)
        assert.equal(table.rows[0]?.t, null)
      } finally {
        rmSync(join(migrations.dir, name))
      }
    })
  }
})

describe('lock_timeout and retries on a live table', { skip: !onServer && 'needs PostgreSQL: the embedded database has one session, nothing else can hold a lock' }, () => {
  const t = useFreshDb()
  const migrations = useMigrationsCopy('tenantry-locks-')

  /** A transaction on another connection that has read customers (ACCESS SHARE) and stays open. */
  async function longReader(): Promise<{ release(): Promise<void> }> {
    assert.ok(t.url)
    const c = new pg.Client({ connectionString: t.url })
    await c.connect()
    await c.query('begin')
    await c.query('select count(*) from public.customers')
    return {
      async release() {
        await c.query('commit')
        await c.end()
      },
    }
  }

  /** How long a plain read of customers takes while the migration waits for its lock. */
  async function readWhileWaiting(): Promise<number> {
    assert.ok(t.url)
    const c = new pg.Client({ connectionString: t.url })
    await c.connect()
    try {
      const started = performance.now()
      await c.query('select count(*) from public.customers')
      return performance.now() - started
    } finally {
      await c.end()
    }
  }

  it('a file blocked by a long transaction steps aside (lock_timeout) and succeeds on a later attempt; reads wait at most the timeout', async () => {
    writeFileSync(join(migrations.dir, '950_lock_probe.sql'), 'alter table public.customers add column lock_probe text;\n')
    const reader = await longReader()
    const retries: number[] = []
    const started = performance.now()
    const migrating = migrate(t.db, { onRetry: (_f, attempt) => retries.push(attempt) }, readMigrationFiles(migrations.dir),
      { lockTimeoutMs: 300, attempts: 5, retryDelayMs: 200 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    const readMs = await readWhileWaiting()
    setTimeout(() => void reader.release(), 900)
    const result = await migrating
    const ms = performance.now() - started
    assert.deepEqual(result.applied.map((f) => f.version), ['950'])
    assert.ok(retries.length >= 1, 'at least one retry')
    assert.ok(readMs < 1000, `a read queued behind the waiting ALTER for ${readMs.toFixed(0)} ms (lock_timeout 300 ms)`)
    console.log(`# lock_timeout 300 ms: ${retries.length} retr${retries.length === 1 ? 'y' : 'ies'}, applied after ${ms.toFixed(0)} ms; a read meanwhile waited ${readMs.toFixed(0)} ms`)
  })

  it('when the lock never comes: MigrationError 55P03 after the attempts, nothing of the file applied', async () => {
    writeFileSync(join(migrations.dir, '951_lock_never.sql'), 'alter table public.customers add column lock_never text;\n')
    const reader = await longReader()
    try {
      const started = performance.now()
      await assert.rejects(migrate(t.db, {}, readMigrationFiles(migrations.dir), { lockTimeoutMs: 200, attempts: 3, retryDelayMs: 100 }), (e: unknown) =>
        e instanceof MigrationError && e.code === '55P03' && /gave up after 3 attempt/.test(e.message))
      const ms = performance.now() - started
      assert.ok(ms < 5000, `gave up after ${ms.toFixed(0)} ms`)
      console.log(`# lock never released: gave up after 3 attempts in ${ms.toFixed(0)} ms`)
    } finally {
      await reader.release()
    }
    const st = await migrationStatus(t.db, readMigrationFiles(migrations.dir))
    assert.deepEqual(st.pending.map((f) => f.version), ['951'])
    const column = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.columns where table_name = 'customers' and column_name = 'lock_never'`.execute(t.db)
    assert.equal(column.rows[0]?.n, 0)
    rmSync(join(migrations.dir, '951_lock_never.sql'))
  })
})

/** `supabase db push` (CLI 2.117.0) of `project`'s supabase/migrations to `databaseUrl`, without TLS. */
function dbPush(project: string, databaseUrl: string): { status: number | null; stdout: string; stderr: string } {
  const url = new URL(databaseUrl)
  url.searchParams.set('sslmode', 'disable')
  return spawnSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'supabase'), ['db', 'push', '--db-url', url.toString(), '--yes'], {
    cwd: project, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DO_NOT_TRACK: '1' },
  })
}

describe('a concurrent-index file: supabase db push and our migrator apply and record it alike', { skip: !onServer && 'needs PostgreSQL: the Supabase CLI speaks the wire protocol' }, () => {
  it('same history rows, valid indexes, and each tool sees the other\'s database as up to date', async () => {
    const project = mkdtempSync(join(tmpdir(), 'tenantry-cli-cic-'))
    const viaCli = await createServerDatabase()
    const viaUs = await createServerDatabase()
    try {
      mkdirSync(join(project, 'supabase'))
      cpSync(join(PROJECT_ROOT, 'supabase', 'config.toml'), join(project, 'supabase', 'config.toml'))
      // Only the probe files: what is compared is how each tool runs them, not the project's schema.
      mkdirSync(join(project, 'supabase', 'migrations'))
      writeFileSync(join(project, 'supabase', 'migrations', '970_mixed_concurrent.sql'),
        "set lock_timeout = '4s';\ncreate table public.cic_probe (id bigint primary key, v text);\n" +
        'create index concurrently if not exists cic_probe_v on public.cic_probe (v);\ninsert into public.cic_probe values (1, \'x\');\n')
      writeFileSync(join(project, 'supabase', 'migrations', '971_marker.sql'),
        '-- pg-delta: transaction=false\ncreate index concurrently if not exists cic_probe_id_v on public.cic_probe (id, v);\n')
      const files = readMigrationFiles(join(project, 'supabase', 'migrations'))
      const push = dbPush(project, viaCli.url)
      assert.equal(push.status, 0, `${push.stdout}${push.stderr}`)
      const us = await createDb({ databaseUrl: viaUs.url, poolSize: 2 })
      const cli = await createDb({ databaseUrl: viaCli.url, poolSize: 2 })
      try {
        await migrate(us.db, {}, files)
        const history = sql<{ version: string; name: string; statements: string[] }>`
          select version, name, statements from supabase_migrations.schema_migrations order by version`
        assert.deepEqual((await history.execute(us.db)).rows, (await history.execute(cli.db)).rows)
        const indexes = sql<{ name: string; valid: boolean }>`
          select indexrelid::regclass::text as name, indisvalid as valid from pg_index
           where indrelid = 'public.cic_probe'::regclass order by 1`
        assert.deepEqual((await indexes.execute(us.db)).rows, (await indexes.execute(cli.db)).rows)
        assert.equal((await indexes.execute(us.db)).rows.length, 3)
        const st = await migrationStatus(cli.db, files)
        assert.deepEqual([st.pending, st.changed, st.missingLocally], [[], [], []], 'ours finds the CLI\'s database up to date')
        assert.deepEqual((await migrate(cli.db, {}, files)).applied, [])
      } finally {
        await us.close()
        await cli.close()
      }
      const again = dbPush(project, viaUs.url)
      assert.equal(again.status, 0, `${again.stdout}${again.stderr}`)
      assert.match(`${again.stdout}${again.stderr}`, /up to date/i, 'the CLI finds our database up to date')
    } finally {
      await viaCli.drop()
      await viaUs.drop()
      rmSync(project, { recursive: true, force: true })
    }
  })
})
