import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ServersModule } from '../servers/servers.module';
import { HeartbeatService } from './heartbeat.service';
import { ProcessIdentity } from './process-identity';
import { WebHeartbeatMiddleware } from './web-heartbeat.middleware';

@Module({
  imports: [ServersModule],
  providers: [HeartbeatService, ProcessIdentity],
  exports: [HeartbeatService],
})
export class HeartbeatModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebHeartbeatMiddleware).forRoutes('*');
  }
}
