import type { StaleRule } from '../cluster/component-rules';
/** The cluster-wide settings and the rules they obey (product.md). */
export interface SettingsValues {
  loadBalancing: boolean;
  automaticFailover: boolean;
  heartbeatFrequencySeconds: number;
  staleTimeoutSeconds: number;
  /**
   * How long servers may run a release older than the newest before that is a warning: while it lasts the
   * overview says "Upgrade in progress" instead of marking them out of sync. 0: a warning at once.
   */
  upgradeWindowMinutes: number;
}

/** The cluster's settings as stored: the values, the rule for heartbeats written before a change, the revision. */
export interface ClusterSettings extends SettingsValues, StaleRule {
  /** grows with every change; a save names the revision it was based on */
  revision: number;
}

export type SettingsField = keyof SettingsValues;

/** A crashed primary is replaced in about a minute, with six heartbeats of margin against a pause. */
export const DEFAULT_HEARTBEAT_SECONDS = 10;
export const DEFAULT_STALE_TIMEOUT_SECONDS = 60;
/** Below these the settings are accepted (tests and demos use 1 s / 3 s) with a warning. */
export const RECOMMENDED_MIN_HEARTBEAT_SECONDS = 5;
export const RECOMMENDED_MIN_STALE_TIMEOUT_SECONDS = 15;
export const HEARTBEAT_RANGE = { min: 1, max: 3600 };
export const STALE_TIMEOUT_RANGE = { min: 3, max: 86_400 };
export const DEFAULT_UPGRADE_WINDOW_MINUTES = 60;
export const UPGRADE_WINDOW_RANGE = { min: 0, max: 10_080 };
/** A component is not declared stale for missing fewer than three heartbeats. */
export const MIN_HEARTBEATS_PER_TIMEOUT = 3;

/** field → message, for each rule the values break; empty when they are acceptable. */
export function settingsErrors(
  values: Omit<SettingsValues, 'upgradeWindowMinutes'> & { upgradeWindowMinutes?: number },
): Partial<Record<SettingsField, string>> {
  const errors: Partial<Record<SettingsField, string>> = {};
  const { heartbeatFrequencySeconds: heartbeat, staleTimeoutSeconds: stale } = values;
  if (!Number.isInteger(heartbeat) || heartbeat < HEARTBEAT_RANGE.min || heartbeat > HEARTBEAT_RANGE.max) {
    errors.heartbeatFrequencySeconds = `must be a whole number of seconds from ${HEARTBEAT_RANGE.min} to ${HEARTBEAT_RANGE.max}`;
  }
  if (!Number.isInteger(stale) || stale < STALE_TIMEOUT_RANGE.min || stale > STALE_TIMEOUT_RANGE.max) {
    errors.staleTimeoutSeconds = `must be a whole number of seconds from ${STALE_TIMEOUT_RANGE.min} to ${STALE_TIMEOUT_RANGE.max}`;
  } else if (!errors.heartbeatFrequencySeconds && stale < MIN_HEARTBEATS_PER_TIMEOUT * heartbeat) {
    errors.staleTimeoutSeconds = `must be at least three heartbeats (${MIN_HEARTBEATS_PER_TIMEOUT * heartbeat} seconds with a ${heartbeat}-second heartbeat)`;
  }
  const window = values.upgradeWindowMinutes;
  if (
    window !== undefined &&
    (!Number.isInteger(window) || window < UPGRADE_WINDOW_RANGE.min || window > UPGRADE_WINDOW_RANGE.max)
  ) {
    errors.upgradeWindowMinutes = `must be a whole number of minutes from ${UPGRADE_WINDOW_RANGE.min} to ${UPGRADE_WINDOW_RANGE.max}`;
  }
  return errors;
}

/** Allowed, but worth saying: very short values make the cluster chattier and quicker to cry wolf. */
export function settingsWarnings(
  values: Pick<SettingsValues, 'heartbeatFrequencySeconds' | 'staleTimeoutSeconds'>,
): string[] {
  const warnings: string[] = [];
  if (values.heartbeatFrequencySeconds < RECOMMENDED_MIN_HEARTBEAT_SECONDS) {
    warnings.push(
      `A heartbeat every ${values.heartbeatFrequencySeconds} s is below ${RECOMMENDED_MIN_HEARTBEAT_SECONDS} s and not recommended outside tests and demos: every node writes to the database that often.`,
    );
  }
  if (values.staleTimeoutSeconds < RECOMMENDED_MIN_STALE_TIMEOUT_SECONDS) {
    warnings.push(
      `A stale timeout of ${values.staleTimeoutSeconds} s is below ${RECOMMENDED_MIN_STALE_TIMEOUT_SECONDS} s and not recommended: a short pause of a server (a garbage collection, a backup, a slow disk) can cause a failover.`,
    );
  }
  return warnings;
}

const LABELS: Record<SettingsField, string> = {
  loadBalancing: 'load balancing',
  automaticFailover: 'automatic failover',
  heartbeatFrequencySeconds: 'heartbeat frequency',
  staleTimeoutSeconds: 'stale timeout',
  upgradeWindowMinutes: 'upgrade window',
};

/** "heartbeat frequency 30 s → 5 s, automatic failover on → off" */
export function describeChanges(before: SettingsValues, after: SettingsValues): string[] {
  const show = (field: SettingsField, value: boolean | number) =>
    typeof value === 'boolean'
      ? value
        ? 'on'
        : 'off'
      : field === 'upgradeWindowMinutes'
        ? `${value} min`
        : `${value} s`;
  return (Object.keys(LABELS) as SettingsField[])
    .filter((field) => before[field] !== after[field])
    .map((field) => `${LABELS[field]} ${show(field, before[field])} → ${show(field, after[field])}`);
}
