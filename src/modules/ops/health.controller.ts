import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import type { AppConfig } from '../configuration/app-config';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import { DatabaseHealth, HealthRepository } from './health.repository';

const PING_TIMEOUT_MS = 2_000;

/** For load balancers: can this node use the database? Reveals no keys, settings or other nodes. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthRepository,
  ) {}

  @Public()
  @Get()
  async check(@Res() response: Response): Promise<void> {
    const database: DatabaseHealth = await withTimeout(this.health.check(), PING_TIMEOUT_MS).catch(
      () => 'error' as const,
    );
    response
      .status(database === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .set('Cache-Control', 'no-store')
      .json({
        status: database === 'ok' ? 'ok' : 'error',
        database,
        server: this.config.serverName,
        version: this.config.version,
      });
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
