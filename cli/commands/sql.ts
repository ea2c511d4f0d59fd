// sql: runs SQL as a user under row level security (the Supabase way: role authenticated and the JWT
// claims set for one transaction), as anon, as service_role, or as the system (no RLS, the default),
// and prints the rows as a table, or as JSON for scripts. The quickest way to see what a user sees.
import { type Command, Option } from 'commander'
import { type Kysely, sql } from 'kysely'
import { type Actor, actorOf, API_ROLE_OF, type Database, verifyAccessToken, withActor } from '../../lib/db/index.js'
import { commandOf, isCommentOnly, isTransactionControl, splitStatements } from '../../lib/sql-text.js'
import { dropRunner, installRunner, type LoginReach, loginReach, runConfined } from '../../lib/confined-sql.js'
import { type DbCommandOptions, LOGIN_ROLE, LOGIN_ROLE_URL_VARIABLE, USER_LOGIN_ROLE, withDatabase, withDbOptions } from '../context.js'
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
 * The roles an actor's session may reach from its login: the actor's own API role, and roles with no
 * more rights (service_role's sessions log in as tenantry_authenticator, which may also become anon or
 * authenticated; a user's or anon's as tenantry_user_authenticator, migration 017).
 */
const REACHABLE: Record<Exclude<Actor['kind'], 'system'>, readonly string[]> = {
  user: ['anon', 'authenticated'],
  anon: ['anon', 'authenticated'],
  service: ['anon', 'authenticated', 'service_role'],
}

/**
 * Refuses to run an actor's statements over a login from which a statement could reach more than the
 * actor may: a role outside REACHABLE (set role ..., however written: execute, a function, a DO
 * block), or rights of the login itself (reset role). The login is checked, not the statements' text.
 */
function checkLogin(actor: Exclude<Actor['kind'], 'system'>, reach: LoginReach): void {
  const beyond = reach.roles.filter((r) => !REACHABLE[actor].includes(r))
  if (beyond.length === 0 && !reach.ownRights) return
  const login = actor === 'service' ? LOGIN_ROLE : USER_LOGIN_ROLE
  const what = [...(beyond.length > 0 ? [`may become ${beyond.join(', ')}`] : []), ...(reach.ownRights ? ['has rights of its own'] : [])]
  throw new UsageError(`refused: as ${actor} the statements would run over the login ${reach.login}, which ${what.join(' and ')}; ` +
    `sessions as ${actor === 'service' ? 'service' : 'a user or anon'} must log in as ${login} (${LOGIN_ROLE_URL_VARIABLE[login]}, docs/production.md)`)
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
    const reach = actor.kind === 'system' ? undefined : await loginReach(trx)
    // A superuser login (the embedded database) gets back to the owner with any role statement, however
    // written: each statement then runs inside a security-definer function owned by the actor's role,
    // where PostgreSQL refuses every change of role or session authorization.
    if (actor.kind !== 'system' && reach?.superuser) {
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
    if (actor.kind !== 'system' && reach) checkLogin(actor.kind, reach)
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
- On a server a user or anon logs in as tenantry_user_authenticator (TENANTRY_USER_AUTHENTICATOR_URL,
  else DATABASE_URL as that role without a password), a role that can become anon or authenticated
  and nothing else; service logs in as tenantry_authenticator (TENANTRY_AUTHENTICATOR_URL), which
  can also become service_role. No statement reaches service_role or the owner from the first,
  however it is written (execute, DO blocks, functions): the database refuses it. A login that could
  reach more than the actor (another role, or rights of its own) is refused before anything runs.
- The embedded database logs in only as its superuser: each statement runs inside a security-definer
  function owned by the actor's role, where PostgreSQL refuses any change of role or session
  authorization, however written. Statements that cannot run in a function (VACUUM, COPY from the
  client, SELECT ... INTO) fail; array values print as their JSON text.
- Not held, on either database: who the user is. auth.uid() and the policies read the request's JWT
  claims, a setting any statement may change, so a statement that sets request.jwt.claims (and
  request.jwt.claim.sub) to another user reads and writes as that user, within the role
  authenticated (never service_role or the owner); on a server --as anon may become authenticated
  to do so. Supabase's API has the same rule: whoever runs SQL as authenticated chooses the claims.
  So this command shows what a user sees; it does not keep a user who writes SQL in their tenant.

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
      // Anyone but the system logs in as a login role on a server (context.ts): a user or anon as one that
      // can become only anon or authenticated, service as one that may become service_role too. From
      // there no statement reaches more, whatever its text (runSql checks the login it gets).
      const kind = tokenActor?.kind ?? (options.as === 'system' || options.as === 'anon' || options.as === 'service' ? options.as : 'user')
      const loginRole = kind === 'system' ? undefined : kind === 'service' ? LOGIN_ROLE : USER_LOGIN_ROLE
      const results = await withDatabase(options, async ({ handle }) => {
        const actor = tokenActor ?? await resolveActor(handle.db, options.as)
        return runSql(handle.db, query, actor, { rollback: options.rollback ?? false })
      }, loginRole ? { loginRole } : {})
      if (options.json) {
        console.log(toJson(results[results.length - 1]?.rows ?? []))
        return
      }
      console.log(results.map(formatResult).join('\n\n'))
      if (options.rollback) console.log('(rolled back)')
    })
}
