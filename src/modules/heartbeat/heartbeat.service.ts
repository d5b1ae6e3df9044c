import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../common/clock';
import type { AppConfig, ComponentType } from '../configuration/app-config';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import { describeOperatingSystem } from '../configuration/host-facts';
import { ServersRepository } from '../servers/servers.repository';
import { KeyCrypto } from '../verification/key-crypto';

const SERVICE_HEARTBEAT = 'service-heartbeat';
/** Web heartbeats follow requests; one write a minute is plenty against a 24-hour stale window. */
const WEB_HEARTBEAT_THROTTLE_MS = 60_000;

/**
 * This node's place in the cluster: it registers its components at start (reusing its rows), writes the
 * service component's heartbeat every heartbeat period (following changes of the setting at run time),
 * and refreshes the web component's heartbeat when requests arrive, throttled.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HeartbeatService.name);
  private readonly componentIds = new Map<ComponentType, string>();
  private heartbeatSeconds = 0;
  private lastWebHeartbeatMs = Number.NEGATIVE_INFINITY;
  private webHeartbeatInFlight = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly servers: ServersRepository,
    private readonly settings: ClusterSettingsService,
    private readonly crypto: KeyCrypto,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const type of this.config.components) await this.register(type);
    this.lastWebHeartbeatMs = this.clock.monotonicMs();
    if (this.componentIds.has('service')) {
      const { heartbeatFrequencySeconds } = await this.settings.get();
      this.scheduleServiceHeartbeat(heartbeatFrequencySeconds);
    }
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', SERVICE_HEARTBEAT))
      this.scheduler.deleteInterval(SERVICE_HEARTBEAT);
  }

  /** Called for every web request; writes at most once per throttle period and never delays the request. */
  noteWebRequest(): void {
    if (!this.componentIds.has('web') || this.webHeartbeatInFlight) return;
    const nowMs = this.clock.monotonicMs();
    if (nowMs - this.lastWebHeartbeatMs < WEB_HEARTBEAT_THROTTLE_MS) return;
    this.webHeartbeatInFlight = true;
    this.beat('web')
      .then(() => (this.lastWebHeartbeatMs = nowMs))
      .catch((error: unknown) => this.logger.warn(`web heartbeat failed: ${describe(error)}`))
      .finally(() => (this.webHeartbeatInFlight = false));
  }

  /** One service heartbeat, then a check that the interval still matches the cluster setting. */
  async beatService(): Promise<void> {
    try {
      await this.beat('service');
      const { heartbeatFrequencySeconds } = await this.settings.get();
      if (heartbeatFrequencySeconds !== this.heartbeatSeconds)
        this.scheduleServiceHeartbeat(heartbeatFrequencySeconds);
    } catch (error) {
      this.logger.warn(`service heartbeat failed: ${describe(error)}`);
    }
  }

  private async beat(type: ComponentType): Promise<void> {
    const id = this.componentIds.get(type)!;
    const stillThere = await this.servers.touchHeartbeat(id);
    if (!stillThere) {
      this.logger.log(`the ${type} component was removed from the cluster; registering it again`);
      await this.register(type);
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

  private scheduleServiceHeartbeat(seconds: number): void {
    if (this.scheduler.doesExist('interval', SERVICE_HEARTBEAT))
      this.scheduler.deleteInterval(SERVICE_HEARTBEAT);
    this.heartbeatSeconds = seconds;
    const handle = setInterval(() => void this.beatService(), seconds * 1000);
    this.scheduler.addInterval(SERVICE_HEARTBEAT, handle);
    this.logger.log(`service heartbeat every ${seconds} s`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
