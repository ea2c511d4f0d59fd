// `tenantry token` mints what a local Supabase would issue; `tenantry sql --token` runs as whoever a
// token proves, and turns away a token that proves nothing in one line. Each command runs as a process
// against this file's own database.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { LOCAL_JWT_SECRET } from '../cli/helpers.js'
import { verifyAccessToken } from '../lib/db/index.js'
import { type CliTarget, cliTarget, lines, type RunResult } from './support/cli.js'

let target: CliTarget
let userId: string
const EMAIL = 'token-user@example.com'

const run = (args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> => target.run(args, { env })

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`)
  return r.stdout.trim()
}

/** One line on stderr, no stack trace, the given exit code. */
function oneLineError(r: RunResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`)
  const errLines = lines(r.stderr)
  assert.equal(errLines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  assert.match(errLines[0] ?? '', pattern)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
}

before(async () => {
  target = await cliTarget({ migrated: true })
  const created = ok(await run(['sql', `insert into auth.users (id, email, created_at, updated_at)
    values (gen_random_uuid(), '${EMAIL}', now(), now()) returning id`, '--json']))
  const rows: unknown = JSON.parse(created)
  assert.ok(Array.isArray(rows) && typeof rows[0]?.id === 'string')
  userId = rows[0].id
})
after(async () => {
  await target?.cleanup()
})

describe('tenantry token and sql --token', () => {
  it('token --as <email> prints a token that verifies against the local secret, for that user', async () => {
    const token = ok(await run(['token', '--as', EMAIL.toUpperCase(), '--expires-in', '15m']))
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    const claims = await verifyAccessToken(token, { secret: LOCAL_JWT_SECRET })
    assert.equal(claims.role, 'authenticated')
    if (claims.role !== 'authenticated') return
    assert.equal(claims.sub, userId)
    assert.equal(claims.email, EMAIL)
    assert.equal(claims.exp - (claims.iat ?? 0), 900)

    const seen = JSON.parse(ok(await run(['sql', "select auth.uid()::text as uid, current_user as role, auth.jwt() ->> 'email' as email", '--token', token, '--json'])))
    assert.deepEqual(seen, [{ uid: userId, role: 'authenticated', email: EMAIL }])
  })

  it('the anon and service keys run as anon and service_role', async () => {
    const anon = ok(await run(['token', '--as', 'anon']))
    const service = ok(await run(['token', '--as', 'service']))
    // One after the other: the embedded database admits one process at a time.
    assert.deepEqual(JSON.parse(ok(await run(['sql', 'select current_user as role', '--token', anon, '--json']))), [{ role: 'anon' }])
    assert.deepEqual(JSON.parse(ok(await run(['sql', 'select current_user as role', '--token', service, '--json']))), [{ role: 'service_role' }])
  })

  it('a tampered, foreign or garbage token: one line, exit 1, nothing runs', async () => {
    const token = ok(await run(['token', '--as', EMAIL]))
    const [header, payload, signature] = token.split('.')
    const claims: unknown = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())
    assert.ok(typeof claims === 'object' && claims !== null)
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'service_role', sub: undefined })).toString('base64url')}.${signature}`
    // Neither opens the database (the token is checked first), so both may run at once.
    const results = await Promise.all([
      run(['sql', 'select 1', '--token', tampered]),
      // The token was minted with the local default; a server configured with its own secret refuses it.
      run(['sql', 'select 1', '--token', token], { TENANTRY_JWT_SECRET: 'the-real-project-secret-of-at-least-32-chars' }),
    ])
    oneLineError(results[0] ?? assert.fail(), 1, /^error: access token rejected: the signature does not match/)
    oneLineError(results[1] ?? assert.fail(), 1, /^error: access token rejected: the signature does not match/)
    oneLineError(await run(['sql', 'select 1', '--token', 'garbage']), 1, /^error: access token rejected: not a JWT/)
  })

  it('mistakes in the options: unknown user, bad duration, --token with --as', async () => {
    // Only the first opens the database.
    const [unknown, duration, both] = await Promise.all([
      run(['token', '--as', 'nobody@example.com']),
      run(['token', '--as', EMAIL, '--expires-in', '30d']),
      run(['sql', 'select 1', '--as', 'anon', '--token', 'x.y.z']),
    ])
    assert.ok(unknown && duration && both)
    oneLineError(unknown, 1, /no user with email "nobody@example.com"/)
    assert.equal(duration.code, 1)
    assert.match(duration.stderr, /--expires-in.*a week/)
    assert.equal(both.code, 1)
    assert.match(both.stderr, /--token.*cannot be used with.*--as/)
  })
})
