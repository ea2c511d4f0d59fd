// `tenantry invite`, `accept` and `members`: an admin invites and gets the token with the command that
// accepts it, the invitee accepts, members lists both; refusals are one line on stderr with exit 1.
// Each command runs as a process against this file's own database.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { acceptCommand, validForInterval } from '../cli/commands/invite.js'
import { type CliTarget, cliTarget, lines, type RunResult } from './support/cli.js'

let target: CliTarget
const ADMIN = 'cli-admin@example.com'
const NEWCOMER = 'cli-newcomer@example.com'
const STRANGER = 'cli-stranger@example.com'

const run = (args: string[]): Promise<RunResult> => target.run(args)

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`)
  return r.stdout.trim()
}

function oneLineError(r: RunResult, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`)
  const errLines = lines(r.stderr)
  assert.equal(errLines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  assert.match(errLines[0] ?? '', pattern)
}

before(async () => {
  target = await cliTarget({ migrated: true })
  // Confirmed users, as GoTrue leaves them after sign-up; the admin founds an organization.
  ok(await run(['sql', `insert into auth.users (id, email, email_confirmed_at, created_at, updated_at)
    select gen_random_uuid(), e, now(), now(), now() from unnest(array['${ADMIN}', '${NEWCOMER}', '${STRANGER}']) e`]))
  ok(await run(['sql', "select public.create_organization('CLI Team', 'cli-team')", '--as', ADMIN]))
})
after(async () => {
  await target?.cleanup()
})

describe('tenantry invite / accept / members', () => {
  it('invite prints the token once and the command that accepts it; accept joins; members shows both', async () => {
    const invited = JSON.parse(ok(await run(['invite', NEWCOMER, '--as', ADMIN, '--role', 'admin', '--valid-for', '2d', '--json']))) as
      { invitation_id: string; token: string; expires_at: string; accept: string }
    assert.match(invited.token, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(invited.accept, acceptCommand(invited.token, NEWCOMER))
    const days = (Date.parse(invited.expires_at) - Date.now()) / 86_400_000
    assert.ok(days > 1.99 && days <= 2, String(days))

    const pending = JSON.parse(ok(await run(['members', '--as', ADMIN, '--json']))) as { invitations: { email: string; state: string; role: string }[] }
    assert.deepEqual(pending.invitations.map((i) => [i.email, i.state, i.role]), [[NEWCOMER, 'pending', 'admin']])
    assert.ok(!JSON.stringify(pending).includes(invited.token), 'members never shows a token')

    const waiting = JSON.parse(ok(await run(['members', '--as', NEWCOMER, '--json']))) as { organization: unknown; myInvitations: { organization_name: string }[] }
    assert.equal(waiting.organization, null)
    assert.deepEqual(waiting.myInvitations.map((i) => i.organization_name), ['CLI Team'])

    // Options first and the token after `--`: the form that takes any token (one in 64 begins with '-').
    oneLineError(await run(['accept', '--as', STRANGER, '--', invited.token]), /addressed to another email address/)
    assert.match(ok(await run(['accept', '--as', NEWCOMER, '--', invited.token])), /joined CLI Team \(cli-team\) as admin/)
    oneLineError(await run(['accept', '--as', NEWCOMER, '--', invited.token]), /was accepted and can no longer be accepted/)

    const text = ok(await run(['members', '--as', ADMIN]))
    assert.match(text, /CLI Team \(cli-team\): 2 member\(s\)/)
    assert.match(text, new RegExp(`${NEWCOMER}.*admin`))
    assert.match(text, /accepted/)
  })

  it('the human output names the token and the accept command', async () => {
    const out = ok(await run(['invite', 'later@example.com', '--as', ADMIN]))
    assert.match(out, /^Invited later@example\.com as member, valid until /m)
    assert.match(out, /^Token \(shown once; only its hash is stored\): [A-Za-z0-9_-]{43}$/m)
    assert.match(out, /^ {2}tenantry accept ([A-Za-z0-9_][A-Za-z0-9_-]{42} --as 'later@example\.com'|--as 'later@example\.com' -- -[A-Za-z0-9_-]{42})$/m)
  })

  it('refusals: a member inviting, a bad role, a bad validity, an unknown token, an unknown user', async () => {
    oneLineError(await run(['invite', 'x@example.com', '--as', STRANGER]), /only an admin of an organization can invite members/)
    oneLineError(await run(['invite', 'x@example.com', '--as', ADMIN, '--role', 'owner']), /--role must be admin or member/)
    oneLineError(await run(['invite', 'x@example.com', '--as', ADMIN, '--valid-for', '45d']), /1 hour to 30 days/)
    oneLineError(await run(['invite', 'not an address', '--as', ADMIN]), /not an email address/)
    oneLineError(await run(['accept', 'no-such-token', '--as', STRANGER]), /no invitation matches this token/)
    oneLineError(await run(['accept', '--as', STRANGER, '--', '-no-such-token']), /no invitation matches this token/)
    oneLineError(await run(['members', '--as', 'nobody@example.com']), /no user with email "nobody@example\.com"/)
  })

  it('durations and the accept command are spelled for the shell', () => {
    assert.equal(validForInterval('7d'), '7 days')
    assert.equal(validForInterval('12h'), '12 hours')
    assert.equal(validForInterval(' 2w '), '2 weeks')
    assert.equal(validForInterval('36 hours'), '36 hours')
    assert.equal(acceptCommand('tok', "o'brien@example.com"), `tenantry accept tok --as 'o'\\''brien@example.com'`)
    // A token that begins with '-' would be read as an option: it goes after `--`, behind the options.
    assert.equal(acceptCommand('-tok', 'a@example.com', '/tmp/d'), `tenantry accept --as 'a@example.com' --data-dir '/tmp/d' -- -tok`)
  })
})
