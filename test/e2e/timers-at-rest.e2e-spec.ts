import { SchedulerRegistry } from '@nestjs/schedule';
import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { FailoverService } from '../../src/modules/failover/failover.service';
import { eventually } from '../support/node-process';
import { API_KEY, randomKeys, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

/**
 * What keeps waking an idle node (issue 21: a timer that wakes an idle Node.js process costs about half a
 * millisecond of CPU each time on these machines). Between heartbeats a node reads the settings revision
 * only while its period is longer than a second, and only the primary looks for webhook deliveries every
 * second: these are the nodes' own schedulers, watched through each settings change and each change of
 * primary.
 */
describe.each(databaseKinds())('timers of an idle node on %s', (kind) => {
  jest.setTimeout(30_000);
  let database: TestDatabase;
  const nodes: TestApp[] = [];
  const keys = randomKeys();

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // The first node starts alone, so that it is the primary.
    for (const name of ['first', 'second']) {
      nodes.push(await startTestApp(database, { env: { CLUSTER_SERVER_NAME: name }, keys }));
    }
  });

  afterAll(async () => {
    for (const node of nodes) await node.close();
    await database?.drop();
  });

  const has = (node: TestApp, name: 'settings-follow' | 'webhook-dispatch') =>
    node.app.get(SchedulerRegistry).doesExist('interval', name);
  const setPeriod = async (heartbeatFrequencySeconds: number, staleTimeoutSeconds: number) =>
    request(nodes[0].http)
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ heartbeatFrequencySeconds, staleTimeoutSeconds })
      .expect(200);

  it('reads the revision between heartbeats only while the period is over a second, on every node, through each change', async () => {
    // The default period is 10 s: both nodes follow between heartbeats.
    expect(nodes.map((node) => has(node, 'settings-follow'))).toEqual([true, true]);
    await setPeriod(1, 3);
    // The second node hears of it between heartbeats, ticks, and from then on the heartbeat's answer
    // carries the revision: no timer of its own any more.
    await eventually(async () => nodes.every((node) => !has(node, 'settings-follow')), 10_000, 50);
    await setPeriod(5, 15);
    // Heard in the next heartbeat's answer (within about a second), and the timer is back.
    await eventually(async () => nodes.every((node) => has(node, 'settings-follow')), 10_000, 50);
    await setPeriod(1, 3);
    await eventually(async () => nodes.every((node) => !has(node, 'settings-follow')), 10_000, 50);
  });

  it('looks for webhook deliveries on the primary only, and moves that timer with the lease', async () => {
    const [first, second] = nodes;
    await setPeriod(1, 3);
    expect(first.app.get(FailoverService).isPrimary()).toBe(true);
    expect(has(first, 'webhook-dispatch')).toBe(true);
    expect(has(second, 'webhook-dispatch')).toBe(false);

    // An operator drains the first node's service component: it gives up the lease at once, and its next
    // pass, without a fence, stops its timer.
    const service = async (name: string) =>
      (
        await first.app
          .get(PrismaService)
          .client.component.findFirstOrThrow({ where: { type: 'service', server: { name } } })
      ).id;
    const api = (path: string) => request(first.http).post(path).set('X-ApiKey', API_KEY);
    await api(`/api/cluster/components/${await service('first')}/drain`).expect(200);
    await eventually(async () => !has(first, 'webhook-dispatch'), 10_000, 50);
    expect(first.app.get(FailoverService).isPrimary()).toBe(false);
    // The second node takes the lease at its next heartbeat, and its timer starts with it.
    await eventually(async () => has(second, 'webhook-dispatch'), 10_000, 50);
    expect(second.app.get(FailoverService).isPrimary()).toBe(true);
    await api(`/api/cluster/components/${await service('first')}/resume`).expect(200);
    expect(has(first, 'webhook-dispatch')).toBe(false);

    // A clean shutdown hands the lease back to the first node, whose timer starts with its takeover.
    await second.close();
    nodes.splice(1, 1);
    await eventually(async () => has(first, 'webhook-dispatch'), 10_000, 50);
    expect(first.app.get(FailoverService).isPrimary()).toBe(true);
  });
});
