import type { PrismaPg } from '@prisma/adapter-pg';
import type { PoolClient } from 'pg';

/** Transactions here are a few statements long; holding a lock longer than this means the holder is stuck. */
export const PG_LOCK_HOLD_LIMIT_MS = 2_000;
/** Every query here takes milliseconds; one that has not answered after this is waiting on a dead connection. */
const PG_QUERY_TIMEOUT_MS = 10_000;

/** How PostgreSQL reports the bound in current_setting(): what the overview expects to see. */
export const TRANSACTION_BOUND = `${PG_LOCK_HOLD_LIMIT_MS / 1000}s`;

/**
 * The bounds every transaction sets first. They are set per transaction (SET LOCAL, through set_config's
 * third argument) and never in the startup packet: PgBouncer refuses a connection whose startup packet
 * carries lock_timeout or idle_in_transaction_session_timeout ("unsupported startup parameter"), drops
 * them silently with ignore_startup_parameters, and in transaction mode a session-level SET would land on
 * whichever server connection the pooler lent. Inside a transaction they hold on every path: directly,
 * and through a pooler in session or transaction mode. A node paused or cut off inside a transaction
 * holds the lease row (or any row) for two seconds at most: the server then ends its session; and a
 * writer stops waiting for a lock after two seconds. Statements outside a transaction are single reads or
 * single-row writes whose waits are bounded by the holder's transaction bounds.
 */
export const TRANSACTION_BOUNDS_SQL =
  `SELECT set_config('lock_timeout', '${PG_LOCK_HOLD_LIMIT_MS}ms', true), ` +
  `set_config('idle_in_transaction_session_timeout', '${PG_LOCK_HOLD_LIMIT_MS}ms', true)`;

/**
 * SQLSTATEs after which a connection is no use to this node: the server it reached is read-only (25006: a
 * replica, or an old primary that came back as one behind a moved address), or is shutting down. The
 * pool drops such a connection instead of lending it again.
 */
const POISONED_CODES = new Set(['25006', '57P01', '57P02', '57P03']);

type AdapterFactory = PrismaPg;
type Adapter = Awaited<ReturnType<AdapterFactory['connect']>>;
type Transaction = Awaited<ReturnType<Adapter['startTransaction']>>;

/**
 * Prisma's PostgreSQL driver adapter (node-postgres pool), with what a pooler and a database that fails
 * over need: nothing in the startup packet but application_name; the transaction bounds above at the start
 * of every transaction; and connections to a read-only or departing server dropped from the pool (Prisma's
 * adapter hands every connection back as healthy after a rollback). The adapter's classes are not exported,
 * so its transactions are wrapped rather than subclassed.
 */
export function pooledPgAdapter(
  url: string,
  applicationName: string,
  onStatement: () => void,
  poolSize: number,
): AdapterFactory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by PostgreSQL nodes
  const { PrismaPg: Factory } = require('@prisma/adapter-pg') as { PrismaPg: typeof PrismaPg };
  const factory = new Factory({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    // node-postgres closes a connection idle for 10 s by default, so a second one that a moment of overlap
    // opened (the heartbeat beside a page's read) was opened again and again: each a new server process
    // for PostgreSQL, its start and its catalog caches, measured as most of the database's CPU at rest with
    // twenty nodes connected directly. Kept for two minutes instead (within DATABASE_POOL_SIZE).
    idleTimeoutMillis: 120_000,
    application_name: applicationName,
    // A connection that went silent (a half-open TCP connection after a network cut) would otherwise keep a
    // heartbeat waiting for many minutes: probe it, and give up on a query after a while.
    keepAlive: true,
    query_timeout: PG_QUERY_TIMEOUT_MS,
  });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const transaction = await startTransaction(isolationLevel);
      const bounded = guardTransaction(transaction);
      try {
        await bounded.executeRaw({ sql: TRANSACTION_BOUNDS_SQL, args: [], argTypes: [] });
        onStatement();
      } catch (error) {
        await bounded.rollback();
        throw error;
      }
      return bounded;
    };
    return adapter;
  };
  return factory;
}

/** The transaction, remembering an error that makes its connection useless, to drop the connection at its end. */
function guardTransaction(transaction: Transaction): Transaction {
  let poisoned: Error | null = null;
  const watch =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args);
      } catch (error) {
        if (isPoisoning(error)) poisoned = error as Error;
        throw error;
      }
    };
  const end = (finish: () => Promise<void>) => async () => {
    if (!poisoned) return finish();
    // Released with the error, node-postgres's pool closes the connection instead of keeping it.
    (transaction as unknown as { client: PoolClient }).client.release(poisoned);
  };
  return Object.assign(Object.create(transaction) as Transaction, {
    queryRaw: watch(transaction.queryRaw.bind(transaction)),
    executeRaw: watch(transaction.executeRaw.bind(transaction)),
    commit: end(transaction.commit.bind(transaction)),
    rollback: end(transaction.rollback.bind(transaction)),
  });
}

function isPoisoning(error: unknown): boolean {
  const cause = (error as { cause?: { originalCode?: unknown } } | null)?.cause;
  return typeof cause?.originalCode === 'string' && POISONED_CODES.has(cause.originalCode);
}
