import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Prisma } from '../../generated/sqlite/client';
import type { ComponentType } from '../configuration/app-config';
import {
  HEARTBEAT_LOCK_BUDGET_MS,
  LOCK_WAIT_BUDGET_MS,
  PrismaService,
  SHUTDOWN_LOCK_BUDGET_MS,
  STARTUP_LOCK_BUDGET_MS,
} from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { EventsRepository } from '../events/events.repository';

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

/** One running process of this application: a fresh id at every start, where it runs. */
export interface ProcessInstance {
  id: string;
  /** "ip:port", as other nodes and administrators would reach it */
  address: string;
  /** the process id space it runs in (host, boot and pid namespace); null where that cannot be known */
  host: string | null;
  pid: number;
}

/** What a process registers: its server, its components with their tokens, and the facts of each heartbeat. */
export interface InstanceRegistration {
  instance: ProcessInstance;
  serverName: string;
  os: string;
  ipAddress: string;
  version: string;
  components: { type: ComponentType; encryptionToken: string; machineToken: string | null }[];
  report: PresenceReport;
}

/** Written with every heartbeat of a process. */
export interface PresenceReport {
  /** The process's clock minus the database's, as last measured; null while not measured yet (kept as it was). */
  clockSkewMs: number | null;
  eligible: boolean;
  settingsRevision: number;
}

/** Another live process already runs a component of this server. */
export interface InstanceConflict {
  type: ComponentType;
  address: string | null;
  lastSeenMsAgo: number;
}

export type RegistrationResult =
  { registered: true; ids: Map<ComponentType, string> } | { registered: false; conflict: InstanceConflict };

/**
 * Decides whether the process that last reported on a component can still be running. Supplied by the
 * caller: it judges with the cluster's stale rule, and knows which process ids on this host are alive.
 */
export type InstanceLiveness = (row: {
  host: string | null;
  pid: number | null;
  seenAtMs: number | null;
  nowMs: number;
}) => boolean;

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
  constructor(
    private readonly prisma: PrismaService,
    private readonly events: EventsRepository,
  ) {}

  /** The database's current time, in milliseconds since the epoch. */
  databaseNowMs(): Promise<number> {
    return this.prisma.databaseNowMs();
  }

  /**
   * Registers this process's server and components in one transaction, unless another live process already
   * runs one of them under the same server name. The transaction starts with a write on the server's row
   * (SQLite takes its write lock at once; PostgreSQL locks the row, or the new name, until commit), so two
   * processes starting with one name at the same moment are decided one after the other: the first
   * registers, the second sees it and is refused. A component whose process stopped (cleanly, or stale by
   * the stale rule, or a dead process id on this same host) is taken over, as by a restart. With
   * `recordConflict`, a refused process notes itself on the component so that the page can show it.
   */
  async registerInstance(
    registration: InstanceRegistration,
    isLive: InstanceLiveness,
    recordConflict: boolean,
  ): Promise<RegistrationResult> {
    const { instance, report } = registration;
    const now = this.prisma.nowMsSql();
    // At start a node may wait a while for the lock; at run time the next heartbeat period tries again.
    const budgetMs = recordConflict ? LOCK_WAIT_BUDGET_MS : STARTUP_LOCK_BUDGET_MS;
    return this.prisma.whileLocked(
      () =>
        this.prisma.client.$transaction(async (tx): Promise<RegistrationResult> => {
          const [server] = await tx.$queryRaw<{ id: string; now_ms: bigint | number }[]>`
        INSERT INTO servers (id, name, os, ip_address, created_at)
        VALUES (${randomUUID()}, ${registration.serverName}, ${registration.os}, ${registration.ipAddress}, ${new Date()})
        ON CONFLICT (name) DO UPDATE SET name = excluded.name
        RETURNING id, ${now} AS now_ms`;
          const nowMs = Number(server.now_ms);
          const types = registration.components.map((component) => component.type);
          const existing = await tx.component.findMany({
            where: { serverId: server.id, type: { in: types } },
            select: {
              id: true,
              type: true,
              instanceId: true,
              instanceAddress: true,
              instanceHost: true,
              instancePid: true,
              instanceSeenAtMs: true,
            },
          });
          for (const row of existing) {
            if (row.instanceId === null || row.instanceId === instance.id) continue;
            const seenAtMs = row.instanceSeenAtMs === null ? null : Number(row.instanceSeenAtMs);
            if (!isLive({ host: row.instanceHost, pid: row.instancePid, seenAtMs, nowMs })) continue;
            if (recordConflict) {
              await tx.$executeRaw`
            UPDATE components SET duplicate_address = ${instance.address}, duplicate_seen_at_ms = ${BigInt(nowMs)}
            WHERE id = ${row.id}`;
            }
            return {
              registered: false,
              conflict: {
                type: row.type as ComponentType,
                address: row.instanceAddress,
                lastSeenMsAgo: seenAtMs === null ? 0 : nowMs - seenAtMs,
              },
            };
          }
          await tx.$executeRaw`
        UPDATE servers SET os = ${registration.os}, ip_address = ${registration.ipAddress} WHERE id = ${server.id}`;
          const ids = new Map<ComponentType, string>();
          for (const component of registration.components) {
            const rows = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually,
                                  registered_at_ms, last_heartbeat_at_ms, instance_id, instance_address,
                                  instance_host, instance_pid, instance_seen_at_ms, clock_skew_ms, eligible,
                                  settings_revision)
          VALUES (${randomUUID()}, ${server.id}, ${component.type}, ${registration.version},
                  ${component.encryptionToken}, ${component.machineToken}, false, ${BigInt(nowMs)}, ${BigInt(nowMs)},
                  ${instance.id}, ${instance.address}, ${instance.host}, ${instance.pid}, ${BigInt(nowMs)},
                  ${skewOf(report)}, ${report.eligible}, ${report.settingsRevision})
          ON CONFLICT (server_id, type) DO UPDATE SET
            version = excluded.version, encryption_token = excluded.encryption_token,
            machine_token = excluded.machine_token, added_manually = false,
            last_heartbeat_at_ms = excluded.last_heartbeat_at_ms, instance_id = excluded.instance_id,
            instance_address = excluded.instance_address, instance_host = excluded.instance_host,
            instance_pid = excluded.instance_pid, instance_seen_at_ms = excluded.instance_seen_at_ms,
            clock_skew_ms = excluded.clock_skew_ms, eligible = excluded.eligible,
            settings_revision = excluded.settings_revision, duplicate_address = NULL, duplicate_seen_at_ms = NULL
          RETURNING id`;
            ids.set(component.type, rows[0].id);
          }
          return { registered: true, ids };
        }),
      budgetMs,
    );
  }

  /**
   * One statement per heartbeat period for all of this process's components: it is alive (and its service
   * component's heartbeat), its clock skew, its eligibility and the settings it follows. Returns the
   * components still registered to this process: one missing was removed, or taken over by another process.
   */
  async reportPresence(
    instanceId: string,
    report: PresenceReport,
  ): Promise<{ mine: Map<ComponentType, string>; databaseNowMs: number | null }> {
    // SQLite's RETURNING may not name the FROM table: the database's "now" comes back as instance_seen_at_ms.
    const rows = await this.prisma.whileLocked(
      () => this.prisma.client.$queryRaw<{ id: string; type: ComponentType; now_ms: bigint | number }[]>`
      WITH clock AS (SELECT ${this.prisma.nowMsSql()} AS now_ms)
      UPDATE components SET
        instance_seen_at_ms = clock.now_ms,
        last_heartbeat_at_ms = CASE WHEN type = 'service' THEN clock.now_ms ELSE last_heartbeat_at_ms END,
        clock_skew_ms = COALESCE(${skewOf(report)}, clock_skew_ms),
        eligible = ${report.eligible},
        settings_revision = ${report.settingsRevision}
      FROM clock
      WHERE instance_id = ${instanceId}
      RETURNING id, type, instance_seen_at_ms AS now_ms`,
      HEARTBEAT_LOCK_BUDGET_MS,
    );
    return {
      mine: new Map(rows.map((row) => [row.type, row.id])),
      databaseNowMs: rows.length > 0 ? Number(rows[0].now_ms) : null,
    };
  }

  /** Stamps a web heartbeat; false when the component is no longer this process's (removed, or taken over). */
  async touchHeartbeat(componentId: string, instanceId: string): Promise<boolean> {
    const updated = await this.prisma.client.$executeRaw`
      UPDATE components SET last_heartbeat_at_ms = ${this.prisma.nowMsSql()}
      WHERE id = ${componentId} AND instance_id = ${instanceId}`;
    return updated > 0;
  }

  /** On a clean shutdown: this process is gone, so a restart under the same name may register at once. */
  async leave(instanceId: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        UPDATE components SET instance_seen_at_ms = NULL WHERE instance_id = ${instanceId}`,
      SHUTDOWN_LOCK_BUDGET_MS,
    );
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
        await tx.$executeRaw(this.events.insertSql(event(rows[0].id), null));
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
        await tx.$executeRaw(this.events.insertSql(event(removed), null));
        return removed;
      }),
    );
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
          observedDuplicate: component.observedDuplicate,
          instanceAddress: component.instanceAddress,
          instanceSeenAtMs: numberOrNull(component.instanceSeenAtMs),
          duplicateAddress: component.duplicateAddress,
          duplicateSeenAtMs: numberOrNull(component.duplicateSeenAtMs),
          clockSkewMs: numberOrNull(component.clockSkewMs),
          eligible: component.eligible,
        }))
        .sort((a, b) => (a.type === b.type ? 0 : a.type === 'web' ? -1 : 1)),
    }));
  }
}

/** SQL for the health checker's record of what it saw; run fenced by the primary. */
export function observeComponentSql(
  componentId: string,
  heartbeat: string,
  keys: string,
  duplicate: boolean,
): Prisma.Sql {
  return Prisma.sql`UPDATE components SET observed_heartbeat = ${heartbeat}, observed_keys = ${keys}, observed_duplicate = ${duplicate} WHERE id = ${componentId}`;
}

function skewOf(report: PresenceReport): bigint | null {
  return report.clockSkewMs === null ? null : BigInt(Math.round(report.clockSkewMs));
}

function numberOrNull(value: bigint | number | null): number | null {
  return value === null ? null : Number(value);
}
