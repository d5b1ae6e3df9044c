/**
 * The database cannot serve this request right now: it is out of reach, or another process holds a lock
 * this request needs for longer than a request may wait (SQLite's write lock; PostgreSQL's lock_timeout). Answered with 503, never 500: nothing is wrong with
 * the request, and it will work again once the database is back.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: DatabaseTrouble,
    cause?: unknown,
  ) {
    super(
      reason === 'locked'
        ? "The database is locked by another node's write; try again in a moment."
        : 'The database cannot be reached; this node keeps trying and works again once it is back.',
      { cause },
    );
    this.name = 'DatabaseUnavailableError';
  }
}

export type DatabaseTrouble = 'unreachable' | 'locked';

/** Driver adapter error kinds (Prisma 7) that mean "the database is not there", not "the query is wrong". */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
/**
 * PostgreSQL: lock_timeout ran out (55P03), a serialization failure or a deadlock (40001, 40P01): another
 * node holds what this request needs; trying again shortly works.
 */
const LOCKED_CODES = new Set(['55P03', '40001', '40P01']);
const LOCKED_KINDS = new Set(['TransactionWriteConflict']);
/**
 * Node's network errors, PostgreSQL's connection-exception and shutdown SQLSTATEs, and Prisma's "cannot
 * reach", "connection closed", "pool timeout" and "could not start a transaction in time" (P2028: with the
 * database host silent rather than refusing, a transaction gives up waiting for a connection first).
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'P1001',
  'P1002',
  'P1017',
  'P2024',
  'P2028',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNREACHABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /can't reach database server/i,
  /connection (is )?closed/i,
  /server closed the connection/i,
  /query read timeout/i,
];

/**
 * Classifies an error from the database layer: 'locked' for SQLite's busy lock, 'unreachable' for a lost or
 * refused connection, null for anything else (a real bug, which stays a 500). Follows `cause`, Prisma's
 * `meta.driverAdapterError` and AggregateError's `errors`, a few levels deep.
 */
export function databaseTrouble(error: unknown, depth = 0): DatabaseTrouble | null {
  if (error === null || typeof error !== 'object' || depth > 5) return null;
  if (error instanceof DatabaseUnavailableError) return error.reason;
  const e = error as {
    code?: unknown;
    originalCode?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
    errors?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : typeof e.originalCode === 'string' ? e.originalCode : '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  for (const candidate of [e.code, e.originalCode]) {
    if (typeof candidate === 'string' && LOCKED_CODES.has(candidate)) return 'locked';
  }
  if (typeof e.kind === 'string' && LOCKED_KINDS.has(e.kind)) return 'locked';
  if (typeof e.message === 'string' && /database is locked|SQLITE_BUSY/.test(e.message)) return 'locked';
  for (const inner of [e.meta?.driverAdapterError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = databaseTrouble(inner, depth + 1);
    if (found) return found;
  }
  if (typeof e.kind === 'string' && UNREACHABLE_KINDS.has(e.kind)) return 'unreachable';
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return 'unreachable';
  if (typeof e.originalCode === 'string' && UNREACHABLE_CODES.has(e.originalCode)) return 'unreachable';
  if (
    typeof e.message === 'string' &&
    UNREACHABLE_MESSAGES.some((pattern) => pattern.test(e.message as string))
  )
    return 'unreachable';
  return null;
}
