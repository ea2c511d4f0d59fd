// The access policy as data: who may do what to which table. test/access-matrix.test.ts runs every
// cell against the database, and the docs' access table is generated from it, so the two can't
// disagree. The SQL in supabase/migrations implements it. Keyed by the generated TableName: a new
// table does not compile until its row of the matrix is written.
import type { TableName } from '../db/types.js'

export const ACTORS = ['anon', 'outsider', 'memberA', 'adminA', 'memberB', 'adminB', 'service', 'system'] as const
export type ActorName = (typeof ACTORS)[number]

export const OPERATIONS = ['select', 'insert', 'update', 'delete', 'truncate'] as const
export type Operation = (typeof OPERATIONS)[number]

/**
 * select: which rows the actor sees —
 *   none   no rows at all
 *   own    only rows about the actor (own profile, own AI usage, own preferences)
 *   org    the live (not soft-deleted) rows of the actor's organization, and any 'own' rows
 *   all    every row, soft-deleted included
 * writes, aimed at organization A's rows (or member A's own row for profiles and preferences) —
 *   ok      the change happens
 *   soft    a DELETE that keeps the row and sets deleted_at (soft delete)
 *   none    the statement succeeds and changes nothing (row-level security filters the rows out)
 *   denied  the statement fails with an error (42501) and changes nothing
 */
export type SelectOutcome = 'none' | 'own' | 'org' | 'all'
export type WriteOutcome = 'ok' | 'soft' | 'none' | 'denied'

export interface TablePolicy {
  /** What the write operations aim at, in words. */
  target: string
  select: Record<ActorName, SelectOutcome>
  insert: Record<ActorName, WriteOutcome>
  update: Record<ActorName, WriteOutcome>
  delete: Record<ActorName, WriteOutcome>
  truncate: Record<ActorName, WriteOutcome>
}

type Row<T> = readonly [T, T, T, T, T, T, T, T]

/** One line of the matrix, in ACTORS order. */
function row<T>([anon, outsider, memberA, adminA, memberB, adminB, service, system]: Row<T>): Record<ActorName, T> {
  return { anon, outsider, memberA, adminA, memberB, adminB, service, system }
}

const NO_TRUNCATE = row<WriteOutcome>(['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok', 'ok'])
// TRUNCATE ... CASCADE of a table that invitations refers to reaches invitations, which no API role may
// write (service_role included): only the system truncates those.
const NO_TRUNCATE_REACHES_INVITATIONS = row<WriteOutcome>(['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok'])

//                                          anon      outsider  memberA   adminA    memberB   adminB    service   system
export const ACCESS_POLICY: Record<TableName, TablePolicy> = {
  organizations: {
    target: 'organization A (insert: a new organization)',
    select:   row<SelectOutcome>(['none',   'none',   'org',    'org',    'org',    'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'none',   'ok',     'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'none',   'none',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE_REACHES_INVITATIONS,
  },
  profiles: {
    target: "member A's profile: update = change full_name (own row only; role and organization have their own rules)",
    select:   row<SelectOutcome>(['none',   'own',    'org',    'org',    'org',    'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'ok',     'denied', 'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'none',   'none',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE_REACHES_INVITATIONS,
  },
  customers: {
    target: "organization A's customers",
    select:   row<SelectOutcome>(['none',   'none',   'org',    'org',    'org',    'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'ok',     'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'none',   'ok',     'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'none',   'soft',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE,
  },
  revenue: {
    target: "organization A's revenue",
    select:   row<SelectOutcome>(['none',   'none',   'org',    'org',    'org',    'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'ok',     'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'none',   'ok',     'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'none',   'soft',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE,
  },
  activities: {
    target: "organization A's activities",
    select:   row<SelectOutcome>(['none',   'none',   'org',    'org',    'org',    'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'ok',     'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'none',   'ok',     'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'none',   'soft',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE,
  },
  audit_logs: {
    target: "organization A's audit rows",
    select:   row<SelectOutcome>(['none',   'none',   'none',   'org',    'none',   'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok']),
    update:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied']),
    delete:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied']),
    truncate: row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied']),
  },
  invitations: {
    target: "organization A's invitations (written only by invite_member, accept_invitation, revoke_invitation, decline_invitation)",
    select:   row<SelectOutcome>(['none',   'none',   'none',   'org',    'none',   'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok']),
    update:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok']),
    delete:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok']),
    truncate: row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok']),
  },
  ai_usage_log: {
    target: "organization A's AI usage",
    select:   row<SelectOutcome>(['none',   'none',   'own',    'org',    'own',    'org',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'denied', 'denied', 'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'none',   'none',   'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'none',   'none',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE,
  },
  user_preferences: {
    target: "member A's preferences",
    select:   row<SelectOutcome>(['none',   'own',    'own',    'own',    'own',    'own',    'all',    'all']),
    insert:   row<WriteOutcome>( ['denied', 'denied', 'ok',     'denied', 'denied', 'denied', 'ok',     'ok']),
    update:   row<WriteOutcome>( ['none',   'none',   'ok',     'none',   'none',   'none',   'ok',     'ok']),
    delete:   row<WriteOutcome>( ['none',   'none',   'ok',     'none',   'none',   'none',   'ok',     'ok']),
    truncate: NO_TRUNCATE,
  },
}
