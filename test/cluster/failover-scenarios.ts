import { createHmac, randomBytes } from 'node:crypto';
import type { PrismaService } from '../../src/modules/database/prisma.service';
import { firstEpoch, openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { fencedEventEpochs, isNonDecreasing, LeaseWatcher } from '../support/lease-watcher';
import { ClusterNode, eventually } from '../support/node-process';
import { WebhookReceiver } from '../support/webhook-receiver';
import type { DatabaseKind } from '../../src/modules/environment/app-config';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const H_S = 1;
const T_S = 3;
const SLACK_MS = 3_000;
const API_KEY = 'failover-test-api-key-01';
const WEBHOOK_SECRET = 'failover-webhook-secret-01';
const WEBHOOK_KINDS = ['primary-changed', 'settings-changed', 'component-drained', 'component-resumed'];

/**
 * The failover process tests (simultaneous start, steady run, clean shutdown, kill -9, SIGSTOP) with real
 * nodes, a one-second heartbeat and a
 * three-second stale timeout. Every assertion is on what the database committed. One file per database
 * kind (failover-<kind>.cluster-spec.ts), so that `npm test` can run the two, each a minute of steady run
 * at least, side by side.
 */
export function describeFailover(kind: DatabaseKind): void {
  describe(`failover between real nodes on ${kind}`, () => {
    jest.setTimeout(120_000);
    let database: TestDatabase;
    let prisma: PrismaService;
    let watcher: LeaseWatcher;
    const receiver = new WebhookReceiver();
    const nodes = new Map<string, ClusterNode>();
    const keys = {
      encryptionKey: randomBytes(32).toString('hex'),
      machineKey: randomBytes(32).toString('hex'),
    };
    const measured: Record<string, number> = {};

    const start = (name: string) =>
      ClusterNode.start({
        name,
        databaseUrl: database.url,
        ...keys,
        env: { API_KEY, LOG_LEVEL: 'info' },
      }).then((node) => {
        nodes.set(name, node);
        return node;
      });

    /** The node whose service component holds the lease, by the database. */
    const primaryNode = async (): Promise<ClusterNode> => {
      const lease = await watcher.observe();
      const component = await prisma.client.component.findUniqueOrThrow({
        where: { id: lease.holder! },
        include: { server: true },
      });
      return nodes.get(component.server.name)!;
    };

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      prisma = await openDatabase(database.url);
      await useFastHeartbeats(prisma, H_S, T_S);
      watcher = new LeaseWatcher(prisma);
      watcher.start();
    });

    afterAll(async () => {
      await receiver.stop();
      await watcher?.stop();
      await Promise.all([...nodes.values()].map((node) => node.stop('SIGKILL')));
      await prisma?.onApplicationShutdown();
      await database?.drop();
      process.stdout.write(`failover on ${kind} (H = ${H_S} s, T = ${T_S} s): ${JSON.stringify(measured)}\n`);
    });

    it('elects exactly one primary when all service components start at the same moment', async () => {
      await Promise.all(['node-1', 'node-2', 'node-3'].map(start));
      const lease = await watcher.observe();
      expect(lease.epoch).toBe(await firstEpoch(prisma));
      expect(lease.holder).not.toBeNull();
      expect(await prisma.client.event.count({ where: { kind: 'primary-changed' } })).toBe(1);
      // A webhook endpoint in this test process: every later change of primary is sent to it by the primary.
      const answer = await fetch(`${nodes.get('node-2')!.url}/api/cluster/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-ApiKey': API_KEY },
        body: JSON.stringify({
          name: 'test receiver',
          url: `${await receiver.start()}/events`,
          secret: WEBHOOK_SECRET,
          events: WEBHOOK_KINDS,
        }),
      });
      expect(answer.status).toBe(201);
    });

    it(`keeps the same primary through a steady run of ${20 * T_S} seconds`, async () => {
      const before = await watcher.observe();
      const from = watcher.observations.length;
      await new Promise((resolve) => setTimeout(resolve, 20 * T_S * 1000));
      const during = watcher.observations.slice(from);
      expect(during.length).toBeGreaterThan(100);
      expect(new Set(during.map((seen) => `${seen.holder}@${seen.epoch}`))).toEqual(
        new Set([`${before.holder}@${before.epoch}`]),
      );
    });

    it('follows a settings change on every node within a heartbeat, without a restart', async () => {
      const anyNode = nodes.get('node-1')!;
      const put = (body: object) =>
        fetch(`${anyNode.url}/api/cluster/settings`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', 'X-ApiKey': API_KEY },
          body: JSON.stringify(body),
        });
      expect((await put({ heartbeatFrequencySeconds: 2, staleTimeoutSeconds: 12 })).status).toBe(200);
      // Within one old heartbeat every node ticks once more, reads the change and spaces its heartbeats 2 s apart.
      await new Promise((resolve) => setTimeout(resolve, (H_S + 1) * 1000));
      const samples = new Map<string, number[]>();
      const deadline = Date.now() + 7_000;
      while (Date.now() < deadline) {
        for (const component of await prisma.client.component.findMany({
          where: { type: 'service' },
          include: { server: true },
        })) {
          const seen = samples.get(component.server.name) ?? [];
          const at = Number(component.lastHeartbeatAtMs);
          if (seen[seen.length - 1] !== at) seen.push(at);
          samples.set(component.server.name, seen);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const [name, beats] of samples) {
        const gaps = beats.slice(1).map((at, index) => at - beats[index]);
        expect([name, gaps.length >= 2]).toEqual([name, true]);
        expect([name, Math.min(...gaps) > 1_500]).toEqual([name, true]);
      }
      // The primary's lease now runs for the new stale timeout.
      const lease = await watcher.observe();
      const nowMs = Number(
        (
          await prisma.client.$queryRawUnsafe<{ now_ms: bigint }[]>(
            kind === 'sqlite'
              ? `SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS now_ms`
              : `SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now_ms`,
          )
        )[0].now_ms,
      );
      expect(lease.expiresAtMs - nowMs).toBeGreaterThan(T_S * 1000);
      expect((await put({ heartbeatFrequencySeconds: H_S, staleTimeoutSeconds: T_S })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    });

    it('hands over within about one heartbeat when the primary shuts down cleanly', async () => {
      const primary = await primaryNode();
      const { epoch } = await watcher.observe();
      const stoppedAt = Date.now();
      await primary.stop('SIGTERM');
      const next = await watcher.waitForEpochAbove(epoch, H_S * 1000 + SLACK_MS);
      measured.cleanShutdownMs = next.atMs - stoppedAt;
      expect(next.epoch).toBe(epoch + 1);
      expect(primary.output()).toContain('released the primary lease');
      await start(primary.name);
    });

    it('replaces a primary killed with SIGKILL within the stale timeout plus a heartbeat', async () => {
      const primary = await primaryNode();
      const { epoch } = await watcher.observe();
      const killedAt = Date.now();
      await primary.stop('SIGKILL');
      const next = await watcher.waitForEpochAbove(epoch, (T_S + H_S) * 1000 + SLACK_MS);
      measured.crashMs = next.atMs - killedAt;
      expect(next.epoch).toBe(epoch + 1);
      expect((await primaryNode()).name).not.toBe(primary.name);
      await start(primary.name);
    });

    it('fences out a primary paused for longer than the stale timeout, which steps down once resumed', async () => {
      const primary = await primaryNode();
      const { epoch } = await watcher.observe();
      primary.pause();
      const pausedAt = Date.now();
      const next = await watcher.waitForEpochAbove(epoch, (T_S + H_S) * 1000 + SLACK_MS);
      measured.pausedPrimaryReplacedMs = next.atMs - pausedAt;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, (T_S + 2 * H_S) * 1000 - (Date.now() - pausedAt))),
      );
      const printedBefore = primary.output().length;
      primary.resume();
      const resumedAt = Date.now();
      await eventually(
        async () => primary.output().slice(printedBefore).includes('stepped down as primary'),
        H_S * 1000 + SLACK_MS,
        20,
      );
      measured.resumedStepDownMs = Date.now() - resumedAt;
      // It did not take the lease back: the backup's epoch stands.
      await new Promise((resolve) => setTimeout(resolve, 2 * H_S * 1000));
      const after = await watcher.observe();
      expect(after.epoch).toBe(next.epoch);
      expect(after.holder).toBe(next.holder);
    });

    it('hands over within a heartbeat and a second when the primary is drained, and never takes the lease back until resumed', async () => {
      const drained = await primaryNode();
      const { epoch, holder } = await watcher.observe();
      const post = (action: 'drain' | 'resume') =>
        fetch(`${drained.url}/api/cluster/components/${holder}/${action}`, {
          method: 'POST',
          headers: { 'X-ApiKey': API_KEY },
        });
      const drainedAt = Date.now();
      expect((await post('drain')).status).toBe(200);
      // The drain revokes the lease under a new epoch (still naming the drained holder); then a backup takes it.
      let next = await watcher.waitForEpochAbove(epoch, (H_S + 1) * 1000 + SLACK_MS);
      await eventually(
        async () => (next = await watcher.observe()).holder !== holder,
        (H_S + 1) * 1000 + SLACK_MS,
        20,
      );
      measured.drainHandOverMs = next.atMs - drainedAt;
      expect(measured.drainHandOverMs).toBeLessThanOrEqual((H_S + 1) * 1000);
      // The new primary stops cleanly: the lease is free, and the third node takes it, not the drained one.
      const from = watcher.observations.length;
      const successor = await primaryNode();
      await successor.stop('SIGTERM');
      const third = await watcher.waitForEpochAbove(next.epoch, H_S * 1000 + SLACK_MS);
      expect(third.holder).not.toBe(holder);
      await start(successor.name);
      await new Promise((resolve) => setTimeout(resolve, 2 * H_S * 1000));
      expect(watcher.observations.slice(from).filter((seen) => seen.holder === holder)).toEqual([]);
      expect(drained.output()).toContain('stepped down as primary');
      expect((await post('resume')).status).toBe(200);
      const kinds = await prisma.client.event.findMany({
        where: { componentId: holder!, kind: { in: ['component-drained', 'component-resumed'] } },
        orderBy: { id: 'asc' },
      });
      expect(kinds.map((event) => event.kind)).toEqual(['component-drained', 'component-resumed']);
    });

    it('sent every event an endpoint asked for through every failover, each signed, none lost', async () => {
      const [webhook] = await prisma.client.webhook.findMany();
      const expected = await prisma.client.event.findMany({
        where: { kind: { in: WEBHOOK_KINDS }, occurredAtMs: { gte: webhook.createdAtMs } },
      });
      expect(expected.length).toBeGreaterThanOrEqual(6);
      const keyOf = (eventId: bigint) => `${webhook.id}:${eventId}`;
      await eventually(async () => {
        const keys = new Set(receiver.received.map((got) => JSON.parse(got.body).idempotencyKey));
        return expected.every((event) => keys.has(keyOf(event.id)));
      }, 10_000);
      for (const got of receiver.received) {
        expect(got.headers['x-signature']).toBe(
          `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(got.body).digest('hex')}`,
        );
      }
      await eventually(
        async () =>
          (await prisma.client.webhookDelivery.count({ where: { status: { not: 'delivered' } } })) === 0,
        5_000,
      );
      // At least once: a second copy only of a delivery a primary sent but could not record (it was paused).
      measured.webhookCopies = receiver.received.length;
      measured.webhookEvents = expected.length;
    });

    it('never had two holders for one epoch, and primaries wrote events under non-decreasing epochs', async () => {
      expect(watcher.violations()).toEqual([]);
      expect(watcher.distinctEpochs().length).toBeGreaterThanOrEqual(4);
      const epochs = await fencedEventEpochs(prisma);
      expect(epochs.length).toBeGreaterThan(0);
      expect(isNonDecreasing(epochs)).toBe(true);
      const changes = await prisma.client.event.findMany({
        where: { kind: 'primary-changed' },
        orderBy: { id: 'asc' },
      });
      expect(new Set(changes.map((event) => Number(event.epoch))).size).toBe(changes.length);
    });
  });
}
