import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ConfigurationModule } from '../configuration/configuration.module';
import { MetricsModule } from '../metrics/metrics.module';
import { VerificationModule } from '../verification/verification.module';
import { HeartbeatRepository } from './heartbeat.repository';
import { HeartbeatService } from './heartbeat.service';
import { OutageRepository } from './outage.repository';
import { OutageTracker } from './outage-tracker';
import { ProcessIdentity } from './process-identity';
import { WebHeartbeatMiddleware } from './web-heartbeat.middleware';

@Module({
  imports: [ConfigurationModule, VerificationModule, MetricsModule],
  providers: [HeartbeatService, HeartbeatRepository, ProcessIdentity, OutageTracker, OutageRepository],
  exports: [HeartbeatService],
})
export class HeartbeatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebHeartbeatMiddleware).forRoutes('*');
  }
}
