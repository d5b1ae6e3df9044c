import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { AppConfig } from './app-config';
import { APP_CONFIG } from './environment.tokens';
import { NodeKeys } from './node-keys';

/** The environment of this process: the validated configuration, its keys, and the clock (global: every module reads them). */
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
      ],
      exports: [APP_CONFIG, NodeKeys, Clock],
    };
  }
}
