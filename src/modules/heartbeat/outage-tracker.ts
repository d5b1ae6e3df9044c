import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { OutageRepository } from './outage.repository';

/**
 * Notices when this node's heartbeats could not reach the database, and records the outage once they
 * can again, before the heartbeat period goes on to the lease and the health check: so the primary judges
 * staleness from the moment the database came back, and an outage is one event, not a "became stale" and
 * an "is live again" for every node that was alive all along. A gap of under two heartbeat periods is a
 * blip that cannot make anyone stale (the stale timeout is at least three periods) and is not recorded.
 */
@Injectable()
export class OutageTracker {
  private readonly logger = new Logger(OutageTracker.name);
  /** Monotonic times: the last heartbeat that reached the database, and the first failure after it. */
  private lastSuccessMs: number | null = null;
  private firstFailureMs: number | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outages: OutageRepository,
    private readonly clock: Clock,
  ) {}

  failed(): void {
    this.firstFailureMs ??= this.clock.monotonicMs();
  }

  /**
   * A heartbeat failed and no later one has settled it (reached the database and, after a long enough gap,
   * recorded the outage). Until then this node cannot tell a component that stopped from one the database
   * refused as it refused this node, so the health check waits (see HeartbeatScheduler.tick): the database
   * can come back between this node's heartbeat and its lease renewal, and a check run then would judge
   * every component stale by heartbeats that nobody could write.
   */
  unsettled(): boolean {
    return this.firstFailureMs !== null;
  }

  /** A heartbeat reached the database; records the outage it ends, if there was one worth recording. */
  async succeeded(heartbeatSeconds: number): Promise<void> {
    const nowMs = this.clock.monotonicMs();
    const firstFailureMs = this.firstFailureMs;
    const gapMs = this.lastSuccessMs === null ? 0 : nowMs - this.lastSuccessMs;
    if (firstFailureMs === null || gapMs < 2 * heartbeatSeconds * 1000) {
      this.settle(nowMs);
      return;
    }
    try {
      const first = await this.outages.record({
        durationMs: nowMs - firstFailureMs,
        serverName: this.config.serverName,
        mergeWithinMs: heartbeatSeconds * 1000,
      });
      this.logger.warn(
        `the database is usable again after ${Math.round((nowMs - firstFailureMs) / 1000)} s` +
          (first ? ': recorded the outage' : ': another node had recorded this outage'),
      );
      this.settle(nowMs);
    } catch (error) {
      // Kept: the next heartbeat tries again, with the outage's start unchanged.
      this.logger.warn(`could not record the database outage: ${errorSummary(error)}`);
    }
  }

  private settle(nowMs: number): void {
    this.lastSuccessMs = nowMs;
    this.firstFailureMs = null;
  }
}
