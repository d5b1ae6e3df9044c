import { STATUS_CODES } from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { FailoverService } from '../failover/failover.service';
import { Fence, LeaseLostError } from '../failover/lease';
import { MetricsService } from '../metrics/metrics.service';
import { KeyCrypto } from '../verification/key-crypto';
import { DELIVERY_TIMEOUT_MS, retryDelayMs, signature } from './webhook-rules';
import { AttemptResult, DueDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';

const INTERVAL = 'webhook-dispatch';
/**
 * How often the primary looks for work: events to queue, deliveries due. A read or two a second on one
 * node; events then reach their endpoints within about a second, whatever the heartbeat period. Backups
 * keep no such timer: it starts at the primary's lease renewal and stops at the first pass without a fence
 * (a timer that wakes an idle Node.js process costs about half a millisecond of CPU a time, measured on
 * these machines: on nineteen backups, about 0.01 of a core a cluster of twenty).
 */
const DISPATCH_INTERVAL_MS = 1_000;
/** Deliveries attempted at once in one pass: a slow endpoint holds up at most this many. */
const PARALLEL_DELIVERIES = 8;
/** Batches one pass may send before it lets the next pass start (and a shutdown wait for it). */
const BATCHES_PER_PASS = 10;
/** Done deliveries are kept this long for the page, then pruned (at most once an hour). */
const KEEP_DONE_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Sends webhook deliveries, on the primary only. Every pass: queue a delivery per endpoint for each new
 * event of a kind it asked for (fenced), then POST what is due and record each attempt (fenced): a primary
 * that lost its lease records nothing, and the next primary sends what was not recorded as delivered. So a
 * delivery is sent at least once and, once recorded as delivered, never again; the payload's idempotency
 * key lets a receiver drop the rare second copy (the primary sent it but lost its lease before recording).
 * Runs beside the heartbeat, never inside it: a slow endpoint cannot delay a lease renewal.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private running: Promise<void> | null = null;
  private lastPruneMs = Number.NEGATIVE_INFINITY;
  private lastWarning = '';
  private stopped = false;
  /** Passes only when runOnce() is called (see manualPasses). */
  private manual = false;
  /** Ends attempts in flight when the node shuts down: what they were sending stays pending for the next primary. */
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: WebhookDeliveriesRepository,
    private readonly failover: FailoverService,
    private readonly crypto: KeyCrypto,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.components.includes('service')) return;
    this.failover.whenRenewed(() => this.startPasses());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.stopPasses();
    this.shutdown.abort();
    await this.running;
  }

  /** No passes on a timer from now on, only those runOnce() starts: for tests that step through deliveries. */
  manualPasses(): void {
    this.manual = true;
    this.stopPasses();
  }

  private startPasses(): void {
    if (this.stopped || this.manual || this.scheduler.doesExist('interval', INTERVAL)) return;
    this.scheduler.addInterval(
      INTERVAL,
      setInterval(() => void this.runOnce(), DISPATCH_INTERVAL_MS),
    );
  }

  private stopPasses(): void {
    if (this.scheduler.doesExist('interval', INTERVAL)) this.scheduler.deleteInterval(INTERVAL);
  }

  /** One pass, unless one is running (then that one's end). Tests call it to deliver without waiting. */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.resolve();
    this.running = this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const fence = this.failover.fence();
    if (!fence) {
      // Not primary (any more): the timer starts again at this node's next renewal, if it wins one.
      this.stopPasses();
      return;
    }
    try {
      if (await this.repository.hasUnqueuedEvents()) await this.repository.queueEvents(fence);
      // A burst (many events, many endpoints) is worked through in batches, within one pass.
      for (let batch = 0; batch < BATCHES_PER_PASS; batch += 1) {
        const due = await this.repository.due(PARALLEL_DELIVERIES);
        // Every attempt finishes (and is recorded, or not) before the pass ends: a failed record must not
        // let the next pass send again what is still in flight.
        const settled = await Promise.allSettled(due.map((delivery) => this.deliver(fence, delivery)));
        const failures = settled.flatMap((outcome) =>
          outcome.status === 'rejected' ? [outcome.reason] : [],
        );
        // A lost lease matters most: it makes this node step down at once.
        if (failures.length > 0)
          throw failures.find((reason) => reason instanceof LeaseLostError) ?? failures[0];
        if (due.length < PARALLEL_DELIVERIES || this.stopped || !this.failover.fence()) break;
      }
      if (this.clock.monotonicMs() - this.lastPruneMs >= PRUNE_EVERY_MS) {
        await this.repository.prune(fence, KEEP_DONE_MS);
        this.lastPruneMs = this.clock.monotonicMs();
      }
      this.lastWarning = '';
    } catch (error) {
      if (error instanceof LeaseLostError) return this.failover.fenceRejected(error.fence);
      // The database is away, or locked: the next pass tries again. Said once, not every second.
      const warning = `webhook deliveries wait: ${errorSummary(error)}`;
      if (warning !== this.lastWarning) this.logger.warn(warning);
      this.lastWarning = warning;
    }
  }

  private async deliver(fence: Fence, delivery: DueDelivery): Promise<void> {
    const result = await this.attempt(delivery);
    // Cut short by this node's shutdown: not the endpoint's fault, and the next primary sends it. A delivery
    // that did arrive is still recorded (the database closes after this), so it is not sent twice.
    if (this.stopped && !result.delivered) return;
    this.metrics.webhookAttempts.inc({ result: result.delivered ? 'delivered' : 'failed' });
    await this.repository.recordAttempt(fence, delivery.id, result);
  }

  /** POSTs the delivery once; never throws. The URL (it may carry a token) never reaches a log or error text. */
  private async attempt(delivery: DueDelivery): Promise<AttemptResult> {
    const url = this.crypto.openSecret(delivery.urlSealed);
    const secret = this.crypto.openSecret(delivery.secretSealed);
    const failed = (statusCode: number | null, error: string): AttemptResult => ({
      delivered: false,
      statusCode,
      error,
      retryDelayMs: retryDelayMs(delivery.attempts + 1),
    });
    if (url === null || secret === null) {
      return failed(null, "cannot decrypt the endpoint's URL or secret with this node's ENCRYPTION_KEY");
    }
    const body = JSON.stringify(payloadOf(delivery, this.config));
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), this.shutdown.signal]),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': `cluster-overview/${this.config.version}`,
          'X-Signature': signature(secret, body),
          'Idempotency-Key': delivery.id,
          'X-Event-Kind': delivery.kind,
        },
        body,
      });
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel();
        return { delivered: true, statusCode: response.status, error: null, retryDelayMs: 0 };
      }
      // Only the status and its standard name: the endpoint's own words (its body, its reason phrase) may
      // echo the URL's path and token, and would make this a way to read internal hosts' answers.
      await response.body?.cancel().catch(() => undefined);
      return failed(
        response.status,
        `HTTP ${response.status}${STATUS_CODES[response.status] ? ` ${STATUS_CODES[response.status]}` : ''}`,
      );
    } catch (error) {
      // Compared by name: fetch's errors may come from another realm than this module's Error (Jest's sandbox).
      const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
      return failed(
        null,
        timedOut ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : whyFetchFailed(error),
      );
    }
  }
}

/**
 * The JSON body: the event as the events API shows it, and an idempotency key that stays the same on every
 * attempt and on every primary (one per event and endpoint).
 */
function payloadOf(delivery: DueDelivery, config: AppConfig) {
  const { event } = delivery;
  return {
    idempotencyKey: delivery.id,
    test: delivery.kind === 'test',
    event: event
      ? {
          id: event.id,
          kind: event.kind,
          occurredAt: new Date(event.occurredAtMs).toISOString(),
          serverName: event.serverName,
          componentId: event.componentId,
          componentType: event.componentType,
          actor: event.actor,
          epoch: event.epoch,
          message: event.message,
        }
      : {
          id: null,
          kind: delivery.kind,
          occurredAt: new Date(delivery.createdAtMs).toISOString(),
          serverName: null,
          componentId: null,
          componentType: null,
          actor: null,
          epoch: null,
          message:
            delivery.kind === 'test'
              ? 'A test event from the Cluster Overview: this endpoint receives and verifies events.'
              : 'The event has been removed from the history since it was queued.',
        },
    cluster: { sentBy: config.serverName },
  };
}

/** Words for the common network failures; fetch itself only says "fetch failed", the reason is its cause. */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the endpoint',
};

function whyFetchFailed(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  if (code && NETWORK_ERRORS[code]) return `${NETWORK_ERRORS[code]} (${code})`;
  // TLS problems carry their own codes: CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …
  if (code) return `request failed (${code})`;
  return 'request failed';
}
