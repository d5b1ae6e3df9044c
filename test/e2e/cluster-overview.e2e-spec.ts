import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { seedServer } from '../support/seed';
import { API_KEY, randomKeys, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const MINUTE = 60_000;

describe.each(databaseKinds())('the Cluster Overview on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, {
      env: { CLUSTER_SERVER_NAME: 'node-a', CLUSTER_ADVERTISED_ADDRESS: '10.0.0.5' },
    });
    // node-b: same keys, live, one version behind. node-c: other keys, service stale after 10 minutes.
    await seedServer(node, {
      name: 'node-b',
      ipAddress: '10.0.0.6',
      keys: node.keys,
      components: [
        { type: 'web', heartbeatAgoMs: 2 * MINUTE, version: '0.9.0' },
        { type: 'service', heartbeatAgoMs: 10_000, version: '0.9.0' },
      ],
    });
    await seedServer(node, {
      name: 'node-c',
      ipAddress: '10.0.0.7',
      keys: randomKeys(),
      components: [
        { type: 'web', heartbeatAgoMs: 60 * MINUTE },
        { type: 'service', heartbeatAgoMs: 10 * MINUTE },
      ],
    });
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  it('answers GET /api/cluster with every server, component and check', async () => {
    const { body } = await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
    expect(body.checkedBy).toEqual({ server: 'node-a', version: '1.0.0' });
    expect(body.configuration).toEqual({
      serverCount: 3,
      loadBalancing: false,
      automaticFailover: true,
      heartbeatFrequencySeconds: 10,
      staleTimeoutSeconds: 60,
      primaryServer: 'node-a',
      backupServers: ['node-b'],
    });
    const summary = body.servers.map(
      (server: {
        name: string;
        status: string;
        components: { type: string; role: string | null; status: string; checks: object }[];
      }) => ({
        name: server.name,
        status: server.status,
        components: server.components.map((component) => [
          component.type,
          component.role,
          component.status,
          component.checks,
        ]),
      }),
    );
    expect(summary).toEqual([
      {
        name: 'node-a',
        status: 'ok',
        components: [
          ['web', null, 'ok', { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: 'ok' }],
          [
            'service',
            'primary',
            'ok',
            { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: null },
          ],
        ],
      },
      {
        name: 'node-b',
        status: 'warning',
        components: [
          [
            'web',
            null,
            'warning',
            { heartbeat: 'ok', version: 'out-of-sync', encryptionKey: 'ok', machineKey: 'ok' },
          ],
          [
            'service',
            'backup',
            'warning',
            { heartbeat: 'ok', version: 'out-of-sync', encryptionKey: 'ok', machineKey: null },
          ],
        ],
      },
      {
        name: 'node-c',
        status: 'error',
        components: [
          [
            'web',
            null,
            'error',
            {
              heartbeat: 'ok',
              version: 'ok',
              encryptionKey: 'decryption-failure',
              machineKey: 'decryption-failure',
            },
          ],
          [
            'service',
            'inactive',
            'error',
            { heartbeat: 'stale', version: 'ok', encryptionKey: 'decryption-failure', machineKey: null },
          ],
        ],
      },
    ]);
    const nodeA = body.servers[0];
    expect(nodeA).toMatchObject({ ipAddress: '10.0.0.5', os: expect.stringMatching(/\S/) });
    expect(nodeA.components[0]).toEqual({
      id: expect.any(String),
      type: 'web',
      role: null,
      version: '1.0.0',
      lastHeartbeatAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      addedManually: false,
      status: 'ok',
      checks: expect.any(Object),
      drained: null,
      duplicateProcess: null,
    });
    // This node measured its clock against the database's at its heartbeat; the seeded servers never did.
    expect(Math.abs(nodeA.clockSkewMs)).toBeLessThan(1_000);
    expect(body.servers[1].clockSkewMs).toBeNull();
  });

  it('never answers with keys or tokens', async () => {
    const { text } = await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
    expect(text).not.toContain(node.keys.encryptionKey.toString('hex'));
    expect(text).not.toContain(node.keys.machineKey.toString('hex'));
    expect(text).not.toMatch(/token/i);
  });

  it('shows every server, field and status on the page, with text beside each symbol', async () => {
    const agent = await signedInAgent(node);
    const { text } = await agent.get('/administration/cluster').expect(200);
    expect(text).toContain('Checked by <strong>node-a</strong>');
    expect(text).toMatch(/data-field="server-count">3</);
    expect(text).toContain('Disabled');
    expect(text).toContain('heartbeat every 10 seconds, stale after 1 minute');
    for (const name of ['node-a', 'node-b', 'node-c']) expect(text).toContain(`data-server="${name}"`);
    for (const address of ['10.0.0.5', '10.0.0.6', '10.0.0.7']) expect(text).toContain(address);
    expect(text).toContain('0.9.0, behind 1.0.0');
    // Each component's last 24 hours, drawn on the server, with words for those who cannot see it.
    expect(text).toMatch(/<svg class="timeline"[^>]* role="img" aria-label="Last 24 hours: [^"]+">/);
    expect(text).toContain('no change in 24 h');
    expect(text).toContain('Decryption failure');
    expect(text).toContain('Stale');
    expect(text).toContain('10 minutes ago');
    expect(text).toMatch(/<time datetime="[^"]+" title="[^"]+">/);
    expect(text).toContain('<span class="symbol" aria-hidden="true">⚠</span> node-b');
    expect(text).toContain('<span class="symbol" aria-hidden="true">✖</span> node-c');
    expect(text).toMatch(/>Primary<\/span>/);
    expect(text).toMatch(/>Backup<\/span>/);
    expect(text).toMatch(/>Inactive<\/span><span class="aside">: stale<\/span>/);
    expect(text).toContain('Why is my machine key showing a decryption failure?');
    // node-c alone is odd; node-a is not blamed.
    expect(text).not.toContain('probably the one with different keys');
  });

  it('sums the cluster up in the Administration box with a More Info link', async () => {
    const agent = await signedInAgent(node);
    const { text } = await agent.get('/administration').expect(200);
    expect(text).toContain('3 servers, 1 error, 1 warning');
    expect(text).toContain('href="/administration/cluster">More Info</a>');
    expect(text).toContain('One shared database.');
  });

  it('reuses its server and component rows when the node restarts', async () => {
    const prisma = node.app.get(PrismaService).client;
    const before = await prisma.component.findMany({
      where: { server: { name: 'node-a' } },
      orderBy: { type: 'asc' },
    });
    const restarted = await startTestApp(database, {
      env: { CLUSTER_SERVER_NAME: 'node-a' },
      keys: node.keys,
    });
    try {
      const after = await prisma.component.findMany({
        where: { server: { name: 'node-a' } },
        orderBy: { type: 'asc' },
      });
      expect(after.map((component) => component.id)).toEqual(before.map((component) => component.id));
      expect(await prisma.server.count()).toBe(3);
    } finally {
      await restarted.close();
    }
  });

  it('tells the serving node that it is the odd one when most others fail against it', async () => {
    const odd = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-odd' } });
    try {
      const agent = await signedInAgent(odd);
      const { text } = await agent.get('/administration/cluster').expect(200);
      expect(text).toContain('Most components fail to verify against this node.');
      expect(text).toContain('The node serving this page (node-odd) is probably the one with different keys');
    } finally {
      await odd.close();
      await node.app.get(PrismaService).client.server.delete({ where: { name: 'node-odd' } });
    }
  });
});
