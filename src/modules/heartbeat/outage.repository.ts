import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { describeDuration } from '../../common/format';
import { LOCK_WAIT_BUDGET_MS, PrismaService } from '../database/prisma.service';
import { insertEventWhereReadable } from '../events/event-sql';

/** Outages are kept as long as events are. */
const OUTAGES_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

/** One node's view of a time it could not use the database. */
export interface SeenOutage {
  /** How long before now (by this node's monotonic clock) the first failure was. */
  durationMs: number;
  serverName: string;
  /** Two outages closer than this are one. */
  mergeWithinMs: number;
}

/** The times the nodes could not use the database (see the database_outages table). */
@Injectable()
export class OutageRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records what a node saw once it could write again: a new outage with its one event, or, when another
   * node already recorded the same outage, a stretch of it (earliest start, latest end) and no second
   * event. Reporters are serialised on the cluster settings row, which every node has and nobody holds
   * for long; the times are the database's clock, the start counted back by the node's monotonic clock.
   * Returns whether this node's report was the outage's first.
   */
  async record(seen: SeenOutage): Promise<boolean> {
    const now = this.prisma.nowMsSql();
    return this.prisma.whileLocked(
      () =>
        this.prisma.client.$transaction(async (tx) => {
          await tx.$executeRaw`UPDATE cluster_settings SET id = id WHERE id = 1`;
          const [clock] = await tx.$queryRaw<{ now_ms: bigint | number }[]>`SELECT ${now} AS now_ms`;
          const endedAtMs = Number(clock.now_ms);
          const beganAtMs = endedAtMs - Math.round(seen.durationMs);
          const stretched = await tx.$executeRaw`
            UPDATE database_outages SET
              began_at_ms = CASE WHEN began_at_ms < ${BigInt(beganAtMs)} THEN began_at_ms ELSE ${BigInt(beganAtMs)} END,
              ended_at_ms = ${BigInt(endedAtMs)}
            WHERE id = (SELECT id FROM database_outages
                        WHERE ended_at_ms >= ${BigInt(beganAtMs - seen.mergeWithinMs)}
                        ORDER BY ended_at_ms DESC LIMIT 1)`;
          if (stretched > 0) return false;
          await tx.$executeRaw`
            INSERT INTO database_outages (id, began_at_ms, ended_at_ms, reported_by)
            VALUES (${randomUUID()}, ${BigInt(beganAtMs)}, ${BigInt(endedAtMs)}, ${seen.serverName})`;
          await tx.$executeRaw`DELETE FROM database_outages WHERE ended_at_ms < ${BigInt(endedAtMs - OUTAGES_KEPT_MS)}`;
          // The outage itself is kept whatever runs; its event only once every live release can show it.
          await insertEventWhereReadable(
            tx,
            {
              kind: 'database-outage',
              serverName: seen.serverName,
              message:
                `The database could not be used for about ${describeDuration(Math.max(1, Math.round(seen.durationMs / 1000)))} ` +
                `(first seen by ${seen.serverName}); staleness is judged from the moment it came back`,
            },
            now,
          );
          return true;
        }),
      LOCK_WAIT_BUDGET_MS,
    );
  }
}
