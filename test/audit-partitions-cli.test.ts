// tenantry audit partitions / audit prune, as a user runs them (issue 15): the refusals, the export, the
// trail row a prune leaves, and `tenantry audit` reading as before.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { monthOf } from '../lib/db/index.js'
import { type CliTarget, cliTarget } from './support/cli.js'

let target: CliTarget
let exportDir: string
const now = new Date()
/** A month old enough to prune: the one before the previous month. */
const old = monthOf(now, -2)

before(async () => {
  target = await cliTarget({ migrated: true })
  exportDir = mkdtempSync(join(tmpdir(), 'tenantry-audit-export-'))
  const seeded = await target.run(['seed', '--orgs', '3', '--customers', '12'])
  assert.equal(seeded.code, 0, seeded.stderr)
  // Three rows in a month with no partition yet: they land in the default partition.
  const sql = await target.run(['sql', `insert into public.audit_logs (organization_id, action, table_name, created_at)
    select id, 'INSERT', 'customers', timestamptz '${old}-10 12:00:00+00' from public.organizations`])
  assert.equal(sql.code, 0, sql.stderr)
})
after(async () => {
  await target?.cleanup()
  rmSync(exportDir, { recursive: true, force: true })
})

describe('tenantry audit partitions / prune', () => {
  it('partitions lists the months, and the rows sitting in the default partition', async () => {
    const r = await target.run(['audit', 'partitions', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const parts = JSON.parse(r.stdout) as { partition: string; month: string | null; rows: number }[]
    assert.deepEqual(parts.at(-1), { partition: 'private.audit_logs_default', month: null, rows: 3 })
    for (const m of [monthOf(now), monthOf(now, 3)]) assert.ok(parts.some((p) => p.month === m), `month ${m}`)
  })

  it('refuses the current and the previous month, a bad month, and a prune nobody confirmed', async () => {
    // --before names the first month kept: the current month, or any later one, would drop the previous month.
    for (const month of [monthOf(now), monthOf(now, 2)]) {
      const r = await target.run(['audit', 'prune', '--before', month, '--yes'])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /refusing to prune .* the current .* and the previous month are kept/)
    }
    const bad = await target.run(['audit', 'prune', '--before', '2025-1', '--yes'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /--before must be a month as YYYY-MM/)
    const unconfirmed = await target.run(['audit', 'prune', '--before', old])
    assert.equal(unconfirmed.code, 1)
    assert.match(unconfirmed.stderr, /without --yes/)
  })

  it('prunes with --yes, exporting each month first, and leaves its row in each organization\'s trail', async () => {
    const r = await target.run(['audit', 'prune', '--before', monthOf(now, -1), '--yes', '--export-dir', exportDir, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const result = JSON.parse(r.stdout) as { months: { month: string; rows: number; file: string }[]; rows: number }
    assert.deepEqual(result.months.map((m) => [m.month, m.rows]), [[old, 3]])
    const file = join(exportDir, `audit_logs_${old}.jsonl.gz`)
    assert.ok(existsSync(file))
    const rows = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { created_at: string })
    assert.equal(rows.length, 3)
    assert.ok(rows.every((x) => x.created_at.startsWith(`${old}-10`)))

    const parts = JSON.parse((await target.run(['audit', 'partitions', '--json'])).stdout) as { month: string | null; rows: number }[]
    assert.ok(!parts.some((p) => p.month === old), 'the month is gone')
    assert.equal(parts.at(-1)?.rows, 0, 'the default partition is empty')

    const slug = JSON.parse((await target.run(['sql', '--json', 'select slug from public.organizations order by slug limit 1'])).stdout) as { slug: string }[]
    const trail = await target.run(['audit', '--org', slug[0]?.slug ?? '', '--action', 'DELETE'])
    assert.equal(trail.code, 0, trail.stderr)
    assert.match(trail.stdout, new RegExp(`audit_logs .* pruned ${old} \\(1 rows; by `))

    const again = await target.run(['audit', 'prune', '--before', monthOf(now, -1), '--yes'])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /nothing to prune/)
  })

  it('audit still wants --org', async () => {
    const r = await target.run(['audit'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /--org/)
  })
})
