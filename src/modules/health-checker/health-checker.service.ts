import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { describeDuration } from '../../common/format';
import type { NewEvent } from '../events/event';
import type { PrimaryChange } from '../failover/failover.service';
import type { Fence } from '../failover/lease';
import { MetricsService } from '../metrics/metrics.service';
import { EvaluatedComponent, ClusterService } from '../cluster/cluster.service';
import { WEB_STALE_AFTER_MS } from '../cluster/component-rules';
import { HealthCheckerRepository, Observation } from './health-checker.repository';

/** Events older than this are removed, and never more than EVENTS_KEPT are kept. */
export const EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
export const EVENTS_KEPT = 10_000;
/** Pruning deletes nothing almost every time: once a minute is plenty against a 30-day window. */
export const PRUNE_EVERY_MS = 60_000;

/**
 * The primary's scheduled check: it evaluates every component against the settings, records each change
 * of state as an event stamped with its epoch, and keeps the history bounded, all in one fenced
 * transaction, so nothing is written under a lease this node no longer holds.
 */
@Injectable()
export class HealthCheckerService {
  private readonly logger = new Logger(HealthCheckerService.name);

  private lastPrunedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly cluster: ClusterService,
    private readonly repository: HealthCheckerRepository,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  async run(fence: Fence, primaryChange: PrimaryChange | null): Promise<void> {
    const endTimer = this.metrics.healthCheckDuration.startTimer();
    try {
      await this.check(fence, primaryChange);
    } finally {
      endTimer();
    }
  }

  private async check(fence: Fence, primaryChange: PrimaryChange | null): Promise<void> {
    const evaluation = await this.cluster.evaluate('checks');
    const newEvents: NewEvent[] = [];
    const observations: Observation[] = [];

    if (primaryChange)
      newEvents.push(primaryChangedEvent(primaryChange, fence.holder, evaluation.components));
    for (const evaluated of evaluation.components) {
      if (evaluated.component.addedManually) continue;
      const { events, changed } = changesOf(evaluated, evaluation.settings.staleTimeoutSeconds);
      newEvents.push(...events);
      if (changed)
        observations.push({
          componentId: evaluated.component.id,
          heartbeat: evaluated.checks.heartbeat,
          keys: keysOf(evaluated),
          duplicate: evaluated.duplicate !== null,
        });
    }
    const pruneNow = this.clock.monotonicMs() - this.lastPrunedAtMs >= PRUNE_EVERY_MS;
    await this.repository.recordObservations(
      fence,
      observations,
      newEvents,
      pruneNow ? { cutoffMs: evaluation.nowMs - EVENT_RETENTION_MS, keep: EVENTS_KEPT } : null,
    );
    if (pruneNow) this.lastPrunedAtMs = this.clock.monotonicMs();
    for (const event of newEvents) this.logger.log(`event: ${event.message}`);
  }
}

function keysOf(evaluated: EvaluatedComponent): 'ok' | 'decryption-failure' {
  const { encryptionKey, machineKey } = evaluated.checks;
  return encryptionKey === 'ok' && machineKey !== 'decryption-failure' ? 'ok' : 'decryption-failure';
}

function changesOf(
  evaluated: EvaluatedComponent,
  staleTimeoutSeconds: number,
): { events: NewEvent[]; changed: boolean } {
  const { server, component, checks } = evaluated;
  const heartbeat = checks.heartbeat;
  const keys = keysOf(evaluated);
  const about = { serverName: server.name, componentId: component.id, componentType: component.type };
  const name = `${server.name}: ${component.type} component`;
  const events: NewEvent[] = [];
  if (component.observedHeartbeat === null) {
    events.push({
      ...about,
      kind: 'component-registered',
      message: `${name} registered (version ${component.version})`,
    });
  } else if (component.observedHeartbeat !== heartbeat) {
    events.push(
      heartbeat === 'stale'
        ? {
            ...about,
            kind: 'component-stale',
            message: `${name} became stale (no heartbeat for ${describeDuration(
              component.type === 'web' ? WEB_STALE_AFTER_MS / 1000 : staleTimeoutSeconds,
            )})`,
          }
        : { ...about, kind: 'component-recovered', message: `${name} is live again` },
    );
  }
  if (component.observedKeys !== keys && !(component.observedKeys === null && keys === 'ok')) {
    const which = [
      checks.encryptionKey === 'decryption-failure' ? 'encryption key' : null,
      checks.machineKey === 'decryption-failure' ? 'machine key' : null,
    ]
      .filter(Boolean)
      .join(' and ');
    events.push(
      keys === 'decryption-failure'
        ? {
            ...about,
            kind: 'verification-failed',
            message: `${name} fails verification of its ${which} against the primary's keys`,
          }
        : { ...about, kind: 'verification-recovered', message: `${name} passes key verification again` },
    );
  }
  const duplicate = evaluated.duplicate !== null;
  if ((component.observedDuplicate ?? false) !== duplicate) {
    events.push(
      duplicate
        ? {
            ...about,
            kind: 'duplicate-detected',
            message: `${name}: a second process (${evaluated.duplicate!.address ?? 'address unknown'}) runs under the same server name; its heartbeats are ignored`,
          }
        : {
            ...about,
            kind: 'duplicate-resolved',
            message: `${name}: only one process runs under this server name again`,
          },
    );
  }
  return {
    events,
    changed:
      component.observedHeartbeat !== heartbeat ||
      component.observedKeys !== keys ||
      (component.observedDuplicate ?? false) !== duplicate,
  };
}

function primaryChangedEvent(
  change: PrimaryChange,
  holder: string,
  components: EvaluatedComponent[],
): NewEvent {
  const named = (id: string | null) => components.find((c) => c.component.id === id);
  const now = named(holder);
  const before = named(change.previousHolder);
  const previous =
    change.previousHolder === null
      ? 'first primary of the cluster'
      : `previously ${before ? before.server.name : 'a removed component'}` +
        (change.previousEpoch === null ? '' : ` at epoch ${change.previousEpoch}`);
  return {
    kind: 'primary-changed',
    serverName: now?.server.name ?? null,
    componentId: holder,
    componentType: 'service',
    message: `${now?.server.name ?? 'a service component'} became primary (epoch ${change.epoch}; ${previous})`,
  };
}
