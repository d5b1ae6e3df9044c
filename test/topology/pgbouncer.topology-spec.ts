import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { PrismaService } from '../../src/modules/database/prisma.service';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { LeaseWatcher } from '../support/lease-watcher';
import { ClusterNode, eventually, exitOf, freePort, runMain } from '../support/node-process';
import { describeTopology, PgBouncer, PostgresServer, stopAll } from '../support/topology';

const H_S = 1;
const T_S = 3;
const API_KEY = 'topology-api-key-0001';

const keys = () => ({
  encryptionKey: randomBytes(32).toString('hex'),
  machineKey: randomBytes(32).toString('hex'),
});

/**
 * Issue 13, item 1: nodes behind PgBouncer 1.18 with its default settings (no ignore_startup_parameters),
 * in transaction pooling mode (the mode servers in a cluster use) and in session mode. Everything the
 * nodes do goes through the pooler: migrations and their lock, heartbeats, the lease, fenced writes.
 */
describeTopology('nodes behind PgBouncer', () => {
  jest.setTimeout(120_000);
  let postgres: PostgresServer;
  let direct: PrismaService;
  let watcher: LeaseWatcher;
  const nodes: ClusterNode[] = [];

  beforeAll(async () => {
    postgres = await PostgresServer.primary();
  });

  afterAll(async () => {
    await watcher?.stop();
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await direct?.onApplicationShutdown();
    await stopAll();
  });

  const cluster = keys();

  describe('in transaction mode, with its defaults', () => {
    let bouncer: PgBouncer;

    beforeAll(async () => {
      bouncer = await PgBouncer.start({
        targetHost: '127.0.0.1',
        targetPort: postgres.port,
        mode: 'transaction',
      });
      // The schema is made through the pooler, as a node makes it (migrations and their lock); the test's
      // own view then goes straight to the server, as a database administrator's would.
      await (await openDatabase(bouncer.url())).onApplicationShutdown();
      direct = await openDatabase(postgres.url());
      await useFastHeartbeats(direct, H_S, T_S);
      watcher = new LeaseWatcher(direct);
      watcher.start();
      nodes.push(
        ...(await Promise.all(['pool-a', 'pool-b', 'pool-c'].map((name) => start(name, bouncer.url())))),
      );
    });

    const start = (name: string, databaseUrl: string) =>
      ClusterNode.start({ name, databaseUrl, ...cluster, env: { API_KEY } });

    it('start, migrate through the pooler and elect exactly one primary', async () => {
      expect(bouncer.iniText).not.toMatch(/ignore_startup_parameters/);
      expect(bouncer.iniText).toMatch(/pool_mode = transaction/);
      await eventually(async () => (await watcher.observe()).holder !== null, 10_000);
      const report = await nodes[0].getJson<{
        configuration: { primaryServer: string | null; backupServers: string[] };
      }>('/api/cluster', API_KEY);
      expect(report.configuration.backupServers).toHaveLength(2);
      expect(['pool-a', 'pool-b', 'pool-c']).toContain(report.configuration.primaryServer);
      // Each node found out how it reaches the database, and says so on the page and in the API.
      await eventually(async () => {
        const servers = (
          await nodes[0].getJson<{ servers: { database: unknown }[] }>('/api/cluster', API_KEY)
        ).servers;
        return servers.every((server) => server.database !== null);
      }, 10_000);
      const paths = (
        await nodes[0].getJson<{ servers: { database: Record<string, unknown> }[] }>('/api/cluster', API_KEY)
      ).servers.map((server) => server.database);
      for (const path of paths)
        expect(path).toMatchObject({
          route: 'intermediary',
          pooling: 'transaction',
          replica: false,
          lockTimeout: '2s',
          idleInTransactionTimeout: '2s',
          problem: null,
        });
      const applied = await postgres.query<{ name: string }>(
        'SELECT name FROM schema_migrations ORDER BY name',
      );
      expect(applied.length).toBeGreaterThanOrEqual(7);
    });

    it('keeps every /health under 3 s while another session holds the lease row for 5 s, and no node goes stale', async () => {
      const holder = new Client({ connectionString: postgres.url() });
      await holder.connect();
      const slowest: number[] = [];
      const statuses = new Set<number>();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT * FROM leases WHERE role = 'service' FOR UPDATE`);
        const until = Date.now() + 5_000;
        await Promise.all(
          nodes.map(async (node) => {
            let worst = 0;
            while (Date.now() < until) {
              const started = Date.now();
              const response = await fetch(`${node.url}/health`);
              statuses.add(response.status);
              worst = Math.max(worst, Date.now() - started);
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            slowest.push(worst);
          }),
        );
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end();
      }
      expect(Math.max(...slowest)).toBeLessThan(3_000);
      // Heartbeats went on (a renewal waiting on the row gives up after two seconds, it does not hold up the
      // node's heartbeat): nobody was judged stale.
      expect([...statuses]).toEqual([200]);
      const stale = await direct.client.event.count({ where: { kind: 'component-stale' } });
      expect(stale).toBe(0);
      await eventually(async () => (await watcher.observe()).holder !== null, 10_000);
    });

    it('fails over after kill -9 of the primary within T + H + 1.5 s', async () => {
      // From a steady lease: renewed twice since the previous test let go of the row.
      const settled = await watcher.observe();
      await eventually(
        async () => (await watcher.observe()).expiresAtMs >= settled.expiresAtMs + 1_500,
        10_000,
        50,
      );
      const before = await watcher.observe();
      const primary = await primaryNode(nodes, before.holder!);
      const killedAt = Date.now();
      await primary.stop('SIGKILL');
      nodes.splice(nodes.indexOf(primary), 1);
      const tookMs = await eventually(
        async () => {
          const now = await watcher.observe();
          return now.holder !== null && now.holder !== before.holder && now.epoch === before.epoch + 1;
        },
        15_000,
        50,
      );
      process.stdout.write(
        `PgBouncer (transaction mode): failover after kill -9 in ${Date.now() - killedAt} ms\n`,
      );
      expect(tookMs).toBeLessThan((T_S + H_S + 1.5) * 1000);
    });

    it('refuses a node whose pooler rejects it with one line naming the cause, and exit status 78', async () => {
      const child = runMain({
        PORT: String(await freePort()),
        DATABASE_URL: bouncer.url('no_such_database'),
        CLUSTER_SERVER_NAME: 'refused',
        ...{ ENCRYPTION_KEY: cluster.encryptionKey, MACHINE_KEY: cluster.machineKey },
      });
      const exit = await exitOf(child);
      expect(exit.code).toBe(78);
      const lines = child.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^Database connection failed: the database at 127\.0\.0\.1:\d+\/no_such_database answered: no such database: no_such_database \(08P01\)\. /,
      );
    });
  });

  describe('in session mode, with its defaults', () => {
    it('starts a node beside the others and serves', async () => {
      const bouncer = await PgBouncer.start({
        targetHost: '127.0.0.1',
        targetPort: postgres.port,
        mode: 'session',
      });
      expect(bouncer.iniText).toMatch(/pool_mode = session/);
      const node = await ClusterNode.start({
        name: 'session-a',
        databaseUrl: bouncer.url(),
        ...cluster,
        env: { API_KEY },
      });
      nodes.push(node);
      const response = await fetch(`${node.url}/health`);
      expect(response.status).toBe(200);
      const pathOf = async () =>
        (
          await node.getJson<{ servers: { name: string; database: Record<string, unknown> | null }[] }>(
            '/api/cluster',
            API_KEY,
          )
        ).servers.find((server) => server.name === 'session-a')!.database;
      await eventually(async () => (await pathOf()) !== null, 10_000);
      expect(await pathOf()).toMatchObject({
        route: 'intermediary',
        pooling: 'session',
        lockTimeout: '2s',
        problem: null,
      });
    });
  });
});

/** The node whose service component holds the lease. */
async function primaryNode(nodes: ClusterNode[], holder: string): Promise<ClusterNode> {
  for (const node of nodes) {
    const report = await node.getJson<{ servers: { name: string; components: { id: string }[] }[] }>(
      '/api/cluster',
      API_KEY,
    );
    const server = report.servers.find((s) => s.components.some((c) => c.id === holder));
    if (server) return nodes.find((n) => n.name === server.name)!;
  }
  throw new Error(`no node holds ${holder}`);
}
