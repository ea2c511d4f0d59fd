// Model-based fuzzing of the tenant promise. fast-check generates sequences of operations (reads,
// inserts, updates, soft deletes, restores, hard deletes, role changes, removals, organization
// creation, renames, preferences, AI usage, sign-ups, invitations made, accepted, revoked, declined and
// expired, members leaving) by random actors (the users of three or more
// organizations, outsiders, anon, service_role, the system) through the typed flows of lib/db and
// plain Kysely in asUser/asAnon/asService/asSystem. A model predicts each outcome (success, rows
// touched, or which typed error), and after every step the test checks:
//   - the result is the predicted one;
//   - the step wrote exactly the rows the model expected, in every table, and deleted exactly the
//     expected number (a fingerprint: row counts plus the rows whose xmin is newer than the step), so
//     a denied operation changed nothing at all;
//   - the audit rows it added are exactly the expected ones: one per changed row, with the row's
//     organization and the acting user (NULL for service/system);
//   - the actor sees exactly the rows the model says, so never a row of another organization (prior
//     runs' organizations stay in the database as further tenants), nor a soft-deleted row;
//   - customers' total_revenue and last_purchase_date equal their live revenue.
// At the end of each run every actor of the run is swept, and the whole database is checked for
// cross-tenant rows.
//
// Reproduce: the seed of a failing run is printed with its path; replay it with
//   FUZZ_SEED=<seed> FUZZ_PATH=<path> FUZZ_REPLAY_PATH=<replayPath> node --import tsx --test test/isolation-fuzz.test.ts
// FUZZ_SEED alone replays a whole session; FUZZ_MIN_OPS changes the number of operations (default 2000).
//
// This file is the harness. test/fuzz/: model.ts (expected state and effects), operations.ts (kinds,
// generators, picking targets), handlers.ts (one handler per kind: predict, run, update the model),
// check.ts (outcomes, visibility, per-step verification), run.ts (a run's start and end sweep).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { describeError, tally } from './fuzz/check.js'
import { perform } from './fuzz/handlers.js'
import type { Model, Real } from './fuzz/model.js'
import { type Op, opArb } from './fuzz/operations.js'
import { setupRun, sweep } from './fuzz/run.js'
import { onServer, useFreshDb } from './support/db.js'

const MIN_OPS = Number(process.env.FUZZ_MIN_OPS ?? 2000)
const RUNS_PER_CHUNK = 10
const MAX_COMMANDS = 80

let opsRun = 0
let runsDone = 0

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: Op) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): Promise<void> {
    opsRun++
    return perform(this.op, m, r)
  }
  toString(): string {
    return JSON.stringify(this.op)
  }
}

const h = useFreshDb()

describe('tenant isolation under random operations (model-based)', () => {
  it(`at least ${MIN_OPS} random operations by random actors: isolated, audited once, denied = unchanged, totals consistent`, async (t) => {
    const started = Date.now()
    const baseSeed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff)
    const path = process.env.FUZZ_PATH
    const replayPath = process.env.FUZZ_REPLAY_PATH
    t.diagnostic(`seed ${baseSeed}${path ? ` path ${path}` : ''} (${onServer ? 'PostgreSQL' : 'embedded'})`)

    const commands = fc.commands([opArb.map((op) => new Step(op))], { maxCommands: MAX_COMMANDS, size: 'max', replayPath })
    const property = fc.asyncProperty(commands, async (cmds) => {
      const env = await setupRun(h.db)
      await fc.asyncModelRun(() => env, cmds)
      await sweep(env.model, env.real)
      runsDone++
    })

    // Chunks of runs until enough operations ran; chunk k uses seed baseSeed + k, so a failing chunk's
    // seed replays it as the first chunk.
    for (let chunk = 0; opsRun < MIN_OPS || chunk === 0; chunk++) {
      const seed = baseSeed + chunk
      const details = await fc.check(property, {
        seed, numRuns: path ? 1 : RUNS_PER_CHUNK, ...(path ? { path, endOnFailure: true } : {}),
      })
      if (details.failed) {
        const shown = details.counterexample ? fc.stringify(details.counterexample) : '(none)'
        const rp = /replayPath="([^"]*)"/.exec(shown)?.[1]
        assert.fail(
          `isolation fuzz failed: seed ${details.seed}, path ${details.counterexamplePath ?? '?'}\n` +
          `replay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ''}${rp ? ` FUZZ_REPLAY_PATH='${rp}'` : ''} ` +
          'node --import tsx --test test/isolation-fuzz.test.ts\n' +
          `shrunk ${details.numShrinks} time(s) to: ${shown}\n${describeError(details.errorInstance)}`)
      }
      if (path) break
    }
    t.diagnostic(`${opsRun} operations in ${runsDone} runs, ${((Date.now() - started) / 1000).toFixed(1)} s`)
    t.diagnostic(`outcomes (ok/refused): ${[...tally].map(([k, v]) => `${k} ${v.ok}/${v.refused}`).join(', ')}`)
    if (!path) assert.ok(opsRun >= MIN_OPS, `ran ${opsRun} operations`)
  })
})
