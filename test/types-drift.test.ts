// lib/db/types.ts cannot drift from the migrations: (1) regenerating it gives the committed text,
// byte for byte; (2) an independent check (information_schema against the TypeScript AST) finds
// every table, column, nullability, default (Generated<>) and CHECK-list value in agreement; (3) that
// check is shown to catch each kind of drift; (4) the types behave as promised at compile time,
// including the rules the SQL states: derived columns are never written, tenant keys never change.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { sql } from 'kysely'
import {
  type Activity, type ActivityUpdate, ACTIVITY_TYPES, type ActivityType, AUDITED_TABLES, type AuditLog, type Customer, CUSTOMER_STATUSES, type CustomerStatus, type CustomerUpdate, type NewActivity, type NewAiUsage, type NewCustomer, type NewOrganization, type NewProfile, type NewRevenue, type NewUserPreferences, type Profile, PROFILE_ROLES, type ProfileRole, type ProfileUpdate, type RevenueUpdate, SOFT_DELETE_TABLES, TABLE_NAMES, TABLES, TENANT_TABLES, THEME_PREFERENCES, type ThemePreference,
} from '../lib/db/index.js'
import { contentOf, renderGenerated } from '../lib/devtools/generate.js'
import { REGENERATE } from '../lib/devtools/regenerate.js'
import { TYPES_FILE } from '../lib/paths.js'
import { checkedByEmbeddedRun, useFreshDb } from './support/db.js'
import { compareTypes, type DbSchema, parseEnumCheck, readDbSchema } from './support/types-check.js'

const committed = readFileSync(TYPES_FILE, 'utf8')

const h = useFreshDb()
let schema: DbSchema

h.before(async () => {
  schema = await readDbSchema(h.db)
})

// Generated on an in-memory embedded database whatever DATABASE_URL says (the checks below read the
// target's own catalog).
describe('types.ts is what the migrations generate', { skip: checkedByEmbeddedRun }, () => {
  test('regenerating gives the committed file, byte for byte', async () => {
    const fresh = contentOf(await renderGenerated(), TYPES_FILE)
    if (fresh !== committed) {
      const a = fresh.split('\n')
      const b = committed.split('\n')
      const line = a.findIndex((l, i) => l !== b[i])
      assert.fail(
        `lib/db/types.ts is stale: regenerate it with \`${REGENERATE}\`.\n` +
          `First difference at line ${line + 1}:\n  generated: ${a[line]}\n  committed: ${b[line]}`,
      )
    }
  })
})

describe('independent check: information_schema against the TypeScript declarations', () => {
  test(`the migrated database (${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded'}) agrees with types.ts everywhere`, () => {
    assert.ok(schema.tables.size >= 8, 'the schema was read')
    assert.deepEqual(compareTypes(schema, committed), [])
  })

  test('the database side was really read: every CHECK list and default is known', () => {
    assert.deepEqual(Object.fromEntries(schema.enums), {
      'activities.type': ['signup', 'purchase', 'churn', 'login', 'export'],
      'audit_logs.action': ['INSERT', 'UPDATE', 'DELETE', 'SOFT_DELETE', 'RESTORE'],
      'customers.status': ['active', 'inactive', 'churned'],
      'invitations.role': ['admin', 'member'],
      'invitations.status': ['pending', 'accepted', 'declined', 'revoked', 'replaced'],
      'profiles.role': ['admin', 'member'],
      'user_preferences.theme_preference': ['light', 'dark', 'system'],
    })
    const col = (t: string, c: string) => schema.tables.get(t)?.find((x) => x.name === c)
    assert.deepEqual(col('profiles', 'id'), { name: 'id', udtName: 'uuid', dataType: 'uuid', nullable: false, hasDefault: false })
    assert.equal(col('customers', 'total_revenue')?.hasDefault, true)
    assert.equal(col('customers', 'email')?.nullable, true)
    assert.equal(col('revenue', 'date')?.udtName, 'date')
  })

  test('the CHECK parser reads both spellings and refuses what is not a plain value list', () => {
    assert.deepEqual(parseEnumCheck("((role = ANY (ARRAY['admin'::text, 'member'::text])))"), { column: 'role', values: ['admin', 'member'] })
    assert.deepEqual(parseEnumCheck("(status IN ('a', 'it''s'))"), { column: 'status', values: ['a', "it's"] })
    assert.deepEqual(parseEnumCheck("(((kind)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[])))"), { column: 'kind', values: ['x', 'y'] })
    assert.equal(parseEnumCheck('(input_tokens >= 0)'), null)
    assert.equal(parseEnumCheck("(jsonb_typeof(metadata) = 'object'::text)"), null)
    assert.equal(parseEnumCheck("(slug ~ '^[a-z]+$'::text)"), null)
  })
})

describe('the independent check catches every kind of drift', () => {
  /** Applies one edit to the committed text and expects compareTypes to report it. */
  function drift(label: string, edit: (text: string) => string, expected: RegExp): void {
    test(label, () => {
      const changed = edit(committed)
      assert.notEqual(changed, committed, 'the edit applies to the current types.ts')
      const problems = compareTypes(schema, changed)
      assert.ok(problems.some((p) => expected.test(p)), `expected a problem matching ${expected}, got:\n${problems.join('\n')}`)
    })
  }
  const inInterface = (name: string, text: string, f: (body: string) => string) =>
    text.replace(new RegExp(`(export interface ${name} \\{)([\\s\\S]*?)(\\n\\})`), (_, a: string, body: string, z: string) => a + f(body) + z)

  drift('a column missing from types.ts', (t) => inInterface('CustomerTable', t, (b) => b.replace(/\n(?:\s*\/\*\*.*\*\/\n)?\s*industry: .*/, '')),
    /customers\.industry: in the database, missing/)
  drift('a column only in types.ts', (t) => inInterface('RevenueTable', t, (b) => `${b}\n  invoice_no: string`), /revenue\.invoice_no: in RevenueTable, not in the database/)
  drift('a nullable column typed NOT NULL', (t) => inInterface('CustomerTable', t, (b) => b.replace('email: string | null', 'email: string')),
    /customers\.email: nullable is true in the database, false/)
  drift('a NOT NULL column typed nullable', (t) => inInterface('RevenueTable', t, (b) => b.replace('amount: Decimal', 'amount: Decimal | null')),
    /revenue\.amount: nullable is false in the database, true/)
  drift('a default missing (no Generated<>)', (t) => inInterface('CustomerTable', t, (b) => b.replace('status: Generated<CustomerStatus>', 'status: CustomerStatus')),
    /customers\.status: has default in the database, is not Generated/)
  drift('a default missing from a ColumnType (undefined not in its insert type)', (t) => inInterface('CustomerTable', t, (b) => b.replace('created_at: ColumnType<Date, Date | string | undefined, Date | string>', 'created_at: ColumnType<Date, Date | string, Date | string>')),
    /customers\.created_at: has default in the database, is not Generated/)
  drift('a NOT NULL column without a default that cannot be inserted', (t) => inInterface('RevenueTable', t, (b) => b.replace('amount: Decimal', 'amount: GeneratedAlways<Decimal>')),
    /revenue\.amount: has no default and is NOT NULL in the database, cannot be inserted/)
  drift('a Generated<> without a default', (t) => inInterface('RevenueTable', t, (b) => b.replace('date: DateString', 'date: Generated<DateString>')),
    /revenue\.date: has no default in the database, is Generated/)
  drift('a CHECK value missing', (t) => t.replace('["active", "inactive", "churned"]', '["active", "inactive"]'),
    /customers\.status: CHECK allows \[active, inactive, churned\], CustomerStatus has \[active, inactive\]/)
  drift('a CHECK-listed column typed as plain string', (t) => inInterface('ProfileTable', t, (b) => b.replace('Generated<ProfileRole>', 'Generated<string>')),
    /profiles\.role: CHECK allows/)
  drift('a wrong scalar type (DATE as Date, numeric as number)', (t) => inInterface('RevenueTable', t, (b) => b.replace('date: DateString', 'date: Date')),
    /revenue\.date: date in the database, Date in types\.ts/)
  drift('numeric as a float', (t) => inInterface('AiUsageTable', t, (b) => b.replace('Generated<Decimal>', 'Generated<number>')),
    /ai_usage_log\.cost_usd: numeric in the database, number/)
  drift('a table missing from Database', (t) => t.replace(/\n {2}revenue: RevenueTable/, ''), /tables: database has/)
  drift('a table missing from TABLE_NAMES', (t) => t.replace(/\n {2}REVENUE: "revenue",/, ''), /TABLE_NAMES/)
  drift('a row alias pointing elsewhere', (t) => t.replace('export type NewCustomer = Insertable<CustomerTable>', 'export type NewCustomer = Selectable<CustomerTable>'),
    /customers: type NewCustomer should be Insertable<CustomerTable>/)
})

// ---- compile-time behaviour (checked by `tsc --noEmit`, which `npm test` runs first) ----
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

describe('the types behave as promised', () => {
  test('inserts need exactly the columns without a default', () => {
    const customer: NewCustomer = { organization_id: 'o', name: 'n' }
    const revenue: NewRevenue = { organization_id: 'o', amount: '1.00', date: '2026-01-01' }
    const activity: NewActivity = { organization_id: 'o', type: 'login' }
    const usage: NewAiUsage = { user_id: 'u', organization_id: 'o', query_id: 'q', model: 'm', date: '2026-01-01' }
    const org: NewOrganization = { name: 'n', slug: 's' }
    const profile: NewProfile = { id: 'i', email: 'e' }
    const prefs: NewUserPreferences = { user_id: 'u' }
    // @ts-expect-error name has no default
    const noName: NewCustomer = { organization_id: 'o' }
    // @ts-expect-error date has no default
    const noDate: NewRevenue = { organization_id: 'o', amount: '1.00' }
    // @ts-expect-error a DATE is written as 'YYYY-MM-DD' text, not a Date
    const dateObject: NewRevenue = { organization_id: 'o', amount: '1.00', date: new Date() }
    // @ts-expect-error numeric is an exact decimal string, not a float
    const floatAmount: NewRevenue = { organization_id: 'o', amount: 1.5, date: '2026-01-01' }
    // @ts-expect-error not one of the CHECK values
    const badType: NewActivity = { organization_id: 'o', type: 'logout' }
    // @ts-expect-error metadata is a JSON object
    const badMetadata: NewActivity = { organization_id: 'o', type: 'login', metadata: 'text' }
    const update: CustomerUpdate = { status: 'churned' }
    assert.ok([customer, revenue, activity, usage, org, profile, prefs, noName, noDate, dateObject, floatAmount, badType, badMetadata, update].length > 0)
  })

  test('derived columns are never written, tenant keys never change (from the SQL comments)', () => {
    // @ts-expect-error customers.total_revenue is derived: not insertable
    const derivedInsert: NewCustomer = { organization_id: 'o', name: 'n', total_revenue: '1.00' }
    // @ts-expect-error customers.last_purchase_date is derived: not insertable
    const derivedDate: NewCustomer = { organization_id: 'o', name: 'n', last_purchase_date: '2026-01-01' }
    // @ts-expect-error customers.total_revenue is derived: not updatable
    const derivedUpdate: CustomerUpdate = { total_revenue: '1.00' }
    // @ts-expect-error customers.organization_id cannot change
    const moveCustomer: CustomerUpdate = { organization_id: 'o' }
    // @ts-expect-error revenue.organization_id cannot change
    const moveRevenue: RevenueUpdate = { organization_id: 'o' }
    // @ts-expect-error activities.organization_id cannot change
    const moveActivity: ActivityUpdate = { organization_id: 'o' }
    // A profile's organization does change (joining, public.remove_member): still updatable.
    const leave: ProfileUpdate = { organization_id: null }
    const checks: [
      Equal<keyof NewCustomer & ('total_revenue' | 'last_purchase_date'), never>,
      Equal<keyof CustomerUpdate & ('total_revenue' | 'last_purchase_date' | 'organization_id'), never>,
      Equal<keyof NewCustomer & 'organization_id', 'organization_id'>,
      Equal<Customer['total_revenue'], string>,
      Equal<Customer['organization_id'], string>,
    ] = [true, true, true, true, true]
    assert.ok(checks.every(Boolean))
    assert.ok([derivedInsert, derivedDate, derivedUpdate, moveCustomer, moveRevenue, moveActivity, leave].length > 0)
  })

  test('selected rows: literal unions, Date timestamps, string decimals and dates, nullability', () => {
    const checks: [
      Equal<Customer['status'], CustomerStatus>,
      Equal<Customer['total_revenue'], string>,
      Equal<Customer['last_purchase_date'], string | null>,
      Equal<Customer['created_at'], Date>,
      Equal<Customer['deleted_at'], Date | null>,
      Equal<Profile['role'], ProfileRole>,
      Equal<Profile['organization_id'], string | null>,
      Equal<Activity['type'], ActivityType>,
      Equal<AuditLog['user_id'], string | null>,
      Equal<ThemePreference, 'light' | 'dark' | 'system'>,
    ] = [true, true, true, true, true, true, true, true, true, true]
    assert.ok(checks.every(Boolean))
  })

  test('the runtime lists match the unions and the tables', () => {
    assert.deepEqual([...PROFILE_ROLES], ['admin', 'member'])
    assert.deepEqual([...CUSTOMER_STATUSES], ['active', 'inactive', 'churned'])
    assert.deepEqual([...ACTIVITY_TYPES], ['signup', 'purchase', 'churn', 'login', 'export'])
    assert.deepEqual([...THEME_PREFERENCES], ['light', 'dark', 'system'])
    assert.deepEqual(Object.values(TABLE_NAMES).sort(), [...schema.tables.keys()].sort())
    assert.deepEqual([...TABLES], [...schema.tables.keys()].sort())
  })

  test('the table sets match what the database says, read independently', async () => {
    const tablesWith = async (column: string) => (await sql<{ t: string }>`
      select table_name as t from information_schema.columns
       where table_schema = 'public' and column_name = ${column} order by table_name`.execute(h.db)).rows.map((r) => r.t)
    assert.deepEqual([...SOFT_DELETE_TABLES], await tablesWith('deleted_at'))
    assert.deepEqual([...TENANT_TABLES], await tablesWith('organization_id'))
    // Audited: a trigger on the table runs one of the audit functions (audit_logs' own guard aside).
    const audited = await sql<{ t: string }>`
      select distinct event_object_table as t from information_schema.triggers
       where event_object_schema = 'public' and action_statement ilike '%audit%' and event_object_table <> 'audit_logs'
       order by 1`.execute(h.db)
    assert.deepEqual([...AUDITED_TABLES], audited.rows.map((r) => r.t))
  })
})
