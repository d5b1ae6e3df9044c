import { Injectable } from '@nestjs/common';
import { ClusterSettingsRecord, ClusterSettingsRepository } from './cluster-settings.repository';

export type ClusterSettings = ClusterSettingsRecord;

/** The cluster-wide settings (load balancing, failover, heartbeat and stale timeout), one set in the database. */
@Injectable()
export class ClusterSettingsService {
  constructor(private readonly repository: ClusterSettingsRepository) {}

  get(): Promise<ClusterSettings> {
    return this.repository.findSettings();
  }
}
