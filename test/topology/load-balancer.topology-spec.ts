import { randomBytes } from 'node:crypto';
import type { PrismaService } from '../../src/modules/database/prisma.service';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { LeaseWatcher } from '../support/lease-watcher';
import { Load } from '../support/load';
import { ClusterNode, eventually, freePort } from '../support/node-process';
import { HaProxy, describeTopology, PostgresServer, stopAll } from '../support/topology';

const H_S = 1;
const T_S = 3;
const GRACE_S = 3;
const API_KEY = 'topology-lb-api-key-01';

/**
 * Issue 13, item 3: HAProxy in front of three nodes with a plain `option httpchk GET /health`. A rolling
 * restart (SIGTERM, wait for the exit, start again) under load fails no request: from SIGTERM the node's
 * /health answers 503 while it goes on serving for its grace period, so HAProxy takes it out of rotation
 * before it stops accepting. A kill -9 costs at most the requests in flight on the killed node.
 */
describeTopology('three nodes behind HAProxy', () => {
  jest.setTimeout(180_000);
  const keys = {
    encryptionKey: randomBytes(32).toString('hex'),
    machineKey: randomBytes(32).toString('hex'),
  };
  let postgres: PostgresServer;
  let prisma: PrismaService;
  let watcher: LeaseWatcher;
  let haproxy: HaProxy;
  const nodes = new Map<string, ClusterNode>();
  const ports = new Map<string, number>();

  const start = async (name: string) => {
    const node = await ClusterNode.start({
      name,
      port: ports.get(name),
      databaseUrl: postgres.url(),
      ...keys,
      env: { API_KEY, SHUTDOWN_GRACE_SECONDS: String(GRACE_S) },
    });
    nodes.set(name, node);
    return node;
  };
  const inRotation = (name: string) =>
    eventually(async () => (await haproxy.serverStates())[name]?.status === 'UP', 10_000, 100);

  beforeAll(async () => {
    postgres = await PostgresServer.primary();
    prisma = await openDatabase(postgres.url());
    await useFastHeartbeats(prisma, H_S, T_S);
    watcher = new LeaseWatcher(prisma);
    for (const name of ['lb-a', 'lb-b', 'lb-c']) ports.set(name, await freePort());
    await Promise.all([...ports.keys()].map(start));
    haproxy = await HaProxy.http({
      servers: [...ports].map(([name, port]) => ({ name, host: '127.0.0.1', port })),
    });
    watcher.start();
  });

  afterAll(async () => {
    await watcher?.stop();
    await Promise.all([...nodes.values()].map((node) => node.stop('SIGKILL')));
    await prisma?.onApplicationShutdown();
    await stopAll();
  });

  it('restarts every node in turn under load without failing a request, and ends with one primary', async () => {
    expect(haproxy.configText).toMatch(/option httpchk GET \/health/);
    expect(haproxy.configText).not.toMatch(/redispatch/);
    const load = new Load(haproxy.url, API_KEY);
    const restartMs: number[] = [];
    for (const name of ['lb-a', 'lb-b', 'lb-c']) {
      const started = Date.now();
      await nodes.get(name)!.stop('SIGTERM');
      await start(name);
      await inRotation(name);
      restartMs.push(Date.now() - started);
    }
    await load.stop();
    process.stdout.write(
      `Rolling restart through HAProxy: ${load.total} requests, ${load.failures.length} failed; ` +
        `each node back in rotation after ${restartMs.join(', ')} ms\n`,
    );
    expect(load.failures).toEqual([]);
    expect(load.total).toBeGreaterThan(100);

    const lease = await eventually(async () => (await watcher.observe()).holder !== null, 10_000);
    expect(lease).toBeGreaterThanOrEqual(0);
    const views = await Promise.all(
      [...nodes.values()].map((node) =>
        node.getJson<{ configuration: { primaryServer: string | null; backupServers: string[] } }>(
          '/api/cluster',
          API_KEY,
        ),
      ),
    );
    const primaries = new Set(views.map((view) => view.configuration.primaryServer));
    expect(primaries.size).toBe(1);
    expect([...primaries][0]).not.toBeNull();
    // Epochs only grew, and every sample had at most one holder (the lease row has one).
    const epochs = watcher.observations.map((o) => o.epoch);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
  });

  it('loses at most the requests in flight on a web node killed with kill -9 (with option redispatch)', async () => {
    await haproxy.stop();
    haproxy = await HaProxy.http({
      servers: [...ports].map(([name, port]) => ({ name, host: '127.0.0.1', port })),
      redispatch: true,
    });
    expect(haproxy.configText).toMatch(/option redispatch/);
    const load = new Load(haproxy.url, API_KEY);
    await eventually(async () => load.total > 50, 10_000, 50);
    await nodes.get('lb-b')!.stop('SIGKILL');
    const killedAt = load.total;
    // Out of rotation after two failed checks; meanwhile refused connections are sent elsewhere.
    await eventually(
      async () => (await haproxy.serverStates())['lb-b'].status.startsWith('DOWN'),
      10_000,
      100,
    );
    await eventually(async () => load.total > killedAt + 100, 20_000, 50);
    await load.stop();
    process.stdout.write(
      `kill -9 of a web node behind HAProxy: ${load.total} requests, ${load.failures.length} failed\n`,
    );
    expect(load.failures.length).toBeLessThanOrEqual(4); // one request in flight per worker
    await start('lb-b');
    await inRotation('lb-b');
  });
});
