import { compareVersions } from '../../common/versions';

/** The releases the live servers run, when they are not all the same one: a rolling upgrade. */
export interface UpgradeState {
  newestVersion: string;
  /** When the newest release was first seen running in the cluster (database clock); null: not recorded. */
  sinceMs: number | null;
  /** The upgrade window has passed: servers still on an older release are warnings again. */
  overdue: boolean;
  windowMinutes: number;
  /** Live servers by the release they run, newest first. */
  versions: { version: string; servers: number }[];
}

export interface RunningRelease {
  server: string;
  version: string;
}

/**
 * An upgrade is in progress while the live servers run more than one release. It starts when the newest
 * release was first seen (release_sightings, written by every node of 1.6.0 or later as it joins) and is
 * overdue once `windowMinutes` have passed since; a newest release with no sighting (an older node of a
 * release before 1.6.0 is the newest: a downgrade) is overdue at once. A server counts with the newest
 * release among its live components.
 */
export function upgradeState(
  running: RunningRelease[],
  sightings: Map<string, number>,
  windowMinutes: number,
  nowMs: number,
): UpgradeState | null {
  const byServer = new Map<string, string>();
  for (const { server, version } of running) {
    const seen = byServer.get(server);
    if (seen === undefined || compareVersions(version, seen) > 0) byServer.set(server, version);
  }
  const counts = new Map<string, number>();
  for (const version of byServer.values()) counts.set(version, (counts.get(version) ?? 0) + 1);
  if (counts.size < 2) return null;
  const versions = [...counts]
    .map(([version, servers]) => ({ version, servers }))
    .sort((a, b) => compareVersions(b.version, a.version));
  const newestVersion = versions[0].version;
  const sinceMs = sightings.get(newestVersion) ?? null;
  return {
    newestVersion,
    sinceMs,
    overdue: sinceMs === null || nowMs - sinceMs >= windowMinutes * 60_000,
    windowMinutes,
    versions,
  };
}
