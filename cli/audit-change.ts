// What a row of the audit trail changed, in a few words: the audit command's and the demo's "change"
// column.
import type { AuditLog } from '../lib/db/index.js'
import { EMPTY_CELL } from './table.js'

type Json = AuditLog['new_data']

function label(data: Json): string {
  if (!data) return ''
  const pick = (k: string): string | undefined => {
    const v = data[k]
    return v === null || v === undefined ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  const amount = pick('amount')
  return pick('name') ?? pick('slug') ?? pick('email') ?? (amount ? `${amount} ${pick('category') ?? ''}`.trim() : undefined) ?? pick('type') ?? ''
}

/** What a row of the trail changed, in a few words. */
export function describeChange(row: Pick<AuditLog, 'action' | 'old_data' | 'new_data'> & Partial<Pick<AuditLog, 'table_name'>>): string {
  // The row a prune leaves (private.audit_logs_prune): which months went, and how many of this organization's rows.
  if (row.table_name === 'audit_logs' && row.old_data) {
    const months = row.old_data['pruned_months']
    const list = Array.isArray(months) ? months.filter((m): m is string => typeof m === 'string') : []
    return `pruned ${list.join(', ')} (${String(row.old_data['rows'] ?? '?')} rows; by ${String(row.old_data['by'] ?? '?')})`
  }
  if (row.action === 'UPDATE' && row.old_data && row.new_data) {
    const oldData = row.old_data
    const newData = row.new_data
    const keys = Object.keys(newData).filter((k) => k !== 'updated_at' && JSON.stringify(oldData[k]) !== JSON.stringify(newData[k]))
    const show = (v: unknown): string => (v === null || v === undefined ? EMPTY_CELL : typeof v === 'object' ? JSON.stringify(v) : String(v))
    const parts = keys.slice(0, 3).map((k) => `${k}: ${show(oldData[k])} → ${show(newData[k])}`)
    if (keys.length > 3) parts.push(`+${keys.length - 3} more`)
    return `${label(newData)}${parts.length ? ` (${parts.join(', ')})` : ''}`
  }
  return label(row.new_data ?? row.old_data)
}

