import { Injectable } from '@nestjs/common';
import type { ComponentType } from '../environment/app-config';
import type { ClusterSettings } from '../configuration/settings-rules';
import {
  SettingsColumns,
  settingsFromColumns,
  SETTINGS_COLUMNS_SQL,
  SETTINGS_JOIN_SQL,
} from '../configuration/settings-sql';
import type { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import { releasesJsonSql } from '../upgrade/release-sql';
import type { LeaseRecord } from '../failover/lease';
import { LeaseColumns, leaseFromColumns, LEASE_COLUMNS_SQL, LEASE_JOIN_SQL } from '../failover/lease-sql';

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

/** Servers and their components, read as one snapshot. Heartbeat times come from the database's clock. */
@Injectable()
export class ClusterRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The database's current time, in milliseconds since the epoch. */
  databaseNowMs(): Promise<number> {
    return this.prisma.databaseNowMs();
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
    detail: SnapshotDetail = 'page',
  ): Promise<ClusterSnapshot> {
    // What only a person reads (where a server runs, how its process reaches the database) stays out of
    // the primary's every-second read: at 1,000 servers the database path alone is most of the JSON.
    const shown = (column: string) => (detail === 'page' ? column : 'NULL');
    const [row] = await db.$queryRaw<(SettingsColumns & LeaseColumns & SnapshotRow)[]>`
      SELECT n.now_ms, ${SETTINGS_COLUMNS_SQL}, ${LEASE_COLUMNS_SQL},
        (SELECT MAX(ended_at_ms) FROM database_outages) AS database_back_at_ms,
        (SELECT began_at_ms FROM database_outages ORDER BY ended_at_ms DESC LIMIT 1) AS database_down_at_ms,
        ${releasesJsonSql(this.prisma)} AS releases_json,
        (SELECT ${this.prisma.jsonArrayAggSql(`
            s.id, s.name, ${shown('s.os')}, ${shown('s.ip_address')},
            c.id, c.type, c.version, c.encryption_token, c.machine_token, c.added_manually, c.last_heartbeat_at_ms,
            c.observed_heartbeat, c.observed_keys, c.observed_duplicate, ${shown('c.instance_address')},
            c.instance_seen_at_ms, c.duplicate_address, c.duplicate_seen_at_ms, ${shown('c.clock_skew_ms')},
            c.eligible, c.drained_at_ms, ${shown('c.drained_by')}, ${shown('c.database_path')}`)}
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
      databaseDownAtMs: row.database_down_at_ms === null ? null : Number(row.database_down_at_ms),
      settings: settingsFromColumns(row),
      lease: leaseFromColumns(row),
      releases: new Map(
        (JSON.parse(row.releases_json ?? '[]') as [string, number][]).map(([version, atMs]) => [
          version,
          Number(atMs),
        ]),
      ),
      servers,
    };
  }
}

interface SnapshotRow {
  now_ms: bigint | number;
  database_back_at_ms: bigint | number | null;
  database_down_at_ms: bigint | number | null;
  /** Null on PostgreSQL when there is no server (json_agg of no rows). */
  servers_json: string | null;
  releases_json: string | null;
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

/**
 * page: everything the overview shows; checks: what judging the components needs (the health check, a
 * hand-over), with a server's OS and address and a component's process address, clock skew, drainer and
 * database path left empty.
 */
export type SnapshotDetail = 'page' | 'checks';

/** What one read of the cluster gives: everything the overview and the health check judge by. */
export interface ClusterSnapshot {
  nowMs: number;
  /** When the nodes could use the database again after the last outage (see OutageRepository). */
  databaseBackAtMs: number | null;
  /** When that outage began. */
  databaseDownAtMs: number | null;
  settings: ClusterSettings;
  lease: LeaseRecord;
  /** When each release was first seen running (see UpgradeRepository). */
  releases: Map<string, number>;
  servers: ServerRecord[];
}

function booleanOrNull(value: boolean | number | null): boolean | null {
  return value === null ? null : Boolean(Number(value));
}
