import { Controller, Get, Logger, Res } from '@nestjs/common';
import type { Response } from 'express';
import { errorSummary } from '../../common/error-summary';
import { Public } from '../auth/public.decorator';
import { FailoverService } from '../failover/failover.service';
import { ServersService } from '../servers/servers.service';
import { withTimeout } from './health.controller';
import { MetricsService } from './metrics.service';

/** A scrape must answer even when the database does not: it is how monitoring learns that it does not. */
const EVALUATION_TIMEOUT_MS = 2_000;

/** For monitoring, without login: counts and states only, no names, addresses, keys or settings. */
@Controller('metrics')
export class MetricsController {
  private readonly logger = new Logger(MetricsController.name);

  constructor(
    private readonly metrics: MetricsService,
    private readonly servers: ServersService,
    private readonly failover: FailoverService,
  ) {}

  @Public()
  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    this.metrics.isPrimary.set(this.failover.isPrimary() ? 1 : 0);
    try {
      const evaluation = await withTimeout(this.servers.evaluate(), EVALUATION_TIMEOUT_MS);
      this.metrics.components.reset();
      for (const type of ['web', 'service']) {
        for (const status of ['ok', 'warning', 'error']) {
          const count = evaluation.components.filter(
            (c) => c.component.type === type && c.status === status,
          ).length;
          this.metrics.components.set({ type, status }, count);
        }
      }
      this.metrics.primaryEpoch.set(evaluation.lease.epoch);
      this.metrics.databaseUp.set(1);
    } catch (error) {
      // What the cluster looks like is unknown now: no stale counts, only the fact that the database is down.
      this.metrics.components.reset();
      this.metrics.databaseUp.set(0);
      this.logger.warn(`metrics without the cluster's state: ${errorSummary(error)}`);
    }
    response
      .set('Content-Type', this.metrics.registry.contentType)
      .send(await this.metrics.registry.metrics());
  }
}
