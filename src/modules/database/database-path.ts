import type { Client } from 'pg';
import type { AppConfig } from '../environment/app-config';
import { TRANSACTION_BOUNDS_SQL } from './pg-adapter';

/**
 * How this node reaches its database, as it found out by asking: directly or through something in between
 * (a pooler or a TCP proxy), the pooling mode where it shows, which database server answered (a system
 * identifier is shared by a primary and its replicas; the timeline tells a promoted replica from the old
 * primary), and the bounds in effect inside its transactions. Shown on the overview for every node.
 */
export interface DatabasePath {
  kind: 'sqlite' | 'postgresql';
  /** direct: the server saw this node's own connection; intermediary: something in between answered for it. */
  route: 'direct' | 'intermediary' | null;
  /** transaction: consecutive transactions of one connection ran on different server sessions (PgBouncer's transaction mode). */
  pooling: 'transaction' | 'session' | null;
  systemIdentifier: string | null;
  timeline: number | null;
  /** The server is a replica (in recovery): it cannot take this node's writes. */
  replica: boolean | null;
  /** lock_timeout and idle_in_transaction_session_timeout inside this node's transactions, as the server reports them. */
  lockTimeout: string | null;
  idleInTransactionTimeout: string | null;
}

const PROBE_TIMEOUT_MS = 3_000;
/** Rounds of the pooling experiment: a transaction pooler keeps A on one session through all of them rarely. */
const POOLING_ROUNDS = 10;

/** Asks the database how this node reaches it; never throws (what could not be found out is null). */
export async function probeDatabasePath(
  database: AppConfig['database'],
  applicationName: string,
): Promise<DatabasePath> {
  const unknown: DatabasePath = {
    kind: database.kind,
    route: null,
    pooling: null,
    systemIdentifier: null,
    timeline: null,
    replica: null,
    lockTimeout: null,
    idleInTransactionTimeout: null,
  };
  if (database.kind === 'sqlite') return { ...unknown, route: 'direct' };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by PostgreSQL nodes
  const { Client: PgClient } = require('pg') as { Client: typeof Client };
  const options = {
    connectionString: database.url,
    application_name: applicationName,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  };
  const a = new PgClient(options);
  const b = new PgClient(options);
  // A connection lost mid-probe (a database outage) is an 'error' event: unheard, it would end the process.
  for (const client of [a, b]) client.on('error', () => undefined);
  try {
    // The second connection only where something stands in between (to tell its pooling mode): a new
    // server session costs the database a few milliseconds of CPU, once a minute on every node.
    await a.connect();
    const path = { ...unknown };
    const first = await one<{ pid: number; client_port: number | null; replica: boolean }>(
      a,
      'SELECT pg_backend_pid() AS pid, inet_client_port() AS client_port, pg_is_in_recovery() AS replica',
    );
    path.replica = first.replica;
    // The server sees the port this node's socket uses only when nothing stands in between.
    const localPort = (a as unknown as { connection?: { stream?: { localPort?: number } } }).connection
      ?.stream?.localPort;
    path.route = first.client_port !== null && first.client_port === localPort ? 'direct' : 'intermediary';
    if (path.route === 'intermediary') {
      await b.connect();
      path.pooling = await poolingMode(a, b);
    }
    await a.query('BEGIN');
    await a.query(TRANSACTION_BOUNDS_SQL);
    const bounds = await one<{ lock: string; idle: string }>(
      a,
      `SELECT current_setting('lock_timeout') AS lock, current_setting('idle_in_transaction_session_timeout') AS idle`,
    );
    await a.query('COMMIT');
    path.lockTimeout = bounds.lock;
    path.idleInTransactionTimeout = bounds.idle;
    path.systemIdentifier = await one<{ id: string }>(
      a,
      'SELECT system_identifier::text AS id FROM pg_control_system()',
    )
      .then((row) => row.id)
      .catch(() => null);
    if (!path.replica) {
      path.timeline = await one<{ timeline: string }>(
        a,
        // The timeline as migration 0007's floor computes it (timeline × 10^9).
        'SELECT (cluster_timeline_floor() / 1000000000)::text AS timeline',
      )
        .then((row) => Number(row.timeline))
        .catch(() => null);
    }
    return path;
  } catch {
    return unknown;
  } finally {
    await Promise.allSettled([a.end(), b.end()]);
  }
}

/**
 * Transaction pooling lends a server session per transaction: while A holds one in a transaction, B's
 * statement runs on another; once both are handed back, A's next transaction may run on B's. In session
 * mode (and through a plain TCP proxy) A keeps its own session throughout. Other clients of the pooler
 * can hand A its old session back by chance, so the experiment is repeated: one change settles it.
 */
async function poolingMode(a: Client, b: Client): Promise<'transaction' | 'session'> {
  const pid = async (client: Client) =>
    (await one<{ pid: number }>(client, 'SELECT pg_backend_pid() AS pid')).pid;
  for (let round = 0; round < POOLING_ROUNDS; round += 1) {
    await a.query('BEGIN');
    const held = await pid(a);
    await pid(b);
    await a.query('COMMIT');
    await b.query('BEGIN');
    await pid(b);
    const after = await pid(a);
    await b.query('COMMIT');
    if (after !== held) return 'transaction';
  }
  return 'session';
}

async function one<T extends object>(client: Client, sql: string): Promise<T> {
  const result = await client.query<T & Record<string, unknown>>(sql);
  return result.rows[0] as T;
}
