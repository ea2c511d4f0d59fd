// Audit cost: the same inserts into revenue with the statement-level audit trigger and with it
// disabled (`alter table public.revenue disable trigger revenue_audit_insert`), each run in a
// transaction that is rolled back, so the dataset stays as it was. Wall time of the inserts only
// (the ALTER is outside the timed part); variants alternate. The customers' totals trigger stays on
// in both: only the audit is compared.
import { type Kysely, sql } from 'kysely'
import type { Database } from '../lib/db/index.js'
import { apportion, type Dataset, insertRevenue, type OrgRows } from './dataset.js'
import { measureArms, median, rolledBack } from './measure.js'

export interface AuditFigure {
  name: string
  title: string
  rows: number
  auditMs: number
  noAuditMs: number
  ratio: number
  target: number
  met: boolean
  runs: number
}

type Db = Kysely<Database>

/** Runs fn as the system in a transaction that is always rolled back; returns fn's time in ms. */
function timedAndRolledBack(conn: Db, audit: boolean, fn: (trx: Db) => Promise<void>): Promise<number> {
  return rolledBack(conn, async (trx) => {
    if (!audit) await sql`alter table public.revenue disable trigger revenue_audit_insert`.execute(trx)
    const t0 = performance.now()
    await fn(trx)
    return performance.now() - t0
  })
}

// Counters far above the dataset's own, so the inserted ids never collide with existing rows.
const BULK_COUNTER_BASE = 100_000_000_000

export async function measureAudit(
  conn: Db, dataset: Pick<Dataset, 'plan' | 'planCustomers'>, options: { bulkRows: number; singleInserts: number; runs: number },
  log: (line: string) => void = () => {},
): Promise<AuditFigure[]> {
  const figures: AuditFigure[] = []

  // Bulk: one INSERT ... SELECT of bulkRows rows spread over all organizations by size.
  const { plan } = dataset
  const spread = (n: number): OrgRows[] => {
    const counts = apportion(n, plan.orgs.map((o) => o.customers))
    return plan.orgs.map((o, i) => ({ org: o.id, n: counts[i] ?? 0, first: o.firstCustomer, customers: dataset.planCustomers[i] ?? 0 }))
  }
  const counts = spread(options.bulkRows)
  const bulk = (audit: boolean, rows = counts) => () =>
    timedAndRolledBack(conn, audit, (trx) => insertRevenue(trx, plan, rows, BULK_COUNTER_BASE))
  // Warm-up at a tenth of the size, then alternate.
  const tenth = spread(Math.max(1, Math.round(options.bulkRows / 10)))
  await bulk(true, tenth)()
  await bulk(false, tenth)()
  const [bulkOn = [], bulkOff = []] = await measureArms([bulk(true), bulk(false)], { iterations: options.runs, warmup: 0 })
  figures.push(figure('bulk_insert', `bulk insert of ${options.bulkRows.toLocaleString('en-US')} revenue rows (one statement)`,
    options.bulkRows, bulkOn, bulkOff, 1.5))
  log(`  bulk: ${median(bulkOn).toFixed(0)} ms with audit, ${median(bulkOff).toFixed(0)} ms without`)

  // Single rows: singleInserts INSERT statements of one row each, for a hundred customers in turn.
  const picked = await sql<{ id: string; organization_id: string }>`
    select id, organization_id from public.customers where deleted_at is null order by id limit 100`.execute(conn)
  const customers = picked.rows
  const single = (audit: boolean, inserts = options.singleInserts) => () =>
    timedAndRolledBack(conn, audit, async (trx) => {
      for (let i = 0; i < inserts; i++) {
        const c = customers[i % customers.length]
        if (!c) break
        await sql`
          insert into public.revenue (organization_id, customer_id, amount, date, category, description)
          values (${c.organization_id}, ${c.id}, ${(10 + (i % 500)).toFixed(2)}, ${plan.calendar.monthStarts[23] ?? plan.calendar.end},
                  'usage', 'Single insert')`.execute(trx)
      }
    })
  await single(true, Math.ceil(options.singleInserts / 10))()
  await single(false, Math.ceil(options.singleInserts / 10))()
  const [oneOn = [], oneOff = []] = await measureArms([single(true), single(false)], { iterations: options.runs, warmup: 0 })
  figures.push(figure('single_inserts', `${options.singleInserts.toLocaleString('en-US')} single-row inserts`,
    options.singleInserts, oneOn, oneOff, 1.6))
  log(`  single: ${median(oneOn).toFixed(0)} ms with audit, ${median(oneOff).toFixed(0)} ms without`)
  return figures
}

function figure(name: string, title: string, rows: number, on: number[], off: number[], target: number): AuditFigure {
  const auditMs = median(on)
  const noAuditMs = median(off)
  const ratio = auditMs / noAuditMs
  return { name, title, rows, auditMs, noAuditMs, ratio, target, met: ratio <= target, runs: on.length }
}
