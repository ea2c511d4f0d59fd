// Query results as a readable table (cli-table3, no colours) or as JSON, shared by sql, audit and demo.
import Table from 'cli-table3'

export type Row = Record<string, unknown>

const MAX_CELL = 60

/** What a table shows for no value (SQL NULL, a missing field): a dash, never the word null. */
export const EMPTY_CELL = '-'

/** One cell as text: dates as ISO 8601, JSON as JSON, no value as EMPTY_CELL; long text cut with "…". */
export function cellText(value: unknown, max = MAX_CELL): string {
  let text: string
  if (value === null || value === undefined) text = EMPTY_CELL
  else if (value instanceof Date) text = value.toISOString()
  else if (typeof value === 'object') text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  else text = String(value)
  text = text.replace(/\s*\n\s*/g, ' ')
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Rows as a table with a header; the column order is the first row's. */
export function renderTable(rows: readonly Row[], options: { max?: number; columns?: string[]; right?: readonly string[] } = {}): string {
  const first = rows[0]
  const columns = options.columns ?? (first ? Object.keys(first) : [])
  // No colours (they would end up in files and pipes) and no rule between body rows.
  const table = new Table({
    head: columns,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  })
  // Numbers read best right-aligned: the columns named in `right`.
  const right = new Set(options.right ?? [])
  for (const row of rows) {
    table.push(columns.map((c) => (right.has(c) ? { content: cellText(row[c], options.max), hAlign: 'right' as const } : cellText(row[c], options.max))))
  }
  return table.toString()
}

/** JSON for scripts: Dates as ISO strings, bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)
}
