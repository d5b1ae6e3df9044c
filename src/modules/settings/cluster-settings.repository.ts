import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { SettingsValues } from './settings-rules';

export interface ClusterSettingsRecord extends SettingsValues {
  /** grows with every change; a save names the revision it was based on */
  revision: number;
}

@Injectable()
export class ClusterSettingsRepository {
  constructor(private readonly prisma: PrismaService) {}

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

  /** Saves only if nobody saved since `basedOnRevision` (one conditional UPDATE); false otherwise. */
  async updateIfRevision(values: SettingsValues, basedOnRevision: number): Promise<boolean> {
    const { count } = await this.prisma.client.clusterSettings.updateMany({
      where: { id: 1, revision: basedOnRevision },
      data: { ...values, revision: basedOnRevision + 1, updatedAt: new Date() },
    });
    return count === 1;
  }
}
