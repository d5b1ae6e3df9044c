import { describeDatabasePath } from '../cluster/database-path-check';
import { describeDuration, plural, relativeTime } from '../../common/format';
import { CLOCK_SKEW_WARNING_MS, KeyCheck, Status } from '../verification/component-checks';
import type { ClusterOverview, ComponentReport, ServerReport } from './cluster-report';
import type { ClusterEvent } from '../events/event';
import { PageStatusFilter, selectServers, ServerSelection } from './server-selection';
import { timelineModel } from './timeline.model';

/** Servers on one page of the overview; the rest are a click away, and a page stays small at any size. */
export const SERVERS_PER_PAGE = 50;
/** Below this many servers the filter form is left out: the whole cluster fits on the screen. */
const FILTER_FROM_SERVERS = 10;

const STATUS_FILTER_LABELS: Record<PageStatusFilter, string> = {
  all: 'All',
  problem: 'Errors and warnings',
  error: 'Errors',
  warning: 'Warnings',
  ok: 'OK',
};

/** What the page was asked to show (see pageSelection). */
export interface PageRequest {
  selection: ServerSelection;
  status: PageStatusFilter;
  page: number;
}

/** Display-ready values for the overview's templates: templates only show what is prepared here. */
export interface Badge {
  level: Status;
  symbol: string;
  label: string;
}

const BADGES: Record<Status, Badge> = {
  ok: { level: 'ok', symbol: '✔', label: 'OK' },
  warning: { level: 'warning', symbol: '⚠', label: 'Warning' },
  error: { level: 'error', symbol: '✖', label: 'Error' },
};

const ROLES = {
  primary: { label: 'Primary', hint: 'runs the cluster-wide scheduled work' },
  backup: { label: 'Backup', hint: 'takes over if the primary goes stale' },
  inactive: { label: 'Inactive', hint: '' },
  drained: { label: 'Drained', hint: 'never becomes primary until an administrator resumes it' },
  ineligible: {
    label: 'Ineligible',
    hint: "never becomes primary: its ENCRYPTION_KEY does not open the cluster's key check",
    reason: 'encryption key differs',
    fix: "Give this node the cluster's ENCRYPTION_KEY (the one the other nodes use) and restart it.",
  },
};

/** What the role words depend on beyond the component itself. */
interface RoleContext {
  automaticFailover: boolean;
  hasBackup: boolean;
  nowMs: number;
}

/** "by admin 3 minutes ago" */
function drainedText(drained: NonNullable<ComponentReport['drained']>, nowMs: number): string {
  return `by ${drained.by ?? 'an administrator'} ${relativeTime(Date.parse(drained.at), nowMs)}`;
}

/** The role, and for an inactive, drained or ineligible component the reason, in words (not only on hover). */
function roleModel(component: ComponentReport, context: RoleContext) {
  const { automaticFailover, hasBackup, nowMs } = context;
  const role = ROLES[component.role!];
  if (component.drained && component.role === 'primary') {
    const why = !automaticFailover
      ? 'keeps the lease: automatic failover is disabled'
      : hasBackup
        ? 'hands the lease to a backup within a heartbeat'
        : 'keeps the lease: no live eligible backup to hand over to';
    const reason = `drained ${drainedText(component.drained, nowMs)}; ${why}`;
    return { ...role, hint: reason, reason };
  }
  if (component.drained && component.role === 'drained') {
    const reason = drainedText(component.drained, nowMs);
    return { ...role, reason };
  }
  if (component.role !== 'inactive') return role;
  const reason = !automaticFailover
    ? 'automatic failover is disabled'
    : component.addedManually
      ? 'added by hand'
      : 'stale';
  return { ...role, hint: reason, reason };
}

/** "3 servers, 1 warning" — the Administration page's one-line summary. */
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

/** The servers the page shows for this request (to read their timelines' events before rendering). */
export function serversOnPage(all: ServerReport[], shown: PageRequest): ServerReport[] {
  return listingModel(all, shown).servers;
}

export function overviewPageModel(
  overview: ClusterOverview,
  extras: { warnings: string[]; recentEvents: unknown[]; shown: PageRequest; history: ClusterEvent[] },
) {
  const { report, nowMs } = overview;
  const configuration = report.configuration;
  const { listing, servers } = listingModel(report.servers, extras.shown);
  return {
    checkedBy: report.checkedBy,
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
function listingModel(all: ServerReport[], shown: PageRequest) {
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

function componentModel(
  component: ComponentReport,
  newestVersion: string | null,
  nowMs: number,
  roleContext: RoleContext,
) {
  const { checks } = component;
  const lastMs = component.lastHeartbeatAt === null ? null : Date.parse(component.lastHeartbeatAt);
  return {
    id: component.id,
    typeLabel: component.type === 'web' ? 'Web' : 'Service',
    addedManually: component.addedManually,
    badge: BADGES[component.status],
    role: component.role === null ? null : roleModel(component, roleContext),
    /** Service components can be drained (or resumed when drained); web components have no role to drain. */
    drainable: component.type === 'service' && component.drained === null,
    resumable: component.type === 'service' && component.drained !== null,
    heartbeat: {
      stale: checks.heartbeat === 'stale',
      relative: lastMs === null ? 'never' : relativeTime(lastMs, nowMs),
      exact: component.lastHeartbeatAt,
      readable: lastMs === null ? null : readableTime(lastMs),
      label: checks.heartbeat === 'stale' ? 'Stale' : 'Live',
      badge: BADGES[checks.heartbeat === 'stale' ? 'warning' : 'ok'],
    },
    version: {
      // "✔ In sync 1.2.0", or "⚠ 1.1.0, behind 1.2.0": the component's own version is never mistaken for the newest.
      text: checks.version === 'ok' ? component.version : null,
      inSync: checks.version === 'ok',
      label: checks.version === 'ok' ? 'In sync' : `${component.version}, behind ${newestVersion}`,
      badge: BADGES[checks.version === 'ok' ? 'ok' : 'warning'],
    },
    encryptionKey: keyModel(checks.encryptionKey),
    machineKey: checks.machineKey === null ? null : keyModel(checks.machineKey),
    duplicate: component.duplicateProcess && {
      badge: BADGES.error,
      text: `Another process (${component.duplicateProcess.address ?? 'address unknown'}) also runs as this server; its heartbeats are ignored.`,
      fix: 'Give each node its own CLUSTER_SERVER_NAME, or stop the second process.',
    },
  };
}

/** "2026-11-27 10:19:54 UTC": the exact time, readable (the page does not know the reader's time zone). */
function readableTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "+600.0 s ahead of the database", with a warning past CLOCK_SKEW_WARNING_MS. */
function clockModel(skewMs: number | null) {
  if (skewMs === null) return null;
  const seconds = Math.abs(skewMs) / 1000;
  const text =
    seconds < 0.05
      ? 'in step with the database'
      : `${seconds.toFixed(1)} s ${skewMs > 0 ? 'ahead of' : 'behind'} the database`;
  const warn = Math.abs(skewMs) > CLOCK_SKEW_WARNING_MS;
  return {
    text,
    warn,
    badge: warn ? BADGES.warning : BADGES.ok,
    hint: warn
      ? 'Failover is not affected (it uses the database clock), but certificates, logs and schedules on this server will be off: synchronise its clock (NTP).'
      : null,
  };
}

function keyModel(check: KeyCheck) {
  return check === 'ok'
    ? { label: 'In sync', badge: BADGES.ok }
    : { label: 'Decryption failure', badge: BADGES.error };
}

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
    if (!report.configuration.automaticFailover)
      return 'drained, but keeps the lease: automatic failover is disabled';
    return report.configuration.backupServers.length > 0
      ? 'drained: a backup takes over within a heartbeat'
      : 'drained, but keeps the lease: no live eligible backup to hand over to';
  }
  if (!report.configuration.automaticFailover)
    return 'stale, and automatic failover is disabled: nobody takes over';
  return report.configuration.backupServers.length > 0
    ? 'stale: a backup takes over when its lease expires'
    : 'stale, with no live backup to take over';
}
