// supabase/database.types.ts cannot go stale: Supabase's generator, run on this test's freshly migrated
// database (embedded, or a server with DATABASE_URL), gives the committed file byte for byte; a schema
// change shows up in the output; and, when an installed postgres-meta is named, its output on a server
// is the same text (the claim lib/devtools/supabase-types.ts makes).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import { describe, test } from 'node:test'
import { sql } from 'kysely'
import { asSystem } from '../lib/db/index.js'
import { REGENERATE } from '../lib/devtools/regenerate.js'
import { renderSupabaseTypes } from '../lib/devtools/supabase-types.js'
import { SUPABASE_TYPES_FILE } from '../lib/paths.js'
import { onServer, useFreshDb } from './support/db.js'

const h = useFreshDb()

function firstDifference(fresh: string, committed: string): string {
  const a = fresh.split('\n')
  const b = committed.split('\n')
  const line = a.findIndex((l, i) => l !== b[i])
  return `first difference at line ${line + 1}:\n  generated: ${a[line] ?? '(end of file)'}\n  committed: ${b[line] ?? '(end of file)'}`
}

describe('supabase/database.types.ts is what the migrations generate', () => {
  test('regenerating gives the committed file, byte for byte', async () => {
    const committed = existsSync(SUPABASE_TYPES_FILE) ? readFileSync(SUPABASE_TYPES_FILE, 'utf8') : ''
    const fresh = await renderSupabaseTypes(h.db)
    if (fresh !== committed) {
      assert.fail(`supabase/database.types.ts is stale: regenerate it with \`${REGENERATE}\`.\n${firstDifference(fresh, committed)}`)
    }
  })

  test('it covers every table and every function of schema public', async () => {
    const text = readFileSync(SUPABASE_TYPES_FILE, 'utf8')
    const names = await sql<{ kind: string; name: string }>`
      select 'table' as kind, c.relname as name from pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
         and not c.relispartition
      union all
      select 'function', p.proname from pg_proc p
       where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
      order by 1, 2`.execute(h.db)
    assert.ok(names.rows.some((r) => r.name === 'create_organization'))
    const missing = names.rows.filter((r) => !new RegExp(`^ {6}${r.name}: \\{`, 'm').test(text))
    assert.deepEqual(missing, [])
  })

  test('a schema change shows up in the generated text (so the comparison above can fail)', async () => {
    const before = await renderSupabaseTypes(h.db)
    const during = await asSystem(h.db, async (trx) => {
      await sql`create table public.drift_probe (id uuid primary key, label text not null)`.execute(trx)
      await sql`create function public.drift_probe_count(min_len integer) returns bigint language sql
                  as $$ select count(*) from public.drift_probe where length(label) >= min_len $$`.execute(trx)
      return renderSupabaseTypes(trx)
    }, { rollback: true })
    assert.notEqual(during, before)
    assert.match(during, /^ {6}drift_probe: \{\n {8}Row: \{\n {10}id: string\n {10}label: string/m)
    assert.match(during, /drift_probe_count: \{ Args: \{ min_len: number \}; Returns: number \}/)
    assert.equal(await renderSupabaseTypes(h.db), before, 'rolled back: the output is as before')
  })
})

// The parity check needs postgres-meta (~210 MB, kept out of the project's dependencies) and a real
// server. CI's PostgreSQL pass installs the version Supabase CLI 2.117.0 runs from .ci/postgres-meta's
// lock and sets TENANTRY_POSTGRES_META (.ci/run); by hand:
//   npm ci --prefix .ci/postgres-meta
//   TENANTRY_POSTGRES_META=.ci/postgres-meta/node_modules/@supabase/postgres-meta DATABASE_URL=... node --import tsx --test test/supabase-js-types-drift.test.ts
describe('the same text as postgres-meta (supabase gen types typescript)', () => {
  const pgMeta = process.env.TENANTRY_POSTGRES_META
  const skip = !pgMeta
    ? 'set TENANTRY_POSTGRES_META to an installed @supabase/postgres-meta to compare with it'
    : !onServer
      ? 'postgres-meta needs a PostgreSQL server (DATABASE_URL); it cannot reach the embedded database'
      : false
  test('postgres-meta on this database prints supabase/database.types.ts', { skip }, async () => {
    const url = h.url
    assert.ok(pgMeta && url)
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [resolvePath(pgMeta, 'dist', 'server', 'server.js')], {
        env: {
          PATH: process.env.PATH, PG_META_DB_URL: url, PG_META_GENERATE_TYPES: 'typescript',
          PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS: 'public', PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS: 'true',
          PG_CONN_TIMEOUT_SECS: '30', PG_QUERY_TIMEOUT_SECS: '30',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        if (code === 0) resolve(stdout)
        else reject(new Error(`postgres-meta exited with ${code}: ${stderr}`))
      })
    })
    assert.equal(out, readFileSync(SUPABASE_TYPES_FILE, 'utf8'), firstDifference(out, readFileSync(SUPABASE_TYPES_FILE, 'utf8')))
  })
})
