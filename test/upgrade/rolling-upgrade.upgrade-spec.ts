import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Load } from '../support/load';
import { ClusterNode, eventually, exitOf, freePort, runMain } from '../support/node-process';
import { buildRelease, BuiltRelease, nextRelease, previousRelease } from '../support/releases';
import { ADMIN_PASSWORD, signedInAgent } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';
import { describeTopology, HaProxy, stopAll } from '../support/topology';

const API_KEY = 'upgrade-test-api-key-01';
const H_S = 1;
const T_S = 3;
const GRACE_S = 2;
const VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;

interface LeaseSample {
  atMs: number;
  holder: string | null;
  epoch: number;
}

/**
 * The lease row as the database has it, read from outside the nodes every 100 ms with a plain client:
 * the one primary whose work can land (every primary-only write is fenced by it). Not the application's
 * Prisma service, which would migrate the database before the old release had made it.
 */
class LeaseSampler {
  readonly samples: LeaseSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private constructor(
    private readonly read: () => Promise<{ holder: string | null; epoch: number }>,
    private readonly close: () => Promise<void>,
  ) {}

  static async open(database: TestDatabase): Promise<LeaseSampler> {
    if (database.kind === 'sqlite') {
      const db = new Database(database.url.replace(/^file:/, ''), { readonly: true, timeout: 1_000 });
      const statement = db.prepare("SELECT holder, epoch FROM leases WHERE role = 'service'");
      return new LeaseSampler(
        async () => {
          const row = statement.get() as { holder: string | null; epoch: number | bigint };
          return { holder: row.holder, epoch: Number(row.epoch) };
        },
        async () => void db.close(),
      );
    }
    const client = new Client({ connectionString: database.url });
    await client.connect();
    return new LeaseSampler(
      async () => {
        const { rows } = await client.query(
          "SELECT holder, epoch::text AS epoch FROM leases WHERE role = 'service'",
        );
        return { holder: rows[0].holder, epoch: Number(rows[0].epoch) };
      },
      () => client.end(),
    );
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.read()
        .then((row) => this.samples.push({ atMs: Date.now(), ...row }))
        .catch(() => undefined)
        .finally(() => (this.busy = false));
    }, 100);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await eventually(async () => !this.busy, 5_000, 20);
    await this.close();
  }
}

interface ClusterView {
  configuration: { primaryServer: string | null };
  upgrade: { newestVersion: string; versions: { version: string; servers: number }[] } | null;
  servers: { name: string; components: { id: string; type: string; version: string }[] }[];
}

/**
 * Issue 19: two nodes of the previous release (built from git, releases.json), a node of this tree
 * joining, then the old nodes replaced one by one behind HAProxy, under load; then a later release's
 * contract step, and a node of this tree refused on the contracted schema.
 */
describeTopology('rolling upgrades behind HAProxy', () =>
  describe.each(databaseKinds())('a rolling upgrade from the previous release on %s', (kind) => {
    jest.setTimeout(300_000);
    let old: BuiltRelease;
    let database: TestDatabase;
    let sampler: LeaseSampler;
    let haproxy: HaProxy;
    let scratch: string;
    /** Stopped in afterAll too: a failed expectation must not leave its workers running. */
    let load: Load | null = null;
    const keys = {
      encryptionKey: randomBytes(32).toString('hex'),
      machineKey: randomBytes(32).toString('hex'),
    };
    const nodes = new Map<string, ClusterNode>();
    const ports = new Map<string, number>();

    const start = async (name: string, release: BuiltRelease | null) => {
      const node = await ClusterNode.start({
        name,
        port: ports.get(name),
        databaseUrl: database.url,
        ...keys,
        main: release?.main,
        env: { API_KEY, ADMIN_PASSWORD, SHUTDOWN_GRACE_SECONDS: String(GRACE_S) },
      });
      nodes.set(name, node);
      return node;
    };
    const view = (name: string) => nodes.get(name)!.getJson<ClusterView>('/api/cluster', API_KEY);
    const serviceId = async (name: string) =>
      (await view(name)).servers.find((s) => s.name === name)!.components.find((c) => c.type === 'service')!
        .id;
    const inRotation = (name: string) =>
      eventually(async () => (await haproxy.serverStates())[name]?.status === 'UP', 15_000, 100);
    /** As an operator does for a release without readiness: out of rotation, in-flight requests done, then stop. */
    const replace = async (name: string) => {
      await haproxy.setServerState(name, 'drain');
      await eventually(async () => (await haproxy.serverStates())[name]?.currentSessions === 0, 10_000, 50);
      await nodes.get(name)!.stop('SIGTERM');
      await start(name, null);
      await haproxy.setServerState(name, 'ready');
      await inRotation(name);
    };

    beforeAll(async () => {
      old = buildRelease(previousRelease());
      database = await createTestDatabase(kind);
      scratch = mkdtempSync(join(tmpdir(), 'next-release-'));
      for (const name of ['up-a', 'up-b', 'up-c']) ports.set(name, await freePort());
      await start('up-a', old);
      await start('up-b', old);
      const settings = await fetch(`${nodes.get('up-a')!.url}/api/cluster/settings`, {
        method: 'PUT',
        headers: { 'X-ApiKey': API_KEY, 'Content-Type': 'application/json' },
        body: JSON.stringify({ heartbeatFrequencySeconds: H_S, staleTimeoutSeconds: T_S }),
      });
      expect(settings.status).toBe(200);
      haproxy = await HaProxy.http({
        servers: [...ports].map(([name, port]) => ({ name, host: '127.0.0.1', port })),
      });
      sampler = await LeaseSampler.open(database);
      sampler.start();
    });

    afterAll(async () => {
      await load?.stop();
      await sampler?.stop();
      await Promise.all([...nodes.values()].map((node) => node.stop('SIGKILL')));
      await stopAll();
      await database?.drop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it(`joins a node of ${VERSION}, which takes the primary role, and replaces the old nodes one by one without a failed request`, async () => {
      expect(old.version).not.toBe(VERSION);
      await inRotation('up-a');
      await inRotation('up-b');
      load = new Load(haproxy.url, API_KEY);

      const joinedAt = Date.now();
      await start('up-c', null);
      const healthyMs = Date.now() - joinedAt;
      const newId = await serviceId('up-c');
      await eventually(async () => sampler.samples.at(-1)?.holder === newId, 15_000, 50);
      const tookOver = sampler.samples.find((sample) => sample.atMs >= joinedAt && sample.holder === newId)!;
      // While versions differ, the new node's page and API say so, with how many servers run each.
      const during = await view('up-c');
      expect(during.upgrade).toMatchObject({
        newestVersion: VERSION,
        versions: [
          { version: VERSION, servers: 1 },
          { version: old.version, servers: 2 },
        ],
      });
      const agent = await signedInAgent(nodes.get('up-c')!.url);
      const page = await agent.get('/administration/cluster').expect(200);
      expect(page.text).toContain('Upgrade in progress');
      expect(page.text).toContain(`2 servers run ${old.version}`);
      expect(page.text).toContain(`${old.version}, upgrading to ${VERSION}`);
      // The old nodes keep serving on the expanded schema: their own pages and API.
      expect((await view('up-a')).configuration.primaryServer).toBe('up-c');
      expect((await fetch(`${nodes.get('up-b')!.url}/login`)).status).toBe(200);

      await inRotation('up-c');
      await replace('up-a');
      await replace('up-b');
      const after = await view('up-a');
      expect(after.upgrade).toBeNull();
      const pageAfter = await (
        await signedInAgent(nodes.get('up-b')!.url)
      )
        .get('/administration/cluster')
        .expect(200);
      expect(pageAfter.text).not.toContain('Upgrade in progress');
      await load.stop();

      // One holder of the lease at every sample once there was one, and epochs that only grew.
      const held = sampler.samples.slice(sampler.samples.findIndex((s) => s.holder !== null));
      expect(held.length).toBeGreaterThan(50);
      expect(held.every((s) => s.holder !== null)).toBe(true);
      const epochs = held.map((s) => s.epoch);
      expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
      process.stdout.write(
        `Rolling upgrade ${old.version} → ${VERSION} on ${kind}: ${load.total} requests through HAProxy, ` +
          `${load.failures.length} failed; the ${VERSION} node was healthy ${healthyMs} ms after its start and ` +
          `held the primary role ${tookOver.atMs - joinedAt} ms after it (${Date.now() - joinedAt} ms for the whole upgrade); ${held.length} lease samples, ` +
          `${new Set(held.map((s) => s.holder)).size} holders, never none${load.failures.length ? `; failures: ${load.failures.slice(0, 5).join(' | ')}` : ''}\n`,
      );
      expect(load.failures).toEqual([]);
      expect(load.total).toBeGreaterThan(100);
    });

    it('runs a later release’s contract step once no older node is live, and then refuses a node of this release', async () => {
      const next = nextRelease(scratch, '99.0.0', [
        {
          name: '0900_probe.sql',
          sql: '-- release: 99.0.0\n-- phase: expand\nCREATE TABLE upgrade_probe (id TEXT PRIMARY KEY, note TEXT);\n',
        },
        {
          name: '0901_probe_contract.sql',
          sql: '-- release: 99.0.0\n-- phase: contract\nALTER TABLE upgrade_probe DROP COLUMN note;\n',
        },
      ]);
      ports.set('up-next', await freePort());
      await start('up-next', next);
      const nextId = await serviceId('up-next');
      await eventually(async () => sampler.samples.at(-1)?.holder === nextId, 15_000, 50);
      const events = () =>
        nodes
          .get('up-next')!
          .getJson<{ kind: string; message: string }[]>('/api/cluster/events?limit=50', API_KEY);
      // Nodes of this release are live: the step waits.
      await new Promise((resolve) => setTimeout(resolve, 3 * H_S * 1000));
      expect((await events()).some((event) => event.kind === 'schema-contracted')).toBe(false);

      for (const name of ['up-a', 'up-b', 'up-c']) await nodes.get(name)!.stop('SIGTERM');
      const contractedMs = await eventually(
        async () => (await events()).some((event) => event.kind === 'schema-contracted'),
        (T_S + 5 * H_S) * 1000,
        100,
      );
      const refused = runMain({
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        CLUSTER_SERVER_NAME: 'up-late',
        CLUSTER_ADVERTISED_ADDRESS: '127.0.0.1',
        ...{ ENCRYPTION_KEY: keys.encryptionKey, MACHINE_KEY: keys.machineKey },
      });
      const exit = await exitOf(refused);
      const lines = refused.output().trim().split('\n');
      process.stdout.write(
        `Contract step on ${kind}: ran ${contractedMs} ms after the last ${VERSION} node stopped; a ${VERSION} node started afterwards: exit ${exit.code}, "${lines.at(-1)}"\n`,
      );
      expect(exit.code).toBe(78);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `Schema error: The database's schema is newer than this node: release 99.0.0 has run its contract step 0901_probe_contract.sql, which ${VERSION} does not support. Start this node with release 99.0.0 or newer; to go back to ${VERSION}, restore the database backup taken before the upgrade (docs/upgrades.md).`,
      );
      // The later release goes on serving.
      expect((await fetch(`${nodes.get('up-next')!.url}/health`)).status).toBe(200);
    });
  }),
);
