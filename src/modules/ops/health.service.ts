import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { DatabaseHealth, HealthRepository } from './health.repository';
import { withTimeout } from './with-timeout';

const CHECK_TIMEOUT_MS = 2_000;

export interface HealthReport {
  status: 'ok' | 'error';
  database: DatabaseHealth;
  server: string;
  version: string;
}

/** Can this node use the database? For load balancers: reveals no keys, settings or other nodes. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthRepository,
  ) {}

  async check(): Promise<HealthReport> {
    const database = await withTimeout(this.health.check(), CHECK_TIMEOUT_MS).catch(() => 'error' as const);
    return {
      status: database === 'ok' ? 'ok' : 'error',
      database,
      server: this.config.serverName,
      version: this.config.version,
    };
  }
}
