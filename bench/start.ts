// Embedded start: a child process opens an existing embedded database (a data directory seeded
// beforehand by another child) and answers a first dashboard query as a member. Each run is a new
// process, so nothing is warm but the operating system's file cache.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PROJECT_ROOT } from '../lib/paths.js'
import { median } from './measure.js'

const run = promisify(execFile)
const CHILD = join(PROJECT_ROOT, 'bench', 'start-child.ts')

export interface StartRun {
  importMs: number
  openMs: number
  firstQueryMs: number
  openToAnswerMs: number
  sinceProcessStartMs: number
}

export interface StartFigure {
  /** Medians over the runs. */
  openToAnswerMs: number
  importMs: number
  openMs: number
  firstQueryMs: number
  sinceProcessStartMs: number
  targetMs: number
  met: boolean
  runs: StartRun[]
}

function lastJsonLine(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').pop() ?? ''
  const value: unknown = JSON.parse(line)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`start child printed ${line}`)
  return Object.fromEntries(Object.entries(value))
}

async function child(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: PROJECT_ROOT, maxBuffer: 1 << 20, env: { ...process.env, DATABASE_URL: '' },
  })
  return lastJsonLine(stdout)
}

const n = (x: unknown): number => (typeof x === 'number' ? x : Number.NaN)

/** Opens, runs times, a database of `size` (the CLI seed's default: 8 organizations, 400 customers). */
export async function measureStart(
  runs: number, log: (line: string) => void = () => {}, size: { organizations: number; customers: number } = { organizations: 8, customers: 400 },
): Promise<StartFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-bench-start-'))
  try {
    const dataDir = join(dir, 'db')
    const prepared = await child(['prepare', dataDir, String(size.organizations), String(size.customers)])
    const memberId = prepared.memberId
    if (typeof memberId !== 'string') throw new Error('start child: no member in the prepared database')
    const results: StartRun[] = []
    for (let i = 0; i < runs; i++) {
      const r = await child(['open', dataDir, memberId])
      results.push({
        importMs: n(r.importMs), openMs: n(r.openMs), firstQueryMs: n(r.firstQueryMs),
        openToAnswerMs: n(r.openToAnswerMs), sinceProcessStartMs: n(r.sinceProcessStartMs),
      })
      log(`  run ${i + 1}: open + first answer ${n(r.openToAnswerMs).toFixed(0)} ms (process start to answer ${n(r.sinceProcessStartMs).toFixed(0)} ms)`)
    }
    const m = (f: (r: StartRun) => number): number => median(results.map(f))
    const openToAnswerMs = m((r) => r.openToAnswerMs)
    return {
      openToAnswerMs, importMs: m((r) => r.importMs), openMs: m((r) => r.openMs), firstQueryMs: m((r) => r.firstQueryMs),
      sinceProcessStartMs: m((r) => r.sinceProcessStartMs), targetMs: 1000, met: openToAnswerMs < 1000, runs: results,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
