import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { AppConfig } from './app-config';
import { APP_CONFIG } from './environment.tokens';
import { NodeKeys } from './node-keys';
import { NodeLifecycle } from './node-lifecycle';

/**
 * The environment of this process: the validated configuration, its keys, the clock and whether it is
 * stopping (global: every module reads them).
 */
@Global()
@Module({})
export class EnvironmentModule {
  static forRoot(config: AppConfig, keys: NodeKeys, clock: Clock = new Clock()): DynamicModule {
    return {
      module: EnvironmentModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: NodeKeys, useValue: keys },
        { provide: Clock, useValue: clock },
        NodeLifecycle,
      ],
      exports: [APP_CONFIG, NodeKeys, Clock, NodeLifecycle],
    };
  }
}
