import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PostgresPrismaClient } from '../../generated/postgresql/client';
import { Prisma, PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import type { AppConfig, DatabaseKind } from '../configuration/app-config';
import { runMigrations } from './migrator';

/** Transactions here are a few statements long; holding a lock longer than this means the holder is stuck. */
const PG_LOCK_HOLD_LIMIT_MS = 2_000;

/**
 * The Prisma client for the configured database kind. The two generated clients have the same model API;
 * the SQLite one's type stands for both. Only repositories use this (house rule 2); the one piece of SQL
 * that differs between the kinds, "now" by the database's clock, is nowMsSql().
 */
@Injectable()
export class PrismaService implements OnModuleInit, OnApplicationShutdown {
  readonly kind: DatabaseKind;
  readonly client: SqlitePrismaClient;
  private readonly logger = new Logger(PrismaService.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.kind = config.database.kind;
    if (config.database.kind === 'sqlite') {
      // timeout is SQLite's busy timeout: a writer waits for another process's write instead of failing.
      const adapter = new PrismaBetterSqlite3({ url: config.database.sqliteFile!, timeout: 10_000 });
      this.client = new SqlitePrismaClient({ adapter });
    } else {
      const adapter = new PrismaPg({
        connectionString: config.database.url,
        max: 5,
        connectionTimeoutMillis: 5_000,
        // A node paused or cut off inside a transaction must not hold the lease row (or any row) for long:
        // the server ends such a session, and a writer stops waiting for a lock, after two seconds.
        idle_in_transaction_session_timeout: PG_LOCK_HOLD_LIMIT_MS,
        lock_timeout: PG_LOCK_HOLD_LIMIT_MS,
      });
      this.client = new PostgresPrismaClient({ adapter }) as unknown as SqlitePrismaClient;
    }
  }

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.config.database);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
    // The SQLite adapter keeps one connection, and SQLite enforces foreign keys only when asked, per connection.
    if (this.kind === 'sqlite') await this.client.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  }

  /**
   * SQL for "now" in whole milliseconds since the epoch, by the database's clock: every decision that
   * compares times written by different machines uses it (../shared/spec/failover.md).
   */
  nowMsSql(): Prisma.Sql {
    return this.kind === 'sqlite'
      ? Prisma.raw(`CAST(unixepoch('subsec') * 1000 AS INTEGER)`)
      : Prisma.raw(`CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`);
  }

  /** The database's current time, in milliseconds since the epoch. */
  async databaseNowMs(): Promise<number> {
    const rows = await this.client.$queryRaw<
      { now_ms: bigint | number }[]
    >`SELECT ${this.nowMsSql()} AS now_ms`;
    return Number(rows[0].now_ms);
  }

  /** Last of all, so that shutdown work (releasing the primary lease) can still use the database. */
  async onApplicationShutdown(): Promise<void> {
    await this.client.$disconnect();
  }
}
