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

/** The import graph of lib/ and cli/ (relative imports, type-only ones included: they tie files too). */
function importGraph(): Map<string, string[]> {
  const files = [join(PROJECT_ROOT, 'lib'), join(PROJECT_ROOT, 'cli')].flatMap(sourceFiles)
  return new Map(files.map((f) => [f, relativeImports(f)]))
}

/** Every circle a depth-first walk meets, as "a -> b -> a". */
function circlesOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>()
  const circles: string[] = []
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(PROJECT_ROOT, f)).join(' -> '))
      return
    }
    state.set(file, 'open')
    for (const target of graph.get(file) ?? []) visit(target, [...path, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  return circles
}

const COMMANDS = join(PROJECT_ROOT, 'cli', 'commands')

/** Imports from one command file to another. */
function commandCrossings(graph: ReadonlyMap<string, readonly string[]>): string[] {
  return [...graph].filter(([file]) => file.startsWith(COMMANDS)).flatMap(([file, targets]) =>
    targets.filter((t) => t.startsWith(COMMANDS)).map((t) => `${relative(PROJECT_ROOT, file)} -> ${relative(PROJECT_ROOT, t)}`))
}

test('the imports of lib/ and cli/ form no circle', () => {
  assert.deepEqual(circlesOf(importGraph()), [])
})

test('no CLI command imports another: what they share lives beside them (cli/helpers.ts, cli/setup.ts)', () => {
  assert.deepEqual(commandCrossings(importGraph()), [])
})

test('the import-graph checks find a circle and a crossing where there is one', () => {
  const at = (...parts: string[]): string => join(PROJECT_ROOT, ...parts)
  const graph = new Map([
    [at('lib', 'a.ts'), [at('lib', 'b.ts')]],
    [at('lib', 'b.ts'), [at('lib', 'c.ts')]],
    [at('lib', 'c.ts'), [at('lib', 'a.ts')]],
    [at('cli', 'commands', 'x.ts'), [at('cli', 'commands', 'y.ts'), at('cli', 'helpers.ts')]],
  ])
  assert.deepEqual(circlesOf(graph), [['a', 'b', 'c', 'a'].map((f) => join('lib', `${f}.ts`)).join(' -> ')])
  assert.deepEqual(commandCrossings(graph), [`${join('cli', 'commands', 'x.ts')} -> ${join('cli', 'commands', 'y.ts')}`])
  // What both read: type-only imports count (migration-plan.ts imports only a type of migration-files.ts).
  assert.ok(relativeImports(at('lib', 'migrate', 'migration-plan.ts')).includes(at('lib', 'migrate', 'migration-files.ts')))
})

test('test files are named <concern>-<aspect>: an aspect such as cli or bench comes after the concern', () => {
  const names = readdirSync(join(PROJECT_ROOT, 'test')).filter((f) => f.endsWith('.test.ts'))
  assert.ok(names.includes('invitations-cli.test.ts'), names.join(', '))
  // `cli.test.ts` is the CLI's own concern; `bench-smoke` the bench's.
  assert.deepEqual(names.filter((f) => /^cli-/.test(f) || /^(escalation|race|plans|drift)-/.test(f)), [])
})
