import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { EventsRepository } from '../events/events.repository';
import type { SettingsValues } from './settings-rules';

export interface ClusterSettingsRecord extends SettingsValues {
  /** grows with every change; a save names the revision it was based on */
  revision: number;
}

@Injectable()
export class ClusterSettingsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly events: EventsRepository,
  ) {}

  /** The single settings row; the first migration inserts it. */
  async findSettings(): Promise<ClusterSettingsRecord> {
    const row = await this.prisma.client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } });
    return {
      loadBalancing: row.loadBalancing,
      automaticFailover: row.automaticFailover,
      heartbeatFrequencySeconds: row.heartbeatFrequencySeconds,
      staleTimeoutSeconds: row.staleTimeoutSeconds,
      revision: row.revision,
    };
  }

  /**
   * Saves only if nobody saved since `basedOnRevision`, and records the event in the same transaction
   * (which starts with the conditional UPDATE, so SQLite takes its write lock at once): both or neither.
   * False when someone saved meanwhile.
   */
  async updateIfRevision(values: SettingsValues, basedOnRevision: number, event: NewEvent): Promise<boolean> {
    return this.prisma.client.$transaction(async (tx) => {
      const { count } = await tx.clusterSettings.updateMany({
        where: { id: 1, revision: basedOnRevision },
        data: { ...values, revision: basedOnRevision + 1, updatedAt: new Date() },
      });
      if (count !== 1) return false;
      await tx.$executeRaw(this.events.insertSql(event, null));
      return true;
    });
  }
}
