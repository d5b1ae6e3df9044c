import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { MonitoringService } from './monitoring.service';

/** For monitoring, without login: counts and states only, no names, addresses, keys or settings. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly monitoring: MonitoringService) {}

  @Public()
  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.monitoring.scrape();
    response.set('Content-Type', contentType).send(body);
  }
}
