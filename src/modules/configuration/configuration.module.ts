import { Module } from '@nestjs/common';
import { ClusterSettingsApiController } from './cluster-settings-api.controller';
import { ClusterSettingsController } from './cluster-settings.controller';
import { ClusterSettingsRepository } from './cluster-settings.repository';
import { ClusterSettingsService } from './cluster-settings.service';

@Module({
  controllers: [ClusterSettingsController, ClusterSettingsApiController],
  providers: [ClusterSettingsRepository, ClusterSettingsService],
  exports: [ClusterSettingsService],
})
export class ConfigurationModule {}
