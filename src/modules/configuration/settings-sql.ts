import { Prisma } from '../../generated/sqlite/client';
import type { ClusterSettings } from './settings-rules';

/** The settings' columns, for a statement that reads them beside other rows (see ClusterRepository). */
export const SETTINGS_COLUMNS_SQL = Prisma.raw(
  'cs.load_balancing AS settings_load_balancing, cs.automatic_failover AS settings_automatic_failover, ' +
    'cs.heartbeat_frequency_seconds AS settings_heartbeat_frequency_seconds, ' +
    'cs.stale_timeout_seconds AS settings_stale_timeout_seconds, cs.revision AS settings_revision, ' +
    'cs.changed_at_ms AS settings_changed_at_ms, ' +
    'cs.previous_stale_timeout_seconds AS settings_previous_stale_timeout_seconds, ' +
    'cs.upgrade_window_minutes AS settings_upgrade_window_minutes',
);
/** Joins the single settings row as `cs` (the first migration inserts it). */
export const SETTINGS_JOIN_SQL = Prisma.raw('JOIN cluster_settings cs ON cs.id = 1');

/** As either driver returns them (SQLite: integers for booleans, sometimes BigInt). */
export interface SettingsColumns {
  settings_load_balancing: boolean | number | bigint;
  settings_automatic_failover: boolean | number | bigint;
  settings_heartbeat_frequency_seconds: number | bigint;
  settings_stale_timeout_seconds: number | bigint;
  settings_revision: number | bigint;
  settings_changed_at_ms: number | bigint | null;
  settings_previous_stale_timeout_seconds: number | bigint | null;
  settings_upgrade_window_minutes: number | bigint;
}

export function settingsFromColumns(row: SettingsColumns): ClusterSettings {
  return {
    loadBalancing: Boolean(Number(row.settings_load_balancing)),
    automaticFailover: Boolean(Number(row.settings_automatic_failover)),
    heartbeatFrequencySeconds: Number(row.settings_heartbeat_frequency_seconds),
    staleTimeoutSeconds: Number(row.settings_stale_timeout_seconds),
    upgradeWindowMinutes: Number(row.settings_upgrade_window_minutes),
    revision: Number(row.settings_revision),
    changedAtMs: row.settings_changed_at_ms === null ? null : Number(row.settings_changed_at_ms),
    previousStaleTimeoutSeconds:
      row.settings_previous_stale_timeout_seconds === null
        ? null
        : Number(row.settings_previous_stale_timeout_seconds),
  };
}
