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

const LOST_CONNECTION = /Connection terminated|connection error and is not queryable|terminating connection|server closed the connection/i

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
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined
  if (e instanceof Error && (LOST_CONNECTION.test(e.message) || code?.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) {
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
