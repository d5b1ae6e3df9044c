import type { Role } from '../cluster/cluster.service';
import type { ComponentType } from '../environment/app-config';
import type { DatabasePathReport } from '../cluster/database-path-check';
import type { LeaseRecord } from '../failover/lease';
import type { ComponentChecks, Status } from '../cluster/component-rules';

/** GET /api/cluster: the public contract that scripts rely on; change a name only with a changelog entry. */
export interface ClusterReport {
  checkedBy: { server: string; version: string };
  configuration: {
    serverCount: number;
    loadBalancing: boolean;
    automaticFailover: boolean;
    heartbeatFrequencySeconds: number;
    staleTimeoutSeconds: number;
    primaryServer: string | null;
    backupServers: string[];
  };
  /** While the live servers run more than one release; null otherwise. */
  upgrade: UpgradeReport | null;
  servers: ServerReport[];
}

export interface UpgradeReport {
  inProgress: true;
  newestVersion: string;
  /** When the newest release was first seen running; null when no node recorded it. */
  since: string | null;
  windowMinutes: number;
  /** The window has passed: servers on older releases are warnings again. */
  overdue: boolean;
  /** Live servers by release, newest first. */
  versions: { version: string; servers: number }[];
}

/** GET /api/cluster's answer: the report, with `servers` filtered and sliced as the query asked. */
export interface ClusterReportSelection extends ClusterReport {
  /** The filter and slice applied to `servers`, and how many servers matched the filter before the slice. */
  selection: {
    status: Status[] | null;
    name: string | null;
    offset: number;
    limit: number | null;
    matched: number;
  };
}

export interface ServerReport {
  name: string;
  os: string;
  ipAddress: string;
  status: Status;
  /** This server's clock minus the database's, at its last heartbeat; null when it never reported one. */
  clockSkewMs: number | null;
  /** How this server's node reaches the database, as it found out; null until it reported it. */
  database: DatabasePathReport | null;
  components: ComponentReport[];
}

export interface ComponentReport {
  id: string;
  type: ComponentType;
  role: Role | null;
  version: string;
  lastHeartbeatAt: string | null;
  addedManually: boolean;
  status: Status;
  checks: ComponentChecks;
  /** Drained by an administrator (who, when): it never takes the primary lease until resumed. */
  drained: { by: string | null; at: string } | null;
  /** Another live process runs under this server's name: its heartbeats are ignored until it stops. */
  duplicateProcess: { address: string | null; lastSeenAt: string } | null;
}

/** What the page adds to the report: the time it was taken and the facts only a person needs. */
export interface ClusterOverview {
  report: ClusterReport;
  nowMs: number;
  newestVersion: string | null;
  /** Most components elsewhere fail to verify against this node's keys. */
  servingNodeLooksOdd: boolean;
  lease: LeaseRecord;
}
