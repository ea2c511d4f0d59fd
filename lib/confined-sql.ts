// Untrusted SQL on a login that can reach the owner (the embedded database: PGlite's one session is
// its bootstrap superuser, and its `username` option is only a SET ROLE). Each statement runs inside a
// SECURITY DEFINER function owned by the actor's API role. PostgreSQL refuses to change `role` or
// `session_authorization` within a security-definer function's context (42501 "cannot set parameter
// ... within security-definer function"), and that context holds for everything called from there:
// DO blocks, dynamic EXECUTE, set_config(), functions made on the fly (even with their own SET role
// clause). So no statement can get back to the session's superuser, whatever its text.
import { type Kysely, sql } from 'kysely'
import { type Database, NotAuthorizedError } from './db/index.js'
import { commandOf } from './sql-text.js'

/** The runner, created per transaction by the session's login, then handed to the actor's role. */
const RUNNER = 'pg_temp.tenantry_confined_run(text, text)'

// Rows come back as text (json_each_text of to_json: numbers keep their exact digits) with the
// columns' type oids from the statement's description (pg_prepared_statements.result_types, 16+).
// No SET clause: a statement's own `set local search_path ...` must hold for the next statement,
// and a function with a SET clause would undo it on return.
const RUNNER_BODY = `
declare
  r record;
  rows json[] := '{}';
  cols text[];
  types pg_catalog.regtype[];
  n bigint;
begin
  if mode = 'exec' then
    execute stmt;
    get diagnostics n = row_count;
    return pg_catalog.json_build_object('count', n);
  end if;
  if mode = 'describe' then
    if exists (select from pg_catalog.pg_prepared_statements where name = 'tenantry_confined_stmt') then
      deallocate tenantry_confined_stmt;
    end if;
    execute 'prepare tenantry_confined_stmt as ' || stmt;
    select p.result_types into types from pg_catalog.pg_prepared_statements p where p.name = 'tenantry_confined_stmt';
    deallocate tenantry_confined_stmt;
    if types is null then
      execute stmt;
      get diagnostics n = row_count;
      return pg_catalog.json_build_object('count', n);
    end if;
  end if;
  for r in execute stmt loop
    if cols is null then
      select pg_catalog.array_agg(e.key) into cols from pg_catalog.json_each(pg_catalog.to_json(r)) e;
    end if;
    rows := rows || (select pg_catalog.json_agg(e.value) from pg_catalog.json_each_text(pg_catalog.to_json(r)) e);
  end loop;
  return pg_catalog.json_build_object('columns', cols, 'types', types::pg_catalog.oid[], 'rows', rows);
end`

export interface ConfinedResult {
  rows: Record<string, unknown>[]
  /** Rows the statement processed (INSERT/UPDATE/DELETE/MERGE, and rows returned). */
  count: number
}

/** Statements PREPARE accepts: their result columns (and types) can be described before they run. */
const DESCRIBABLE = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE'])
/** Utility statements that answer rows: their values come back as text (no description to read types from). */
const UTILITY_ROWS = new Set(['SHOW', 'EXPLAIN', 'FETCH'])

/** What a statement could get back to from the transaction's login, whatever its text. */
export interface LoginReach {
  /** session_user: the role `reset role` and `reset session authorization` lead back to. */
  login: string
  /** The login is a superuser: SET ROLE alone confines nothing (the embedded database's only login). */
  superuser: boolean
  /** Every role the login may SET ROLE to (directly or through other roles), itself excepted. */
  roles: string[]
  /**
   * Rights of the login itself beyond PUBLIC's, which `reset role` would give a statement: BYPASSRLS,
   * or a table of this database it owns or was granted (temporary ones aside: a statement's own).
   */
  ownRights: boolean
}

/** Reads what the transaction's login can reach (one catalog query, schema-qualified throughout). */
export async function loginReach(trx: Kysely<Database>): Promise<LoginReach> {
  const r = await sql<LoginReach>`
    select s.rolname::pg_catalog.text as login, s.rolsuper as superuser,
           array(select m.rolname::pg_catalog.text from pg_catalog.pg_roles m
                  where m.oid operator(pg_catalog.<>) s.oid and pg_catalog.pg_has_role(s.oid, m.oid, 'MEMBER')
                  order by 1) as roles,
           s.rolbypassrls or exists (
             select from pg_catalog.pg_class c
              where c.relpersistence operator(pg_catalog.<>) 't'
                and (c.relowner operator(pg_catalog.=) s.oid
                     or exists (select from pg_catalog.aclexplode(c.relacl) a where a.grantee operator(pg_catalog.=) s.oid))) as "ownRights"
      from pg_catalog.pg_roles s where s.rolname operator(pg_catalog.=) session_user`.execute(trx)
  const reach = r.rows[0]
  if (!reach) throw new Error('the session\'s login is not in pg_roles')
  return reach
}

/**
 * Installs the runner for the rest of the transaction: made by the login (a superuser), then owned by
 * the actor's role, and the transaction back in that role. Call it right after becomeActor.
 */
export async function installRunner(trx: Kysely<Database>, role: string): Promise<number> {
  await sql`reset role`.execute(trx)
  await sql.raw(`create function ${RUNNER.replace('(text, text)', '(stmt text, mode text)')} returns json language plpgsql volatile security definer as $tenantry_runner$${RUNNER_BODY}$tenantry_runner$`).execute(trx)
  await sql.raw(`revoke all on function ${RUNNER} from public`).execute(trx)
  await sql.raw(`alter function ${RUNNER} owner to ${role}`).execute(trx)
  const oid = await sql<{ oid: number }>`select ${sql.lit(RUNNER)}::pg_catalog.regprocedure::pg_catalog.oid as oid`.execute(trx)
  await sql.raw(`set local role ${role}`).execute(trx)
  const value = oid.rows[0]?.oid
  if (value === undefined) throw new Error('the confined runner was not created')
  return Number(value)
}

/**
 * Ends the confinement: what the statements left to run at commit runs now, inside the runner, then the
 * runner is dropped (as the login), leaving the transaction in the actor's role. At commit, outside any
 * function, a deferred constraint trigger fires and a WITH HOLD cursor runs its query to the end, both
 * as the current role with nothing to stop `reset role` (measured: either read every tenant's rows as
 * postgres). SET CONSTRAINTS ALL IMMEDIATE fires the deferred triggers (and makes any later event
 * immediate); CLOSE ALL drops the cursors. Then the runner and every temporary object go.
 */
export async function dropRunner(trx: Kysely<Database>, runner: { oid: number; role: string }): Promise<void> {
  await runConfined(trx, runner, 'set constraints all immediate')
  await runConfined(trx, runner, 'close all')
  const role = runner.role
  await sql`reset role`.execute(trx)
  // Everything the statements made in pg_temp goes with the runner: the session outlives the
  // transaction (PGlite has one), and a temporary view or table left behind could stand in, on a
  // search_path a statement set for the session, for a table that later code of the login reads.
  await sql`discard temp`.execute(trx)
  await sql.raw(`set local role ${role}`).execute(trx)
}

/**
 * A statement of the previous call may have replaced the runner (its role owns it): CREATE OR REPLACE
 * it as SECURITY INVOKER, or drop it and make another of that name, and the next statement would run
 * outside the security-definer context. So before each call, the runner must still be the one made by
 * installRunner. Compared in JavaScript: an operator here would run before the confinement starts, and
 * a user may define one (with search_path set to find theirs first).
 */
async function checkRunner(trx: Kysely<Database>, oid: number, role: string): Promise<void> {
  const r = await sql<{ oid: number; secdef: boolean; owner: string; src: string; config: string[] | null; lang: string }>`
    select p.oid::pg_catalog.int8 as oid, p.prosecdef as secdef, p.proowner::pg_catalog.regrole::pg_catalog.text as owner,
           p.prosrc as src, p.proconfig as config, l.lanname::pg_catalog.text as lang
      from pg_catalog.pg_proc p, pg_catalog.pg_language l
     where p.oid operator(pg_catalog.=) ${RUNNER}::pg_catalog.regprocedure and l.oid operator(pg_catalog.=) p.prolang`.execute(trx)
  const p = r.rows[0]
  if (!p || Number(p.oid) !== oid || !p.secdef || p.owner !== role || p.src !== RUNNER_BODY || p.config !== null || p.lang !== 'plpgsql') {
    throw new NotAuthorizedError(`a statement changed or replaced ${RUNNER}, which runs the statements as the actor: refused`)
  }
}

const JSON_OIDS = new Set([114, 3802])
const NUMBER_OIDS = new Set([21, 23, 26, 700, 701])
const TIMESTAMP_OIDS = new Set([1114, 1184])

/** A value as node-postgres would have parsed it (see connection.ts): exact text unless a JS number holds it. */
function parseCell(text: string | null, oid: number | undefined): unknown {
  if (text === null) return null
  if (oid === undefined) return text
  if (JSON_OIDS.has(oid)) return JSON.parse(text) as unknown
  if (oid === 16) return text === 'true'
  if (NUMBER_OIDS.has(oid)) return Number(text)
  if (TIMESTAMP_OIDS.has(oid)) return new Date(text)
  return text
}

/** The i-th type oid (json has oid as a string). */
function oidAt(types: (string | number)[] | null | undefined, i: number): number | undefined {
  const t = types?.[i]
  return t === undefined ? undefined : Number(t)
}

/** Runs one statement inside the runner, as the role that owns it. */
export async function runConfined(trx: Kysely<Database>, runner: { oid: number; role: string }, statement: string): Promise<ConfinedResult> {
  await checkRunner(trx, runner.oid, runner.role)
  const command = commandOf(statement)
  const mode = DESCRIBABLE.has(command) ? 'describe' : UTILITY_ROWS.has(command) ? 'rows' : 'exec'
  const r = await sql<{ result: { count?: number; columns?: string[] | null; types?: (string | number)[] | null; rows?: (string | null)[][] } }>`
    select pg_temp.tenantry_confined_run(${statement}::pg_catalog.text, ${mode}::pg_catalog.text) as result`.execute(trx)
  const result = r.rows[0]?.result
  if (!result) throw new Error('the confined runner answered nothing')
  if (result.count !== undefined) return { rows: [], count: Number(result.count) }
  const columns = result.columns ?? []
  const rows = (result.rows ?? []).map((cells) => Object.fromEntries(columns.map((c, i) => [c, parseCell(cells[i] ?? null, oidAt(result.types, i))])))
  return { rows, count: rows.length }
}
