import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { PrismaService } from '../../src/modules/database/prisma.service';
import { saysPrimary, timed } from '../support/cluster-api';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { ClusterNode, eventually, exitOf } from '../support/node-process';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const H_S = 1;
const T_S = 3;
const LOCK_HELD_MS = 5_000;
const API_KEY = 'sqlite-lock-test-api-key';

/**
 * Several nodes on one SQLite file, and a process paused (SIGSTOP) while it holds the file's write lock, as
 * a node paused inside a write transaction would. better-sqlite3 waits for a lock synchronously, so a long
 * busy timeout would freeze every healthy node; they must keep answering, say that the database is locked,
 * and settle on one primary soon after the lock is released.
 */
describe('a paused process holding the SQLite write lock', () => {
  jest.setTimeout(90_000);
  let database: TestDatabase;
  let prisma: PrismaService;
  const nodes: ClusterNode[] = [];
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    prisma = await openDatabase(database.url);
    await useFastHeartbeats(prisma, H_S, T_S);
    const keys = {
      encryptionKey: randomBytes(32).toString('hex'),
      machineKey: randomBytes(32).toString('hex'),
    };
    nodes.push(
      ...(await Promise.all(
        ['node-1', 'node-2', 'node-3'].map((name) =>
          ClusterNode.start({
            name,
            databaseUrl: database.url,
            ...keys,
            env: { API_KEY, LOG_LEVEL: 'info' },
          }),
        ),
      )),
    );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await prisma?.onApplicationShutdown();
    await database?.drop();
    process.stdout.write(
      `sqlite lock held ${LOCK_HELD_MS} ms by a paused process: ${JSON.stringify(figures)}\n`,
    );
  });

  it('never keeps a request on a healthy node waiting a second, says "locked", and has one primary within H of the release', async () => {
    const locker = holdWriteLock(database.url.slice('file:'.length));
    await eventually(async () => locker.output().includes('holding the write lock'), 10_000, 20);
    locker.kill('SIGSTOP');
    const lockedAt = Date.now();

    const latencies: number[] = [];
    const longest = { health: 0, api: 0, write: 0 };
    const healthAnswers = new Set<string>();
    const apiStatuses = new Set<number>();
    let write: { status: number; body: string; ms: number } | null = null;
    while (Date.now() - lockedAt < LOCK_HELD_MS) {
      for (const node of nodes) {
        const health = await timed(`${node.url}/health`);
        latencies.push(health.ms);
        longest.health = Math.max(longest.health, health.ms);
        healthAnswers.add(`${health.status} ${(JSON.parse(health.body) as { database: string }).database}`);
        const api = await timed(`${node.url}/api/cluster`, { headers: { 'X-ApiKey': API_KEY } });
        latencies.push(api.ms);
        longest.api = Math.max(longest.api, api.ms);
        apiStatuses.add(api.status);
      }
      if (!write && Date.now() - lockedAt > 1_000) {
        // A write from a person: it cannot wait for the lock forever, so it says why it failed.
        write = await timed(`${nodes[1].url}/api/cluster/settings`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', 'X-ApiKey': API_KEY },
          body: JSON.stringify({ loadBalancing: true }),
        });
        latencies.push(write.ms);
        longest.write = write.ms;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    figures.longestRequestMs = Math.round(Math.max(...latencies));
    figures.requests = latencies.length;
    figures.longestHealthMs = Math.round(longest.health);
    figures.longestApiClusterMs = Math.round(longest.api);
    figures.refusedWriteMs = Math.round(longest.write);

    const released = exitOf(locker);
    locker.kill('SIGKILL'); // the operating system releases the lock of a process that is gone
    await released;
    figures.onePrimaryAfterReleaseMs = await eventually(
      async () => (await Promise.all(nodes.map(saysPrimary))).filter(Boolean).length === 1,
      H_S * 1000 + 3_000,
      20,
    );

    expect(figures.longestRequestMs).toBeLessThan(1_000);
    expect(healthAnswers).toContain('503 locked');
    expect([...apiStatuses]).toEqual([200]);
    expect(write).toMatchObject({ status: 503 });
    expect(JSON.parse(write!.body)).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/locked/),
    });
    expect((await prisma.client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } })).loadBalancing).toBe(
      false,
    );
    expect(figures.onePrimaryAfterReleaseMs).toBeLessThanOrEqual(H_S * 1000 + 1_500);
    // It stays that way: one primary, and /health is ok again everywhere.
    await new Promise((resolve) => setTimeout(resolve, 2 * H_S * 1000));
    expect((await Promise.all(nodes.map(saysPrimary))).filter(Boolean)).toHaveLength(1);
    for (const node of nodes) expect((await fetch(`${node.url}/health`)).status).toBe(200);
  });
});

/** A separate process that opens the file, takes its write lock and keeps it until it is killed. */
function holdWriteLock(file: string) {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare("UPDATE cluster_settings SET updated_at = updated_at WHERE id = 1").run();
    console.log('holding the write lock');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}
