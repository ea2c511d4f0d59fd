// A file with a statement that runs outside a transaction (create index concurrently) is claimed
// while it is applied (supabase_migrations.tenantry_applying, lib/migrate/migrator.ts): another
// runner waits for it, a runner that finds a claim left by a dead process says in one line what to
// check and how to clear it, and a failing file gives its claim back. With a pool of one connection.
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { createDb, type DbHandle } from '../lib/db/index.js'
import { migrate, MigrationError, migrationStatus, readMigrationFiles } from '../lib/migrate/index.js'
import { MIGRATIONS_DIR } from '../lib/paths.js'
import { freshDb, onServer, type TestDb } from './support/db.js'

describe('claims of files run outside a transaction', () => {
  let t: TestDb
  let h: DbHandle
  let dir: string

  before(async () => {
    t = await freshDb()
    // A pool of one: the claim must not need a second connection (holding the lock in an open
    // transaction meanwhile would).
    h = onServer && t.url ? await createDb({ databaseUrl: t.url, poolSize: 1 }) : t
    dir = mkdtempSync(join(tmpdir(), 'tenantry-claims-'))
    cpSync(MIGRATIONS_DIR, dir, { recursive: true })
    writeFileSync(join(dir, '980_claimed_index.sql'),
      "set lock_timeout = '4s';\ncreate index concurrently if not exists customers_claim_probe on public.customers (updated_at);\n")
  })
  after(async () => {
    if (h !== t) await h?.close()
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('a claim left by a process that is gone: one line naming it and how to clear it; nothing applied', async () => {
    await sql`create table if not exists supabase_migrations.tenantry_applying (
      version text primary key, claimed_by text not null, claimed_at timestamptz not null default now())`.execute(h.db)
    await sql`insert into supabase_migrations.tenantry_applying (version, claimed_by) values ('980', 'gone-host pid 1')`.execute(h.db)
    const waits: number[] = []
    await assert.rejects(migrate(h.db, { onWait: () => waits.push(1) }, readMigrationFiles(dir), { waitMs: 300 }), (e: unknown) =>
      e instanceof MigrationError && e.code === 'TENANTRY_MIGRATE_BUSY' && /gone-host pid 1/.test(e.message) &&
      /delete from supabase_migrations\.tenantry_applying where version = '980'/.test(e.message))
    assert.equal(waits.length, 1, 'said once that it waits')
    const st = await migrationStatus(h.db, readMigrationFiles(dir))
    assert.deepEqual(st.pending.map((f) => f.version), ['980'])
  })

  it('once cleared, the file applies, is recorded as the CLI records it, and leaves no claim', async () => {
    await sql`delete from supabase_migrations.tenantry_applying where version = '980'`.execute(h.db)
    const result = await migrate(h.db, {}, readMigrationFiles(dir))
    assert.deepEqual(result.applied.map((f) => f.version), ['980'])
    const claims = await sql<{ n: number }>`select count(*)::int as n from supabase_migrations.tenantry_applying`.execute(h.db)
    assert.equal(claims.rows[0]?.n, 0)
    const index = await sql<{ valid: boolean }>`
      select indisvalid as valid from pg_index where indexrelid = 'public.customers_claim_probe'::regclass`.execute(h.db)
    assert.deepEqual(index.rows, [{ valid: true }])
  })

  it('a file that fails outside a transaction gives its claim back and is not recorded', async () => {
    writeFileSync(join(dir, '981_failing_index.sql'), 'create index concurrently customers_claim_fail on public.no_such_table (x);\n')
    await assert.rejects(migrate(h.db, {}, readMigrationFiles(dir)), (e: unknown) => e instanceof MigrationError && /981_failing_index\.sql: statement 1 failed/.test(e.message))
    const claims = await sql<{ n: number }>`select count(*)::int as n from supabase_migrations.tenantry_applying`.execute(h.db)
    assert.equal(claims.rows[0]?.n, 0)
    const st = await migrationStatus(h.db, readMigrationFiles(dir))
    assert.deepEqual(st.pending.map((f) => f.version), ['981'])
    rmSync(join(dir, '981_failing_index.sql'))
  })
})
