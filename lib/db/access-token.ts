// From a request's access token to a tenant session. Supabase Auth signs access tokens with the
// project's JWT secret (HS256, the legacy signing key) or with an asymmetric signing key whose public
// half it publishes as a JWKS (/auth/v1/.well-known/jwks.json, ES256 or RS256). A server that runs
// queries itself must check the signature, the expiry and the audience before it believes a claim:
// asUser trusts whatever it is handed, so one unverified `sub` or `role` would give away every tenant.
//
// The algorithm comes from the keys, never from the token alone: HS256 only against the secret, ES256
// and RS256 only against the JWKS. So `alg: none` and a token MAC'ed with the public key as an HMAC
// secret (the classic RS256 -> HS256 confusion) are rejected before any signature is checked.
import {
  createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet, jwtVerify,
  type JWTPayload, type JWTVerifyGetKey,
} from 'jose'
import type { Kysely, Transaction } from 'kysely'
import { NotAuthorizedError } from './errors.js'
import { type Actor, type SessionOptions, withActor } from './session.js'
import type { Database } from './types.js'

/**
 * Where the signing keys come from. Give the secret, a JWKS, or both while a project moves from the
 * legacy secret to asymmetric keys (tokens signed with the old secret stay valid until they expire).
 */
export interface AccessTokenKeys {
  /** The project's JWT secret (Supabase dashboard: Project Settings -> JWT Keys -> Legacy JWT secret). */
  secret?: string
  /**
   * The project's JWKS endpoint: `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`. Fetched once, kept
   * for cacheMaxAgeMs and fetched again when a token names a key it does not have (a rotation).
   */
  jwksUrl?: string | URL
  /** A key set already at hand (the same JSON the endpoint serves). */
  jwks?: JSONWebKeySet
  /** Time after a fetch before an unknown `kid` may fetch the JWKS again (default 30 s). */
  jwksCooldownMs?: number
  /** How long fetched keys are used before they are fetched again (default 10 min). */
  jwksCacheMaxAgeMs?: number
  /** Give up on a JWKS request after this long (default 5 s). */
  jwksTimeoutMs?: number
}

export interface VerifyAccessTokenOptions {
  /** Accept tokens with `role: service_role` (the legacy service key). Off by default. */
  allowServiceRole?: boolean
  /** Expected `aud` of a user token (default 'authenticated', what Supabase Auth issues). */
  audience?: string
  /** Expected `iss` of a user token, e.g. `${SUPABASE_URL}/auth/v1`; not checked unless given. */
  issuer?: string
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 10). */
  clockToleranceSeconds?: number
  /** The time to check against (default now); for tests. */
  currentDate?: Date
}

/** Registered claims every accepted token has been checked for. */
interface VerifiedClaims {
  /** Expiry, seconds since the epoch. */
  exp: number
  iat?: number
  nbf?: number
  iss?: string
  aud?: string | string[]
  [claim: string]: unknown
}

/** A signed-in user's access token, as Supabase Auth issues it. */
export interface UserAccessClaims extends VerifiedClaims {
  role: 'authenticated'
  /** The user's id (auth.users.id), a uuid. */
  sub: string
  aud: string | string[]
  email?: string
  phone?: string
  session_id?: string
  /** Authenticator assurance level: aal1 (one factor), aal2 (MFA). */
  aal?: string
  is_anonymous?: boolean
  app_metadata?: Record<string, unknown>
  user_metadata?: Record<string, unknown>
}

/** The project's anon key (a JWT with `role: anon` and no user). */
export interface AnonAccessClaims extends VerifiedClaims {
  role: 'anon'
}

/** The legacy service key: bypasses row level security; only with allowServiceRole. */
export interface ServiceAccessClaims extends VerifiedClaims {
  role: 'service_role'
}

export type AccessTokenClaims = UserAccessClaims | AnonAccessClaims | ServiceAccessClaims

/** Why a token was turned away; a server may map every one of them to 401. */
export type AccessTokenRejection =
  | 'malformed' // not a compact JWS
  | 'algorithm' // none, an algorithm this project does not sign with, or no key of that kind configured
  | 'unknown_key' // the JWKS has no key with the token's kid
  | 'signature' // signed with another key, or changed after signing
  | 'expired'
  | 'not_yet_valid'
  | 'audience'
  | 'issuer'
  | 'claims' // a claim is missing or of the wrong shape
  | 'role' // a role this server does not accept (service_role unless allowed, or unknown)
  | 'keys' // the keys are missing, too weak, or the JWKS could not be fetched

/** The token is not accepted; `reason` says why in one word, the message in a sentence. */
export class AccessTokenError extends NotAuthorizedError {
  constructor(readonly reason: AccessTokenRejection, message: string, cause?: unknown) {
    super(`access token rejected: ${message}`, { code: `TENANTRY_TOKEN_${reason.toUpperCase()}`, cause })
  }
}

const SYMMETRIC = ['HS256'] as const
// What Supabase's asymmetric signing keys use: ECC P-256 (recommended) and RSA 2048.
const ASYMMETRIC = ['ES256', 'RS256'] as const
const DEFAULT_CLOCK_TOLERANCE_S = 10
/** Supabase refuses shorter JWT secrets, and so does RFC 7518 for HS256 (at least 256 bits). */
const MIN_SECRET_BYTES = 32
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

// One key resolver per JWKS, kept for the process: a resolver made per request would fetch the JWKS
// on every request and never benefit from jose's cache and cooldown.
const remoteKeySets = new Map<string, JWTVerifyGetKey>()
const localKeySets = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>()

function remoteKeySet(keys: AccessTokenKeys, url: URL): JWTVerifyGetKey {
  const options = {
    cooldownDuration: keys.jwksCooldownMs ?? 30_000,
    cacheMaxAge: keys.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: keys.jwksTimeoutMs ?? 5_000,
  }
  const cacheKey = `${url.href} ${options.cooldownDuration} ${options.cacheMaxAge} ${options.timeoutDuration}`
  let set = remoteKeySets.get(cacheKey)
  if (!set) {
    set = createRemoteJWKSet(url, options)
    remoteKeySets.set(cacheKey, set)
  }
  return set
}

function localKeySet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  let set = localKeySets.get(jwks)
  if (!set) {
    set = createLocalJWKSet(jwks)
    localKeySets.set(jwks, set)
  }
  return set
}

function parseUrl(value: string | URL): URL {
  try {
    return new URL(value)
  } catch (e) {
    throw new AccessTokenError('keys', `jwksUrl is not a URL: ${String(value)}`, e)
  }
}

type Verifier = { kind: 'secret'; key: Uint8Array } | { kind: 'jwks'; key: JWTVerifyGetKey }

/** The key to check a token signed with alg against, or why there is none. */
function verifierFor(alg: string, keys: AccessTokenKeys): Verifier {
  if ((SYMMETRIC as readonly string[]).includes(alg)) {
    if (keys.secret === undefined) {
      throw new AccessTokenError('algorithm', `signed with ${alg}, but this server has no JWT secret, only public keys`)
    }
    const secret = new TextEncoder().encode(keys.secret)
    if (secret.length < MIN_SECRET_BYTES) {
      throw new AccessTokenError('keys', `the configured JWT secret has ${secret.length} bytes; HS256 needs at least ${MIN_SECRET_BYTES}`)
    }
    return { kind: 'secret', key: secret }
  }
  if ((ASYMMETRIC as readonly string[]).includes(alg)) {
    if (keys.jwks) return { kind: 'jwks', key: localKeySet(keys.jwks) }
    if (keys.jwksUrl !== undefined) return { kind: 'jwks', key: remoteKeySet(keys, parseUrl(keys.jwksUrl)) }
    throw new AccessTokenError('algorithm', `signed with ${alg}, but this server has no JWKS, only the JWT secret`)
  }
  throw new AccessTokenError('algorithm', alg === 'none'
    ? 'alg "none" (an unsigned token)'
    : `algorithm ${alg} is not one Supabase signs access tokens with (${[...SYMMETRIC, ...ASYMMETRIC].join(', ')})`)
}

/** A jose error (or a failed fetch) in words a server log can use. */
function rejection(e: unknown): AccessTokenError {
  if (e instanceof AccessTokenError) return e
  if (e instanceof errors.JWTExpired) return new AccessTokenError('expired', 'it has expired (exp is in the past)', e)
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return new AccessTokenError('not_yet_valid', 'it is not valid yet (nbf is in the future)', e)
    if (e.claim === 'exp' && e.reason === 'missing') return new AccessTokenError('claims', 'it has no exp: tokens must expire', e)
    return new AccessTokenError('claims', `claim "${e.claim}" ${e.reason === 'missing' ? 'is missing' : 'is invalid'}: ${e.message}`, e)
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return new AccessTokenError('signature', 'the signature does not match (another key signed it, or it was changed after signing)', e)
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new AccessTokenError('algorithm', e.message, e)
  if (e instanceof errors.JWKSNoMatchingKey) {
    return new AccessTokenError('unknown_key', 'no key of the JWKS matches its kid and algorithm', e)
  }
  if (e instanceof errors.JWKSMultipleMatchingKeys) {
    return new AccessTokenError('unknown_key', 'several keys of the JWKS match and none verifies it', e)
  }
  if (e instanceof errors.JWKSTimeout) return new AccessTokenError('keys', 'fetching the JWKS timed out', e)
  if (e instanceof errors.JWKSInvalid || e instanceof errors.JWKInvalid) {
    return new AccessTokenError('keys', `the JWKS is not usable: ${e.message}`, e)
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return new AccessTokenError('malformed', e.message, e)
  if (e instanceof errors.JOSENotSupported) return new AccessTokenError('algorithm', e.message, e)
  if (e instanceof errors.JOSEError) return new AccessTokenError('malformed', e.message, e)
  // Anything else comes from fetching the JWKS (network, HTTP status, JSON).
  return new AccessTokenError('keys', `could not get the JWKS: ${e instanceof Error ? e.message : String(e)}`, e)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The optional claims of a user token and the shape each must have when present. */
const USER_CLAIM_SHAPES = {
  email: 'string', phone: 'string', session_id: 'string', aal: 'string', is_anonymous: 'boolean',
  app_metadata: 'object', user_metadata: 'object',
} as const

function checkUserClaimShapes(payload: JWTPayload): void {
  for (const [name, shape] of Object.entries(USER_CLAIM_SHAPES)) {
    const value = payload[name]
    if (value === undefined) continue
    const ok = shape === 'object' ? isRecord(value) : typeof value === shape
    if (!ok) throw new AccessTokenError('claims', `claim "${name}" is not a${shape === 'object' ? 'n' : ''} ${shape}`)
  }
}

function audienceIncludes(aud: string | string[] | undefined, expected: string): boolean {
  return Array.isArray(aud) ? aud.includes(expected) : aud === expected
}

/** The claims of a verified payload, typed by role; rejects roles and shapes this server does not accept. */
function acceptedClaims(payload: JWTPayload, options: VerifyAccessTokenOptions): AccessTokenClaims {
  const { exp, role } = payload
  if (typeof exp !== 'number') throw new AccessTokenError('claims', 'it has no exp: tokens must expire')
  const base: VerifiedClaims = { ...payload, exp }
  switch (role) {
    case 'authenticated': {
      const audience = options.audience ?? 'authenticated'
      if (!audienceIncludes(payload.aud, audience)) {
        throw new AccessTokenError('audience', `aud is ${JSON.stringify(payload.aud ?? null)}, expected "${audience}"`)
      }
      if (options.issuer !== undefined && payload.iss !== options.issuer) {
        throw new AccessTokenError('issuer', `iss is ${JSON.stringify(payload.iss ?? null)}, expected "${options.issuer}"`)
      }
      const sub = payload.sub
      if (typeof sub !== 'string' || !UUID.test(sub)) {
        throw new AccessTokenError('claims', `sub ${JSON.stringify(sub ?? null)} is not a user id (a uuid)`)
      }
      checkUserClaimShapes(payload)
      return { ...base, role, sub, aud: payload.aud ?? audience }
    }
    case 'anon':
      return { ...base, role }
    case 'service_role':
      if (!options.allowServiceRole) {
        throw new AccessTokenError('role', 'role service_role is not accepted here (it bypasses row level security; allowServiceRole is off)')
      }
      // Supabase's service key names no user. One that does was minted by someone holding the key
      // who meant something else; refuse rather than guess which of the two it should be.
      if (payload.sub !== undefined) throw new AccessTokenError('role', 'a service_role token must not name a user (sub)')
      return { ...base, role }
    default:
      throw new AccessTokenError('role', `role ${JSON.stringify(role ?? null)} is not one this server accepts (authenticated, anon${options.allowServiceRole ? ', service_role' : ''})`)
  }
}

/**
 * Verifies a Supabase access token: signature (HS256 with the secret, ES256/RS256 with the JWKS),
 * exp and nbf (with a small clock tolerance), aud 'authenticated' and a uuid sub for user tokens,
 * and the role. Returns the claims; any failure is an AccessTokenError (a NotAuthorizedError).
 */
export async function verifyAccessToken(
  token: string,
  keys: AccessTokenKeys,
  options: VerifyAccessTokenOptions = {},
): Promise<AccessTokenClaims> {
  try {
    if (keys.secret === undefined && keys.jwks === undefined && keys.jwksUrl === undefined) {
      throw new AccessTokenError('keys', 'no keys configured: give the JWT secret, a JWKS or its URL')
    }
    if (typeof token !== 'string' || token.split('.').length !== 3) {
      throw new AccessTokenError('malformed', 'not a JWT (expected three dot-separated parts)')
    }
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch (e) {
      throw new AccessTokenError('malformed', 'its header is not base64url-encoded JSON', e)
    }
    if (typeof alg !== 'string') throw new AccessTokenError('malformed', 'its header names no algorithm')
    const verifier = verifierFor(alg, keys)
    const verifyOptions = {
      algorithms: verifier.kind === 'secret' ? [...SYMMETRIC] : [...ASYMMETRIC],
      clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_S,
      requiredClaims: ['exp'],
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    }
    const { payload } = verifier.kind === 'secret'
      ? await jwtVerify(token, verifier.key, verifyOptions)
      : await jwtVerify(token, verifier.key, verifyOptions)
    return acceptedClaims(payload, options)
  } catch (e) {
    throw rejection(e)
  }
}

/** The actor a verified token stands for. */
export function actorOf(claims: AccessTokenClaims): Actor {
  switch (claims.role) {
    case 'authenticated':
      return { kind: 'user', userId: claims.sub, claims }
    case 'anon':
      return { kind: 'anon' }
    case 'service_role':
      return { kind: 'service' }
  }
}

/** The token of an `Authorization: Bearer <token>` header; null when there is none. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!m?.[1]) throw new AccessTokenError('malformed', 'the Authorization header is not "Bearer <token>"')
  return m[1]
}

export interface RequestSessionOptions extends SessionOptions, VerifyAccessTokenOptions {
  keys: AccessTokenKeys
}

/**
 * Runs fn in one transaction as whoever the request's access token proves: no token -> anon; a user
 * token -> that user, with the token's claims as request.jwt.claims (what Supabase's API does); the
 * anon key -> anon; a service_role token -> service_role only with allowServiceRole. A token that
 * fails verification is an AccessTokenError before any query runs. Only null or undefined mean "no
 * token": an empty string is refused as malformed, so a header that was sent but lost its token is
 * not quietly served as anon.
 */
export async function asRequest<T>(
  db: Kysely<Database>,
  token: string | null | undefined,
  fn: (trx: Transaction<Database>) => Promise<T>,
  options: RequestSessionOptions,
): Promise<T> {
  const { keys, allowServiceRole, audience, issuer, clockToleranceSeconds, currentDate, ...session } = options
  const actor: Actor = token === null || token === undefined
    ? { kind: 'anon' }
    : actorOf(await verifyAccessToken(token, keys, { allowServiceRole, audience, issuer, clockToleranceSeconds, currentDate }))
  return withActor(db, actor, fn, session)
}
