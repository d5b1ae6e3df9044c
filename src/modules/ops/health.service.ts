import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { DatabaseHealth, HealthRepository } from './health.repository';
import { NodeLifecycle } from '../environment/node-lifecycle';
import { withTimeout } from './with-timeout';

const CHECK_TIMEOUT_MS = 2_000;

export interface HealthReport {
  /** stopping: from SIGTERM until exit, whatever the database says. */
  status: 'ok' | 'error' | 'stopping';
  database: DatabaseHealth;
  server: string;
  version: string;
}

/**
 * Readiness, for load balancers: can this node serve (it can use the database and is not stopping)?
 * Reveals no keys, settings or other nodes.
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthRepository,
    private readonly lifecycle: NodeLifecycle,
  ) {}

  async check(): Promise<HealthReport> {
    const database = await withTimeout(this.health.check(), CHECK_TIMEOUT_MS).catch(() => 'error' as const);
    return {
      status: this.lifecycle.stopping ? 'stopping' : database === 'ok' ? 'ok' : 'error',
      database,
      server: this.config.serverName,
      version: this.config.version,
    };
  }
}
