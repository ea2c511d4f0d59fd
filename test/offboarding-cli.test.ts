// tenantry orgs delete | restore | purge, users erase, export and import, each as a process against this
// file's own database: the happy path end to end, and a refusal as one line with exit 1.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type CliTarget, cliTarget, lines, type RunResult } from './support/cli.js'

let target: CliTarget
let exportDir: string
const ADMIN = 'off-admin@example.com'
const MEMBER = 'off-member@example.com'
const run = (args: string[]): Promise<RunResult> => target.run(args)

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`)
  return r.stdout.trim()
}

before(async () => {
  target = await cliTarget({ migrated: true })
  exportDir = mkdtempSync(join(tmpdir(), 'tenantry-cli-export-'))
  ok(await run(['sql', `insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data, created_at, updated_at)
    select gen_random_uuid(), e, now(), jsonb_build_object('full_name', initcap(split_part(e, '@', 1))), now(), now()
      from unnest(array['${ADMIN}', '${MEMBER}']) e`]))
  ok(await run(['sql', "select public.create_organization('Offboard Co', 'offboard-co')", '--as', ADMIN]))
  ok(await run(['sql', `with m as (update public.profiles set organization_id = (select id from public.organizations) where email = '${MEMBER}')
    insert into public.customers (organization_id, name) select id, 'Cust ' || g from public.organizations, generate_series(1, 30) g`]))
})
after(async () => {
  await target?.cleanup()
  rmSync(exportDir, { recursive: true, force: true })
})

// Few processes on purpose (each starts the CLI and opens the database): the refusals and the restore
// are checked once each; the flows behind them are tested in test/offboarding.test.ts.
describe('tenantry export, users erase, orgs delete | purge | restore', () => {
  it('export writes the files and the manifest; erase removes a person and their auth user', async () => {
    const manifest = JSON.parse(ok(await run(['export', '--as', ADMIN, '--out', exportDir, '--page-rows', '7', '--json']))) as
      { tables: Record<string, { rows: number; sha256: string }> }
    assert.equal(manifest.tables.customers?.rows, 30)
    assert.match(manifest.tables.customers?.sha256 ?? '', /^[0-9a-f]{64}$/)
    const erased = JSON.parse(ok(await run(['users', 'erase', MEMBER, '--yes', '--json']))) as { auth_user_deleted: boolean }
    assert.equal(erased.auth_user_deleted, true)
  })

  it('delete needs the exact name; purge removes it after the grace, in batches; restore is then refused', async () => {
    const wrong = await run(['orgs', 'delete', '--as', ADMIN, '--confirm-name', 'offboard co'])
    assert.equal(wrong.code, 1)
    assert.match(lines(wrong.stderr)[0] ?? '', /confirm_name must be the organization's name/)
    const requested = JSON.parse(ok(await run(['orgs', 'delete', '--as', ADMIN, '--confirm-name', 'Offboard Co', '--json']))) as { purge_after: string }
    assert.ok(Date.parse(requested.purge_after) > Date.now() + 29 * 86_400_000)
    const asOf = new Date(Date.now() + 31 * 86_400_000).toISOString()
    const purged = JSON.parse(ok(await run(['orgs', 'purge', '--as-of', asOf, '--batch-rows', '10', '--yes', '--json']))) as { purged: string[]; batches: number; rows: number }
    assert.equal(purged.purged.length, 1)
    assert.ok(purged.batches >= 4, `batches: ${purged.batches}`)
    const restore = await run(['orgs', 'restore', '--as', ADMIN])
    assert.equal(restore.code, 1)
    assert.match(lines(restore.stderr)[0] ?? '', /only an admin of an organization can cancel/)
  })
})
