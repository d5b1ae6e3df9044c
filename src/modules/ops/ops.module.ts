import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { FailoverModule } from '../failover/failover.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ClusterModule } from '../cluster/cluster.module';
import { ApiDocsController, ApiDocument } from './api-docs.controller';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { HealthService } from './health.service';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MonitoringService } from './monitoring.service';
import { StoppingMiddleware } from './stopping.middleware';

/** For load balancers and monitoring: /health (readiness), /health/live, /metrics, and the timing of every request. */
@Module({
  imports: [ClusterModule, FailoverModule, MetricsModule],
  controllers: [HealthController, MetricsController, ApiDocsController],
  providers: [HealthRepository, HealthService, MonitoringService, ApiDocument],
})
export class OpsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, StoppingMiddleware).forRoutes('*');
  }
}
