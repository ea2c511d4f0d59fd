// A horizontal bar chart in plain text, for a series a person compares at a glance (revenue by month):
// one line a bar, the label, a bar in eighths of a character, and the exact value as text.

/** The bar characters: a full block, and its eighths from one to seven. */
const FULL = '█'
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']

export interface Bar {
  label: string
  /** What the bar's length follows (0 or more). */
  value: number
  /** What is printed after the bar: the exact value, formatted. */
  text: string
}

/** Bars scaled so that the largest value fills `width` characters; negative values draw no bar. */
export function barChart(bars: readonly Bar[], width = 40): string {
  const max = Math.max(0, ...bars.map((b) => b.value))
  const labelWidth = Math.max(0, ...bars.map((b) => b.label.length))
  return bars.map((b) => {
    const eighths = max > 0 && b.value > 0 ? Math.max(1, Math.round((b.value / max) * width * 8)) : 0
    const bar = FULL.repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? '')
    return `${b.label.padEnd(labelWidth)} │${bar.padEnd(width)} ${b.text}`
  }).join('\n')
}

/** An exact decimal string with thousands separators ("12345.6" -> "12,345.60"), without a float's rounding. */
export function formatDecimal(text: string, fractionDigits = 2): string {
  const negative = text.startsWith('-')
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const digits = fractionDigits > 0 ? `.${fraction.padEnd(fractionDigits, '0').slice(0, fractionDigits)}` : ''
  return `${negative ? '-' : ''}${grouped}${digits}`
}
