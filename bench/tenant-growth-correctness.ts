// The rollups' correctness, the long run (issue 20), for bench/tenant-growth.ts --tenant-growth-ops N: the
// random writes of the CI property test (test/support/rollups.ts: inserts single and bulk, updates of
// every measured column, soft delete, restore, purge, backdated rows, as the system and as admins) on
// the bench's database, beside the big tenants, N operations in rounds; folds run meanwhile (on
// PostgreSQL two folders on connections of their own, embedded between rounds). After some rounds,
// at the end with deltas pending and after a full fold, every dashboard function for every caller of
// the cast (admins, members, an outsider) is compared with 009's query over the raw rows in one
// statement, and private.rollups_verify() (every organization, the big tenants included) must find
// nothing.
import { type Kysely } from 'kysely'
import { createDb, type Database, type DbHandle, mergeRollups } from '../lib/db/index.js'
import {
  dashboardMismatches, emptyWritten, pendingCount, randomWrites, rollupCast, Rng, verifyDifferences,
} from '../test/support/rollups.js'

export interface CorrectnessCheck {
  when: string
  pending: number
  compared: number
  mismatches: number
  /** Rows of private.rollups_verify(): (organization, day, dimension) where rollup + deltas and raw differ. */
  verifyDifferences: number
  /** The first few mismatches, for the record. */
  examples: unknown[]
}

export interface CorrectnessFigure {
  seed: number
  operations: number
  kinds: Record<string, number>
  folds: number
  folded: number
  checks: CorrectnessCheck[]
  seconds: number
  met: boolean
}

async function check(db: Kysely<Database>, rng: Rng, cast: Awaited<ReturnType<typeof rollupCast>>, when: string): Promise<CorrectnessCheck> {
  const { mismatches, compared } = await dashboardMismatches(db, rng, cast)
  const differences = await verifyDifferences(db)
  return {
    when, pending: await pendingCount(db), compared, mismatches: mismatches.length, verifyDifferences: differences.length,
    examples: [...mismatches.slice(0, 3), ...differences.slice(0, 3)],
  }
}

export async function checkCorrectness(
  handle: DbHandle, url: string | undefined, operations: number, seed: number, log: (line: string) => void,
): Promise<CorrectnessFigure> {
  const started = performance.now()
  const db = handle.db
  const writes = new Rng(seed, 1)
  const windows = new Rng(seed, 2)
  const cast = await rollupCast(db, `g${seed}`)
  const written = emptyWritten()
  const kinds: Record<string, number> = {}
  const checks: CorrectnessCheck[] = []
  let folds = 0
  let folded = 0
  let writing = true
  // Folders of their own on a server: small batches, as fast as they can, while the writes go on.
  const folders = url ? await createDb({ databaseUrl: url, poolSize: 2 }) : undefined
  const folder = async (f: DbHandle): Promise<void> => {
    while (writing) {
      folded += await mergeRollups(f.db, { maxRows: 200 })
      folds++
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  const background = folders ? [folder(folders), folder(folders)] : []
  const rounds = 10
  try {
    for (let round = 0; round < rounds; round++) {
      const n = Math.floor(operations / rounds) + (round < operations % rounds ? 1 : 0)
      for (const [kind, count] of await randomWrites(db, writes, cast, written, n)) kinds[kind] = (kinds[kind] ?? 0) + count
      if (!folders) {
        folded += await mergeRollups(db, { maxRows: 500 })
        folds++
      }
      if (round % 4 === 3) {
        const c = await check(db, windows, cast, `after round ${round + 1} of ${rounds}, folds running`)
        checks.push(c)
        log(`  ${c.when}: ${c.mismatches} of ${c.compared} answers differ, rollups_verify ${c.verifyDifferences}, ${c.pending} pending`)
      }
    }
  } finally {
    writing = false
    await Promise.all(background)
    await folders?.close()
  }
  for (const when of ['all written, deltas pending', 'after a full fold']) {
    if (when === 'after a full fold') {
      folded += await mergeRollups(db)
      folds++
    }
    const c = await check(db, windows, cast, when)
    checks.push(c)
    log(`  ${c.when}: ${c.mismatches} of ${c.compared} answers differ, rollups_verify ${c.verifyDifferences}, ${c.pending} pending`)
  }
  return {
    seed, operations, kinds, folds, folded, checks, seconds: (performance.now() - started) / 1000,
    met: checks.every((c) => c.mismatches === 0 && c.verifyDifferences === 0) && checks.at(-1)?.pending === 0,
  }
}
