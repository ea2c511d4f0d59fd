// Tenant context per transaction, the way Supabase's API sets it: `set local role` and the JWT claims
// through set_config(..., true) with the JSON passed as a parameter. Both end with the transaction,
// so nothing reaches the next user of a pooled connection, whatever happens inside.
import { type Kysely, sql, type Transaction } from 'kysely'
import { RetryableError, translateError } from './errors.js'
import { onSessionPool } from './session-routes.js'
import type { Database } from './types.js'

export type Claims = { sub?: string; role?: string; [claim: string]: unknown }

export type Actor =
  | { kind: 'user'; userId: string; claims?: Claims }
  | { kind: 'anon' }
  | { kind: 'service' }
  | { kind: 'system' }

/** The API role each actor but the system becomes (`set local role`), as Supabase's API does. */
export const API_ROLE_OF = { user: 'authenticated', anon: 'anon', service: 'service_role' } as const

/** The JWT claims a request by this actor carries, as Supabase's API would set them (none for the system). */
function requestClaimsFor(actor: Actor): Claims | null {
  switch (actor.kind) {
    case 'user':
      return { aud: 'authenticated', ...actor.claims, sub: actor.userId, role: 'authenticated' }
    case 'anon':
      return { role: 'anon' }
    case 'service':
      return { role: 'service_role' }
    case 'system':
      return null
  }
}

/**
 * Sets the request's JWT claims for the rest of the transaction, as Supabase's API does (null: none,
 * the system). '' rather than NULL for none: auth.uid() treats both as "no user", as Supabase's does.
 * The per-claim settings too (PostgREST's legacy GUCs): the auth.uid() of Supabase's init scripts,
 * before GoTrue's migrations replace it, reads request.jwt.claim.sub alone.
 */
export async function setRequestClaims(db: Kysely<Database>, claims: Claims | null): Promise<void> {
  const claim = (name: string): string => {
    const value = claims?.[name]
    return typeof value === 'string' ? value : ''
  }
  await sql`select set_config('request.jwt.claims', ${claims ? JSON.stringify(claims) : ''}, true),
                   set_config('request.jwt.claim.sub', ${claim('sub')}, true),
                   set_config('request.jwt.claim.role', ${claim('role')}, true),
                   set_config('request.jwt.claim.email', ${claim('email')}, true)`.execute(db)
}

/**
 * Makes the rest of an open transaction run as the actor: its JWT claims, and `set local role` to its
 * API role (the system: back to the transaction's login, no claims). withActor begins every session
 * with it; code that must change actor inside one transaction (a step as one user, the next as
 * another, all rolled back together) calls it between steps. Both end with the transaction.
 */
export async function becomeActor(trx: Kysely<Database>, actor: Actor): Promise<void> {
  await setRequestClaims(trx, requestClaimsFor(actor))
  await sql.raw(actor.kind === 'system' ? 'reset role' : `set local role ${API_ROLE_OF[actor.kind]}`).execute(trx)
}

export interface SessionOptions {
  /**
   * Attempts in all on serialization failure or deadlock (40001, 40P01); default 3. A retry runs fn
   * again from the start: keep side effects outside the database out of it.
   */
  attempts?: number
  /**
   * Roll the transaction back after fn returns, and return fn's result: for previews, dry runs and
   * measurements that must leave nothing behind.
   */
  rollback?: boolean
  /**
   * A read-only transaction (writes fail with 25006), on the read replica when createDb has one
   * (replicaUrl): for dashboards and other reads that may lag the primary by the replica's replay
   * delay. Without a replica it runs on the primary, read-only all the same. See docs/production.md.
   */
  readOnly?: boolean
}

/** Thrown to roll back a transaction on purpose (the rollback option); never leaves withActor. */
class RollbackOnPurpose extends Error {}

/** Runs fn in one transaction as the actor; errors roll back and come out as typed errors. */
export async function withActor<T>(
  db: Kysely<Database>,
  actor: Actor,
  fn: (trx: Transaction<Database>) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 3
  for (let attempt = 1; ; attempt++) {
    let kept: { value: T } | undefined
    try {
      // On the login role's pool (and the replica, read-only) when createDb opened them: session-routes.ts.
      return await onSessionPool(db, actor.kind, options.readOnly === true, (target) => {
        const begin = target.transaction()
        return (options.readOnly ? begin.setAccessMode('read only') : begin).execute(async (trx) => {
          // A new transaction starts as the pool's login: only another actor needs the switch.
          if (actor.kind === 'system') await setRequestClaims(trx, null)
          else await becomeActor(trx, actor)
          const result = await fn(trx)
          if (options.rollback) {
            kept = { value: result }
            throw new RollbackOnPurpose('rolled back on purpose')
          }
          return result
        })
      })
    } catch (e) {
      if (e instanceof RollbackOnPurpose && kept) return kept.value
      const err = translateError(e)
      if (!(err instanceof RetryableError) || attempt >= attempts) throw err
      // A short random pause, so that two transactions that deadlocked don't collide again at once.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt))
    }
  }
}

/** As a signed-in user (role authenticated), by id or with extra JWT claims. */
export function asUser<T>(
  db: Kysely<Database>,
  user: string | (Claims & { sub: string }),
  fn: (trx: Transaction<Database>) => Promise<T>,
  options?: SessionOptions,
): Promise<T> {
  const actor: Actor = typeof user === 'string' ? { kind: 'user', userId: user } : { kind: 'user', userId: user.sub, claims: user }
  return withActor(db, actor, fn, options)
}

/** As an anonymous API request (role anon, no user). */
export function asAnon<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>, options?: SessionOptions): Promise<T> {
  return withActor(db, { kind: 'anon' }, fn, options)
}

/** As the trusted server (role service_role: bypasses RLS, audited as the system actor). */
export function asService<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>, options?: SessionOptions): Promise<T> {
  return withActor(db, { kind: 'service' }, fn, options)
}

/** As the database owner with no JWT at all: migrations, seeds, maintenance. */
export function asSystem<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>, options?: SessionOptions): Promise<T> {
  return withActor(db, { kind: 'system' }, fn, options)
}
