// The CLI's build: esbuild bundles cli/main.ts, with every module of lib/ and cli/ it imports, into
// dist/tenantry.js, so `tenantry` starts without a TypeScript loader and without resolving hundreds of
// module files. `npm ci` runs it (the prepare script), `npm test` before the tests; bin/tenantry.js
// rebuilds when a source is newer than the build. It only transpiles: `npm run typecheck` checks types.
//
//   node scripts/build.mjs              build
//   node scripts/build.mjs --if-stale   build only when a source changed since the last build
//
// The runtime dependencies the CLI imports on every start (kysely, jose, commander, cli-table3, ...) are
// bundled: kysely and jose alone are a few hundred ES modules, whose resolution cost 100-200 ms each at
// every start; bundled, the whole CLI is one file that Node parses in a few tens of milliseconds.
// Imported from node_modules instead, when they are needed:
//   @electric-sql/pglite   loads its .wasm and .data files relative to its own module; and, with pg,
//   pg                     imported only when a database is opened (lib/db/connection.ts). pg requires
//                          its optional native binding (pg-native) at run time.
//   tsx                    not imported by the CLI
//   devDependencies        tools that a command may import when it runs (generate), never at start
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const SELF = relative(ROOT, fileURLToPath(import.meta.url))
export const ENTRY = 'cli/main.ts'
export const BUNDLE = join(ROOT, 'dist', 'tenantry.js')
/** What the last build read and when it started: the inputs tell bin/tenantry.js when to rebuild. */
const MANIFEST = join(ROOT, 'dist', 'tenantry.inputs.json')
const NOT_BUNDLED = ['@electric-sql/pglite', 'pg', 'tsx']

/** The packages left out of the bundle: NOT_BUNDLED and every devDependency. */
function externalPackages() {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  return [...NOT_BUNDLED, ...Object.keys(manifest.devDependencies ?? {})]
}

/** Why the bundle must be rebuilt (a sentence), or null when it is up to date. */
export function staleReason() {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'))
    statSync(BUNDLE)
  } catch {
    return 'no build yet'
  }
  for (const input of manifest.inputs) {
    let mtimeMs
    try {
      mtimeMs = statSync(join(ROOT, input)).mtimeMs
    } catch {
      return `${input} is gone`
    }
    if (mtimeMs > manifest.startedAt) return `${input} changed`
  }
  return null
}

/** The first error of a failed esbuild build, in one line. */
function firstError(e) {
  const errors = Array.isArray(e?.errors) ? e.errors : []
  if (errors.length === 0) return e instanceof Error ? e.message : String(e)
  const [first] = errors
  const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : ''
  return `${where}${first.text}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`
}

/** Builds dist/tenantry.js (and its source map). Throws an Error whose message is one line. */
export async function build() {
  const startedAt = Date.now()
  const esbuild = await import('esbuild')
  let result
  try {
    result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [ENTRY],
      outfile: BUNDLE,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: externalPackages().flatMap((name) => [name, `${name}/*`]),
      // Bundled CommonJS packages (commander, cli-table3, ...) require Node's built-in modules.
      banner: { js: "import { createRequire as __tenantryCreateRequire } from 'node:module'; const require = __tenantryCreateRequire(import.meta.url);" },
      // Read only with TENANTRY_DEBUG (bin/tenantry.js): stack traces then name the TypeScript sources.
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      write: false,
      logLevel: 'silent',
    })
  } catch (e) {
    throw new Error(firstError(e))
  }
  mkdirSync(dirname(BUNDLE), { recursive: true })
  // Each file replaced in one step (write, then rename): a CLI starting meanwhile, or a second build
  // running at the same time, never reads half a file.
  const replace = (path, contents) => {
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, contents)
    renameSync(tmp, path)
  }
  const isMap = (file) => (file.path.endsWith('.map') ? 1 : 0)
  for (const file of [...result.outputFiles].sort((a, b) => isMap(b) - isMap(a))) replace(file.path, file.contents)
  // The lock file stands for the bundled packages: npm rewrites it when they change.
  const inputs = [SELF, 'package.json', 'package-lock.json', ...Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules/'))]
  replace(MANIFEST, `${JSON.stringify({ startedAt, inputs }, null, 2)}\n`)
  return { inputs: inputs.length, ms: Date.now() - startedAt }
}

/** Builds when the bundle is missing or older than a source; returns why it built, or null. */
export async function ensureBuilt() {
  const reason = staleReason()
  if (reason !== null) await build()
  return reason
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    if (process.argv.includes('--if-stale')) {
      const reason = await ensureBuilt()
      console.log(reason === null ? `${relative(ROOT, BUNDLE)} is up to date` : `built ${relative(ROOT, BUNDLE)} (${reason})`)
    } else {
      const { inputs, ms } = await build()
      console.log(`built ${relative(ROOT, BUNDLE)} from ${inputs} sources in ${ms} ms`)
    }
  } catch (e) {
    console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  }
}
