import { Logger } from '@nestjs/common';
import { loadAppConfig } from '../../src/modules/environment/app-config';
import { PrismaService } from '../../src/modules/database/prisma.service';

/**
 * Opens the test database with the application's own Prisma service (migrating it first, as a node
 * would), for tests that set up or inspect what real node processes share.
 */
export async function openDatabase(url: string): Promise<PrismaService> {
  const config = loadAppConfig(
    { DATABASE_URL: url },
    { hostname: 'test', firstExternalIpv4: undefined, version: '0.0.0', cwd: process.cwd() },
  );
  Logger.overrideLogger(['error']);
  const prisma = new PrismaService(config);
  await prisma.onModuleInit();
  return prisma;
}

/** Short heartbeats for tests and demos: the product allows them, with a warning on the settings page. */
export async function useFastHeartbeats(
  prisma: PrismaService,
  heartbeatSeconds = 1,
  staleSeconds = 3,
): Promise<void> {
  await prisma.client.clusterSettings.update({
    where: { id: 1 },
    data: { heartbeatFrequencySeconds: heartbeatSeconds, staleTimeoutSeconds: staleSeconds },
  });
}

/**
 * The epoch the first takeover of a fresh database gives: 1 on SQLite; on PostgreSQL one above its
 * timeline's floor (timeline × 10^9, migration 0007), so that no promotion can hand an epoch out twice.
 */
export async function firstEpoch(prisma: PrismaService): Promise<number> {
  if (prisma.kind === 'sqlite') return 1;
  const [row] = await prisma.client.$queryRaw<{ floor: bigint }[]>`SELECT cluster_timeline_floor() AS floor`;
  return Number(row.floor) + 1;
}
