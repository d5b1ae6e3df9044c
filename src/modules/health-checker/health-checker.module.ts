import { Module } from '@nestjs/common';
import { HeartbeatModule } from '../heartbeat/heartbeat.module';
import { ServersModule } from '../servers/servers.module';
import { HealthCheckerService } from './health-checker.service';
import { ServiceLoop } from './service-loop';

@Module({ imports: [ServersModule, HeartbeatModule], providers: [HealthCheckerService, ServiceLoop] })
export class HealthCheckerModule {}
