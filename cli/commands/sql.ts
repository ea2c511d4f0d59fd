// sql: runs SQL as a user under row level security (the Supabase way: role authenticated and the JWT
// claims set for one transaction), as anon, as service_role, or as the system (no RLS, the default),
// and prints the rows as a table, or as JSON for scripts. The quickest way to see what a user sees.
import { type Command, Option } from 'commander'
import { type Kysely, sql } from 'kysely'
import { type Actor, actorOf, API_ROLE_OF, type Database, verifyAccessToken, withActor } from '../../lib/db/index.js'
import { commandOf, isCommentOnly, isTransactionControl, splitStatements } from '../../lib/sql-text.js'
import { dropRunner, installRunner, loginIsSuperuser, runConfined } from '../../lib/confined-sql.js'
import { type DbCommandOptions, withDatabase, withDbOptions } from '../context.js'
import { UsageError } from '../output.js'
import { asOption, cliTokenKeys, defaultSeedCast, resolveActor } from '../helpers.js'
import { renderTable, type Row, toJson } from '../table.js'

export interface StatementResult {
  statement: string
  /** The statement's first keyword: SELECT, UPDATE, ... */
  command: string
  rows: Row[]
  /** Rows inserted, updated or deleted, for those commands. */
  rowCount: number | null
}

/**
 * Role and session-authorization statements, refused by their text as an actor other than the system
 * on a login that cannot reach the owner anyway (a server's login role): there the login role may
 * still become service_role (as PostgREST's authenticator may), and only this guess stands between
 * a session and it (`execute 're' || 'set role service_role'` passes it). A login that is a superuser
 * (the embedded database) does not rely on it: its statements run confined (lib/confined-sql.ts).
 * See docs/production.md.
 */
const ROLE_CHANGE = /\b(?:set|reset)\s+(?:local\s+|session\s+)?(?:role|session\s+authorization)\b|\bset_config\s*\(\s*'(?:role|session_authorization)'/i

/** The statement's text without comments, for the check above. */
function withoutComments(statement: string): string {
  return statement.replace(/--[^\n]*\n?|\/\*[\s\S]*?\*\//g, ' ')
}

/**
 * Runs each statement of `query` in one transaction as the actor; a failing statement rolls back the
 * whole transaction. With rollback: true nothing is committed even when every statement succeeds.
 */
export async function runSql(db: Kysely<Database>, query: string, actor: Actor, options: { rollback?: boolean } = {}): Promise<StatementResult[]> {
  const statements = splitStatements(query).filter((s) => !isCommentOnly(s))
  if (statements.length === 0) throw new UsageError('no SQL statement given')
  // The session's transaction is the actor's context: ending it early would drop the role and claims.
  // ROLLBACK TO SAVEPOINT ends nothing, and is allowed.
  const control = statements.find(isTransactionControl)
  if (control) {
    throw new UsageError(`${commandOf(control)} is not needed: the statements already run in one transaction (--rollback to keep nothing)`)
  }
  return withActor(db, actor, async (trx) => {
    const results: StatementResult[] = []
    // A superuser login (the embedded database) gets back to the owner with any role statement, however
    // written: each statement then runs inside a security-definer function owned by the actor's role,
    // where PostgreSQL refuses every change of role or session authorization.
    if (actor.kind !== 'system' && await loginIsSuperuser(trx)) {
      const role = API_ROLE_OF[actor.kind]
      const runner = { oid: await installRunner(trx, role), role }
      for (const statement of statements) {
        const command = commandOf(statement)
        const r = await runConfined(trx, runner, statement)
        results.push({ statement, command, rows: r.rows, rowCount: AFFECTS_ROWS.has(command) ? r.count : null })
      }
      await dropRunner(trx, runner)
      return results
    }
    if (actor.kind !== 'system') {
      const change = statements.find((st) => ROLE_CHANGE.test(withoutComments(st)))
      if (change) {
        throw new UsageError(`changing the role or session authorization is refused as --as ${actor.kind}: the session runs as that actor (${commandOf(change)} ...)`)
      }
    }
    for (const statement of statements) {
      const r = await sql.raw<Row>(statement).execute(trx)
      results.push({
        statement,
        command: commandOf(statement),
        rows: r.rows,
        rowCount: r.numAffectedRows === undefined ? null : Number(r.numAffectedRows),
      })
    }
    return results
  }, { attempts: 1, rollback: options.rollback ?? false })
}

/** The commands whose row count is reported (Kysely's numAffectedRows on the direct path). */
const AFFECTS_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

export function formatResult(r: StatementResult): string {
  if (r.rows.length > 0) return `${renderTable(r.rows)}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`
  if (r.rowCount !== null) return `${r.command} ${r.rowCount}`
  if (r.command === 'SELECT' || r.command === 'WITH' || r.command === 'TABLE' || r.command === 'VALUES') return '(0 rows)'
  return r.command || 'OK'
}

export function register(program: Command): void {
  const cast = defaultSeedCast()
  withDbOptions(
    program
      .command('sql')
      .description('run SQL as a user under RLS (--as <email>), as anon, as service_role, or as the system (default)')
      .argument('<query>', 'SQL: one statement, or several separated by ";" (one transaction)'),
  )
    .option('--as <who>', 'an email of auth.users, "anon", "service" or "system"', asOption(['anon', 'service', 'system']), 'system')
    .addOption(new Option('--token <jwt>', 'an access token: run as whoever it proves (verified against TENANTRY_JWT_SECRET or the local default, and TENANTRY_JWKS_URL)').conflicts('as'))
    .option('--json', 'print the rows of the last statement as JSON')
    .option('--rollback', 'roll the transaction back at the end: try a write without keeping it')
    .addHelpText('after', `
As a user the query runs like an API request from that user: role authenticated, auth.uid() = the
user, so the row level security policies decide what it sees and may change. The system bypasses RLS.

What holds as anyone but the system (docs/production.md):
- On a server the session logs in as tenantry_authenticator (TENANTRY_AUTHENTICATOR_URL, else
  DATABASE_URL as that role without a password): no statement reaches the owner's rights from there.
  That role may still become service_role; role statements are refused by their text, a guess that
  dynamic SQL (execute) gets past.
- The embedded database logs in only as its superuser: each statement runs inside a security-definer
  function owned by the actor's role, where PostgreSQL refuses any change of role or session
  authorization, however written (execute, set_config, functions made on the fly): the statements
  read and change only what the actor may. Statements that cannot run in a function (VACUUM, COPY
  from the client, SELECT ... INTO) fail; array values print as their JSON text.

Examples (the users exist after \`npm start\` or a default \`tenantry seed\`):
  $ tenantry sql "select name, status, total_revenue from customers order by total_revenue desc limit 5" --as ${cast.admin}
  $ tenantry sql "select count(*) from customers" --as anon
  $ tenantry sql "update customers set status = 'inactive' where status = 'active'" --as ${cast.member} --rollback
  $ tenantry sql "select slug, name from organizations" --json
  $ tenantry sql "select auth.uid(), count(*) from customers" --token "$(tenantry token --as ${cast.member})"

Exit codes: 0 success, 1 SQL error, unknown user or not allowed (one line on stderr), 2 cannot connect.`)
    .action(async (query: string, options: DbCommandOptions & { as: string; token?: string; json?: boolean; rollback?: boolean }) => {
      // Verified before the database opens: a bad token is one line and exit 1, whatever the database.
      // The CLI's user already holds the database URL, so a service_role token is accepted.
      const tokenActor = options.token === undefined
        ? undefined
        : actorOf(await verifyAccessToken(options.token, cliTokenKeys(), { allowServiceRole: true }))
      // Anyone but the system logs in as the login role on a server (context.ts): from there no statement
      // reaches the owner's rights, whatever its text.
      const loginRole = tokenActor !== undefined || options.as !== 'system'
      const results = await withDatabase(options, async ({ handle }) => {
        const actor = tokenActor ?? await resolveActor(handle.db, options.as)
        return runSql(handle.db, query, actor, { rollback: options.rollback ?? false })
      }, { loginRole })
      if (options.json) {
        console.log(toJson(results[results.length - 1]?.rows ?? []))
        return
      }
      console.log(results.map(formatResult).join('\n\n'))
      if (options.rollback) console.log('(rolled back)')
    })
}
