import type { PrimarySeen } from '../failover/lease';
import { PRIMARY_COLUMNS_SQL, PrimaryColumns } from '../failover/lease-sql';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ComponentType } from '../environment/app-config';
import {
  HEARTBEAT_LOCK_BUDGET_MS,
  LOCK_WAIT_BUDGET_MS,
  PrismaService,
  SHUTDOWN_LOCK_BUDGET_MS,
  STARTUP_LOCK_BUDGET_MS,
} from '../database/prisma.service';

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

/**
 * What a node learns from its heartbeat's own answer instead of polling for it: the primary lease (a backup
 * that sees it held and live needs no lease statement), the settings revision (a new one is read at once)
 * and the cluster's key check (whether this node may become primary).
 */
export interface BeatNews {
  settingsRevision: number;
  keyCheck: string | null;
  /** As the statement read it; the service adds when the answer arrived. */
  primary: Omit<PrimarySeen, 'answeredAtMs'> | null;
}

/** The answer to one heartbeat statement; no components (all removed or taken over) means no news. */
export interface PresenceAnswer {
  mine: Map<ComponentType, string>;
  databaseNowMs: number | null;
  drained: boolean;
  news: BeatNews | null;
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

/**
 * This process's rows: its server and components as it registers them, and what it writes every heartbeat
 * period. Times come from the database's clock, never a node's.
 */
@Injectable()
export class HeartbeatRepository {
  constructor(private readonly prisma: PrismaService) {}

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
   * components still registered to this process (one missing was removed, or taken over by another process),
   * whether an administrator drained its service component, and the news a node would otherwise poll for:
   * the primary lease, the settings revision and the cluster's key check (see BeatNews).
   */
  async reportPresence(instanceId: string, report: PresenceReport): Promise<PresenceAnswer> {
    // SQLite's RETURNING may not name the FROM table: the database's "now" comes back as instance_seen_at_ms.
    const rows = await this.prisma.whileLocked(
      () => this.prisma.client.$queryRaw<
        ({
          id: string;
          type: ComponentType;
          now_ms: bigint | number;
          drained_at_ms: bigint | number | null;
          settings_revision_now: bigint | number;
          key_check: string | null;
        } & PrimaryColumns)[]
      >`
      WITH clock AS (SELECT ${this.prisma.nowMsSql()} AS now_ms)
      UPDATE components SET
        instance_seen_at_ms = clock.now_ms,
        last_heartbeat_at_ms = CASE WHEN type = 'service' THEN clock.now_ms ELSE last_heartbeat_at_ms END,
        clock_skew_ms = COALESCE(${skewOf(report)}, clock_skew_ms),
        eligible = ${report.eligible},
        settings_revision = ${report.settingsRevision}
      FROM clock
      WHERE instance_id = ${instanceId}
      RETURNING id, type, instance_seen_at_ms AS now_ms, drained_at_ms, ${PRIMARY_COLUMNS_SQL},
        (SELECT ns.revision FROM cluster_settings ns WHERE ns.id = 1) AS settings_revision_now,
        (SELECT ns.encryption_check FROM cluster_settings ns WHERE ns.id = 1) AS key_check`,
      HEARTBEAT_LOCK_BUDGET_MS,
    );
    if (rows.length === 0) return { mine: new Map(), databaseNowMs: null, drained: false, news: null };
    const [first] = rows;
    const databaseNowMs = Number(first.now_ms);
    return {
      mine: new Map(rows.map((row) => [row.type, row.id])),
      databaseNowMs,
      drained: rows.some((row) => row.type === 'service' && row.drained_at_ms !== null),
      news: {
        settingsRevision: Number(first.settings_revision_now),
        keyCheck: first.key_check,
        primary:
          first.primary_holder !== null
            ? {
                holder: first.primary_holder,
                epoch: Number(first.primary_epoch),
                version: first.primary_version,
                expiresAtMs: Number(first.primary_expires_at_ms),
                databaseNowMs,
              }
            : null,
      },
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
}

function skewOf(report: PresenceReport): bigint | null {
  return report.clockSkewMs === null ? null : BigInt(Math.round(report.clockSkewMs));
}
