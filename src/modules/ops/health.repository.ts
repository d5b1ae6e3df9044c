import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { PrismaService } from '../database/prisma.service';

export type DatabaseHealth = 'ok' | 'locked' | 'error';

/** How long the SQLite probe keeps trying for a free moment before it calls the database locked. */
const LOCK_PROBE_BUDGET_MS = 300;
const LOCK_PROBE_PAUSE_MS = 20;

@Injectable()
export class HealthRepository implements OnApplicationShutdown {
  /** SQLite: a connection of its own, so that probing the write lock never meets the application's transactions. */
  private probe: Database.Database | null = null;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Can this node use the database? PostgreSQL: a query answers. SQLite: reads always work in WAL mode, so
   * the question is whether a write could proceed: the probe takes the write lock and gives it back at once
   * (BEGIN IMMEDIATE; ROLLBACK), without waiting (busy timeout 0), retrying asynchronously for a moment, as
   * other nodes' writes last a few milliseconds. Still held after that: another process sits on the lock.
   */
  async check(): Promise<DatabaseHealth> {
    await this.prisma.client.$queryRaw`SELECT 1`;
    if (this.config.database.kind !== 'sqlite') return 'ok';
    this.probe ??= new Database(this.config.database.sqliteFile!, { timeout: 0 });
    const deadline = performance.now() + LOCK_PROBE_BUDGET_MS;
    for (;;) {
      try {
        this.probe.exec('BEGIN IMMEDIATE');
        this.probe.exec('ROLLBACK');
        return 'ok';
      } catch (error) {
        if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw error;
        if (performance.now() >= deadline) return 'locked';
        await new Promise((resolve) => setTimeout(resolve, LOCK_PROBE_PAUSE_MS));
      }
    }
  }

  onApplicationShutdown(): void {
    this.probe?.close();
    this.probe = null;
  }
}
