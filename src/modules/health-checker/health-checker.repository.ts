import { Injectable } from '@nestjs/common';
import { HEARTBEAT_LOCK_BUDGET_MS, PrismaService } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { insertEventSql, pruneEventsSql } from '../events/event-sql';
import type { Fence } from '../failover/lease';
import { requireLeaseHeld } from '../failover/lease-sql';

/** What the health checker saw of one component, kept so that the next run only reports changes. */
export interface Observation {
  componentId: string;
  heartbeat: 'ok' | 'stale';
  keys: 'ok' | 'decryption-failure';
  duplicate: boolean;
}

/** The primary's health check writes, in one transaction that this repository alone owns. */
@Injectable()
export class HealthCheckerRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records what changed, the events that say so (stamped with the primary's epoch) and, when given, the
   * retention of the history, all or nothing, and only while `fence` still holds the lease (else
   * LeaseLostError).
   */
  async recordObservations(
    fence: Fence,
    observations: Observation[],
    events: NewEvent[],
    retention: { cutoffMs: number; keep: number } | null,
  ): Promise<void> {
    // Nothing to record (a cluster at rest, almost every period): no transaction at all. The fence guards
    // writes, and there is none; a primary that lost its lease learns it from its renewal, which comes first
    // in every period. That is four round trips and a row version fewer each period on the primary.
    if (observations.length === 0 && events.length === 0 && retention === null) return;
    const now = this.prisma.nowMsSql();
    await this.prisma.whileLocked(
      () =>
        this.prisma.client.$transaction(async (tx) => {
          await requireLeaseHeld(tx, fence, now);
          for (const seen of observations) {
            await tx.$executeRaw`
              UPDATE components SET observed_heartbeat = ${seen.heartbeat}, observed_keys = ${seen.keys},
                observed_duplicate = ${seen.duplicate}
              WHERE id = ${seen.componentId}`;
          }
          for (const event of events) await tx.$executeRaw(insertEventSql(event, fence.epoch, now));
          if (retention) {
            for (const statement of pruneEventsSql(retention.cutoffMs, retention.keep))
              await tx.$executeRaw(statement);
          }
        }),
      HEARTBEAT_LOCK_BUDGET_MS,
    );
  }
}
