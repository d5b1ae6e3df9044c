import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import type { LeaseRecord } from '../failover/lease';
import type { Prisma } from '../../generated/sqlite/client';
import type { ClusterSettings } from '../configuration/settings-rules';
import {
  ComponentChecks,
  componentStatus,
  heartbeatCheck,
  liveUntilMs,
  newestVersion,
  servingNodeLooksOdd,
  Status,
  versionCheck,
} from './component-rules';
import { KeyCrypto } from '../verification/key-crypto';
import { upgradeState, UpgradeState } from './upgrade-rules';
import {
  ClusterRepository,
  ClusterSnapshot,
  ComponentRecord,
  ServerRecord,
  SnapshotDetail,
} from './cluster.repository';

/** A service component's role (web components have none); the one list the report and its schema use. */
export const ROLES = ['primary', 'backup', 'inactive', 'ineligible', 'drained'] as const;
export type Role = (typeof ROLES)[number];

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
  /** The live servers run more than one release; null when they all run the same one. */
  upgrade: UpgradeState | null;
  servingNodeLooksOdd: boolean;
}

/**
 * Builds the truth about the cluster as this node sees it: every component's heartbeat, version and key
 * checks, made with this node's own keys against the database's clock, and the service components' roles.
 */
@Injectable()
export class ClusterService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: ClusterRepository,
    private readonly crypto: KeyCrypto,
  ) {}

  /** The cluster judged now; `detail` 'checks' leaves out what only a person reads (see SnapshotDetail). */
  async evaluate(detail: SnapshotDetail = 'page'): Promise<ClusterEvaluation> {
    return this.judge(await this.repository.findCluster(undefined, detail));
  }

  /** The same judgement, read inside a transaction that acts on it. */
  async evaluateWithin(tx: Pick<Prisma.TransactionClient, '$queryRaw'>): Promise<ClusterEvaluation> {
    return this.judge(await this.repository.findCluster(tx));
  }

  /** The same judgement of a snapshot read elsewhere. */
  judge(snapshot: ClusterSnapshot): ClusterEvaluation {
    const { servers, nowMs, settings, lease } = snapshot;
    // Staleness is judged from the end of the last database outage too: nobody could report meanwhile.
    const rule = {
      ...settings,
      databaseBackAtMs: snapshot.databaseBackAtMs,
      databaseDownAtMs: snapshot.databaseDownAtMs,
    };
    const all = servers.flatMap((server) => server.components);
    const isLive = (component: ComponentRecord) => heartbeatCheck(component, nowMs, rule) === 'ok';
    const live = all.filter(isLive);
    const expectedVersion = newestVersion(
      (live.length > 0 ? live : all).map((component) => component.version),
    );
    // A release runs where a process reported within the stale timeout (a web component's heartbeat is
    // its last request, a day's window: not a sign that its process runs).
    const processLive = (component: ComponentRecord) =>
      component.instanceSeenAtMs !== null && nowMs <= liveUntilMs(component.instanceSeenAtMs, rule);
    const upgrade = upgradeState(
      servers.flatMap((server) =>
        server.components
          .filter((component) => !component.addedManually && processLive(component))
          .map((component) => ({ server: server.name, version: component.version })),
      ),
      snapshot.releases,
      settings.upgradeWindowMinutes,
      nowMs,
    );
    const upgrading = upgrade !== null && !upgrade.overdue && upgrade.newestVersion === expectedVersion;
    const liveBackupExists = all.some(
      (c) => roleOf(c, lease, settings.automaticFailover, isLive(c)) === 'backup',
    );

    const components = servers.flatMap((server) =>
      server.components.map((component): EvaluatedComponent => {
        const checks: ComponentChecks = {
          heartbeat: heartbeatCheck(component, nowMs, rule),
          version: versionCheck(component.version, expectedVersion, upgrading),
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
      upgrade,
      servingNodeLooksOdd: servingNodeLooksOdd(othersChecks),
    };
  }

  /** A live service component, other than the primary, that may take over (what the primary hands over to). */
  async hasLiveBackup(): Promise<boolean> {
    const evaluation = await this.evaluate('checks');
    return evaluation.components.some((c) => c.role === 'backup');
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
