import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { LeaseRepository } from '../../src/modules/failover/lease.repository';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import { seedServer } from '../support/seed';
import { API_KEY, csrfTokenIn, randomKeys, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

describe.each(databaseKinds())('draining a service component on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  let agent: Agent;
  let own: { service: string; web: string };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' } });
    agent = await signedInAgent(node);
    const rows = await prisma().component.findMany({ where: { server: { name: 'node-a' } } });
    own = {
      service: rows.find((row) => row.type === 'service')!.id,
      web: rows.find((row) => row.type === 'web')!.id,
    };
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  const prisma = () => node.app.get(PrismaService).client;
  const api = (path: string, body?: object) => {
    const call = request(node.http).post(`/api/cluster/components/${path}`).set('X-ApiKey', API_KEY);
    return body === undefined ? call : call.send(body);
  };
  const componentReport = async (id: string) => {
    const { body } = await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
    return body.servers
      .flatMap((server: { components: { id: string }[] }) => server.components)
      .find((component: { id: string }) => component.id === id);
  };
  const events = async (kinds: string[]) =>
    prisma().event.findMany({ where: { kind: { in: kinds } }, orderBy: { id: 'asc' } });
  const lease = () => node.app.get(LeaseRepository).findLease();
  const tick = () => node.app.get(HeartbeatScheduler).tick();
  const databaseNowMs = () => node.app.get(PrismaService).databaseNowMs();
  /** node-b's service component heartbeats now (it is a live backup), or went silent long ago. */
  const nodeBHeartbeat = async (live: boolean) =>
    prisma().component.updateMany({
      where: { server: { name: 'node-b' } },
      data: { lastHeartbeatAtMs: live ? BigInt(await databaseNowMs()) : 0n },
    });

  it('refuses what cannot be drained, with a clear message, and changes nothing', async () => {
    expect((await lease()).holder).toBe(own.service);
    const web = await api(`${own.web}/drain`).expect(409);
    expect(web.body.message).toContain('Only a service component can be drained');
    await api('00000000-0000-4000-8000-000000000000/drain').expect(404);
    await api('not-an-id/resume').expect(404);
    const typed = await api(`${own.service}/drain`, { confirmLastEligible: 'yes' }).expect(400);
    expect(typed.body.message).toContain('confirmLastEligible must be true or false');
    const unknown = await api(`${own.service}/drain`, { force: true }).expect(400);
    expect(unknown.body.message).toContain('force');
    // The only service component is the last eligible one: it takes an explicit second confirmation.
    const last = await api(`${own.service}/drain`).expect(409);
    expect(last.body.message).toContain('"confirmLastEligible": true');
    expect((await componentReport(own.service)).drained).toBeNull();
    expect(await events(['component-drained'])).toHaveLength(0);
  });

  it('drains the last eligible primary when confirmed: it keeps the lease and the page says why', async () => {
    const { body } = await api(`${own.service}/drain`, { confirmLastEligible: true }).expect(200);
    expect(body).toMatchObject({ id: own.service, serverName: 'node-a', changed: true, role: 'primary' });
    expect(body.drained.by).toBe('API key');
    expect(body.message).toContain('keeps the lease, because no live eligible backup can take over');
    await tick();
    const held = await lease();
    expect(held.holder).toBe(own.service);
    expect(held.expiresAtMs).toBeGreaterThan(0);
    const report = await componentReport(own.service);
    expect(report).toMatchObject({ role: 'primary', drained: { by: 'API key' } });
    const page = await agent.get('/administration/cluster').expect(200);
    expect(page.text).toContain('keeps the lease: no live eligible backup to hand over to');
    expect(page.text).toContain('Resume the service component of node-a');
    const [event] = await events(['component-drained']);
    expect(event).toMatchObject({ actor: 'API key', serverName: 'node-a', componentId: own.service });
    expect(event.message).toContain('it stays primary until an eligible backup runs');
  });

  it('hands the lease over at the next heartbeat once a live eligible backup runs, and never takes it back', async () => {
    await seedServer(node, {
      name: 'node-b',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 0 }],
    });
    const backup = await prisma().component.findFirstOrThrow({ where: { server: { name: 'node-b' } } });
    await prisma().component.update({ where: { id: backup.id }, data: { instanceId: 'process-b' } });
    expect(await componentReport(backup.id)).toMatchObject({ role: 'backup' });
    const before = await lease();
    await tick();
    expect((await lease()).expiresAtMs).toBeLessThanOrEqual(await databaseNowMs());
    const grant = await node.app.get(LeaseRepository).renewOrAcquire({
      holder: backup.id,
      instanceId: 'process-b',
      myEpoch: null,
      timeoutMs: 60_000,
      automaticFailover: true,
      mayAcquire: true,
    });
    expect(grant).toEqual({
      epoch: before.epoch + 1,
      previousHolder: own.service,
      previousEpoch: before.epoch,
    });
    // The lease expires again: the drained node, whatever it asks, does not take it.
    await prisma().lease.update({ where: { role: 'service' }, data: { expiresAtMs: 0n } });
    await tick();
    expect((await lease()).holder).toBe(backup.id);
    expect(await componentReport(own.service)).toMatchObject({ role: 'drained' });
  });

  it('resumes: it may become primary again, and a second resume changes nothing', async () => {
    const { body } = await api(`${own.service}/resume`).expect(200);
    expect(body).toMatchObject({ changed: true, drained: null, role: 'backup' });
    expect((await api(`${own.service}/resume`).expect(200)).body).toMatchObject({ changed: false });
    await tick();
    expect((await lease()).holder).toBe(own.service);
    expect(await events(['component-resumed'])).toHaveLength(1);
  });

  it('ends the lease of a drained primary at once when a backup is live, and records each drain once', async () => {
    await nodeBHeartbeat(true);
    const epoch = (await lease()).epoch;
    const { body } = await api(`${own.service}/drain`).expect(200);
    expect(body).toMatchObject({ changed: true, role: 'drained' });
    expect(body.message).toContain('its lease ends now, and a backup takes over at its next heartbeat');
    const ended = await lease();
    // Revoked: a new epoch, so that nothing the old primary still tries under its epoch is accepted.
    expect(ended).toMatchObject({ holder: own.service, epoch: epoch + 1 });
    expect(ended.expiresAtMs).toBeLessThanOrEqual(await databaseNowMs());
    // Its next heartbeat does not renew what it no longer holds, nor take it back.
    await tick();
    expect(await lease()).toEqual(ended);
    expect((await api(`${own.service}/drain`).expect(200)).body).toMatchObject({ changed: false });
    expect(await events(['component-drained'])).toHaveLength(2);
  });

  it('takes back its own lease when no backup took it for a whole stale timeout, and says why it stays', async () => {
    // The backup went silent before taking over (it was never a real process here).
    await nodeBHeartbeat(false);
    const ended = await lease();
    await tick();
    expect((await lease()).epoch).toBe(ended.epoch);
    // A whole stale timeout (60 s by default) passes without a taker.
    await prisma().lease.update({
      where: { role: 'service' },
      data: { expiresAtMs: BigInt((await databaseNowMs()) - 60_001) },
    });
    await tick();
    expect(await lease()).toMatchObject({ holder: own.service, epoch: ended.epoch + 1 });
    expect(await componentReport(own.service)).toMatchObject({ role: 'primary', drained: { by: 'API key' } });
    const page = await agent.get('/administration/cluster').expect(200);
    expect(page.text).toContain('keeps the lease: no live eligible backup to hand over to');
    await api(`${own.service}/resume`).expect(200);
  });

  it('decides two drains at once one after the other: they cannot both take the last backup away', async () => {
    await nodeBHeartbeat(true);
    const b = await prisma().component.findFirstOrThrow({ where: { server: { name: 'node-b' } } });
    const answers = await Promise.all([api(`${own.service}/drain`), api(`${b.id}/drain`)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const refused = answers.find((answer) => answer.status === 409)!;
    expect(refused.body.message).toContain('is the last eligible one');
    const drained = await prisma().component.count({
      where: { type: 'service', drainedAtMs: { not: null } },
    });
    expect(drained).toBe(1);
    for (const id of [own.service, b.id]) await api(`${id}/resume`).expect(200);
    await tick();
    expect((await lease()).holder).toBe(own.service);
  });

  it('drains through the page with a confirmation, and a second one for the last eligible component', async () => {
    // node-b goes stale: node-a's service component is the last eligible one again.
    await prisma().component.updateMany({
      where: { server: { name: 'node-b' } },
      data: { lastHeartbeatAtMs: 0n },
    });
    await tick();
    const confirm = await agent.get(`/administration/cluster/components/${own.service}/drain`).expect(200);
    expect(confirm.text).toContain('It is the last eligible service component');
    expect(confirm.text).toContain('name="confirmLastEligible"');
    const csrf = csrfTokenIn(confirm.text);
    const path = `/administration/cluster/components/${own.service}/drain`;
    const unconfirmed = await agent.post(path).type('form').send({ _csrf: csrf }).expect(400);
    expect(unconfirmed.text).toContain('Confirm the drain with the button below.');
    const noBox = await agent.post(path).type('form').send({ _csrf: csrf, confirm: 'yes' }).expect(400);
    expect(noBox.text).toContain('Tick the box to confirm draining the last eligible service component.');
    expect((await componentReport(own.service)).drained).toBeNull();
    await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrf, confirm: 'yes', confirmLastEligible: 'yes' })
      .expect(303)
      .expect('Location', '/administration/cluster');
    const page = await agent.get('/administration/cluster').expect(200);
    expect(page.text).toContain('Drained the service component of node-a.');
    expect((await componentReport(own.service)).drained.by).toBe('Admin');
    await agent
      .post(`/administration/cluster/components/${own.service}/resume`)
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text) })
      .expect(303);
    expect((await componentReport(own.service)).drained).toBeNull();
    const [resumed] = (await events(['component-resumed'])).slice(-1);
    expect(resumed.actor).toBe('Admin');
    // A web component has no drain page.
    await agent.get(`/administration/cluster/components/${own.web}/drain`).expect(409);
  });

  it('shows a drained backup as drained, by whom, and never as a backup', async () => {
    await seedServer(node, {
      name: 'node-c',
      keys: randomKeys(),
      components: [{ type: 'service', heartbeatAgoMs: 0 }],
    });
    const c = await prisma().component.findFirstOrThrow({ where: { server: { name: 'node-c' } } });
    await api(`${c.id}/drain`).expect(200);
    const { body } = await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
    expect(body.configuration.backupServers).not.toContain('node-c');
    expect(await componentReport(c.id)).toMatchObject({ role: 'drained', drained: { by: 'API key' } });
    const page = await agent.get('/administration/cluster').expect(200);
    expect(page.text).toMatch(/data-server="node-c"[\s\S]*?Drained<\/span><span class="aside">: by API key/);
  });
});
