import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { PrismaService } from '../../src/modules/database/prisma.service';
import { signIn } from '../support/cluster-api';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { ClusterNode } from '../support/node-process';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const API_KEY = 'shared-rows-clock-api-key';
const ADMIN_PASSWORD = 'shared-rows-clock-password';
const AHEAD_S = 20 * 60;
/** Debian's libfaketime (`apt-get install faketime`; .ci/run installs it), preloaded into the node itself. */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/**
 * Rows that more than one node writes and reads (sessions, failed sign-ins) are judged by the database's
 * clock, not by the clock of the node that reads them: with one node 20 minutes ahead and a 15-minute idle
 * limit, a person signed in on one node a moment ago is still signed in on the other, and wrong passwords
 * tried on both are counted in one window. Only PostgreSQL has a clock apart from the nodes' (SQLite runs
 * inside each node, and nodes sharing a file share one machine's clock).
 */
const describeClocks = databaseKinds().includes('postgresql') ? describe : describe.skip;

describeClocks('shared rows with nodes whose clocks differ by 20 minutes, on PostgreSQL', () => {
  jest.setTimeout(90_000);
  let database: TestDatabase;
  let prisma: PrismaService;
  let onTime: ClusterNode;
  let ahead: ClusterNode;

  beforeAll(async () => {
    expect(existsSync(LIBFAKETIME)).toBe(true);
    database = await createTestDatabase('postgresql');
    prisma = await openDatabase(database.url);
    await useFastHeartbeats(prisma, 1, 3);
    const keys = {
      encryptionKey: randomBytes(32).toString('hex'),
      machineKey: randomBytes(32).toString('hex'),
    };
    const env = { API_KEY, ADMIN_PASSWORD, SESSION_IDLE_MINUTES: '15' };
    onTime = await ClusterNode.start({ name: 'on-time', databaseUrl: database.url, ...keys, env });
    ahead = await ClusterNode.start({
      name: 'ahead',
      databaseUrl: database.url,
      ...keys,
      env: { ...env, LD_PRELOAD: LIBFAKETIME, FAKETIME: `+${AHEAD_S}s` },
    });
  });

  afterAll(async () => {
    await Promise.all([onTime, ahead].map((node) => node?.stop('SIGKILL')));
    await prisma?.onApplicationShutdown();
    await database?.drop();
  });

  const page = async (node: ClusterNode, cookie: string) =>
    (await fetch(`${node.url}/administration/cluster`, { headers: { Cookie: cookie }, redirect: 'manual' }))
      .status;

  it('keeps a person signed in on one node signed in on the other, either way round', async () => {
    const fromOnTime = await signIn(onTime, ADMIN_PASSWORD);
    expect(await page(ahead, fromOnTime)).toBe(200);
    expect(await page(onTime, fromOnTime)).toBe(200);
    const fromAhead = await signIn(ahead, ADMIN_PASSWORD);
    expect(await page(onTime, fromAhead)).toBe(200);
    expect(await page(ahead, fromAhead)).toBe(200);
  });

  it('counts wrong passwords tried on both nodes in one window: the 11th is refused with 429', async () => {
    const attempt = async (node: ClusterNode) => {
      const form = await fetch(`${node.url}/login`);
      const cookie = form.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
      const answer = await fetch(`${node.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
        body: new URLSearchParams({
          _csrf: csrf,
          username: 'Admin',
          password: 'not-the-password',
        }).toString(),
      });
      return answer.status;
    };
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) statuses.push(await attempt(i % 2 === 0 ? onTime : ahead));
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    // And it holds on both nodes.
    expect(await attempt(onTime)).toBe(429);
    expect(await attempt(ahead)).toBe(429);
  });
});
