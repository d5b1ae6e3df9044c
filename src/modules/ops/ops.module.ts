import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ServersModule } from '../servers/servers.module';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  imports: [ServersModule],
  controllers: [HealthController, MetricsController],
  providers: [HealthRepository, MetricsService],
  exports: [MetricsService],
})
export class OpsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
