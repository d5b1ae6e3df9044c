import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { NodeLifecycle } from '../../src/modules/environment/node-lifecycle';
import { LeaseRepository } from '../../src/modules/failover/lease.repository';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import { eventually } from '../support/node-process';
import { API_KEY, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

describe.each(databaseKinds())('readiness and liveness on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  it('answers liveness without touching the database, and readiness with it', async () => {
    expect((await request(node.http).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    expect((await request(node.http).get('/health').expect(200)).body).toMatchObject({
      status: 'ok',
      database: 'ok',
    });
  });

  it('shows how the node reaches its database: directly, which server, and the bounds in its transactions', async () => {
    const read = async () =>
      (await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200)).body.servers[0]
        .database;
    await eventually(async () => (await read()) !== null, 5_000, 50);
    const path = await read();
    if (kind === 'sqlite')
      return expect(path).toMatchObject({ kind: 'sqlite', route: 'direct', problem: null });
    expect(path).toMatchObject({
      kind: 'postgresql',
      route: 'direct',
      pooling: null,
      replica: false,
      lockTimeout: '2s',
      idleInTransactionTimeout: '2s',
      problem: null,
    });
    expect(path.systemIdentifier).toMatch(/^\d+$/);
    expect(path.timeline).toBeGreaterThanOrEqual(1);
    const page = await (await signedInAgent(node)).get('/administration/cluster').expect(200);
    expect(page.text).toContain('Database: direct; primary, system ');
  });

  it('from the moment it is stopping: readiness 503 "stopping", liveness 200, pages still served with Connection: close, and the primary role handed over', async () => {
    const agent = await signedInAgent(node);
    const leases = node.app.get(LeaseRepository);
    const held = await leases.findLease();
    expect(held.holder).not.toBeNull();
    node.app.get(NodeLifecycle).beginStopping();

    const health = await request(node.http).get('/health').expect(503);
    expect(health.body).toMatchObject({ status: 'stopping', database: 'ok' });
    expect(health.headers.connection).toBe('close');
    await request(node.http).get('/health/live').expect(200);
    const page = await agent.get('/administration/cluster').expect(200);
    expect(page.headers.connection).toBe('close');
    // The lease is released at once (it expires now, by the database's clock), not at exit: a backup takes
    // over at its next heartbeat.
    const prisma = node.app.get(PrismaService);
    await eventually(
      async () => (await leases.findLease()).expiresAtMs <= (await prisma.databaseNowMs()),
      5_000,
    );
    // And it does not take the lease back while stopping.
    await node.app.get(HeartbeatScheduler).tick();
    const after = await leases.findLease();
    expect(after).toMatchObject({ holder: held.holder, epoch: held.epoch });
    expect(after.expiresAtMs).toBeLessThanOrEqual(await prisma.databaseNowMs());
  });
});
