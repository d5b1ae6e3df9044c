import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../configuration/app-config';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import {
  ComponentChecks,
  componentStatus,
  heartbeatCheck,
  newestVersion,
  servingNodeLooksOdd,
  versionCheck,
  worstStatus,
} from '../verification/component-checks';
import { KeyCrypto } from '../verification/key-crypto';
import { ClusterOverview, ComponentReport } from './cluster-report';
import { ServersRepository } from './servers.repository';

/**
 * Builds the truth about the cluster as this node sees it: every component's heartbeat, version and key
 * checks, made with this node's own keys against the database's clock.
 */
@Injectable()
export class ServersService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly servers: ServersRepository,
    private readonly settings: ClusterSettingsService,
    private readonly crypto: KeyCrypto,
  ) {}

  async overview(): Promise<ClusterOverview> {
    const [records, settings, nowMs] = await Promise.all([
      this.servers.findAllWithComponents(),
      this.settings.get(),
      this.servers.databaseNowMs(),
    ]);
    const allComponents = records.flatMap((server) => server.components);
    const live = allComponents.filter(
      (component) => heartbeatCheck(component, nowMs, settings.staleTimeoutSeconds) === 'ok',
    );
    const expectedVersion = newestVersion((live.length > 0 ? live : allComponents).map((c) => c.version));
    const othersChecks: ComponentChecks[] = [];

    const servers = records.map((server) => {
      const components = server.components.map((component): ComponentReport => {
        const checks: ComponentChecks = {
          heartbeat: heartbeatCheck(component, nowMs, settings.staleTimeoutSeconds),
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
        if (server.name !== this.config.serverName && !component.addedManually) othersChecks.push(checks);
        return {
          id: component.id,
          type: component.type,
          role: null,
          version: component.version,
          lastHeartbeatAt:
            component.lastHeartbeatAtMs === null ? null : new Date(component.lastHeartbeatAtMs).toISOString(),
          addedManually: component.addedManually,
          status: componentStatus(checks),
          checks,
        };
      });
      return {
        name: server.name,
        os: server.os,
        ipAddress: server.ipAddress,
        status: worstStatus(components.map((component) => component.status)),
        components,
      };
    });

    return {
      nowMs,
      newestVersion: expectedVersion,
      servingNodeLooksOdd: servingNodeLooksOdd(othersChecks),
      report: {
        checkedBy: { server: this.config.serverName, version: this.config.version },
        configuration: {
          serverCount: servers.length,
          loadBalancing: settings.loadBalancing,
          automaticFailover: settings.automaticFailover,
          heartbeatFrequencySeconds: settings.heartbeatFrequencySeconds,
          staleTimeoutSeconds: settings.staleTimeoutSeconds,
          primaryServer: null,
          backupServers: [],
        },
        servers,
      },
    };
  }
}
