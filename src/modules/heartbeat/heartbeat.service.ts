import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import type { AppConfig, ComponentType } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { describeOperatingSystem } from '../environment/host-facts';
import { MetricsService } from '../metrics/metrics.service';
import {
  HeartbeatRepository,
  InstanceConflict,
  InstanceLiveness,
  PresenceReport,
} from './heartbeat.repository';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import type { ClusterSettings } from '../configuration/settings-rules';
import { liveUntilMs } from '../cluster/component-rules';
import { KeyCrypto } from '../verification/key-crypto';
import { VerificationService } from '../verification/verification.service';
import { DuplicateServerError } from './duplicate-server.error';
import { DatabasePathReporter } from './database-path.reporter';
import { OutageTracker } from './outage-tracker';
import { ProcessIdentity } from './process-identity';
import type { PrimarySeen } from '../failover/lease';

/** Web heartbeats follow requests; one write a minute is plenty against a 24-hour stale window. */
const WEB_HEARTBEAT_THROTTLE_MS = 60_000;

/** A measurement of the clock skew from a round trip slower than this is discarded. */
const MAX_SKEW_ROUND_TRIP_MS = 500;

/** What one heartbeat of this process found. */
export interface Beat {
  /** The service component to renew the primary lease for; null on a web-only node or while another process runs it. */
  serviceComponentId: string | null;
  /** This node's encryption key opens the cluster's key check: it may become primary. */
  eligible: boolean;
  /** An administrator drained this node's service component: it must not be primary until resumed. */
  drained: boolean;
  /** The primary lease as the heartbeat's statement read it. */
  primary: PrimarySeen | null;
  /** The settings revision the database has now (null: not known, the heartbeat found none of its components). */
  settingsRevision: number | null;
  /**
   * What this heartbeat wrote is already out of date: the key check it judged its eligibility by changed
   * meanwhile (the first primary recorded it). The next heartbeat should follow at once.
   */
  outdated: boolean;
}

/**
 * This process's place in the cluster. At start it registers its components, unless another live process
 * already runs under the same server name (then the node stops with a clear message). Every heartbeat
 * period it reports that it is alive in one statement (the service component's heartbeat, its clock skew
 * against the database, whether its key is the cluster's, the settings it follows). A component an
 * administrator removed registers again; a component another process took over (this one was paused, or
 * cut off, for longer than the stale timeout) is left to that process, and this one notes itself as a
 * duplicate for the page until the other stops.
 */
@Injectable()
export class HeartbeatService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(HeartbeatService.name);
  private componentIds = new Map<ComponentType, string>();
  private conflict: InstanceConflict | null = null;
  private lastWebHeartbeatMs = Number.NEGATIVE_INFINITY;
  private webHeartbeatInFlight = false;
  private eligible = false;
  private clockSkewMs: number | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly heartbeats: HeartbeatRepository,
    private readonly clusterSettings: ClusterSettingsService,
    private readonly verification: VerificationService,
    private readonly crypto: KeyCrypto,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly identity: ProcessIdentity,
    private readonly outages: OutageTracker,
    private readonly paths: DatabasePathReporter,
  ) {}

  /**
   * Registers every component of this process; throws DuplicateServerError beside a live process of the
   * same name. Called once, before the first heartbeat period and before the node listens.
   */
  async start(): Promise<void> {
    const settings = await this.clusterSettings.get();
    const sentAtMs = this.clock.now().getTime();
    const databaseNowMs = await this.heartbeats.databaseNowMs();
    this.measureSkew(sentAtMs, this.clock.now().getTime(), databaseNowMs);
    this.eligible = await this.verification.isEligible();
    if (!this.eligible) {
      this.logger.warn(
        "this node's ENCRYPTION_KEY is not the cluster's: its service component will never become primary",
      );
    }
    const conflict = await this.register(this.config.components, settings, false);
    if (conflict) throw new DuplicateServerError(this.config.serverName, conflict);
    this.lastWebHeartbeatMs = this.clock.monotonicMs();
  }

  /** The id of this node's service component, while this process runs it. */
  serviceComponentId(): string | null {
    return this.componentIds.get('service') ?? null;
  }

  instanceId(): string {
    return this.identity.instance.id;
  }

  /** A heartbeat failed and the outage it began is not yet settled (see OutageTracker.unsettled). */
  outageUnsettled(): boolean {
    return this.outages.unsettled();
  }

  /**
   * One heartbeat period: report presence, register again what was removed, notice a duplicate. One
   * statement: the eligibility it reports was judged by the key check the previous heartbeat's answer
   * carried, and this answer's key check is judged for the next one (a change is rare: the first primary
   * records it once; the Beat then says `outdated`).
   */
  async beat(settings: ClusterSettings): Promise<Beat> {
    try {
      const sentAtMs = this.clock.now().getTime();
      const reported = this.eligible;
      const { mine, databaseNowMs, drained, news } = await this.heartbeats.reportPresence(
        this.identity.instance.id,
        this.presence(settings),
      );
      const answeredAtMs = this.clock.monotonicMs();
      this.measureSkew(sentAtMs, this.clock.now().getTime(), databaseNowMs);
      if (news) this.eligible = this.verification.eligibleFor(news.keyCheck);
      const missing = this.config.components.filter((type) => !mine.has(type));
      this.componentIds = mine;
      if (missing.length > 0) await this.registerAgain(missing, settings);
      if (this.config.components.includes('service')) this.metrics.heartbeatsWritten.inc({ type: 'service' });
      await this.outages.succeeded(settings.heartbeatFrequencySeconds);
      this.paths.noteHeartbeat(this.identity.instance.id, missing.length > 0);
      return {
        serviceComponentId: this.serviceComponentId(),
        eligible: this.eligible,
        drained,
        primary: news?.primary ? { ...news.primary, answeredAtMs } : null,
        settingsRevision: news?.settingsRevision ?? null,
        outdated: this.eligible !== reported,
      };
    } catch (error) {
      if (this.config.components.includes('service')) this.metrics.heartbeatsFailed.inc({ type: 'service' });
      this.outages.failed();
      throw error;
    }
  }

  /** Called for every web request; writes at most once per throttle period and never delays the request. */
  noteWebRequest(): void {
    const id = this.componentIds.get('web');
    if (id === undefined || this.webHeartbeatInFlight) return;
    const nowMs = this.clock.monotonicMs();
    if (nowMs - this.lastWebHeartbeatMs < WEB_HEARTBEAT_THROTTLE_MS) return;
    this.webHeartbeatInFlight = true;
    this.heartbeats
      .touchHeartbeat(id, this.identity.instance.id)
      .then((touched) => {
        this.lastWebHeartbeatMs = nowMs;
        // Removed, or run by another process now: the next heartbeat period sorts it out.
        if (!touched) this.componentIds.delete('web');
        this.metrics.heartbeatsWritten.inc({ type: 'web' });
      })
      .catch((error: unknown) => {
        this.metrics.heartbeatsFailed.inc({ type: 'web' });
        this.logger.warn(`web heartbeat failed: ${errorSummary(error)}`);
      })
      .finally(() => (this.webHeartbeatInFlight = false));
  }

  /** After the service loop stopped: a restart under the same name may register at once. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.heartbeats
      .leave(this.identity.instance.id)
      .catch((error: unknown) => this.logger.warn(`could not sign this process off: ${errorSummary(error)}`));
  }

  private async registerAgain(types: ComponentType[], settings: ClusterSettings): Promise<void> {
    const conflict = await this.register(types, settings, true);
    if (conflict && !this.conflict) {
      this.logger.error(
        `another process (${conflict.address ?? 'address unknown'}) now runs as server "${this.config.serverName}"; ` +
          'this process is a duplicate: it takes no part in the cluster until the other one stops',
      );
    } else if (!conflict && this.conflict) {
      this.logger.log(
        `the other process named "${this.config.serverName}" stopped; this process took its place`,
      );
    } else if (!conflict) {
      this.logger.log(
        `the ${types.join(' and ')} component(s) had been removed from the cluster; registered again`,
      );
    }
    this.conflict = conflict;
  }

  /** Registers the given components; returns the conflict when another live process runs one of them. */
  private async register(
    types: ComponentType[],
    settings: ClusterSettings,
    atRuntime: boolean,
  ): Promise<InstanceConflict | null> {
    const result = await this.heartbeats.registerInstance(
      {
        instance: this.identity.instance,
        serverName: this.config.serverName,
        os: describeOperatingSystem(),
        ipAddress: this.config.advertisedAddress,
        version: this.config.version,
        components: types.map((type) => ({
          type,
          encryptionToken: this.crypto.makeEncryptionToken(),
          machineToken: type === 'web' ? this.crypto.makeMachineToken() : null,
        })),
        report: this.presence(settings),
      },
      this.liveness(settings, atRuntime),
      atRuntime,
    );
    if (!result.registered) return result.conflict;
    for (const [type, id] of result.ids) this.componentIds.set(type, id);
    return null;
  }

  /**
   * Whether the process that last reported on a component may still run. In this process id space (same
   * host, boot and pid namespace) a process id that no longer exists settles it at once (a crash and restart
   * need not wait out the stale timeout), and at start, our own process id means an earlier run of this
   * process; elsewhere, the stale rule decides.
   */
  private liveness(settings: ClusterSettings, atRuntime: boolean): InstanceLiveness {
    const space = this.identity.instance.host;
    return ({ host, pid, seenAtMs, nowMs }) => {
      if (seenAtMs === null) return false;
      if (space !== null && host === space && pid !== null) {
        if (pid === this.identity.instance.pid && !atRuntime) return false;
        if (!this.identity.isRunningHere(pid)) return false;
      }
      return nowMs <= liveUntilMs(seenAtMs, settings);
    };
  }

  /**
   * The database read its clock somewhere between sending and answering: the middle of the round trip is
   * the best guess of this clock at that instant. A slow round trip (a lock wait, a pool wait) would bias
   * it, so it is not used. Written with the next heartbeat.
   */
  private measureSkew(sentAtMs: number, answeredAtMs: number, databaseNowMs: number | null): void {
    if (databaseNowMs === null || answeredAtMs - sentAtMs > MAX_SKEW_ROUND_TRIP_MS) return;
    this.clockSkewMs = Math.round((sentAtMs + answeredAtMs) / 2 - databaseNowMs);
  }

  private presence(settings: ClusterSettings): PresenceReport {
    return {
      clockSkewMs: this.clockSkewMs,
      eligible: this.eligible,
      settingsRevision: settings.revision,
    };
  }
}
