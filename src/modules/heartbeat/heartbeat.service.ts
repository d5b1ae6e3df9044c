import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import type { AppConfig, ComponentType } from '../configuration/app-config';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import { describeOperatingSystem } from '../configuration/host-facts';
import { MetricsService } from '../ops/metrics.service';
import { ServersRepository } from '../servers/servers.repository';
import { KeyCrypto } from '../verification/key-crypto';

/** Web heartbeats follow requests; one write a minute is plenty against a 24-hour stale window. */
const WEB_HEARTBEAT_THROTTLE_MS = 60_000;

/**
 * This node's place in the cluster: it registers its components at start (reusing its rows), writes the
 * service component's heartbeat when the service loop asks, and refreshes the web component's heartbeat
 * when requests arrive, throttled. A component an administrator removed registers again at its next beat.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap {
  private readonly logger = new Logger(HeartbeatService.name);
  private readonly componentIds = new Map<ComponentType, string>();
  private lastWebHeartbeatMs = Number.NEGATIVE_INFINITY;
  private webHeartbeatInFlight = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly servers: ServersRepository,
    private readonly crypto: KeyCrypto,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const type of this.config.components) await this.register(type);
    this.lastWebHeartbeatMs = this.clock.monotonicMs();
  }

  /** The id of this node's service component, once registered; null on a web-only node. */
  serviceComponentId(): string | null {
    return this.componentIds.get('service') ?? null;
  }

  /** Called for every web request; writes at most once per throttle period and never delays the request. */
  noteWebRequest(): void {
    if (!this.componentIds.has('web') || this.webHeartbeatInFlight) return;
    const nowMs = this.clock.monotonicMs();
    if (nowMs - this.lastWebHeartbeatMs < WEB_HEARTBEAT_THROTTLE_MS) return;
    this.webHeartbeatInFlight = true;
    this.beat('web')
      .then(() => (this.lastWebHeartbeatMs = nowMs))
      .catch((error: unknown) => this.logger.warn(`web heartbeat failed: ${errorSummary(error)}`))
      .finally(() => (this.webHeartbeatInFlight = false));
  }

  /** The service component's heartbeat; returns its id (new if it had to register again). */
  async beatService(): Promise<string> {
    await this.beat('service');
    return this.componentIds.get('service')!;
  }

  private async beat(type: ComponentType): Promise<void> {
    try {
      const id = this.componentIds.get(type);
      if (id === undefined) {
        await this.register(type);
      } else if (!(await this.servers.touchHeartbeat(id))) {
        this.logger.log(`the ${type} component was removed from the cluster; registering it again`);
        await this.register(type);
      }
      this.metrics.heartbeatsWritten.inc({ type });
    } catch (error) {
      this.metrics.heartbeatsFailed.inc({ type });
      throw error;
    }
  }

  private async register(type: ComponentType): Promise<void> {
    const id = await this.servers.registerComponent({
      serverName: this.config.serverName,
      os: describeOperatingSystem(),
      ipAddress: this.config.advertisedAddress,
      type,
      version: this.config.version,
      encryptionToken: this.crypto.makeEncryptionToken(),
      machineToken: type === 'web' ? this.crypto.makeMachineToken() : null,
    });
    this.componentIds.set(type, id);
  }
}
