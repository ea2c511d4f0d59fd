// Checks a database for the mistakes that break or slow down a multi-tenant Supabase schema, in the
// spirit of Supabase's linter (splinter): tables without row level security, policies that call auth
// helpers once per row, functions with a mutable search_path, unindexed foreign keys, duplicate
// indexes, RLS with no policy, overlapping permissive policies, SECURITY DEFINER functions exposed to
// the API roles, and applied migrations edited since. Every check reads pg_catalog only.
import { type Kysely, sql } from 'kysely'
import { migrationStatus } from '../migrate/index.js'

/** What one check found wrong with one object. */
export interface Problem {
  /** The object concerned: public.customers, policy customers_select on public.customers, ... */
  object: string
  /** What is wrong and what to do, in one line. */
  message: string
}

/** Schemas Supabase or extensions own: not this project's to fix (splinter skips the same ones). */
export const INTERNAL_SCHEMAS = [
  'pg_catalog', 'information_schema', 'pg_toast', 'auth', 'cron', 'extensions', 'graphql', 'graphql_public',
  'net', 'pgbouncer', 'pgroonga', 'pgsodium', 'pgsodium_masks', 'pgtle', 'realtime', 'repack', 'storage',
  'supabase_functions', 'supabase_migrations', 'tiger', 'topology', 'vault', '_timescaledb_internal',
] as const

/** A table comment saying the table has no policies on purpose silences rls_enabled_no_policy. */
export const NO_POLICY_ON_PURPOSE = /\b(no policies|deny[ -]all)\b/i

const internal = sql.raw(INTERNAL_SCHEMAS.map((s) => `'${s}'`).join(', '))

// ---------------------------------------------------------------------------------------------
// Policy expressions: which helper calls are not wrapped in a scalar subquery
// ---------------------------------------------------------------------------------------------

/**
 * Calls that depend only on the request, not on the row: wrapped as `(select auth.uid())` PostgreSQL
 * evaluates them once per statement (an InitPlan); bare, once per row. Splinter's auth_rls_initplan
 * tests `qual like '%auth.uid()%' and lower(qual) not like '%select auth.uid()%'` for auth.uid(),
 * auth.jwt(), auth.role(), auth.email() and current_setting(); this also covers the private.* helpers
 * and tests each call on its own (one wrapped call does not excuse a bare one beside it).
 */
const HELPER_CALL = /\b(auth\s*\.\s*(?:uid|jwt|role|email)|current_setting|private\s*\.\s*[A-Za-z_][A-Za-z0-9_$]*)\s*\(/gi

/** The helper calls in a policy expression that are not inside a `(select ...)`. */
export function unwrappedHelperCalls(expression: string): string[] {
  const calls = [...expression.matchAll(HELPER_CALL)].map((m) => ({ at: m.index, name: (m[1] ?? '').replace(/\s+/g, '') }))
  if (calls.length === 0) return []
  const bare: string[] = []
  const stack: boolean[] = [] // per open parenthesis: does a SELECT start right inside it?
  let next = 0
  for (let i = 0; i < expression.length && next < calls.length; i++) {
    while (next < calls.length && calls[next]?.at === i) {
      if (!stack.includes(true)) bare.push(`${calls[next]?.name ?? ''}()`)
      next++
    }
    const c = expression[i]
    if (c === "'" || c === '"') {
      // Skip a string literal or quoted identifier ('' and "" escape the quote).
      for (i++; i < expression.length; i++) {
        if (expression[i] === c) {
          if (expression[i + 1] === c) i++
          else break
        }
      }
    } else if (c === '(') {
      stack.push(/^\s*select\b/i.test(expression.slice(i + 1, i + 16)))
    } else if (c === ')') {
      stack.pop()
    }
  }
  return [...new Set(bare)]
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

type Db<DB> = Kysely<DB>

async function rlsDisabled<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ name: string }>`
    select format('%I.%I', 'public', c.relname) as name
      from pg_catalog.pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity
       and not exists (select 1 from pg_catalog.pg_depend d where d.objid = c.oid and d.deptype = 'e')
     order by 1`.execute(db)
  return r.rows.map((t) => ({
    object: t.name,
    message: `row level security is not enabled: the API roles read and write every row (alter table ${t.name} enable row level security)`,
  }))
}

async function rlsInitplan<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ schemaname: string; tablename: string; policyname: string; qual: string | null; with_check: string | null }>`
    select schemaname, tablename, policyname, qual, with_check
      from pg_catalog.pg_policies
     where schemaname not in (${internal})
     order by schemaname, tablename, policyname`.execute(db)
  const findings: Problem[] = []
  for (const p of r.rows) {
    const bare = [...new Set([...unwrappedHelperCalls(p.qual ?? ''), ...unwrappedHelperCalls(p.with_check ?? '')])]
    if (bare.length === 0) continue
    findings.push({
      object: `policy ${p.policyname} on ${p.schemaname}.${p.tablename}`,
      message: `calls ${bare.join(', ')} once per row: wrap each call as (select ${bare[0] ?? 'auth.uid()'}) so it runs once per statement`,
    })
  }
  return findings
}

async function mutableSearchPath<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ name: string; secdef: boolean }>`
    select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as name, p.prosecdef as secdef
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where (n.nspname in ('public', 'private') or p.prosecdef)
       and n.nspname not in (${internal})
       and p.prokind in ('f', 'p')
       and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e')
       and not exists (select 1 from unnest(coalesce(p.proconfig, '{}'::text[])) as c(setting) where c.setting like 'search_path=%')
     order by 1`.execute(db)
  return r.rows.map((f) => ({
    object: `function ${f.name}`,
    message: `${f.secdef ? 'SECURITY DEFINER and ' : ''}no fixed search_path: a caller's search_path decides what its unqualified names mean (add set search_path = '' and qualify the names)`,
  }))
}

async function unindexedForeignKeys<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ table_name: string; constraint_name: string; columns: string[] }>`
    select format('%I.%I', n.nspname, c.relname) as table_name, con.conname as constraint_name,
           array(select a.attname::text
                   from unnest(con.conkey) with ordinality as k(attnum, ord)
                   join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
                  order by k.ord) as columns
      from pg_catalog.pg_constraint con
      join pg_catalog.pg_class c on c.oid = con.conrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where con.contype = 'f' and n.nspname not in (${internal})
       and not exists (
         select 1 from pg_catalog.pg_index i
          where i.indrelid = con.conrelid and i.indisvalid and i.indpred is null
            and array(select k.attnum from unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
                       where k.ord <= cardinality(con.conkey) order by k.ord) = con.conkey::int2[])
     order by 1, 2`.execute(db)
  return r.rows.map((f) => ({
    object: `foreign key ${f.constraint_name} on ${f.table_name}`,
    message: `no index starts with its columns (${f.columns.join(', ')}): deletes and updates of the referenced rows scan the table (create index on ${f.table_name} (${f.columns.join(', ')}))`,
  }))
}

async function duplicateIndexes<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ table_name: string; indexes: string[] }>`
    select format('%I.%I', n.nspname, c.relname) as table_name,
           array_agg(ic.relname::text order by ic.relname) as indexes
      from pg_catalog.pg_index i
      join pg_catalog.pg_class c on c.oid = i.indrelid
      join pg_catalog.pg_class ic on ic.oid = i.indexrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in (${internal})
     group by n.nspname, c.relname, i.indrelid, regexp_replace(pg_get_indexdef(i.indexrelid), ' INDEX ("(?:[^"]|"")+"|\\S+) ON ', ' INDEX ON ')
    having count(*) > 1
     order by 1, 2`.execute(db)
  return r.rows.map((d) => ({
    object: d.table_name,
    message: `indexes ${d.indexes.join(', ')} are identical apart from their names: every write maintains both (drop all but one)`,
  }))
}

async function rlsWithoutPolicy<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ name: string; comment: string | null }>`
    select format('%I.%I', n.nspname, c.relname) as name, obj_description(c.oid, 'pg_class') as comment
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in (${internal}) and c.relkind in ('r', 'p') and c.relrowsecurity
       and not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = c.oid)
     order by 1`.execute(db)
  return r.rows
    .filter((t) => !NO_POLICY_ON_PURPOSE.test(t.comment ?? ''))
    .map((t) => ({
      object: t.name,
      message: `row level security is on and no policy exists: the API roles see nothing. If that is the intent, say so in the table's comment (comment on table ${t.name} is 'no policies: ...')`,
    }))
}

async function multiplePermissive<DB>(db: Db<DB>): Promise<Problem[]> {
  // A policy for PUBLIC (role oid 0) applies to the API roles too.
  const r = await sql<{ table_name: string; role: string; command: string; policies: string[] }>`
    select format('%I.%I', n.nspname, c.relname) as table_name, coalesce(r.rolname, 'public') as role, cmd.command,
           array_agg(p.polname::text order by p.polname) as policies
      from pg_catalog.pg_policy p
      join pg_catalog.pg_class c on c.oid = p.polrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     cross join lateral unnest(
           case when p.polroles = '{0}'::oid[]
                then coalesce((select array_agg(oid) from pg_catalog.pg_roles where rolname in ('anon', 'authenticated')), '{0}'::oid[])
                else p.polroles end) as pr(role_id)
      left join pg_catalog.pg_roles r on r.oid = pr.role_id
     cross join lateral unnest(case p.polcmd when '*' then array['SELECT', 'INSERT', 'UPDATE', 'DELETE']
                                             when 'r' then array['SELECT'] when 'a' then array['INSERT']
                                             when 'w' then array['UPDATE'] else array['DELETE'] end) as cmd(command)
     where p.polpermissive and n.nspname not in (${internal})
     group by 1, 2, 3
    having count(*) > 1
     order by 1, 2, 3`.execute(db)
  return r.rows.map((m) => ({
    object: m.table_name,
    message: `${m.policies.length} permissive policies for ${m.role} ${m.command} (${m.policies.join(', ')}): each is evaluated for every row; merge them into one`,
  }))
}

async function exposedSecurityDefiner<DB>(db: Db<DB>): Promise<Problem[]> {
  const roles = await sql<{ rolname: string }>`
    select rolname from pg_catalog.pg_roles where rolname in ('anon', 'authenticated') order by rolname`.execute(db)
  const findings: Problem[] = []
  for (const { rolname } of roles.rows) {
    const r = await sql<{ name: string }>`
      select format('public.%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) as name
        from pg_catalog.pg_proc p
       where p.pronamespace = 'public'::regnamespace and p.prosecdef
         and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e')
         and has_function_privilege(${rolname}, p.oid, 'EXECUTE')
       order by 1`.execute(db)
    for (const f of r.rows) {
      findings.push({
        object: `function ${f.name}`,
        message: `SECURITY DEFINER in the exposed schema and executable by ${rolname}: it runs with its owner's rights for any API caller (move it to a private schema behind a SECURITY INVOKER wrapper, or revoke execute from ${rolname})`,
      })
    }
  }
  return findings
}

/**
 * A partition is a table of its own: a statement that names it directly is checked against its own
 * privileges and policies, never its parent's. So a partition an API role may read or write is a way
 * around the parent's row level security (audit_logs' months: migration 012 revokes everything on each).
 */
async function exposedPartitions<DB>(db: Db<DB>): Promise<Problem[]> {
  const r = await sql<{ name: string; parent: string; grants: string[] }>`
    select format('%I.%I', n.nspname, c.relname) as name, i.inhparent::regclass::text as parent,
           array(select distinct format('%s %s', r.rolname, p.privilege)
                   from pg_catalog.pg_roles r
                  cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as p(privilege)
                  where r.rolname in ('anon', 'authenticated') and has_table_privilege(r.oid, c.oid, p.privilege)
                  order by 1) as grants
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_inherits i on i.inhrelid = c.oid
     where c.relispartition and n.nspname not in (${internal})
     order by 1`.execute(db)
  return r.rows.filter((p) => p.grants.length > 0).map((p) => ({
    object: p.name,
    message: `a partition of ${p.parent} that ${p.grants.join(', ')}: named directly, it bypasses ${p.parent}'s policies ` +
      `(revoke all on ${p.name} from anon, authenticated, service_role)`,
  }))
}

async function migrationDrift<DB>(db: Db<DB>): Promise<Problem[]> {
  const st = await migrationStatus(db)
  return [
    ...st.changed.map((f): Problem => ({
      object: f.file,
      message: 'applied, and the file has been edited since: restore it as it was and put the change in a new migration',
    })),
    ...st.missingLocally.map((m): Problem => ({
      object: `migration ${m.version}${m.name ? `_${m.name}` : ''}`,
      message: 'applied to the database, but there is no such file in supabase/migrations',
    })),
    ...st.pending.map((f): Problem => ({
      object: f.file,
      message: 'not applied: run `tenantry migrate`',
    })),
  ]
}

// One entry per check: its name (the `check` of its findings), what it verifies (tenantry doctor --help)
// and the function that runs it. runDoctor and the help both read this table, so they cannot disagree.
export const DOCTOR_CHECKS = [
  { check: 'rls_disabled', describe: 'row level security is enabled on every table of public', run: rlsDisabled },
  { check: 'auth_rls_initplan', describe: 'policies call auth.uid()/auth.jwt()/auth.role()/current_setting()/private.* wrapped in (select ...)', run: rlsInitplan },
  { check: 'function_search_path_mutable', describe: 'functions of public and private, and every SECURITY DEFINER function, fix their search_path', run: mutableSearchPath },
  { check: 'unindexed_foreign_key', describe: 'every foreign key is covered by an index whose leading columns are its columns, in order', run: unindexedForeignKeys },
  { check: 'duplicate_index', describe: 'no two indexes of a table are identical apart from their names', run: duplicateIndexes },
  { check: 'rls_enabled_no_policy', describe: 'no table has row level security on and no policy, unless its comment says "no policies"', run: rlsWithoutPolicy },
  { check: 'multiple_permissive_policies', describe: 'at most one permissive policy per table, role and command', run: multiplePermissive },
  { check: 'security_definer_exposed', describe: 'no SECURITY DEFINER function in public is executable by anon or authenticated', run: exposedSecurityDefiner },
  { check: 'partition_exposed', describe: 'no partition may be read or written directly by anon or authenticated (its parent\'s policies do not apply to it)', run: exposedPartitions },
  { check: 'migration_drift', describe: 'every migration is applied and unchanged since', run: migrationDrift },
] as const satisfies readonly { check: string; describe: string; run: <DB>(db: Kysely<DB>) => Promise<Problem[]> }[]

export type DoctorCheck = (typeof DOCTOR_CHECKS)[number]['check']

export interface Finding extends Problem {
  check: DoctorCheck
}

/** Runs every check of DOCTOR_CHECKS, in order; an empty list means a healthy database. */
export async function runDoctor<DB>(db: Kysely<DB>): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const { check, run } of DOCTOR_CHECKS) {
    // Sorted here, by code point: the database's collation may order names differently.
    const found = await run(db)
    findings.push(...found.sort((a, b) => compare(a.object, b.object) || compare(a.message, b.message)).map((p) => ({ check, ...p })))
  }
  return findings
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** One line per finding: `check: object: message`. */
export function formatFinding(f: Finding): string {
  return `${f.check}: ${f.object}: ${f.message}`
}
