// members: the caller's organization as they see it under RLS: its members and, for its admins, the
// invitations (pending first); for an outsider, the invitations waiting for them.
import type { Command } from 'commander'
import type { Kysely } from 'kysely'
import {
  asUser, type Database, listMyInvitations, listOrganizationInvitations, type MyInvitation, type OrganizationInvitation,
} from '../../lib/db/index.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { defaultSeedCast, resolveUser, userOption } from '../helpers.js'
import { renderTable, toJson } from '../table.js'

export interface MemberRow {
  id: string
  email: string
  full_name: string | null
  role: string
  joined: Date
}

export interface MembersView {
  /** The caller's organization, or null for an outsider. */
  organization: { id: string; name: string; slug: string } | null
  role: string | null
  members: MemberRow[]
  /** The organization's invitations, pending first (admins only; empty for members). */
  invitations: OrganizationInvitation[]
  /** For an outsider: invitations waiting for their confirmed address. */
  myInvitations: MyInvitation[]
}

/** Everything as the user sees it through the API: nothing here bypasses row level security. */
export async function readMembers(db: Kysely<Database>, userId: string): Promise<MembersView> {
  return asUser(db, userId, async (trx) => {
    const me = await trx.selectFrom('profiles').select(['organization_id', 'role']).where('id', '=', userId).executeTakeFirstOrThrow()
    if (me.organization_id === null) {
      return { organization: null, role: null, members: [], invitations: [], myInvitations: await listMyInvitations(trx) }
    }
    const org = await trx.selectFrom('organizations').select(['id', 'name', 'slug']).where('id', '=', me.organization_id).executeTakeFirstOrThrow()
    const members = await trx.selectFrom('profiles')
      .select(['id', 'email', 'full_name', 'role', 'created_at as joined'])
      .where('organization_id', '=', me.organization_id)
      .orderBy('role').orderBy('email')
      .execute()
    const invitations = me.role === 'admin' ? await listOrganizationInvitations(trx) : []
    const order = (i: OrganizationInvitation): number => (i.state === 'pending' ? 0 : 1)
    return {
      organization: org, role: me.role, members,
      invitations: [...invitations].sort((a, b) => order(a) - order(b)),
      myInvitations: [],
    }
  })
}

export function renderMembers(view: MembersView, who: string): string {
  if (!view.organization) {
    const lines = [`${who} belongs to no organization.`]
    if (view.myInvitations.length === 0) lines.push('No pending invitations for this address (a confirmed address sees them).')
    else {
      lines.push('Invitations waiting (accept with `tenantry accept <token> --as <email>`):')
      lines.push(renderTable(view.myInvitations.map((i) => ({
        organization: i.organization_name, role: i.role, invited_by: i.invited_by_name, expires: i.expires_at,
      }))))
    }
    return lines.join('\n')
  }
  const lines = [`${view.organization.name} (${view.organization.slug}): ${view.members.length} member(s); ${who} is ${view.role}.`]
  lines.push(renderTable(view.members.map((m) => ({ email: m.email, name: m.full_name, role: m.role }))))
  if (view.role !== 'admin') {
    lines.push('(only admins see the invitations)')
  } else if (view.invitations.length === 0) {
    lines.push('No invitations.')
  } else {
    lines.push('Invitations:')
    lines.push(renderTable(view.invitations.map((i) => ({
      email: i.email, role: i.role, state: i.state, created: i.created_at, expires: i.expires_at, ended: i.ended_at, id: i.id,
    })), { max: 40 }))
  }
  return lines.join('\n')
}

export function register(program: Command): void {
  const { admin, member } = defaultSeedCast()
  withDbOptions(
    program
      .command('members')
      .description("your organization's members and its invitations, as you see them under RLS"),
  )
    .requiredOption('--as <email>', 'the user whose view to show', userOption)
    .option('--json', 'print {organization, role, members, invitations, myInvitations} as JSON')
    .addHelpText('after', `
Admins see the members and every invitation (pending first, with their state: pending, expired,
accepted, declined, revoked, replaced; never a token). Members see the members. An outsider sees the
invitations waiting for their confirmed address.

Examples (the users exist after \`npm start\` or a default \`tenantry seed\`):
  $ tenantry members --as ${admin}
  $ tenantry members --as ${member} --json

Exit codes: 0 shown, 1 unknown user or failure, 2 cannot connect.`)
    .action(async (options: DbCommandOptions & { as: string; json?: boolean }) => {
      const view = await withDatabase(options, async ({ handle }) => readMembers(handle.db, await resolveUser(handle.db, options.as)))
      console.log(options.json ? toJson(view) : renderMembers(view, options.as))
    })
}
