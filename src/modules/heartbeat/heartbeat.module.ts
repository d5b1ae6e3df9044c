import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigurationModule } from '../configuration/configuration.module';
import { MetricsModule } from '../metrics/metrics.module';
import { VerificationModule } from '../verification/verification.module';
import { HeartbeatRepository } from './heartbeat.repository';
import { HeartbeatService } from './heartbeat.service';
import { DatabasePathReporter } from './database-path.reporter';
import { DatabasePathRepository } from './database-path.repository';
import { OutageRepository } from './outage.repository';
import { OutageTracker } from './outage-tracker';
import { ProcessIdentity } from './process-identity';
import { WebHeartbeatMiddleware } from './web-heartbeat.middleware';

@Module({
  imports: [ConfigurationModule, VerificationModule, MetricsModule],
  providers: [
    HeartbeatService,
    HeartbeatRepository,
    ProcessIdentity,
    OutageTracker,
    OutageRepository,
    DatabasePathReporter,
    DatabasePathRepository,
  ],
  exports: [HeartbeatService],
})
export class HeartbeatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebHeartbeatMiddleware).forRoutes('*');
  }
}
