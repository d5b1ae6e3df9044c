import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import type { LeaseRecord } from '../failover/lease';
import type { ClusterSettings } from '../configuration/cluster-settings.service';
import {
  ComponentChecks,
  componentStatus,
  CLOCK_SKEW_WARNING_MS,
  heartbeatCheck,
  liveUntilMs,
  newestVersion,
  servingNodeLooksOdd,
  Status,
  versionCheck,
  worstStatus,
} from '../verification/component-checks';
import { KeyCrypto } from '../verification/key-crypto';
import { judgeDatabasePaths } from './database-path-check';
import { ClusterOverview, ComponentReport } from './cluster-report';
import { ClusterSnapshot, ComponentRecord, ServerRecord, ServersRepository } from './servers.repository';

export type Role = 'primary' | 'backup' | 'inactive' | 'ineligible' | 'drained';

export interface EvaluatedComponent {
  server: ServerRecord;
  component: ComponentRecord;
  checks: ComponentChecks;
  role: Role | null;
  status: Status;
  /** Another live process tried to run this component under the same server name. */
  duplicate: { address: string | null; lastSeenAtMs: number } | null;
}

/** Every component judged by this node, with its keys, against the database's clock. */
export interface ClusterEvaluation {
  nowMs: number;
  settings: ClusterSettings;
  lease: LeaseRecord;
  servers: ServerRecord[];
  components: EvaluatedComponent[];
  newestVersion: string | null;
  servingNodeLooksOdd: boolean;
}

/**
 * Builds the truth about the cluster as this node sees it: every component's heartbeat, version and key
 * checks, made with this node's own keys against the database's clock, and the service components' roles.
 */
@Injectable()
export class ServersService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly servers: ServersRepository,
    private readonly crypto: KeyCrypto,
  ) {}

  async evaluate(): Promise<ClusterEvaluation> {
    return this.judge(await this.servers.findCluster());
  }

  /** The same judgement of a snapshot read elsewhere (inside a transaction that acts on it). */
  judge(snapshot: ClusterSnapshot): ClusterEvaluation {
    const { servers, nowMs, settings, lease } = snapshot;
    // Staleness is judged from the end of the last database outage too: nobody could report meanwhile.
    const rule = { ...settings, databaseBackAtMs: snapshot.databaseBackAtMs };
    const all = servers.flatMap((server) => server.components);
    const isLive = (component: ComponentRecord) => heartbeatCheck(component, nowMs, rule) === 'ok';
    const live = all.filter(isLive);
    const expectedVersion = newestVersion(
      (live.length > 0 ? live : all).map((component) => component.version),
    );
    const liveBackupExists = all.some(
      (c) => roleOf(c, lease, settings.automaticFailover, isLive(c)) === 'backup',
    );

    const components = servers.flatMap((server) =>
      server.components.map((component): EvaluatedComponent => {
        const checks: ComponentChecks = {
          heartbeat: heartbeatCheck(component, nowMs, rule),
          version: versionCheck(component.version, expectedVersion),
          encryptionKey: this.crypto.opensEncryptionToken(component.encryptionToken)
            ? 'ok'
            : 'decryption-failure',
          machineKey:
            component.type === 'web'
              ? this.crypto.opensMachineToken(component.machineToken)
                ? 'ok'
                : 'decryption-failure'
              : null,
        };
        const role = roleOf(component, lease, settings.automaticFailover, checks.heartbeat === 'ok');
        // A stale primary with no live backup to take over is an error, not merely a warning.
        const stranded = role === 'primary' && checks.heartbeat === 'stale' && !liveBackupExists;
        const duplicate =
          component.duplicateSeenAtMs !== null && nowMs <= liveUntilMs(component.duplicateSeenAtMs, rule)
            ? { address: component.duplicateAddress, lastSeenAtMs: component.duplicateSeenAtMs }
            : null;
        const status = stranded || duplicate ? 'error' : componentStatus(checks);
        return { server, component, checks, role, status, duplicate };
      }),
    );
    const othersChecks = components
      .filter((c) => c.server.name !== this.config.serverName && !c.component.addedManually)
      .map((c) => c.checks);
    return {
      nowMs,
      settings,
      lease,
      servers,
      components,
      newestVersion: expectedVersion,
      servingNodeLooksOdd: servingNodeLooksOdd(othersChecks),
    };
  }

  /** A live service component, other than the primary, that may take over (what the primary hands over to). */
  async hasLiveBackup(): Promise<boolean> {
    const evaluation = await this.evaluate();
    return evaluation.components.some((c) => c.role === 'backup');
  }

  async overview(): Promise<ClusterOverview> {
    const evaluation = await this.evaluate();
    const { settings } = evaluation;
    const byServer = new Map<string, EvaluatedComponent[]>();
    for (const evaluated of evaluation.components) {
      byServer.set(evaluated.server.id, [...(byServer.get(evaluated.server.id) ?? []), evaluated]);
    }
    const paths = judgeDatabasePaths(
      evaluation.servers.map(
        (server) => server.components.find((c) => c.databasePath !== null)?.databasePath ?? null,
      ),
    );
    const servers = evaluation.servers.map((server, index) => {
      const evaluated = byServer.get(server.id) ?? [];
      const components = evaluated.map(toComponentReport);
      const clockSkewMs = clockSkewOf(evaluated);
      const skewed = clockSkewMs !== null && Math.abs(clockSkewMs) > CLOCK_SKEW_WARNING_MS;
      const database = paths[index];
      return {
        name: server.name,
        os: server.os,
        ipAddress: server.ipAddress,
        status: worstStatus([
          ...components.map((component) => component.status),
          skewed || database?.problem ? 'warning' : 'ok',
        ]),
        clockSkewMs,
        database,
        components,
      };
    });
    const serversWithRole = (role: Role) => [
      ...new Set(evaluation.components.filter((c) => c.role === role).map((c) => c.server.name)),
    ];
    return {
      nowMs: evaluation.nowMs,
      newestVersion: evaluation.newestVersion,
      servingNodeLooksOdd: evaluation.servingNodeLooksOdd,
      lease: evaluation.lease,
      report: {
        checkedBy: { server: this.config.serverName, version: this.config.version },
        configuration: {
          serverCount: servers.length,
          loadBalancing: settings.loadBalancing,
          automaticFailover: settings.automaticFailover,
          heartbeatFrequencySeconds: settings.heartbeatFrequencySeconds,
          staleTimeoutSeconds: settings.staleTimeoutSeconds,
          primaryServer: serversWithRole('primary')[0] ?? null,
          backupServers: serversWithRole('backup'),
        },
        servers,
      },
    };
  }
}

/**
 * primary: holds the lease (even when stale, so that the page shows a silent primary; even when drained,
 * while there is no backup to hand over to);
 * drained: an administrator drained it, so it never takes the lease until resumed;
 * ineligible: its encryption key is not the cluster's, so it never takes the lease;
 * backup: another live service component, ready to take over, when automatic failover is on;
 * inactive: failover is off, or the component is stale or added by hand. Web components have no role.
 */
function roleOf(
  component: ComponentRecord,
  lease: LeaseRecord,
  automaticFailover: boolean,
  live: boolean,
): Role | null {
  if (component.type !== 'service') return null;
  if (lease.holder === component.id) return 'primary';
  if (component.drainedAtMs !== null) return 'drained';
  if (component.eligible === false) return 'ineligible';
  return automaticFailover && live && !component.addedManually ? 'backup' : 'inactive';
}

/** The skew reported by the server's most recently seen process; null when none reported one. */
function clockSkewOf(components: EvaluatedComponent[]): number | null {
  let newest: ComponentRecord | null = null;
  for (const { component } of components) {
    if (component.clockSkewMs === null) continue;
    if (!newest || (component.instanceSeenAtMs ?? 0) > (newest.instanceSeenAtMs ?? 0)) newest = component;
  }
  return newest?.clockSkewMs ?? null;
}

function toComponentReport(evaluated: EvaluatedComponent): ComponentReport {
  const { component } = evaluated;
  return {
    id: component.id,
    type: component.type,
    role: evaluated.role,
    version: component.version,
    lastHeartbeatAt:
      component.lastHeartbeatAtMs === null ? null : new Date(component.lastHeartbeatAtMs).toISOString(),
    addedManually: component.addedManually,
    status: evaluated.status,
    checks: evaluated.checks,
    drained:
      component.drainedAtMs === null
        ? null
        : { by: component.drainedBy, at: new Date(component.drainedAtMs).toISOString() },
    duplicateProcess: evaluated.duplicate && {
      address: evaluated.duplicate.address,
      lastSeenAt: new Date(evaluated.duplicate.lastSeenAtMs).toISOString(),
    },
  };
}
