import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type { PrismaClient as PostgresPrismaClient } from '../../generated/postgresql/client';
import { Prisma, PrismaClient as SqlitePrismaClient } from '../../generated/sqlite/client';
import { APP_CONFIG } from '../environment/environment.tokens';
import type { AppConfig, DatabaseKind } from '../environment/app-config';
import { runMigrations } from './migrator';
import { pooledPgAdapter } from './pg-adapter';
import { databaseTrouble, DatabaseUnavailableError } from '../../common/database-errors';

/**
 * SQLite's busy timeout. better-sqlite3 is synchronous: while a statement waits for another process's
 * write lock, this whole node (every request, every timer) waits with it. So the wait is kept short, and
 * work that must succeed retries asynchronously (whileLocked), letting everything else run in between.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 20;
/** How long a request's write retries against SQLite's lock before it answers 503 "locked". */
export const LOCK_WAIT_BUDGET_MS = 600;
/** At start nobody waits on a page: a node waits longer for the lock before it gives up starting. */
export const STARTUP_LOCK_BUDGET_MS = 15_000;
/** Handing the lease over and signing off at a clean shutdown are worth a longer wait than a request's. */
export const SHUTDOWN_LOCK_BUDGET_MS = 2_000;
/** A heartbeat's statements retry briefly too (other nodes' writes last milliseconds), then wait for the next period. */
export const HEARTBEAT_LOCK_BUDGET_MS = 250;
const LOCK_RETRY_PAUSE_MS = 15;
/** Prisma emits an event per statement (nothing is logged): how statementsRun counts. */
const COUNT_STATEMENTS = [{ emit: 'event' as const, level: 'query' as const }];

/**
 * The Prisma client for the configured database kind. The two generated clients have the same model API;
 * the SQLite one's type stands for both. SQL that differs between the kinds is written here (nowMsSql,
 * jsonArrayAggSql, bounded) or beside the statement that needs it (nextEpochSql in failover/).
 */
@Injectable()
export class PrismaService implements OnModuleInit, OnApplicationShutdown {
  readonly kind: DatabaseKind;
  readonly client: SqlitePrismaClient;
  private readonly logger = new Logger(PrismaService.name);
  private statements = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.kind = config.database.kind;
    if (config.database.kind === 'sqlite') {
      const adapter = new PrismaBetterSqlite3({
        url: config.database.sqliteFile!,
        timeout: SQLITE_BUSY_TIMEOUT_MS,
      });
      this.client = new SqlitePrismaClient({ adapter, log: COUNT_STATEMENTS });
    } else {
      // Loaded only here: a SQLite node never pays for PostgreSQL's client and driver (start time, memory).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PrismaClient: Client } = require('../../generated/postgresql/client') as {
        PrismaClient: typeof PostgresPrismaClient;
      };
      const adapter = pooledPgAdapter(
        config.database.url,
        `cluster-overview ${config.serverName}`.slice(0, 63),
        () => (this.statements += 1),
        config.database.poolSize,
      );
      this.client = new Client({
        adapter,
        log: COUNT_STATEMENTS,
      }) as unknown as SqlitePrismaClient;
    }
    // The client's type (declared without log options) does not know the 'query' event it was given.
    (this.client as unknown as { $on(event: 'query', listener: () => void): void }).$on(
      'query',
      () => (this.statements += 1),
    );
  }

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.config.database, { version: this.config.version });
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
    // The SQLite adapter keeps one connection, and SQLite enforces foreign keys only when asked, per connection.
    if (this.kind === 'sqlite') await this.client.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  }

  /**
   * SQL for "now" in whole milliseconds since the epoch, by the database's clock: every decision that
   * compares times written by different machines uses it, so that clock skew between servers never matters.
   */
  nowMsSql(): Prisma.Sql {
    return this.kind === 'sqlite'
      ? Prisma.raw(`CAST(unixepoch('subsec') * 1000 AS INTEGER)`)
      : Prisma.raw(`CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`);
  }

  /**
   * An aggregate that gives the rows it runs over as one JSON text: an array of arrays of `expressions`
   * (a comma-separated list), '[]' or NULL when there are none. Reading many rows as one value skips Prisma's
   * per-value conversion (see ClusterRepository.findCluster). Numbers stay numbers; SQLite gives booleans
   * as 0 and 1.
   */
  jsonArrayAggSql(expressions: string): Prisma.Sql {
    return this.kind === 'sqlite'
      ? Prisma.raw(`json_group_array(json_array(${expressions}))`)
      : Prisma.raw(`json_agg(json_build_array(${expressions}))::text`);
  }

  /**
   * Runs `work` (a whole transaction, or one statement) again while SQLite answers that another process
   * holds its write lock, pausing asynchronously between tries, for at most `budgetMs`; then throws
   * DatabaseUnavailableError('locked'). On PostgreSQL, lock waits are bounded by lock_timeout instead.
   */
  async whileLocked<T>(work: () => Promise<T>, budgetMs = LOCK_WAIT_BUDGET_MS): Promise<T> {
    const deadline = performance.now() + budgetMs;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (this.kind !== 'sqlite' || databaseTrouble(error) !== 'locked') throw error;
        if (performance.now() >= deadline) throw new DatabaseUnavailableError('locked', error);
        await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_PAUSE_MS));
      }
    }
  }

  /**
   * One interactive transaction for a service to open and its repositories to join (each takes the `tx`),
   * retried whole while SQLite's write lock is held elsewhere (whileLocked).
   */
  transaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.whileLocked(() => this.client.$transaction(work));
  }

  /**
   * Runs a statement that may wait on a row lock (the lease's) under the transaction bounds: on PostgreSQL
   * inside a transaction of its own, since the bounds are set per transaction (see pg-adapter.ts), so that
   * a session holding the row elsewhere makes it give up after two seconds instead of stalling this node's
   * heartbeat; on SQLite as it is (whileLocked bounds its waits).
   */
  bounded<T>(
    run: (db: Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>) => Promise<T>,
  ): Promise<T> {
    return this.kind === 'postgresql' ? this.client.$transaction((tx) => run(tx)) : run(this.client);
  }

  /**
   * SQL statements this node has sent since it started (COMMIT included, BEGIN not: Prisma reports the
   * statements it runs): /metrics exports it, and tests hold each page to a budget of statements.
   */
  get statementsRun(): number {
    return this.statements;
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
