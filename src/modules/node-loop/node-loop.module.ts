import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { ConfigurationModule } from '../configuration/configuration.module';
import { FailoverModule } from '../failover/failover.module';
import { HealthCheckerModule } from '../health-checker/health-checker.module';
import { HeartbeatModule } from '../heartbeat/heartbeat.module';
import { UpgradeModule } from '../upgrade/upgrade.module';
import { VerificationModule } from '../verification/verification.module';
import { HeartbeatScheduler } from './heartbeat-scheduler';

/**
 * The node's main loop: every heartbeat period, report this process alive, hold or seek the primary lease,
 * and on the primary run the health checker and any due contract step; follow the settings between ticks.
 */
@Module({
  imports: [
    ClusterModule,
    ConfigurationModule,
    FailoverModule,
    HealthCheckerModule,
    HeartbeatModule,
    UpgradeModule,
    VerificationModule,
  ],
  providers: [HeartbeatScheduler],
})
export class NodeLoopModule {}
