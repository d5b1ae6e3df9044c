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
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
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
 * Node's network errors, and Prisma's "cannot reach", "connection closed", "pool timeout" and "could not
 * start a transaction in time" (P2028: with the database host silent rather than refusing, a transaction
 * gives up waiting for a connection first).
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
]);
/**
 * PostgreSQL's (and PgBouncer's) SQLSTATEs for a database that cannot serve right now, whatever the
 * request: connection exceptions (class 08), insufficient resources (53: too many clients, disk full),
 * operator intervention (57: shutting down, starting up, a query cancelled by a timeout), a refused login
 * (28, as a pooler answers when its server refuses), a database that is gone or closed to connections
 * (3D000; 55000 from ALLOW_CONNECTIONS false) or read-only (25006: a replica, or an old primary that came
 * back as one behind a moved address), and the server's own system errors (58).
 */
const UNREACHABLE_CLASSES = new Set(['08', '28', '53', '57', '58']);
const UNREACHABLE_SQLSTATES = new Set(['3D000', '55000', '25006']);

function isUnreachableCode(code: string): boolean {
  if (UNREACHABLE_CODES.has(code)) return true;
  return (
    /^[0-9A-Z]{5}$/.test(code) &&
    (UNREACHABLE_SQLSTATES.has(code) || UNREACHABLE_CLASSES.has(code.slice(0, 2)))
  );
}

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
  if (typeof e.code === 'string' && isUnreachableCode(e.code)) return 'unreachable';
  if (typeof e.originalCode === 'string' && isUnreachableCode(e.originalCode)) return 'unreachable';
  if (
    typeof e.message === 'string' &&
    UNREACHABLE_MESSAGES.some((pattern) => pattern.test(e.message as string))
  )
    return 'unreachable';
  return null;
}
