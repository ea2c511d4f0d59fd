// users: the auth users. `users add` creates one with a confirmed address,
// as a sign-up through Supabase Auth would leave it, on the embedded database or a plain PostgreSQL
// with the compatibility layer's auth schema; on a real Supabase the users are Supabase Auth's, so it
// refuses and says how to make one there. `users erase` erases a person (GDPR Art. 17) as the service
// role would: profile, invitations to their address, their email and name in the audit trail; then
// their auth user, as GoTrue's admin API does.
import type { Command } from 'commander'
import { type Kysely, sql } from 'kysely'
import { asService, asSystem, type Database, eraseUser } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import {
  confirm, defaultSeedCast, findUserId, localUsersRefusal, resolveUser, shellQuote, SUPABASE_AUTH_ROLE, userOption,
} from '../helpers.js'
import { UsageError } from '../output.js'
import { toJson } from '../table.js'

export interface AddedUser {
  id: string
  email: string
  full_name: string | null
  email_confirmed_at: Date
}

/**
 * A user as Supabase Auth leaves one after a confirmed email sign-up (aud and role authenticated,
 * provider email); the profile comes from the database's trigger. The address is stored lower-case,
 * as GoTrue stores it.
 */
export async function addLocalUser(db: Kysely<Database>, input: { email: string; name?: string }): Promise<AddedUser> {
  const email = input.email.trim().toLowerCase()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${input.email}" is not an email address`)
  const refusal = await localUsersRefusal(db)
  if (refusal) throw new UsageError(refusal)
  return asSystem(db, async (trx) => {
    if (await findUserId(trx, email)) throw new UsageError(`a user with email "${email}" exists already`)
    const fullName = input.name?.trim() || null
    const r = await sql<AddedUser>`
      insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      values (gen_random_uuid(), 'authenticated', 'authenticated', ${email}, now(),
              '{"provider": "email", "providers": ["email"]}'::jsonb,
              ${fullName === null ? sql`'{}'::jsonb` : sql`jsonb_build_object('full_name', ${fullName}::text)`}, now(), now())
      returning id, email, raw_user_meta_data ->> 'full_name' as full_name, email_confirmed_at`.execute(trx)
    const added = r.rows[0]
    if (!added) throw new Error('insert into auth.users returned no row')
    return added
  })
}

function registerAdd(users: Command): void {
  const { admin } = defaultSeedCast()
  withDbOptions(
    users
      .command('add')
      .description('add a local user with a confirmed address (embedded database or plain PostgreSQL; not on Supabase)')
      .argument('<email>', 'the address; stored lower-case and confirmed'),
  )
    .option('--name <full name>', "the user's full name (raw_user_meta_data.full_name, copied to the profile)")
    .option('--json', 'print {id, email, full_name, email_confirmed_at} as JSON')
    .addHelpText('after', `
For development: the user is written to auth.users as Supabase Auth writes a confirmed email sign-up,
and the database's trigger gives them a profile in no organization. They can then be invited and
accept, or act with --as <email> (sql, members, dashboard, token).

On a real Supabase project auth.users belongs to Supabase Auth (owner ${SUPABASE_AUTH_ROLE}): the
command refuses there. Sign up through the application (supabase.auth.signUp), or use the admin API
(supabase.auth.admin.createUser({ email, email_confirm: true })) or Authentication > Users.

Examples:
  $ tenantry users add new.hire@example.com --name "New Hire"
  $ tenantry invite new.hire@example.com --as ${admin}

Exit codes: 0 added, 1 refused (not an address, exists already, Supabase Auth's users) or failed,
2 cannot connect.`)
    .action(async (email: string, _: unknown, command: Command) => {
      const options = command.optsWithGlobals<DbCommandOptions & { name?: string; json?: boolean }>()
      const added = await withDatabase(options, ({ handle }) =>
        addLocalUser(handle.db, { email, ...(options.name === undefined ? {} : { name: options.name }) }))
      if (options.json) {
        console.log(toJson(added))
        return
      }
      console.log(`Added ${added.email}${added.full_name ? ` (${added.full_name})` : ''}, address confirmed, in no organization (id ${added.id}).`)
      const dir = options.dataDir === undefined ? '' : ` --data-dir ${shellQuote(options.dataDir)}`
      console.log('Next steps:')
      console.log(`  tenantry invite ${shellQuote(added.email)} --as <admin-email>${dir}    # an admin of an organization invites them`)
      console.log(`  tenantry members --as ${shellQuote(added.email)}${dir}    # the invitations waiting for them`)
    })
}

interface EraseOptions extends DbCommandOptions {
  keepAuthUser?: boolean
  yes?: boolean
  json?: boolean
}

function registerErase(users: Command, member: string): void {
  withDbOptions(users.command('erase').description('erase a user: profile, invitations, email and name in the audit trail, auth user'))
    .argument('<email>', 'the user to erase', userOption)
    .option('--keep-auth-user', 'erase the data but leave the auth.users row (delete it through GoTrue yourself)')
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--json', 'print {erased, auth_user_deleted} as JSON')
    .addHelpText('after', `
public.erase_user() as the service role: deletes the profile and every invitation to the address,
and blanks the email, name and avatar in every audit partition (actor ids stay: pseudonymous). The
erasure files an audit row without personal data. Refused for the last admin of an organization that
has other members (make another member admin first). An organization left without members enters its
grace period. Then the auth user is deleted, as Supabase's "delete user" would.

Examples:
  $ tenantry users erase ${member}
  $ tenantry users erase ${member} --yes --json

Exit codes: 0 erased, 1 unknown user, refused, declined or failed, 2 cannot connect.`)
    .action(async (email: string, options: EraseOptions) => {
      if (!options.yes && !process.stdin.isTTY) {
        throw new UsageError('refusing to erase without --yes: stdin is not a terminal, so nobody can confirm')
      }
      await withDatabase(options, async ({ handle }) => {
        const userId = await resolveUser(handle.db, email)
        if (!options.yes && !(await confirm(`Erase ${email} (${userId}) from the ${handle.kind} database at ${handle.location}? This cannot be undone. [y/N] `, 'erase'))) {
          throw new UsageError('erase cancelled: nothing was changed')
        }
        await asService(handle.db, (trx) => eraseUser(trx, userId))
        if (!options.keepAuthUser) await asSystem(handle.db, (trx) => sql`delete from auth.users where id = ${userId}`.execute(trx))
        console.log(options.json ? toJson({ erased: userId, auth_user_deleted: !options.keepAuthUser }) : `erased ${email}${options.keepAuthUser ? ' (auth user kept)' : ' and deleted the auth user'}`)
      })
    })
}

export function register(program: Command): void {
  const users = withDbOptions(
    program
      .command('users')
      .description('people: add a local user with a confirmed address (development), erase one (GDPR Art. 17)'),
  )
    .addHelpText('after', `
Examples:
  $ tenantry users add new.hire@example.com --name "New Hire"
  $ tenantry users erase new.hire@example.com

Exit codes: 0 done, 1 refused or failed, 2 cannot connect (each subcommand's --help says more).`)
  registerAdd(users)
  registerErase(users, defaultSeedCast().member)
}
