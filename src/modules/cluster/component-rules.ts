import { compareVersions } from '../../common/versions';
import type { ComponentType } from '../environment/app-config';

/** A server's clock further than this from the database's is worth a warning. */
export const CLOCK_SKEW_WARNING_MS = 5_000;

/** A web component is stale after a day without a request, as in ProGet. */
export const WEB_STALE_AFTER_MS = 24 * 60 * 60 * 1000;

export type HeartbeatCheck = 'ok' | 'stale';
/** upgrading: older than the newest release, within the upgrade window (see upgrade-rules.ts). */
export type VersionCheck = 'ok' | 'upgrading' | 'out-of-sync';
export type KeyCheck = 'ok' | 'decryption-failure';
export type Status = 'ok' | 'warning' | 'error';

export interface ComponentChecks {
  heartbeat: HeartbeatCheck;
  version: VersionCheck;
  encryptionKey: KeyCheck;
  /** null for service components: only web components use the machine key. */
  machineKey: KeyCheck | null;
}

export interface HeartbeatFacts {
  type: ComponentType;
  lastHeartbeatAtMs: number | null;
}

/** The service stale timeout, and the one that applied before the last change while nodes switch over. */
export interface StaleRule {
  staleTimeoutSeconds: number;
  /** When the last settings change was saved, by the database's clock; null when never. */
  changedAtMs: number | null;
  /** The stale timeout that applied before that change (for a quick succession, the longest of them). */
  previousStaleTimeoutSeconds: number | null;
  /** When the nodes could use the database again after the last outage, by its clock; null: none known. */
  databaseBackAtMs?: number | null;
  /** When that outage began (its first failure seen by any node), by the database's clock. */
  databaseDownAtMs?: number | null;
}

/** Stale: no heartbeat within the window (web: 24 h; service: the stale timeout), or none ever. */
export function heartbeatCheck(component: HeartbeatFacts, nowMs: number, rule: StaleRule): HeartbeatCheck {
  if (component.lastHeartbeatAtMs === null) return 'stale';
  if (component.type === 'web')
    return nowMs - component.lastHeartbeatAtMs > WEB_STALE_AFTER_MS ? 'stale' : 'ok';
  return nowMs > liveUntilMs(component.lastHeartbeatAtMs, rule) ? 'stale' : 'ok';
}

/**
 * Until when a process that last reported at `lastMs` counts as live. Normally lastMs + the stale timeout.
 * A report written before the last settings change was written under the old period: a live node may not
 * have reported again yet (it follows a change within a second and then reports at once), so it is judged
 * by the old timeout, but never beyond the new timeout counted from the change, and never more strictly
 * than the new timeout from its report. So a shorter setting raises no false alarm, a node that was already
 * stale stays stale (no false "recovered"), and a node that dies after the change is seen as soon as the
 * new timeout allows. A report written before the database came back from an outage counts as if written
 * when it came back, when it was still live as the outage began: nobody could report meanwhile, and a node
 * that really stopped is still seen once the timeout has passed since then; one that was stale already
 * stays stale (no false "is live again" for a node that had stopped before the outage).
 */
export function liveUntilMs(lastMs: number, rule: StaleRule): number {
  const timeoutMs = rule.staleTimeoutSeconds * 1000;
  let untilMs = lastMs + timeoutMs;
  if (rule.changedAtMs !== null && lastMs < rule.changedAtMs) {
    const previousMs = (rule.previousStaleTimeoutSeconds ?? rule.staleTimeoutSeconds) * 1000;
    untilMs = Math.max(untilMs, Math.min(lastMs + previousMs, rule.changedAtMs + timeoutMs));
  }
  const backAtMs = rule.databaseBackAtMs ?? null;
  // The outage began at its first failed heartbeat, up to a period after the database went away; a node
  // that reported every period was live for two more (the stale timeout is at least three periods).
  const liveAsItBegan = untilMs >= (rule.databaseDownAtMs ?? Number.NEGATIVE_INFINITY);
  if (backAtMs !== null && lastMs < backAtMs && liveAsItBegan)
    untilMs = Math.max(untilMs, backAtMs + timeoutMs);
  return untilMs;
}

/**
 * The version every component should run: the newest among live components (or among all, when none is
 * live). Versions that are not semantic versions compare as text, so the page still says something useful.
 */
export { compareVersions };

export function newestVersion(versions: string[]): string | null {
  let newest: string | null = null;
  for (const version of versions) {
    if (newest === null || compareVersions(version, newest) > 0) newest = version;
  }
  return newest;
}

/** Behind the newest release: "upgrading" while an upgrade to it is within its window, else out of sync. */
export function versionCheck(version: string, expected: string | null, upgrading = false): VersionCheck {
  if (expected === null || compareVersions(version, expected) >= 0) return 'ok';
  return upgrading ? 'upgrading' : 'out-of-sync';
}

/**
 * error: a key cannot be verified; warning: stale, or behind the newest version outside an upgrade's
 * window; ok otherwise (an older release during an upgrade is not a problem yet).
 * (A stale primary with no live backup is an error too: ClusterService adds that rule, as it knows the roles.)
 */
export function componentStatus(checks: ComponentChecks): Status {
  if (checks.encryptionKey === 'decryption-failure' || checks.machineKey === 'decryption-failure')
    return 'error';
  if (checks.heartbeat === 'stale' || checks.version === 'out-of-sync') return 'warning';
  return 'ok';
}

export function worstStatus(statuses: Status[]): Status {
  if (statuses.includes('error')) return 'error';
  if (statuses.includes('warning')) return 'warning';
  return 'ok';
}

/**
 * When most components on other servers fail to verify against this node's keys, the likelier story is
 * that this node is the one configured differently. Needs at least two such components to say so.
 */
export function servingNodeLooksOdd(otherComponents: ComponentChecks[]): boolean {
  const verified = otherComponents.length;
  if (verified < 2) return false;
  const failed = otherComponents.filter(
    (checks) => checks.encryptionKey === 'decryption-failure' || checks.machineKey === 'decryption-failure',
  ).length;
  return failed * 2 > verified;
}
