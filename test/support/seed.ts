import { randomUUID } from 'node:crypto';
import type { ComponentType } from '../../src/modules/environment/app-config';
import { NodeKeys } from '../../src/modules/environment/node-keys';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { ClusterRepository } from '../../src/modules/cluster/cluster.repository';
import { KeyCrypto } from '../../src/modules/verification/key-crypto';
import type { TestApp } from './test-app';

export interface SeededComponent {
  type: ComponentType;
  version?: string;
  /** How long ago, by the database's clock, the last heartbeat arrived. */
  heartbeatAgoMs: number;
  /** How long ago its process last reported (instance_seen_at_ms); never, when left out. */
  processSeenAgoMs?: number;
}

/**
 * Writes another server into the test database as its own node would have registered it: tokens made
 * with the given keys, heartbeats dated from the database's clock.
 */
export async function seedServer(
  target: TestApp,
  server: { name: string; os?: string; ipAddress?: string; keys: NodeKeys; components: SeededComponent[] },
): Promise<void> {
  const prisma = target.app.get(PrismaService).client;
  const nowMs = await target.app.get(ClusterRepository).databaseNowMs();
  const crypto = new KeyCrypto(server.keys);
  await prisma.server.create({
    data: {
      id: randomUUID(),
      name: server.name,
      os: server.os ?? 'Linux 6.1.0 (Debian GNU/Linux 12 (bookworm))',
      ipAddress: server.ipAddress ?? '10.0.0.9',
      components: {
        create: server.components.map((component) => ({
          id: randomUUID(),
          type: component.type,
          version: component.version ?? '1.0.0',
          encryptionToken: crypto.makeEncryptionToken(),
          machineToken: component.type === 'web' ? crypto.makeMachineToken() : null,
          registeredAtMs: BigInt(nowMs - component.heartbeatAgoMs),
          lastHeartbeatAtMs: BigInt(nowMs - component.heartbeatAgoMs),
          instanceSeenAtMs:
            component.processSeenAgoMs === undefined ? null : BigInt(nowMs - component.processSeenAgoMs),
        })),
      },
    },
  });
}
