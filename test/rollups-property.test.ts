// The rollups' property (issue 20): after 10,000 random writes of every kind (inserts single and bulk,
// updates of each measured column and of one that is not, soft delete, restore, hard delete, backdated
// rows, AI usage moved between users and organizations; as the system and as admins through RLS), every
// dashboard question for every organization and caller (admins, members, an outsider) equals 009's
// query over the raw rows under the caller's policies: with every change pending, after half a fold,
// after a full fold, and with folds running meanwhile. On PostgreSQL the folds run on other connections
// while the writes and the checks go on; the embedded database has one session, so there folds run
// between the writes' transactions. Seeded: a failure names its seed (ROLLUP_SEED reruns it).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mergeRollups } from '../lib/db/index.js'
import { onServer, useFreshDb } from './support/db.js'
import {
  dashboardMismatches, emptyWritten, pendingCount, randomWrites, type RollupCast, rollupCast, Rng, verifyDifferences, type Written,
} from './support/rollups.js'

const SEED = Number(process.env.ROLLUP_SEED ?? Date.now() % 1_000_000)
const OPERATIONS = 10_000

describe(`the dashboard over the rollups equals 009's answer over the raw rows (seed ${SEED})`, () => {
  // The embedded database's own fold is off: this test decides when folds run.
  const t = useFreshDb({ rollupFoldMs: 0, poolSize: 6 })
  const writes = new Rng(SEED, 1)
  const windows = new Rng(SEED, 2)
  let cast: RollupCast
  const written: Written = emptyWritten()
  let operations = 0

  t.before(async () => {
    cast = await rollupCast(t.db, `p${SEED}`)
  })

  async function check(when: string): Promise<void> {
    const { mismatches, compared } = await dashboardMismatches(t.db, windows, cast)
    assert.deepEqual(mismatches.slice(0, 3), [], `${when} (seed ${SEED}): ${mismatches.length} of ${compared} answers differ`)
    assert.deepEqual(await verifyDifferences(t.db), [], `${when} (seed ${SEED}): rollups_verify`)
  }

  it('with every change pending (nothing folded yet)', async () => {
    const counts = await randomWrites(t.db, writes, cast, written, OPERATIONS / 2)
    operations += OPERATIONS / 2
    assert.ok(counts.size >= 20, `every kind of write ran: ${[...counts.keys()].join(', ')}`)
    assert.ok(await pendingCount(t.db) > 1000)
    await check('pending')
  })

  it('after half a fold, and after the whole fold', async () => {
    const pending = await pendingCount(t.db)
    const half = await mergeRollups(t.db, { maxRows: Math.floor(pending / 2) })
    assert.equal(half, Math.floor(pending / 2))
    await check('half folded')
    assert.equal(await mergeRollups(t.db), pending - half)
    assert.equal(await pendingCount(t.db), 0)
    await check('folded')
  })

  it('with folds running while the writes go on', async () => {
    let writing = true
    let folded = 0
    let folds = 0
    // On a server: two folders on connections of their own, folding small batches as fast as they can,
    // and checks while the writes go on. Embedded: a fold between writes' transactions.
    const folder = async (): Promise<void> => {
      while (writing) {
        folded += await mergeRollups(t.db, { maxRows: 40 })
        folds++
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
    const background = onServer ? [folder(), folder()] : []
    try {
      for (let round = 0; round < 10; round++) {
        await randomWrites(t.db, writes, cast, written, OPERATIONS / 20)
        operations += OPERATIONS / 20
        if (!onServer) {
          folded += await mergeRollups(t.db, { maxRows: 200 })
          folds++
        }
        if (round % 3 === 2) await check(`round ${round}, folds running`)
      }
    } finally {
      writing = false
      await Promise.all(background)
    }
    assert.ok(folds > 5 && folded > 0, `folds ran meanwhile: ${folds} folded ${folded}`)
    await check('after the concurrent phase, some pending')
    await mergeRollups(t.db)
    assert.equal(await pendingCount(t.db), 0)
    await check('all folded at the end')
    assert.equal(operations, OPERATIONS)
  })
})
