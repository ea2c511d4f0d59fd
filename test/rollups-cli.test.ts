// tenantry rollups merge / rebuild / verify, as a user runs them (issue 20): verify exits 0 on a seeded
// database and 1, listing the difference, after a write made with the rollup trigger off; rebuild of
// that organization repairs it; merge folds and says what is left.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type CliTarget, cliTarget } from './support/cli.js'

let target: CliTarget
let org = ''

before(async () => {
  target = await cliTarget({ migrated: true })
  const seeded = await target.run(['seed', '--orgs', '2', '--customers', '12'])
  assert.equal(seeded.code, 0, seeded.stderr)
  const slug = await target.run(['sql', 'select slug from public.organizations order by slug limit 1', '--json'])
  assert.equal(slug.code, 0, slug.stderr)
  org = (JSON.parse(slug.stdout) as { slug: string }[])[0]?.slug ?? ''
  assert.ok(org)
})
after(async () => {
  await target?.cleanup()
})

describe('tenantry rollups', () => {
  it('verify: exact after a seed; merge folds whatever is pending', async () => {
    const verify = await target.run(['rollups', 'verify'])
    assert.equal(verify.code, 0, verify.stderr)
    assert.match(verify.stdout, /rollups exact/)
    const merge = await target.run(['rollups', 'merge', '--json'])
    assert.equal(merge.code, 0, merge.stderr)
    const report = JSON.parse(merge.stdout) as { folded: number; pending: Record<string, number> }
    assert.deepEqual(report.pending, { revenue_daily: 0, activities_daily: 0, ai_usage_daily: 0 })
    assert.ok(report.folded >= 0)
  })

  it('verify exits 1 and lists a write made with the trigger off; rebuild --org repairs it', async () => {
    const write = await target.run(['sql', `do $$ begin
      alter table public.revenue disable trigger revenue_rollup_insert;
      insert into public.revenue (organization_id, amount, date) select id, 42.00, '2031-05-06' from public.organizations where slug = '${org}';
      alter table public.revenue enable trigger revenue_rollup_insert;
    end $$`])
    assert.equal(write.code, 0, write.stderr)
    const found = await target.run(['rollups', 'verify', '--json'])
    assert.equal(found.code, 1, found.stderr)
    const differences = JSON.parse(found.stdout) as { rollup: string; day: string; raw: unknown; kept: unknown }[]
    assert.deepEqual(differences.map((d) => [d.rollup, d.day, d.raw, d.kept]), [['revenue_daily', '2031-05-06', { amount: 42.00, invoices: 1 }, null]])
    const table = await target.run(['rollups', 'verify'])
    assert.equal(table.code, 1)
    assert.match(table.stdout, /2031-05-06[\s\S]*1 difference\(s\): run `tenantry rollups rebuild`/)

    const rebuild = await target.run(['rollups', 'rebuild', '--org', org, '--json'])
    assert.equal(rebuild.code, 0, rebuild.stderr)
    const rebuilt = JSON.parse(rebuild.stdout) as { rollup: string; rowsWritten: number }[]
    assert.deepEqual(rebuilt.map((r) => r.rollup), ['revenue_daily', 'activities_daily', 'ai_usage_daily', 'ai_usage_model_daily', 'ai_usage_user_daily'])
    const again = await target.run(['rollups', 'verify', '--org', org])
    assert.equal(again.code, 0, again.stdout)
  })

  it('an unknown organization is a one-line error, exit 1', async () => {
    const r = await target.run(['rollups', 'rebuild', '--org', 'no-such-org'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no organization with id or slug "no-such-org"/)
  })
})
