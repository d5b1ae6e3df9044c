import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How often the event loop delay is sampled (see the constructor). */
const EVENT_LOOP_SAMPLE_MS = 1_000;

/**
 * This node's Prometheus metrics. Counters are bumped where things happen (heartbeats, takeovers, HTTP
 * requests); the cluster's state (components by type and status, the primary's epoch) is set at scrape time
 * through observeCluster. One registry per application instance, so tests can run several.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly heartbeatsWritten = new Counter({
    name: 'cluster_heartbeats_written_total',
    help: 'Heartbeats this node wrote, by component type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly heartbeatsFailed = new Counter({
    name: 'cluster_heartbeats_failed_total',
    help: 'Heartbeats this node failed to write, by component type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly failovers = new Counter({
    name: 'cluster_failovers_total',
    help: 'Times this node took the primary role over from another service component',
    registers: [this.registry],
  });
  readonly components = new Gauge({
    name: 'cluster_components',
    help: 'Components in the cluster by type and status, as this node verifies them',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });
  readonly primaryEpoch = new Gauge({
    name: 'cluster_primary_epoch',
    help: 'Epoch of the primary lease: grows at every change of primary, and past a database failover (PostgreSQL: timeline × 10^9 + changes)',
    registers: [this.registry],
  });
  readonly databaseUp = new Gauge({
    name: 'cluster_database_up',
    help: '1 when this node could read the cluster state from the database at the last scrape, 0 when not',
    registers: [this.registry],
  });
  readonly isPrimary = new Gauge({
    name: 'cluster_node_is_primary',
    help: '1 while this node holds the primary role',
    registers: [this.registry],
  });
  readonly databaseStatements = new Counter({
    name: 'cluster_database_statements_total',
    help: 'SQL statements this node sent to the database (pages, API, heartbeats and health checks)',
    registers: [this.registry],
  });
  readonly healthCheckDuration = new Histogram({
    name: 'cluster_health_check_duration_seconds',
    help: "The primary's health check of every component, from reading the cluster to recording what changed",
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: 'cluster_webhook_attempts_total',
    help: 'Webhook deliveries this node attempted as primary, by result (delivered, failed)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    // The event loop delay is sampled by a timer every `eventLoopMonitoringPrecision` ms: at prom-client's
    // default of 10 ms that timer alone cost 8 ms of CPU per second per node (measured: a quarter of an idle
    // node's cost). Each wake of an idle process costs about 0.1-0.2 ms on these machines (measured on a bare
    // Node.js process: 1.0 ms/s at 200 ms, 0.5 at 1 s). At 1 s it still catches every stall of a second or
    // more, the ones that delay a heartbeat (a node is shown stale after the timeout, 3 s at the least), and
    // a shorter stall in proportion to its length.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    // Zero from the start, so that rate() and alerts see a series before the first failure.
    for (const type of ['web', 'service'] as const) {
      this.heartbeatsWritten.inc({ type }, 0);
      this.heartbeatsFailed.inc({ type }, 0);
    }
    for (const result of ['delivered', 'failed'] as const) this.webhookAttempts.inc({ result }, 0);
  }

  /**
   * The cluster as this node sees it at a scrape, or null when the database could not say: then there are
   * no component counts at all (stale counts would mislead), only cluster_database_up 0.
   */
  observeCluster(state: ClusterState | null, isPrimary: boolean): void {
    this.isPrimary.set(isPrimary ? 1 : 0);
    this.components.reset();
    this.databaseUp.set(state ? 1 : 0);
    if (!state) return;
    for (const type of ['web', 'service'] as const) {
      for (const status of ['ok', 'warning', 'error'] as const) {
        const count = state.components.filter((c) => c.type === type && c.status === status).length;
        this.components.set({ type, status }, count);
      }
    }
    this.primaryEpoch.set(state.primaryEpoch);
  }

  /** The Prometheus text of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** What the cluster gauges are made of. */
export interface ClusterState {
  components: { type: 'web' | 'service'; status: 'ok' | 'warning' | 'error' }[];
  primaryEpoch: number;
}
