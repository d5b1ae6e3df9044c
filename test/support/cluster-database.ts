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
