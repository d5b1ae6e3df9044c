import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import type { ClusterEvent, EventKind } from './event';

@Injectable()
export class EventsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findNewest(limit: number, offset = 0, filter: EventFilter = {}): Promise<ClusterEvent[]> {
    const rows = await this.prisma.client.event.findMany({
      where: whereOf(filter),
      orderBy: { id: 'desc' },
      take: limit,
      skip: offset,
    });
    return rows.map((row) => ({
      id: Number(row.id),
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

  /**
   * In one statement: the `newest` events, every event since `sinceMs` about one of `componentIds`, every
   * change of primary since then, and the last change of primary before it (who was primary when the window
   * opened). Oldest first.
   */
  async findForOverview(newest: number, componentIds: string[], sinceMs: number): Promise<ClusterEvent[]> {
    const ids = componentIds.length > 0 ? Prisma.join(componentIds) : Prisma.sql`''`;
    const since = BigInt(sinceMs);
    const rows = await this.prisma.client.$queryRaw<EventRow[]>`
      SELECT id, occurred_at_ms, kind, server_name, component_id, component_type, actor, epoch, message
      FROM events
      WHERE id IN (SELECT id FROM events ORDER BY id DESC LIMIT ${newest})
         OR (occurred_at_ms >= ${since} AND (kind = 'primary-changed' OR component_id IN (${ids})))
         OR id = (SELECT MAX(id) FROM events WHERE kind = 'primary-changed' AND occurred_at_ms < ${since})
      ORDER BY id`;
    return rows.map((row) => ({
      id: Number(row.id),
      occurredAt: new Date(Number(row.occurred_at_ms)).toISOString(),
      kind: row.kind as EventKind,
      serverName: row.server_name,
      componentId: row.component_id,
      componentType: row.component_type,
      actor: row.actor,
      epoch: row.epoch === null ? null : Number(row.epoch),
      message: row.message,
    }));
  }

  databaseNowMs(): Promise<number> {
    return this.prisma.databaseNowMs();
  }

  async count(filter: EventFilter = {}): Promise<number> {
    return this.prisma.client.event.count({ where: whereOf(filter) });
  }
}

/** Which events a list shows: about one server, one kind of component, of one kind; any when left out. */
export interface EventFilter {
  server?: string;
  component?: 'web' | 'service';
  kind?: string;
}

function whereOf(filter: EventFilter) {
  return {
    ...(filter.server !== undefined ? { serverName: filter.server } : {}),
    ...(filter.component !== undefined ? { componentType: filter.component } : {}),
    ...(filter.kind !== undefined ? { kind: filter.kind } : {}),
  };
}

interface EventRow {
  id: number | bigint;
  occurred_at_ms: number | bigint;
  kind: string;
  server_name: string | null;
  component_id: string | null;
  component_type: string | null;
  actor: string | null;
  epoch: number | bigint | null;
  message: string;
}
