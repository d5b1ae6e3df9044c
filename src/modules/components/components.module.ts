import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { FailoverModule } from '../failover/failover.module';
import { VerificationModule } from '../verification/verification.module';
import { ComponentsApiController } from './components-api.controller';
import { ComponentsController } from './components.controller';
import { ComponentsRepository } from './components.repository';
import { ComponentsService } from './components.service';

/** An administrator's changes to the list of components: adding one by hand, removing, draining, resuming. */
@Module({
  imports: [ClusterModule, FailoverModule, VerificationModule],
  controllers: [ComponentsController, ComponentsApiController],
  providers: [ComponentsRepository, ComponentsService],
})
export class ComponentsModule {}
