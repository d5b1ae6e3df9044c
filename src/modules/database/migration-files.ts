import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Migrations run in two phases (docs/upgrades.md). An expand step only adds (tables, nullable columns,
 * indexes, functions): every node applies the pending ones at start, while nodes of older releases keep
 * serving. A contract step removes or changes what older releases read or write: only the primary runs it,
 * once no node of an older release has been live for the stale timeout.
 */
export type MigrationPhase = 'expand' | 'contract';

export interface MigrationFile {
  /** The file name, which is also its name in schema_migrations, and orders the steps. */
  name: string;
  /** The release that introduced it ("-- release: 1.6.0" on the first lines). */
  release: string;
  phase: MigrationPhase;
  sql: string;
}

export const MIGRATIONS_ROOT = join(__dirname, '..', '..', '..', 'prisma', 'migrations');

const HEADER = /^--\s*(release|phase):\s*(\S+)\s*$/;

/** The migrations of one database kind, in name order, each with its header read; a file without one is refused. */
export function readMigrationFiles(folder: string): MigrationFile[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((name) => parseMigration(name, readFileSync(join(folder, name), 'utf8')));
}

export function parseMigration(name: string, sql: string): MigrationFile {
  const header: Record<string, string> = {};
  for (const line of sql.split('\n').slice(0, 5)) {
    const match = HEADER.exec(line.trim());
    if (match) header[match[1]] = match[2];
  }
  if (!header.release || !/^\d+\.\d+\.\d+$/.test(header.release)) {
    throw new Error(
      `migration ${name} must start with a line "-- release: X.Y.Z" naming the release that adds it`,
    );
  }
  const phase = header.phase ?? 'expand';
  if (phase !== 'expand' && phase !== 'contract') {
    throw new Error(`migration ${name}: the phase must be expand or contract (got "${phase}")`);
  }
  return { name, release: header.release, phase, sql };
}

/**
 * A contract step's statements, one by one: it is run through the node's own database client inside the
 * primary's fenced transaction, which sends one statement at a time. So a contract step is plain
 * statements, each ending with a semicolon at the end of a line (no functions or DO blocks).
 */
export function contractStatements(file: MigrationFile): string[] {
  return file.sql
    .split(/;\s*$/m)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
}
