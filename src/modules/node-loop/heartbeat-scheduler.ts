import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { errorSummary } from '../../common/error-summary';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import type { ClusterSettings } from '../configuration/settings-rules';
import { DEFAULT_HEARTBEAT_SECONDS } from '../configuration/settings-rules';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { NodeLifecycle } from '../environment/node-lifecycle';
import { FailoverService } from '../failover/failover.service';
import { Beat, HeartbeatService } from '../heartbeat/heartbeat.service';
import { ClusterService } from '../cluster/cluster.service';
import { UpgradeService } from '../upgrade/upgrade.service';
import { VerificationService } from '../verification/verification.service';
import { HealthCheckerService } from '../health-checker/health-checker.service';

const TICK = 'heartbeat-tick';
const FOLLOW = 'settings-follow';
/** Up to ±10% of the heartbeat period, so that backups do not all try at the same instant. */
const JITTER = 0.1;
/**
 * A node must follow a settings change within about a second whatever its current period (a 30 s heartbeat
 * would otherwise keep the old period for up to 30 s, judge others by the new timeout, and delay a
 * failover). Every heartbeat's answer carries the revision (see HeartbeatRepository.reportPresence), so at
 * a period of up to FOLLOW_BY_HEARTBEAT_MS nothing else is read; at a longer one the node also reads the
 * revision alone every FOLLOW_INTERVAL_MS between heartbeats. Reading it costs each node about a
 * millisecond of CPU (mostly Prisma's), which at four reads a second on every node was the largest part of
 * an idle cluster's cost. PostgreSQL's LISTEN/NOTIFY would need a dedicated connection, does not work
 * through a pooler in transaction mode, and loses notifications sent while it is down; SQLite's
 * data_version changes with every heartbeat of every node, so it tells nothing about the settings.
 */
const FOLLOW_BY_HEARTBEAT_MS = 1_000;
const FOLLOW_INTERVAL_MS = 500;

/**
 * Schedules the node's heartbeat period: report this process alive (with the service component's
 * heartbeat), hold or seek the primary lease, and, on the primary only, run the health checker. The period
 * follows the cluster setting at run time: each tick schedules the next one through the scheduler registry
 * with the current value, and a saved change starts a tick at once.
 */
@Injectable()
export class HeartbeatScheduler
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(HeartbeatScheduler.name);
  private settings: ClusterSettings | null = null;
  private lastBeat: Beat | null = null;
  private running: Promise<void> | null = null;
  private tickAgain = false;
  private following = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly heartbeat: HeartbeatService,
    private readonly failover: FailoverService,
    private readonly healthChecker: HealthCheckerService,
    private readonly cluster: ClusterService,
    private readonly verification: VerificationService,
    private readonly clusterSettings: ClusterSettingsService,
    private readonly scheduler: SchedulerRegistry,
    private readonly lifecycle: NodeLifecycle,
    private readonly upgrade: UpgradeService,
  ) {}

  /** Registration and the first tick run before the node listens, so a fresh cluster has its primary at once. */
  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat.start();
    await this.upgrade.joinCluster();
    // A node told to stop hands the primary role over at once (see holdOrSeekLease), not at its exit.
    this.lifecycle.onStopping(() => this.tickNow());
    await this.runTick();
  }

  /**
   * One heartbeat period. The settings are read again only when the heartbeat's answer shows a new revision
   * or brought no news (then, when they changed, the period runs once more at once, so that the node
   * reports the revision it now follows).
   */
  async tick(): Promise<void> {
    const known = this.settings ?? (await this.readSettings());
    if (!known) return;
    const beat = await this.reportAlive(known);
    let settings = known;
    // No news (the heartbeat failed, or found none of this process's components: removed, or a duplicate
    // process): the settings are read as before, so that such a node never judges by outdated ones.
    if (beat?.settingsRevision == null || beat.settingsRevision !== known.revision) {
      const read = await this.readSettings();
      if (read && read.revision !== known.revision) {
        settings = read;
        this.tickAgain = true;
      }
    }
    // Its eligibility changed under it (the cluster's key check was recorded): report the new one at once.
    if (beat?.outdated) this.tickAgain = true;
    if (!this.config.components.includes('service')) return;
    if (!(await this.holdOrSeekLease(beat, settings))) return;
    if (await this.handOverIfBarred(settings)) return;
    if (!this.verification.clusterKeyRecorded()) await this.recordClusterKey();
    // The lease is held (renewing it keeps the primary role through a blip), but the check judges nobody
    // until this node's own heartbeat has got through again and the outage is recorded: the pending
    // "primary changed" event waits with it.
    if (this.heartbeat.outageUnsettled()) {
      this.logger.debug(
        'health check deferred: no heartbeat of this node has got through since one failed, or the outage it saw is not recorded yet',
      );
      return;
    }
    await this.runHealthChecker();
  }

  private async readSettings(): Promise<ClusterSettings | null> {
    this.settings = await this.clusterSettings.get().catch((error: unknown) => {
      this.logger.warn(`could not read the cluster settings: ${errorSummary(error)}`);
      return this.settings;
    });
    return this.settings;
  }

  /** This process's heartbeat; on failure, what the last one said stands (the lease logic copes with that). */
  private async reportAlive(settings: ClusterSettings): Promise<Beat | null> {
    const beat = await this.heartbeat.beat(settings).catch((error: unknown) => {
      this.logger.warn(`heartbeat failed: ${errorSummary(error)}`);
      return null;
    });
    if (beat) this.lastBeat = beat;
    return beat;
  }

  /** Renews the lease, or takes a free one when this node may; returns whether it is primary now. */
  private async holdOrSeekLease(beat: Beat | null, settings: ClusterSettings): Promise<boolean> {
    const componentId = beat ? beat.serviceComponentId : this.heartbeat.serviceComponentId();
    if (!componentId) {
      this.failover.leaseLost('another process now runs this service component');
      return false;
    }
    if (this.lifecycle.stopping) {
      await this.failover
        .release('this node is stopping; a backup takes over')
        .catch((error: unknown) => this.logger.warn(`could not release the lease: ${errorSummary(error)}`));
      return false;
    }
    return this.failover.renew(componentId, settings, {
      instanceId: this.heartbeat.instanceId(),
      // A drained component asks too: the database refuses it, except its own lease nobody took (see
      // LeaseRepository.renewOrAcquire).
      mayAcquire: this.lastBeat?.eligible ?? false,
      // Fresh news only: a failed heartbeat's stale view of the primary must neither make this node take
      // over nor keep it from asking.
      version: this.config.version,
      primarySeen: beat?.primary ?? null,
    });
  }

  /**
   * A primary that may not stay primary (its key is not the cluster's, or an administrator drained it) hands
   * over to a live eligible backup, when there is one; without one it keeps the lease, and the page says why.
   * (A drain usually ends the lease itself when it is made, see ComponentsService.drain: this catches a
   * backup that became live later.)
   */
  private async handOverIfBarred(settings: ClusterSettings): Promise<boolean> {
    const beat = this.lastBeat;
    if (!beat || (beat.eligible && !beat.drained) || !settings.automaticFailover) return false;
    const backup = await this.cluster.hasLiveBackup().catch((error: unknown) => {
      this.logger.warn(`could not look for an eligible backup: ${errorSummary(error)}`);
      return false;
    });
    if (!backup) return false;
    await this.failover.release(
      beat.drained
        ? 'an administrator drained this service component; an eligible backup takes over'
        : "this node's ENCRYPTION_KEY is not the cluster's; an eligible backup takes over",
    );
    return true;
  }

  /**
   * The first primary records the cluster's key check, unless most other components fail to verify against
   * its keys: then it is probably the odd one (an upgraded cluster whose primary happens to be misconfigured)
   * and the check waits for a primary that agrees with the others.
   */
  private async recordClusterKey(): Promise<void> {
    try {
      if ((await this.cluster.evaluate('checks')).servingNodeLooksOdd) return;
      await this.verification.recordClusterKeyIfUnset();
    } catch (error) {
      this.logger.warn(`could not record the cluster's key check: ${errorSummary(error)}`);
    }
  }

  private async runHealthChecker(): Promise<void> {
    await this.failover
      .runAsPrimary(async (fence, change) => {
        await this.healthChecker.run(fence, change);
        await this.upgrade.runDueContracts(fence);
      })
      .catch((error: unknown) => this.logger.warn(`health check failed: ${errorSummary(error)}`));
  }

  /** Starts a tick at once when the settings revision moved on (see FOLLOW_INTERVAL_MS). */
  private async followSettings(): Promise<void> {
    if (this.following || this.stopped || !this.settings) return;
    this.following = true;
    try {
      const revision = await this.clusterSettings.revision();
      if (this.settings && revision !== this.settings.revision) this.tickNow();
    } catch {
      // The database is out of reach: the heartbeat period reports that; nothing to follow meanwhile.
    } finally {
      this.following = false;
    }
  }

  private tickNow(): void {
    if (this.stopped) return;
    if (this.running) {
      this.tickAgain = true;
      return;
    }
    if (this.scheduler.doesExist('timeout', TICK)) this.scheduler.deleteTimeout(TICK);
    void this.runTick();
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
    do {
      this.tickAgain = false;
      this.running = this.tick().catch((error: unknown) =>
        this.logger.error(`heartbeat tick failed: ${errorSummary(error)}`),
      );
      await this.running;
      this.running = null;
    } while (this.tickAgain && !this.stopped);
    const seconds = this.settings?.heartbeatFrequencySeconds ?? DEFAULT_HEARTBEAT_SECONDS;
    this.followBetweenHeartbeats(seconds * 1000 > FOLLOW_BY_HEARTBEAT_MS);
    this.schedule(seconds * 1000 * (1 + (Math.random() * 2 - 1) * JITTER));
  }

  /**
   * The revision is read between heartbeats only while the period is longer than FOLLOW_BY_HEARTBEAT_MS;
   * at a shorter one no timer runs for it at all (an idle Node.js process woken costs about half a
   * millisecond of CPU each time on these machines, measured: at two a second, a fifth of an idle node).
   */
  private followBetweenHeartbeats(on: boolean): void {
    const running = this.scheduler.doesExist('interval', FOLLOW);
    if (on && !running && !this.stopped) {
      this.scheduler.addInterval(
        FOLLOW,
        setInterval(() => void this.followSettings(), FOLLOW_INTERVAL_MS),
      );
    } else if (!on && running) {
      this.scheduler.deleteInterval(FOLLOW);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', FOLLOW)) this.scheduler.deleteInterval(FOLLOW);
    if (this.scheduler.doesExist('timeout', TICK)) this.scheduler.deleteTimeout(TICK);
    await this.running;
  }

  /** After the schedule has stopped and before the database connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.failover
      .release()
      .catch((error: unknown) => this.logger.warn(`could not release the lease: ${errorSummary(error)}`));
  }
}
