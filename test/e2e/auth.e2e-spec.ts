import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import {
  ADMIN_PASSWORD,
  API_KEY,
  csrfTokenIn,
  signedInAgent,
  startTestApp,
  TestApp,
} from '../support/test-app';
import { firstEpoch } from '../support/cluster-database';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

describe.each(databaseKinds())('sign-in and access on %s', (kind) => {
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

  it('sends a person who is not signed in to the login page, and back after signing in', async () => {
    const agent = request.agent(node.http);
    const first = await agent.get('/administration/cluster').expect(303);
    expect(first.headers.location).toBe('/login?returnTo=%2Fadministration%2Fcluster');
    const login = await agent.get(first.headers.location).expect(200);
    expect(login.text).toContain('value="/administration/cluster"');
    const signIn = await agent
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfTokenIn(login.text),
        username: 'Admin',
        password: ADMIN_PASSWORD,
        returnTo: '/administration/cluster',
      })
      .expect(303);
    expect(signIn.headers.location).toBe('/administration/cluster');
    await agent.get('/administration/cluster').expect(200);
  });

  it('refuses a wrong password, shows the form again with the name kept, and grants no session', async () => {
    const agent = request.agent(node.http);
    const login = await agent.get('/login').expect(200);
    const refused = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfTokenIn(login.text), username: 'Admin', password: 'wrong-password' })
      .expect(401);
    expect(refused.text).toContain('Wrong user name or password.');
    expect(refused.text).toContain('value="Admin"');
    await agent.get('/administration').expect(303);
  });

  it('names the missing field when the form is sent empty', async () => {
    const agent = request.agent(node.http);
    const login = await agent.get('/login').expect(200);
    const refused = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfTokenIn(login.text), username: 'Admin' })
      .expect(400);
    expect(refused.text).toContain('Enter your password.');
  });

  it('refuses a sign-in without a valid CSRF token', async () => {
    const agent = request.agent(node.http);
    await agent.get('/login').expect(200);
    const refused = await agent
      .post('/login')
      .type('form')
      .send({ username: 'Admin', password: ADMIN_PASSWORD })
      .expect(403);
    expect(refused.text).toContain('CSRF');
    await agent
      .post('/login')
      .type('form')
      .send({ _csrf: 'forged', username: 'Admin', password: ADMIN_PASSWORD })
      .expect(403);
    // An X-ApiKey header exempts only API requests, where the key itself is checked.
    await agent
      .post('/login')
      .set('X-ApiKey', 'anything')
      .type('form')
      .send({ username: 'Admin', password: ADMIN_PASSWORD })
      .expect(403);
    await agent.get('/administration').expect(303);
  });

  it('signs out only with a valid CSRF token', async () => {
    const agent = await signedInAgent(node);
    await agent.post('/logout').type('form').send({}).expect(403);
    await agent.get('/administration').expect(200);
    const page = await agent.get('/administration').expect(200);
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text) })
      .expect(303);
    await agent.get('/administration').expect(303);
  });

  it('answers the API with 401 without a session or with a wrong key, and serves it with the key', async () => {
    const anonymous = await request(node.http).get('/api/cluster').expect(401);
    expect(anonymous.body).toMatchObject({ statusCode: 401, message: expect.stringContaining('X-ApiKey') });
    await request(node.http).get('/api/cluster').set('X-ApiKey', 'wrong-key-0123456789').expect(401);
    const withKey = await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
    expect(withKey.body.checkedBy.server).toBe('e2e-node');
  });

  it('serves the API to a signed-in administrator', async () => {
    const agent = await signedInAgent(node);
    await agent.get('/api/cluster').expect(200);
  });

  it('does not accept the API key for pages', async () => {
    await request(node.http).get('/administration').set('X-ApiKey', API_KEY).expect(401);
  });

  it('stores the administrator password only as a slow hash', async () => {
    const users = await node.app.get(PrismaService).client.user.findMany();
    expect(users).toHaveLength(1);
    expect(users[0].passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(users[0].passwordHash).not.toContain(ADMIN_PASSWORD);
  });

  it('keeps the session cookie HttpOnly and SameSite, and its content free of secrets', async () => {
    const login = await request(node.http).get('/login').expect(200);
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
    const session = cookies.find((cookie) => cookie.startsWith('cluster.session='));
    expect(session).toMatch(/httponly/i);
    expect(session).toMatch(/samesite=lax/i);
    const content = Buffer.from(
      decodeURIComponent(session!.split(';')[0].split('=')[1]),
      'base64',
    ).toString();
    expect(content).not.toContain(node.keys.machineKey.toString('hex'));
    expect(content).not.toContain(ADMIN_PASSWORD);
  });

  it('answers /metrics without a login, in Prometheus text, with counts and no names or secrets', async () => {
    await request(node.http).get('/health').expect(200);
    const metrics = await request(node.http).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toMatch(/^cluster_components\{type="web",status="ok"\} 1$/m);
    expect(metrics.text).toMatch(/^cluster_components\{type="service",status="ok"\} 1$/m);
    const first = await firstEpoch(node.app.get(PrismaService));
    expect(metrics.text).toMatch(new RegExp(`^cluster_primary_epoch ${first}$`, 'm'));
    expect(metrics.text).toMatch(/^cluster_node_is_primary 1$/m);
    expect(metrics.text).toMatch(/^cluster_heartbeats_written_total\{type="service"\} [1-9]/m);
    expect(metrics.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/m,
    );
    for (const secret of [
      node.keys.encryptionKey.toString('hex'),
      node.keys.machineKey.toString('hex'),
      'e2e-node',
      '10.1.0.1',
      API_KEY,
    ]) {
      expect(metrics.text).not.toContain(secret);
    }
  });

  it('answers /health without a login and without secrets', async () => {
    const health = await request(node.http).get('/health').expect(200);
    expect(health.body).toEqual({ status: 'ok', database: 'ok', server: 'e2e-node', version: '1.0.0' });
    expect(health.text).not.toContain(node.keys.encryptionKey.toString('hex'));
    expect(health.text).not.toContain('10.1.0.1');
  });
});

describe('a session signed on one node', () => {
  it('is honoured by a node with the same machine key and ignored by one with another', async () => {
    const database = await createTestDatabase('sqlite');
    const nodeA = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' } });
    const twin = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-b' }, keys: nodeA.keys });
    const stranger = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-c' } });
    try {
      const agent = await signedInAgent(nodeA);
      const cookie = (await agent.get('/administration').expect(200)).request.cookies as unknown as string;
      await request(twin.http).get('/administration').set('Cookie', cookie).expect(200);
      await request(stranger.http).get('/administration').set('Cookie', cookie).expect(303);
    } finally {
      await Promise.all([nodeA.close(), twin.close(), stranger.close()]);
      await database.drop();
    }
  });
});

describe('sign-in attempts', () => {
  // Fifteen password checks (scrypt, deliberately slow) a test: room for a busy machine.
  jest.setTimeout(30_000);
  it('are limited to ten failures per address, after which even the right password waits', async () => {
    const database = await createTestDatabase('sqlite');
    const node = await startTestApp(database);
    try {
      const agent = request.agent(node.http);
      const csrf = csrfTokenIn((await agent.get('/login').expect(200)).text);
      const attempt = (password: string) =>
        agent.post('/login').type('form').send({ _csrf: csrf, username: 'Admin', password });
      for (let i = 0; i < 10; i += 1) await attempt(`guess-${i}`).expect(401);
      const limited = await attempt(ADMIN_PASSWORD).expect(429);
      expect(limited.text).toContain('Too many failed sign-in attempts');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await node.close();
      await database.drop();
    }
  });

  /** 15 wrong passwords from one client, each for another user name and claiming another address in X-Forwarded-For. */
  const wrongPasswordsWithNewAddresses = async (node: TestApp) => {
    const agent = request.agent(node.http);
    const csrf = csrfTokenIn((await agent.get('/login').expect(200)).text);
    const statuses: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      const answer = await agent
        .post('/login')
        .set('X-Forwarded-For', `203.0.113.${i + 1}`)
        .type('form')
        .send({ _csrf: csrf, username: `someone-${i}`, password: `guess-${i}` });
      statuses.push(answer.status);
    }
    return statuses;
  };

  it('cannot be dodged with a new X-Forwarded-For each time: nobody is trusted to set it by default', async () => {
    const database = await createTestDatabase('sqlite');
    const node = await startTestApp(database);
    try {
      expect(await wrongPasswordsWithNewAddresses(node)).toEqual([
        ...Array(10).fill(401),
        ...Array(5).fill(429),
      ]);
    } finally {
      await node.close();
      await database.drop();
    }
  });

  it('counts by the forwarded address when TRUST_PROXY names the proxy in front', async () => {
    const database = await createTestDatabase('sqlite');
    const node = await startTestApp(database, { env: { TRUST_PROXY: 'loopback' } });
    try {
      expect(await wrongPasswordsWithNewAddresses(node)).toEqual(Array(15).fill(401));
    } finally {
      await node.close();
      await database.drop();
    }
  });
});

describe('security headers and error pages', () => {
  let database: TestDatabase;
  let node: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    node = await startTestApp(database);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  it('sets helmet headers, including a content security policy without inline scripts', async () => {
    const { headers } = await request(node.http).get('/login').expect(200);
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['x-powered-by']).toBeUndefined();
  });

  it('answers an unknown page with the error page and an unknown API route with JSON, neither with internals', async () => {
    const agent = await signedInAgent(node);
    const page = await agent.get('/administration/no-such-page').expect(404);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<h1>Error 404</h1>');
    expect(page.text).not.toMatch(/at .*\.(js|ts):\d+/);
    const api = await request(node.http).get('/api/no-such-route').set('X-ApiKey', API_KEY).expect(404);
    expect(api.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'There is no API route GET /api/no-such-route.',
    });
  });
});
