// The offboarding bench section (npm run bench -- --offboarding, bench/offboarding.ts) on a tiny
// organization, so that it cannot rot: every figure is there and finite, the purge left nothing.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { defaultOffboardingOptions, renderOffboarding, runOffboardingBench } from '../bench/offboarding.js'

it('bench --offboarding runs end to end on a tiny organization', async () => {
  const r = await runOffboardingBench({ ...defaultOffboardingOptions(process.env.DATABASE_URL), rows: 300, batchRows: 100, helperCalls: 200 }, 'test')
  assert.equal(r.build.rows, 1200)
  assert.ok(r.build.auditRows >= 900)
  assert.ok(r.export.rows >= 1200 + r.build.auditRows + 2, `exported ${r.export.rows}`)
  assert.ok(r.export.rowsPerSecond > 0 && r.export.rssPeakMb >= r.export.rssStartMb)
  // At least two audit rows more than built (the deletion request and the start of the purge), and
  // the rollups' rows (013): their daily rows and the deltas that deleting the raw rows appends.
  assert.ok(r.purge.rows >= 1200 + r.build.auditRows + 2, `purged ${r.purge.rows}`)
  assert.ok(r.purge.batches >= 12, `batches: ${r.purge.batches}`)
  assert.ok(r.purge.batchMaxMs >= r.purge.batchMedianMs && r.purge.batchMedianMs > 0)
  assert.ok(r.purge.otherTenant.queries > 0 && Number.isFinite(r.purge.otherTenant.maxMs))
  assert.ok(r.helpers.every((h) => h.before015Us > 0 && h.nowUs > 0))
  assert.match(renderOffboarding(r), /purge rows/)
})
