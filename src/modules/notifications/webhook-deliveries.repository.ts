import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { HEARTBEAT_LOCK_BUDGET_MS, PrismaService } from '../database/prisma.service';
import type { Fence } from '../failover/lease';
import { requireLeaseHeld } from '../failover/lease-sql';
import { RETRY_WINDOW_MS } from './webhook-rules';
import { numberOrNull } from './webhooks.repository';

/** How far back the primary looks for events no endpoint has been sent yet (as long as a delivery is retried). */
const LOOK_BACK_MS = RETRY_WINDOW_MS;

/** A delivery due now, with what sending it needs: the endpoint's sealed URL and secret, and its event. */
export interface DueDelivery {
  id: string;
  kind: string;
  /** Attempts made before this one. */
  attempts: number;
  createdAtMs: number;
  urlSealed: string;
  secretSealed: string;
  /** Null for a test event, or when the event has been pruned since. */
  event: {
    id: number;
    occurredAtMs: number;
    kind: string;
    serverName: string | null;
    componentId: string | null;
    componentType: string | null;
    actor: string | null;
    epoch: number | null;
    message: string;
  } | null;
}

/** What one attempt came to. */
export interface AttemptResult {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  /** The wait before the next attempt if this one failed (the delivery is given up past the retry window). */
  retryDelayMs: number;
}

/**
 * The primary's queue of webhook deliveries: queuing events for the endpoints, the deliveries due, each
 * attempt's outcome, and pruning, all fenced like the health checker's writes, so that a primary that lost
 * its lease records nothing.
 */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Whether an event of the last hour, of a kind an endpoint asked for and newer than the endpoint, has no
   * delivery for it yet. A read, so that the primary takes SQLite's write lock only when there is work.
   * The look-back (rather than a cursor of event ids) also catches an event whose transaction committed
   * after a later one's: PostgreSQL hands out ids before commit.
   */
  async hasUnqueuedEvents(): Promise<boolean> {
    const rows = await this.prisma.client.$queryRaw<unknown[]>`
      SELECT 1 AS found ${this.unqueuedSql()} LIMIT 1`;
    return rows.length > 0;
  }

  /** Queues a delivery per endpoint for every such event, fenced (LeaseLostError under a lost lease). */
  async queueEvents(fence: Fence): Promise<number> {
    const now = this.prisma.nowMsSql();
    return this.fenced(
      fence,
      async (tx) =>
        tx.$executeRaw`
        INSERT INTO webhook_deliveries (id, webhook_id, event_id, kind, status, attempts, created_at_ms,
                                        next_attempt_at_ms, epoch)
        SELECT w.id || ':' || CAST(e.id AS TEXT), w.id, e.id, e.kind, 'pending', 0, ${now}, ${now},
               ${BigInt(fence.epoch)}
        ${this.unqueuedSql()}
        ON CONFLICT (webhook_id, event_id) DO NOTHING`,
    );
  }

  /** Pending deliveries whose time has come, oldest first, at most `limit`. */
  async due(limit: number): Promise<DueDelivery[]> {
    const rows = await this.prisma.client.$queryRaw<
      {
        id: string;
        kind: string;
        attempts: number | bigint;
        created_at_ms: number | bigint;
        url_sealed: string;
        secret_sealed: string;
        event_id: number | bigint | null;
        occurred_at_ms: number | bigint | null;
        event_kind: string | null;
        server_name: string | null;
        component_id: string | null;
        component_type: string | null;
        actor: string | null;
        epoch: number | bigint | null;
        message: string | null;
      }[]
    >`
      SELECT d.id, d.kind, d.attempts, d.created_at_ms, w.url_sealed, w.secret_sealed, e.id AS event_id, e.occurred_at_ms,
             e.kind AS event_kind, e.server_name, e.component_id, e.component_type, e.actor, e.epoch, e.message
      FROM webhook_deliveries d
      JOIN webhooks w ON w.id = d.webhook_id
      LEFT JOIN events e ON e.id = d.event_id
      WHERE d.status = 'pending' AND d.next_attempt_at_ms <= ${this.prisma.nowMsSql()}
      ORDER BY d.next_attempt_at_ms, d.created_at_ms, d.id
      LIMIT ${limit}`;
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      attempts: Number(row.attempts),
      createdAtMs: Number(row.created_at_ms),
      urlSealed: row.url_sealed,
      secretSealed: row.secret_sealed,
      event:
        row.event_id === null
          ? null
          : {
              id: Number(row.event_id),
              occurredAtMs: Number(row.occurred_at_ms),
              kind: row.event_kind!,
              serverName: row.server_name,
              componentId: row.component_id,
              componentType: row.component_type,
              actor: row.actor,
              epoch: numberOrNull(row.epoch),
              message: row.message!,
            },
    }));
  }

  /**
   * Records one attempt, fenced: delivered; or failed, to be tried again after `retryDelayMs`, or given up
   * when that would be past the retry window (by the database's clock). A delivery recorded as delivered is
   * never sent again, by this primary or the next.
   */
  async recordAttempt(fence: Fence, deliveryId: string, result: AttemptResult): Promise<void> {
    const now = this.prisma.nowMsSql();
    const delay = BigInt(result.retryDelayMs);
    await this.fenced(
      fence,
      async (tx) =>
        tx.$executeRaw`
        UPDATE webhook_deliveries SET
          attempts = attempts + 1,
          last_attempt_at_ms = ${now},
          last_status_code = ${result.statusCode},
          last_error = ${result.error},
          epoch = ${BigInt(fence.epoch)},
          status = CASE WHEN ${result.delivered} THEN 'delivered'
                        WHEN ${now} + ${delay} > created_at_ms + ${BigInt(RETRY_WINDOW_MS)} THEN 'failed'
                        ELSE 'pending' END,
          next_attempt_at_ms = CASE WHEN ${result.delivered} THEN NULL
                        WHEN ${now} + ${delay} > created_at_ms + ${BigInt(RETRY_WINDOW_MS)} THEN NULL
                        ELSE ${now} + ${delay} END,
          delivered_at_ms = CASE WHEN ${result.delivered} THEN ${now} ELSE NULL END
        WHERE id = ${deliveryId} AND status = 'pending'`,
    );
  }

  /** Deliveries that are done (delivered or given up) and older than `keepMs` by the database's clock go, fenced. */
  async prune(fence: Fence, keepMs: number): Promise<void> {
    await this.fenced(
      fence,
      (tx) => tx.$executeRaw`
        DELETE FROM webhook_deliveries
        WHERE status <> 'pending' AND created_at_ms < ${this.prisma.nowMsSql()} - ${BigInt(keepMs)}`,
    );
  }

  /** FROM … WHERE of the events that an endpoint wants and has no delivery for yet. */
  private unqueuedSql(): Prisma.Sql {
    return Prisma.sql`
      FROM webhooks w
      JOIN events e ON e.occurred_at_ms >= w.created_at_ms
                   AND e.occurred_at_ms > ${this.prisma.nowMsSql()} - ${BigInt(LOOK_BACK_MS)}
                   AND w.kinds LIKE '%,' || e.kind || ',%'
      WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.event_id = e.id)`;
  }

  private fenced<T>(fence: Fence, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.whileLocked(
      () =>
        this.prisma.client.$transaction(async (tx) => {
          await requireLeaseHeld(tx, fence, this.prisma.nowMsSql());
          return work(tx);
        }),
      HEARTBEAT_LOCK_BUDGET_MS,
    );
  }
}
