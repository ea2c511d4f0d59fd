// docs/erd.md and docs/access-policy.md are generated (lib/devtools/docs-gen.ts) from the migrated
// database's catalog and from lib/devtools/access-policy.ts: regenerated here and compared.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { before, describe, it } from 'node:test'
import { TABLES } from '../lib/db/index.js'
import { ACTORS, OPERATIONS } from '../lib/devtools/access-policy.js'
import { parseLegend } from '../lib/devtools/docs-gen.js'
import { contentOf, type GeneratedFile, renderGenerated } from '../lib/devtools/generate.js'
import { REGENERATE } from '../lib/devtools/regenerate.js'
import { ACCESS_POLICY_DOC, ACCESS_POLICY_SOURCE, ERD_FILE, PROJECT_ROOT } from '../lib/paths.js'
import { checkedByEmbeddedRun } from './support/db.js'

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

let files: GeneratedFile[]

// Generated from an in-memory embedded database whatever DATABASE_URL says.
const skip = checkedByEmbeddedRun

before(async () => {
  if (!skip) files = await renderGenerated()
})

function generated(path: string): string {
  return contentOf(files, path)
}

describe('generated docs', { skip }, () => {
  for (const path of [ERD_FILE, ACCESS_POLICY_DOC]) {
    const name = relative(PROJECT_ROOT, path)
    it(`${name} is up to date`, () => {
      assert.ok(readOrEmpty(path) === generated(path), `${name} is out of date; regenerate it with: ${REGENERATE}`)
    })
  }

  it('the ERD draws every table and one line per foreign key', () => {
    const erd = generated(ERD_FILE)
    const mermaid = erd.slice(erd.indexOf('```mermaid'), erd.indexOf('```', erd.indexOf('```mermaid') + 3))
    for (const table of TABLES) assert.match(mermaid, new RegExp(`^  ${table} \\{$`, 'm'), table)
    const fkRows = erd.split('\n').filter((l) => /^\| \w+ \| \w+_fkey \|/.test(l)).length
    const lines = mermaid.split('\n').filter((l) => / : "/.test(l)).length
    assert.ok(fkRows > 0)
    assert.equal(lines, fkRows)
  })

  it('the access-policy doc has every table x operation, every actor, and the legend of every outcome used', () => {
    const doc = generated(ACCESS_POLICY_DOC)
    assert.ok(doc.includes(`| table | operation | ${ACTORS.join(' | ')} |`))
    for (const table of TABLES) {
      for (const op of OPERATIONS) assert.match(doc, new RegExp(`^\\| ${table} \\| ${op} \\|`, 'm'), `${table} ${op}`)
    }
    const legend = parseLegend(readFileSync(ACCESS_POLICY_SOURCE, 'utf8'))
    assert.equal(legend.length, 2, 'a select group and a writes group')
    const explained = new Set(legend.flatMap((g) => g.entries.map((e) => e.outcome)))
    for (const o of ['none', 'own', 'org', 'all', 'ok', 'soft', 'denied']) assert.ok(explained.has(o), o)
  })
})
