// The embedded database: data persists in its directory, and a second opener is refused rather than
// allowed to overwrite the first one's writes; a lock left by a killed process is taken over.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { sql } from 'kysely'
import { lockDataDir } from '../lib/db/data-dir-lock.js'
import { createDb, DataDirLockError, DataDirLockedError, TenantryError } from '../lib/db/index.js'
import { migrate } from '../lib/migrate/index.js'

const root = mkdtempSync(join(tmpdir(), 'tenantry-embedded-'))
after(() => rmSync(root, { recursive: true, force: true }))

describe('data directory lock', () => {
  it('refuses a second holder while the first is alive, and frees on release', () => {
    const dir = join(root, 'locked')
    const release = lockDataDir(dir)
    assert.throws(() => lockDataDir(dir), (e: unknown) => e instanceof DataDirLockedError && e.pid === process.pid && e.message.includes(dir))
    release()
    assert.equal(existsSync(`${dir}.lock`), false)
    lockDataDir(dir)()
  })

  it('takes over a lock whose process is gone', () => {
    const dir = join(root, 'stale')
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid
    assert.ok(dead)
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: dead, host: hostname() }))
    const release = lockDataDir(dir)
    release()
  })

  it('a lock that cannot be written is a TenantryError naming the directory (DataDirLockError), not a bare fs error', () => {
    const file = join(root, 'not-a-directory')
    writeFileSync(file, '')
    const dir = join(file, 'db')
    assert.throws(() => lockDataDir(dir), (e: unknown) =>
      e instanceof DataDirLockError && e instanceof TenantryError && e.code === 'TENANTRY_DATA_DIR_LOCK_FAILED' && e.message.includes(dir))
  })
})

describe('persistence', () => {
  it('keeps data across close and reopen, and a concurrent open is refused', async () => {
    const dir = join(root, 'db')
    const first = await createDb({ dataDir: dir })
    try {
      await migrate(first.db)
      await sql`insert into public.organizations (name, slug) values ('Kept', 'kept')`.execute(first.db)
      await assert.rejects(createDb({ dataDir: dir }), DataDirLockedError)
    } finally {
      await first.close()
    }
    const second = await createDb({ dataDir: dir })
    try {
      const r = await second.db.selectFrom('organizations').select('slug').execute()
      assert.deepEqual(r, [{ slug: 'kept' }])
      assert.deepEqual((await migrate(second.db)).applied, [])
    } finally {
      await second.close()
    }
  })
})

describe('close', () => {
  it('ends the pool even when nothing but the handle used it (no idle client left to hold the process open)', async () => {
    // The fold on close queries through the pool, not through Kysely; Kysely ends the pool only if it
    // ever used it, so a command that never queried (tenantry token --as anon) left the fold's client
    // idle and the process waiting out pg's 10-second idle timeout after its answer.
    const h = await createDb({ dataDir: join(root, 'unused') })
    await h.pool.query('select 1')
    await h.close()
    assert.equal(h.pool.ending, true)
    assert.equal(h.pool.totalCount, 0, 'no client left')
  })
})
