// token: mints an access token for a user of the database, signed the way a local Supabase (`supabase
// start`) signs them: HS256 with the local JWT secret. For trying the API, supabase-js or
// `tenantry sql --token` by hand, and for tests. The secret is TENANTRY_JWT_SECRET, or Supabase's
// well-known local development default: anyone can mint tokens for that one, so it must never be a
// deployed project's secret.
import { randomUUID } from 'node:crypto'
import { type Command, InvalidArgumentError } from 'commander'
import { SignJWT } from 'jose'
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { asOption, cliSigningSecret, defaultSeedCast, LOCAL_ISSUER, LOCAL_JWT_SECRET, parseDuration, resolveUser } from '../helpers.js'

/** Supabase's maximum jwt_expiry: one week. */
const MAX_EXPIRES_IN_S = 604_800

/** --expires-in parser: 3600, 90s, 15m, 1h, 7d; at most a week, as Supabase allows. */
export function expiresInOption(value: string): number {
  const seconds = parseDuration(value, { bareSeconds: true })?.seconds
  if (seconds === undefined) throw new InvalidArgumentError('expected a duration such as 3600, 90s, 15m, 1h or 7d')
  if (seconds < 1 || seconds > MAX_EXPIRES_IN_S) throw new InvalidArgumentError(`between 1 s and ${MAX_EXPIRES_IN_S} s (a week)`)
  return seconds
}

export interface MintOptions {
  /** Seconds until exp (default 3600, Supabase's default jwt_expiry). */
  expiresIn?: number
  secret?: string
  issuer?: string
  /** The time it is issued at (default now); for tests. */
  now?: Date
}

interface AuthUserRow {
  id: string
  email: string | null
  phone: string | null
  raw_app_meta_data: unknown
  raw_user_meta_data: unknown
}

function objectOr(value: unknown, fallback: Record<string, unknown>): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : fallback
}

/**
 * A signed token as Supabase Auth issues it: for an email, a user's access token with the claims
 * GoTrue writes (sub, email, role authenticated, aud authenticated, session_id, aal, ...); for anon or
 * service, the project's anon or service key (role only, no user).
 */
export async function mintAccessToken(db: Kysely<Database>, who: string, options: MintOptions = {}): Promise<string> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000)
  const exp = iat + (options.expiresIn ?? 3600)
  const key = new TextEncoder().encode(options.secret ?? cliSigningSecret())
  const sign = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key)
  if (who === 'anon' || who === 'service') {
    return sign({ iss: 'supabase-demo', role: who === 'anon' ? 'anon' : 'service_role', iat, exp })
  }
  const id = await resolveUser(db, who)
  const found = await sql<AuthUserRow>`
    select id, email, phone, raw_app_meta_data, raw_user_meta_data from auth.users where id = ${id}`.execute(db)
  const user = found.rows[0]
  if (!user) throw new Error(`auth user ${id} vanished while minting its token`)
  return sign({
    iss: options.issuer ?? LOCAL_ISSUER,
    aud: 'authenticated',
    sub: user.id,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: objectOr(user.raw_app_meta_data, { provider: 'email', providers: ['email'] }),
    user_metadata: objectOr(user.raw_user_meta_data, {}),
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: iat }],
    session_id: randomUUID(),
    is_anonymous: false,
    iat,
    exp,
  })
}

export function register(program: Command): void {
  const cast = defaultSeedCast()
  withDbOptions(
    program
      .command('token')
      .description('mint a signed access token for a user (as a local Supabase would), or the anon / service key'),
  )
    .requiredOption('--as <who>', 'an email of auth.users, "anon" or "service"', asOption(['anon', 'service']))
    .option('--expires-in <duration>', 'lifetime: 3600, 90s, 15m, 1h, 7d (at most a week)', expiresInOption, 3600)
    .addHelpText('after', `
Signs with TENANTRY_JWT_SECRET, or with the JWT secret every local Supabase stack uses:
  ${LOCAL_JWT_SECRET}
That default is public: never give a deployed project that secret, and never mint tokens with a
production secret on a shared machine.

It prints the token alone, for scripts.

Examples:
  $ tenantry token --as ${cast.member}
  $ tenantry sql "select auth.uid(), count(*) from customers" \\
      --token "$(tenantry token --as ${cast.admin} --expires-in 15m)"
  $ curl http://127.0.0.1:54321/rest/v1/customers -H "apikey: $ANON_KEY" -H "Authorization: Bearer $(tenantry token --as ${cast.member})"

Exit codes: 0 printed, 1 unknown user, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { as: string; expiresIn: number }) => {
      const token = await withDatabase(options, ({ handle }) => mintAccessToken(handle.db, options.as, { expiresIn: options.expiresIn }))
      console.log(token)
    })
}
