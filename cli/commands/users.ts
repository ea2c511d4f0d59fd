// users erase: erases a person (GDPR Art. 17) as the service role would: profile, invitations to their
// address, their email and name in the audit trail; then their auth user, as GoTrue's admin API does.
import type { Command } from 'commander'
import { sql } from 'kysely'
import { asService, asSystem, eraseUser } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { toJson } from '../table.js'
import { resolveUser, userOption } from './members.js'
import { confirm } from './reset.js'
import { defaultSeedCast } from './seed.js'

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

/** The users group; `erase` is this file's. */
export function register(program: Command): void {
  const { member } = defaultSeedCast()
  const users = program.command('users').description('people: erase one (GDPR Art. 17)')
    .addHelpText('after', `
Examples:
  $ tenantry users erase ${member}

Exit codes: 0 success, 1 refused or failed, 2 cannot connect; each subcommand's --help has its own.`)
  registerErase(users, member)
}
