// The first hour of a new user, as the issue walked it: a fresh database with demo tenants, a local
// user, an invitation whose printed next steps are run exactly as printed (through a shell, with
// `tenantry` on PATH), then every dashboard question as the new member. On a server, a plain
// PostgreSQL database (template0), where the compatibility layer's auth.users takes local users.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { defaultSeedCast } from '../cli/helpers.js'
import { PROJECT_ROOT } from '../lib/paths.js'
import { type CliTarget, cliTarget, type RunResult } from './support/cli.js'

const run = promisify(execFile)

function ok(r: RunResult): string {
  assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`)
  assert.doesNotMatch(r.stdout, /\bnull\b|undefined|NaN/, 'nothing a person would not expect')
  return r.stdout
}

/** The commands a block of output prints after `heading`, one indented line each (comments left out). */
function printedCommands(out: string, heading: RegExp): string[] {
  const at = out.search(heading)
  assert.ok(at >= 0, `"${heading.source}" in:\n${out}`)
  const after = out.slice(at).split('\n').slice(1)
  const block = after.slice(0, Math.max(0, after.findIndex((l) => !l.startsWith('  '))) || after.length)
  return block.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
}

describe('a new user, from nothing to the dashboard', () => {
  let target: CliTarget
  let bin: string
  const { admin, org } = defaultSeedCast()
  before(async () => {
    target = await cliTarget({ template: 'template0' })
    // `tenantry` as a person has it on PATH (npm link, npx): the package bin.
    bin = mkdtempSync(join(tmpdir(), 'tenantry-path-'))
    writeFileSync(join(bin, 'tenantry'), `#!/bin/sh\nexec "${process.execPath}" "${join(PROJECT_ROOT, 'bin', 'tenantry.js')}" "$@"\n`)
    chmodSync(join(bin, 'tenantry'), 0o755)
  })
  after(async () => {
    await target.cleanup()
    rmSync(bin, { recursive: true, force: true })
  })

  /** Runs a printed command line through a shell, as a person pasting it would. */
  async function shell(line: string): Promise<RunResult> {
    const { DATABASE_URL: _u, TENANTRY_DATA_DIR: _d, ...rest } = process.env
    try {
      const r = await run('sh', ['-c', line], { cwd: PROJECT_ROOT, env: { ...rest, ...target.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, timeout: 120_000 })
      return { code: 0, signal: null, stdout: r.stdout, stderr: r.stderr }
    } catch (e) {
      const f = e as { code?: number; stdout?: string; stderr?: string }
      return { code: typeof f.code === 'number' ? f.code : 1, signal: null, stdout: f.stdout ?? '', stderr: f.stderr ?? String(e) }
    }
  }

  it('migrate and seed, add a user, invite them, accept as printed', async () => {
    ok(await target.run(['migrate']))
    ok(await target.run(['seed', '--no-progress']))
    assert.match(ok(await target.run(['users', 'add', 'new.hire@example.com', '--name', 'New Hire'])), /^Added new\.hire@example\.com \(New Hire\)/)
    const invited = ok(await target.run(['invite', 'new.hire@example.com', '--as', admin]))
    const accept = printedCommands(invited, /^The invitee accepts with:$/m)
    assert.equal(accept.length, 1, invited)
    assert.match(ok(await shell(accept[0] ?? '')), new RegExp(`^new\\.hire@example\\.com joined .+ \\(${org}\\) as member\\.$`, 'm'))
  })

  it('an invitation to an address with no user yet prints users add first; each step works as printed', async () => {
    const invited = ok(await target.run(['invite', 'later.hire@example.com', '--as', admin]))
    const steps = printedCommands(invited, /has no confirmed user yet\. Next steps:$/m)
    assert.equal(steps.length, 2, invited)
    assert.match(steps[0] ?? '', /^tenantry users add 'later\.hire@example\.com'$/)
    assert.match(ok(await shell(steps[0] ?? '')), /^Added later\.hire@example\.com/)
    assert.match(ok(await shell(steps[1] ?? '')), /joined .+ as member\./)
  })

  it('every dashboard question answers the new member, readably', async () => {
    const ask = async (...args: string[]): Promise<string> => ok(await target.run(['dashboard', ...args, '--as', 'new.hire@example.com']))
    const summary = await ask('summary')
    for (const measure of ['customers: active', 'customers: inactive', 'customers: churned', 'users']) {
      assert.match(summary, new RegExp(`│ ${measure} +│ +[\\d,]+ │`))
    }
    assert.match(summary, /│ revenue in \d{4}-\d{2} +│ +[\d,]+\.\d{2} │/)

    const revenue = await ask('revenue')
    const bars = revenue.split('\n').filter((l) => /^\d{4}-\d{2} │/.test(l))
    assert.equal(bars.length, 12, revenue)
    assert.ok(bars.some((l) => l.includes('█')), 'the chart has bars')
    assert.match(revenue, /^total [\d,]+\.\d{2} from \d{4}-\d{2}-01 to \d{4}-\d{2}-\d{2}$/m)

    const top = await ask('top-customers', '--limit', '3')
    assert.match(top, /│ # +│ name +│ company +│ status +│ revenue +│ last purchase │/)
    assert.equal(top.split('\n').filter((l) => /^│ +[123] │/.test(l)).length, 3, top)

    const page = await ask('customers', '--limit', '5')
    assert.equal(page.split('\n').filter((l) => /│ \d{4}-\d{2}-\d{2} │$/.test(l)).length, 5, page)
    const cursor = /^more: add --cursor (\S+)$/m.exec(page)?.[1]
    assert.ok(cursor, page)
    const next = await ask('customers', '--limit', '5', '--cursor', cursor)
    assert.notEqual(next, page, 'the next page is another page')

    assert.match(await ask('activities'), /│ type +│ activities │\n(│ (signup|purchase|churn|login|export) +│ +[\d,]+ │\n?)+/)
    assert.match(await ask('search', '--metadata', '{"plan": "pro"}', '--limit', '3'), /│ when +│ type +│ customer +│ metadata +│[\s\S]*"plan":"pro"/)
    // A member counts their own AI calls (ai_usage_log_select), and the new member has made none.
    for (const q of ['ai-by-day', 'ai-by-model', 'ai-by-user']) {
      assert.match(await ask(q), /^No AI usage from \d{4}-\d{2}-01 to \d{4}-\d{2}-\d{2}\.$/m, q)
    }
    // Their admin sees the organization's.
    const byModel = ok(await target.run(['dashboard', 'ai-by-model', '--as', admin]))
    assert.match(byModel, /│ model +│ +calls │ +input tokens │ +output tokens │ +cost \(USD\) │/)
  })
})
