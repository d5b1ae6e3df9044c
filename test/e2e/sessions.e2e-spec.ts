import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import {
  ADMIN_PASSWORD,
  API_KEY,
  csrfTokenIn,
  signedInAgent,
  startTestApp,
  TestApp,
} from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const MINUTE = 60_000;

/**
 * Moves time on for the sessions as the database's clock judges them (sessions are timed by the database,
 * which a test cannot set): every session's times are moved back by as much, which is the same to them.
 */
class SessionTime {
  private offsetMs = 0;

  constructor(private readonly prisma: () => PrismaService) {}

  async set(offsetMs: number): Promise<void> {
    const by = BigInt(offsetMs - this.offsetMs);
    this.offsetMs = offsetMs;
    await this.prisma().client.$executeRaw`
      UPDATE sessions SET created_at_ms = created_at_ms - ${by}, last_seen_at_ms = last_seen_at_ms - ${by},
        expires_at_ms = expires_at_ms - ${by}`;
  }
}

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

/** The session cookie an agent holds, as a Cookie header another client can replay. */
const cookieOf = async (agent: Agent) =>
  (await agent.get('/administration').expect(200)).request.cookies as unknown as string;

describe.each(databaseKinds())('sessions on %s', (kind) => {
  let database: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;
  const clock = new SessionTime(() => nodeA.app.get(PrismaService));

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    nodeA = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' } });
    // Same keys and database: a load balancer may send the next request to either.
    nodeB = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-b' }, keys: nodeA.keys });
    for (const node of [nodeA, nodeB]) await node.app.get(HeartbeatScheduler).onModuleDestroy();
  });

  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await database?.drop();
  });

  afterEach(() => clock.set(0));

  const sessionCount = () => nodeA.app.get(PrismaService).client.session.count();

  /** What a copied cookie can still do on node B: read a page, the API, change settings, delete a component. */
  const replay = async (cookie: string) => {
    const other = request(nodeB.http);
    return [
      (await other.get('/administration/cluster').set('Cookie', cookie)).status,
      (await other.get('/api/cluster').set('Cookie', cookie)).status,
      (
        await other
          .put('/api/cluster/settings')
          .set('Cookie', cookie)
          .send({ heartbeatFrequencySeconds: 5, staleTimeoutSeconds: 30 })
      ).status,
      (
        await other
          .delete('/api/cluster/components/00000000-0000-4000-8000-000000000000')
          .set('Cookie', cookie)
      ).status,
    ];
  };

  it('ends on every node at sign-out: a cookie copied before POST /logout opens nothing after it', async () => {
    const agent = await signedInAgent(nodeA);
    const cookie = await cookieOf(agent);
    await request(nodeB.http).get('/administration/cluster').set('Cookie', cookie).expect(200);
    const csrf = csrfTokenIn((await agent.get('/administration').expect(200)).text);
    await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(303);
    expect(await replay(cookie)).toEqual([303, 401, 401, 401]);
  });

  it('keeps only a hash of the token in the database, never the cookie content', async () => {
    const agent = await signedInAgent(nodeA);
    const cookie = await cookieOf(agent);
    const stored = await nodeA.app.get(PrismaService).client.session.findMany();
    const raw = Buffer.from(
      decodeURIComponent(/cluster\.session=([^;]+)/.exec(cookie)![1]),
      'base64',
    ).toString();
    const token = (JSON.parse(raw) as { token: string }).token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const row of stored) expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(token);
  });

  it('ends after 30 idle minutes, but not while it is used, and after 8 hours whatever happens', async () => {
    const idle = await signedInAgent(nodeA);
    const busy = await signedInAgent(nodeA);
    await clock.set(29 * MINUTE);
    await busy.get('/administration').expect(200);
    await idle.get('/administration').expect(200);
    await clock.set(58 * MINUTE);
    await busy.get('/administration').expect(200);
    await clock.set(80 * MINUTE);
    // idle was last used at 29 minutes, busy at 58.
    await idle.get('/administration').expect(303);
    await busy.get('/administration').expect(200);
    for (let minutes = 100; minutes < 8 * 60; minutes += 20) {
      await clock.set(minutes * MINUTE);
      await busy.get('/administration').expect(200);
    }
    await clock.set(8 * 60 * MINUTE + MINUTE);
    await busy.get('/administration').expect(303);
  });

  it('does not count a page refreshing itself (X-Live-Refresh) as use', async () => {
    const agent = await signedInAgent(nodeA);
    const statuses: number[] = [];
    for (const minutes of [10, 20, 29, 31]) {
      await clock.set(minutes * MINUTE);
      statuses.push((await agent.get('/administration/cluster').set('X-Live-Refresh', '1')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 303]);
  });

  it('removes ended sessions from the database at the next sign-in', async () => {
    await signedInAgent(nodeA);
    await clock.set(9 * 60 * MINUTE);
    await signedInAgent(nodeA);
    expect(await sessionCount()).toBe(1);
  });

  it('signs out everywhere: every session of the user ends on every node', async () => {
    const here = await signedInAgent(nodeA);
    const there = await signedInAgent(nodeB);
    const thereCookie = await cookieOf(there);
    const csrf = csrfTokenIn((await here.get('/account').expect(200)).text);
    await here.post('/account/sign-out-everywhere').type('form').send({ _csrf: csrf }).expect(303);
    await here.get('/administration').expect(303);
    expect(await replay(thereCookie)).toEqual([303, 401, 401, 401]);
  });

  describe('changing the password', () => {
    const change = async (agent: Agent, fields: Record<string, string>) => {
      const csrf = csrfTokenIn((await agent.get('/account').expect(200)).text);
      return agent
        .post('/account/password')
        .type('form')
        .send({ _csrf: csrf, ...fields });
    };
    const NEW_PASSWORD = 'a-much-longer-passphrase-42';

    it.each([
      [
        { currentPassword: ADMIN_PASSWORD, newPassword: 'short-one', confirmPassword: 'short-one' },
        'The new password needs at least 12 characters.',
      ],
      [
        { currentPassword: ADMIN_PASSWORD, newPassword: 'password1234', confirmPassword: 'password1234' },
        'The new password is one of the most common passwords: choose another.',
      ],
      [
        {
          currentPassword: ADMIN_PASSWORD,
          newPassword: 'my-admin-password',
          confirmPassword: 'my-admin-password',
        },
        'The new password must not contain your user name.',
      ],
      [
        { currentPassword: ADMIN_PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: `${NEW_PASSWORD}!` },
        'The two new passwords differ.',
      ],
      [
        { currentPassword: 'not-the-password', newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
        'This is not your current password.',
      ],
      [
        {
          currentPassword: ADMIN_PASSWORD,
          newPassword: `new\u0000password-long`,
          confirmPassword: `new\u0000password-long`,
        },
        'must not contain control characters',
      ],
    ])('refuses %j with a message beside the field, and changes nothing', async (fields, message) => {
      const agent = await signedInAgent(nodeA);
      const before = await nodeA.app.get(PrismaService).client.user.findMany();
      const answer = await change(agent, fields);
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(message);
      expect(answer.text).not.toContain(fields.newPassword);
      expect(await nodeA.app.get(PrismaService).client.user.findMany()).toEqual(before);
    });

    it('takes the new password, ends the other sessions on every node, and keeps this one', async () => {
      const here = await signedInAgent(nodeA);
      const there = await signedInAgent(nodeB);
      const thereCookie = await cookieOf(there);
      const changed = await change(here, {
        currentPassword: ADMIN_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      });
      expect(changed.status).toBe(303);
      const page = await here.get('/account').expect(200);
      expect(page.text).toMatch(/Your password was changed; \d+ other sessions? signed out\./);
      expect(await replay(thereCookie)).toEqual([303, 401, 401, 401]);
      await signedInAgent(nodeB, NEW_PASSWORD);
      const old = request.agent(nodeB.http);
      const csrf = csrfTokenIn((await old.get('/login').expect(200)).text);
      await old
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, username: 'Admin', password: ADMIN_PASSWORD })
        .expect(401);
    });
  });
});

describe.each(databaseKinds())('failed sign-ins on %s', (kind) => {
  // Fifteen password checks (scrypt, deliberately slow) a test: room for a busy machine.
  jest.setTimeout(30_000);
  let database: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // Behind a proxy on this machine: each request's X-Forwarded-For is its client address.
    const env = { TRUST_PROXY: 'loopback' };
    nodeA = await startTestApp(database, { env: { ...env, CLUSTER_SERVER_NAME: 'node-a' } });
    nodeB = await startTestApp(database, {
      env: { ...env, CLUSTER_SERVER_NAME: 'node-b' },
      keys: nodeA.keys,
    });
  });

  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await database?.drop();
  });

  const attempt = async (node: TestApp, username: string, password: string, address: string) => {
    const agent = request.agent(node.http);
    const csrf = csrfTokenIn((await agent.get('/login').set('X-Forwarded-For', address).expect(200)).text);
    return agent
      .post('/login')
      .set('X-Forwarded-For', address)
      .type('form')
      .send({ _csrf: csrf, username, password });
  };

  it('are counted per user name across nodes: 15 wrong passwords from changing addresses, alternating nodes', async () => {
    const statuses: number[] = [];
    let limited: request.Response | null = null;
    for (let i = 0; i < 15; i += 1) {
      const answer = await attempt(i % 2 ? nodeB : nodeA, 'admin', `guess-${i}`, `198.51.100.${i + 1}`);
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(5).fill(429)]);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(14 * 60);
    expect(limited!.text).toContain('Too many failed sign-in attempts for this user or from your address.');
    // Even the right password waits, on either node; the API key is not affected.
    expect((await attempt(nodeB, 'Admin', ADMIN_PASSWORD, '198.51.100.200')).status).toBe(429);
    await request(nodeA.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
  });

  it('are counted per address across nodes, whatever the user name', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i += 1)
      statuses.push((await attempt(i % 2 ? nodeB : nodeA, `user-${i}`, 'wrong', '203.0.113.77')).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    // Another address is not held back by it.
    expect((await attempt(nodeA, 'user-x', 'wrong', '203.0.113.78')).status).toBe(401);
  });

  it('forgets windows that have passed, so made-up user names do not pile up', async () => {
    const prisma = nodeA.app.get(PrismaService).client;
    await prisma.loginFailure.create({
      data: { subject: 'user:long-ago', failures: 3, windowStartedAtMs: BigInt(Date.now() - 16 * 60_000) },
    });
    await attempt(nodeB, 'someone-new', 'wrong', '203.0.113.90');
    expect(await prisma.loginFailure.findUnique({ where: { subject: 'user:long-ago' } })).toBeNull();
    expect(await prisma.loginFailure.findUnique({ where: { subject: 'user:someone-new' } })).not.toBeNull();
  });
});
