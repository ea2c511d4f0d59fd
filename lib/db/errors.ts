// One base class for every error the project raises: TenantryError, with a code (the SQLSTATE for
// an error from the database, a TENANTRY_* name for one the library raises itself) and, where known,
// the table, column and constraint. PostgreSQL errors become a few DbError classes a caller can branch
// on, each saying in words what went wrong.

export interface ErrorFields {
  code?: string
  table?: string
  column?: string
  constraint?: string
  detail?: string
  hint?: string
  cause?: unknown
}

export class TenantryError extends Error {
  readonly code: string | undefined
  readonly table: string | undefined
  readonly column: string | undefined
  readonly constraint: string | undefined
  readonly detail: string | undefined
  readonly hint: string | undefined

  constructor(message: string, fields: ErrorFields = {}) {
    super(message, { cause: fields.cause })
    this.name = new.target.name
    this.code = fields.code
    this.table = fields.table
    this.column = fields.column
    this.constraint = fields.constraint
    this.detail = fields.detail
    this.hint = fields.hint
  }
}

/** An error reported by the database, or about the connection to it. */
export class DbError extends TenantryError {}

/** 42501, or a row-level-security filter that left nothing where a row was expected. */
export class NotAuthorizedError extends DbError {}
/** The row does not exist (or is not visible to the caller). */
export class NotFoundError extends DbError {}
/** 23505 and friends: the value is taken, or the state forbids the change. */
export class ConflictError extends DbError {}
/** 23514, 23502, 23503, 22P02, ...: the input breaks a rule of the schema. */
export class InvalidInputError extends DbError {}
/** 40001 / 40P01: safe to retry the whole transaction. */
export class RetryableError extends DbError {}
/**
 * The connection to the server was lost (terminated backend, server restart, network). The
 * transaction in flight did not commit, unless the connection dropped during COMMIT itself, when
 * only the server knows: check before repeating a write that is not idempotent.
 */
export class ConnectionLostError extends DbError {}

/**
 * What kind of connection failure an error is, if it is one: the one list every part of the project
 * reads (the CLI's exit code 2, the replica's fallback to the primary, ConnectionLostError).
 * - unreachable: no server answered (network errors of Node, a connect or read timeout of pg);
 * - login: the server refused the credentials (28P01, 28000);
 * - no-database: the database does not exist (3D000; on a replica, its creation not yet replayed);
 * - not-ready: the server is starting up or a standby not yet consistent (57P03);
 * - lost: a connection that was open broke (08xxx, 57P01/57P02 shutdown, a reset or a terminated backend).
 */
export type ConnectionFailure = 'unreachable' | 'login' | 'no-database' | 'not-ready' | 'lost'

const FAILURE_BY_CODE: ReadonlyMap<string, ConnectionFailure> = new Map([
  ...['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].map((c) => [c, 'unreachable'] as const),
  ['ECONNRESET', 'lost'], ['EPIPE', 'lost'],
  ['28P01', 'login'], ['28000', 'login'],
  ['3D000', 'no-database'],
  ['57P03', 'not-ready'],
  ['57P01', 'lost'], ['57P02', 'lost'],
])
/** pg's own messages, which carry no code. */
const FAILURE_BY_MESSAGE: readonly [RegExp, ConnectionFailure][] = [
  [/timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED/i, 'unreachable'],
  [/Connection terminated|connection error and is not queryable|terminating connection|server closed the connection/i, 'lost'],
]

export function connectionFailure(e: unknown): ConnectionFailure | undefined {
  if (e instanceof AggregateError) {
    // Node tries every address of a host (IPv4, IPv6): the first failure that says something.
    for (const inner of e.errors) {
      const kind = connectionFailure(inner)
      if (kind) return kind
    }
  }
  if (!(e instanceof Error)) return undefined
  const code = 'code' in e && typeof e.code === 'string' ? e.code : ''
  const byCode = FAILURE_BY_CODE.get(code) ?? (/^08[0-9A-Z]{3}$/.test(code) ? 'lost' : undefined)
  return byCode ?? FAILURE_BY_MESSAGE.find(([re]) => re.test(e.message))?.[1]
}

interface PgErrorLike {
  code: string
  message: string
  table?: string
  column?: string
  constraint?: string
  detail?: string
  hint?: string
}

function isPgError(e: unknown): e is PgErrorLike {
  return (
    typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(e.code) && 'message' in e && typeof e.message === 'string'
  )
}

const INVALID_INPUT = new Set([
  '23502', '23503', '23514', '22P02', '22001', '22003', '22007', '22008', '22023', '2201X', '22004',
  '22012', '22021', '22025', '22030', '22032', '428C9', '42804',
])
const CONFLICT = new Set(['23505', '23P01', '55000', '55P03'])
const RETRYABLE = new Set(['40001', '40P01'])

/** Column named in a unique/foreign-key violation's detail: `Key (slug)=(acme) already exists.` */
function keyFromDetail(detail: string | undefined): { columns?: string; value?: string } {
  const m = detail?.match(/^Key \((.+?)\)=\((.*)\)/)
  return m ? { columns: m[1], value: m[2] } : {}
}

/** PostgreSQL names no table in an RLS violation's fields, only in its message. */
function tableOf(e: PgErrorLike): string | undefined {
  return e.table ?? e.message.match(/(?:for table|relation) "?([A-Za-z_][\w.]*)"?/)?.[1]
}

function describe(e: PgErrorLike): string {
  const table = tableOf(e)
  const key = keyFromDetail(e.detail)
  const constraint = e.constraint ? ` (constraint ${e.constraint})` : ''
  const target = table ? `${table}${key.columns ? `.${key.columns}` : ''}` : key.columns
  switch (e.code) {
    case '23505':
      return target
        ? `${target} ${key.value !== undefined ? `"${key.value}" ` : ''}is already taken${constraint}`
        : e.message
    case '23503':
      return target
        ? `${target} refers to a row that does not exist or belongs to another organization${constraint}`
        : e.message
    case '23502': {
      const where = table && e.column ? `${table}.${e.column}` : e.column
      return where ? `${where} is required (it cannot be null)` : e.message
    }
    case '42501':
      return `not authorized: ${e.message}`
    default: {
      const where = table ? (e.column ? `${table}.${e.column}` : table) : e.column
      return where && !e.message.includes(where) ? `${where}: ${e.message}` : e.message
    }
  }
}

/** Returns the typed error for a PostgreSQL error; anything else is returned unchanged. */
export function translateError(e: unknown): unknown {
  if (e instanceof TenantryError) return e
  const failure = connectionFailure(e)
  if (e instanceof Error && (failure === 'lost' || failure === 'not-ready')) {
    const code = 'code' in e && typeof e.code === 'string' ? e.code : undefined
    return new ConnectionLostError(`lost the connection to the database: ${e.message}`, { code, cause: e })
  }
  if (!isPgError(e)) return e
  const fields: ErrorFields = {
    code: e.code, table: tableOf(e), column: e.column ?? keyFromDetail(e.detail).columns,
    constraint: e.constraint, detail: e.detail, hint: e.hint, cause: e,
  }
  const message = describe(e)
  if (e.code === '42501') return new NotAuthorizedError(message, fields)
  if (e.code === 'P0002' || e.code === '42P01' || e.code === '42883') return new NotFoundError(message, fields)
  if (CONFLICT.has(e.code)) return new ConflictError(message, fields)
  if (RETRYABLE.has(e.code)) return new RetryableError(message, fields)
  if (INVALID_INPUT.has(e.code) || e.code.startsWith('22') || e.code.startsWith('23')) {
    return new InvalidInputError(message, fields)
  }
  return new DbError(message, fields)
}

/** Runs fn and rethrows any PostgreSQL error as its typed error. */
export async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw translateError(e)
  }
}
