// The audit trail bench section (npm run bench -- --audit-partitions, bench/audit-partitions.ts) on tiny
// sizes, so that it cannot rot: every figure is there and finite, the plan reads the organization index.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { defaultAuditPartitionsOptions, renderAuditPartitions, runAuditPartitionsBench } from '../bench/audit-partitions.js'

it('bench --audit-partitions runs end to end on a tiny trail', async () => {
  const r = await runAuditPartitionsBench({
    ...defaultAuditPartitionsOptions(process.env.DATABASE_URL),
    rows: 6000, organizations: 30, months: 3, iterations: 2, bulkRows: 200, singleInserts: 5, insertRuns: 1,
  })
  assert.deepEqual(r.pages.map((p) => [p.tenant, p.stage]), [['largest', 1], ['small', 1], ['largest', 2], ['small', 2], ['largest', 3], ['small', 3]])
  assert.ok(r.pages.every((p) => Number.isFinite(p.ms) && p.ms > 0 && Number.isFinite(p.ratio)))
  assert.ok((r.pages.at(-1)?.trailRows ?? 0) >= 6000)
  assert.ok(r.prune.rows > 0 && Number.isFinite(r.prune.dropMs) && Number.isFinite(r.prune.deleteMs))
  assert.equal(r.inserts.length, 2)
  assert.ok(r.inserts.every((f) => Number.isFinite(f.ratio)))
  assert.match(renderAuditPartitions(r), /prune one month/)
})
