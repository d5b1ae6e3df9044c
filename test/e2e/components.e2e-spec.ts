import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import { seedServer } from '../support/seed';
import { API_KEY, csrfTokenIn, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

describe.each(databaseKinds())('managing components on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  let agent: Agent;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' } });
    agent = await signedInAgent(node);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  const prisma = () => node.app.get(PrismaService).client;
  const cluster = async () =>
    (await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200)).body;
  const lastEvent = async () =>
    (await request(node.http).get('/api/cluster/events?limit=1').set('X-ApiKey', API_KEY).expect(200))
      .body[0];
  const addForm = async () =>
    csrfTokenIn((await agent.get('/administration/cluster/components/add').expect(200)).text);
  const componentOf = async (serverName: string, type: string) =>
    prisma().component.findFirstOrThrow({ where: { server: { name: serverName }, type } });

  it('adds a component by hand through the form, marked as such, never heartbeating', async () => {
    const csrf = await addForm();
    await agent
      .post('/administration/cluster/components/add')
      .type('form')
      .send({
        _csrf: csrf,
        serverName: 'demo-1',
        os: 'Windows Server 2022',
        ipAddress: '10.20.0.1',
        type: 'service',
        version: '1.0.0',
      })
      .expect(303)
      .expect('Location', '/administration/cluster');
    const page = await agent.get('/administration/cluster').expect(200);
    expect(page.text).toContain('Added a service component to demo-1 by hand.');
    expect(page.text).toMatch(/data-server="demo-1"[\s\S]*added by hand/);
    const server = (await cluster()).servers.find((s: { name: string }) => s.name === 'demo-1');
    expect(server).toMatchObject({ os: 'Windows Server 2022', ipAddress: '10.20.0.1', status: 'warning' });
    expect(server.components[0]).toMatchObject({
      type: 'service',
      role: 'inactive',
      addedManually: true,
      lastHeartbeatAt: null,
      checks: { heartbeat: 'stale', version: 'ok', encryptionKey: 'ok', machineKey: null },
    });
    expect(await lastEvent()).toMatchObject({
      kind: 'component-added',
      actor: 'Admin',
      serverName: 'demo-1',
      epoch: null,
    });
    // The primary's health checker leaves it alone: it is not a node.
    const before = await prisma().event.count();
    await node.app.get(HeartbeatScheduler).tick();
    expect(await prisma().event.count()).toBe(before);
  });

  it('refuses a second component of the same type, and a server given another address, beside the field', async () => {
    const csrf = await addForm();
    const duplicate = await agent
      .post('/administration/cluster/components/add')
      .type('form')
      .send({
        _csrf: csrf,
        serverName: 'demo-1',
        os: 'Windows Server 2022',
        ipAddress: '10.20.0.1',
        type: 'service',
        version: '1.0.0',
      })
      .expect(409);
    expect(duplicate.text).toContain('id="type-error">server demo-1 already has a service component');
    expect(duplicate.text).toContain('value="service" checked');
    expect((await agent.get('/administration/cluster/components/add')).text).toContain('value="web" checked');
    const differs = await agent
      .post('/administration/cluster/components/add')
      .type('form')
      .send({
        _csrf: csrf,
        serverName: 'demo-1',
        os: 'Windows Server 2022',
        ipAddress: '10.20.0.9',
        type: 'web',
        version: '1.0.0',
      })
      .expect(409);
    expect(differs.text).toContain(
      'id="ipAddress-error">server demo-1 exists with IP address &quot;10.20.0.1&quot;',
    );
    expect(differs.text).toContain('value="10.20.0.9"');
    expect(await prisma().component.count({ where: { server: { name: 'demo-1' } } })).toBe(1);
  });

  it('asks for confirmation, saying what removal means, then removes and records who did it', async () => {
    const manual = await componentOf('demo-1', 'service');
    const confirmation = await agent
      .get(`/administration/cluster/components/${manual.id}/remove`)
      .expect(200);
    expect(confirmation.text).toContain('Remove the Service component of demo-1?');
    expect(confirmation.text).toContain(
      'It was added by hand and never sends a heartbeat: once removed, it does not come back.',
    );
    expect(confirmation.text).toContain(
      'It is the last component of demo-1, so the server leaves the list too.',
    );
    const csrf = csrfTokenIn(confirmation.text);
    const unconfirmed = await agent
      .post(`/administration/cluster/components/${manual.id}/remove`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(400);
    expect(unconfirmed.text).toContain('Confirm the removal with the button below.');
    expect(await prisma().component.count({ where: { id: manual.id } })).toBe(1);
    await agent
      .post(`/administration/cluster/components/${manual.id}/remove`)
      .type('form')
      .send({ _csrf: csrf, confirm: 'yes' })
      .expect(303);
    expect(await prisma().component.count({ where: { id: manual.id } })).toBe(0);
    expect(await prisma().server.count({ where: { name: 'demo-1' } })).toBe(0);
    expect(await lastEvent()).toMatchObject({
      kind: 'component-removed',
      actor: 'Admin',
      message: 'Admin removed the service component of demo-1 (its last: the server left the list)',
    });
    await agent.get(`/administration/cluster/components/${manual.id}/remove`).expect(404);
  });

  it("warns that removing a running node's primary leaves nobody to take over, and that the node comes back", async () => {
    const primary = await componentOf('node-a', 'service');
    const { text } = await agent.get(`/administration/cluster/components/${primary.id}/remove`).expect(200);
    expect(text).toContain(
      'Its node is still running: it registers again at its next heartbeat (within 10 seconds).',
    );
    expect(text).toContain(
      'It is the primary service component, and no other live service component can take over',
    );
    await agent
      .post(`/administration/cluster/components/${primary.id}/remove`)
      .type('form')
      .send({ _csrf: csrfTokenIn(text), confirm: 'yes' })
      .expect(303);
    const after = await agent.get('/administration/cluster').expect(200);
    expect(after.text).toContain(
      'Removed the service component of node-a. Its node is still running: it registers again',
    );
    // At its next heartbeat the running node registers its service component again.
    await node.app.get(HeartbeatScheduler).tick();
    const again = await componentOf('node-a', 'service');
    expect(again.id).not.toBe(primary.id);
  });

  it('says which backup is the last one', async () => {
    await seedServer(node, {
      name: 'node-b',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 0 }],
    });
    // The removal above ended the lease: at its next heartbeat node-a is primary again, under a new epoch.
    await node.app.get(HeartbeatScheduler).tick();
    const lease = await prisma().lease.findUniqueOrThrow({ where: { role: 'service' } });
    expect(lease.holder).toBe((await componentOf('node-a', 'service')).id);
    const backup = await componentOf('node-b', 'service');
    const { text } = await agent.get(`/administration/cluster/components/${backup.id}/remove`).expect(200);
    expect(text).toContain(
      'It is the last backup service component: the cluster is left with no backup until another runs.',
    );
    const primary = await agent.get(`/administration/cluster/components/${lease.holder}/remove`).expect(200);
    expect(primary.text).toContain(
      'It is the primary service component: its lease ends with it, and a backup takes over at its next heartbeat.',
    );
  });

  it('adds and removes through the API: 201, 204, then 404', async () => {
    const created = await request(node.http)
      .post('/api/cluster/components')
      .set('X-ApiKey', API_KEY)
      .send({
        serverName: 'api-demo',
        os: 'Linux',
        ipAddress: '2001:db8::7',
        type: 'web',
        version: '2.0.0-beta.1',
      })
      .expect(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      serverName: 'api-demo',
      type: 'web',
      addedManually: true,
    });
    expect(await lastEvent()).toMatchObject({ kind: 'component-added', actor: 'API key' });
    await request(node.http)
      .delete(`/api/cluster/components/${created.body.id}`)
      .set('X-ApiKey', API_KEY)
      .expect(204);
    expect(await lastEvent()).toMatchObject({ kind: 'component-removed', actor: 'API key' });
    const gone = await request(node.http)
      .delete(`/api/cluster/components/${created.body.id}`)
      .set('X-ApiKey', API_KEY)
      .expect(404);
    expect(gone.body.message).toContain('There is no component');
  });
});
