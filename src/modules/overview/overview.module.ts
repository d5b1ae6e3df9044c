import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { ConfigurationModule } from '../configuration/configuration.module';
import { EventsModule } from '../events/events.module';
import { ClusterApiController } from './cluster-api.controller';
import { ClusterOverviewController } from './cluster-overview.controller';
import { OverviewPageService } from './overview-page.service';
import { OverviewService } from './overview.service';

/** The Cluster Overview page and GET /api/cluster: the read side. */
@Module({
  imports: [ClusterModule, ConfigurationModule, EventsModule],
  controllers: [ClusterOverviewController, ClusterApiController],
  providers: [OverviewService, OverviewPageService],
})
export class OverviewModule {}
