import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { HealthService } from './health.service';

/**
 * For load balancers: 200 while this node can serve, 503 when it cannot use the database or is stopping.
 * For orchestrators that restart processes: /health/live, 200 while the process runs its event loop,
 * whatever the database does (an outage of the database must not restart every node at once).
 */
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get()
  async check(@Res() response: Response): Promise<void> {
    const report = await this.health.check();
    response
      .status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .set('Cache-Control', 'no-store')
      .json(report);
  }

  @Public()
  @Get('live')
  live(@Res() response: Response): void {
    response.set('Cache-Control', 'no-store').json({ status: 'ok' });
  }
}
