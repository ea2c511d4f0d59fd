// What the commands share, in one place beside them, so that no command imports another: option
// parsers (integers, durations, --as), the lookup of a user by email, the confirmation prompt, the
// people a default seed creates (for the examples in --help) and the keys the CLI signs and verifies
// access tokens with.
import { createInterface } from 'node:readline/promises'
import { InvalidArgumentError } from 'commander'
import { type Kysely, sql } from 'kysely'
import type { AccessTokenKeys, Actor, Database } from '../lib/db/index.js'
import { planTenants, SEED_DEFAULTS } from '../lib/seed/index.js'
import { UsageError } from './output.js'

/** Integer option parser for commander: a clear message instead of NaN. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value)
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    }
    return n
  }
}

const DURATION_UNITS = {
  s: { seconds: 1, word: 'seconds' },
  m: { seconds: 60, word: 'minutes' },
  h: { seconds: 3600, word: 'hours' },
  d: { seconds: 86_400, word: 'days' },
  w: { seconds: 604_800, word: 'weeks' },
} as const

export type DurationUnit = keyof typeof DURATION_UNITS

export interface Duration {
  amount: number
  unit: DurationUnit
  seconds: number
  /** As a PostgreSQL interval: "7 days". */
  interval: string
}

function isDurationUnit(text: string): text is DurationUnit {
  return Object.hasOwn(DURATION_UNITS, text)
}

/**
 * The one short duration form of the CLI: a number and a unit, 90s, 15m, 12h, 7d, 2w (a bare number
 * is seconds when bareSeconds says so). Undefined for anything else; each option says what else it
 * takes (a PostgreSQL interval, a date).
 */
export function parseDuration(text: string, options: { bareSeconds?: boolean } = {}): Duration | undefined {
  const m = /^(\d+)\s*([smhdw])?$/i.exec(text.trim())
  const amountText = m?.[1]
  if (!m || amountText === undefined) return undefined
  const unitText = (m[2] ?? (options.bareSeconds ? 's' : '')).toLowerCase()
  if (!isDurationUnit(unitText)) return undefined
  const amount = Number(amountText)
  const unit = DURATION_UNITS[unitText]
  return { amount, unit: unitText, seconds: amount * unit.seconds, interval: `${amount} ${unit.word}` }
}

/** The names --as takes besides an email, depending on the command. */
export type ActorName = 'anon' | 'service' | 'system'

/**
 * The one --as parser: an email of auth.users, or one of the names the command allows ("service_role"
 * is read as "service"). A command that acts as a signed-in user allows no name.
 */
export function asOption(names: readonly ActorName[] = []): (value: string) => string {
  const expected = names.length === 0 ? 'the email of a user' : `an email, ${names.join(', ')}`.replace(/, (\w+)$/, ' or $1')
  return (value: string) => {
    const w = value.trim()
    if (w.includes('@')) return w
    const name = w === 'service_role' ? 'service' : w
    if ((names as readonly string[]).includes(name)) return name
    throw new InvalidArgumentError(`expected ${expected}`)
  }
}

/** --as for commands that act as a signed-in user: an email. */
export const userOption = asOption()

/**
 * The id of the auth user with this email, or undefined. auth.users.email is not unique (Supabase
 * allows an address twice, e.g. an SSO user beside a password user): the oldest wins, then the lowest
 * id, so that every command picks the same user.
 */
export async function findUserId(db: Kysely<Database>, email: string): Promise<string | undefined> {
  const found = await sql<{ id: string }>`
    select id from auth.users where lower(email) = lower(${email.trim()}) order by created_at, id limit 1`.execute(db)
  return found.rows[0]?.id
}

/** The id of the auth user with this email; a UsageError saying how to list them when there is none. */
export async function resolveUser(db: Kysely<Database>, email: string): Promise<string> {
  const id = await findUserId(db, email)
  if (!id) throw new UsageError(`no user with email "${email.trim()}" (add one: tenantry users add <email>; list them: tenantry sql "select email from auth.users")`)
  return id
}

/** An actor named on the command line (parsed by asOption): an email, or anon / service / system. */
export async function resolveActor(db: Kysely<Database>, who: string | undefined): Promise<Actor> {
  const w = who?.trim() ?? 'system'
  if (w === 'system') return { kind: 'system' }
  if (w === 'anon') return { kind: 'anon' }
  if (w === 'service' || w === 'service_role') return { kind: 'service' }
  if (!w.includes('@')) throw new UsageError(`--as takes an email, anon, service or system, not "${w}"`)
  return { kind: 'user', userId: await resolveUser(db, w) }
}

/**
 * True when the user confirmed on the terminal. Without a terminal there is nobody to ask: that is
 * an error, so that a script that forgot --yes fails loudly instead of hanging or wiping silently.
 */
export async function confirm(
  question: string,
  action: string,
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stderr },
): Promise<boolean> {
  if (!io.input.isTTY) {
    throw new UsageError(`refusing to ${action} without --yes: stdin is not a terminal, so nobody can confirm`)
  }
  const rl = createInterface({ input: io.input, output: io.output })
  try {
    const answer = await rl.question(question)
    return /^(y|yes)$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * Who exists after a default `tenantry seed` (or `npm start`): the admin and a member of the biggest
 * organization. Names do not depend on the month, so the help examples work as printed.
 */
export function defaultSeedCast(): { org: string; admin: string; member: string } {
  const plan = planTenants({ ...SEED_DEFAULTS, endMonth: '2000-01' })
  const org = plan.orgs[0]
  const admin = plan.users.find((u) => u.orgIndex === 0 && u.role === 'admin')
  const member = plan.users.find((u) => u.orgIndex === 0 && u.role === 'member')
  if (!org || !admin || !member) throw new Error('the default seed plan has no biggest organization')
  return { org: org.slug, admin: admin.email, member: member.email }
}

/** Text single-quoted for a POSIX shell, so that a printed command works whatever the text holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** Supabase Auth's role: on a Supabase project it owns auth.users and writes every row of it. */
export const SUPABASE_AUTH_ROLE = 'supabase_auth_admin'

/**
 * Why this CLI may not create auth users in this database, or undefined where it may: on a Supabase
 * project (auth.users owned by Supabase Auth, or GoTrue's own migration table present) the users are
 * Supabase Auth's; the embedded database and a plain PostgreSQL have the compatibility layer's table.
 */
export async function localUsersRefusal(db: Kysely<Database>): Promise<string | undefined> {
  const r = await sql<{ owner: string; gotrue: boolean }>`
    select pg_catalog.pg_get_userbyid(c.relowner)::text as owner,
           pg_catalog.to_regclass('auth.schema_migrations') is not null as gotrue
      from pg_catalog.pg_class c where c.oid = pg_catalog.to_regclass('auth.users')`.execute(db)
  const row = r.rows[0]
  if (!row) throw new UsageError('the database has no auth.users: run `tenantry migrate` first')
  if (row.owner !== SUPABASE_AUTH_ROLE && !row.gotrue) return undefined
  return `auth.users belongs to Supabase Auth here (owner ${row.owner}${row.gotrue ? ", GoTrue's auth.schema_migrations present" : ''}): ` +
    'create users through Supabase Auth instead, by signing up (supabase.auth.signUp) or with the admin API ' +
    '(supabase.auth.admin.createUser({ email, email_confirm: true }), or Authentication > Users in the dashboard)'
}

/** The JWT secret of every local Supabase stack (supabase start); public knowledge, for development only. */
export const LOCAL_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long'
/** The issuer a local Supabase stack writes into its tokens (API port 54321, supabase/config.toml). */
export const LOCAL_ISSUER = 'http://127.0.0.1:54321/auth/v1'

/** The secret the CLI signs with: TENANTRY_JWT_SECRET, else the local default. */
export function cliSigningSecret(env: NodeJS.ProcessEnv = process.env): string {
  return env.TENANTRY_JWT_SECRET || LOCAL_JWT_SECRET
}

/**
 * The keys the CLI verifies tokens with: TENANTRY_JWT_SECRET (else the local default) and, when set,
 * TENANTRY_JWKS_URL (a project with asymmetric signing keys).
 */
export function cliTokenKeys(env: NodeJS.ProcessEnv = process.env): AccessTokenKeys {
  return {
    secret: cliSigningSecret(env),
    ...(env.TENANTRY_JWKS_URL ? { jwksUrl: env.TENANTRY_JWKS_URL } : {}),
  }
}
