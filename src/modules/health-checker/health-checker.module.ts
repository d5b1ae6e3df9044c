import { Module } from '@nestjs/common';
import { ConfigurationModule } from '../configuration/configuration.module';
import { FailoverModule } from '../failover/failover.module';
import { HeartbeatModule } from '../heartbeat/heartbeat.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ClusterModule } from '../cluster/cluster.module';
import { VerificationModule } from '../verification/verification.module';
import { HealthCheckerRepository } from './health-checker.repository';
import { HealthCheckerService } from './health-checker.service';
import { HeartbeatScheduler } from './heartbeat-scheduler';

@Module({
  imports: [
    ConfigurationModule,
    FailoverModule,
    HeartbeatModule,
    MetricsModule,
    ClusterModule,
    VerificationModule,
  ],
  providers: [HealthCheckerService, HealthCheckerRepository, HeartbeatScheduler],
})
export class HealthCheckerModule {}
