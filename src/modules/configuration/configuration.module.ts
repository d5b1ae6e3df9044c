import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { AppConfig } from './app-config';
import { APP_CONFIG } from './configuration.tokens';
import { NodeKeys } from './node-keys';

/** The validated configuration, this node's keys, and the clock. */
@Global()
@Module({})
export class ConfigurationModule {
  static forRoot(config: AppConfig, keys: NodeKeys, clock: Clock = new Clock()): DynamicModule {
    return {
      module: ConfigurationModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: NodeKeys, useValue: keys },
        { provide: Clock, useValue: clock },
      ],
      exports: [APP_CONFIG, NodeKeys, Clock],
    };
  }
}
