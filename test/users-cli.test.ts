// `tenantry users add`: a local user with a confirmed address on the embedded database and on a plain
// PostgreSQL (the compatibility layer's auth.users), refused where auth.users is Supabase Auth's (the
// shared test server's template1 is shaped like a Supabase project: auth owned by supabase_auth_admin).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { onServer } from './support/db.js'
import { type CliTarget, cliTarget, lines, type RunResult } from './support/cli.js'

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`)
  return r.stdout
}

function oneLineError(r: RunResult, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code; stdout: ${r.stdout}`)
  const errLines = lines(r.stderr)
  assert.equal(errLines.length, 1, r.stderr)
  assert.match(errLines[0] ?? '', pattern)
}

describe('tenantry users add (embedded, or a plain PostgreSQL database on the server)', () => {
  let target: CliTarget
  before(async () => {
    target = await cliTarget({ template: 'template0', migrated: true })
  })
  after(async () => {
    await target.cleanup()
  })

  it('adds a confirmed user whose profile the trigger makes, in no organization', async () => {
    const out = ok(await target.run(['users', 'add', ' New.Hire@Example.com ', '--name', 'New Hire']))
    assert.match(out, /^Added new\.hire@example\.com \(New Hire\), address confirmed, in no organization \(id [0-9a-f-]{36}\)\.$/m)
    const rows = JSON.parse(ok(await target.run(['sql',
      `select u.email, u.aud, u.role, u.email_confirmed_at is not null as confirmed, p.full_name, p.organization_id, p.role as profile_role
         from auth.users u join profiles p on p.id = u.id`, '--json']))) as unknown[]
    assert.deepEqual(rows, [{
      email: 'new.hire@example.com', aud: 'authenticated', role: 'authenticated', confirmed: true,
      full_name: 'New Hire', organization_id: null, profile_role: 'member',
    }])
    // The user exists for every command that takes --as.
    assert.match(ok(await target.run(['members', '--as', 'new.hire@example.com'])), /belongs to no organization/)
  })

  it('--json; without --name the profile has no name', async () => {
    const added = JSON.parse(ok(await target.run(['users', 'add', 'quiet@example.com', '--json']))) as { email: string; full_name: string | null; id: string }
    assert.equal(added.email, 'quiet@example.com')
    assert.equal(added.full_name, null)
    assert.match(added.id, /^[0-9a-f-]{36}$/)
  })

  it('refuses an address twice (any case), and what is not an address', async () => {
    oneLineError(await target.run(['users', 'add', 'NEW.HIRE@example.com']), /^error: a user with email "new\.hire@example\.com" exists already$/)
    oneLineError(await target.run(['users', 'add', 'not-an-address']), /^error: "not-an-address" is not an email address$/)
  })
})

describe('tenantry users add where auth.users is Supabase Auth\'s', { skip: onServer ? false : 'needs the Supabase-shaped server (DATABASE_URL)' }, () => {
  let target: CliTarget
  before(async () => {
    target = await cliTarget({ migrated: true })
  })
  after(async () => {
    await target.cleanup()
  })

  it('refuses, says to use Supabase Auth, and writes nothing', async () => {
    oneLineError(await target.run(['users', 'add', 'someone@example.com']),
      /^error: auth\.users belongs to Supabase Auth here \(owner supabase_auth_admin\): create users through Supabase Auth instead, by signing up \(supabase\.auth\.signUp\) or with the admin API/)
    const n = JSON.parse(ok(await target.run(['sql', 'select count(*)::int as n from auth.users', '--json']))) as { n: number }[]
    assert.deepEqual(n, [{ n: 0 }])
  })
})
