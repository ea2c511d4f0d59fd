// DATE columns round-trip as 'YYYY-MM-DD' text with no time-zone shift, east and west of UTC.
// node-postgres would turn a DATE into a Date at local midnight, which toISOString() moves to the
// previous day east of UTC; lib/db keeps the text. Each time zone runs in a child process (TZ is read
// once per process), on the embedded database or, with DATABASE_URL, on a database of its own.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { PROJECT_ROOT } from '../lib/paths.js'
import { ROUNDTRIP_DATES } from './support/date-cases.js'

const run = promisify(execFile)
const SCRIPT = join(PROJECT_ROOT, 'test', 'support', 'date-roundtrip.ts')

const ZONES = [
  // East of UTC: the zone where node-postgres' Date shifts a DATE to the previous day.
  { tz: 'Europe/Berlin', offsetMinutesJanuary: -60, naiveDefault: '2025-12-31' },
  // West of UTC: local midnight is still the same UTC day, but any arithmetic in UTC drifts.
  { tz: 'America/Los_Angeles', offsetMinutesJanuary: 480, naiveDefault: '2026-01-01' },
] as const

const identity = Object.fromEntries(ROUNDTRIP_DATES.map((d) => [d, d]))

for (const zone of ZONES) {
  test(`DATE values round-trip unchanged under TZ=${zone.tz}`, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TZ: zone.tz },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
    assert.ok(line, `the child printed a RESULT line:\n${stdout}`)
    const r: unknown = JSON.parse(line.slice('RESULT '.length))
    assert.ok(typeof r === 'object' && r !== null)

    // The child really ran in that zone, and there the default parser would shift (or not) as stated.
    assert.deepEqual(
      { tz: get(r, 'tz'), resolvedTimeZone: get(r, 'resolvedTimeZone'), offsetMinutesJanuary: get(r, 'offsetMinutesJanuary'), naiveDefault: get(r, 'naiveDefault') },
      { tz: zone.tz, resolvedTimeZone: zone.tz, offsetMinutesJanuary: zone.offsetMinutesJanuary, naiveDefault: zone.naiveDefault },
    )
    assert.equal(get(r, 'kind'), process.env.DATABASE_URL ? 'postgres' : 'embedded')

    // Every read path gives back exactly the text that was written, and the database stored it so.
    assert.deepEqual(get(r, 'databaseText'), identity, 'stored without shift')
    assert.deepEqual(get(r, 'kysely'), identity, 'typed select')
    assert.deepEqual(get(r, 'kyselyTypes'), ['string'])
    assert.deepEqual(get(r, 'raw'), identity, 'raw SQL')
    assert.equal(get(r, 'lastPurchaseDate'), '2026-01-01', 'a DATE set by a trigger')
    assert.equal(get(r, 'aiUsageDate'), '2026-01-01', 'recordAiUsage returning')
    assert.deepEqual(get(r, 'trash'), ['2026-03-29'], 'listDeleted (a set-returning function)')
    assert.deepEqual(get(r, 'filtered'), { equal: ['2026-01-01'], range: ['2025-12-31', '2026-01-01'] }, 'date filters')
    assert.deepEqual(get(r, 'json'), { date: '2026-01-01' }, 'JSON serialization')
    const today = get(r, 'today')
    assert.ok(typeof today === 'object' && today !== null)
    assert.equal(get(today, 'stored'), get(today, 'database'), "the default date is the database's current_date")
    assert.match(String(get(today, 'stored')), /^\d{4}-\d{2}-\d{2}$/)
  })
}

function get(o: object, key: string): unknown {
  return Object.entries(o).find(([k]) => k === key)?.[1]
}
