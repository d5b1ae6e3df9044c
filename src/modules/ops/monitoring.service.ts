import { Injectable, Logger } from '@nestjs/common';
import { errorSummary } from '../../common/error-summary';
import { PrismaService } from '../database/prisma.service';
import { FailoverService } from '../failover/failover.service';
import { MetricsService } from '../metrics/metrics.service';
import { ClusterService } from '../cluster/cluster.service';
import { withTimeout } from './with-timeout';

/** A scrape must answer even when the database does not: it is how monitoring learns that it does not. */
const EVALUATION_TIMEOUT_MS = 2_000;

/** What /metrics answers: this node's counters and the cluster's state as it sees it now. */
@Injectable()
export class MonitoringService {
  private readonly logger = new Logger(MonitoringService.name);
  private statementsReported = 0;

  constructor(
    private readonly metrics: MetricsService,
    private readonly cluster: ClusterService,
    private readonly failover: FailoverService,
    private readonly prisma: PrismaService,
  ) {}

  async scrape(): Promise<{ contentType: string; body: string }> {
    const state = await withTimeout(this.cluster.evaluate('checks'), EVALUATION_TIMEOUT_MS).then(
      (evaluation) => ({
        components: evaluation.components.map((c) => ({ type: c.component.type, status: c.status })),
        primaryEpoch: evaluation.lease.epoch,
      }),
      (error: unknown) => {
        this.logger.warn(`metrics without the cluster's state: ${errorSummary(error)}`);
        return null;
      },
    );
    this.metrics.observeCluster(state, this.failover.isPrimary());
    const statements = this.prisma.statementsRun;
    this.metrics.databaseStatements.inc(statements - this.statementsReported);
    this.statementsReported = statements;
    return this.metrics.exposition();
  }
}
