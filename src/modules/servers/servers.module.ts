import { Module } from '@nestjs/common';
import { ClusterApiController } from './cluster-api.controller';
import { ClusterOverviewController } from './cluster-overview.controller';
import { ServersRepository } from './servers.repository';
import { ServersService } from './servers.service';

@Module({
  controllers: [ClusterOverviewController, ClusterApiController],
  providers: [ServersRepository, ServersService],
  exports: [ServersRepository, ServersService],
})
export class ServersModule {}
