import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

export interface ClusterSettingsRecord {
  loadBalancing: boolean;
  automaticFailover: boolean;
  heartbeatFrequencySeconds: number;
  staleTimeoutSeconds: number;
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
}
