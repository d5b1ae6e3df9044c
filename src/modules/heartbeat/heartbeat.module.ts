import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ServersModule } from '../servers/servers.module';
import { HeartbeatService } from './heartbeat.service';
import { WebHeartbeatMiddleware } from './web-heartbeat.middleware';

@Module({
  imports: [ServersModule],
  providers: [HeartbeatService],
  exports: [HeartbeatService],
})
export class HeartbeatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebHeartbeatMiddleware).forRoutes('*');
  }
}
