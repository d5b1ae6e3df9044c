import { createHmac } from 'node:crypto';
import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { FailoverService } from '../../src/modules/failover/failover.service';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import { WebhookDispatcher } from '../../src/modules/notifications/webhook-dispatcher';
import { API_KEY, csrfTokenIn, randomKeys, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';
import { WebhookReceiver } from '../support/webhook-receiver';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

const SECRET = 'webhook-secret-0123456789';
const TOKEN_PATH = '/hooks/T0KEN-abc123?sig=private';

describe.each(databaseKinds())('webhook notifications on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  let agent: Agent;
  let receiver: WebhookReceiver;
  let base: string;
  let webhookId: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' } });
    // The test runs the dispatcher's passes itself, so that each step is deterministic.
    node.app.get(WebhookDispatcher).manualPasses();
    agent = await signedInAgent(node);
    receiver = new WebhookReceiver();
    base = await receiver.start();
  });

  afterAll(async () => {
    await receiver?.stop();
    await node?.close();
    await database?.drop();
  });

  const prisma = () => node.app.get(PrismaService).client;
  const api = () => request(node.http);
  const pass = () => node.app.get(WebhookDispatcher).runOnce();
  const list = async () =>
    (await api().get('/api/cluster/webhooks').set('X-ApiKey', API_KEY).expect(200)).body;
  let loadBalancing = false;
  /** A settings change: one "settings-changed" event. */
  const changeSettings = async () => {
    loadBalancing = !loadBalancing;
    await api().put('/api/cluster/settings').set('X-ApiKey', API_KEY).send({ loadBalancing }).expect(200);
  };
  const deliveries = () => prisma().webhookDelivery.findMany({ orderBy: { createdAtMs: 'asc' } });
  const received = (index: number) => {
    const got = receiver.received[index];
    return { ...got, json: JSON.parse(got.body) };
  };

  it('refuses bad endpoints with a message naming the field, and saves nothing', async () => {
    const good = { name: 'Pager', url: `${base}${TOKEN_PATH}`, secret: SECRET, events: ['settings-changed'] };
    const cases: [object, string][] = [
      [{ ...good, url: 'ftp://example.com/x' }, 'url must be an http:// or https:// address'],
      [{ ...good, url: 'not a url' }, 'url must be an http:// or https:// address'],
      [{ ...good, url: 'https://example.com/#x' }, 'url must not have a #fragment'],
      [{ ...good, url: 'https://user:pw@example.com/x' }, 'url must not contain a user name or password'],
      [{ ...good, url: `https://example.com/${'x'.repeat(2000)}` }, 'url must be at most 2000 characters'],
      [{ ...good, secret: 'short' }, 'secret must be at least 16 characters'],
      [{ ...good, events: [] }, 'events must name at least one kind of event'],
      [{ ...good, events: ['everything'] }, 'events must contain only these kinds'],
      [{ ...good, events: 'settings-changed' }, 'events must be a list of event kinds'],
      [{ ...good, name: '' }, 'name must not be empty'],
      [{ ...good, extra: 1 }, 'property extra should not exist'],
    ];
    for (const [body, message] of cases) {
      const answer = await api()
        .post('/api/cluster/webhooks')
        .set('X-ApiKey', API_KEY)
        .send(body)
        .expect(400);
      expect([JSON.stringify(body), answer.body.message]).toEqual([
        JSON.stringify(body),
        expect.stringContaining(message),
      ]);
    }
    expect(await list()).toEqual([]);
    expect(await prisma().webhook.count()).toBe(0);
  });

  it('stores the URL and secret encrypted and never shows them again in full', async () => {
    const answer = await api()
      .post('/api/cluster/webhooks')
      .set('X-ApiKey', API_KEY)
      .send({ name: 'Pager', url: `${base}${TOKEN_PATH}`, secret: SECRET, events: ['settings-changed'] })
      .expect(201);
    webhookId = answer.body.id;
    expect(answer.body).toMatchObject({
      name: 'Pager',
      url: `${base}/…`,
      decryptable: true,
      events: ['settings-changed'],
      createdBy: 'API key',
      recentDeliveries: [],
    });
    const row = await prisma().webhook.findUniqueOrThrow({ where: { id: webhookId } });
    const stored = JSON.stringify(row, (_key, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    for (const secret of [SECRET, 'T0KEN-abc123', '127.0.0.1']) expect(stored).not.toContain(secret);
    const listed = JSON.stringify(await list());
    const page = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    for (const text of [listed, page]) {
      expect(text).toContain(`${base}/…`);
      expect(text).not.toContain('T0KEN-abc123');
      expect(text).not.toContain(SECRET);
    }
    const [event] = await prisma().event.findMany({ where: { kind: 'webhook-added' } });
    expect(event.message).not.toContain('T0KEN');
  });

  it('sends each event of a kind asked for once, signed over the exact body, with an idempotency key', async () => {
    await changeSettings();
    // A kind the endpoint did not ask for is not sent.
    await api()
      .post('/api/cluster/components')
      .set('X-ApiKey', API_KEY)
      .send({ serverName: 'demo', os: 'Linux', ipAddress: '10.0.0.7', type: 'web', version: '1.0.0' })
      .expect(201);
    await pass();
    await pass();
    expect(receiver.received).toHaveLength(1);
    const got = received(0);
    expect(got.method).toBe('POST');
    expect(got.path).toBe(TOKEN_PATH);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(got.body).digest('hex')}`,
    );
    expect(got.json).toMatchObject({
      idempotencyKey: expect.stringContaining(webhookId),
      test: false,
      event: { kind: 'settings-changed', actor: 'API key', epoch: null },
      cluster: { sentBy: 'node-a' },
    });
    expect(got.headers['idempotency-key']).toBe(got.json.idempotencyKey);
    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204 });
    const [shown] = (await list())[0].recentDeliveries;
    expect(shown).toMatchObject({ kind: 'settings-changed', status: 'delivered', attempts: 1 });
  });

  it('retries a failed delivery with backoff, with the same idempotency key, until it is delivered', async () => {
    receiver.status = 500;
    await changeSettings();
    await pass();
    expect(receiver.received).toHaveLength(2);
    let delivery = (await deliveries()).at(-1)!;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500 });
    // The status and its standard name only: never the endpoint's own words (they may echo the URL's token).
    expect(delivery.lastError).toBe('HTTP 500 Internal Server Error');
    const waitMs = Number(delivery.nextAttemptAtMs! - delivery.lastAttemptAtMs!);
    expect(waitMs).toBe(10_000);
    // Not due yet: nothing is sent.
    await pass();
    expect(receiver.received).toHaveLength(2);
    // Ten seconds pass (by the database's clock, as the delivery sees it).
    await prisma().webhookDelivery.update({ where: { id: delivery.id }, data: { nextAttemptAtMs: 0n } });
    await pass();
    delivery = (await deliveries()).at(-1)!;
    expect(delivery).toMatchObject({ status: 'pending', attempts: 2 });
    expect(Number(delivery.nextAttemptAtMs! - delivery.lastAttemptAtMs!)).toBe(30_000);
    receiver.status = 204;
    await prisma().webhookDelivery.update({ where: { id: delivery.id }, data: { nextAttemptAtMs: 0n } });
    await pass();
    delivery = (await deliveries()).at(-1)!;
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 204 });
    const keys = receiver.received.slice(1).map((got) => JSON.parse(got.body).idempotencyKey);
    expect(keys).toEqual([delivery.id, delivery.id, delivery.id]);
    const page = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    expect(page).toContain('Delivered (HTTP 204)');
  });

  it('gives up once the next attempt would fall past an hour after the event was queued', async () => {
    receiver.status = 503;
    await changeSettings();
    const before = receiver.received.length;
    // Queue it, then pretend it was queued 59 minutes 55 seconds ago: the next wait (10 s) ends past the hour.
    await node.app.get(WebhookDispatcher).runOnce();
    const queued = (await deliveries()).at(-1)!;
    expect(queued).toMatchObject({ status: 'pending', attempts: 1 });
    await prisma().webhookDelivery.update({
      where: { id: queued.id },
      data: { createdAtMs: queued.createdAtMs - 3_595_000n, nextAttemptAtMs: 0n },
    });
    await pass();
    expect(receiver.received.length).toBe(before + 2);
    const byId = () => prisma().webhookDelivery.findUniqueOrThrow({ where: { id: queued.id } });
    expect(await byId()).toMatchObject({ status: 'failed', attempts: 2, nextAttemptAtMs: null });
    await prisma().webhookDelivery.update({ where: { id: queued.id }, data: { nextAttemptAtMs: 0n } });
    await pass();
    expect(receiver.received.length).toBe(before + 2);
    const page = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    expect(page).toContain('Gave up after 2 attempts');
    receiver.status = 204;
  });

  it('sends a test event on request, from the API and from the page', async () => {
    const before = receiver.received.length;
    const answer = await api()
      .post(`/api/cluster/webhooks/${webhookId}/test`)
      .set('X-ApiKey', API_KEY)
      .expect(202);
    await pass();
    expect(receiver.received.length).toBe(before + 1);
    expect(received(before).json).toMatchObject({
      idempotencyKey: answer.body.deliveryId,
      test: true,
      event: { kind: 'test' },
    });
    const page = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    await agent
      .post(`/administration/cluster/notifications/${webhookId}/test`)
      .type('form')
      .send({ _csrf: csrfTokenIn(page) })
      .expect(303);
    await pass();
    expect(receiver.received.length).toBe(before + 2);
    await api()
      .post('/api/cluster/webhooks/00000000-0000-4000-8000-000000000000/test')
      .set('X-ApiKey', API_KEY)
      .expect(404);
    await api().post('/api/cluster/webhooks/nope/test').set('X-ApiKey', API_KEY).expect(404);
  });

  it('works through a burst in one pass, eight at a time', async () => {
    const before = receiver.received.length;
    for (let i = 0; i < 20; i += 1) {
      await api().post(`/api/cluster/webhooks/${webhookId}/test`).set('X-ApiKey', API_KEY).expect(202);
    }
    await pass();
    expect(receiver.received.length).toBe(before + 20);
    expect(await prisma().webhookDelivery.count({ where: { status: 'pending' } })).toBe(0);
  });

  it('records nothing under a lost lease; the next primary sends again what was not recorded as delivered', async () => {
    const failover = node.app.get(FailoverService);
    const before = receiver.received.length;
    // A test delivery (unlike a settings change, it starts no heartbeat of its own on this node).
    await api().post(`/api/cluster/webhooks/${webhookId}/test`).set('X-ApiKey', API_KEY).expect(202);
    // The endpoint answers slowly; meanwhile another service component takes the lease.
    receiver.delayMs = 300;
    const sending = pass();
    await receiver.waitForRequests(before + 1);
    const lease = await prisma().lease.findUniqueOrThrow({ where: { role: 'service' } });
    await prisma().lease.update({
      where: { role: 'service' },
      data: { holder: 'another-component', epoch: lease.epoch + 1n, expiresAtMs: 0n },
    });
    await sending;
    receiver.delayMs = 0;
    const pending = (await deliveries()).at(-1)!;
    expect(pending).toMatchObject({ status: 'pending', attempts: 0 });
    // This node is primary again (a new epoch): it sends the delivery again, with the same key.
    await node.app.get(HeartbeatScheduler).tick();
    expect(failover.fence()?.epoch).toBe(Number(lease.epoch) + 2);
    await pass();
    expect(receiver.received.length).toBe(before + 2);
    expect(received(before + 1).json.idempotencyKey).toBe(received(before).json.idempotencyKey);
    expect((await deliveries()).at(-1)).toMatchObject({ id: pending.id, status: 'delivered', attempts: 1 });
    // What was recorded as delivered is never sent again, by this primary or the next.
    await prisma().lease.update({ where: { role: 'service' }, data: { expiresAtMs: 0n } });
    await node.app.get(HeartbeatScheduler).tick();
    expect(failover.fence()?.epoch).toBe(Number(lease.epoch) + 3);
    await pass();
    expect(receiver.received.length).toBe(before + 2);
  });

  it('shows "cannot decrypt" on a node with another encryption key', async () => {
    const odd = await startTestApp(database, {
      keys: randomKeys(),
      env: { CLUSTER_SERVER_NAME: 'node-odd', CLUSTER_COMPONENTS: 'web' },
    });
    try {
      const [shown] = (
        await request(odd.http).get('/api/cluster/webhooks').set('X-ApiKey', API_KEY).expect(200)
      ).body;
      expect(shown).toMatchObject({ id: webhookId, url: null, decryptable: false });
      const oddAgent = await signedInAgent(odd);
      const page = (await oddAgent.get('/administration/cluster/notifications').expect(200)).text;
      expect(page).toContain('cannot decrypt');
      expect(page).toContain('Some endpoints cannot be decrypted with this node');
      // Its seal could never be opened by the primary: it may not add one.
      const refused = await request(odd.http)
        .post('/api/cluster/webhooks')
        .set('X-ApiKey', API_KEY)
        .send({ name: 'Odd', url: `${base}/odd`, secret: SECRET, events: ['primary-changed'] })
        .expect(409);
      expect(refused.body.message).toContain("This node's ENCRYPTION_KEY is not the cluster's");
      const form = await oddAgent
        .post('/administration/cluster/notifications')
        .type('form')
        .send({
          _csrf: csrfTokenIn(page),
          name: 'Odd',
          url: `${base}/odd`,
          secret: SECRET,
          events: 'primary-changed',
        })
        .expect(409);
      expect(form.text).toContain(
        'Nothing was added. This node&#x27;s ENCRYPTION_KEY is not the cluster&#x27;s',
      );
      expect(await prisma().webhook.count({ where: { name: 'Odd' } })).toBe(0);
    } finally {
      await odd.close();
    }
  });

  it('adds and deletes endpoints through the page, naming the problem in the form', async () => {
    const page = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    const csrf = csrfTokenIn(page);
    const bad = await agent
      .post('/administration/cluster/notifications')
      .type('form')
      .send({
        _csrf: csrf,
        name: 'Chat',
        url: 'mailto:ops@example.com',
        secret: 'too-short-secret!'.slice(0, 8),
      })
      .expect(400);
    expect(bad.text).toContain('The URL must be an http:// or https:// address');
    expect(bad.text).toContain('The secret must be at least 16 characters');
    expect(bad.text).toContain('The list of events must name at least one kind of event');
    expect(bad.text).not.toContain('too-shor');
    const long = await agent
      .post('/administration/cluster/notifications')
      .type('form')
      .send({
        _csrf: csrf,
        name: 'Long',
        url: `https://example.com/${'x'.repeat(2100)}`,
        secret: SECRET,
        events: 'primary-changed',
      })
      .expect(400);
    expect(long.text).toContain('The URL must be at most 2000 characters');
    expect(await prisma().webhook.count()).toBe(1);
    await agent
      .post('/administration/cluster/notifications')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrf)}&name=Chat&url=${encodeURIComponent('https://chat.example.com/hook/xyz')}` +
          `&secret=${SECRET}&events=primary-changed&events=component-stale`,
      )
      .expect(303);
    const after = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    expect(after).toContain('Added the endpoint &quot;Chat&quot; (https://chat.example.com/…)');
    const chat = (await list()).find((webhook: { name: string }) => webhook.name === 'Chat');
    expect(chat.events).toEqual(['primary-changed', 'component-stale']);
    await agent
      .post(`/administration/cluster/notifications/${chat.id}/delete`)
      .type('form')
      .send({ _csrf: csrfTokenIn(after) })
      .expect(303);
    await api().delete(`/api/cluster/webhooks/${webhookId}`).set('X-ApiKey', API_KEY).expect(204);
    await api().delete(`/api/cluster/webhooks/${webhookId}`).set('X-ApiKey', API_KEY).expect(404);
    expect(await list()).toEqual([]);
    expect(await prisma().webhookDelivery.count()).toBe(0);
    expect(await prisma().event.count({ where: { kind: 'webhook-removed' } })).toBe(2);
  });

  it('says why an endpoint could not be reached', async () => {
    const closed = new WebhookReceiver();
    const closedUrl = await closed.start();
    await closed.stop();
    const answer = await api()
      .post('/api/cluster/webhooks')
      .set('X-ApiKey', API_KEY)
      .send({ name: 'Gone', url: `${closedUrl}/gone`, secret: SECRET, events: ['settings-changed'] })
      .expect(201);
    await api().post(`/api/cluster/webhooks/${answer.body.id}/test`).set('X-ApiKey', API_KEY).expect(202);
    await pass();
    const [delivery] = await prisma().webhookDelivery.findMany({ where: { webhookId: answer.body.id } });
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
    expect(delivery.lastError).toBe('connection refused (ECONNREFUSED)');
    const page = (await agent.get('/administration/cluster/notifications').expect(200)).text;
    expect(page).toContain('Retrying in 10 seconds');
    await api().delete(`/api/cluster/webhooks/${answer.body.id}`).set('X-ApiKey', API_KEY).expect(204);
  });

  it('stops at once on shutdown, leaving what it was sending pending for the next primary', async () => {
    const answer = await api()
      .post('/api/cluster/webhooks')
      .set('X-ApiKey', API_KEY)
      .send({ name: 'Slow', url: `${base}/slow`, secret: SECRET, events: ['settings-changed'] })
      .expect(201);
    await api().post(`/api/cluster/webhooks/${answer.body.id}/test`).set('X-ApiKey', API_KEY).expect(202);
    receiver.delayMs = 4_000;
    const before = receiver.received.length;
    const dispatcher = node.app.get(WebhookDispatcher);
    void dispatcher.runOnce();
    await receiver.waitForRequests(before + 1);
    const started = Date.now();
    await dispatcher.onModuleDestroy();
    expect(Date.now() - started).toBeLessThan(1_000);
    const [delivery] = await prisma().webhookDelivery.findMany({ where: { webhookId: answer.body.id } });
    expect(delivery).toMatchObject({ status: 'pending', attempts: 0 });
    receiver.delayMs = 0;
  });
});
