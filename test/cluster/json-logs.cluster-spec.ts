import { randomBytes } from 'node:crypto';
import { eventually, exitOf, freePort, runMain } from '../support/node-process';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** A node run with LOG_FORMAT=json at debug level, used as a person and a script would; then its log is read. */
describe('JSON logs (LOG_FORMAT=json)', () => {
  jest.setTimeout(60_000);
  let database: TestDatabase;
  const secrets = {
    password: `pw-${randomBytes(9).toString('hex')}`,
    apiKey: `key-${randomBytes(12).toString('hex')}`,
    encryptionKey: randomBytes(32).toString('hex'),
    machineKey: randomBytes(32).toString('hex'),
  };
  let lines: Record<string, unknown>[] = [];
  let raw = '';
  const seen: {
    apiRequestId: string;
    notFoundPage: string;
    notFoundId: string;
    cookie: string;
    csrf: string;
  } = {
    apiRequestId: '',
    notFoundPage: '',
    notFoundId: '',
    cookie: '',
    csrf: '',
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const node = runMain({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      CLUSTER_SERVER_NAME: 'logged-node',
      ENCRYPTION_KEY: secrets.encryptionKey,
      MACHINE_KEY: secrets.machineKey,
      API_KEY: secrets.apiKey,
      ADMIN_PASSWORD: secrets.password,
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
    });
    try {
      await eventually(
        () =>
          fetch(`${base}/health`).then(
            (r) => r.ok,
            () => false,
          ),
        20_000,
        100,
      );
      // Sign in (a wrong password first), read pages with the session, the API with the key, change a setting.
      const login = await fetch(`${base}/login`);
      const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]);
      seen.csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1];
      for (const password of ['wrong-password', secrets.password]) {
        const answer = await fetch(`${base}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
          body: new URLSearchParams({ _csrf: seen.csrf, username: 'Admin', password }),
        });
        for (const c of answer.headers.getSetCookie()) cookies.push(c.split(';')[0]);
      }
      seen.cookie = cookies.join('; ');
      expect(
        (await fetch(`${base}/administration/cluster`, { headers: { cookie: seen.cookie } })).status,
      ).toBe(200);
      const api = await fetch(`${base}/api/cluster`, { headers: { 'x-apikey': secrets.apiKey } });
      expect(api.status).toBe(200);
      seen.apiRequestId = api.headers.get('x-request-id')!;
      const put = await fetch(`${base}/api/cluster/settings`, {
        method: 'PUT',
        headers: { 'x-apikey': secrets.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ loadBalancing: true }),
      });
      expect(put.status).toBe(200);
      const missing = await fetch(`${base}/no/such/page`, { headers: { cookie: seen.cookie } });
      expect(missing.status).toBe(404);
      seen.notFoundId = missing.headers.get('x-request-id')!;
      seen.notFoundPage = await missing.text();
    } finally {
      node.kill('SIGTERM');
      await exitOf(node);
    }
    raw = node.output();
    lines = raw
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('writes one JSON object per line, with level, time, server and message', () => {
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(line).toEqual(
        expect.objectContaining({
          level: expect.any(String),
          time: expect.any(String),
          server: 'logged-node',
        }),
      );
    }
  });

  it('writes one line per request, with method, route, status, duration and the id it answered in X-Request-Id', () => {
    expect(seen.apiRequestId).toMatch(/^[0-9a-f-]{36}$/);
    const api = lines.filter((line) => line.requestId === seen.apiRequestId);
    expect(api).toEqual([
      expect.objectContaining({
        msg: 'request',
        method: 'GET',
        route: '/api/cluster',
        status: 200,
        durationMs: expect.any(Number),
      }),
    ]);
    expect(lines.filter((line) => line.msg === 'request').length).toBeGreaterThanOrEqual(7);
  });

  it('shows the request id on error pages, and logs that request', () => {
    expect(seen.notFoundPage).toContain(`Request id <code>${seen.notFoundId}</code>`);
    expect(lines.find((line) => line.requestId === seen.notFoundId)).toEqual(
      expect.objectContaining({ status: 404, route: 'unmatched' }),
    );
  });

  it('never logs a password, a key, the API key, a cookie or a CSRF token, even at debug level', () => {
    const session = /cluster\.session=([^;]+)/.exec(seen.cookie)![1];
    for (const secret of [
      secrets.password,
      secrets.apiKey,
      secrets.encryptionKey,
      secrets.machineKey,
      session,
      seen.csrf,
      'wrong-password',
    ]) {
      expect(raw).not.toContain(secret);
    }
    expect(raw).not.toMatch(/cookie/i);
  });
});
