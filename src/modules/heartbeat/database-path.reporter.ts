import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import { probeDatabasePath } from '../database/database-path';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { DatabasePathRepository } from './database-path.repository';

/** A path can change under a running node (a pooler put in front, a database failover): asked again this often. */
const PROBE_EVERY_MS = 60_000;

/**
 * Finds out how this node reaches its database (see DatabasePath) after each registration and once a
 * minute, and records it with its components when it changed, for the overview. Never delays a heartbeat:
 * the probe runs on connections of its own, beside it.
 */
@Injectable()
export class DatabasePathReporter {
  private readonly logger = new Logger(DatabasePathReporter.name);
  private lastProbeMs = Number.NEGATIVE_INFINITY;
  private recorded: string | null = null;
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly paths: DatabasePathRepository,
    private readonly clock: Clock,
  ) {}

  /** After a heartbeat: `registered` when components were (re)registered, so their rows have no path yet. */
  noteHeartbeat(instanceId: string, registered: boolean): void {
    if (registered) this.recorded = null;
    if (this.running) return;
    if (this.recorded !== null && this.clock.monotonicMs() - this.lastProbeMs < PROBE_EVERY_MS) return;
    this.running = true;
    this.lastProbeMs = this.clock.monotonicMs();
    void this.probeAndRecord(instanceId).finally(() => (this.running = false));
  }

  private async probeAndRecord(instanceId: string): Promise<void> {
    try {
      const path = JSON.stringify(
        await probeDatabasePath(
          this.config.database,
          `cluster-overview ${this.config.serverName}`.slice(0, 63),
        ),
      );
      if (path === this.recorded) return;
      await this.paths.record(instanceId, path);
      this.recorded = path;
    } catch (error) {
      this.logger.warn(`could not record how this node reaches the database: ${errorSummary(error)}`);
    }
  }
}
