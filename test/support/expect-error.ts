// Asserts that a promise rejects with a given typed error class and the fields it should name.
import assert from 'node:assert/strict'
import { DbError } from '../../lib/db/index.js'

export interface ExpectedFields {
  code?: string | undefined
  table?: string | undefined
  column?: string | undefined
  constraint?: string | undefined
  /** The message must match. */
  message?: RegExp
}

export async function expectError<E extends DbError>(
  promise: Promise<unknown>,
  cls: abstract new (message: string) => E,
  expected: ExpectedFields = {},
): Promise<E> {
  let caught: unknown
  try {
    await promise
  } catch (e) {
    caught = e
  }
  assert.ok(caught !== undefined, `expected ${cls.name}, but nothing was thrown`)
  if (!(caught instanceof cls)) {
    const got = caught instanceof Error ? `${caught.constructor.name}: ${caught.message}` : String(caught)
    assert.fail(`expected ${cls.name}, got ${got}`)
  }
  assert.equal(caught.name, cls.name)
  for (const key of ['code', 'table', 'column', 'constraint'] as const) {
    if (key in expected) assert.equal(caught[key], expected[key], `${cls.name}.${key} (message: ${caught.message})`)
  }
  if (expected.message) assert.match(caught.message, expected.message)
  return caught
}
