// invite: an admin invites an email address into their organization (public.invite_member), as that
// admin under RLS, and prints the token once with the command that accepts it.
import type { Command } from 'commander'
import { type Kysely, sql } from 'kysely'
import { asUser, type CreatedInvitation, type Database, INVITATION_ROLES, type InvitationRole, inviteMember } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { toJson } from '../table.js'
import { defaultSeedCast, findUserId, localUsersRefusal, parseDuration, resolveUser, shellQuote, userOption } from '../helpers.js'

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

/** The --data-dir the invite was given, for the commands it prints: they must reach the same database. */
function dataDirFlag(dataDir: string | undefined): string {
  return dataDir === undefined ? '' : ` --data-dir ${shellQuote(dataDir)}`
}

/**
 * The shell command the invitee runs (quoted so that any address survives the shell). A token is URL-safe
 * base64, so one in 64 begins with '-': the parser would take it for an option, so such a token goes
 * after `--`, behind the options.
 */
export function acceptCommand(token: string, email: string, dataDir?: string): string {
  const options = `--as ${shellQuote(email)}${dataDirFlag(dataDir)}`
  return token.startsWith('-') ? `tenantry accept ${options} -- ${token}` : `tenantry accept ${token} ${options}`
}

/** Whether the invitee can accept now, and if not, what makes them able to. */
export type InviteeState = 'ready' | 'unconfirmed' | 'no-user-local' | 'no-user-supabase'

/** The steps after an invitation, each a command that works as printed where there is one. */
export function nextSteps(state: InviteeState, email: string, accept: string, dataDir?: string): string[] {
  switch (state) {
    case 'ready':
      return [accept]
    case 'unconfirmed':
      return [`# ${email} must confirm the address first (the confirmation email of Supabase Auth), then:`, accept]
    case 'no-user-local':
      return [`tenantry users add ${shellQuote(email)}${dataDirFlag(dataDir)}`, accept]
    case 'no-user-supabase':
      return [`# ${email} signs up with this address through Supabase Auth and confirms it, then:`, accept]
  }
}

async function inviteeState(db: Kysely<Database>, email: string): Promise<InviteeState> {
  const id = await findUserId(db, email)
  if (id === undefined) return (await localUsersRefusal(db)) === undefined ? 'no-user-local' : 'no-user-supabase'
  const r = await sql<{ confirmed: boolean }>`select private.email_confirmed(u) as confirmed from auth.users u where u.id = ${id}`.execute(db)
  return r.rows[0]?.confirmed ? 'ready' : 'unconfirmed'
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
    .option('--json', 'print {invitation_id, token, expires_at, accept, next_steps} as JSON')
    .addHelpText('after', `
The token is shown this once: the database keeps only its sha256. Send it to the invitee (an
application emails a link with it, see docs/team.md). Inviting the same address again replaces the
pending invitation: the old token stops working. When no confirmed user has the address yet, it
prints what comes first: \`tenantry users add <email>\` on a local database, a sign-up on Supabase.

Examples (the admin exists after \`npm start\` or a default \`tenantry seed\`):
  $ tenantry invite new.colleague@example.com --as ${admin}
  $ tenantry invite lead@example.com --as ${admin} --role admin --valid-for 2d --json

Exit codes: 0 invited, 1 not an admin, bad address, role or validity, already a member, too many
pending invitations, unknown user, 2 cannot connect.`)
    .action(async (email: string, options: DbCommandOptions & InviteOptions) => {
      const role = options.role ?? 'member'
      if (!isRole(role)) throw new UsageError(`--role must be ${INVITATION_ROLES.join(' or ')}, not "${role}"`)
      const validFor = validForInterval(options.validFor ?? '7d')
      const invitee = email.trim().toLowerCase()
      const { created, state } = await withDatabase(options, async ({ handle }) => {
        const userId = await resolveUser(handle.db, options.as)
        const made: CreatedInvitation = await asUser(handle.db, userId, (trx) => inviteMember(trx, { email, role, validFor }))
        return { created: made, state: await inviteeState(handle.db, invitee) }
      })
      const accept = acceptCommand(created.token, invitee, options.dataDir)
      const steps = nextSteps(state, invitee, accept, options.dataDir)
      if (options.json) {
        console.log(toJson({ ...created, accept, next_steps: steps }))
        return
      }
      console.log(`Invited ${invitee} as ${role}, valid until ${created.expires_at.toISOString()}.`)
      console.log(`Token (shown once; only its hash is stored): ${created.token}`)
      if (state === 'ready') console.log(`The invitee accepts with:\n  ${accept}`)
      else console.log(`${invitee} has no confirmed user yet. Next steps:\n${steps.map((s) => `  ${s}`).join('\n')}`)
    })
}
