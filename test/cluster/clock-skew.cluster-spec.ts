import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { PrismaService } from '../../src/modules/database/prisma.service';
import type { ClusterReport } from '../../src/modules/overview/cluster-report';
import { serverIn, signedInPage } from '../support/cluster-api';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { LeaseWatcher } from '../support/lease-watcher';
import { ClusterNode, eventually } from '../support/node-process';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const H_S = 1;
const T_S = 3;
const SKEW_S = 600;
const API_KEY = 'clock-skew-test-api-key';
const ADMIN_PASSWORD = 'clock-skew-test-password';
/** Debian's libfaketime (`apt-get install faketime`; .ci/run installs it), preloaded into the node itself. */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/**
 * Nodes whose clocks are ten minutes off. Only PostgreSQL has a clock of its own to measure against: SQLite
 * runs inside each node process and reads that process's clock, and the nodes sharing one SQLite file share
 * one machine's clock. Without TEST_DATABASE_URL Jest reports this file as skipped, and says why.
 */
const describeSkew = databaseKinds().includes('postgresql') ? describe : describe.skip;

describeSkew('nodes with skewed clocks on PostgreSQL', () => {
  jest.setTimeout(90_000);
  let database: TestDatabase;
  let prisma: PrismaService;
  let watcher: LeaseWatcher;
  const nodes = new Map<string, ClusterNode>();
  const keys = {
    encryptionKey: randomBytes(32).toString('hex'),
    machineKey: randomBytes(32).toString('hex'),
  };

  const start = async (name: string, faketime?: string) => {
    const env: Record<string, string> = { API_KEY, ADMIN_PASSWORD, LOG_LEVEL: 'info' };
    if (faketime) Object.assign(env, { LD_PRELOAD: LIBFAKETIME, FAKETIME: faketime });
    const node = await ClusterNode.start({ name, databaseUrl: database.url, ...keys, env });
    nodes.set(name, node);
    return node;
  };

  beforeAll(async () => {
    expect(existsSync(LIBFAKETIME)).toBe(true);
    database = await createTestDatabase('postgresql');
    prisma = await openDatabase(database.url);
    await useFastHeartbeats(prisma, H_S, T_S);
    watcher = new LeaseWatcher(prisma);
    await start('node-on-time');
    await start('node-ahead', `+${SKEW_S}s`);
    await start('node-behind', `-${SKEW_S}s`);
    watcher.start(25);
  });

  afterAll(async () => {
    await watcher?.stop();
    await Promise.all([...nodes.values()].map((node) => node.stop('SIGKILL')));
    await prisma?.onApplicationShutdown();
    await database?.drop();
  });

  it('measures each server against the database clock, shows the skew and warns past 5 s', async () => {
    const observer = nodes.get('node-on-time')!;
    await eventually(async () => {
      const report = await observer.getJson<ClusterReport>('/api/cluster', API_KEY);
      return report.servers.every((server) => server.clockSkewMs !== null);
    }, 5_000);
    const report = await observer.getJson<ClusterReport>('/api/cluster', API_KEY);
    expect(Math.abs(serverIn(report, 'node-on-time').clockSkewMs!)).toBeLessThan(1_000);
    expect(Math.abs(serverIn(report, 'node-ahead').clockSkewMs! - SKEW_S * 1000)).toBeLessThan(5_000);
    expect(Math.abs(serverIn(report, 'node-behind').clockSkewMs! + SKEW_S * 1000)).toBeLessThan(5_000);
    expect(serverIn(report, 'node-on-time').status).toBe('ok');
    expect(serverIn(report, 'node-ahead').status).toBe('warning');
    expect(serverIn(report, 'node-behind').status).toBe('warning');
    // Skew is a warning, not a heartbeat problem: the skewed servers' components are live.
    for (const server of report.servers) {
      for (const component of server.components) expect(component.checks.heartbeat).toBe('ok');
    }
    const page = await signedInPage(observer, '/administration/cluster', ADMIN_PASSWORD);
    expect(page.text).toMatch(/(599|600|601)\.\d s ahead of the database/);
    expect(page.text).toMatch(/(599|600|601)\.\d s behind the database/);
    expect(page.text).toContain('synchronise its clock (NTP)');
  });

  it('fails over between skewed nodes as if their clocks were right', async () => {
    for (let round = 0; round < 2; round++) {
      const before = await watcher.observe();
      const holder = await prisma.client.component.findUniqueOrThrow({
        where: { id: before.holder! },
        include: { server: true },
      });
      const primary = nodes.get(holder.server.name)!;
      const killedAt = Date.now();
      await primary.stop('SIGKILL');
      const next = await watcher.waitForEpochAbove(before.epoch, (T_S + H_S) * 1000 + 3_000);
      expect(next.epoch).toBe(before.epoch + 1);
      expect(next.atMs - killedAt).toBeLessThanOrEqual((T_S + H_S) * 1000 + 1_000);
      await start(primary.name, primary.options.env?.FAKETIME);
    }
    expect(watcher.violations()).toEqual([]);
  });
});
