import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../configuration/app-config';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import { FailoverService } from '../failover/failover.service';
import { LeaseLostError } from '../failover/lease';
import { errorSummary } from '../../common/error-summary';
import { HeartbeatService } from '../heartbeat/heartbeat.service';
import { ClusterSettings, ClusterSettingsService } from '../settings/cluster-settings.service';
import { HealthCheckerService } from './health-checker.service';

const TICK = 'service-tick';
/** Up to ±10% of the heartbeat period, so that backups do not all try at the same instant. */
const JITTER = 0.1;

/**
 * The service component's heartbeat period: heartbeat, renew or acquire the primary lease, and, on the
 * primary only, the health checker. The period follows the cluster setting at run time: each tick reads
 * the settings and schedules the next one (through the scheduler registry) with the current value.
 */
@Injectable()
export class ServiceLoop implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(ServiceLoop.name);
  private settings: ClusterSettings | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly heartbeat: HeartbeatService,
    private readonly failover: FailoverService,
    private readonly healthChecker: HealthCheckerService,
    private readonly clusterSettings: ClusterSettingsService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  /** The first tick runs before the node starts listening, so a fresh cluster has its primary at once. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.components.includes('service')) return;
    await this.runTick();
  }

  async tick(): Promise<void> {
    this.settings = await this.clusterSettings.get().catch((error: unknown) => {
      this.logger.warn(`could not read the cluster settings: ${errorSummary(error)}`);
      return this.settings;
    });
    if (!this.settings) return;
    const componentId = await this.heartbeat.beatService().catch((error: unknown) => {
      this.logger.warn(`service heartbeat failed: ${errorSummary(error)}`);
      return this.heartbeat.serviceComponentId();
    });
    if (componentId && (await this.failover.renew(componentId, this.settings))) await this.runHealthChecker();
  }

  private async runHealthChecker(): Promise<void> {
    const fence = this.failover.fence();
    if (!fence) return;
    const change = this.failover.pendingChange();
    try {
      await this.healthChecker.run(fence, change);
      if (change) this.failover.changeRecorded(change.epoch);
    } catch (error) {
      if (error instanceof LeaseLostError) this.failover.leaseLost();
      else this.logger.warn(`health check failed: ${errorSummary(error)}`);
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const handle = setTimeout(() => {
      this.scheduler.deleteTimeout(TICK);
      void this.runTick();
    }, delayMs);
    this.scheduler.addTimeout(TICK, handle);
  }

  private async runTick(): Promise<void> {
    this.running = this.tick().catch((error: unknown) =>
      this.logger.error(`service tick failed: ${errorSummary(error)}`),
    );
    await this.running;
    this.running = null;
    const seconds = this.settings?.heartbeatFrequencySeconds ?? 30;
    this.schedule(seconds * 1000 * (1 + (Math.random() * 2 - 1) * JITTER));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('timeout', TICK)) this.scheduler.deleteTimeout(TICK);
    await this.running;
  }

  /** After the loop has stopped and before the database connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.failover
      .release()
      .catch((error: unknown) => this.logger.warn(`could not release the lease: ${errorSummary(error)}`));
  }
}
