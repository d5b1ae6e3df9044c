import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DatabaseKind } from '../../src/modules/environment/app-config';

/** A database of its own for one test file: a fresh SQLite file, or a fresh PostgreSQL database. */
export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

let skipNoted = false;

/**
 * SQLite always; PostgreSQL when TEST_DATABASE_URL names a server (CI sets it). Without it the
 * PostgreSQL runs are left out, and the run says so once.
 */
export function databaseKinds(): DatabaseKind[] {
  if (process.env.TEST_DATABASE_URL) return ['sqlite', 'postgresql'];
  if (!skipNoted) {
    skipNoted = true;
    process.stderr.write('PostgreSQL tests skipped: set TEST_DATABASE_URL=postgresql://… to run them.\n');
  }
  return ['sqlite'];
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'cluster-test-'));
    return {
      kind,
      url: `file:${join(folder, 'cluster.db')}`,
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    };
  }
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `cluster_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdminClient(base, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: () =>
      withAdminClient(base, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withAdminClient<T>(base: URL, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: base.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
