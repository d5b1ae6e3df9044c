import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import { contractStatements, MigrationFile } from '../database/migration-files';
import { POSTGRES_MIGRATION_LOCK } from '../database/migrator';
import type { NewEvent } from '../events/event';
import { insertEventSql } from '../events/event-sql';
import type { Fence } from '../failover/lease';
import { requireLeaseHeld } from '../failover/lease-sql';
import { liveReleasesSql } from './release-sql';

export interface LedgerRow {
  name: string;
  release: string | null;
  phase: string | null;
}

/** What a contract attempt found. */
export type ContractOutcome =
  | { ran: true }
  | { ran: false; reason: 'already-run' }
  | { ran: false; reason: 'older-release-live'; live: string[] };

/** The release sightings, and the schema_migrations ledger as the running cluster reads and extends it. */
@Injectable()
export class UpgradeRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Notes that `version` runs in the cluster, from now on if it never did (database clock). */
  async recordSighting(version: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        INSERT INTO release_sightings (version, first_seen_at_ms) VALUES (${version}, ${this.prisma.nowMsSql()})
        ON CONFLICT (version) DO NOTHING`,
    );
  }

  /**
   * The ledger, read after the migration lock (PostgreSQL) or the write lock (SQLite) is taken, so that a
   * contract step that commits meanwhile is seen: see UpgradeService.joinCluster.
   */
  async readLedgerLocked(): Promise<LedgerRow[]> {
    return this.prisma.transaction(async (tx) => {
      await this.lockMigrations(tx);
      return tx.$queryRaw<LedgerRow[]>`SELECT name, release, phase FROM schema_migrations ORDER BY name`;
    });
  }

  /**
   * Runs one contract step, in one transaction that holds the primary's fence and the migration lock:
   * only when it has not run yet and no live node runs a release that `isOlder` names. Records it in the
   * ledger and writes its event, both or neither.
   */
  async runContract(
    fence: Fence,
    file: MigrationFile,
    isOlder: (other: string) => boolean,
    event: NewEvent,
  ): Promise<ContractOutcome> {
    const now = this.prisma.nowMsSql();
    return this.prisma.transaction(async (tx): Promise<ContractOutcome> => {
      await requireLeaseHeld(tx, fence, now);
      await this.lockMigrations(tx);
      const done = await tx.$queryRaw<{ name: string }[]>`
        SELECT name FROM schema_migrations WHERE name = ${file.name}`;
      if (done.length > 0) return { ran: false, reason: 'already-run' };
      const live = (await tx.$queryRaw<{ version: string }[]>(liveReleasesSql(now))).map(
        (row) => row.version,
      );
      const older = live.filter(isOlder);
      if (older.length > 0) return { ran: false, reason: 'older-release-live', live: older };
      for (const statement of contractStatements(file)) await tx.$executeRawUnsafe(statement);
      await tx.$executeRaw`
        INSERT INTO schema_migrations (name, release, phase) VALUES (${file.name}, ${file.release}, 'contract')`;
      await tx.$executeRaw(insertEventSql(event, fence.epoch, now));
      return { ran: true };
    });
  }

  /** The lock that serialises migration runs of starting nodes (see migrator.ts); SQLite has one writer. */
  private async lockMigrations(tx: Prisma.TransactionClient): Promise<void> {
    if (this.prisma.kind === 'postgresql')
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(${POSTGRES_MIGRATION_LOCK})::text`;
    else await tx.$executeRaw`UPDATE release_sightings SET version = version WHERE 0 = 1`;
  }
}
