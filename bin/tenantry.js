#!/usr/bin/env node
// The `tenantry` package bin: runs the built CLI, dist/tenantry.js (scripts/build.mjs; `npm ci` builds
// it through the prepare script). In a checkout whose sources changed since that build, it rebuilds
// first (esbuild: about a second), saying so when stderr is a terminal; if the build fails, one line
// says why and it exits 1, rather than run code older than the sources.
import { setFlagsFromString } from 'node:v8'
import { ensureBuilt } from '../scripts/build.mjs'

try {
  const reason = await ensureBuilt()
  if (reason !== null && process.stderr.isTTY) console.error(`tenantry: rebuilt dist/tenantry.js (${reason})`)
} catch (e) {
  console.error(`tenantry: cannot build dist/tenantry.js from the sources: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
}
// The embedded database is PostgreSQL compiled to WebAssembly (about 10 MB of it). By default V8
// compiles it with its baseline compiler, Liftoff, then recompiles what runs often with TurboFan on
// background threads, which a process that lives for a few seconds pays for (CPU, some 80 MB, and a wait
// at exit) without gaining from it. Liftoff only: `tenantry status` on an embedded database about half
// the time and 25% less memory, a first `tenantry demo` no slower (docs/benchmarks.md, "CLI start").
// Set before PGlite compiles its module (lib/db/connection.ts imports it when a database is opened).
setFlagsFromString('--liftoff-only')
// With TENANTRY_DEBUG the CLI prints whole errors: let their stack traces name the TypeScript sources.
if (process.env.TENANTRY_DEBUG) process.setSourceMapsEnabled(true)
await import('../dist/tenantry.js')
