import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { insertEventSql } from '../events/event-sql';

/** Deliveries shown per endpoint. */
export const RECENT_DELIVERIES = 10;

export interface WebhookRecord {
  id: string;
  name: string;
  urlSealed: string;
  secretSealed: string;
  kinds: string;
  createdAtMs: number;
  createdBy: string;
}

export interface DeliveryRecord {
  id: string;
  webhookId: string;
  eventId: number | null;
  kind: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAtMs: number;
  nextAttemptAtMs: number | null;
  lastAttemptAtMs: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAtMs: number | null;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: number | bigint | null;
  kind: string;
  status: DeliveryRecord['status'];
  attempts: number | bigint;
  created_at_ms: number | bigint;
  next_attempt_at_ms: number | bigint | null;
  last_attempt_at_ms: number | bigint | null;
  last_status_code: number | bigint | null;
  last_error: string | null;
  delivered_at_ms: number | bigint | null;
}

export const numberOrNull = (value: number | bigint | null) => (value === null ? null : Number(value));

/**
 * Webhook endpoints and their recent deliveries, as administrators change and see them (web requests on
 * any node); the primary's queue of deliveries is WebhookDeliveriesRepository.
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The database's "now": delivery times are the primary's writes, judged by the database's clock. */
  databaseNowMs(): Promise<number> {
    return this.prisma.databaseNowMs();
  }

  /** Adds an endpoint (only events from now on are sent to it) and records the event, in one transaction. */
  async create(webhook: Omit<WebhookRecord, 'id' | 'createdAtMs'>, event: NewEvent): Promise<WebhookRecord> {
    const id = randomUUID();
    const now = this.prisma.nowMsSql();
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<{ created_at_ms: number | bigint }[]>`
          INSERT INTO webhooks (id, name, url_sealed, secret_sealed, kinds, created_at_ms, created_by)
          VALUES (${id}, ${webhook.name}, ${webhook.urlSealed}, ${webhook.secretSealed}, ${webhook.kinds}, ${now},
                  ${webhook.createdBy})
          RETURNING created_at_ms`;
        await tx.$executeRaw(insertEventSql(event, null, now));
        return { id, ...webhook, createdAtMs: Number(row.created_at_ms) };
      }),
    );
  }

  /**
   * Deletes an endpoint (its deliveries go with it: ON DELETE CASCADE) and records the event; false when
   * there is no such endpoint.
   */
  async remove(id: string, event: (name: string) => NewEvent): Promise<boolean> {
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx) => {
        const deleted = await tx.$queryRaw<
          { name: string }[]
        >`DELETE FROM webhooks WHERE id = ${id} RETURNING name`;
        if (deleted.length === 0) return false;
        await tx.$executeRaw(insertEventSql(event(deleted[0].name), null, this.prisma.nowMsSql()));
        return true;
      }),
    );
  }

  /** Every endpoint, oldest first, with its most recent deliveries (two statements whatever the number). */
  async list(): Promise<{ webhook: WebhookRecord; deliveries: DeliveryRecord[] }[]> {
    const webhooks = await this.prisma.client.webhook.findMany({
      orderBy: [{ createdAtMs: 'asc' }, { id: 'asc' }],
    });
    if (webhooks.length === 0) return [];
    const rows = await this.prisma.client.$queryRaw<DeliveryRow[]>`
      SELECT id, webhook_id, event_id, kind, status, attempts, created_at_ms, next_attempt_at_ms,
             last_attempt_at_ms, last_status_code, last_error, delivered_at_ms
      FROM (SELECT d.*, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY created_at_ms DESC, id DESC) AS n
            FROM webhook_deliveries d) ranked
      WHERE n <= ${RECENT_DELIVERIES}
      ORDER BY created_at_ms DESC, id DESC`;
    const byWebhook = new Map<string, DeliveryRecord[]>();
    for (const row of rows) {
      const list = byWebhook.get(row.webhook_id) ?? [];
      list.push(toDelivery(row));
      byWebhook.set(row.webhook_id, list);
    }
    return webhooks.map((webhook) => ({
      webhook: { ...webhook, createdAtMs: Number(webhook.createdAtMs) },
      deliveries: byWebhook.get(webhook.id) ?? [],
    }));
  }

  /** Queues a test event for an endpoint; its delivery id, or null when there is no such endpoint. */
  async queueTest(webhookId: string): Promise<string | null> {
    const id = `${webhookId}:test:${randomUUID()}`;
    const now = this.prisma.nowMsSql();
    const rows = await this.prisma.whileLocked(
      () => this.prisma.client.$queryRaw<{ id: string }[]>`
        INSERT INTO webhook_deliveries (id, webhook_id, event_id, kind, status, attempts, created_at_ms,
                                        next_attempt_at_ms)
        SELECT ${id}, w.id, NULL, 'test', 'pending', 0, ${now}, ${now} FROM webhooks w WHERE w.id = ${webhookId}
        RETURNING id`,
    );
    return rows[0]?.id ?? null;
  }
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: numberOrNull(row.event_id),
    kind: row.kind,
    status: row.status,
    attempts: Number(row.attempts),
    createdAtMs: Number(row.created_at_ms),
    nextAttemptAtMs: numberOrNull(row.next_attempt_at_ms),
    lastAttemptAtMs: numberOrNull(row.last_attempt_at_ms),
    lastStatusCode: numberOrNull(row.last_status_code),
    lastError: row.last_error,
    deliveredAtMs: numberOrNull(row.delivered_at_ms),
  };
}
