import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { API_KEY, csrfTokenIn, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

describe.each(databaseKinds())('cluster settings on %s', (kind) => {
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

  const api = () => request(node.http);
  const readSettings = async () =>
    (await api().get('/api/cluster/settings').set('X-ApiKey', API_KEY).expect(200)).body;
  const savedRow = () =>
    node.app.get(PrismaService).client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } });

  it('reads and changes the settings through the API, and records who changed what', async () => {
    const before = await readSettings();
    expect(before).toMatchObject({
      loadBalancing: false,
      automaticFailover: true,
      heartbeatFrequencySeconds: 10,
      staleTimeoutSeconds: 60,
      warnings: [],
    });
    expect(Object.keys(before).sort()).toEqual([
      'automaticFailover',
      'heartbeatFrequencySeconds',
      'loadBalancing',
      'revision',
      'staleTimeoutSeconds',
      'upgradeWindowMinutes',
      'warnings',
    ]);
    expect(before.upgradeWindowMinutes).toBe(60);
    const { body } = await api()
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ loadBalancing: true, heartbeatFrequencySeconds: 4, staleTimeoutSeconds: 14 })
      .expect(200);
    expect(body).toMatchObject({
      loadBalancing: true,
      heartbeatFrequencySeconds: 4,
      staleTimeoutSeconds: 14,
      revision: before.revision + 1,
    });
    expect(body.warnings).toHaveLength(2);
    const events = (await api().get('/api/cluster/events?limit=5').set('X-ApiKey', API_KEY).expect(200)).body;
    expect(events[0]).toMatchObject({
      kind: 'settings-changed',
      actor: 'API key',
      epoch: null,
      message:
        'API key changed load balancing off → on, heartbeat frequency 10 s → 4 s, stale timeout 60 s → 14 s',
    });
  });

  it.each([
    [{ heartbeatFrequencySeconds: 0 }, 'heartbeatFrequencySeconds'],
    [{ heartbeatFrequencySeconds: 3601 }, 'heartbeatFrequencySeconds'],
    [{ heartbeatFrequencySeconds: 1.5 }, 'heartbeatFrequencySeconds'],
    [{ heartbeatFrequencySeconds: '10' }, 'heartbeatFrequencySeconds'],
    [{ staleTimeoutSeconds: 2 }, 'staleTimeoutSeconds'],
    [{ staleTimeoutSeconds: 100_000 }, 'staleTimeoutSeconds'],
    [{ heartbeatFrequencySeconds: 30, staleTimeoutSeconds: 89 }, 'staleTimeoutSeconds'],
    [{ automaticFailover: 'yes' }, 'automaticFailover'],
    [{ loadBalancing: null }, 'loadBalancing'],
    [{ revision: 'x' }, 'revision'],
    [{ colour: 'blue' }, 'colour'],
  ])('refuses %j with 400 naming %s, and changes nothing', async (change, field) => {
    const before = await savedRow();
    const { body } = await api()
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send(change)
      .expect(400);
    expect(body.message).toContain(field);
    expect(await savedRow()).toEqual(before);
  });

  it('answers malformed JSON with 400', async () => {
    const { body } = await api()
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .set('Content-Type', 'application/json')
      .send('{"heartbeatFrequencySeconds": ')
      .expect(400);
    expect(body.message).toContain('not valid JSON');
  });

  it('refuses a change based on an old revision with 409, leaving the newer one in place', async () => {
    const { revision } = await readSettings();
    await api()
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ revision, staleTimeoutSeconds: 120 })
      .expect(200);
    const { body } = await api()
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ revision, staleTimeoutSeconds: 240 })
      .expect(409);
    expect(body.message).toContain('changed by someone else meanwhile');
    expect((await readSettings()).staleTimeoutSeconds).toBe(120);
  });

  describe('the settings form', () => {
    const formFor = async (agent: Awaited<ReturnType<typeof signedInAgent>>) => {
      const page = await agent.get('/administration/cluster/configure').expect(200);
      const revision = /name="revision" value="(\d+)"/.exec(page.text)![1];
      return { page, csrf: csrfTokenIn(page.text), revision };
    };

    it('shows the current values, saves a change, and says so', async () => {
      const agent = await signedInAgent(node);
      const { page, csrf, revision } = await formFor(agent);
      expect(page.text).toContain('Load balancing enabled');
      expect(page.text).toContain(
        'name="heartbeatFrequencySeconds" type="text" inputmode="numeric" value="4"',
      );
      const saved = await agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({
          _csrf: csrf,
          revision,
          automaticFailover: 'on',
          heartbeatFrequencySeconds: '30',
          staleTimeoutSeconds: '300',
        })
        .expect(303);
      expect(saved.headers.location).toBe('/administration/cluster/configure?saved=1');
      expect(await readSettings()).toMatchObject({
        loadBalancing: false,
        automaticFailover: true,
        heartbeatFrequencySeconds: 30,
        staleTimeoutSeconds: 300,
      });
      const after = await agent.get(saved.headers.location).expect(200);
      expect(after.text).toContain('Settings saved.');
      const events = (await api().get('/api/cluster/events?limit=1').set('X-ApiKey', API_KEY)).body;
      expect(events[0]).toMatchObject({ kind: 'settings-changed', actor: 'Admin' });
    });

    it('shows bad values again as entered, with the message beside the field, and saves nothing', async () => {
      const agent = await signedInAgent(node);
      const { csrf, revision } = await formFor(agent);
      const before = await savedRow();
      const refused = await agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({ _csrf: csrf, revision, heartbeatFrequencySeconds: 'ten', staleTimeoutSeconds: '7' })
        .expect(400);
      expect(refused.text).toContain('value="ten"');
      expect(refused.text).toContain('value="7"');
      expect(refused.text).toMatch(
        /id="heartbeatFrequencySeconds-error">Heartbeat frequency Enter a whole number of seconds\./,
      );
      // Two problems, of two kinds (not a number; a number out of range): both are shown at once.
      const both = await agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({ _csrf: csrf, revision, heartbeatFrequencySeconds: 'ten', staleTimeoutSeconds: '1' })
        .expect(400);
      expect(both.text).toMatch(
        /id="heartbeatFrequencySeconds-error">Heartbeat frequency Enter a whole number of seconds\./,
      );
      expect(both.text).toMatch(
        /id="staleTimeoutSeconds-error">Stale timeout must be a whole number of seconds from 3 to 86400/,
      );
      const tooShort = await agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({ _csrf: csrf, revision, heartbeatFrequencySeconds: '5', staleTimeoutSeconds: '7' })
        .expect(400);
      expect(tooShort.text).toContain(
        'Stale timeout must be at least three heartbeats (15 seconds with a 5-second heartbeat)',
      );
      expect(await savedRow()).toEqual(before);
    });

    it('saves values below the defaults with a visible warning', async () => {
      const agent = await signedInAgent(node);
      const { csrf, revision } = await formFor(agent);
      await agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({
          _csrf: csrf,
          revision,
          automaticFailover: 'on',
          heartbeatFrequencySeconds: '1',
          staleTimeoutSeconds: '3',
        })
        .expect(303);
      const form = await agent.get('/administration/cluster/configure?saved=1').expect(200);
      expect(form.text).toContain('Not recommended: A heartbeat every 1 s is below 5 s');
      const overview = await agent.get('/administration/cluster').expect(200);
      expect(overview.text).toContain('A stale timeout of 3 s is below 15 s');
    });

    it('tells the later of two administrators saving at once that the settings changed meanwhile', async () => {
      const first = await signedInAgent(node);
      const second = await signedInAgent(node);
      const a = await formFor(first);
      const b = await formFor(second);
      await first
        .post('/administration/cluster/configure')
        .type('form')
        .send({
          _csrf: a.csrf,
          revision: a.revision,
          automaticFailover: 'on',
          heartbeatFrequencySeconds: '20',
          staleTimeoutSeconds: '200',
        })
        .expect(303);
      const conflict = await second
        .post('/administration/cluster/configure')
        .type('form')
        .send({
          _csrf: b.csrf,
          revision: b.revision,
          heartbeatFrequencySeconds: '40',
          staleTimeoutSeconds: '400',
        })
        .expect(409);
      expect(conflict.text).toContain('The settings were changed by someone else meanwhile');
      expect(conflict.text).toContain('heartbeat every 20 seconds');
      expect(conflict.text).toContain('value="40"');
      expect(await readSettings()).toMatchObject({ heartbeatFrequencySeconds: 20, staleTimeoutSeconds: 200 });
    });

    it('refuses a form without a CSRF token', async () => {
      const agent = await signedInAgent(node);
      const { revision } = await formFor(agent);
      await agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({ revision, heartbeatFrequencySeconds: '5', staleTimeoutSeconds: '15' })
        .expect(403);
    });
  });
});
