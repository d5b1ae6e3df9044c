import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ComponentType } from '../environment/app-config';
import type { ClusterSettingsRecord } from '../configuration/cluster-settings.repository';
import {
  SettingsColumns,
  settingsFromColumns,
  SETTINGS_COLUMNS_SQL,
  SETTINGS_JOIN_SQL,
} from '../configuration/settings-sql';
import { PrismaService } from '../database/prisma.service';
import type { LeaseRecord } from '../failover/lease';
import { LeaseColumns, leaseFromColumns, LEASE_COLUMNS_SQL, LEASE_JOIN_SQL } from '../failover/lease-sql';
import type { NewEvent } from '../events/event';
import { insertEventSql } from '../events/event-sql';

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
  observedDuplicate: boolean | null;
  /** The process running it ("ip:port"), and when it last said it is alive; null once it stopped cleanly. */
  instanceAddress: string | null;
  instanceSeenAtMs: number | null;
  /** Another process that tried to run under this server's name, and when it last tried. */
  duplicateAddress: string | null;
  duplicateSeenAtMs: number | null;
  /** That process's clock minus the database's, at its last heartbeat. */
  clockSkewMs: number | null;
  /** Its encryption key opens the cluster's key check; null for a component added by hand. */
  eligible: boolean | null;
}

export interface ServerRecord {
  id: string;
  name: string;
  os: string;
  ipAddress: string;
  components: ComponentRecord[];
}

/** A component an administrator adds by hand. */
export interface ManualComponent {
  serverName: string;
  os: string;
  ipAddress: string;
  type: ComponentType;
  version: string;
  encryptionToken: string;
  machineToken: string | null;
}

export type ManualAddResult =
  | { added: true; id: string }
  | { added: false; reason: 'duplicate' }
  | { added: false; reason: 'server-differs'; os: string; ipAddress: string };

export interface RemovedComponent {
  serverName: string;
  type: ComponentType;
  serverRemoved: boolean;
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
   * Adds a component that never heartbeats, for an administrator trying out the page, with its event, in one transaction
   * that starts with a write: the upsert creates the server or locks its row (so a concurrent removal
   * cannot delete it midway), and SQLite takes its write lock at once. A server that exists with another
   * operating system or address, or that already has a component of this type, is left as it was.
   */
  async addManualComponent(
    manual: ManualComponent,
    event: (id: string) => NewEvent,
  ): Promise<ManualAddResult> {
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx): Promise<ManualAddResult> => {
        const [server] = await tx.$queryRaw<{ id: string; os: string; ip_address: string }[]>`
        INSERT INTO servers (id, name, os, ip_address, created_at)
        VALUES (${randomUUID()}, ${manual.serverName}, ${manual.os}, ${manual.ipAddress}, ${new Date()})
        ON CONFLICT (name) DO UPDATE SET name = excluded.name
        RETURNING id, os, ip_address`;
        if (server.os !== manual.os || server.ip_address !== manual.ipAddress) {
          return { added: false, reason: 'server-differs', os: server.os, ipAddress: server.ip_address };
        }
        const rows = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually,
                                registered_at_ms, last_heartbeat_at_ms)
        VALUES (${randomUUID()}, ${server.id}, ${manual.type}, ${manual.version}, ${manual.encryptionToken},
                ${manual.machineToken}, true, ${this.prisma.nowMsSql()}, NULL)
        ON CONFLICT (server_id, type) DO NOTHING
        RETURNING id`;
        if (rows.length === 0) return { added: false, reason: 'duplicate' };
        await tx.$executeRaw(insertEventSql(event(rows[0].id), null, this.prisma.nowMsSql()));
        return { added: true, id: rows[0].id };
      }),
    );
  }

  /**
   * Deletes a component, and its server when it was the server's last one, ends the primary lease if the
   * component held it, and records the event, in one transaction that starts with the delete (so SQLite takes its write lock
   * at once). Null when there is no such component.
   */
  async removeComponent(
    id: string,
    event: (removed: RemovedComponent) => NewEvent,
  ): Promise<RemovedComponent | null> {
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx) => {
        const deleted = await tx.$queryRaw<{ server_id: string; type: string }[]>`
        DELETE FROM components WHERE id = ${id} RETURNING server_id, type`;
        if (deleted.length === 0) return null;
        // Removing the primary's component ends its lease, so that a backup takes over at its next heartbeat.
        await tx.$executeRaw`UPDATE leases SET expires_at_ms = 0 WHERE holder = ${id}`;
        const serverId = deleted[0].server_id;
        const server = await tx.server.findUniqueOrThrow({ where: { id: serverId }, select: { name: true } });
        const emptied = await tx.$executeRaw`
        DELETE FROM servers WHERE id = ${serverId} AND NOT EXISTS (SELECT 1 FROM components WHERE server_id = ${serverId})`;
        const removed: RemovedComponent = {
          serverName: server.name,
          type: deleted[0].type as ComponentType,
          serverRemoved: emptied > 0,
        };
        await tx.$executeRaw(insertEventSql(event(removed), null, this.prisma.nowMsSql()));
        return removed;
      }),
    );
  }

  /**
   * Every server with its components, the cluster settings, the primary lease and the database's "now", in
   * one statement whatever the size of the cluster (Prisma's `include` would read servers and components in
   * two, and split the second into several on SQLite past 999 servers; each statement saved is a round trip
   * and a trip through Prisma on every page). Servers by name; a server's web component before its service one.
   */
  async findCluster(): Promise<ClusterSnapshot> {
    const rows = await this.prisma.client.$queryRaw<OverviewRow[]>`
      SELECT n.now_ms, ${SETTINGS_COLUMNS_SQL}, ${LEASE_COLUMNS_SQL},
        s.id AS server_id, s.name, s.os, s.ip_address,
        c.id, c.type, c.version, c.encryption_token, c.machine_token, c.added_manually, c.last_heartbeat_at_ms,
        c.observed_heartbeat, c.observed_keys, c.observed_duplicate, c.instance_address, c.instance_seen_at_ms,
        c.duplicate_address, c.duplicate_seen_at_ms, c.clock_skew_ms, c.eligible
      FROM (SELECT ${this.prisma.nowMsSql()} AS now_ms) n
      ${SETTINGS_JOIN_SQL}
      ${LEASE_JOIN_SQL}
      LEFT JOIN servers s ON TRUE
      LEFT JOIN components c ON c.server_id = s.id
      ORDER BY s.name, c.type DESC`;
    const servers: ServerRecord[] = [];
    for (const row of rows) {
      if (row.server_id === null) continue;
      let server = servers.at(-1);
      if (server?.id !== row.server_id) {
        server = { id: row.server_id, name: row.name, os: row.os, ipAddress: row.ip_address, components: [] };
        servers.push(server);
      }
      if (row.id === null) continue;
      server.components.push({
        id: row.id,
        type: row.type as ComponentType,
        version: row.version,
        encryptionToken: row.encryption_token,
        machineToken: row.machine_token,
        addedManually: booleanOrNull(row.added_manually) ?? false,
        lastHeartbeatAtMs: numberOrNull(row.last_heartbeat_at_ms),
        observedHeartbeat: row.observed_heartbeat,
        observedKeys: row.observed_keys,
        observedDuplicate: booleanOrNull(row.observed_duplicate),
        instanceAddress: row.instance_address,
        instanceSeenAtMs: numberOrNull(row.instance_seen_at_ms),
        duplicateAddress: row.duplicate_address,
        duplicateSeenAtMs: numberOrNull(row.duplicate_seen_at_ms),
        clockSkewMs: numberOrNull(row.clock_skew_ms),
        eligible: booleanOrNull(row.eligible),
      });
    }
    return {
      nowMs: Number(rows[0].now_ms),
      settings: settingsFromColumns(rows[0]),
      lease: leaseFromColumns(rows[0]),
      servers,
    };
  }
}

/** What one read of the cluster gives: everything the overview and the health check judge by. */
export interface ClusterSnapshot {
  nowMs: number;
  settings: ClusterSettingsRecord;
  lease: LeaseRecord;
  servers: ServerRecord[];
}

/** One row of the overview's JOIN, as either driver returns it (SQLite: integers for booleans). */
interface OverviewRow extends SettingsColumns, LeaseColumns {
  now_ms: bigint | number;
  server_id: string | null;
  name: string;
  os: string;
  ip_address: string;
  id: string | null;
  type: string;
  version: string;
  encryption_token: string | null;
  machine_token: string | null;
  added_manually: boolean | number | bigint | null;
  last_heartbeat_at_ms: bigint | number | null;
  observed_heartbeat: string | null;
  observed_keys: string | null;
  observed_duplicate: boolean | number | bigint | null;
  instance_address: string | null;
  instance_seen_at_ms: bigint | number | null;
  duplicate_address: string | null;
  duplicate_seen_at_ms: bigint | number | null;
  clock_skew_ms: bigint | number | null;
  eligible: boolean | number | bigint | null;
}

function booleanOrNull(value: boolean | number | bigint | null): boolean | null {
  return value === null ? null : Boolean(Number(value));
}

function numberOrNull(value: bigint | number | null): number | null {
  return value === null ? null : Number(value);
}
