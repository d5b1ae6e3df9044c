import { Module } from '@nestjs/common';
import { ConfigurationModule } from '../configuration/configuration.module';
import { EventsModule } from '../events/events.module';
import { FailoverModule } from '../failover/failover.module';
import { VerificationModule } from '../verification/verification.module';
import { ClusterApiController } from './cluster-api.controller';
import { ClusterOverviewController } from './cluster-overview.controller';
import { ComponentsApiController } from './components-api.controller';
import { ComponentsController } from './components.controller';
import { ComponentsService } from './components.service';
import { ServersRepository } from './servers.repository';
import { ServersService } from './servers.service';

@Module({
  imports: [ConfigurationModule, FailoverModule, VerificationModule, EventsModule],
  controllers: [
    ClusterOverviewController,
    ClusterApiController,
    ComponentsController,
    ComponentsApiController,
  ],
  providers: [ServersRepository, ServersService, ComponentsService],
  exports: [ServersService],
})
export class ServersModule {}
