import { Injectable } from '@nestjs/common';
import type { NewEvent } from '../events/event';
import { ClusterSettingsRepository } from './cluster-settings.repository';
import { SettingsConflictError, SettingsInvalidError } from './settings.errors';
import {
  ClusterSettings,
  describeChanges,
  settingsErrors,
  settingsWarnings,
  SettingsValues,
} from './settings-rules';

export interface SettingsChange {
  values: Partial<SettingsValues>;
  /** The revision the change was based on; when given, a save made meanwhile by someone else wins and this one fails. */
  basedOnRevision?: number;
  actor: string;
}

/** The cluster-wide settings (load balancing, failover, heartbeat and stale timeout), one set in the database. */
@Injectable()
export class ClusterSettingsService {
  constructor(private readonly repository: ClusterSettingsRepository) {}

  get(): Promise<ClusterSettings> {
    return this.repository.findSettings();
  }

  /** The revision alone: what a node polls between heartbeats longer than a second (HeartbeatScheduler). */
  revision(): Promise<number> {
    return this.repository.findRevision();
  }

  warnings(values: Pick<SettingsValues, 'heartbeatFrequencySeconds' | 'staleTimeoutSeconds'>): string[] {
    return settingsWarnings(values);
  }

  /**
   * Applies a change if it obeys the rules and nobody saved in between, and records who changed what.
   * Either everything is saved or nothing is.
   */
  async update(change: SettingsChange): Promise<{ settings: ClusterSettings; warnings: string[] }> {
    const current = await this.repository.findSettings();
    const next: SettingsValues = {
      loadBalancing: change.values.loadBalancing ?? current.loadBalancing,
      automaticFailover: change.values.automaticFailover ?? current.automaticFailover,
      heartbeatFrequencySeconds: change.values.heartbeatFrequencySeconds ?? current.heartbeatFrequencySeconds,
      staleTimeoutSeconds: change.values.staleTimeoutSeconds ?? current.staleTimeoutSeconds,
      upgradeWindowMinutes: change.values.upgradeWindowMinutes ?? current.upgradeWindowMinutes,
    };
    const errors = settingsErrors(next);
    if (Object.keys(errors).length > 0) throw new SettingsInvalidError(errors);
    const basedOn = change.basedOnRevision ?? current.revision;
    if (basedOn !== current.revision) throw new SettingsConflictError(current.revision);
    const changes = describeChanges(current, next);
    if (changes.length === 0) return { settings: current, warnings: settingsWarnings(current) };
    const event: NewEvent = {
      kind: 'settings-changed',
      actor: change.actor,
      message: `${change.actor} changed ${changes.join(', ')}`,
    };
    if (!(await this.repository.updateIfRevision(next, basedOn, event))) {
      throw new SettingsConflictError((await this.repository.findSettings()).revision);
    }
    return { settings: await this.repository.findSettings(), warnings: settingsWarnings(next) };
  }
}
