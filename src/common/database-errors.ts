/**
 * The database cannot serve this request right now: it is out of reach, or (SQLite) another process holds
 * its write lock for longer than a request may wait. Answered with 503, never 500: nothing is wrong with
 * the request, and it will work again once the database is back.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: DatabaseTrouble,
    cause?: unknown,
  ) {
    super(
      reason === 'locked'
        ? 'The database is locked by another process (SQLite); try again in a moment.'
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
/** Node's network errors and PostgreSQL's connection-exception and shutdown SQLSTATEs. */
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
  if (e.originalCode === 'SQLITE_BUSY' || e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED')
    return 'locked';
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
