// Child process of test/dates-timezone.test.ts: run under a TZ east or west of UTC, it writes DATE
// values through every read path of lib/db and prints what comes back, as one `RESULT {json}` line.
//   TZ=Europe/Berlin node --import tsx test/support/date-roundtrip.ts
import pg from 'pg'
import { sql } from 'kysely'
import {
  asService, asSystem, asUser, createOrganization, listDeleted, recordAiUsage, softDelete,
} from '../../lib/db/index.js'
import { ROUNDTRIP_DATES } from './date-cases.js'
import { freshDb } from './db.js'
import { createAuthUser } from './fixtures.js'


const DATE_OID = 1082

async function main(): Promise<void> {
  const h = await freshDb()
  try {
    const adminId = await createAuthUser(h.db, 'dates-admin@example.com')
    const orgId = await asUser(h.db, adminId, (trx) => createOrganization(trx, { name: 'Dates', slug: 'dates' }))
    const customerId = await asSystem(h.db, async (trx) => {
      const customer = await trx.insertInto('customers').values({ organization_id: orgId, name: 'Dated' })
        .returning('id').executeTakeFirstOrThrow()
      await trx.insertInto('revenue')
        .values(ROUNDTRIP_DATES.map((date) => ({
          organization_id: orgId, amount: '1.00', date, category: date,
          customer_id: date === '2026-01-01' ? customer.id : null,
        })))
        .execute()
      return customer.id
    })

    // Kysely select: the typed path.
    const kysely = await asSystem(h.db, (trx) =>
      trx.selectFrom('revenue').select(['category', 'date']).where('organization_id', '=', orgId).execute())
    // Raw SQL through the same pool, and the text the database itself holds.
    const raw = await asSystem(h.db, (trx) =>
      sql<{ category: string; date: string; text: string }>`select category, date, date::text as text from revenue
        where organization_id = ${orgId}`.execute(trx))
    // A DATE computed by a trigger (customers.last_purchase_date) and by the database (current_date).
    const customer = await asUser(h.db, adminId, (trx) =>
      trx.selectFrom('customers').select(['last_purchase_date']).where('id', '=', customerId).executeTakeFirstOrThrow())
    const usage = await asService(h.db, (trx) => recordAiUsage(trx, {
      userId: adminId, organizationId: orgId, queryId: customerId, model: 'm', date: '2026-01-01',
    }))
    const today = await asService(h.db, async (trx) => {
      const row = await recordAiUsage(trx, { userId: adminId, organizationId: orgId, queryId: customerId, model: 'm' })
      const db = await sql<{ d: string }>`select current_date::text as d`.execute(trx)
      return { stored: row.date, database: db.rows[0]?.d ?? null }
    })
    // Filters with a date string find the row of that day, and only it.
    const filtered = await asUser(h.db, adminId, async (trx) => ({
      equal: (await trx.selectFrom('revenue').select('category').where('date', '=', '2026-01-01').execute()).map((r) => r.category),
      range: (await trx.selectFrom('revenue').select('category')
        .where('date', '>=', '2025-12-31').where('date', '<', '2026-01-02').orderBy('date').execute()).map((r) => r.category),
    }))
    // A set-returning SQL function (the trash) goes through the same parsing.
    const trash = await asUser(h.db, adminId, async (trx) => {
      const target = await trx.selectFrom('revenue').select('id').where('category', '=', '2026-03-29').executeTakeFirstOrThrow()
      await softDelete(trx, 'revenue', target.id)
      return (await listDeleted(trx, 'revenue')).map((r) => r.date)
    })

    const naiveParser = pg.types.getTypeParser(DATE_OID, 'text')
    const naive = naiveParser('2026-01-01')
    const result = {
      tz: process.env.TZ ?? null,
      resolvedTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      offsetMinutesJanuary: new Date('2026-01-01T12:00:00Z').getTimezoneOffset(),
      kind: h.kind,
      kysely: Object.fromEntries(kysely.map((r) => [r.category, r.date])),
      kyselyTypes: [...new Set(kysely.map((r) => typeof r.date))],
      raw: Object.fromEntries(raw.rows.map((r) => [r.category, r.date])),
      databaseText: Object.fromEntries(raw.rows.map((r) => [r.category, r.text])),
      lastPurchaseDate: customer.last_purchase_date,
      aiUsageDate: usage.date,
      today,
      filtered,
      trash,
      // What node-postgres does without lib/db's parser: proves this TZ would shift a DATE.
      naiveDefault: naive instanceof Date ? naive.toISOString().slice(0, 10) : String(naive),
      json: JSON.parse(JSON.stringify({ date: kysely.find((r) => r.category === '2026-01-01')?.date ?? null })),
    }
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
  } finally {
    await h.close()
  }
}

await main()
