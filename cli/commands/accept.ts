// accept: the signed-in user accepts an invitation by its token (public.accept_invitation) and joins
// its organization with its role.
import type { Command } from 'commander'
import { acceptInvitation, asSystem, asUser } from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { toJson } from '../table.js'
import { resolveUser, userOption } from '../helpers.js'

export interface AcceptResult {
  organization_id: string
  organization_name: string
  slug: string
  role: string
}

export function register(program: Command): void {
  withDbOptions(
    program
      .command('accept')
      .description('accept an invitation by its token: join its organization with its role')
      .argument('<token>', 'the token printed by `tenantry invite` (or sent by the application)'),
  )
    .requiredOption('--as <email>', 'the invitee: a user whose confirmed address is the invited one', userOption)
    .option('--json', 'print {organization_id, organization_name, slug, role} as JSON')
    .addHelpText('after', `
Only the user the invitation was sent to may accept: their address in auth.users must be the invited
one and confirmed. They must belong to no organization (\`tenantry sql "select public.leave_organization()"
--as <email>\` leaves one). An invitation is accepted once; revoked, declined, replaced or expired ones
are refused, and an unknown token gets one answer that says nothing about any organization.

Example:
  $ tenantry accept 3kq...Zw --as new.colleague@example.com
A token that begins with '-' goes after \`--\`, behind the options (\`tenantry invite\` prints it so):
  $ tenantry accept --as new.colleague@example.com -- -Pf6...sU

Exit codes: 0 joined, 1 refused (unknown token, wrong or unconfirmed address, ended or expired,
already in an organization) or unknown user, 2 cannot connect.`)
    .action(async (token: string, options: DbCommandOptions & { as: string; json?: boolean }) => {
      const result: AcceptResult = await withDatabase(options, async ({ handle }) => {
        const userId = await resolveUser(handle.db, options.as)
        const organizationId = await asUser(handle.db, userId, (trx) => acceptInvitation(trx, token))
        return asSystem(handle.db, async (trx) => {
          const org = await trx.selectFrom('organizations').select(['name', 'slug']).where('id', '=', organizationId).executeTakeFirstOrThrow()
          const me = await trx.selectFrom('profiles').select('role').where('id', '=', userId).executeTakeFirstOrThrow()
          return { organization_id: organizationId, organization_name: org.name, slug: org.slug, role: me.role }
        })
      })
      if (options.json) {
        console.log(toJson(result))
        return
      }
      console.log(`${options.as} joined ${result.organization_name} (${result.slug}) as ${result.role}.`)
    })
}
