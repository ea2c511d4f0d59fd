// plpgsql_check (Debian's postgresql-15-plpgsql-check) over every PL/pgSQL function of public and
// private on a migrated database: what PostgreSQL itself only finds when a line runs (a misspelt
// column, a wrong type, a missing relation) is found here for every line. A trigger function is
// checked once per trigger that uses it, with that trigger's table and transition tables (REFERENCING
// OLD TABLE AS ... NEW TABLE AS ...), so `old_rows`/`new_rows` resolve as they do when it fires.
//
// PostgreSQL only: the extension is a server module (PGlite has none). CI installs it and creates it
// in template1 of its cluster (.ci/run), so every test database has it; elsewhere the test skips when
// the server lacks it, and fails in CI.
//
// ACCEPTED is the one list of findings that stay, each with the reason: files already applied never
// change, and static checking cannot see what a function creates at run time.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import { onServer, useFreshDb } from './support/db.js'

interface Finding {
  fn: string
  trigger: string | null
  level: string
  sqlstate: string
  message: string
  lineno: number | null
}

/** What plpgsql_check 2.3 reports on the migrations and why it is accepted; keyed `fn | trigger | sqlstate | message`. */
const ACCEPTED: Record<string, { count: number; why: string }> = {
  'private.revenue_totals_recompute() | revenue_totals_after_delete | 42P01 | relation "new_rows" does not exist': {
    count: 1,
    why: 'new_rows is read only inside `if tg_op = \'UPDATE\'`; the checker walks that branch for the DELETE trigger too (a known false positive)',
  },
  'private.audit_logs_sweep_default() | - | 42P01 | relation "private.audit_logs_default_swept" does not exist': {
    count: 1,
    why: 'the function creates that table itself (detached default partition) before reading it; a static check cannot see it',
  },
  'private.audit_logs_prune(date) | - | 42P01 | relation "pg_temp.audit_prune_counts" does not exist': {
    count: 1,
    why: 'a temporary table the function creates before reading it',
  },
  'private.audit_logs_prune(date) | - | 42804 | target type is different type than source type': {
    count: 2,
    why: "`text[] := '{}'` initialises from an untyped literal; PostgreSQL casts it exactly (012 is applied and does not change)",
  },
  'private.audit_logs_maintain(integer) | - | 00000 | unused variable "i"': {
    count: 1,
    why: 'a leftover declaration in 012 (applied, does not change); harmless. Drop it when a migration next replaces the function',
  },
}

const keyOf = (f: Finding): string => `${f.fn} | ${f.trigger ?? '-'} | ${f.sqlstate} | ${f.message}`

describe('plpgsql_check over every PL/pgSQL function', { skip: !onServer && 'PostgreSQL only: plpgsql_check is a server extension' }, () => {
  const t = useFreshDb({ when: onServer })

  it('finds nothing beyond the accepted list, and everything on that list still occurs', async (ctx) => {
    const { rows: ext } = await sql<{ schema: string }>`
      select e.extnamespace::regnamespace::text as schema from pg_extension e where e.extname = 'plpgsql_check'`.execute(t.db)
    if (ext.length === 0) {
      assert.ok(!process.env.CI, 'CI must have plpgsql_check in template1 (.ci/run creates it)')
      ctx.skip('the server has no plpgsql_check extension (apt-get install postgresql-15-plpgsql-check; create extension plpgsql_check)')
      return
    }
    const check = sql.id(ext[0]!.schema, 'plpgsql_check_function_tb')
    // One target per trigger of a trigger function (its table and transition tables), one per other function.
    const { rows } = await sql<Finding>`
      with fns as (
        select p.oid, p.prorettype = 'trigger'::regtype as is_trigger
          from pg_proc p join pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
         where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      ), targets as (
        select f.oid, tg.tgrelid as rel, tg.tgoldtable as old_table, tg.tgnewtable as new_table, tg.tgname::text as trigger
          from fns f join pg_trigger tg on tg.tgfoid = f.oid and not tg.tgisinternal
         where f.is_trigger
        union all
        select f.oid, 0::oid, null, null, null from fns f where not f.is_trigger
      )
      select t.oid::regprocedure::text as fn, t.trigger, r.level, r.sqlstate, r.message, r.lineno
        from targets t
        cross join lateral ${check}(t.oid, t.rel, oldtable => t.old_table, newtable => t.new_table) r
       order by 1, 2, r.lineno`.execute(t.db)

    const counts = new Map<string, Finding[]>()
    for (const f of rows) counts.set(keyOf(f), [...(counts.get(keyOf(f)) ?? []), f])
    const unexpected = [...counts].filter(([key, found]) => ACCEPTED[key]?.count !== found.length)
    assert.deepEqual(unexpected.map(([key, found]) => `${key} (x${found.length}, lines ${found.map((f) => f.lineno).join(', ')})`), [],
      'plpgsql_check findings outside the accepted list (fix the function in a new migration, or add it to ACCEPTED with the reason)')
    const gone = Object.keys(ACCEPTED).filter((key) => !counts.has(key))
    assert.deepEqual(gone, [], 'accepted findings that no longer occur: take them off the list')
  })
})
