import { Module } from '@nestjs/common';
import { ClusterApiController } from './cluster-api.controller';
import { ClusterOverviewController } from './cluster-overview.controller';
import { ComponentsApiController } from './components-api.controller';
import { ComponentsController } from './components.controller';
import { ComponentsService } from './components.service';
import { ServersRepository } from './servers.repository';
import { ServersService } from './servers.service';

@Module({
  controllers: [
    ClusterOverviewController,
    ClusterApiController,
    ComponentsController,
    ComponentsApiController,
  ],
  providers: [ServersRepository, ServersService, ComponentsService],
  exports: [ServersRepository, ServersService],
})
export class ServersModule {}
