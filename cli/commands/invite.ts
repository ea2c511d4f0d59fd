// invite: an admin invites an email address into their organization (public.invite_member), as that
// admin under RLS, and prints the token once with the command that accepts it.
import type { Command } from 'commander'
import { asUser, type CreatedInvitation, INVITATION_ROLES, type InvitationRole, inviteMember } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { toJson } from '../table.js'
import { defaultSeedCast, parseDuration, resolveUser, userOption } from '../helpers.js'

export interface InviteOptions {
  as: string
  role?: string
  validFor?: string
  json?: boolean
}

function isRole(value: string): value is InvitationRole {
  return (INVITATION_ROLES as readonly string[]).includes(value)
}

/** "7d", "12h", "30m", "2w", or a PostgreSQL interval as it is ("7 days", "36 hours"). */
export function validForInterval(text: string): string {
  return parseDuration(text)?.interval ?? text.trim()
}

/** The shell command the invitee runs (quoted so that any address survives the shell). */
export function acceptCommand(token: string, email: string): string {
  return `tenantry accept ${token} --as '${email.replace(/'/g, `'\\''`)}'`
}

export function register(program: Command): void {
  const { admin } = defaultSeedCast()
  withDbOptions(
    program
      .command('invite')
      .description('invite an email address into your organization (as an admin); prints the token once')
      .argument('<email>', 'the address to invite; only a confirmed user with that address can accept'),
  )
    .requiredOption('--as <admin-email>', 'the admin who invites (an email of auth.users)', userOption)
    .option('--role <role>', `the role the invitee gets (${INVITATION_ROLES.join(' or ')})`, 'member')
    .option('--valid-for <duration>', 'how long the token works, 1 hour to 30 days: 7d, 12h, 2w or "36 hours"', '7d')
    .option('--json', 'print {invitation_id, token, expires_at, accept} as JSON')
    .addHelpText('after', `
The token is shown this once: the database keeps only its sha256. Send it to the invitee (an
application emails a link with it, see docs/team.md). Inviting the same address again replaces the
pending invitation: the old token stops working.

Examples (the admin exists after \`npm start\` or a default \`tenantry seed\`):
  $ tenantry invite new.colleague@example.com --as ${admin}
  $ tenantry invite lead@example.com --as ${admin} --role admin --valid-for 2d --json

Exit codes: 0 invited, 1 not an admin, bad address, role or validity, already a member, too many
pending invitations, unknown user, 2 cannot connect.`)
    .action(async (email: string, options: DbCommandOptions & InviteOptions) => {
      const role = options.role ?? 'member'
      if (!isRole(role)) throw new UsageError(`--role must be ${INVITATION_ROLES.join(' or ')}, not "${role}"`)
      const validFor = validForInterval(options.validFor ?? '7d')
      const created: CreatedInvitation = await withDatabase(options, async ({ handle }) => {
        const userId = await resolveUser(handle.db, options.as)
        return asUser(handle.db, userId, (trx) => inviteMember(trx, { email, role, validFor }))
      })
      const accept = acceptCommand(created.token, email.trim().toLowerCase())
      if (options.json) {
        console.log(toJson({ ...created, accept }))
        return
      }
      console.log(`Invited ${email.trim().toLowerCase()} as ${role}, valid until ${created.expires_at.toISOString()}.`)
      console.log(`Token (shown once; only its hash is stored): ${created.token}`)
      console.log(`The invitee accepts with:\n  ${accept}`)
    })
}
