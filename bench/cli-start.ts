// npm run bench:cli-start [-- --pairs 11 --status-runs 5]: how fast the tenantry CLI starts. A benchmark,
// not a test: the figures go to docs/benchmarks.md ("CLI start").
//
//   --help   `node bin/tenantry.js --help` (the built bundle) and `node --import tsx cli/main.ts --help`
//            (the sources through tsx, as bin/tenantry.js ran them before there was a build), each
//            against `node -e 0` of the same round, in a rotating order: the ratio is the figure. Also
//            `npx tenantry --help` and `npx -c 'node -e 0'`: what npx itself adds to any command.
//   status   `tenantry status` on an existing embedded database (migrated beforehand): the time to its
//            output (the database opened and read), to its exit, and its peak memory (/usr/bin/time),
//            for the package bin, the bundle without the bin's V8 flag, and the sources through tsx.
//
// Each run is a new process, so nothing is warm but the operating system's file cache.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { BENCH_DIR, PROJECT_ROOT } from '../lib/paths.js'
import { ensureBuilt } from '../scripts/build.mjs'

const GNU_TIME = '/usr/bin/time'

interface Run {
  /** Spawn to exit. */
  wallMs: number
  /** Spawn to the first byte on stdout. */
  firstOutputMs: number | null
  /** Peak resident memory, when /usr/bin/time is there. */
  maxRssMb: number | null
  code: number | null
}

interface Arm {
  name: string
  argv: string[]
}

function positiveInt(value: string): number {
  const x = Number(value)
  if (!Number.isInteger(x) || x < 1) throw new Error(`expected a positive integer, got ${value}`)
  return x
}

const program = new Command('bench:cli-start')
  .description('tenantry CLI start: --help against `node -e 0`, and `status` on an embedded database')
  .option('--pairs <n>', 'rounds of the --help comparison', positiveInt, 11)
  .option('--status-runs <n>', 'rounds of the status comparison', positiveInt, 5)
  .option('--out <dir>', 'directory of the JSON result', join(BENCH_DIR, 'results'))
  .parse()
const o = program.opts<{ pairs: number; statusRuns: number; out: string }>()

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2
}

const withTime = existsSync(GNU_TIME)
const scratch = mkdtempSync(join(tmpdir(), 'tenantry-bench-cli-'))

/** Runs one process from the project root; env adds to (or, with undefined, removes from) the caller's. */
function runOnce(arm: Arm, env: Record<string, string | undefined>, measureRss: boolean): Promise<Run> {
  const rssFile = join(scratch, 'rss')
  rmSync(rssFile, { force: true })
  const [cmd, ...args] = measureRss && withTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...arm.argv] : arm.argv
  const merged: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v
  return new Promise((resolve, reject) => {
    const start = performance.now()
    let firstOutputMs: number | null = null
    let stderr = ''
    const child = spawn(cmd ?? process.execPath, args, { cwd: PROJECT_ROOT, env: merged, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', () => {
      firstOutputMs ??= performance.now() - start
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - start
      if (code !== 0 && code !== null) {
        reject(new Error(`${arm.argv.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`))
        return
      }
      let maxRssMb: number | null = null
      if (measureRss && withTime) {
        const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
        if (Number.isFinite(kb)) maxRssMb = kb / 1024
      }
      resolve({ wallMs, firstOutputMs, maxRssMb, code })
    })
  })
}

/** Runs the arms round after round, each round in a rotated order. */
async function rounds(arms: Arm[], n: number, env: Record<string, string | undefined>, measureRss: boolean): Promise<Run[][]> {
  const runs: Run[][] = arms.map(() => [])
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < arms.length; j++) {
      const k = (i + j) % arms.length
      const arm = arms[k]
      if (arm) runs[k]?.push(await runOnce(arm, env, measureRss))
    }
  }
  return runs
}

const node = process.execPath
const NODE: Arm = { name: 'node -e 0', argv: [node, '-e', '0'] }
const BIN = (...args: string[]): Arm => ({ name: `tenantry ${args.join(' ')} (bin/tenantry.js: bundle + Liftoff only)`, argv: [node, 'bin/tenantry.js', ...args] })
const BUNDLE = (...args: string[]): Arm => ({ name: `tenantry ${args.join(' ')} (dist/tenantry.js, default V8 flags)`, argv: [node, 'dist/tenantry.js', ...args] })
const NPX = (...args: string[]): Arm => ({ name: `npx tenantry ${args.join(' ')}`, argv: ['npx', 'tenantry', ...args] })
const NPX_FLOOR: Arm = { name: "npx -c 'node -e 0' (npx alone)", argv: ['npx', '-c', 'node -e 0'] }
const TSX = (...args: string[]): Arm => ({ name: `tenantry ${args.join(' ')} (sources through tsx, as before the build)`, argv: [node, '--import', 'tsx', 'cli/main.ts', ...args] })

const r1 = (x: number): number => Math.round(x * 10) / 10
const log = (line: string): void => console.error(line)

try {
  const built = await ensureBuilt()
  if (built !== null) log(`built dist/tenantry.js (${built})`)
  const dataDir = join(scratch, 'db')
  // The child sees only this database, never a DATABASE_URL of the caller's.
  const env = { DATABASE_URL: undefined, TENANTRY_DATA_DIR: dataDir }
  log('migrating an embedded database for the status runs ...')
  await runOnce({ name: 'migrate', argv: [node, 'bin/tenantry.js', 'migrate'] }, env, false)

  const helpArms = [NODE, BIN('--help'), TSX('--help'), NPX('--help'), NPX_FLOOR]
  log(`--help: ${o.pairs} rounds of ${helpArms.length} ...`)
  const help = await rounds(helpArms, o.pairs, env, false)
  const nodeMs = (help[0] ?? []).map((r) => r.wallMs)
  const helpFigures = helpArms.slice(1).map((arm, i) => {
    const ms = (help[i + 1] ?? []).map((r) => r.wallMs)
    return {
      arm: arm.name, medianMs: r1(median(ms)), nodeMedianMs: r1(median(nodeMs)),
      // Each run against the `node -e 0` of its own round.
      ratioMedian: Math.round(median(ms.map((x, j) => x / (nodeMs[j] ?? NaN))) * 100) / 100,
      runsMs: ms.map(r1),
    }
  })

  log(`status: ${o.statusRuns} rounds of 3 ...`)
  const statusArms = [BIN('status'), BUNDLE('status'), TSX('status')]
  const status = await rounds(statusArms, o.statusRuns, env, true)
  const statusFigures = statusArms.map((arm, i) => {
    const runs = status[i] ?? []
    const rss = runs.map((r) => r.maxRssMb).filter((x): x is number => x !== null)
    return {
      arm: arm.name,
      firstOutputMedianMs: r1(median(runs.map((r) => r.firstOutputMs ?? NaN))),
      wallMedianMs: r1(median(runs.map((r) => r.wallMs))),
      maxRssMedianMb: rss.length > 0 ? Math.round(median(rss)) : null,
      runs: runs.map((r) => ({ wallMs: r1(r.wallMs), firstOutputMs: r.firstOutputMs === null ? null : r1(r.firstOutputMs), maxRssMb: r.maxRssMb === null ? null : Math.round(r.maxRssMb) })),
    }
  })

  console.log(`\`node -e 0\`: median ${r1(median(nodeMs))} ms over ${o.pairs} rounds`)
  console.log('\n| --help | median | x `node -e 0` (median of the rounds) |\n| --- | ---: | ---: |')
  for (const f of helpFigures) console.log(`| ${f.arm} | ${f.medianMs.toFixed(0)} ms | ${f.ratioMedian.toFixed(2)}x |`)
  console.log('\n| status on an embedded database | to output | to exit | peak memory |\n| --- | ---: | ---: | ---: |')
  for (const f of statusFigures) {
    console.log(`| ${f.arm} | ${f.firstOutputMedianMs.toFixed(0)} ms | ${f.wallMedianMs.toFixed(0)} ms | ${f.maxRssMedianMb === null ? 'n/a' : `${f.maxRssMedianMb} MB`} |`)
  }

  const date = new Date().toISOString()
  const result = {
    command: `npm run bench:cli-start -- ${process.argv.slice(2).join(' ')}`.trim(),
    date,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) },
    help: { nodeMedianMs: r1(median(nodeMs)), nodeRunsMs: nodeMs.map(r1), arms: helpFigures },
    status: statusFigures,
  }
  mkdirSync(o.out, { recursive: true })
  const file = join(o.out, `${date.slice(0, 19).replaceAll(':', '-')}-cli-start.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  console.log(`\nwrote ${file}`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
