import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { Fence, LeaseLostError } from '../../src/modules/failover/lease';
import { LeaseRepository } from '../../src/modules/failover/lease.repository';
import { FailoverService } from '../../src/modules/failover/failover.service';
import { HealthCheckerRepository } from '../../src/modules/health-checker/health-checker.repository';
import { HealthCheckerService } from '../../src/modules/health-checker/health-checker.service';
import { HeartbeatService } from '../../src/modules/heartbeat/heartbeat.service';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import { ClusterRepository } from '../../src/modules/cluster/cluster.repository';
import { ClusterService } from '../../src/modules/cluster/cluster.service';
import { firstEpoch } from '../support/cluster-database';
import { seedServer } from '../support/seed';
import {
  AdvancingClock,
  API_KEY,
  randomKeys,
  signedInAgent,
  startTestApp,
  TestApp,
} from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const TIMEOUT_MS = 60_000;

describe.each(databaseKinds())('the primary lease on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  let leases: LeaseRepository;
  let prisma: PrismaService['client'];
  let first: number;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // A web-only node: the test itself plays the service components.
    node = await startTestApp(database, { env: { CLUSTER_COMPONENTS: 'web' } });
    leases = node.app.get(LeaseRepository);
    prisma = node.app.get(PrismaService).client;
    first = await firstEpoch(node.app.get(PrismaService));
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  /** Makes the lease expire by the database's own measure, as if its holder had been silent for the timeout. */
  const expireLease = () => prisma.lease.update({ where: { role: 'service' }, data: { expiresAtMs: 0n } });
  const eventCount = () => prisma.event.count();
  /** The primary's fenced write, as the health checker makes it: here with one event and nothing else. */
  const writeFenced = (fence: Fence, message: string) =>
    node.app
      .get(HealthCheckerRepository)
      .recordObservations(fence, [], [{ kind: 'component-stale', message }], {
        cutoffMs: 0,
        keep: 1_000_000,
      });

  /** A service component run by its own process, as a node registers it. */
  const component = async (name: string) => {
    const row = await prisma.component.create({
      data: {
        id: `${name}-${randomUUID()}`,
        type: 'service',
        version: '1.0.0',
        registeredAtMs: 0n,
        instanceId: `process-of-${name}`,
        server: {
          create: {
            id: randomUUID(),
            name: `server-${name}-${randomUUID()}`,
            os: 'Linux',
            ipAddress: '10.0.0.1',
          },
        },
      },
    });
    return { id: row.id, instanceId: row.instanceId! };
  };
  type Holder = Awaited<ReturnType<typeof component>>;
  const ask = (
    holder: Holder,
    myEpoch: number | null,
    options: { automaticFailover?: boolean; mayAcquire?: boolean; instanceId?: string } = {},
  ) =>
    leases.renewOrAcquire({
      holder: holder.id,
      instanceId: options.instanceId ?? holder.instanceId,
      myEpoch,
      timeoutMs: TIMEOUT_MS,
      automaticFailover: options.automaticFailover ?? true,
      mayAcquire: options.mayAcquire ?? true,
    });

  let a: Holder;
  let b: Holder;

  it('grants a free lease, renews it for its holder, and refuses it to others while it lasts', async () => {
    a = await component('a');
    b = await component('b');
    expect(await ask(a, null)).toEqual({ epoch: first, previousHolder: null, previousEpoch: 0 });
    expect(await ask(a, first)).toEqual({ epoch: first, previousHolder: null, previousEpoch: 0 });
    expect(await ask(b, null)).toBeNull();
    // A renewal must name the epoch it holds: a stale belief of holding it is not enough.
    expect(await ask(a, 99)).toBeNull();
  });

  it('refuses the lease to a second process that runs under the same component, even with its epoch', async () => {
    expect(await ask(a, first, { instanceId: 'a-duplicate-process' })).toBeNull();
    await expireLease();
    expect(await ask(a, null, { instanceId: 'a-duplicate-process' })).toBeNull();
    expect(await ask(a, null, { instanceId: 'a-duplicate-process', automaticFailover: false })).toBeNull();
    expect(await ask(a, first)).toEqual({ epoch: first + 1, previousHolder: a.id, previousEpoch: first });
  });

  it('lets an ineligible component keep a lease it holds but never take one', async () => {
    const lease = await leases.findLease();
    expect(await ask(a, lease.epoch, { mayAcquire: false })).toMatchObject({
      epoch: lease.epoch,
      previousHolder: a.id,
    });
    await expireLease();
    expect(await ask(b, null, { mayAcquire: false })).toBeNull();
    expect((await leases.findLease()).holder).toBe(a.id);
  });

  it('refuses a takeover to a drained component even when its process asks, but lets it keep a live lease, or take back its own after a timeout without a taker', async () => {
    const databaseNowMs = () => node.app.get(PrismaService).databaseNowMs();
    const expireAt = async (agoMs: number) =>
      prisma.lease.update({
        where: { role: 'service' },
        data: { expiresAtMs: BigInt((await databaseNowMs()) - agoMs) },
      });
    await ask(a, null);
    const lease = await leases.findLease();
    expect(lease.holder).toBe(a.id);
    await prisma.component.update({ where: { id: a.id }, data: { drainedAtMs: 1n, drainedBy: 'admin' } });
    try {
      expect(await ask(a, lease.epoch)).toMatchObject({ epoch: lease.epoch, previousHolder: a.id });
      // Just expired: a backup may take it, the drained holder may not.
      await expireAt(0);
      expect(await ask(a, lease.epoch)).toBeNull();
      expect(await ask(a, null)).toBeNull();
      expect(await ask(a, null, { automaticFailover: false })).toBeNull();
      // Nobody took it for a whole timeout: its drained holder takes it back (a drained primary beats none).
      await expireAt(TIMEOUT_MS + 1);
      expect(await ask(a, null)).toMatchObject({ epoch: lease.epoch + 1, previousHolder: a.id });
      await expireAt(0);
      expect(await ask(b, null)).toMatchObject({ epoch: lease.epoch + 2, previousHolder: a.id });
      // Another's lease, however long expired, is never a drained component's.
      await expireAt(TIMEOUT_MS + 1);
      expect(await ask(a, null)).toBeNull();
    } finally {
      await prisma.component.update({ where: { id: a.id }, data: { drainedAtMs: null, drainedBy: null } });
    }
    // The mark on the lease row alone (a drain whose components row a waiting statement cannot see yet) bars it too.
    await prisma.lease.update({ where: { role: 'service' }, data: { drainedHolder: a.id } });
    await expireAt(0);
    expect(await ask(a, null)).toBeNull();
    await prisma.lease.update({ where: { role: 'service' }, data: { drainedHolder: null } });
    expect(await ask(a, null)).toMatchObject({ epoch: lease.epoch + 3, previousHolder: b.id });
  });

  it('lets a backup take an expired lease with the next epoch, and fences the old holder out', async () => {
    expect(await ask(a, (await leases.findLease()).epoch)).not.toBeNull();
    const lease = await leases.findLease();
    const before = await eventCount();
    await writeFenced({ holder: lease.holder!, epoch: lease.epoch }, 'written while holding the lease');
    expect(await eventCount()).toBe(before + 1);

    await expireLease();
    const taken = await ask(b, null);
    expect(taken).toMatchObject({ epoch: lease.epoch + 1, previousHolder: lease.holder });
    await expect(
      writeFenced({ holder: lease.holder!, epoch: lease.epoch }, 'written under a lost lease'),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await ask(a, lease.epoch)).toBeNull();
    expect(await eventCount()).toBe(before + 1);
    expect(await prisma.event.count({ where: { message: 'written under a lost lease' } })).toBe(0);
  });

  it('refuses fenced writes once the lease has expired, even to its holder', async () => {
    const lease = await leases.findLease();
    await expireLease();
    await expect(writeFenced({ holder: lease.holder!, epoch: lease.epoch }, 'late')).rejects.toBeInstanceOf(
      LeaseLostError,
    );
  });

  it('with automatic failover disabled, nobody takes over a silent primary, but it reclaims its own lease after a restart', async () => {
    const service = await component('restarting');
    const someoneElse = await component('someone-else');
    await expireLease();
    const grant = await ask(service, null);
    await expireLease();
    expect(await ask(someoneElse, null, { automaticFailover: false })).toBeNull();
    // The same component after a restart knows no epoch: it takes its lease back under a new one.
    expect(await ask(service, null, { automaticFailover: false })).toMatchObject({
      epoch: grant!.epoch + 1,
      previousHolder: service.id,
    });
    // A holder that no longer exists (removed by an administrator) does not block the cluster forever.
    await prisma.component.delete({ where: { id: service.id } });
    expect(await ask(someoneElse, null, { automaticFailover: false })).toMatchObject({
      epoch: grant!.epoch + 2,
    });
  });

  it('releases on a clean shutdown so that a backup takes over at once', async () => {
    const lease = await leases.findLease();
    await leases.release({ holder: lease.holder!, epoch: lease.epoch });
    const next = await component('next');
    expect(await ask(next, null)).toMatchObject({
      epoch: lease.epoch + 1,
      previousHolder: lease.holder,
    });
  });
});

describe.each(databaseKinds())('the health checker on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  const clock = new AdvancingClock();

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'primary-node' }, clock });
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  const events = async (limit = 50) =>
    (await request(node.http).get(`/api/cluster/events?limit=${limit}`).set('X-ApiKey', API_KEY).expect(200))
      .body as {
      kind: string;
      serverName: string | null;
      componentType: string | null;
      epoch: number | null;
      message: string;
    }[];
  const tick = () => node.app.get(HeartbeatScheduler).tick();

  it('records the first primary and every registered component, stamped with the primary epoch', async () => {
    const history = await events();
    expect(history.map((event) => event.kind).sort()).toEqual([
      'component-registered',
      'component-registered',
      'primary-changed',
    ]);
    const first = await firstEpoch(node.app.get(PrismaService));
    expect(history.every((event) => event.epoch === first)).toBe(true);
    expect(history.find((event) => event.kind === 'primary-changed')!.message).toBe(
      `primary-node became primary (epoch ${first}; first primary of the cluster)`,
    );
  });

  it('records a new component, a key mismatch, staleness and recovery once each', async () => {
    await seedServer(node, {
      name: 'odd-node',
      keys: randomKeys(),
      components: [{ type: 'web', heartbeatAgoMs: 0 }],
    });
    await seedServer(node, {
      name: 'quiet-node',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 0 }],
    });
    await tick();
    await tick();
    const prisma = node.app.get(PrismaService).client;
    const quiet = await prisma.component.findFirstOrThrow({ where: { server: { name: 'quiet-node' } } });
    await prisma.component.update({ where: { id: quiet.id }, data: { lastHeartbeatAtMs: 0n } });
    await tick();
    await tick();
    const nowMs = await node.app.get(ClusterRepository).databaseNowMs();
    await prisma.component.update({ where: { id: quiet.id }, data: { lastHeartbeatAtMs: BigInt(nowMs) } });
    await tick();

    const recent = (await events()).filter((event) => event.serverName !== 'primary-node').reverse();
    expect(recent.map((event) => [event.serverName, event.kind])).toEqual([
      ['odd-node', 'component-registered'],
      ['odd-node', 'verification-failed'],
      ['quiet-node', 'component-registered'],
      ['quiet-node', 'component-stale'],
      ['quiet-node', 'component-recovered'],
    ]);
    expect(recent[1].message).toBe(
      "odd-node: web component fails verification of its encryption key and machine key against the primary's keys",
    );
    expect(recent[3].message).toBe('quiet-node: service component became stale (no heartbeat for 1 minute)');
    const first = await firstEpoch(node.app.get(PrismaService));
    expect(recent.every((event) => event.epoch === first)).toBe(true);
  });

  it('shows the history newest first on its page, with the last few on the overview', async () => {
    const agent = await signedInAgent(node);
    const page = await agent.get('/administration/cluster/events').expect(200);
    const kinds = [...page.text.matchAll(/data-event-kind="([^"]+)"/g)].map((match) => match[1]);
    expect(kinds.slice(0, 2)).toEqual(['component-recovered', 'component-stale']);
    expect(page.text).toContain(`primary, epoch ${await firstEpoch(node.app.get(PrismaService))}`);
    const overview = await agent.get('/administration/cluster').expect(200);
    expect([...overview.text.matchAll(/data-event-kind=/g)]).toHaveLength(5);
    await agent.get('/administration/cluster/events?page=0').expect(400);
    await agent.get('/administration/cluster/events?page=abc').expect(400);
  });

  it('filters the history by server, component and kind, and keeps the filter across pages', async () => {
    const agent = await signedInAgent(node);
    const kindsOf = (html: string) =>
      [...html.matchAll(/data-event-kind="([^"]+)"/g)].map((match) => match[1]);
    const stale = await agent.get('/administration/cluster/events?kind=component-stale').expect(200);
    expect(kindsOf(stale.text).length).toBeGreaterThan(0);
    expect(new Set(kindsOf(stale.text))).toEqual(new Set(['component-stale']));
    expect(stale.text).toContain('<option value="component-stale" selected>');
    const quiet = await agent
      .get('/administration/cluster/events?server=quiet-node&component=service&kind=')
      .expect(200);
    expect(kindsOf(quiet.text).length).toBeGreaterThan(0);
    expect(quiet.text).not.toContain('<td>e2e-node');
    expect(
      [...quiet.text.matchAll(/<td>([^<]*)<\/td>/g)]
        .map((m) => m[1])
        .filter((t) => t.includes(': '))
        .every((t) => t.startsWith('quiet-node')),
    ).toBe(true);
    const none = await agent.get('/administration/cluster/events?server=nobody').expect(200);
    expect(none.text).toContain('0 matching events');
    await agent.get('/administration/cluster/events?kind=explosion').expect(400);
    await agent.get('/administration/cluster/events?component=database').expect(400);
  });

  it('removes events older than the retention period, at most once a minute', async () => {
    const prisma = node.app.get(PrismaService).client;
    const old = await prisma.event.create({
      data: { occurredAtMs: 1_000n, kind: 'component-stale', message: 'from long ago' },
    });
    await tick();
    expect(await prisma.event.findUnique({ where: { id: old.id } })).not.toBeNull();
    clock.offsetMs += 60_000;
    await tick();
    expect(await prisma.event.findUnique({ where: { id: old.id } })).toBeNull();
    expect(await prisma.event.count()).toBeGreaterThan(0);
  });

  it('answers the events API with a bounded, validated limit', async () => {
    expect(await events(2)).toHaveLength(2);
    for (const bad of ['0', '501', 'x', '1.5']) {
      const { body } = await request(node.http)
        .get(`/api/cluster/events?limit=${bad}`)
        .set('X-ApiKey', API_KEY)
        .expect(400);
      expect(body.message).toContain('limit');
    }
  });

  it('at rest, checks with its one read and writes nothing: no transaction, no fenced write', async () => {
    const prisma = node.app.get(PrismaService);
    const checker = node.app.get(HealthCheckerService);
    const fence = node.app.get(FailoverService).fence()!;
    await checker.run(fence, null); // whatever was left to record, and a first pruning of the history
    const lease = await prisma.client.lease.findUniqueOrThrow({ where: { role: 'service' } });
    const eventsBefore = await prisma.client.event.count();
    const read = prisma.statementsRun;
    await checker.run(fence, null);
    expect(prisma.statementsRun - read).toBe(1);
    expect(await prisma.client.event.count()).toBe(eventsBefore);
    expect(await prisma.client.lease.findUniqueOrThrow({ where: { role: 'service' } })).toEqual(lease);
    // A change is still recorded at the next check, fenced as ever.
    await seedServer(node, {
      name: 'late-node',
      keys: node.keys,
      components: [{ type: 'web', heartbeatAgoMs: 0 }],
    });
    await checker.run(fence, null);
    expect(await prisma.client.event.count()).toBe(eventsBefore + 1);
  });

  it('judges nobody in a period whose own heartbeat failed though its lease renewed, then judges from the recorded outage, which revives no node stopped before it', async () => {
    // The database came back between this node's heartbeat and its lease renewal (seen under load in CI):
    // the check that followed called every node stale by heartbeats nobody could write. Here the database
    // refuses this node's heartbeat and nothing else, by a trigger on the one column a heartbeat writes.
    const prisma = node.app.get(PrismaService).client;
    await seedServer(node, {
      name: 'outage-node',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 0 }],
    });
    // And one that had stopped ten minutes before: stale already, and no outage makes it live again.
    await seedServer(node, {
      name: 'gone-node',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 600_000 }],
    });
    await tick();
    const of = async (name: string) =>
      (await events()).filter((event) => event.serverName === name).map((event) => event.kind);
    expect(await of('outage-node')).toEqual(['component-registered']);
    expect(await of('gone-node')).toEqual(['component-registered']);
    const outagesBefore = await prisma.databaseOutage.count();
    // Its last heartbeat, just before the database went away, is older than the stale timeout (60 s) now.
    const quiet = await prisma.component.findFirstOrThrow({ where: { server: { name: 'outage-node' } } });
    const nowMs = await node.app.get(ClusterRepository).databaseNowMs();
    await prisma.component.update({
      where: { id: quiet.id },
      data: { lastHeartbeatAtMs: BigInt(nowMs - 61_000) },
    });
    const refuse =
      kind === 'sqlite'
        ? [
            `CREATE TRIGGER refuse_heartbeats BEFORE UPDATE OF last_heartbeat_at_ms ON components
             BEGIN SELECT RAISE(ABORT, 'heartbeat refused by the test'); END`,
          ]
        : [
            `CREATE FUNCTION refuse_heartbeats() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'heartbeat refused by the test'; END $$`,
            `CREATE TRIGGER refuse_heartbeats BEFORE UPDATE OF last_heartbeat_at_ms ON components
             FOR EACH ROW EXECUTE FUNCTION refuse_heartbeats()`,
          ];
    for (const statement of refuse) await prisma.$executeRawUnsafe(statement);
    const heartbeats = node.app.get(HeartbeatService);
    try {
      await tick();
      expect(heartbeats.outageUnsettled()).toBe(true);
      expect(node.app.get(FailoverService).isPrimary()).toBe(true);
      expect(await of('outage-node')).toEqual(['component-registered']);
    } finally {
      await prisma.$executeRawUnsafe(
        'DROP TRIGGER refuse_heartbeats' + (kind === 'sqlite' ? '' : ' ON components'),
      );
      if (kind !== 'sqlite') await prisma.$executeRawUnsafe('DROP FUNCTION refuse_heartbeats()');
    }
    // Back after more than two heartbeat periods (10 s each): the outage is recorded and judged from.
    clock.offsetMs += 25_000;
    await tick();
    expect(heartbeats.outageUnsettled()).toBe(false);
    // (Its event waits while a node of 1.0.0, outage-node, is live: see EVENT_KIND_SINCE.)
    const outages = await prisma.databaseOutage.findMany({ orderBy: { endedAtMs: 'desc' } });
    expect(outages).toHaveLength(outagesBefore + 1);
    expect(Number(outages[0].endedAtMs - outages[0].beganAtMs)).toBeGreaterThanOrEqual(25_000);
    expect(await of('outage-node')).toEqual(['component-registered']);
    expect(await of('gone-node')).toEqual(['component-registered']);
    const judged = (await node.app.get(ClusterService).evaluate('checks')).components;
    const heartbeatOf = (name: string) => judged.find((c) => c.server.name === name)!.checks.heartbeat;
    expect([heartbeatOf('outage-node'), heartbeatOf('gone-node')]).toEqual(['ok', 'stale']);
  });
});
