import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { MetricsModule } from '../metrics/metrics.module';
import { HealthCheckerRepository } from './health-checker.repository';
import { HealthCheckerService } from './health-checker.service';

/** The primary's health check: judge every component, and write the transitions with their events. */
@Module({
  imports: [ClusterModule, MetricsModule],
  providers: [HealthCheckerService, HealthCheckerRepository],
  exports: [HealthCheckerService],
})
export class HealthCheckerModule {}
