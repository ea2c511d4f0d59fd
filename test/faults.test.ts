// Faults: processes killed with SIGKILL in the middle of writes or of the first migration, a second
// process on the same embedded data directory, and (on PostgreSQL) a connection terminated in the
// middle of a session and two migrate processes racing. The goal is that nothing is lost, nothing is
// half-written, and every failure is a clear error.
import assert from 'node:assert/strict'
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { after, describe, it } from 'node:test'
import { sql } from 'kysely'
import { asSystem, asUser, createDb, DataDirLockedError, type DbHandle } from '../lib/db/index.js'
import { migrate, migrationStatus, readMigrationFiles } from '../lib/migrate/index.js'
import { MIGRATIONS_DIR, PROJECT_ROOT } from '../lib/paths.js'
import { createServerDatabase, freshDb, onServer } from './support/db.js'
import { createCast } from './support/fixtures.js'
import { crossTenantRows, inconsistentCustomers } from './support/invariants.js'
import { copyMigratedDataDir } from './support/template.js'

const CHILD = join(PROJECT_ROOT, 'test', 'support', 'fault-child.ts')
const root = mkdtempSync(join(tmpdir(), 'tenantry-faults-'))
const children = new Set<Child>()
after(() => {
  for (const c of children) c.proc.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

type Message = Record<string, unknown>

interface Child {
  proc: ChildProcessByStdio<null, Readable, Readable>
  messages: Message[]
  stderr: string[]
  exited: Promise<number | null>
  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor(match: (m: Message) => boolean, timeoutMs?: number): Promise<Message>
}

function startChild(...args: string[]): Child {
  // The children decide for themselves which database they open; an inherited DATABASE_URL would only confuse that.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL'))
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const messages: Message[] = []
  const stderr: string[] = []
  const waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void }[] = []
  let buffer = ''
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        continue
      }
      if (typeof parsed !== 'object' || parsed === null) continue
      const m: Message = { ...parsed }
      messages.push(m)
      for (const w of [...waiters]) {
        if (w.match(m)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(m)
        }
      }
    }
  })
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  const child: Child = {
    proc, messages, stderr, exited,
    waitFor(match, timeoutMs = 60_000) {
      const seen = messages.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child ${args.join(' ')}: no matching message in ${timeoutMs} ms; ` +
          `got ${JSON.stringify(messages)}; stderr ${stderr.join('').slice(-2000)}`)), timeoutMs)
        waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m) } })
        void exited.then(() => {
          setTimeout(() => {
            clearTimeout(timer)
            reject(new Error(`child ${args.join(' ')} exited; got ${JSON.stringify(messages)}; stderr ${stderr.join('').slice(-2000)}`))
          }, 50)
        })
      })
    },
  }
  children.add(child)
  void exited.then(() => children.delete(child))
  return child
}

async function kill(child: Child): Promise<void> {
  child.proc.kill('SIGKILL')
  await child.exited
}

function lockOwner(dir: string): number | undefined {
  const path = `${dir}.lock`
  if (!existsSync(path)) return undefined
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
  return typeof parsed === 'object' && parsed !== null && 'pid' in parsed && typeof parsed.pid === 'number' ? parsed.pid : undefined
}

function committedBatches(child: Child): number[] {
  return child.messages.flatMap((m) => (typeof m.committed === 'number' ? [m.committed] : []))
}

/** After a killed writer: migrations intact, every batch whole, committed ones all there, totals consistent. */
async function verifyWriterDatabase(h: DbHandle, committed: readonly number[]): Promise<{ batches: Map<number, number>; rows: number }> {
  const st = await migrationStatus(h.db)
  assert.deepEqual(st.pending.map((f) => f.version), [], 'no pending migration')
  assert.deepEqual(st.changed, [], 'no changed migration')
  assert.deepEqual(st.applied.map((a) => a.version), readMigrationFiles().map((f) => f.version), 'every migration recorded once')

  const groups = await sql<{ description: string; n: number; audited: number }>`
    select r.description, count(*)::int as n,
           (select count(*)::int from public.audit_logs a
             where a.table_name = 'revenue' and a.action = 'INSERT' and a.new_data ->> 'description' = r.description) as audited
      from public.revenue r group by r.description`.execute(h.db)
  const batches = new Map<number, number>()
  for (const g of groups.rows) {
    const m = /^batch (\d+) of (\d+)$/.exec(g.description)
    assert.ok(m, `unexpected revenue row ${g.description}`)
    const [, k = '', size = ''] = m
    assert.equal(g.n, Number(size), `batch ${k} is whole (${g.n} of ${size} rows): no half-written transaction`)
    assert.equal(g.audited, g.n, `batch ${k}: one audit row per row`)
    batches.set(Number(k), g.n)
  }
  for (const k of committed) assert.ok(batches.has(k), `batch ${k}, reported committed before the kill, is there`)
  const present = [...batches.keys()].sort((a, b) => a - b)
  assert.deepEqual(present, present.map((_, i) => i + 1), 'batches form an unbroken sequence 1..n')

  const rows = [...batches.values()].reduce((s, n) => s + n, 0)
  const totals = await h.db.selectFrom('customers').select(['total_revenue']).execute()
  assert.deepEqual(totals.map((t) => t.total_revenue), [`${rows}.00`], 'the customer total is the sum of the batches present')
  assert.deepEqual(await inconsistentCustomers(h.db), [])
  assert.deepEqual(await crossTenantRows(h.db), [])
  const auditTotal = await sql<{ n: number }>`select count(*)::int as n from public.audit_logs where table_name = 'revenue'`.execute(h.db)
  assert.equal(auditTotal.rows[0]?.n, rows, 'no audit row without its revenue row')
  return { batches, rows }
}

/** The database still takes writes, closes cleanly and opens again without a lock left behind. */
async function stillWorks(dir: string, h: DbHandle): Promise<void> {
  const org = await h.db.selectFrom('organizations').select('id').executeTakeFirstOrThrow()
  await asSystem(h.db, (trx) => trx.insertInto('customers').values({ organization_id: org.id, name: 'after the crash' }).execute())
  await h.close()
  assert.equal(existsSync(`${dir}.lock`), false, 'lock released on close')
  const again = await createDb({ dataDir: dir })
  try {
    const n = await again.db.selectFrom('customers').select('name').where('name', '=', 'after the crash').execute()
    assert.equal(n.length, 1)
  } finally {
    await again.close()
  }
}

// The embedded faults don't depend on the server: run them once, in CI's embedded pass.
const embeddedOnly = onServer && 'embedded database only: runs when DATABASE_URL is not set'

describe('SIGKILL of a process writing the embedded database', { skip: embeddedOnly }, () => {
  it('killed during a large INSERT ... SELECT transaction: reopened here, none of it is there, the rest is whole', async (t) => {
    const dir = join(root, 'big')
    await copyMigratedDataDir(dir) // the child's migrate() then finds nothing to do: the writes are what is killed
    const child = startChild('write', dir, '500', '400000')
    await child.waitFor((m) => m.bigStarted === true)
    await delay(700)
    assert.equal(child.messages.some((m) => m.committed === 4), false, 'the big batch is still running when killed')
    await kill(child)
    const committed = committedBatches(child)
    assert.deepEqual(committed, [1, 2, 3])
    assert.equal(lockOwner(dir), child.proc.pid, 'the killed process left its lock behind')

    const h = await createDb({ dataDir: dir })
    const { batches, rows } = await verifyWriterDatabase(h, committed)
    assert.equal(batches.has(4), false, 'nothing of the killed transaction is there')
    t.diagnostic(`after SIGKILL mid-transaction: batches ${[...batches.keys()].join(', ')} (${rows} rows) intact, the 400,000-row batch absent`)
    await stillWorks(dir, h)
  })

  it('killed between small transactions: every committed batch is there and whole', async (t) => {
    const dir = join(root, 'small')
    await copyMigratedDataDir(dir)
    const child = startChild('write', dir, '200', '0')
    await child.waitFor((m) => m.committed === 5)
    await delay(137)
    await kill(child)
    const committed = committedBatches(child)
    const h = await createDb({ dataDir: dir })
    const { batches } = await verifyWriterDatabase(h, committed)
    assert.ok(batches.size >= committed.length && batches.size <= committed.length + 1,
      `reported ${committed.length} batches committed, found ${batches.size}`)
    t.diagnostic(`after SIGKILL between writes: ${committed.length} batches reported, ${batches.size} present, all whole`)
    await stillWorks(dir, h)
  })

  it('killed in the middle of the first migration file: no partial schema, no history row; migrate then applies everything', async (t) => {
    // A copy of the migrations whose 001 ends with a long sleep: the kill lands after all of 001's DDL
    // ran, inside its still-open transaction.
    const migrations = join(root, 'slow-migrations')
    cpSync(MIGRATIONS_DIR, migrations, { recursive: true })
    const first = readMigrationFiles(migrations)[0]
    assert.ok(first)
    appendFileSync(first.path, '\nselect pg_sleep(60);\n')
    const dir = join(root, 'migrating')
    const child = startChild('migrate', dir, migrations)
    await child.waitFor((m) => m.applying === first.version)
    await delay(1500)
    await kill(child)
    const h = await createDb({ dataDir: dir })
    try {
      const st = await migrationStatus(h.db)
      assert.deepEqual(st.applied, [], 'no history row of the killed file')
      const objects = await sql<{ tables: number; private: number; functions: number }>`
        select (select count(*)::int from pg_catalog.pg_tables where schemaname = 'public') as tables,
               (select count(*)::int from pg_catalog.pg_namespace where nspname = 'private') as private,
               (select count(*)::int from pg_catalog.pg_proc where pronamespace = 'public'::regnamespace) as functions`.execute(h.db)
      assert.deepEqual(objects.rows[0], { tables: 0, private: 0, functions: 0 }, 'nothing of the killed file remains')
      const result = await migrate(h.db)
      const files = readMigrationFiles().map((f) => f.version)
      assert.deepEqual(result.applied.map((f) => f.version), files)
      t.diagnostic(`killed inside ${first.version}'s transaction: nothing of it remained; migrate applied ${files.join(', ')}`)
      const cast = await createCast(h.db)
      const seen = await asUser(h.db, cast.a.memberId, (trx) => trx.selectFrom('customers').select('organization_id').execute())
      assert.ok(seen.length > 0 && seen.every((s) => s.organization_id === cast.a.id), 'the migrated schema isolates tenants')
    } finally {
      await h.close()
    }
  })
})

describe('a second process on the same embedded data directory', { skip: embeddedOnly }, () => {
  it('a child opening a directory this process holds gets DataDirLockedError naming this process', async () => {
    const dir = join(root, 'held-here')
    await copyMigratedDataDir(dir)
    const h = await createDb({ dataDir: dir })
    try {
      await h.db.insertInto('organizations').values({ name: 'Mine', slug: 'mine' }).execute()
      const child = startChild('open', dir)
      const answer = await child.waitFor((m) => 'ok' in m || 'error' in m)
      assert.equal(answer.error, 'DataDirLockedError')
      assert.match(String(answer.message), new RegExp(`already open in process ${process.pid}\\b`))
      assert.match(String(answer.message), /would lose data/)
      assert.equal(await child.exited, 1)
      const orgs = await h.db.selectFrom('organizations').select('slug').execute()
      assert.deepEqual(orgs, [{ slug: 'mine' }], 'the holder keeps working, its data untouched')
    } finally {
      await h.close()
    }
  })

  it('opening a directory a live child holds is refused with its pid; once the child is killed, it is taken over', async () => {
    const dir = join(root, 'held-by-child')
    const child = startChild('hold', dir)
    const ready = await child.waitFor((m) => m.ready === true)
    assert.equal(ready.pid, child.proc.pid)
    await assert.rejects(createDb({ dataDir: dir }), (e: unknown) =>
      e instanceof DataDirLockedError && e.pid === child.proc.pid && e.message.includes(`already open in process ${child.proc.pid}`))
    await kill(child)
    const h = await createDb({ dataDir: dir })
    try {
      assert.equal(lockOwner(dir), process.pid, 'the stale lock was taken over')
    } finally {
      await h.close()
    }
  })
})

describe('PostgreSQL faults', { skip: !onServer && 'PostgreSQL only (set DATABASE_URL)' }, () => {
  // One child process per way of losing the connection; the database is checked from here.
  const SCENARIOS = ['during-query', 'between-statements'] as const
  const lost = new Map<string, { code: number | null; messages: Message[]; stderr: string }>()

  it('a connection terminated mid-session (during a query, or idle between statements): nothing of the transaction is committed', async (t) => {
    const h = await freshDb({ poolSize: 2 })
    try {
      const cast = await createCast(h.db)
      const count = async (table: 'customers' | 'audit_logs') =>
        Number((await h.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
      for (const when of SCENARIOS) {
        const before = { customers: await count('customers'), audit: await count('audit_logs') }
        assert.ok(h.url)
        const child = startChild('terminate', h.url, cast.a.adminId, cast.a.id, when)
        const code = await child.exited
        lost.set(when, { code, messages: child.messages, stderr: child.stderr.join('') })
        assert.ok(child.messages.some((m) => typeof m.backend === 'number'), `${when}: the session was under way when its backend was terminated`)
        assert.equal(child.messages.some((m) => m.committed === true), false, `${when}: the session did not report success`)
        assert.deepEqual({ customers: await count('customers'), audit: await count('audit_logs') }, before, `${when}: no row and no audit row committed`)
        const doomed = await h.db.selectFrom('customers').select('id').where('name', 'like', 'doomed%').execute()
        assert.deepEqual(doomed, [], `${when}: nothing of the session is there`)
        t.diagnostic(`${when}: exit code ${code}; ${JSON.stringify(child.messages.filter((m) => 'sessionError' in m))}`)
      }
    } finally {
      await h.close()
    }
  })

  it('... and the process survives it: the session fails with a clear error, the pool recovers', () => {
    for (const when of SCENARIOS) {
      const run = lost.get(when)
      assert.ok(run, `${when} ran`)
      const crash = /Error: .*\n/.exec(run.stderr)?.[0]?.trim()
      assert.equal(run.code, 0, `${when}: the process exited with ${String(run.code)}${crash ? ` (${crash})` : ''}`)
      const failure = run.messages.find((m) => 'sessionError' in m)
      assert.ok(failure, `${when}: the session reported an error`)
      assert.match(String(failure.message), /terminat|connection/i, `${when}: a clear error`)
      assert.ok(run.messages.some((m) => m.recovered === true), `${when}: new sessions work afterwards`)
    }
  })

  it('two migrate processes at once apply each file once', async () => {
    const created = await createServerDatabase()
    try {
      const a = startChild('migrate', created.url)
      const b = startChild('migrate', created.url)
      const [ra, rb] = await Promise.all([a, b].map((c) => c.waitFor((m) => 'applied' in m || 'error' in m)))
      assert.ok(ra && rb)
      assert.deepEqual([await a.exited, await b.exited], [0, 0], 'both exit cleanly')
      const applied = [ra.applied, rb.applied].flatMap((x) => (Array.isArray(x) ? x.map(String) : []))
      assert.deepEqual(applied.sort(), readMigrationFiles().map((f) => f.version).sort(), 'each file applied by exactly one process')
      const h = await createDb({ databaseUrl: created.url, poolSize: 1 })
      try {
        const rows = await sql<{ version: string; n: number }>`
          select version, count(*)::int as n from supabase_migrations.schema_migrations group by version order by version`.execute(h.db)
        assert.deepEqual(rows.rows, readMigrationFiles().map((f) => ({ version: f.version, n: 1 })))
      } finally {
        await h.close()
      }
    } finally {
      await created.drop()
    }
  })
})
