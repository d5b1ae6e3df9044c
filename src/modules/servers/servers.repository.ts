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
import type { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import type { LeaseRecord } from '../failover/lease';
import { LeaseColumns, leaseFromColumns, LEASE_COLUMNS_SQL, LEASE_JOIN_SQL } from '../failover/lease-sql';
import { LeaseRepository } from '../failover/lease.repository';
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
  /** Drained by an administrator (who, when): never takes the primary lease until resumed. */
  drainedAtMs: number | null;
  drainedBy: string | null;
  /** How the process running it reaches the database (JSON of a DatabasePath), as it last found out. */
  databasePath: string | null;
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

/** What a drain or resume does, judged on the cluster as the transaction reads it. */
export interface DrainDecision {
  endLease: boolean;
  event: NewEvent;
}

/** A service component's drain after a change: whether it changed, and whether its lease was ended. */
export interface DrainState {
  changed: boolean;
  leaseEnded: boolean;
  drainedAtMs: number | null;
  drainedBy: string | null;
}

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
    private readonly leases: LeaseRepository,
  ) {}

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
   * component held it, and records the event, in one transaction that starts with a write (so SQLite takes its write lock
   * at once). Null when there is no such component.
   */
  async removeComponent(
    id: string,
    event: (removed: RemovedComponent) => NewEvent,
  ): Promise<RemovedComponent | null> {
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx) => {
        // The lease row first, as every transaction that touches both (drains, the primary's fenced writes).
        await this.leases.lockIn(tx);
        const deleted = await tx.$queryRaw<{ server_id: string; type: string }[]>`
        DELETE FROM components WHERE id = ${id} RETURNING server_id, type`;
        if (deleted.length === 0) return null;
        await this.leases.endHeldBy(tx, id);
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
   * Drains a service component, or resumes it, in one transaction that first locks the lease row (so drains
   * are decided one after the other, and in the lock order of the primary's fenced writes: lease, then
   * components), then reads the cluster and lets `decide` judge it: whether to end the component's lease
   * (a live backup will take it) and what the event says; `decide` may throw to refuse, and nothing is
   * written. The event is recorded only when the state changed. Ending the lease marks the lease row with
   * the drained holder, which a takeover checks on the row itself: PostgreSQL re-checks a waiting UPDATE
   * against the new row, but its subqueries against an older snapshot.
   */
  async setDrained(
    id: string,
    change: { drain: true; actor: string } | { drain: false },
    decide: (snapshot: ClusterSnapshot) => DrainDecision,
  ): Promise<DrainState | null> {
    const now = this.prisma.nowMsSql();
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx): Promise<DrainState | null> => {
        await this.leases.lockIn(tx);
        const decision = decide(await this.findCluster(tx));
        const changed = change.drain
          ? await tx.$executeRaw`
              UPDATE components SET drained_at_ms = ${now}, drained_by = ${change.actor}
              WHERE id = ${id} AND type = 'service' AND drained_at_ms IS NULL`
          : await tx.$executeRaw`
              UPDATE components SET drained_at_ms = NULL, drained_by = NULL
              WHERE id = ${id} AND type = 'service' AND drained_at_ms IS NOT NULL`;
        const [row] = await tx.$queryRaw<
          { drained_at_ms: bigint | number | null; drained_by: string | null }[]
        >`
          SELECT drained_at_ms, drained_by FROM components WHERE id = ${id}`;
        // Removed meanwhile (a removal does not wait for this lock when the component holds no lease).
        if (!row) return null;
        let leaseEnded = false;
        if (change.drain) leaseEnded = await this.leases.markDrained(tx, id, decision.endLease);
        else await this.leases.clearDrained(tx, id);
        if (changed > 0) await tx.$executeRaw(insertEventSql(decision.event, null, now));
        return {
          changed: changed > 0,
          leaseEnded,
          drainedAtMs: row.drained_at_ms === null ? null : Number(row.drained_at_ms),
          drainedBy: row.drained_by,
        };
      }),
    );
  }

  /**
   * Every server with its components, the cluster settings, the primary lease and the database's "now", in
   * one statement whatever the size of the cluster. The servers come as one JSON text built by the database:
   * at 1,000 servers that is five times cheaper than 2,000 rows of 20 columns, which Prisma converts value by
   * value (and than Prisma's `include`, two statements, split further on SQLite past 999 servers).
   * Servers by name (code-point order, the same on both databases); a server's web component first.
   */
  async findCluster(
    db: Pick<Prisma.TransactionClient, '$queryRaw'> = this.prisma.client,
  ): Promise<ClusterSnapshot> {
    const [row] = await db.$queryRaw<(SettingsColumns & LeaseColumns & SnapshotRow)[]>`
      SELECT n.now_ms, ${SETTINGS_COLUMNS_SQL}, ${LEASE_COLUMNS_SQL},
        (SELECT MAX(ended_at_ms) FROM database_outages) AS database_back_at_ms,
        (SELECT ${this.prisma.jsonArrayAggSql(`
            s.id, s.name, s.os, s.ip_address,
            c.id, c.type, c.version, c.encryption_token, c.machine_token, c.added_manually, c.last_heartbeat_at_ms,
            c.observed_heartbeat, c.observed_keys, c.observed_duplicate, c.instance_address, c.instance_seen_at_ms,
            c.duplicate_address, c.duplicate_seen_at_ms, c.clock_skew_ms, c.eligible, c.drained_at_ms, c.drained_by,
            c.database_path`)}
          FROM servers s LEFT JOIN components c ON c.server_id = s.id) AS servers_json
      FROM (SELECT ${this.prisma.nowMsSql()} AS now_ms) n ${SETTINGS_JOIN_SQL} ${LEASE_JOIN_SQL}`;
    const byId = new Map<string, ServerRecord>();
    for (const values of JSON.parse(row.servers_json ?? '[]') as JsonRow[]) {
      const [serverId, name, os, ipAddress, id, type, version, encryptionToken, machineToken] = values;
      let server = byId.get(serverId);
      if (!server) {
        server = { id: serverId, name, os, ipAddress, components: [] };
        byId.set(serverId, server);
      }
      if (id === null) continue;
      server.components.push({
        id,
        type: type as ComponentType,
        version: version!,
        encryptionToken,
        machineToken,
        addedManually: booleanOrNull(values[9]) ?? false,
        lastHeartbeatAtMs: values[10],
        observedHeartbeat: values[11],
        observedKeys: values[12],
        observedDuplicate: booleanOrNull(values[13]),
        instanceAddress: values[14],
        instanceSeenAtMs: values[15],
        duplicateAddress: values[16],
        duplicateSeenAtMs: values[17],
        clockSkewMs: values[18],
        eligible: booleanOrNull(values[19]),
        drainedAtMs: values[20],
        drainedBy: values[21],
        databasePath: values[22],
      });
    }
    const servers = [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const server of servers)
      server.components.sort((a, b) => (a.type === b.type ? 0 : a.type === 'web' ? -1 : 1));
    return {
      nowMs: Number(row.now_ms),
      databaseBackAtMs: row.database_back_at_ms === null ? null : Number(row.database_back_at_ms),
      settings: settingsFromColumns(row),
      lease: leaseFromColumns(row),
      servers,
    };
  }
}

interface SnapshotRow {
  now_ms: bigint | number;
  database_back_at_ms: bigint | number | null;
  /** Null on PostgreSQL when there is no server (json_agg of no rows). */
  servers_json: string | null;
}

/** One server-and-component pair in the JSON text, in the order findCluster selects them. */
type JsonRow = [
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  boolean | number | null,
  number | null,
  string | null,
  string | null,
  boolean | number | null,
  string | null,
  number | null,
  string | null,
  number | null,
  number | null,
  boolean | number | null,
  number | null,
  string | null,
  string | null,
];

/** What one read of the cluster gives: everything the overview and the health check judge by. */
export interface ClusterSnapshot {
  nowMs: number;
  /** When the nodes could use the database again after the last outage (see OutageRepository). */
  databaseBackAtMs: number | null;
  settings: ClusterSettingsRecord;
  lease: LeaseRecord;
  servers: ServerRecord[];
}

function booleanOrNull(value: boolean | number | null): boolean | null {
  return value === null ? null : Boolean(Number(value));
}
