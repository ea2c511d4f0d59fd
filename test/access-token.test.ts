// A request's access token becomes a session only after verification. The tests sign their own tokens
// (HS256 with a secret; ES256 and RS256 with keys served as a JWKS from a loopback HTTP server started
// here) and send every attack token the issue names at verifyAccessToken and asRequest: each must be
// an AccessTokenError (a NotAuthorizedError) with a reason, before any query runs.
import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { exportJWK, exportSPKI, generateKeyPair, type JSONWebKeySet, type JWK, type JWTPayload, SignJWT } from 'jose'
import { sql } from 'kysely'
import {
  AccessTokenError, type AccessTokenKeys, type AccessTokenRejection, asRequest, asSystem, bearerToken, NotAuthorizedError,
  verifyAccessToken, type VerifyAccessTokenOptions,
} from '../lib/db/index.js'
import { useFreshDb } from './support/db.js'
import { useCast } from './support/fixtures.js'

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters'
const OTHER_SECRET = 'another-secret-also-at-least-thirty-two-characters'

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>

interface Signer {
  alg: 'HS256' | 'ES256' | 'RS256'
  key: KeyPair['privateKey'] | Uint8Array
  kid?: string
}

const now = (): number => Math.floor(Date.now() / 1000)

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url')
}

/** A user access token as Supabase Auth issues it, with overrides. */
function userClaims(sub: string, overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: 'http://127.0.0.1:54321/auth/v1', aud: 'authenticated', sub, role: 'authenticated',
    email: 'someone@example.com', session_id: randomUUID(), aal: 'aal1', is_anonymous: false,
    app_metadata: { provider: 'email' }, user_metadata: {}, iat: now(), exp: now() + 3600,
    ...overrides,
  }
}

async function sign(claims: JWTPayload, signer: Signer): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, typ: 'JWT', ...(signer.kid ? { kid: signer.kid } : {}) }).sign(signer.key)
}

/** A token built by hand: any header, any payload, an HMAC-SHA256 with any bytes (or no signature). */
function forge(header: object, payload: JWTPayload, hmacKey?: string | Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  return hmacKey === undefined ? `${input}.` : `${input}.${createHmac('sha256', hmacKey).update(input).digest('base64url')}`
}

/** The token with its payload replaced and its signature kept. */
function withPayload(token: string, payload: JWTPayload): string {
  const [header, , signature] = token.split('.')
  return `${header}.${b64url(JSON.stringify(payload))}.${signature}`
}

async function publicJwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig', key_ops: ['verify'] }
}

/** Expects an AccessTokenError with the given reason (and so a NotAuthorizedError). */
async function rejects(promise: Promise<unknown>, reason: AccessTokenRejection): Promise<AccessTokenError> {
  let caught: unknown
  try {
    await promise
  } catch (e) {
    caught = e
  }
  assert.ok(caught instanceof AccessTokenError, `expected AccessTokenError(${reason}), got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`)
  assert.ok(caught instanceof NotAuthorizedError)
  assert.equal(caught.reason, reason, caught.message)
  assert.equal(caught.code, `TENANTRY_TOKEN_${reason.toUpperCase()}`)
  assert.match(caught.message, /^access token rejected: /)
  return caught
}

const t = useFreshDb()
const cast = useCast(t)
let deletedUserId: string
let es256: KeyPair
let es256Rotated: KeyPair
let rs256: KeyPair
let stranger: KeyPair
let served: JSONWebKeySet
let fetches = 0
let server: Server
let jwksUrl: string
/** A port where nothing listens (a server started and closed again). */
let deadUrl: string
/** A server that accepts the request and never answers. */
let silent: Server
let silentUrl: string

async function listen(s: Server): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`
}

before(async () => {
  deletedUserId = randomUUID()
  es256 = await generateKeyPair('ES256', { extractable: true })
  es256Rotated = await generateKeyPair('ES256', { extractable: true })
  rs256 = await generateKeyPair('RS256', { extractable: true })
  stranger = await generateKeyPair('ES256', { extractable: true })
  served = { keys: [await publicJwk(es256, 'es-1', 'ES256'), await publicJwk(rs256, 'rs-1', 'RS256')] }
  server = createServer((req, res) => {
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served))
  })
  jwksUrl = await listen(server)
  const closed = createServer()
  deadUrl = await listen(closed)
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  silent = createServer(() => {})
  silentUrl = await listen(silent)
})

after(async () => {
  server?.closeAllConnections()
  silent?.closeAllConnections()
  await Promise.all([server, silent].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))))
})

const secretKeys: AccessTokenKeys = { secret: SECRET }
const hs = (): Signer => ({ alg: 'HS256', key: new TextEncoder().encode(SECRET) })
const es = (): Signer => ({ alg: 'ES256', key: es256.privateKey, kid: 'es-1' })
const rs = (): Signer => ({ alg: 'RS256', key: rs256.privateKey, kid: 'rs-1' })
// Each JWKS test gets a URL of its own (a query string), so jose's cache of one does not serve another.
let urlCount = 0
const jwksKeys = (extra: Partial<AccessTokenKeys> = {}): AccessTokenKeys => ({ jwksUrl: `${jwksUrl}?t=${++urlCount}`, ...extra })

/** What a session sees: who it is and how many rows of each tenant table. */
async function seen(token: string | null, keys: AccessTokenKeys, options: VerifyAccessTokenOptions = {}) {
  return asRequest(t.db, token, async (trx) => {
    const who = (await sql<{ role: string; uid: string | null; email: string | null }>`
      select current_user as role, auth.uid() as uid, auth.jwt() ->> 'email' as email`.execute(trx)).rows[0]
    const count = async (table: 'organizations' | 'profiles' | 'customers' | 'revenue' | 'activities' | 'audit_logs' | 'ai_usage_log' | 'user_preferences') =>
      Number((await trx.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
    return {
      role: who?.role, uid: who?.uid, email: who?.email,
      organizations: await count('organizations'), profiles: await count('profiles'), customers: await count('customers'),
      revenue: await count('revenue'), activities: await count('activities'), audit_logs: await count('audit_logs'),
      ai_usage_log: await count('ai_usage_log'), user_preferences: await count('user_preferences'),
    }
  }, { keys, ...options })
}

const NOTHING = { organizations: 0, profiles: 0, customers: 0, revenue: 0, activities: 0, audit_logs: 0, ai_usage_log: 0, user_preferences: 0 }

describe('valid tokens', () => {
  it('HS256 with the project secret: the member\'s session with the token\'s claims', async () => {
    const token = await sign(userClaims(cast.a.memberId, { email: 'member-a@example.com' }), hs())
    const claims = await verifyAccessToken(token, secretKeys)
    assert.equal(claims.role, 'authenticated')
    if (claims.role !== 'authenticated') return
    assert.equal(claims.sub, cast.a.memberId)
    assert.equal(claims.email, 'member-a@example.com')
    const s = await seen(token, secretKeys)
    assert.equal(s.role, 'authenticated')
    assert.equal(s.uid, cast.a.memberId)
    assert.equal(s.email, 'member-a@example.com', 'auth.jwt() carries the token\'s claims')
    assert.equal(s.organizations, 1)
    assert.equal(s.customers, 1, 'the live customer of org A, not B\'s, not the deleted one')
  })

  it('ES256 and RS256 against the JWKS served over HTTP', async () => {
    const keys = jwksKeys()
    for (const signer of [es(), rs()]) {
      const token = await sign(userClaims(cast.b.adminId), signer)
      const s = await seen(token, keys)
      assert.equal(s.uid, cast.b.adminId, signer.alg)
      assert.equal(s.audit_logs > 0, true, 'an admin reads their organization\'s audit trail')
    }
  })

  it('the JWKS given as a key set, without HTTP', async () => {
    const token = await sign(userClaims(cast.a.adminId), es())
    const claims = await verifyAccessToken(token, { jwks: served })
    assert.equal(claims.role === 'authenticated' && claims.sub, cast.a.adminId)
  })

  it('secret and JWKS together (a project moving to asymmetric keys): both kinds pass', async () => {
    const keys = jwksKeys({ secret: SECRET })
    assert.equal((await verifyAccessToken(await sign(userClaims(cast.a.memberId), hs()), keys)).role, 'authenticated')
    assert.equal((await verifyAccessToken(await sign(userClaims(cast.a.memberId), es()), keys)).role, 'authenticated')
  })

  it('expired 5 s ago, or valid from 5 s ahead: inside the clock tolerance (10 s)', async () => {
    await verifyAccessToken(await sign(userClaims(cast.a.memberId, { exp: now() - 5 }), hs()), secretKeys)
    await verifyAccessToken(await sign(userClaims(cast.a.memberId, { nbf: now() + 5 }), hs()), secretKeys)
  })

  it('no token: an anonymous session, which sees nothing', async () => {
    const s = await seen(null, secretKeys)
    assert.equal(s.role, 'anon')
    assert.equal(s.uid, null)
    assert.deepEqual({ ...s, role: undefined, uid: undefined, email: undefined }, { role: undefined, uid: undefined, email: undefined, ...NOTHING })
  })

  it('the anon key (role anon, no user, no aud): an anonymous session', async () => {
    const anonKey = await sign({ iss: 'supabase', ref: 'local', role: 'anon', iat: now(), exp: now() + 3600 }, hs())
    const s = await seen(anonKey, secretKeys)
    assert.equal(s.role, 'anon')
    assert.equal(s.customers, 0)
  })

  it('the service key only with allowServiceRole: then service_role, which bypasses RLS', async () => {
    const serviceKey = await sign({ iss: 'supabase', ref: 'local', role: 'service_role', iat: now(), exp: now() + 3600 }, hs())
    await rejects(seen(serviceKey, secretKeys), 'role')
    const s = await seen(serviceKey, secretKeys, { allowServiceRole: true })
    assert.equal(s.role, 'service_role')
    assert.equal(s.organizations, 2)
  })

  it('bearerToken reads an Authorization header', () => {
    assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi')
    assert.equal(bearerToken(null), null)
    assert.throws(() => bearerToken('Basic dXNlcjpwYXNz'), AccessTokenError)
  })
})

describe('attack tokens: each rejected with a reason, before any query runs', () => {
  /** Sends the token through asRequest with a callback that must never run. */
  async function refused(token: string, keys: AccessTokenKeys, reason: AccessTokenRejection, options: VerifyAccessTokenOptions = {}): Promise<string> {
    let ran = false
    const e = await rejects(asRequest(t.db, token, async () => {
      ran = true
    }, { keys, ...options }), reason)
    assert.equal(ran, false, 'the session ran for a rejected token')
    await rejects(verifyAccessToken(token, keys, options), reason)
    return e.message
  }

  it('expired an hour ago', async () => {
    const message = await refused(await sign(userClaims(cast.a.adminId, { iat: now() - 7200, exp: now() - 3600 }), hs()), secretKeys, 'expired')
    assert.match(message, /expired/)
  })

  it('not valid for another hour (nbf)', async () => {
    await refused(await sign(userClaims(cast.a.adminId, { nbf: now() + 3600 }), hs()), secretKeys, 'not_yet_valid')
  })

  it('no exp: a token that would never expire', async () => {
    const { exp: _exp, ...forever } = userClaims(cast.a.adminId)
    await refused(await sign(forever, hs()), secretKeys, 'claims')
  })

  it('wrong audience, or none', async () => {
    await refused(await sign(userClaims(cast.a.adminId, { aud: 'some-other-app' }), hs()), secretKeys, 'audience')
    const { aud: _aud, ...noAud } = userClaims(cast.a.adminId)
    await refused(await sign(noAud, hs()), secretKeys, 'audience')
  })

  it('wrong issuer, when the server names one', async () => {
    await refused(await sign(userClaims(cast.a.adminId, { iss: 'https://evil.example/auth/v1' }), hs()), secretKeys, 'issuer',
      { issuer: 'http://127.0.0.1:54321/auth/v1' })
  })

  it('signed with another secret', async () => {
    await refused(await sign(userClaims(cast.a.adminId), { alg: 'HS256', key: new TextEncoder().encode(OTHER_SECRET) }), secretKeys, 'signature')
  })

  it('signed with a key outside the JWKS: same kid -> signature, unknown kid -> unknown_key', async () => {
    const keys = jwksKeys()
    await refused(await sign(userClaims(cast.a.adminId), { alg: 'ES256', key: stranger.privateKey, kid: 'es-1' }), keys, 'signature')
    await refused(await sign(userClaims(cast.a.adminId), { alg: 'ES256', key: stranger.privateKey, kid: 'not-published' }), keys, 'unknown_key')
  })

  it('tampered payload: another user\'s sub, another organization\'s admin, or role postgres, signature kept', async () => {
    const token = await sign(userClaims(cast.a.memberId), hs())
    await refused(withPayload(token, userClaims(cast.b.adminId)), secretKeys, 'signature')
    await refused(withPayload(token, userClaims(cast.a.memberId, { role: 'service_role' })), secretKeys, 'signature')
    const esToken = await sign(userClaims(cast.a.memberId), es())
    await refused(withPayload(esToken, userClaims(cast.a.adminId)), { jwks: served }, 'signature')
  })

  it('alg none (unsigned), with and without a signature part', async () => {
    const claims = userClaims(cast.a.adminId)
    await refused(forge({ alg: 'none', typ: 'JWT' }, claims), secretKeys, 'algorithm')
    await refused(forge({ alg: 'none', typ: 'JWT' }, claims), jwksKeys(), 'algorithm')
    await refused(forge({ alg: 'None', typ: 'JWT' }, claims, SECRET), secretKeys, 'algorithm')
  })

  it('HS256 keyed with the public key (RS256/ES256 -> HS256 confusion)', async () => {
    const claims = userClaims(cast.a.adminId)
    const pem = await exportSPKI(rs256.publicKey)
    const jwkJson = JSON.stringify(served.keys[1])
    // Only public keys configured: an HS256 token is refused before any signature is checked.
    await refused(forge({ alg: 'HS256', typ: 'JWT', kid: 'rs-1' }, claims, pem), jwksKeys(), 'algorithm')
    await refused(forge({ alg: 'HS256', typ: 'JWT', kid: 'rs-1' }, claims, jwkJson), { jwks: served }, 'algorithm')
    // Secret and JWKS both configured: HS256 is checked against the secret only, and fails.
    await refused(forge({ alg: 'HS256', typ: 'JWT', kid: 'rs-1' }, claims, pem), jwksKeys({ secret: SECRET }), 'signature')
  })

  it('an algorithm Supabase does not sign with (HS512, PS256, ES384)', async () => {
    await refused(forge({ alg: 'HS512', typ: 'JWT' }, userClaims(cast.a.adminId), SECRET), secretKeys, 'algorithm')
    await refused(forge({ alg: 'PS256', typ: 'JWT', kid: 'rs-1' }, userClaims(cast.a.adminId), SECRET), { jwks: served }, 'algorithm')
    await refused(forge({ alg: 'ES384', typ: 'JWT', kid: 'es-1' }, userClaims(cast.a.adminId), SECRET), { jwks: served }, 'algorithm')
  })

  it('an asymmetric token where only the secret is configured', async () => {
    await refused(await sign(userClaims(cast.a.adminId), es()), secretKeys, 'algorithm')
  })

  it('a user token claiming role service_role: refused, even with allowServiceRole', async () => {
    const token = await sign(userClaims(cast.a.memberId, { role: 'service_role' }), hs())
    await refused(token, secretKeys, 'role')
    const message = await refused(token, secretKeys, 'role', { allowServiceRole: true })
    assert.match(message, /must not name a user/)
  })

  it('a token claiming a database role: postgres, supabase_admin, or none', async () => {
    await refused(await sign(userClaims(cast.a.memberId, { role: 'postgres' }), hs()), secretKeys, 'role')
    await refused(await sign(userClaims(cast.a.memberId, { role: 'supabase_admin' }), hs()), secretKeys, 'role', { allowServiceRole: true })
    const { role: _role, ...noRole } = userClaims(cast.a.memberId)
    await refused(await sign(noRole, hs()), secretKeys, 'role')
  })

  it('a sub that is not a user id, or no sub at all', async () => {
    await refused(await sign(userClaims('not-a-uuid'), hs()), secretKeys, 'claims')
    await refused(await sign(userClaims("' or 1=1 --"), hs()), secretKeys, 'claims')
    const { sub: _sub, ...noSub } = userClaims(cast.a.memberId)
    await refused(await sign(noSub, hs()), secretKeys, 'claims')
    await refused(await sign(userClaims(cast.a.memberId, { app_metadata: 'admin' }), hs()), secretKeys, 'claims')
  })

  it('garbage', async () => {
    for (const junk of ['', 'garbage', 'a.b', 'a.b.c', '...', 'Bearer x.y.z', `${b64url('{"alg":')}.${b64url('{}')}.x`, 'x'.repeat(10_000)]) {
      await refused(junk, secretKeys, 'malformed')
    }
    // Well signed, but what is signed is not a claims object.
    for (const body of ['not json', '[1,2]', '"a string"']) {
      const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(body)}`
      await refused(`${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`, secretKeys, 'malformed')
    }
    await refused(`${b64url(JSON.stringify({ alg: 'HS256' }))}.not-base64-json.${b64url('sig')}`, secretKeys, 'signature')
  })
})

describe('a valid token for a user who no longer exists', () => {
  it('verifies (the signature is good) but the session sees nothing and can create nothing', async () => {
    // A user created and deleted again: the profile goes with the auth user.
    await asSystem(t.db, async (trx) => {
      await sql`insert into auth.users (id, email, created_at, updated_at) values (${deletedUserId}, 'gone@example.com', now(), now())`.execute(trx)
      await sql`delete from auth.users where id = ${deletedUserId}`.execute(trx)
    })
    const token = await sign(userClaims(deletedUserId, { email: 'gone@example.com' }), hs())
    const s = await seen(token, secretKeys)
    assert.equal(s.role, 'authenticated')
    assert.equal(s.uid, deletedUserId)
    assert.deepEqual({ ...s, role: undefined, uid: undefined, email: undefined }, { role: undefined, uid: undefined, email: undefined, ...NOTHING })
    const helpers = await asRequest(t.db, token, async (trx) => (await sql<{ org: string | null; admin: string | null }>`
      select private.current_org_id() as org, private.admin_org_id() as admin`.execute(trx)).rows[0], { keys: secretKeys })
    assert.deepEqual(helpers, { org: null, admin: null })
    let error: unknown
    try {
      await asRequest(t.db, token, (trx) => sql`select public.create_organization('Ghost Inc', 'ghost')`.execute(trx), { keys: secretKeys })
    } catch (e) {
      error = e
    }
    assert.ok(error instanceof NotAuthorizedError, `create_organization for a deleted user: ${String(error)}`)
    assert.match(error.message, /has no profile/)
  })
})

describe('the JWKS: fetched once, fetched again for an unknown kid, bounded in time', () => {
  it('many verifications, one fetch', async () => {
    const keys = jwksKeys()
    const before = fetches
    for (let i = 0; i < 5; i++) await verifyAccessToken(await sign(userClaims(cast.a.memberId), es()), keys)
    assert.equal(fetches - before, 1)
  })

  it('a rotated key (unknown kid) triggers one more fetch and is accepted', async () => {
    const keys = jwksKeys({ jwksCooldownMs: 0 })
    await verifyAccessToken(await sign(userClaims(cast.a.memberId), es()), keys)
    const before = fetches
    served = { keys: [...served.keys, await publicJwk(es256Rotated, 'es-2', 'ES256')] }
    const rotated = await sign(userClaims(cast.a.memberId), { alg: 'ES256', key: es256Rotated.privateKey, kid: 'es-2' })
    assert.equal((await verifyAccessToken(rotated, keys)).role, 'authenticated')
    assert.equal(fetches - before, 1)
  })

  it('within the cooldown an unknown kid does not fetch again (no fetch storm from forged kids)', async () => {
    const keys = jwksKeys()
    await verifyAccessToken(await sign(userClaims(cast.a.memberId), es()), keys)
    const before = fetches
    for (let i = 0; i < 3; i++) {
      await rejects(verifyAccessToken(await sign(userClaims(cast.a.memberId), { alg: 'ES256', key: stranger.privateKey, kid: `forged-${i}` }), keys), 'unknown_key')
    }
    assert.equal(fetches - before, 0)
  })

  it('nothing listening, or a server that never answers: rejected as keys, within the timeout', async () => {
    const token = await sign(userClaims(cast.a.memberId), es())
    await rejects(verifyAccessToken(token, { jwksUrl: deadUrl }), 'keys')
    const started = Date.now()
    const e = await rejects(verifyAccessToken(token, { jwksUrl: silentUrl, jwksTimeoutMs: 300 }), 'keys')
    assert.match(e.message, /timed out/)
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`)
  })

  it('keys missing or too weak: rejected as keys, not a crash', async () => {
    const token = await sign(userClaims(cast.a.memberId), hs())
    await rejects(verifyAccessToken(token, {}), 'keys')
    await rejects(verifyAccessToken(token, { secret: 'short' }), 'keys')
    await rejects(verifyAccessToken(await sign(userClaims(cast.a.memberId), es()), { jwksUrl: 'not a url' }), 'keys')
  })
})
