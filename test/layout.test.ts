// The layout as a contract: lib/db holds only what an application imports, all of it reachable from
// the public entry; runtime code never reaches into build tooling; every error the project raises is
// one TenantryError, and every error class lib/db can throw is exported from the entry.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import * as api from '../lib/db/index.js'
import { PROJECT_ROOT } from '../lib/paths.js'

const LIB_DB = join(PROJECT_ROOT, 'lib', 'db')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)]
    .map((m) => resolve(dirname(file), `${m[1]}.ts`))
}

test('every module in lib/db is reachable from the public entry lib/db/index.ts', () => {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file) || !file.startsWith(LIB_DB)) return
    seen.add(file)
    relativeImports(file).forEach(visit)
  }
  visit(join(LIB_DB, 'index.ts'))
  const unreachable = sourceFiles(LIB_DB).filter((f) => !seen.has(f)).map((f) => relative(PROJECT_ROOT, f))
  assert.deepEqual(unreachable, [], 'modules in lib/db that no application import reaches: move them out of lib/db')
})

test('lib/db imports nothing from the build tooling, the CLI, the bench or the tests', () => {
  const outside = sourceFiles(LIB_DB).flatMap((f) =>
    relativeImports(f).filter((target) => !target.startsWith(LIB_DB)).map((t) => `${relative(PROJECT_ROOT, f)} -> ${relative(PROJECT_ROOT, t)}`))
  assert.deepEqual(outside, [])
})

test('every error class in lib/db is exported from the entry and is a TenantryError', () => {
  const declared = sourceFiles(LIB_DB).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/export class (\w+) extends (\w+)/g)].map((m) => m[1] ?? ''))
  assert.ok(declared.length >= 8, `expected the error classes, found ${declared.join(', ')}`)
  const exported = new Map(Object.entries(api))
  for (const name of declared) {
    const value = exported.get(name)
    assert.ok(typeof value === 'function', `${name} is not exported from lib/db/index.ts`)
    assert.ok(value === api.TenantryError || value.prototype instanceof api.TenantryError, `${name} does not extend TenantryError`)
  }
})

test('no class in lib or cli extends Error directly except TenantryError', () => {
  const dirs = [join(PROJECT_ROOT, 'lib'), join(PROJECT_ROOT, 'cli')]
  const direct = dirs.flatMap(sourceFiles).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/class (\w+)(?:<[^>]*>)? extends Error\b/g)]
      .map((m) => `${relative(PROJECT_ROOT, f)}: ${m[1]}`))
  // RollbackOnPurpose (lib/db/session.ts) never leaves withActor: it only ends a transaction.
  assert.deepEqual(direct.filter((d) => !/: (TenantryError|RollbackOnPurpose)$/.test(d)), [])
})
