import { Logger } from '@nestjs/common';
import { databaseTrouble } from '../../src/common/database-errors';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { loadAppConfig } from '../../src/modules/environment/app-config';
import { openDatabase } from '../support/cluster-database';
import { eventually } from '../support/node-process';
import { describeTopology, PostgresServer, stopAll } from '../support/topology';

/**
 * Issue 13, item 2: a connection that lands on a server that is read-only (a replica, or an old primary that
 * came back as one behind a moved address) is no use to a node: it is dropped from the pool, not lent to
 * the next request. A connection whose transaction failed for another reason is kept.
 */
describeTopology('a connection to a read-only server', () => {
  jest.setTimeout(60_000);
  let replica: PostgresServer;
  let prisma: PrismaService;

  beforeAll(async () => {
    const primary = await PostgresServer.primary();
    await (await openDatabase(primary.url())).onApplicationShutdown();
    replica = await primary.replica();
    Logger.overrideLogger(['error']);
    const config = loadAppConfig(
      { DATABASE_URL: replica.url(), CLUSTER_SERVER_NAME: 'read-only-probe' },
      { hostname: 'test', firstExternalIpv4: undefined, version: '0.0.0', cwd: process.cwd() },
    );
    // No migrations: the replica cannot take them. The client alone, as a node's pool would use it.
    prisma = new PrismaService(config);
  });

  afterAll(async () => {
    await prisma?.onApplicationShutdown();
    await stopAll();
  });

  const ours = async () =>
    (
      await replica.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cluster-overview read-only-probe'`,
      )
    )[0].n;

  it('keeps a connection whose transaction failed for a reason of its own', async () => {
    await expect(prisma.client.$transaction((tx) => tx.$queryRawUnsafe('SELECT 1 / 0'))).rejects.toThrow(
      /division by zero/,
    );
    expect(await ours()).toBe(1);
  });

  it('drops a connection that met a read-only server (25006), and calls it the database being unavailable', async () => {
    const write = prisma.client.$transaction((tx) =>
      tx.$executeRawUnsafe(`UPDATE leases SET holder = holder`),
    );
    const error = await write.catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/read-only transaction/);
    expect(databaseTrouble(error)).toBe('unreachable');
    await eventually(async () => (await ours()) === 0, 5_000, 50);
  });
});
