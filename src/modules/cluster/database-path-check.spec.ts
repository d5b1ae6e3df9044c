import type { DatabasePath } from '../database/database-path';
import { describeDatabasePath, judgeDatabasePaths } from './database-path-check';

const pooled: DatabasePath = {
  kind: 'postgresql',
  route: 'intermediary',
  pooling: 'transaction',
  systemIdentifier: '7312000000000000001',
  timeline: 2,
  replica: false,
  lockTimeout: '2s',
  idleInTransactionTimeout: '2s',
};
const json = (path: DatabasePath) => JSON.stringify(path);

describe('judgeDatabasePaths', () => {
  it('finds nothing wrong with nodes that reach the same primary with their bounds in effect', () => {
    const judged = judgeDatabasePaths([
      json(pooled),
      json({ ...pooled, route: 'direct', pooling: null }),
      null,
    ]);
    expect(judged.map((path) => path?.problem ?? null)).toEqual([null, null, null]);
    expect(judged[2]).toBeNull();
  });

  it('warns of a node that reached another server than most: the old primary after a failover', () => {
    const judged = judgeDatabasePaths([json(pooled), json(pooled), json({ ...pooled, timeline: 1 })]);
    expect(judged[0]!.problem).toBeNull();
    expect(judged[2]!.problem).toMatch(
      /^It reached another database server \(system 7312000000000000001, timeline 1\) than most nodes \(system 7312000000000000001, timeline 2\)/,
    );
  });

  it('warns of a node on a replica, and of one whose transactions lack the bounds', () => {
    const judged = judgeDatabasePaths([
      json({ ...pooled, replica: true, timeline: null }),
      json({ ...pooled, lockTimeout: '0', idleInTransactionTimeout: '0' }),
    ]);
    expect(judged[0]!.problem).toMatch(/reached a replica/);
    expect(judged[1]!.problem).toMatch(
      /without the 2s lock and idle bounds \(lock_timeout 0, idle_in_transaction_session_timeout 0\)/,
    );
  });

  it('says in a line how a node reaches its database', () => {
    expect(describeDatabasePath({ ...pooled, problem: null })).toBe(
      'through a pooler (transaction mode); primary, system 7312000000000000001, timeline 2; bounds 2s lock, 2s idle',
    );
    expect(describeDatabasePath({ ...pooled, kind: 'sqlite', problem: null })).toBe(
      'SQLite file on this machine',
    );
  });
});
