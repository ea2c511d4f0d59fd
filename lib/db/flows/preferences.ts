// A signed-in user's own preferences (user_preferences, one row per user). The row is always the
// caller's: user_id is auth.uid() of the session, never a parameter.
import { type Kysely, sql } from 'kysely'
import { NotAuthorizedError, translated } from '../errors.js'
import type { Database, ThemePreference, UserPreferences } from '../types.js'

export interface PreferencesInput {
  theme_preference: ThemePreference
}

/** The caller's user id; NotAuthorizedError outside a signed-in user's session. */
async function callerId(db: Kysely<Database>): Promise<string> {
  const r = await translated(() => sql<{ uid: string | null }>`select auth.uid() as uid`.execute(db))
  const uid = r.rows[0]?.uid
  if (!uid) {
    throw new NotAuthorizedError('not authorized: preferences belong to a signed-in user (run this in asUser)', {
      table: 'user_preferences',
    })
  }
  return uid
}

/** The caller's preferences, or undefined while they have never been set (the defaults apply). */
export async function getPreferences(db: Kysely<Database>): Promise<UserPreferences | undefined> {
  const uid = await callerId(db)
  return translated(() =>
    db.selectFrom('user_preferences').selectAll().where('user_id', '=', uid).executeTakeFirst(),
  )
}

/** Creates or updates the caller's preferences and returns the stored row. */
export async function setPreferences(db: Kysely<Database>, input: PreferencesInput): Promise<UserPreferences> {
  const uid = await callerId(db)
  return translated(() =>
    db
      .insertInto('user_preferences')
      .values({ user_id: uid, theme_preference: input.theme_preference })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ theme_preference: input.theme_preference }))
      .returningAll()
      .executeTakeFirstOrThrow(),
  )
}
