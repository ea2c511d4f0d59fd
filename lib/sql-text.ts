// SQL statements as text, for the migrator and the sql command alike (one home, so that they cannot
// disagree on what a statement is): splitting a script, and reading a statement's kind.
//
// Splits a SQL file into statements exactly as the Supabase CLI does (pkg/parser SplitAndTrim):
// a ';' ends a statement only outside comments, quotes, dollar quotes, parentheses and BEGIN ATOMIC
// bodies; each statement keeps its leading comments, loses its trailing ';' and surrounding white
// space, and empty ones are dropped. Matching the CLI matters: the statements are recorded in
// supabase_migrations.schema_migrations, and a file is "changed" when its statements differ.

const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y
const BEGIN_ATOMIC = /begin\s+atomic\b/iy
const END_WORD = /end\b/iy

export function splitStatements(sql: string): string[] {
  const tokens: string[] = []
  let start = 0
  let depth = 0
  let atomic = false
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]
    const next = sql[i + 1]
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? n : end + 1
      continue
    }
    if (c === '/' && next === '*') {
      let level = 1
      i += 2
      while (i < n && level > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { level++; i += 2 }
        else if (sql[i] === '*' && sql[i + 1] === '/') { level--; i += 2 }
        else i++
      }
      continue
    }
    if (c === "'" || c === '"') {
      i++
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) { i += 2; continue }
          break
        }
        i++
      }
      i++
      continue
    }
    if (c === '$') {
      DOLLAR_TAG.lastIndex = i
      const m = DOLLAR_TAG.exec(sql)
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length)
        i = close === -1 ? n : close + m[0].length
        continue
      }
    }
    if (c === '(') depth++
    else if (c === ')') depth = Math.max(0, depth - 1)
    else if (!atomic && (c === 'b' || c === 'B') && isWordStart(sql, i)) {
      BEGIN_ATOMIC.lastIndex = i
      if (BEGIN_ATOMIC.test(sql)) atomic = true
    } else if (atomic && (c === 'e' || c === 'E') && isWordStart(sql, i)) {
      END_WORD.lastIndex = i
      if (END_WORD.test(sql)) atomic = false
    } else if (c === ';' && depth === 0 && !atomic) {
      tokens.push(sql.slice(start, i + 1))
      start = i + 1
    }
    i++
  }
  tokens.push(sql.slice(start))
  return tokens.map((t) => t.replace(/;+$/, '').trim()).filter((t) => t.length > 0)
}

function isWordStart(sql: string, i: number): boolean {
  return i === 0 || !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')
}

/** True when a statement holds nothing but comments (the CLI records it; there is nothing to run). */
export function isCommentOnly(statement: string): boolean {
  return splitStatements(statement.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '')).length === 0
}

const TRANSACTION_CONTROL = /^(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ABORT|PREPARE\s+TRANSACTION)(?:\s|$)/u
const SESSION_SETTING = /^(?:SET(?!\s+(?:LOCAL|TRANSACTION|CONSTRAINTS)\s)\s|RESET\s|DISCARD\s)/u

/** The statement without its leading comments and white space, upper-cased: what its kind is read from. */
export function statementHead(statement: string): string {
  let s = statement
  for (;;) {
    s = s.replace(/^[ \t\n\r]+/u, '')
    if (s.startsWith('--')) {
      const nl = s.indexOf('\n')
      if (nl < 0) return ''
      s = s.slice(nl + 1)
    } else if (s.startsWith('/*')) {
      const end = s.indexOf('*/')
      if (end < 0) return s.toUpperCase()
      s = s.slice(end + 2)
    } else {
      return s.trim().toUpperCase()
    }
  }
}

/** The statement's first keyword, upper-cased: SELECT, UPDATE, ... ('' for none). */
export function commandOf(statement: string): string {
  return /^[A-Z]+/.exec(statementHead(statement))?.[0] ?? ''
}

/** BEGIN / COMMIT / ROLLBACK (not ROLLBACK TO a savepoint) and friends. */
export function isTransactionControl(statement: string): boolean {
  const words = statementHead(statement).split(/\s+/u)
  if (words[0] === 'ROLLBACK') return words[words[1] === 'WORK' || words[1] === 'TRANSACTION' ? 2 : 1] !== 'TO'
  return TRANSACTION_CONTROL.test(words.join(' '))
}

/** A session-level SET / RESET / DISCARD (not SET LOCAL): outside a transaction it outlives its statement. */
export function isSessionSetting(statement: string): boolean {
  return SESSION_SETTING.test(`${statementHead(statement)} `)
}
