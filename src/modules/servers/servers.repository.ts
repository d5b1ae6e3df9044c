import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Prisma } from '../../generated/sqlite/client';
import type { ComponentType } from '../configuration/app-config';
import { PrismaService } from '../database/prisma.service';

export interface ComponentRecord {
  id: string;
  type: ComponentType;
  version: string;
  encryptionToken: string | null;
  machineToken: string | null;
  addedManually: boolean;
  lastHeartbeatAtMs: number | null;
  /** What the primary's health checker last recorded (null: not yet seen). */
  observedHeartbeat: string | null;
  observedKeys: string | null;
}

export interface ServerRecord {
  id: string;
  name: string;
  os: string;
  ipAddress: string;
  components: ComponentRecord[];
}

export interface ComponentRegistration {
  serverName: string;
  os: string;
  ipAddress: string;
  type: ComponentType;
  version: string;
  encryptionToken: string;
  machineToken: string | null;
}

/** Servers and their components. Heartbeat times come from the database's clock, never a node's. */
@Injectable()
export class ServersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The database's current time, in milliseconds since the epoch. */
  databaseNowMs(): Promise<number> {
    return this.prisma.databaseNowMs();
  }

  /**
   * Records this node's server and one of its components, reusing the rows a previous start made (by
   * server name and component type), and stamps the first heartbeat. Each statement is a single atomic
   * upsert, so nodes registering at the same moment neither collide nor duplicate rows.
   */
  async registerComponent(registration: ComponentRegistration): Promise<string> {
    const servers = await this.prisma.client.$queryRaw<{ id: string }[]>`
      INSERT INTO servers (id, name, os, ip_address, created_at)
      VALUES (${randomUUID()}, ${registration.serverName}, ${registration.os}, ${registration.ipAddress}, ${new Date()})
      ON CONFLICT (name) DO UPDATE SET os = excluded.os, ip_address = excluded.ip_address
      RETURNING id`;
    const now = this.prisma.nowMsSql();
    const components = await this.prisma.client.$queryRaw<{ id: string }[]>`
      INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually,
                              registered_at_ms, last_heartbeat_at_ms)
      VALUES (${randomUUID()}, ${servers[0].id}, ${registration.type}, ${registration.version},
              ${registration.encryptionToken}, ${registration.machineToken}, false, ${now}, ${now})
      ON CONFLICT (server_id, type) DO UPDATE SET
        version = excluded.version, encryption_token = excluded.encryption_token,
        machine_token = excluded.machine_token, added_manually = false,
        last_heartbeat_at_ms = excluded.last_heartbeat_at_ms
      RETURNING id`;
    return components[0].id;
  }

  /** Stamps a heartbeat; false when the component no longer exists (an administrator removed it). */
  async touchHeartbeat(componentId: string): Promise<boolean> {
    const updated = await this.prisma.client.$executeRaw`
      UPDATE components SET last_heartbeat_at_ms = ${this.prisma.nowMsSql()} WHERE id = ${componentId}`;
    return updated > 0;
  }

  async findAllWithComponents(): Promise<ServerRecord[]> {
    const servers = await this.prisma.client.server.findMany({
      include: { components: true },
      orderBy: { name: 'asc' },
    });
    return servers.map((server) => ({
      id: server.id,
      name: server.name,
      os: server.os,
      ipAddress: server.ipAddress,
      components: server.components
        .map((component) => ({
          id: component.id,
          type: component.type as ComponentType,
          version: component.version,
          encryptionToken: component.encryptionToken,
          machineToken: component.machineToken,
          addedManually: component.addedManually,
          lastHeartbeatAtMs:
            component.lastHeartbeatAtMs === null ? null : Number(component.lastHeartbeatAtMs),
          observedHeartbeat: component.observedHeartbeat,
          observedKeys: component.observedKeys,
        }))
        .sort((a, b) => (a.type === b.type ? 0 : a.type === 'web' ? -1 : 1)),
    }));
  }
}

/** SQL for the health checker's record of what it saw; run fenced by the primary. */
export function observeComponentSql(componentId: string, heartbeat: string, keys: string): Prisma.Sql {
  return Prisma.sql`UPDATE components SET observed_heartbeat = ${heartbeat}, observed_keys = ${keys} WHERE id = ${componentId}`;
}
