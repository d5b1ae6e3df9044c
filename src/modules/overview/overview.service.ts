import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { CLOCK_SKEW_WARNING_MS, worstStatus } from '../cluster/component-rules';
import type { ComponentRecord } from '../cluster/cluster.repository';
import { ClusterService, EvaluatedComponent, Role } from '../cluster/cluster.service';
import { judgeDatabasePaths } from '../cluster/database-path-check';
import type { ClusterOverview, ComponentReport } from './cluster-report';

/** The cluster as the overview page and GET /api/cluster show it: the judgement, turned into the report. */
@Injectable()
export class OverviewService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cluster: ClusterService,
  ) {}

  async overview(): Promise<ClusterOverview> {
    const evaluation = await this.cluster.evaluate();
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
        upgrade: evaluation.upgrade && {
          inProgress: true,
          newestVersion: evaluation.upgrade.newestVersion,
          since:
            evaluation.upgrade.sinceMs === null ? null : new Date(evaluation.upgrade.sinceMs).toISOString(),
          windowMinutes: evaluation.upgrade.windowMinutes,
          overdue: evaluation.upgrade.overdue,
          versions: evaluation.upgrade.versions,
        },
        servers,
      },
    };
  }
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
