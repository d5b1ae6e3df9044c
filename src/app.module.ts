import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { Clock } from './common/clock';
import { GlobalExceptionFilter } from './common/global-exception.filter';
import { AuthModule } from './modules/auth/auth.module';
import type { AppConfig } from './modules/environment/app-config';
import { EnvironmentModule } from './modules/environment/environment.module';
import { NodeKeys } from './modules/environment/node-keys';
import { DatabaseModule } from './modules/database/database.module';
import { EventsModule } from './modules/events/events.module';
import { FailoverModule } from './modules/failover/failover.module';
import { HealthCheckerModule } from './modules/health-checker/health-checker.module';
import { NodeLoopModule } from './modules/node-loop/node-loop.module';
import { HeartbeatModule } from './modules/heartbeat/heartbeat.module';
import { NotificationsModule } from './modules/notifications/notifications.module';
import { OpsModule } from './modules/ops/ops.module';
import { ClusterModule } from './modules/cluster/cluster.module';
import { ComponentsModule } from './modules/components/components.module';
import { OverviewModule } from './modules/overview/overview.module';
import { ConfigurationModule } from './modules/configuration/configuration.module';
import { VerificationModule } from './modules/verification/verification.module';

@Module({})
export class AppModule {
  /** The whole application for one validated configuration; tests build it the same way as main.ts. */
  static forRoot(config: AppConfig, keys: NodeKeys, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        EnvironmentModule.forRoot(config, keys, clock),
        DatabaseModule,
        VerificationModule,
        ScheduleModule.forRoot(),
        EventsModule,
        ConfigurationModule,
        FailoverModule,
        AuthModule,
        ClusterModule,
        OverviewModule,
        ComponentsModule,
        HeartbeatModule,
        HealthCheckerModule,
        NodeLoopModule,
        NotificationsModule,
        OpsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: GlobalExceptionFilter }],
    };
  }
}
