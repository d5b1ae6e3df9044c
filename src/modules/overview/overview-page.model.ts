import { describeDatabasePath } from '../cluster/database-path-check';
import { drainedPrimaryLease } from '../cluster/drained-primary';
import { describeDuration, plural } from '../../common/format';
import type { Status } from '../cluster/component-rules';
import type { ClusterOverview, ServerReport } from './cluster-report';
import type { ClusterEvent } from '../events/event';
import { PageRequest, PageStatusFilter, selectServers, SERVERS_PER_PAGE } from './server-selection';
import { timelineModel } from './timeline.model';
import { upgradeBannerModel } from './upgrade-banner.model';
import { Badge, BADGES, clockModel, componentModel } from './server-row.model';

/** Below this many servers the filter form is left out: the whole cluster fits on the screen. */
const FILTER_FROM_SERVERS = 10;

const STATUS_FILTER_LABELS: Record<PageStatusFilter, string> = {
  all: 'All',
  problem: 'Errors and warnings',
  error: 'Errors',
  warning: 'Warnings',
  ok: 'OK',
};

/** Display-ready values for the overview's templates: templates only show what is prepared here. */
export function clusterSummary(servers: ServerReport[]): { text: string; badge: Badge } {
  const warnings = servers.filter((server) => server.status === 'warning').length;
  const errors = servers.filter((server) => server.status === 'error').length;
  const parts = [plural(servers.length, 'server')];
  if (errors > 0) parts.push(plural(errors, 'error'));
  if (warnings > 0) parts.push(plural(warnings, 'warning'));
  if (errors === 0 && warnings === 0 && servers.length > 0) parts.push('all healthy');
  const level: Status = errors > 0 ? 'error' : warnings > 0 ? 'warning' : 'ok';
  return { text: parts.join(', '), badge: BADGES[level] };
}

export function overviewPageModel(
  overview: ClusterOverview,
  extras: { warnings: string[]; recentEvents: unknown[]; page: PageListing; history: ClusterEvent[] },
) {
  const { report, nowMs } = overview;
  const configuration = report.configuration;
  const { listing, servers } = extras.page;
  return {
    checkedBy: report.checkedBy,
    upgrade: upgradeBannerModel(report.upgrade, nowMs),
    servingNodeLooksOdd: overview.servingNodeLooksOdd,
    summary: clusterSummary(report.servers),
    legend: { ok: BADGES.ok, warning: BADGES.warning, error: BADGES.error },
    configuration: {
      serverCount: configuration.serverCount,
      loadBalancing: configuration.loadBalancing ? 'Enabled' : 'Disabled',
      automaticFailover: configuration.automaticFailover ? 'Enabled' : 'Disabled',
      heartbeatFrequency: describeDuration(configuration.heartbeatFrequencySeconds),
      /** How often the page refreshes itself (public/js/live.js clamps it to 2–30 s). */
      refreshSeconds: configuration.heartbeatFrequencySeconds,
      staleTimeout: describeDuration(configuration.staleTimeoutSeconds),
      automaticFailoverOn: configuration.automaticFailover,
      primaryServer: configuration.primaryServer,
      primaryProblem: primaryProblem(report),
      primaryEpoch: overview.lease.epoch,
      backupServers: namesInShort(configuration.backupServers),
      warnings: extras.warnings,
    },
    recentEvents: extras.recentEvents,
    listing,
    servers: servers.map((server) => ({
      name: server.name,
      os: server.os,
      ipAddress: server.ipAddress,
      badge: BADGES[server.status],
      clock: clockModel(server.clockSkewMs),
      database: server.database
        ? {
            text: describeDatabasePath(server.database),
            problem: server.database.problem,
            badge: server.database.problem ? BADGES.warning : BADGES.ok,
          }
        : null,
      components: server.components.map((component) => ({
        ...componentModel(component, overview.newestVersion, nowMs, {
          automaticFailover: configuration.automaticFailover,
          hasBackup: configuration.backupServers.length > 0,
          nowMs,
        }),
        timeline: timelineModel(component, extras.history, nowMs),
      })),
    })),
  };
}

/**
 * The servers of the requested page, errors and warnings first, and what the page says about the rest:
 * "Showing 51–100 of 1,000 servers", the pager's links (keeping the filter), the filter form's values. A page
 * number past the end shows the last page.
 */
export function pageListing(all: ServerReport[], shown: PageRequest) {
  const { selection } = shown;
  const perPage = selection.limit ?? SERVERS_PER_PAGE;
  const matched = selectServers(all, { ...selection, offset: 0, limit: 0 }, 'name').matched;
  const pages = Math.max(1, Math.ceil(matched / perPage));
  const page = Math.min(shown.page, pages);
  const { servers } = selectServers(all, { ...selection, offset: (page - 1) * perPage }, 'problems-first');
  const filtered = selection.statuses !== null || selection.name !== null;
  const href = (target: number) => {
    const query = new URLSearchParams();
    if (shown.status !== 'all') query.set('status', shown.status);
    if (selection.name !== null) query.set('name', selection.name);
    if (target > 1) query.set('page', String(target));
    const text = query.toString();
    return `/administration/cluster${text ? `?${text}` : ''}`;
  };
  const from = (page - 1) * perPage + 1;
  const to = from + servers.length - 1;
  const count = (n: number) => n.toLocaleString('en');
  const text =
    matched === 0
      ? null
      : filtered
        ? `${plural(matched, 'server')} match${matched === 1 ? 'es' : ''}${pages > 1 ? `; showing ${count(from)}–${count(to)}` : ''}.`
        : pages > 1
          ? `Showing ${count(from)}–${count(to)} of ${count(matched)} servers, errors and warnings first.`
          : null;
  return {
    servers,
    listing: {
      text,
      empty:
        all.length === 0
          ? 'No server has registered yet.'
          : matched === 0
            ? 'No server matches this filter.'
            : null,
      filterForm: filtered || all.length >= FILTER_FROM_SERVERS,
      filtered,
      name: selection.name ?? '',
      statusOptions: Object.entries(STATUS_FILTER_LABELS).map(([value, label]) => ({
        value,
        label,
        selected: value === shown.status,
      })),
      pager:
        pages > 1
          ? {
              page,
              pages,
              previous: page > 1 ? href(page - 1) : null,
              next: page < pages ? href(page + 1) : null,
            }
          : null,
    },
  };
}

/** The servers one request of the page shows, with what the page says about the rest. */
export type PageListing = ReturnType<typeof pageListing>;

/** "a, b, c": at most BACKUPS_NAMED names, then "and 290 more" (the API lists them all). */
const BACKUPS_NAMED = 10;
function namesInShort(names: string[]): string {
  if (names.length <= BACKUPS_NAMED) return names.join(', ');
  return `${names.slice(0, BACKUPS_NAMED).join(', ')} and ${(names.length - BACKUPS_NAMED).toLocaleString('en')} more`;
}

/** Said beside the primary server when it is not doing its job. */
function primaryProblem(report: ClusterOverview['report']): string | null {
  const primary = report.servers
    .flatMap((server) => server.components)
    .find((component) => component.role === 'primary');
  if (!primary) return null;
  if (primary.checks.heartbeat === 'ok') {
    if (!primary.drained) return null;
    const { automaticFailover, backupServers } = report.configuration;
    return {
      'hands-over': 'drained: a backup takes over within a heartbeat',
      'keeps-failover-disabled': 'drained, but keeps the lease: automatic failover is disabled',
      'keeps-no-backup': 'drained, but keeps the lease: no live eligible backup to hand over to',
    }[drainedPrimaryLease(automaticFailover, backupServers.length > 0)];
  }
  if (!report.configuration.automaticFailover)
    return 'stale, and automatic failover is disabled: nobody takes over';
  return report.configuration.backupServers.length > 0
    ? 'stale: a backup takes over when its lease expires'
    : 'stale, with no live backup to take over';
}
