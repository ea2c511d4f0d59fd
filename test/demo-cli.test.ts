// `npm start` (tenantry demo) on a fresh database, again on the same one, through the package bin; and
// Ctrl-C in the middle of a seed: the database is closed (lock released), whole batches stay.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { DEMO_KEPT_CHANGES } from '../cli/commands/demo.js'
import { type CliTarget, cliTarget, lines, runNode } from './support/cli.js'

/** The demo's dashboard section: from its heading to the next section. */
function dashboardSection(out: string): string {
  const start = out.indexOf('The dashboard of a big and a small tenant')
  assert.ok(start >= 0, 'the demo shows a dashboard section')
  return out.slice(start, out.indexOf('\nLatest audit entries', start))
}

describe('tenantry demo', () => {
  let target: CliTarget
  let firstDashboard = ''
  before(async () => {
    target = await cliTarget()
  })
  after(async () => {
    await target.cleanup()
  })

  it('creates, migrates and seeds the database, then shows isolation, roles and the audit trail', async () => {
    const r = await target.run(['demo'])
    assert.equal(r.code, 0, r.stderr)
    const out = r.stdout
    assert.match(out, /^database: (embedded|postgres) at .* \(applied 001_initial_schema\.sql/)
    assert.match(out, /seeded in [\d.]+ s: 8 organizations, \d+ users, \d{3} customers, [\d,]+ revenue rows/)
    // One row per viewer; members see no audit rows, outsiders and anon nothing of any tenant.
    const view = (who: string): number[] => {
      const line = lines(out).find((l) => l.startsWith(`│ ${who} `))
      assert.ok(line, `view row for ${who}`)
      return line.split('│').slice(2, -1).map((c) => Number(c.trim()))
    }
    const [orgs, , customers, revenue, , audit] = view('admin of nimbus-finance')
    assert.equal(orgs, 1)
    assert.ok((customers ?? 0) > 0 && (revenue ?? 0) > 0 && (audit ?? 0) > 0)
    assert.equal(view('member of nimbus-finance')[5], 0, 'members read no audit rows')
    assert.deepEqual(view('outsider (no organization)').slice(0, 6), [0, 1, 0, 0, 0, 0])
    assert.deepEqual(view('anon (not signed in)'), [0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert.ok((view('system (no RLS)')[2] ?? 0) > (customers ?? 0))
    // Every attempt on another tenant or beyond one's role comes back empty or refused.
    assert.match(out, /member of nimbus-finance: read saltmarsh-software's customers\n {4}-> 0 rows/)
    assert.match(out, /rename saltmarsh-software's customer ".+"\n {4}-> updated 0 rows/)
    assert.match(out, /add a customer to saltmarsh-software\n {4}-> refused: 42501 not authorized: new row violates row-level security policy/)
    assert.match(out, /against saltmarsh-software's customer\n {4}-> refused: 23503 /)
    assert.match(out, /erase their own audit trail\n {4}-> refused: 42501 /)
    assert.match(out, /anon \(not signed in\): read all customers\n {4}-> 0 rows/)
    // An invitation made and accepted (rolled back); the outsider's address is not the invited one.
    assert.match(out, /admin of nimbus-finance: invites newcomer@nimbus-finance\.example as member\n {4}-> token [\w-]{8}… \(43 characters/)
    assert.match(out, /presents the token\n {4}-> refused: 42501 not authorized: this invitation is addressed to another email address than yours/)
    assert.match(out, /newcomer@nimbus-finance\.example: accepts it\n {4}-> joined nimbus-finance as member/)
    assert.match(out, /presents the token again\n {4}-> refused: 55000 .*was accepted and can no longer be accepted/)
    // The admin's changes, attributed to them.
    assert.match(out, /Latest audit entries of nimbus-finance/)
    assert.match(out, /│ zoe\.jensen@nimbus-finance\.example +│ UPDATE +│ customers +│ .*status: active → inactive/)
    assert.match(out, /│ zoe\.jensen@nimbus-finance\.example +│ SOFT_DELETE +│ revenue/)
    assert.match(out, /npx tenantry sql ".*" --as zoe\.jensen@nimbus-finance\.example/)
    // The dashboard of the biggest and the smallest tenant, as their admins: six months of revenue each,
    // the same figures the dashboard command gives that admin.
    firstDashboard = dashboardSection(out)
    const tenants = [...firstDashboard.matchAll(/^ {2}([\w-]+) \((\d+) customers\), as (\S+): revenue by month$/gm)]
    assert.equal(tenants.length, 2, firstDashboard)
    assert.equal(tenants[0]?.[1], 'nimbus-finance')
    assert.ok(Number(tenants[1]?.[2]) < Number(tenants[0]?.[2]), 'the second tenant is smaller')
    const bars = [...firstDashboard.matchAll(/^ {2}(\d{4}-\d{2}) │█*[▏▎▍▌▋▊▉]? *([\d,]+\.\d{2}) +\(\d+ invoices?\)$/gm)]
    assert.equal(bars.length, 12, firstDashboard)
    const months = bars.slice(0, 6).map((b) => b[1] ?? '')
    const asked = await target.run(['dashboard', 'revenue', '--as', tenants[0]?.[3] ?? '', '--from', months[0] ?? '', '--to', months[5] ?? '', '--json'])
    assert.equal(asked.code, 0, asked.stderr)
    const rows = JSON.parse(asked.stdout) as { month: string; total: string }[]
    assert.deepEqual(bars.slice(0, 6).map((b) => (b[2] ?? '').replace(/,/g, '')), months.map((m) => rows.find((r) => r.month.startsWith(m))?.total ?? '0.00'))
    assert.match(firstDashboard, /^ {2}top customers: .+ [\d,]+\.\d{2}; .+; .+$/m)
  })

  it('runs again on the same database without seeding, through the package bin, making the changes its help names', async () => {
    const auditRows = async (): Promise<number> => {
      const counted = await target.run(['sql', 'select count(*)::int as n from audit_logs', '--json'])
      assert.equal(counted.code, 0, counted.stderr)
      return (JSON.parse(counted.stdout) as { n: number }[])[0]?.n ?? -1
    }
    const before = await auditRows()
    const r = await runNode('bin/tenantry.js', ['demo'], target.env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(await auditRows() - before, DEMO_KEPT_CHANGES.length, 'audit rows this run added')
    const help = await target.run(['demo', '--help'])
    assert.match(help.stdout.replace(/\s+/g, ' '), new RegExp(`makes ${DEMO_KEPT_CHANGES.length} audited changes`))
    assert.match(r.stdout, /\(migrations up to date\)\ndata: what the database already had/)
    assert.equal(dashboardSection(r.stdout), firstDashboard, 'the dashboard section is the same on every run')
    // The status toggled back: this run's change undoes the first run's.
    assert.match(r.stdout, /zoe\.jensen@nimbus-finance\.example +│ UPDATE +│ customers +│ .*status: inactive → active/)
  })
})

describe('Ctrl-C during a seed', () => {
  let target: CliTarget
  before(async () => {
    target = await cliTarget({ migrated: true })
  })
  after(async () => {
    await target.cleanup()
  })

  it('stops after the batch in flight, closes the database and exits 130', async () => {
    let sent = false
    const r = await target.run(['seed', '--customers', '50000', '--batch-size', '500'], {
      onStderr(text, child) {
        // The first progress line comes after the first tenth of the customers.
        if (!sent && /seeding customers: /.test(text)) {
          sent = true
          child.kill('SIGINT')
        }
      },
    })
    assert.ok(sent, `seeding made progress: ${r.stderr}`)
    assert.equal(r.code, 130, r.stderr)
    assert.match(r.stderr, /interrupted: closing the database/)
    assert.match(r.stderr, /error: seeding interrupted after \d+ customers and \d+ revenue rows; run `tenantry reset --yes` before seeding again/)
    if (target.dataDir) assert.equal(existsSync(`${target.dataDir}.lock`), false, 'the lock is released')
    const counted = await target.run(['sql', 'select count(*)::int as n, (count(*) % 500)::int as rest from customers', '--json'])
    assert.equal(counted.code, 0, counted.stderr)
    const [row] = JSON.parse(counted.stdout) as { n: number; rest: number }[]
    assert.ok(row && row.n >= 5000 && row.n < 50_000, `whole batches were kept: ${counted.stdout}`)
    assert.equal(row.rest, 0)
  })
})
