/**
 * Why a node could not reach or use its database at start, as one line an administrator can act on, or
 * null when the error is something else (a bug keeps its own message). Covers what a pooler or the server
 * answers on connect (PgBouncer's "unsupported startup parameter", a refused login, a database that does
 * not exist or does not accept connections, too many clients, a server starting up) and the network's
 * refusals, in node-postgres's, Node's and Prisma's shapes.
 */
export function describeConnectionFailure(error: unknown, url: string): string | null {
  const cause = findCause(error, 0);
  if (!cause) return null;
  const where = describeTarget(url);
  const code = cause.code ? ` (${cause.code})` : '';
  const hint = HINTS[cause.code ?? ''] ?? HINTS[(cause.code ?? '').slice(0, 2)] ?? DEFAULT_HINT;
  return `Database connection failed: ${where} answered: ${cause.message}${code}. ${hint}`;
}

interface Cause {
  code: string | null;
  message: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATE classes that a server or pooler answers a connection with: it is about the connection, not a query. */
const CONNECTION_CLASSES = new Set(['08', '28', '3D', '53', '57']);
const CONNECTION_CODES = new Set(['55000']);

const DEFAULT_HINT = 'Check DATABASE_URL and that the database server (or its pooler) accepts this node.';
const HINTS: Record<string, string> = {
  ECONNREFUSED: 'Nothing accepts connections at that address: check DATABASE_URL and that the server runs.',
  ENOTFOUND: 'That host name does not resolve: check DATABASE_URL.',
  EAI_AGAIN: 'That host name does not resolve right now: check DATABASE_URL and the name service.',
  ETIMEDOUT: 'The address does not answer: check DATABASE_URL, firewalls and the network.',
  '08P01':
    'A pooler refused what the connection asked for: see docs/deploy.md for a pgbouncer.ini that works.',
  '28': 'The server refused the login: check the user and password in DATABASE_URL.',
  '3D000': 'Create the database first, or correct its name in DATABASE_URL.',
  '53300': 'The server has no connection left: raise max_connections, or put a pooler in front of it.',
  '55000': 'The database does not accept connections now (ALLOW_CONNECTIONS false?): try again later.',
  '57P03': 'The server is starting up or shutting down: this node can be started again in a moment.',
};

function findCause(error: unknown, depth: number): Cause | null {
  if (error === null || typeof error !== 'object' || depth > 5) return null;
  const e = error as {
    code?: unknown;
    severity?: unknown;
    message?: unknown;
    originalCode?: unknown;
    originalMessage?: unknown;
    cause?: unknown;
    errors?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  const message = typeof e.message === 'string' ? e.message.split('\n')[0].trim() : '';
  // node-postgres's error from the server or pooler: its SQLSTATE and words.
  if (typeof e.code === 'string' && typeof e.severity === 'string' && isConnectionCode(e.code))
    return { code: e.code, message };
  // Prisma's driver adapter keeps them as originalCode and originalMessage.
  if (typeof e.originalCode === 'string' && isConnectionCode(e.originalCode))
    return {
      code: e.originalCode,
      message: typeof e.originalMessage === 'string' ? e.originalMessage : message,
    };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code))
    return { code: e.code, message: message || 'connection failed' };
  for (const inner of [e.meta?.driverAdapterError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = findCause(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

function isConnectionCode(code: string): boolean {
  return CONNECTION_CODES.has(code) || CONNECTION_CLASSES.has(code.slice(0, 2));
}

/** host:port/database, never the user's password. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `the database at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'the database';
  }
}
