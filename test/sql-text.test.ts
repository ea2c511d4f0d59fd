// Statement text (lib/sql-text.ts), the one reading of a statement's kind that the migrator and the
// sql command share: ROLLBACK TO SAVEPOINT ends no transaction, so neither treats it as transaction
// control; a script that uses a savepoint runs through `tenantry sql`.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runSql } from '../cli/commands/sql.js'
import { UsageError } from '../cli/output.js'
import { commandOf, isSessionSetting, isTransactionControl, statementHead } from '../lib/sql-text.js'
import { useFreshDb } from './support/db.js'

describe('reading a statement', () => {
  test('transaction control: what ends or starts a transaction, and not ROLLBACK TO a savepoint', () => {
    for (const s of ['begin', 'BEGIN ISOLATION LEVEL SERIALIZABLE', 'start transaction', 'commit', 'commit and chain', 'end', 'abort',
      'rollback', 'ROLLBACK WORK', 'rollback transaction', "prepare transaction 'x'", '-- why\n/* note */ commit']) {
      assert.equal(isTransactionControl(s), true, s)
    }
    for (const s of ['rollback to savepoint a', 'ROLLBACK TO a', 'rollback work to savepoint a', 'rollback transaction to a',
      'savepoint a', 'release savepoint a', 'select 1', 'set local role anon', "select 'commit'"]) {
      assert.equal(isTransactionControl(s), false, s)
    }
  })

  test('the head and the first keyword skip leading comments', () => {
    assert.equal(statementHead('  -- a\n/* b */ select 1'), 'SELECT 1')
    assert.equal(commandOf('/* x */ update t set a = 1'), 'UPDATE')
    assert.equal(commandOf('-- only a comment'), '')
  })

  test('session settings: SET and RESET outlive a statement outside a transaction, SET LOCAL does not', () => {
    assert.equal(isSessionSetting('set search_path = public'), true)
    assert.equal(isSessionSetting('reset role'), true)
    assert.equal(isSessionSetting('set local lock_timeout = 1000'), false)
  })
})

describe('tenantry sql with the same rule', () => {
  const h = useFreshDb()

  test('a savepoint and ROLLBACK TO it run in the one transaction; ROLLBACK itself is refused', async () => {
    const results = await runSql(h.db, `
      create temporary table t (n int) on commit drop;
      insert into t values (1);
      savepoint before_two;
      insert into t values (2);
      rollback to savepoint before_two;
      select array_agg(n order by n) as ns from t`, { kind: 'system' })
    assert.deepEqual(results.at(-1)?.rows, [{ ns: [1] }])
    await assert.rejects(runSql(h.db, 'select 1; rollback', { kind: 'system' }), (e: unknown) =>
      e instanceof UsageError && /^ROLLBACK is not needed/.test(e.message))
  })
})
