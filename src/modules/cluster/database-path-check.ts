import type { DatabasePath } from '../database/database-path';
import { TRANSACTION_BOUND } from '../database/pg-adapter';

/** A server's path to the database as the overview and the API show it, with what is wrong with it. */
export interface DatabasePathReport extends DatabasePath {
  /** Why this path is a warning, and what to do; null when it is fine. */
  problem: string | null;
}

/**
 * Judges every server's path against the others': a node that reached a replica, another database server
 * than most nodes (a DATABASE_URL that leads to an old primary after a failover, or to another cluster), or
 * whose transactions lack the lock and idle bounds, is a warning with its reason and fix.
 */
export function judgeDatabasePaths(paths: (string | null)[]): (DatabasePathReport | null)[] {
  const parsed = paths.map(parse);
  const servers = parsed.filter(
    (path): path is DatabasePath => path !== null && path.systemIdentifier !== null,
  );
  const identity = (path: DatabasePath) => `${path.systemIdentifier}/${path.timeline ?? '?'}`;
  const counts = new Map<string, number>();
  for (const path of servers) counts.set(identity(path), (counts.get(identity(path)) ?? 0) + 1);
  const usual = [...counts].sort((a, b) => b[1] - a[1])[0];
  const clearMajority =
    usual !== undefined && [...counts.values()].filter((n) => n === usual[1]).length === 1;
  return parsed.map((path) => {
    if (!path) return null;
    return {
      ...path,
      problem: problemOf(path, clearMajority && counts.size > 1 ? usual[0] : null, identity),
    };
  });
}

function problemOf(
  path: DatabasePath,
  usual: string | null,
  identity: (path: DatabasePath) => string,
): string | null {
  if (path.kind !== 'postgresql') return null;
  if (path.replica)
    return 'It reached a replica, which cannot take its writes: point its DATABASE_URL (or the address behind it) at the primary database.';
  if (usual !== null && path.systemIdentifier !== null && identity(path) !== usual) {
    const [system, timeline] = usual.split('/');
    return (
      `It reached another database server (system ${path.systemIdentifier}, timeline ${path.timeline ?? 'unknown'}) than most nodes ` +
      `(system ${system}, timeline ${timeline}): after a database failover its DATABASE_URL may still lead to the old primary. ` +
      "Point it at the cluster's database and restart it."
    );
  }
  if (
    path.lockTimeout !== null &&
    (path.lockTimeout !== TRANSACTION_BOUND || path.idleInTransactionTimeout !== TRANSACTION_BOUND)
  )
    return (
      `Its transactions run without the ${TRANSACTION_BOUND} lock and idle bounds (lock_timeout ${path.lockTimeout}, ` +
      `idle_in_transaction_session_timeout ${path.idleInTransactionTimeout}): something between the node and the database overrides them; ` +
      'see docs/deploy.md.'
    );
  return null;
}

function parse(json: string | null): DatabasePath | null {
  if (json === null) return null;
  try {
    return JSON.parse(json) as DatabasePath;
  } catch {
    return null;
  }
}

/** "through a pooler (transaction mode), primary, system 7312…, timeline 2; bounds 2s/2s", for the page. */
export function describeDatabasePath(path: DatabasePathReport): string {
  if (path.kind === 'sqlite') return 'SQLite file on this machine';
  const route =
    path.route === 'direct'
      ? 'direct'
      : path.route === 'intermediary'
        ? path.pooling === 'transaction'
          ? 'through a pooler (transaction mode)'
          : 'through a pooler in session mode or a proxy'
        : 'route unknown';
  const server = [
    path.replica === null ? null : path.replica ? 'a replica' : 'primary',
    path.systemIdentifier === null ? null : `system ${path.systemIdentifier}`,
    path.timeline === null ? null : `timeline ${path.timeline}`,
  ].filter(Boolean);
  const bounds =
    path.lockTimeout === null
      ? 'bounds unknown'
      : `bounds ${path.lockTimeout} lock, ${path.idleInTransactionTimeout} idle`;
  return [route, server.join(', '), bounds].filter((part) => part.length > 0).join('; ');
}
