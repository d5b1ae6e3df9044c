import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from 'pg';
import type { Umzug as UmzugClass, UmzugStorage } from 'umzug';
import { AppConfig } from '../environment/app-config';

const MIGRATIONS_ROOT = join(__dirname, '..', '..', '..', 'prisma', 'migrations');
/** Any constant: serialises migration runs of nodes that start at once on one PostgreSQL database. */
const POSTGRES_MIGRATION_LOCK = 862_400_001;

/** One connection used for the whole run, so that the lock, the migrations and the log share a transaction. */
interface SqlConnection {
  exec(sql: string): Promise<void>;
  names(sql: string): Promise<string[]>;
  insertName(name: string): Promise<void>;
}

/**
 * Applies the SQL files of prisma/migrations/<kind>/ in name order, once each, recording them in
 * schema_migrations. All pending files run in one transaction that first takes the database's write lock
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so nodes starting together
 * neither run a migration twice nor see half a schema.
 */
export async function runMigrations(database: AppConfig['database']): Promise<string[]> {
  const folder = join(MIGRATIONS_ROOT, database.kind);
  const files = readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  return database.kind === 'sqlite'
    ? migrateSqlite(database.sqliteFile!, folder, files)
    : migratePostgres(database.url, folder, files);
}

async function migrateSqlite(file: string, folder: string, files: string[]): Promise<string[]> {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  try {
    // WAL lets readers and one writer of several processes share the file; the mode is stored in the file.
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN IMMEDIATE');
    const connection: SqlConnection = {
      exec: async (sql) => void db.exec(sql),
      names: async (sql) => (db.prepare(sql).all() as { name: string }[]).map((row) => row.name),
      insertName: async (name) =>
        void db.prepare('INSERT INTO schema_migrations (name) VALUES (?)').run(name),
    };
    try {
      const applied = await applyPending(connection, folder, files);
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

async function migratePostgres(url: string, folder: string, files: string[]): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by PostgreSQL nodes
  const { Client: PgClient } = require('pg') as { Client: typeof Client };
  const client = new PgClient({ connectionString: url });
  // The query that was running fails too; an unheard 'error' event would end the process with a stack instead.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [POSTGRES_MIGRATION_LOCK]);
    const connection: SqlConnection = {
      exec: async (sql) => void (await client.query(sql)),
      names: async (sql) => (await client.query<{ name: string }>(sql)).rows.map((row) => row.name),
      insertName: async (name) =>
        void (await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name])),
    };
    try {
      const applied = await applyPending(connection, folder, files);
      await client.query('COMMIT');
      return applied;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  } finally {
    await client.end();
  }
}

async function applyPending(connection: SqlConnection, folder: string, files: string[]): Promise<string[]> {
  await connection.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
  );
  const executed = await connection.names('SELECT name FROM schema_migrations ORDER BY name');
  // Nothing pending (every start but the first after an upgrade): umzug, and the command-line library it
  // brings, is not even loaded; a tenth of a second of every start.
  if (files.every((file) => executed.includes(file))) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a migration is pending
  const { Umzug } = require('umzug') as { Umzug: typeof UmzugClass };
  const storage: UmzugStorage = {
    executed: () => connection.names('SELECT name FROM schema_migrations ORDER BY name'),
    logMigration: ({ name }) => connection.insertName(name),
    unlogMigration: () => Promise.reject(new Error('migrations are not reverted')),
  };
  const umzug = new Umzug({
    migrations: files.map((file) => ({
      name: file,
      up: () => connection.exec(readFileSync(join(folder, file), 'utf8')),
    })),
    storage,
    logger: undefined,
  });
  const applied = await umzug.up();
  return applied.map((migration) => migration.name);
}
