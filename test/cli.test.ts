// The tenantry CLI, each command run as a process against a database of this file's own: output,
// exit codes, and one clear line (never a stack trace) for each kind of mistake.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { readMigrationFiles } from '../lib/migrate/index.js'
import { lockDataDir } from '../lib/db/data-dir-lock.js'
import type { Command } from 'commander'
import { buildProgram } from '../cli/program.js'
import { onServer } from './support/db.js'
import { CLI_BIN, type CliTarget, cliTarget, lines, type RunResult } from './support/cli.js'
import { PROJECT_ROOT } from '../lib/paths.js'

let target: CliTarget
before(async () => {
  target = await cliTarget()
})
after(async () => {
  await target.cleanup()
})

const run = (...args: string[]): Promise<RunResult> => target.run(args)

/** A failure reported the CLI way: the exit code, and exactly one line on stderr matching `pattern`. */
function assertOneLineError(r: RunResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`)
  const errLines = lines(r.stderr)
  assert.equal(errLines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  assert.match(errLines[0] ?? '', /^error: /)
  assert.match(errLines[0] ?? '', pattern)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}

function json<T>(r: RunResult): T {
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

const COMMANDS = ['demo', 'migrate', 'status', 'reset', 'seed', 'sql', 'token', 'users', 'invite', 'accept', 'members', 'dashboard', 'audit', 'rollups', 'orgs', 'export', 'import', 'doctor', 'generate']
const MIGRATIONS = readMigrationFiles().map((f) => f.file)

interface SeedJson {
  counts: { organizations: number; users: number; customers: number; revenue: number; activities: number; aiUsage: number }
  logins: { email: string; role: string; organization: string | null }[]
}

describe('tenantry CLI', () => {
  it('a reader that closes the pipe early (tenantry --help | head -1) ends the output quietly', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" ${CLI_BIN} --help | head -1`], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 })
    assert.match(r.stdout, /^Usage: tenantry/)
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/, r.stderr)
  })

  it('--help of every command says what it does, with an example and the exit codes', async () => {
    const program = buildProgram()
    assert.deepEqual(program.commands.map((c) => c.name()), COMMANDS)
    const top = await run('--help')
    assert.equal(top.code, 0)
    assert.match(top.stdout, /\nExamples:\n {2}\$ tenantry demo/)
    // Every command's help as the command tree prints it (in this process: a process each cost 19 CLI
    // starts), and one of them as a process too, the same text.
    const help = (c: Command): string => {
      let out = ''
      c.configureOutput({ writeOut: (text) => { out += text } })
      c.outputHelp()
      return out
    }
    for (const c of program.commands) {
      const text = help(c)
      assert.match(text, new RegExp(`^Usage: tenantry ${c.name()}\\b`), c.name())
      assert.ok(text.replace(/\s+/g, ' ').includes(c.description()) && c.description().length > 20, `${c.name()} says what it does`)
      assert.match(text, /\nExamples?(?: \([^)]*\))?:\n {2}\$ /, `${c.name()} --help has an example`)
      assert.match(text, /Exit codes?: 0 /, `${c.name()} --help documents its exit codes`)
    }
    const status = program.commands.find((c) => c.name() === 'status')
    assert.ok(status)
    const r = await run('status', '--help')
    assert.equal(r.code, 0, 'status --help exit code')
    assert.equal(r.stdout, help(status))
  })

  it('status reports pending migrations with exit code 3, seed refuses an unmigrated database', async () => {
    const st = await run('status')
    assert.equal(st.code, 3, st.stderr)
    for (const f of MIGRATIONS) assert.match(st.stdout, new RegExp(`pending +${f}`))
    assertOneLineError(await run('seed'), 1, /pending migration.*run `tenantry migrate` first/)
  })

  it('migrate applies every file, then status is up to date', async () => {
    const m = await run('migrate')
    assert.equal(m.code, 0, m.stderr)
    for (const f of MIGRATIONS) assert.match(m.stdout, new RegExp(`applying ${f}`))
    assert.match(m.stdout, new RegExp(`applied ${MIGRATIONS.length} migration\\(s\\)`))
    const st = await run('status', '--json')
    assert.deepEqual(json<Record<string, string[]>>(st), { applied: MIGRATIONS, pending: [], changed: [], missingLocally: [] })
  })

  let seeded: SeedJson
  it('seed writes demo tenants and names users to sign in as; a second seed is refused', async () => {
    seeded = json<SeedJson>(await run('seed', '--seed', '3', '--orgs', '3', '--customers', '60', '--end-month', '2025-06', '--json'))
    assert.equal(seeded.counts.organizations, 3)
    assert.ok(seeded.counts.customers >= 60 && seeded.counts.revenue > 300 && seeded.counts.aiUsage > 0, JSON.stringify(seeded.counts))
    assert.deepEqual(seeded.logins.map((l) => l.role), ['admin', 'member', 'admin', 'outsider'])
    assertOneLineError(await run('seed'), 1, /already has organizations or users/)
    assertOneLineError(await run('seed', '--end-month', '2025-13'), 1, /argument '2025-13' is invalid\. --end-month must be a month as YYYY-MM .*not "2025-13"/)
  })

  it('sql shows each user what row level security lets them see', async () => {
    const [admin, member, otherAdmin, outsider] = seeded.logins
    assert.ok(admin && member && otherAdmin && outsider)
    const count = async (who: string): Promise<number> => {
      const rows = json<{ n: number }[]>(await run('sql', 'select count(*)::int as n from customers where deleted_at is null', '--as', who, '--json'))
      return rows[0]?.n ?? -1
    }
    const perOrg = json<{ slug: string; n: number }[]>(await run('sql',
      'select o.slug, count(c.id)::int as n from organizations o left join customers c on c.organization_id = o.id and c.deleted_at is null group by o.slug',
      '--json'))
    const live = (slug: string | null) => perOrg.find((o) => o.slug === slug)?.n
    assert.equal(await count(admin.email), live(admin.organization))
    assert.equal(await count(outsider.email), 0)
    assert.equal(await count('anon'), 0)
    assert.ok((live(otherAdmin.organization) ?? 0) > 0 && (live(otherAdmin.organization) ?? 0) < perOrg.reduce((n, o) => n + o.n, 0))
  })

  it('sql prints a table by default, several statements in one transaction', async () => {
    const r = await run('sql', "select slug from organizations order by slug; select 1 as one where false; update customers set name = name where false")
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /│ slug +│/)
    assert.match(r.stdout, /\(3 rows\)/)
    assert.match(r.stdout, /\(0 rows\)/)
    assert.match(r.stdout, /UPDATE 0/)
  })

  it('sql: unknown user, bad --as, syntax error and a refused write are one line each', async () => {
    assertOneLineError(await run('sql', 'select 1', '--as', 'nobody@nowhere.example'), 1, /no user with email "nobody@nowhere\.example"/)
    assertOneLineError(await run('sql', 'select 1', '--as', 'root'), 1, /option '--as <who>' argument 'root' is invalid\. expected an email, anon, service or system/)
    assertOneLineError(await run('sql', 'selec 1 from customers'), 1, /syntax error at or near "selec"/)
    const member = seeded.logins[1]?.email ?? ''
    assertOneLineError(await run('sql', "insert into customers (organization_id, name) select organization_id, 'x' from profiles limit 1", '--as', member),
      1, /not authorized: new row violates row-level security policy for table "customers"/)
    assertOneLineError(await run('sql'), 1, /missing required argument 'query'/)
  })

  it('TENANTRY_DEBUG=1 adds the whole error (stack, PostgreSQL fields) to a database error, still ending in the one line', async () => {
    const r = await target.run(['sql', 'selec 1 from customers'], { env: { TENANTRY_DEBUG: '1' } })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /InvalidInputError|DbError|syntax error/)
    assert.match(r.stderr, /\n\s+at /, 'a stack trace')
    assert.match(r.stderr, /code: '42601'/, 'the SQLSTATE among the fields')
    assert.match(lines(r.stderr).at(-1) ?? '', /^error: syntax error at or near "selec"/)
  })

  it('sql --rollback tries a write without keeping it', async () => {
    const admin = seeded.logins[0]?.email ?? ''
    const r = await run('sql', "update customers set status = 'inactive' where status = 'active'", '--as', admin, '--rollback')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^UPDATE [1-9]\d*\n\(rolled back\)/)
    const audit = json<unknown[]>(await run('audit', '--org', seeded.logins[0]?.organization ?? '', '--actor', admin, '--json'))
    assert.deepEqual(audit, [])
  })

  it("audit shows an organization's trail with actors, filtered", async () => {
    const admin = seeded.logins[0]
    assert.ok(admin?.organization)
    const change = await run('sql', "update customers set status = 'inactive' where id = (select id from customers where status = 'active' order by id limit 1)", '--as', admin.email)
    assert.match(change.stdout, /UPDATE 1/)
    const mine = json<{ actor: string; action: string; table_name: string; change: string }[]>(
      await run('audit', '--org', admin.organization, '--actor', admin.email, '--since', '1h', '--json'))
    assert.equal(mine.length, 1)
    assert.deepEqual([mine[0]?.actor, mine[0]?.action, mine[0]?.table_name], [admin.email, 'UPDATE', 'customers'])
    assert.match(mine[0]?.change ?? '', /status: active → inactive/)

    const inserts = json<{ action: string; table_name: string; actor: string }[]>(
      await run('audit', '--org', admin.organization, '--table', 'revenue', '--action', 'insert', '--actor', 'system', '--limit', '3', '--json'))
    assert.equal(inserts.length, 3)
    assert.ok(inserts.every((e) => e.action === 'INSERT' && e.table_name === 'revenue' && e.actor === 'system'))

    const table = await run('audit', '--org', admin.organization, '--limit', '2')
    assert.equal(table.code, 0)
    assert.match(table.stdout, /│ time +│ actor +│ action +│ table +│ record +│ change +│/)
    assert.match(table.stdout, new RegExp(`${admin.email.replace(/\./g, '\\.')} +│ UPDATE`))

    assertOneLineError(await run('audit', '--org', 'no-such-org'), 1, /no organization with slug "no-such-org"/)
    assertOneLineError(await run('audit', '--org', admin.organization, '--action', 'MERGE'), 1, /--action must be one of INSERT, UPDATE/)
    assertOneLineError(await run('audit', '--org', admin.organization, '--since', 'yesterday'), 1, /--since takes a date or time/)
  })

  it('doctor passes the migrated schema, then names a table without RLS and an edited migration (exit 3)', async () => {
    const ok = await run('doctor')
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.match(ok.stdout, /no findings/)
    const spoil = await run('sql', "create table public.cli_open (id int primary key); update supabase_migrations.schema_migrations set statements = array['select 1'] where version = '001'")
    assert.equal(spoil.code, 0, spoil.stderr)
    const bad = await run('doctor')
    assert.equal(bad.code, 3)
    assert.deepEqual(lines(bad.stdout), [
      'rls_disabled: public.cli_open: row level security is not enabled: the API roles read and write every row (alter table public.cli_open enable row level security)',
      'migration_drift: 001_initial_schema.sql: applied, and the file has been edited since: restore it as it was and put the change in a new migration',
      '2 finding(s)',
    ])
    const st = await run('status')
    assert.equal(st.code, 4, 'status: drift')
    assert.match(st.stdout, /changed +001_initial_schema\.sql/)
    // No repair: the reset below starts over.
  })

  it('reset refuses without --yes when stdin is not a terminal, and empties the database with it', async () => {
    assertOneLineError(await run('reset'), 1, /refusing to reset without --yes: stdin is not a terminal/)
    const orgs = json<{ n: number }[]>(await run('sql', 'select count(*)::int as n from organizations', '--json'))
    assert.equal(orgs[0]?.n, 3, 'nothing was reset')
    const r = await run('reset', '--yes')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`applied ${MIGRATIONS.length} migration\\(s\\)`))
    const after = json<{ orgs: number; users: number }[]>(await run('sql', 'select (select count(*) from organizations)::int as orgs, (select count(*) from auth.users)::int as users', '--json'))
    assert.deepEqual(after, [{ orgs: 0, users: 0 }])
  })

  it('a wrong DATABASE_URL is a connection error: one line, exit code 2', async () => {
    const refused = await target.run(['status'], { env: { DATABASE_URL: 'postgres://tenantry@127.0.0.1:1/nothing', TENANTRY_DATA_DIR: undefined } })
    assertOneLineError(refused, 2, /cannot connect to the database at postgres:\/\/tenantry@127\.0\.0\.1:1\/nothing: connect ECONNREFUSED/)
    const notUrl = await target.run(['sql', 'select 1'], { env: { DATABASE_URL: 'localhost:5432', TENANTRY_DATA_DIR: undefined } })
    assertOneLineError(notUrl, 2, /DATABASE_URL must be a postgres:\/\/ URL/)
  })

  it('an embedded database open in another process is refused in one line', { skip: onServer ? 'embedded only' : false }, async () => {
    const release = lockDataDir(target.dataDir ?? '')
    try {
      assertOneLineError(await run('status'), 1, new RegExp(`already open in process ${process.pid}`))
    } finally {
      release()
    }
  })
})
