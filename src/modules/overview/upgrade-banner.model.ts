import { plural, relativeTime } from '../../common/format';
import type { UpgradeReport } from './cluster-report';
import { BADGES } from './server-row.model';

/**
 * "Upgrade in progress: 2 servers run 1.5.0, 1 server runs 1.6.0 (newest)", instead of a mark on every
 * server of the older release; once the window has passed, the same counts as a warning.
 */
export function upgradeBannerModel(upgrade: UpgradeReport | null, nowMs: number) {
  if (!upgrade) return null;
  const counts = upgrade.versions.map(
    ({ version, servers }) =>
      `${plural(servers, 'server')} ${servers === 1 ? 'runs' : 'run'} ${version}${version === upgrade.newestVersion ? ' (newest)' : ''}`,
  );
  const sinceMs = upgrade.since === null ? null : Date.parse(upgrade.since);
  const window = plural(upgrade.windowMinutes, 'minute');
  return {
    overdue: upgrade.overdue,
    title: upgrade.overdue ? 'Upgrade unfinished' : 'Upgrade in progress',
    badge: upgrade.overdue ? BADGES.warning : BADGES.ok,
    counts: `${counts.join(', ')}.`,
    since: sinceMs === null ? null : `${upgrade.newestVersion} first seen ${relativeTime(sinceMs, nowMs)}.`,
    note: upgrade.overdue
      ? `The upgrade window (${window}) has passed: servers on older releases are shown as warnings. Upgrade them, or set a longer window under Configure.`
      : `Servers on older releases are not marked out of sync until the upgrade window (${window}) has passed.`,
  };
}
