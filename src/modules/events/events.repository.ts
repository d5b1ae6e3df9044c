import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import type { ClusterEvent, EventKind, NewEvent } from './event';

@Injectable()
export class EventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The INSERT for one event, timed by the database's clock, for the transaction of what it records: the
   * primary's fenced writes stamp their epoch; administrators' actions have none.
   */
  insertSql(event: NewEvent, epoch: number | null): Prisma.Sql {
    return Prisma.sql`
      INSERT INTO events (occurred_at_ms, kind, server_name, component_id, component_type, actor, epoch, message)
      VALUES (${this.prisma.nowMsSql()}, ${event.kind}, ${event.serverName ?? null}, ${event.componentId ?? null},
              ${event.componentType ?? null}, ${event.actor ?? null}, ${epoch === null ? null : BigInt(epoch)}, ${event.message})`;
  }

  /** Retention: what is older than the cut-off, or beyond the newest `keep` rows, goes. */
  pruneSql(cutoffMs: number, keep: number): Prisma.Sql[] {
    return [
      Prisma.sql`DELETE FROM events WHERE occurred_at_ms < ${BigInt(cutoffMs)}`,
      Prisma.sql`DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ${keep}`,
    ];
  }

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
