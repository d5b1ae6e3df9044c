import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from 'pg';
import type { Umzug as UmzugClass, UmzugStorage } from 'umzug';
import { AppConfig } from '../environment/app-config';
import { MigrationFile, MIGRATIONS_ROOT, readMigrationFiles } from './migration-files';
import { SchemaTooNewError } from './schema-too-new.error';

/** Any constant: serialises migration runs of nodes that start at once on one PostgreSQL database. */
export const POSTGRES_MIGRATION_LOCK = 862_400_001;

/** One connection used for the whole run, so that the lock, the migrations and the log share a transaction. */
interface SqlConnection {
  exec(sql: string): Promise<void>;
  /** `$1`, `$2` … placeholders on both kinds. */
  rows(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** The columns of schema_migrations. */
  ledgerColumns(): Promise<string[]>;
}

export interface MigrationOptions {
  /** The release this node runs, named when the schema is too new for it. */
  version: string;
  /** The folder of migration files; by default prisma/migrations/<kind>. */
  folder?: string;
}

/**
 * Applies the pending expand steps of prisma/migrations/<kind>/ in name order, once each, recording each in
 * schema_migrations with its release and phase. All of it runs in one transaction that first takes the
 * database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so nodes
 * starting together neither run a migration twice nor see half a schema. Refuses, before changing anything,
 * a database on which a contract step this code does not know has run (SchemaTooNewError). Contract steps
 * are not run here: the primary runs them (UpgradeService).
 */
export async function runMigrations(
  database: AppConfig['database'],
  options: MigrationOptions,
): Promise<string[]> {
  const files = readMigrationFiles(options.folder ?? join(MIGRATIONS_ROOT, database.kind));
  const work = (connection: SqlConnection) => applyPending(connection, files, options.version);
  return database.kind === 'sqlite'
    ? migrateSqlite(database.sqliteFile!, work)
    : migratePostgres(database.url, work);
}

type Work = (connection: SqlConnection) => Promise<string[]>;

async function migrateSqlite(file: string, work: Work): Promise<string[]> {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  try {
    // WAL lets readers and one writer of several processes share the file; the mode is stored in the file.
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN IMMEDIATE');
    const connection: SqlConnection = {
      exec: async (sql) => void db.exec(sql),
      rows: async (sql, params = []) => {
        const statement = db.prepare(sql.replace(/\$\d+/g, '?'));
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      },
      ledgerColumns: async () =>
        (db.prepare('PRAGMA table_info(schema_migrations)').all() as { name: string }[]).map(
          (row) => row.name,
        ),
    };
    try {
      const applied = await work(connection);
      db.exec('COMMIT');
      return applied;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, work: Work): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by PostgreSQL nodes
  const { Client: PgClient } = require('pg') as { Client: typeof Client };
  const client = new PgClient({ connectionString: url });
  // The query that was running fails too; an unheard 'error' event would end the process with a stack instead.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const connection: SqlConnection = {
      exec: async (sql) => void (await client.query(sql)),
      rows: async (sql, params = []) => (await client.query(sql, params)).rows as Record<string, unknown>[],
      ledgerColumns: async () =>
        (
          await client.query<{ name: string }>(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'schema_migrations' AND table_schema = current_schema()",
          )
        ).rows.map((row) => row.name),
    };
    for (let attempt = 1; ; attempt += 1) {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [POSTGRES_MIGRATION_LOCK]);
      // A schema change waits for the transactions that use its table, and every statement of the running
      // nodes on that table queues behind it meanwhile; a running node's transaction that holds one table
      // and reads another the change holds is a deadlock, which PostgreSQL resolves after deadlock_timeout
      // (1 s) by failing one of them. So a change may wait only briefly (below both), and the whole run is
      // tried again a moment later, as GitLab's migrations do, instead of stalling or failing the cluster.
      await client.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT_MS}ms'`);
      try {
        const applied = await work(connection);
        await client.query('COMMIT');
        return applied;
      } catch (error) {
        await client.query('ROLLBACK');
        if (sqlStateOf(error) !== LOCK_NOT_AVAILABLE || attempt >= DDL_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 300));
      }
    }
  } finally {
    await client.end();
  }
}

/** How long one schema change may wait for a table's lock, and how often the run is tried (about a minute). */
const DDL_LOCK_TIMEOUT_MS = 300;
const DDL_ATTEMPTS = 100;
const LOCK_NOT_AVAILABLE = '55P03';

/** The SQLSTATE of a database error, also when umzug wraps it (as `cause`, or `original` in older umzug). */
function sqlStateOf(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown; original?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth += 1
  ) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = (e.cause ?? e.original) as typeof e;
  }
  return undefined;
}

async function applyPending(
  connection: SqlConnection,
  files: MigrationFile[],
  version: string,
): Promise<string[]> {
  await connection.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
  );
  // Releases before 1.6.0 made the ledger without these columns (and write only the name: they stay null).
  const columns = await connection.ledgerColumns();
  for (const column of ['release', 'phase']) {
    if (!columns.includes(column))
      await connection.exec(`ALTER TABLE schema_migrations ADD COLUMN ${column} TEXT`);
  }
  const ledger = (await connection.rows(
    'SELECT name, release, phase FROM schema_migrations ORDER BY name',
  )) as {
    name: string;
    release: string | null;
    phase: string | null;
  }[];
  const known = new Map(files.map((file) => [file.name, file]));
  const unknownContract = ledger.find((row) => row.phase === 'contract' && !known.has(row.name));
  if (unknownContract)
    throw new SchemaTooNewError(version, unknownContract.release ?? 'unknown', unknownContract.name);
  // What older releases applied without a release: recorded now, from the files' headers.
  for (const row of ledger) {
    const file = known.get(row.name);
    if (file && row.release === null) {
      await connection.rows('UPDATE schema_migrations SET release = $1, phase = $2 WHERE name = $3', [
        file.release,
        file.phase,
        file.name,
      ]);
    }
  }
  const executed = new Set(ledger.map((row) => row.name));
  const pending = files.filter((file) => file.phase === 'expand' && !executed.has(file.name));
  // Nothing pending (every start but the first after an upgrade): umzug, and the command-line library it
  // brings, is not even loaded; a tenth of a second of every start.
  if (pending.length === 0) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a migration is pending
  const { Umzug } = require('umzug') as { Umzug: typeof UmzugClass };
  const storage: UmzugStorage = {
    executed: async () => [...executed],
    logMigration: async ({ name }) => {
      const file = known.get(name)!;
      await connection.rows('INSERT INTO schema_migrations (name, release, phase) VALUES ($1, $2, $3)', [
        name,
        file.release,
        file.phase,
      ]);
    },
    unlogMigration: () => Promise.reject(new Error('migrations are not reverted')),
  };
  const umzug = new Umzug({
    migrations: pending.map((file) => ({ name: file.name, up: () => connection.exec(file.sql) })),
    storage,
    logger: undefined,
  });
  const applied = await umzug.up();
  return applied.map((migration) => migration.name);
}
