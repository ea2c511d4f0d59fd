// The audit trail's monthly partitions (migration 012): keeping them ahead of need, listing them, and
// retention by the month. Every function here runs as the caller's database role: maintenance and
// pruning are for the owner (the system) and service_role, whom the SQL functions are granted to.
//
// Months are calendar months in UTC ("2026-03"), as the partitions are.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { createGzip } from 'node:zlib'
import { type Kysely, sql, type Transaction } from 'kysely'
import { TenantryError } from '../errors.js'
import { monthOf, parseMonth } from '../months.js'
import { asSystem } from '../session.js'
import type { Database } from '../types.js'

/** Months created ahead of the current one by maintenance (`tenantry migrate`, `tenantry seed`, pg_cron). */
export const AUDIT_MONTHS_AHEAD = 3

export interface AuditMaintenanceStep {
  /** private.audit_logs_2026_03, private.audit_logs_default. */
  partition: string
  /** created: a partition that did not exist; moved: rows found in the default partition, now in this one. */
  action: 'created' | 'moved'
  rows: number
}

export interface AuditPartition {
  /** private.audit_logs_2026_03; private.audit_logs_default for the default partition. */
  partition: string
  /** YYYY-MM; null for the default partition. */
  month: string | null
  rows: number
}

export interface AuditPruneOptions {
  /** YYYY-MM: every month before it is dropped. The current and the previous month (UTC) are refused. */
  before: string
  /** Write each month to <dir>/audit_logs_YYYY-MM.jsonl.gz (one JSON row a line) before it is dropped. */
  exportDir?: string
  /** "Now", for the refusal of the current and the previous month (tests); default the clock. */
  now?: Date
}

export interface AuditPruneResult {
  months: { month: string; rows: number; file: string | null }[]
  rows: number
}

/** The partitions could not be kept, exported or pruned as asked. */
export class AuditRetentionError extends TenantryError {
  constructor(message: string, code = 'TENANTRY_AUDIT_RETENTION') {
    super(message, { code, table: 'audit_logs' })
  }
}


/**
 * Why `before` may not be pruned, or null when it may: the months before it must all be older than the
 * previous month, so the current and the previous month are always kept.
 */
export function pruneRefusal(before: string, now = new Date()): string | null {
  parseMonth(before, 'before')
  const previous = monthOf(now, -1)
  return before > previous
    ? `refusing to prune ${previous} or later: the current (${monthOf(now)}) and the previous month are kept; --before ${previous} is the latest allowed`
    : null
}

/** Creates the partitions ahead of need and moves rows out of the default partition; what it did. */
export async function maintainAuditPartitions<DB>(db: Kysely<DB>, monthsAhead = AUDIT_MONTHS_AHEAD): Promise<AuditMaintenanceStep[]> {
  // Before migration 012 there is nothing to keep.
  const exists = await sql<{ ok: boolean }>`select to_regprocedure('private.audit_logs_maintain(integer)') is not null as ok`.execute(db)
  if (!exists.rows[0]?.ok) return []
  const r = await sql<{ partition_name: string; action: 'created' | 'moved'; rows: string }>`
    select partition_name, action, rows from private.audit_logs_maintain(${monthsAhead}::integer)`.execute(db)
  return r.rows.map((x) => ({ partition: x.partition_name, action: x.action, rows: Number(x.rows) }))
}

/** Every partition of the trail, oldest month first, the default last, with exact row counts. */
export async function listAuditPartitions(db: Kysely<Database>): Promise<AuditPartition[]> {
  const names = await sql<{ name: string }>`
    select c.relname as name
      from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'public.audit_logs'::regclass and c.relnamespace = 'private'::regnamespace
     order by c.relname = 'audit_logs_default', c.relname`.execute(db)
  const out: AuditPartition[] = []
  for (const { name } of names.rows) {
    const n = await sql<{ n: string }>`select count(*) as n from ${sql.table(`private.${name}`)}`.execute(db)
    const m = /^audit_logs_(\d{4})_(\d{2})$/.exec(name)
    out.push({ partition: `private.${name}`, month: m ? `${m[1]}-${m[2]}` : null, rows: Number(n.rows[0]?.n ?? 0) })
  }
  return out
}

function partitionOf(month: string): string {
  return `audit_logs_${month.replace('-', '_')}`
}

/** The file a pruned month is exported to. */
export function exportFileName(month: string): string {
  return `audit_logs_${month}.jsonl.gz`
}

/** Writes a month's rows, oldest first, one JSON object a line, gzip-compressed; returns the row count. */
async function exportMonth(trx: Transaction<Database>, month: string, file: string): Promise<number> {
  const partial = `${file}.partial`
  const gzip = createGzip()
  const out = createWriteStream(partial)
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve)
    out.on('error', reject)
    gzip.on('error', reject)
  })
  gzip.pipe(out)
  let rows = 0
  try {
    // One sort, read in batches: a month can hold millions of rows.
    await sql`declare audit_export no scroll cursor for
                select to_jsonb(a)::text as line from ${sql.table(`private.${partitionOf(month)}`)} a order by created_at, id`.execute(trx)
    for (;;) {
      const batch = await sql<{ line: string }>`fetch forward 5000 from audit_export`.execute(trx)
      if (batch.rows.length === 0) break
      const text = `${batch.rows.map((r) => r.line).join('\n')}\n`
      rows += batch.rows.length
      if (!gzip.write(text)) await once(gzip, 'drain')
    }
    await sql`close audit_export`.execute(trx)
    gzip.end()
    await done
  } catch (e) {
    gzip.destroy()
    out.destroy()
    rmSync(partial, { force: true })
    throw e
  }
  renameSync(partial, file)
  return rows
}

/** The months a prune before `before` would drop, with their rows (after moving stray rows out of the default partition). */
async function monthsBefore(trx: Kysely<Database>, before: string): Promise<{ month: string; rows: number }[]> {
  return (await listAuditPartitions(trx))
    .filter((p): p is AuditPartition & { month: string } => p.month !== null && p.month < before)
    .map((p) => ({ month: p.month, rows: p.rows }))
}

/** What `pruneAuditMonths` would drop, without changing anything (nothing is moved either). */
export async function auditMonthsBefore(db: Kysely<Database>, before: string): Promise<{ month: string; rows: number }[]> {
  parseMonth(before, 'before')
  return monthsBefore(db, before)
}

/**
 * Drops every month of the trail before `before`, in one transaction: rows in the default partition are
 * moved to their months first; each month is exported first when exportDir is given (and the prune is
 * refused, dropping nothing, unless the files hold exactly the rows dropped); then
 * private.audit_logs_prune detaches and drops the partitions and files its own row in the trail.
 */
export async function pruneAuditMonths(db: Kysely<Database>, options: AuditPruneOptions): Promise<AuditPruneResult> {
  const refusal = pruneRefusal(options.before, options.now)
  if (refusal) throw new AuditRetentionError(refusal, 'TENANTRY_AUDIT_PRUNE_REFUSED')
  const dir = options.exportDir
  if (dir !== undefined) mkdirSync(dir, { recursive: true })
  // Files of months that end up not pruned (the transaction failed) are removed again: an export
  // stands for a month that is gone from the database.
  const written: string[] = []
  try {
    return await pruneInTransaction(db, options.before, dir, written)
  } catch (e) {
    for (const file of written) rmSync(file, { force: true })
    throw e
  }
}

function pruneInTransaction(db: Kysely<Database>, before: string, dir: string | undefined, written: string[]): Promise<AuditPruneResult> {
  return asSystem(db, async (trx) => {
    await sql`select * from private.audit_logs_sweep_default()`.execute(trx)
    const planned = await monthsBefore(trx, before)
    const months: AuditPruneResult['months'] = []
    for (const m of planned) {
      let file: string | null = null
      if (dir !== undefined) {
        file = join(dir, exportFileName(m.month))
        if (existsSync(file)) throw new AuditRetentionError(`${file} exists already: move it away or choose another --export-dir`)
        // Nothing may be written into the month between its export and its drop.
        await sql`lock table ${sql.table(`private.${partitionOf(m.month)}`)} in share mode`.execute(trx)
        const exported = await exportMonth(trx, m.month, file)
        written.push(file)
        if (exported !== m.rows) throw new AuditRetentionError(`${m.month}: exported ${exported} rows, expected ${m.rows}; nothing was pruned`)
      }
      months.push({ month: m.month, rows: m.rows, file })
    }
    const dropped = await sql<{ month: string; rows: string }>`
      select month, rows from private.audit_logs_prune(${parseMonth(before, 'before').first}::date)`.execute(trx)
    const byMonth = new Map(dropped.rows.map((r) => [r.month, Number(r.rows)]))
    for (const m of months) {
      if (byMonth.get(m.month) !== m.rows) {
        throw new AuditRetentionError(`${m.month}: ${byMonth.get(m.month) ?? 0} rows dropped, ${m.rows} expected; nothing was pruned`)
      }
    }
    if (byMonth.size !== months.length) throw new AuditRetentionError('the months dropped are not the months planned; nothing was pruned')
    return { months, rows: months.reduce((sum, m) => sum + m.rows, 0) }
  }, { attempts: 1 })
}
