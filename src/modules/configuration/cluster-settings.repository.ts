import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { insertEventSql } from '../events/event-sql';
import type { ClusterSettings, SettingsValues } from './settings-rules';

@Injectable()
export class ClusterSettingsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The single settings row; the first migration inserts it. */
  async findSettings(): Promise<ClusterSettings> {
    const row = await this.prisma.client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } });
    return {
      loadBalancing: row.loadBalancing,
      automaticFailover: row.automaticFailover,
      heartbeatFrequencySeconds: row.heartbeatFrequencySeconds,
      staleTimeoutSeconds: row.staleTimeoutSeconds,
      upgradeWindowMinutes: row.upgradeWindowMinutes,
      revision: row.revision,
      changedAtMs: row.changedAtMs === null ? null : Number(row.changedAtMs),
      previousStaleTimeoutSeconds: row.previousStaleTimeoutSeconds,
    };
  }

  /** Only the revision: what a node polls between heartbeats longer than a second, to notice a change. */
  async findRevision(): Promise<number> {
    const row = await this.prisma.client.clusterSettings.findUniqueOrThrow({
      where: { id: 1 },
      select: { revision: true },
    });
    return row.revision;
  }

  /**
   * Saves only if nobody saved since `basedOnRevision`, and records the event in the same transaction
   * (which starts with the conditional UPDATE, so SQLite takes its write lock at once): both or neither.
   * Stamps the change with the database's clock and keeps the stale timeout that applied before it (the
   * longest one, when this change comes while an earlier one is still being switched over to), so that
   * heartbeats written under the old period are judged fairly. False when someone saved meanwhile.
   */
  async updateIfRevision(values: SettingsValues, basedOnRevision: number, event: NewEvent): Promise<boolean> {
    const now = this.prisma.nowMsSql();
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx) => {
        const updated = await tx.$executeRaw`
        WITH clock AS (SELECT ${now} AS now_ms)
        UPDATE cluster_settings SET
          previous_stale_timeout_seconds = CASE
            WHEN changed_at_ms IS NOT NULL AND clock.now_ms < changed_at_ms + stale_timeout_seconds * 1000
                 AND COALESCE(previous_stale_timeout_seconds, 0) > stale_timeout_seconds
              THEN previous_stale_timeout_seconds
            ELSE stale_timeout_seconds END,
          changed_at_ms = clock.now_ms,
          load_balancing = ${values.loadBalancing},
          automatic_failover = ${values.automaticFailover},
          heartbeat_frequency_seconds = ${values.heartbeatFrequencySeconds},
          stale_timeout_seconds = ${values.staleTimeoutSeconds},
          upgrade_window_minutes = ${values.upgradeWindowMinutes},
          revision = ${basedOnRevision + 1},
          updated_at = ${new Date()}
        FROM clock
        WHERE id = 1 AND revision = ${basedOnRevision}`;
        if (updated !== 1) return false;
        await tx.$executeRaw(insertEventSql(event, null, now));
        return true;
      }),
    );
  }
}
