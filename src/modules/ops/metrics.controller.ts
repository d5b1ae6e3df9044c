import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { FailoverService } from '../failover/failover.service';
import { ServersService } from '../servers/servers.service';
import { MetricsService } from './metrics.service';

/** For monitoring, without login: counts and states only, no names, addresses, keys or settings. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly servers: ServersService,
    private readonly failover: FailoverService,
  ) {}

  @Public()
  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    const evaluation = await this.servers.evaluate();
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
    this.metrics.isPrimary.set(this.failover.isPrimary() ? 1 : 0);
    response
      .set('Content-Type', this.metrics.registry.contentType)
      .send(await this.metrics.registry.metrics());
  }
}
