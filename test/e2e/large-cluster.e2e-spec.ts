import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import { WebhookDispatcher } from '../../src/modules/notifications/webhook-dispatcher';
import { ClusterRepository } from '../../src/modules/cluster/cluster.repository';
import { KeyCrypto } from '../../src/modules/verification/key-crypto';
import { API_KEY, randomKeys, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

/** The most statements a page or an API call may send, whatever the number of servers. */
const STATEMENT_BUDGET = 4;
const MINUTE = 60_000;

/**
 * Adds servers `from`…`to`-1 (named server-000…), each with a web and a service component, live unless the
 * index is listed as stale or as holding another cluster's keys, in two statements.
 */
async function seedMany(
  node: TestApp,
  from: number,
  to: number,
  problems: { stale?: number[]; otherKeys?: number[] } = {},
): Promise<void> {
  const prisma = node.app.get(PrismaService).client;
  const nowMs = await node.app.get(ClusterRepository).databaseNowMs();
  const ours = new KeyCrypto(node.keys);
  const theirs = new KeyCrypto(randomKeys());
  const servers = [];
  const components = [];
  for (let i = from; i < to; i += 1) {
    const id = randomUUID();
    const crypto = problems.otherKeys?.includes(i) ? theirs : ours;
    const heartbeatMs = BigInt(nowMs - (problems.stale?.includes(i) ? 10 * MINUTE : 1_000));
    servers.push({
      id,
      name: `server-${String(i).padStart(3, '0')}`,
      os: 'Linux',
      ipAddress: `10.9.${i >> 8}.${i & 255}`,
    });
    for (const type of ['web', 'service'])
      components.push({
        id: randomUUID(),
        serverId: id,
        type,
        version: '1.0.0',
        encryptionToken: crypto.makeEncryptionToken(),
        machineToken: type === 'web' ? crypto.makeMachineToken() : null,
        registeredAtMs: heartbeatMs,
        lastHeartbeatAtMs: heartbeatMs,
      });
  }
  await prisma.server.createMany({ data: servers });
  await prisma.component.createMany({ data: components });
}

describe.each(databaseKinds())('a large cluster on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  let agent: Awaited<ReturnType<typeof signedInAgent>>;

  /** Statements the request sent, read from the node's own count (nothing else runs meanwhile). */
  const statementsOf = async (send: () => Promise<unknown>) => {
    const prisma = node.app.get(PrismaService);
    const before = prisma.statementsRun;
    await send();
    return prisma.statementsRun - before;
  };
  /** The page's text with the entities Handlebars writes for "=" and "&" in attributes decoded. */
  const page = (response: { text: string }) => ({
    text: response.text.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'),
  });
  const api = (query = '') => request(node.http).get(`/api/cluster${query}`).set('X-ApiKey', API_KEY);
  const costs = async () => ({
    page: await statementsOf(() => agent.get('/administration/cluster').expect(200)),
    filteredPage: await statementsOf(() =>
      agent.get('/administration/cluster?status=problem&page=2').expect(200),
    ),
    administration: await statementsOf(() => agent.get('/administration').expect(200)),
    api: await statementsOf(() => api().expect(200)),
    pagedApi: await statementsOf(() => api('?status=ok&limit=10&offset=5').expect(200)),
  });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-self' } });
    // Only the requests below may talk to the database (the web heartbeat is written at most once a
    // minute, by the first request: the sign-in): the heartbeat schedule stops.
    await node.app.get(HeartbeatScheduler).onModuleDestroy();
    // Nor the primary's webhook dispatcher, which looks for work every second.
    await node.app.get(WebhookDispatcher).onModuleDestroy();
    agent = await signedInAgent(node);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  it('sends the same few statements per page and API call for 1 server as for 300', async () => {
    const one = await costs();
    // 299 more, a few of them stale or with other keys, so that every status is on the page.
    await seedMany(node, 0, 299, { stale: [5, 77, 298], otherKeys: [12, 150] });
    const many = await costs();
    expect(many).toEqual(one);
    for (const count of Object.values(many)) expect(count).toBeLessThanOrEqual(STATEMENT_BUDGET);
    expect(many.page).toBeGreaterThan(0);
  });

  it('pages the overview: 50 servers, errors and warnings first, and a pager that keeps the filter', async () => {
    const first = page(await agent.get('/administration/cluster').expect(200));
    const names = [...first.text.matchAll(/data-server="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toHaveLength(50);
    expect(names.slice(0, 5)).toEqual(['server-012', 'server-150', 'server-005', 'server-077', 'server-298']);
    expect(names.slice(5, 8)).toEqual(['node-self', 'server-000', 'server-001']);
    expect(first.text).toContain('Showing 1–50 of 300 servers, errors and warnings first.');
    expect(first.text).toContain('Page 1 of 6');
    expect(first.text).toContain('href="/administration/cluster?page=2"');
    expect(first.text).toContain('300 servers, 2 errors, 3 warnings');
    // The backups are named in short on the page (the API lists all 296).
    expect(first.text).toContain('server-010 and 286 more</dd>');
    expect(first.text.length).toBeLessThan(300_000);

    const last = page(await agent.get('/administration/cluster?page=6').expect(200));
    expect([...last.text.matchAll(/data-server="([^"]+)"/g)]).toHaveLength(50);
    expect(last.text).toContain('Showing 251–300 of 300 servers');
    // Past the end: the last page, not an empty one.
    const past = page(await agent.get('/administration/cluster?page=99').expect(200));
    expect(past.text).toContain('Page 6 of 6');

    const problems = page(await agent.get('/administration/cluster?status=problem').expect(200));
    expect([...problems.text.matchAll(/data-server="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'server-012',
      'server-150',
      'server-005',
      'server-077',
      'server-298',
    ]);
    expect(problems.text).toContain('5 servers match.');
    expect(problems.text).toMatch(/<option value="problem" selected>/);

    const byName = page(
      await agent.get('/administration/cluster?name=SERVER-1&status=ok&page=2').expect(200),
    );
    const found = [...byName.text.matchAll(/data-server="([^"]+)"/g)].map((m) => m[1]);
    // server-100…199 with server-150 (error) left out: 99 match, the second page holds the last 49.
    expect(found).toHaveLength(49);
    expect(found[0]).toBe('server-151');
    expect(byName.text).toContain('99 servers match; showing 51–99.');
    expect(byName.text).toContain('href="/administration/cluster?status=ok&name=SERVER-1"');
    expect(byName.text).toContain('value="SERVER-1"');

    const none = page(await agent.get('/administration/cluster?name=nothing-like-it').expect(200));
    expect(none.text).toContain('No server matches this filter.');
  });

  it.each([
    ['?page=0', 'page must be a whole number from 1 to 1000000 (got "0").'],
    ['?page=two', 'page must be a whole number from 1 to 1000000 (got "two").'],
    ['?status=broken', 'status must be one of all, problem, error, warning, ok (got "broken").'],
    ['?status=ok&status=error', 'Give the status parameter once.'],
    [`?name=${'x'.repeat(101)}`, 'name must be at most 100 characters.'],
    ['?name=a%00b', 'name must not contain control characters.'],
  ])('answers the page %s with 400 and says why', async (query, message) => {
    const response = await agent.get(`/administration/cluster${query}`).expect(400);
    expect(response.text).toContain(message.replace(/"/g, '&quot;'));
  });

  it('answers GET /api/cluster with every server by default, and filters and slices when asked', async () => {
    const all = await api().expect(200);
    expect(all.body.servers).toHaveLength(300);
    expect(all.body.servers[0].name).toBe('node-self');
    expect(all.body.selection).toEqual({ status: null, name: null, offset: 0, limit: null, matched: 300 });

    const problems = await api('?status=warning,error').expect(200);
    expect(problems.body.servers.map((s: { name: string }) => s.name)).toEqual([
      'server-005',
      'server-012',
      'server-077',
      'server-150',
      'server-298',
    ]);
    expect(problems.body.configuration.serverCount).toBe(300);

    const slice = await api('?status=ok&name=server-2&offset=10&limit=5').expect(200);
    expect(slice.body.servers.map((s: { name: string }) => s.name)).toEqual([
      'server-210',
      'server-211',
      'server-212',
      'server-213',
      'server-214',
    ]);
    expect(slice.body.selection).toEqual({
      status: ['ok'],
      name: 'server-2',
      offset: 10,
      limit: 5,
      matched: 98,
    });

    const beyond = await api('?offset=5000').expect(200);
    expect(beyond.body.servers).toEqual([]);
    expect(beyond.body.selection.matched).toBe(300);
  });

  it.each([
    ['?status=stale', 'status must be ok, warning or error, or several separated by commas (got "stale").'],
    ['?limit=0', 'limit must be a whole number from 1 to 1000 (got "0").'],
    ['?limit=1001', 'limit must be a whole number from 1 to 1000 (got "1001").'],
    ['?offset=-1', 'offset must be a whole number from 0 to 9007199254740991 (got "-1").'],
    ['?offset=1e3', 'offset must be a whole number from 0 to 9007199254740991 (got "1e3").'],
    ['?limit=1&limit=2', 'Give the limit parameter once.'],
    ['?name=a&name=b', 'Give the name parameter once.'],
  ])('answers GET /api/cluster%s with 400 and says why', async (query, message) => {
    const response = await api(query).expect(400);
    expect(response.body.message).toBe(message);
  });

  it('answers an unchanged overview and API answer with 304, and a changed one in full', async () => {
    for (const path of ['/administration/cluster?status=problem', '/api/cluster?status=error']) {
      const first = await agent.get(path).expect(200);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const etag = first.headers.etag;
      expect(etag).toBeDefined();
      await agent.get(path).set('If-None-Match', etag).expect(304);
      // One more server with another cluster's keys: an error, so both answers change.
      await seedMany(node, 299 + (path.startsWith('/api') ? 1 : 0), 300 + (path.startsWith('/api') ? 1 : 0), {
        otherKeys: [299, 300],
      });
      const changed = await agent.get(path).set('If-None-Match', etag).expect(200);
      expect(changed.headers.etag).not.toBe(etag);
    }
  });

  it('compresses the page for a client that accepts it', async () => {
    const response = await agent.get('/administration/cluster').set('Accept-Encoding', 'gzip').expect(200);
    expect(response.headers['content-encoding']).toBe('gzip');
  });
});
