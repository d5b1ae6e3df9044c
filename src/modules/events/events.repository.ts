import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { ClusterEvent, EventKind } from './event';

@Injectable()
export class EventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findNewest(limit: number, offset = 0): Promise<ClusterEvent[]> {
    const rows = await this.prisma.client.event.findMany({
      orderBy: { id: 'desc' },
      take: limit,
      skip: offset,
    });
    return rows.map((row) => ({
      id: row.id,
      occurredAt: new Date(Number(row.occurredAtMs)).toISOString(),
      kind: row.kind as EventKind,
      serverName: row.serverName,
      componentId: row.componentId,
      componentType: row.componentType,
      actor: row.actor,
      epoch: row.epoch === null ? null : Number(row.epoch),
      message: row.message,
    }));
  }

  databaseNowMs(): Promise<number> {
    return this.prisma.databaseNowMs();
  }

  async countAll(): Promise<number> {
    return this.prisma.client.event.count();
  }
}
