import { randomBytes } from 'node:crypto';
import { signIn } from '../support/cluster-api';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { ClusterNode, eventually } from '../support/node-process';
import { HaProxy, describeTopology, PostgresServer, stopAll } from '../support/topology';

const H_S = 1;
const T_S = 3;
const API_KEY = 'topology-db-api-key-01';
const ADMIN_PASSWORD = 'topology-db-password';

interface EventRow {
  id: string;
  kind: string;
  component_id: string | null;
  epoch: string | null;
  message: string;
  occurred_at_ms: string;
}

interface LeaseRow {
  holder: string | null;
  epoch: string;
  live: boolean;
}

const readLease = async (server: PostgresServer): Promise<LeaseRow> =>
  (
    await server.query<LeaseRow>(
      `SELECT holder, epoch::text AS epoch,
              expires_at_ms > CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS live
       FROM leases WHERE role = 'service'`,
    )
  )[0];
const readEvents = (server: PostgresServer) =>
  server.query<EventRow>(
    `SELECT id::text AS id, kind, component_id, epoch::text AS epoch, message, occurred_at_ms::text AS occurred_at_ms
     FROM events ORDER BY id`,
  );

/** Every answer of the nodes' pages, API and health while something happens to the database. */
class Sampler {
  readonly statuses = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>;

  constructor(nodes: ClusterNode[], cookies: Map<string, string>) {
    this.done = Promise.all(
      nodes.map(async (node) => {
        while (this.running) {
          for (const [path, headers] of [
            ['/health', {}],
            ['/api/cluster', { 'X-ApiKey': API_KEY }],
            ['/administration/cluster', { Cookie: cookies.get(node.name)! }],
          ] as const) {
            const response = await fetch(`${node.url}${path}`, { headers, redirect: 'manual' }).catch(
              () => null,
            );
            await response?.arrayBuffer();
            const key = `${path} ${response?.status ?? 'no answer'}`;
            this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    ).then(() => undefined);
  }

  async stop(): Promise<Record<string, number>> {
    this.running = false;
    await this.done;
    return Object.fromEntries(this.statuses);
  }
}

const keys = () => ({
  encryptionKey: randomBytes(32).toString('hex'),
  machineKey: randomBytes(32).toString('hex'),
});

/** The schema, with fast heartbeats, before any node starts. */
async function fastHeartbeats(server: PostgresServer): Promise<void> {
  const prisma = await openDatabase(server.url());
  await useFastHeartbeats(prisma, H_S, T_S);
  await prisma.onApplicationShutdown();
}

/**
 * Issue 13, item 2, and the database refusing connections: what every PostgreSQL failover and maintenance
 * window produces. Nodes answer 503 "database unavailable" throughout, never 500; an outage is one event and
 * blames no node; a promotion that lost the last writes hands out no fencing epoch and no event id twice.
 */
describeTopology('a PostgreSQL that refuses connections, or fails over to its replica', () => {
  jest.setTimeout(180_000);
  const nodes: ClusterNode[] = [];

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await stopAll();
  });

  it('answers 503, never 500, while the database refuses connections for 10 s, and records one outage and no staleness', async () => {
    const server = await PostgresServer.primary();
    const cluster = keys();
    await fastHeartbeats(server);
    const pair = await Promise.all(
      ['refused-a', 'refused-b'].map((name) =>
        ClusterNode.start({ name, databaseUrl: server.url(), ...cluster, env: { API_KEY, ADMIN_PASSWORD } }),
      ),
    );
    nodes.push(...pair);
    await eventually(async () => (await readLease(server)).live, 10_000);
    const cookies = new Map(
      await Promise.all(pair.map(async (node) => [node.name, await signIn(node, ADMIN_PASSWORD)] as const)),
    );
    const sampler = new Sampler(pair, cookies);

    // New connections are refused (55000); the open ones are ended, as a maintenance window does.
    await server.query(`ALTER DATABASE app ALLOW_CONNECTIONS false`, [], 'postgres');
    await server.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'app'`,
      [],
      'postgres',
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await server.query(`ALTER DATABASE app ALLOW_CONNECTIONS true`, [], 'postgres');
    await eventually(
      async () =>
        (await Promise.all(pair.map(async (n) => (await fetch(`${n.url}/health`)).status))).every(
          (s) => s === 200,
        ),
      10_000,
    );
    // Long enough for a node that had stopped to be judged stale: nobody did.
    await new Promise((resolve) => setTimeout(resolve, (T_S + 2 * H_S) * 1000));
    const statuses = await sampler.stop();
    process.stdout.write(`10 s of refused connections: ${JSON.stringify(statuses)}\n`);

    expect(Object.keys(statuses).filter((key) => / 500$/.test(key))).toEqual([]);
    expect(statuses['/api/cluster 503']).toBeGreaterThan(0);
    expect(statuses['/administration/cluster 503']).toBeGreaterThan(0);
    expect(statuses['/health 503']).toBeGreaterThan(0);
    const events = await readEvents(server);
    expect(events.filter((event) => event.kind === 'database-outage')).toHaveLength(1);
    expect(
      events.filter((event) => event.kind === 'component-stale' || event.kind === 'component-recovered'),
    ).toEqual([]);
    await Promise.all(pair.map((node) => node.stop('SIGKILL')));
  });

  it('follows a promoted replica that lost the last writes: one primary, no epoch or event id handed out twice, no 500', async () => {
    const primary = await PostgresServer.primary('db-primary');
    const cluster = keys();
    await fastHeartbeats(primary);
    const replica = await primary.replica('db-replica');
    const proxy = await HaProxy.tcp({
      servers: [
        { name: 'db-primary', host: '127.0.0.1', port: primary.port },
        { name: 'db-replica', host: '127.0.0.1', port: replica.port, backup: true },
      ],
    });
    const trio = await Promise.all(
      ['follow-a', 'follow-b', 'follow-c'].map((name) =>
        ClusterNode.start({
          name,
          databaseUrl: proxy.databaseUrl(),
          ...cluster,
          env: { API_KEY, ADMIN_PASSWORD },
        }),
      ),
    );
    nodes.push(...trio);
    await eventually(async () => (await readLease(primary)).live, 10_000);
    // Signed in before the cut, so that the sessions are on the replica too (a sign-in after it is lost).
    const cookies = new Map(
      await Promise.all(trio.map(async (node) => [node.name, await signIn(node, ADMIN_PASSWORD)] as const)),
    );
    // Streamed: the replica has what the primary had until now.
    const sessions = 'SELECT count(*)::int AS n FROM sessions';
    await eventually(
      async () =>
        (await readEvents(replica)).length === (await readEvents(primary)).length &&
        (await replica.query<{ n: number }>(sessions))[0].n ===
          (await primary.query<{ n: number }>(sessions))[0].n,
      10_000,
    );

    // The replication is cut; the primary node is killed, and its successor's epoch (and its events) are
    // written only on the old primary database.
    await replica.cutReplication();
    const before = await readLease(primary);
    const holderNode = await nodeOf(trio, before.holder!);
    await holderNode.stop('SIGKILL');
    const survivors = trio.filter((node) => node !== holderNode);
    await eventually(
      async () => {
        const lease = await readLease(primary);
        return lease.live && lease.holder !== before.holder;
      },
      15_000,
      50,
    );
    await eventually(
      async () =>
        (await readEvents(primary)).some(
          (e) =>
            e.kind === 'primary-changed' &&
            e.epoch !== before.epoch &&
            BigInt(e.epoch!) > BigInt(before.epoch),
        ),
      10_000,
    );
    const lost = await readLease(primary);
    const oldEvents = await readEvents(primary);

    const sampler = new Sampler(survivors, cookies);
    // The old primary database stops; the replica is promoted; the address moves to it.
    await primary.stopImmediate();
    await proxy.setServerState('db-primary', 'maint');
    await replica.promote();
    const promotedAt = Date.now();
    const followMs = await eventually(
      async () => {
        const lease = await readLease(replica);
        if (!lease.live || lease.holder === null) return false;
        const health = await Promise.all(
          survivors.map(async (node) => (await fetch(`${node.url}/health`)).status),
        );
        return health.every((status) => status === 200);
      },
      4 * T_S * 1000,
      100,
    );
    // A few heartbeats on the new timeline, for events to be written there.
    await new Promise((resolve) => setTimeout(resolve, 3 * H_S * 1000));
    const statuses = await sampler.stop();
    const lease = await readLease(replica);
    const newEvents = await readEvents(replica);
    process.stdout.write(
      `database promotion: nodes followed ${followMs} ms after the replica accepted writes ` +
        `(${Date.now() - promotedAt} ms in all); lost epoch ${lost.epoch}, new epoch ${lease.epoch}; ${JSON.stringify(statuses)}\n`,
    );

    expect(followMs).toBeLessThanOrEqual(2 * T_S * 1000);
    expect(Object.keys(statuses).filter((key) => / 500$/.test(key))).toEqual([]);
    // One primary: every node names the same one, which holds the lease on the promoted database.
    const views = await Promise.all(
      survivors.map((node) =>
        node.getJson<{ configuration: { primaryServer: string | null } }>('/api/cluster', API_KEY),
      ),
    );
    expect(new Set(views.map((view) => view.configuration.primaryServer)).size).toBe(1);
    expect(views[0].configuration.primaryServer).not.toBeNull();
    // No fencing epoch twice: the epoch the lost timeline gave is below everything the new one gives.
    expect(BigInt(lease.epoch)).toBeGreaterThan(BigInt(lost.epoch));
    const holderOf = (events: EventRow[]) =>
      new Map(events.filter((e) => e.kind === 'primary-changed').map((e) => [e.epoch, e.component_id]));
    const oldHolders = holderOf(oldEvents);
    for (const [epoch, holder] of holderOf(newEvents)) {
      if (oldHolders.has(epoch)) expect([epoch, oldHolders.get(epoch)]).toEqual([epoch, holder]);
    }
    // No event id twice: an id on both databases is the same event (it was streamed before the cut).
    const newById = new Map(newEvents.map((event) => [event.id, event]));
    for (const event of oldEvents) {
      const again = newById.get(event.id);
      if (again) expect(again).toEqual(event);
    }
    expect(newEvents.length).toBeGreaterThan(oldEvents.filter((event) => newById.has(event.id)).length);
    expect(oldEvents.some((event) => !newById.has(event.id))).toBe(true);
  });
});

async function nodeOf(nodes: ClusterNode[], componentId: string): Promise<ClusterNode> {
  const report = await nodes[0].getJson<{ servers: { name: string; components: { id: string }[] }[] }>(
    '/api/cluster',
    API_KEY,
  );
  const server = report.servers.find((s) => s.components.some((c) => c.id === componentId))!;
  return nodes.find((node) => node.name === server.name)!;
}
