// How a migration file is run, statement by statement, exactly as the Supabase CLI 2.117.0 runs it
// (`supabase db push`), so that a file behaves the same whichever tool applies it:
//
// - normally the whole file is one transaction, with its history row;
// - a statement PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY, DROP INDEX
//   CONCURRENTLY, REINDEX ... CONCURRENTLY, VACUUM, ALTER SYSTEM, CLUSTER) runs on its own, outside any
//   transaction; the statements before it are committed first as one transaction, those after it
//   form the next one, and the last transaction also records the file in the history. Such a file
//   is no longer all-or-nothing: keep a concurrent index in a file of its own;
// - a file whose first line is `-- pg-delta: transaction=false` runs every statement on its own and
//   records the history after the last one.
//
// (Read from the CLI 2.117.0 binary and checked against it: test/migration-plan.test.ts.)
import { statementHead } from '../sql-text.js'
import type { MigrationFile } from './migration-files.js'

export type MigrationStep =
  /** Statements run in one transaction; `record`: the file's history row is written in it too. */
  | { kind: 'transaction'; statements: { index: number; sql: string }[]; record: boolean }
  /** One statement outside any transaction. */
  | { kind: 'alone'; index: number; sql: string }

const RUNS_ALONE = [
  /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY(?:\s|$)/u,
  /^DROP\s+INDEX\s+CONCURRENTLY(?:\s|$)/u,
  /^REINDEX(?:\s|\().*\sCONCURRENTLY(?:\s|$)/u,
  /^VACUUM(?:\s|\(|$)/u,
  /^ALTER\s+SYSTEM(?:\s|$)/u,
  /^CLUSTER(?:\s|$)/u,
]

/** True for a statement PostgreSQL runs only outside a transaction block. */
export function runsAlone(statement: string): boolean {
  const h = statementHead(statement)
  return RUNS_ALONE.some((re) => re.test(h))
}

/** The steps that apply `file`, in order. Comment-only statements are left to the caller to skip. */
export function migrationPlan(file: Pick<MigrationFile, 'statements' | 'transactional'>): MigrationStep[] {
  const numbered = file.statements.map((sql, index) => ({ index, sql }))
  if (!file.transactional) {
    return [...numbered.map((s): MigrationStep => ({ kind: 'alone', ...s })), { kind: 'transaction', statements: [], record: true }]
  }
  const steps: MigrationStep[] = []
  let batch: { index: number; sql: string }[] = []
  for (const s of numbered) {
    if (runsAlone(s.sql)) {
      if (batch.length > 0) steps.push({ kind: 'transaction', statements: batch, record: false })
      batch = []
      steps.push({ kind: 'alone', ...s })
    } else {
      batch.push(s)
    }
  }
  steps.push({ kind: 'transaction', statements: batch, record: true })
  return steps
}
