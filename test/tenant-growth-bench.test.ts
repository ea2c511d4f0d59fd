// The tenant-growth bench section (npm run bench -- --tenant-growth, bench/tenant-growth.ts) on tiny sizes,
// so that it cannot rot: every figure is there and finite. No timing is asserted. The write part needs
// the rollup machinery of migration 013: it runs whenever the migration file is in the project (the
// first test checks that the bench found it), and is skipped, saying so, only when the file is absent.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { PROJECT_ROOT } from '../lib/paths.js'
import { defaultTenantGrowthOptions, renderTenantGrowth, runTenantGrowthBench, type TenantGrowthResult } from '../bench/tenant-growth.js'
import { GROWTH_QUESTIONS } from '../bench/tenant-growth-questions.js'

const ROLLUPS_MIGRATION = existsSync(join(PROJECT_ROOT, 'supabase', 'migrations', '013_dashboard_rollups.sql'))
const finite = (x: number): boolean => Number.isFinite(x) && x > 0

let r: TenantGrowthResult
before(async () => {
  const d = defaultTenantGrowthOptions(process.env.DATABASE_URL)
  r = await runTenantGrowthBench({
    ...d, smallRows: 100, iterations: 1, warmup: 0, spendMs: 0, budgetMs: 1000,
    writes: { singleInserts: 6, bulkRows: 300, runs: 1, writers: 8, writerSeconds: 0.4, foldDeltas: 2000 },
    ops: 300, seed: 20,
  })
})

describe('bench --tenant-growth (tiny sizes)', () => {
  it('finds the rollup machinery exactly when migration 013 is in the project', () => {
    assert.equal(r.machinery.merge, ROLLUPS_MIGRATION)
    assert.equal(r.machinery.rebuild, ROLLUPS_MIGRATION)
    if (ROLLUPS_MIGRATION) assert.ok(r.machinery.triggers.length >= 3, `rollup triggers: ${r.machinery.triggers.join(', ')}`)
  })

  it('grows the big tenant to x1, x10, x100 of the small one', () => {
    assert.deepEqual(r.stages.map((s) => [s.factor, s.rows.small, s.rows.big, s.rows.scattered]),
      [[1, 100, 100, 100], [10, 100, 1000, 1000], [100, 100, 10_000, 10_000]])
    assert.equal(r.stages.at(-1)?.users, 50)
  })

  it('asks every dashboard function as admin and member of each tenant at every stage, the AI usage ones also with a scattered month', () => {
    const ai = GROWTH_QUESTIONS.filter((q) => q.table === 'ai_usage_log').length
    assert.equal(r.reads.length, 3 * 2 * (GROWTH_QUESTIONS.length + ai))
    for (const f of r.reads) {
      assert.ok(finite(f.smallMs) && finite(f.bigMs) && finite(f.ratio), `${f.question} ${f.role} ${f.variant} stage ${f.stage}`)
      assert.ok(f.buffers.big > 0 && f.plan.length > 0, `${f.question}: plan and buffers recorded`)
      assert.equal(f.met, f.bigMs <= f.targetMs && (f.targetRatio === null || f.ratio <= f.targetRatio))
    }
  })

  it('measures the writes with and without the rollup triggers', { skip: ROLLUPS_MIGRATION ? false : 'migration 013 (rollups) is not in this project yet' }, () => {
    const w = r.writes
    assert.ok(!('skipped' in w), 'writes measured')
    for (const f of [w.single, w.singleInTransaction, ...w.bulk]) assert.ok(finite(f.withMs) && finite(f.withoutMs) && finite(f.ratio), f.name)
    assert.deepEqual([w.single.name, w.single.target, w.singleInTransaction.name, w.singleInTransaction.target], ['single_inserts', 1.10, 'single_inserts_one_transaction', null])
    assert.deepEqual(w.bulk.map((f) => f.name), ['bulk_revenue', 'bulk_activities', 'bulk_ai_usage_log'])
    if (process.env.DATABASE_URL) {
      assert.ok(!('skipped' in w.writers) && finite(w.writers.withTps) && finite(w.writers.withoutTps))
      assert.ok(!('skipped' in w.deadlocks) && w.deadlocks.transactions > 0 && Number.isInteger(w.deadlocks.deadlocks))
    } else {
      assert.ok('skipped' in w.writers && 'skipped' in w.deadlocks, 'one session embedded: no concurrent writers')
    }
    for (const f of [w.fold.hot, w.fold.distinct]) {
      assert.ok(f.pending >= 2000 && finite(f.ms), `the ${f.kind} fold had deltas to fold`)
      assert.equal(f.folded, f.pending)
      assert.equal(f.left, 0)
    }
    // Hot: many deltas on each rollup row (at most 30 days x (1 + 2 + 5 models x users) keys); the worst case: about one row a delta.
    assert.ok(w.fold.hot.keys <= 30 * (3 + 5 * 50) + 100 && w.fold.hot.keys < w.fold.hot.pending / 2, `hot keys ${w.fold.hot.keys}`)
    assert.ok(w.fold.distinct.keys > w.fold.distinct.pending / 2, `distinct keys ${w.fold.distinct.keys} of ${w.fold.distinct.pending}`)
    assert.equal(w.fold.hot.target, 0.004)
    assert.equal(w.fold.distinct.target, null)
  })

  it('runs the correctness long run: random writes, then every dashboard function equal to the raw recompute', { skip: ROLLUPS_MIGRATION ? false : 'migration 013 (rollups) is not in this project yet' }, () => {
    const c = r.correctness
    assert.ok(!('skipped' in c), 'correctness checked')
    assert.equal(c.operations, 300)
    assert.deepEqual(c.checks.map((x) => x.when.split(',')[0]), ['after round 4 of 10', 'after round 8 of 10', 'all written', 'after a full fold'])
    for (const x of c.checks) {
      assert.ok(x.compared > 0)
      assert.equal(x.mismatches, 0, `${x.when}: ${JSON.stringify(x.examples)}`)
      assert.equal(x.verifyDifferences, 0, `${x.when}: ${JSON.stringify(x.examples)}`)
    }
    assert.equal(c.checks.at(-1)?.pending, 0)
    assert.ok(c.met && c.folds > 0 && Object.keys(c.kinds).length > 5)
  })

  it('says why it skipped the writes when the machinery is absent', { skip: ROLLUPS_MIGRATION ? 'migration 013 is here: the writes ran' : false }, () => {
    assert.ok('skipped' in r.writes && /rollups_merge/.test(r.writes.skipped))
    assert.ok('skipped' in r.correctness && /rollups_merge/.test(r.correctness.skipped))
  })

  it('renders the tables', () => {
    const text = renderTenantGrowth(r)
    for (const q of GROWTH_QUESTIONS) assert.ok(text.includes(q.title), q.title)
    assert.match(text, /scattered month/)
    assert.match(text, ROLLUPS_MIGRATION ? /folding .* pending deltas on .* rollup rows, as single-row writes[\s\S]*worst case: folding .* pending deltas each on a rollup row of its own/ : /Writes: skipped/)
    assert.match(text, ROLLUPS_MIGRATION ? /Correctness long run: 300 random operations/ : /Correctness long run: skipped/)
  })
})
