import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module';
import { ClusterRepository } from './cluster.repository';
import { ClusterService } from './cluster.service';

/**
 * The truth about the cluster as this node judges it (heartbeats, versions, keys, roles, each server's path
 * to the database), read in one statement: what the overview, the health checker, the heartbeat loop and
 * the metrics all judge by.
 */
@Module({
  imports: [VerificationModule],
  providers: [ClusterRepository, ClusterService],
  exports: [ClusterRepository, ClusterService],
})
export class ClusterModule {}
