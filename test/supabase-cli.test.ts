// The migrations applied by the real Supabase CLI (`supabase db push --db-url`) and by our runner are
// interchangeable: each tool sees the other's database as up to date. PostgreSQL only: the CLI speaks
// the wire protocol to a server.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { createDb } from '../lib/db/index.js'
import { migrate, migrationStatus, readMigrationFiles } from '../lib/migrate/index.js'
import { COMPAT_FILE, PROJECT_ROOT } from '../lib/paths.js'
import { createServerDatabase, onServer } from './support/db.js'

const CLI = join(PROJECT_ROOT, 'node_modules', '.bin', 'supabase')

function supabase(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(CLI, args, { cwd: PROJECT_ROOT, encoding: 'utf8', input: 'y\n', timeout: 120_000, env: { ...process.env, DO_NOT_TRACK: '1' } })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

function noTls(url: string): string {
  const u = new URL(url)
  u.searchParams.set('sslmode', 'disable')
  return u.toString()
}

describe('Supabase CLI interoperability', { skip: !onServer && 'needs a PostgreSQL server (DATABASE_URL)' }, () => {
  it('supabase db push applies every file; our runner then finds nothing to do', async () => {
    const target = await createServerDatabase()
    try {
      const c = new pg.Client({ connectionString: target.url })
      await c.connect()
      try {
        await c.query(readFileSync(COMPAT_FILE, 'utf8'))
      } finally {
        await c.end()
      }
      const push = supabase(['db', 'push', '--db-url', noTls(target.url), '--yes'])
      assert.equal(push.status, 0, push.output)
      const h = await createDb({ databaseUrl: target.url, poolSize: 1 })
      try {
        const st = await migrationStatus(h.db)
        assert.deepEqual([st.pending, st.changed, st.missingLocally], [[], [], []], 'the CLI recorded what our runner would have')
        assert.deepEqual((await migrate(h.db)).applied, [])
        const tables = await sql<{ n: string }>`select count(*)::text as n from pg_catalog.pg_tables where schemaname = 'public'`.execute(h.db)
        assert.equal(tables.rows[0]?.n, '9')
      } finally {
        await h.close()
      }
    } finally {
      await target.drop()
    }
  })

  it('after our runner, supabase db push has nothing to push and migration list shows every file applied', async () => {
    const target = await createServerDatabase()
    try {
      const h = await createDb({ databaseUrl: target.url, poolSize: 1 })
      try {
        assert.equal((await migrate(h.db)).applied.length, readMigrationFiles().length)
      } finally {
        await h.close()
      }
      const push = supabase(['db', 'push', '--db-url', noTls(target.url), '--yes'])
      assert.equal(push.status, 0, push.output)
      assert.match(push.output, /up to date/i)
      // Each local file listed as applied remotely, in the CLI's own words (supabase/config.toml in place).
      const list = supabase(['migration', 'list', '--db-url', noTls(target.url)])
      assert.equal(list.status, 0, list.output)
      for (const f of readMigrationFiles()) {
        assert.match(list.output, new RegExp(`\`${f.version}\`\\s*\\|\\s*\`${f.version}\``), `${f.version} local and remote\n${list.output}`)
      }
    } finally {
      await target.drop()
    }
  })
})
