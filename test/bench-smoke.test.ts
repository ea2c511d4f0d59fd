// The benchmark on tiny sizes, so that it cannot rot: runBench (what `npm run bench` calls) produces
// every figure, the tables and the result file name. No timing is asserted: only that each figure was
// measured (a finite, positive median) and what the run is made of. With DATABASE_URL the bench makes
// and drops a database of its own on that server.
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { type BenchResult, defaultOptions, runBench } from '../bench/index.js'
import { DASHBOARD_QUESTIONS } from '../bench/questions.js'
import { POLICY_SHAPES, SHAPE_QUESTIONS } from '../bench/rls.js'
import { renderTables, resultFileName } from '../bench/report.js'

const positive = (x: number): boolean => Number.isFinite(x) && x > 0

let r: BenchResult
before(async () => {
  const d = defaultOptions()
  r = await runBench({
    ...d,
    sizes: { ...d.sizes, organizations: 12, customers: 300, revenue: 1500, activities: 1500, endMonth: '2025-06' },
    iterations: 2,
    spendMs: 0,
    shapes: { iterations: 1, budgetMs: 1000, timeoutMs: 60_000 },
    audit: { bulkRows: 200, singleInserts: 20, runs: 1 },
    seeding: { organizations: 3, customers: 120 },
    // The embedded start is measured by child processes on the embedded database whatever the bench's
    // database: the PostgreSQL pass would measure the same again.
    startRuns: process.env.DATABASE_URL ? 0 : 1,
    startSize: { organizations: 2, customers: 20 },
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  })
})

describe('bench smoke run (tiny sizes)', () => {
  it('builds the dataset at exactly the sizes asked for, in three stages', () => {
    assert.deepEqual(r.dataset.counts, { customers: 300, revenue: 1500, activities: 1500 })
    assert.equal(r.dataset.stages.length, 3)
    assert.ok(r.dataset.organizations.largest.rows.activities > r.dataset.organizations.small.rows.activities)
  })

  it('measures the dashboard module against the hand-written questions, for a small and the largest organization', () => {
    assert.equal(r.overhead.length, 2 * DASHBOARD_QUESTIONS.length)
    for (const f of r.overhead) {
      assert.ok(positive(f.handMs) && positive(f.appMs) && positive(f.ratio), `${f.org} ${f.query}`)
      assert.equal(f.resultRows.app, f.resultRows.hand, `${f.org} ${f.query}: the member gets as many rows as the hand-written query`)
      assert.ok(f.plans.hand && f.plans.app, `${f.org} ${f.query}: plans recorded`)
      assert.equal(typeof f.met, 'boolean')
    }
    assert.deepEqual(new Set(r.overhead.map((f) => f.org)), new Set(['small', 'largest']))
    assert.ok(positive(r.lookup.lookupMs) && positive(r.lookup.emptyMs), 'the membership lookup alone')
  })

  it('measures the metadata search as supabase-js .contains() sends it: the same rows as by hand, for both documents and organizations', () => {
    assert.deepEqual(r.plainContains.map((f) => `${f.org} ${f.query}`).sort(),
      ['largest contains_common', 'largest contains_rare', 'small contains_common', 'small contains_rare'])
    for (const f of r.plainContains) {
      assert.ok(positive(f.handMs) && positive(f.appMs), `${f.org} ${f.query}`)
      assert.equal(f.resultRows.app, f.resultRows.hand, `${f.org} ${f.query}: RLS gives the member what the hand-written query finds`)
    }
  })

  it('measures the replaced policy shapes for every query', () => {
    assert.equal(r.shapes.length, POLICY_SHAPES.length * 2 * SHAPE_QUESTIONS.length)
    for (const s of r.shapes) assert.ok(positive(s.shapeMs) && positive(s.handMs), `${s.shape} ${s.org} ${s.query}`)
  })

  it('measures tenant scaling at three table sizes', () => {
    assert.equal(r.scaling.length, 3 * DASHBOARD_QUESTIONS.length)
    for (const s of r.scaling) assert.ok(positive(s.rlsMs) && positive(s.ratio), `stage ${s.stage} ${s.query}`)
    const last = r.scaling.find((s) => s.stage === 3)
    assert.ok(last && last.growth.revenue > 5, 'the tables grew between stage 1 and stage 3')
  })

  it('measures audit cost, seeding throughput and the embedded start', () => {
    assert.deepEqual(r.audit.map((a) => a.name), ['bulk_insert', 'single_inserts'])
    for (const a of r.audit) assert.ok(positive(a.auditMs) && positive(a.noAuditMs), a.name)
    const s = r.seeding
    assert.ok(s, 'seeding measured')
    assert.equal(s.counts.customers, 120)
    assert.ok(s.counts.revenue > 0 && positive(s.revenuePerSecond) && positive(s.rowsPerSecond))
    assert.equal(s.target, r.database.kind === 'postgres' ? 50_000 : 20_000)
    assert.equal(s.met, s.revenuePerSecond >= s.target)
    assert.equal(s.rssMb.length, 11, 'memory at the start and at each tenth')
    const parts = new Set(s.breakdown.parts.map((p) => p.part))
    for (const part of ['foreign-key checks', 'audit triggers', 'derived totals', 'rows, indexes and generating them'] as const) {
      assert.ok(parts.has(part), part)
    }
    const sum = s.breakdown.parts.reduce((a, p) => a + p.ms, 0)
    assert.ok(Math.abs(sum - s.breakdown.executionMs) < 1e-6 && s.breakdown.revenueRows > 0, 'the parts add up to the statement')
    if (process.env.DATABASE_URL) assert.equal(r.start, null, 'not measured on a server run (startRuns 0)')
    else assert.ok(r.start && positive(r.start.openToAnswerMs) && r.start.runs.length === 1)
  })

  it('renders the tables and names the result file after the date and the database', () => {
    const text = renderTables(r)
    for (const heading of ['RLS overhead', 'The metadata search: a jsonb @>', 'What the design saves', 'Tenant scaling', 'Audit cost', 'Seeding', ...(r.start ? ['Embedded start'] : [])]) {
      assert.ok(text.includes(heading), heading)
    }
    for (const q of DASHBOARD_QUESTIONS) assert.ok(text.includes(q.name), q.name)
    assert.match(resultFileName(r), /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-(embedded|pg\d+)\.json$/)
    assert.ok(r.plans.length > 0 && r.machine.cores > 0 && r.database.version.length > 0)
  })
})
