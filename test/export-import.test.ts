// Export and import of an organization (issue 21): the export reads through the admin's own session and
// holds exactly what RLS lets the admin see (the trash included, no token hash); its manifest checks
// every file; the import restores it into an empty database, and exporting the result again gives the
// same rows.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import {
  asSystem, asUser, EXPORT_TABLES, exportOrganization, importOrganization, InvalidInputError, NotAuthorizedError, type ExportTable, readManifest, softDelete,
} from '../lib/db/index.js'
import { freshDb, useFreshDb } from './support/db.js'
import { expectError } from './support/expect-error.js'
import { createTenant, type Tenant } from './support/offboarding.js'

const t = useFreshDb()
let a: Tenant
let b: Tenant
let dir: string
t.before(async () => {
  a = await createTenant(t.db, 'a', 5)
  b = await createTenant(t.db, 'b', 2)
  await asUser(t.db, a.adminId, (trx) => softDelete(trx, 'customers', a.customerIds[4] ?? ''))
  dir = await mkdtemp(join(tmpdir(), 'tenantry-export-'))
})

async function lines(d: string, table: ExportTable): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(d, `${table}.jsonl`), 'utf8')
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** Columns that an import rewrites by its nature: when a profile joined, when a customer's totals were last recomputed. */
const REWRITTEN: Partial<Record<ExportTable, string[]>> = { profiles: ['created_at', 'updated_at'], customers: ['updated_at'] }
const comparable = (table: ExportTable, rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !(REWRITTEN[table] ?? []).includes(k))))

describe('export', () => {
  it('writes what the admin sees, one file per table, with a manifest that checks them', async () => {
    const progress: number[] = []
    const manifest = await exportOrganization(t.db, a.adminId, dir, { pageRows: 2, onProgress: (p) => progress.push(p.total) })
    assert.equal(manifest.organization.id, a.id)
    assert.match(manifest.schema_version, /^\d{3}$/)
    assert.deepEqual(Object.keys(manifest.tables), [...EXPORT_TABLES])
    assert.equal(manifest.tables.customers.rows, 5, 'the trash is exported too')
    assert.equal(manifest.tables.organizations.rows, 1)
    assert.equal(manifest.tables.profiles.rows, 2)
    assert.ok(progress.length > 10)
    for (const table of EXPORT_TABLES) {
      for (const row of await lines(dir, table)) {
        if ('organization_id' in row) assert.equal(row.organization_id, a.id, `${table}: nothing of another organization`)
        assert.ok(!('token_hash' in row))
      }
    }
    await readManifest(dir)
    // A member is not an admin: no export.
    await expectError(exportOrganization(t.db, a.memberId, join(dir, 'member')), NotAuthorizedError, { code: '42501' })
  })

  it('the manifest refuses a changed file', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'tenantry-export-bad-'))
    try {
      await exportOrganization(t.db, b.adminId, copy)
      const file = join(copy, 'customers.jsonl')
      await writeFile(file, (await readFile(file, 'utf8')).replace('Customer', 'Kustomer'))
      await expectError(readManifest(copy), InvalidInputError, { message: /customers\.jsonl/ })
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })
})

describe('import', () => {
  it('restores into an empty database; exporting it again gives the same rows', async () => {
    const target = await freshDb()
    const again = await mkdtemp(join(tmpdir(), 'tenantry-export-again-'))
    try {
      const result = await importOrganization(target.db, dir, { batchRows: 2 })
      assert.equal(result.organizationId, a.id)
      assert.equal(result.rows.customers, 5)
      await exportOrganization(target.db, a.adminId, again)
      for (const table of EXPORT_TABLES) {
        if (table === 'audit_logs') continue
        assert.deepEqual(comparable(table, await lines(again, table)), comparable(table, await lines(dir, table)), table)
      }
      // Derived totals were recomputed from the revenue, and agree with the export's.
      const totals = await asSystem(target.db, async (trx) => (await sql<{ n: string }>`select count(*) as n from public.customers where total_revenue = 10`.execute(trx)).rows[0]?.n)
      assert.equal(Number(totals), 5)
      // A second import is refused: the database has an organization now.
      await expectError(importOrganization(target.db, dir), InvalidInputError, { message: /without organizations/ })
    } finally {
      await target.close()
      await rm(again, { recursive: true, force: true })
      await rm(dir, { recursive: true, force: true })
    }
  })
})
