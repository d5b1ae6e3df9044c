import { Module } from '@nestjs/common';
import { ConfigurationModule } from '../configuration/configuration.module';
import { FailoverModule } from '../failover/failover.module';
import { HeartbeatModule } from '../heartbeat/heartbeat.module';
import { ServersModule } from '../servers/servers.module';
import { VerificationModule } from '../verification/verification.module';
import { HealthCheckerRepository } from './health-checker.repository';
import { HealthCheckerService } from './health-checker.service';
import { HeartbeatScheduler } from './heartbeat-scheduler';

@Module({
  imports: [ConfigurationModule, FailoverModule, HeartbeatModule, ServersModule, VerificationModule],
  providers: [HealthCheckerService, HealthCheckerRepository, HeartbeatScheduler],
})
export class HealthCheckerModule {}
