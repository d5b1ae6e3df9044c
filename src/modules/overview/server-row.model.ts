import { relativeTime } from '../../common/format';
import { CLOCK_SKEW_WARNING_MS, KeyCheck, Status } from '../cluster/component-rules';
import type { ComponentReport } from './cluster-report';
import { drainedPrimaryLease } from '../cluster/drained-primary';

/** Display-ready values for one server's row of the overview: its badges, clock and components. */
export interface Badge {
  level: Status;
  symbol: string;
  label: string;
}

export const BADGES: Record<Status, Badge> = {
  ok: { level: 'ok', symbol: '✔', label: 'OK' },
  warning: { level: 'warning', symbol: '⚠', label: 'Warning' },
  error: { level: 'error', symbol: '✖', label: 'Error' },
};

/** An older release during an upgrade's window: not a problem yet, but not "in sync" either. */
const UPGRADING_BADGE: Badge = { level: 'ok', symbol: '↻', label: 'Upgrading' };

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
export interface RoleContext {
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
    const why = {
      'hands-over': 'hands the lease to a backup within a heartbeat',
      'keeps-failover-disabled': 'keeps the lease: automatic failover is disabled',
      'keeps-no-backup': 'keeps the lease: no live eligible backup to hand over to',
    }[drainedPrimaryLease(automaticFailover, hasBackup)];
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
export function componentModel(
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
      // "✔ In sync 1.2.0", "↻ 1.1.0, upgrading to 1.2.0" during an upgrade's window, or "⚠ 1.1.0, behind
      // 1.2.0": the component's own version is never mistaken for the newest.
      text: checks.version === 'ok' ? component.version : null,
      inSync: checks.version === 'ok',
      label:
        checks.version === 'ok'
          ? 'In sync'
          : checks.version === 'upgrading'
            ? `${component.version}, upgrading to ${newestVersion}`
            : `${component.version}, behind ${newestVersion}`,
      badge:
        checks.version === 'upgrading' ? UPGRADING_BADGE : BADGES[checks.version === 'ok' ? 'ok' : 'warning'],
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
export function clockModel(skewMs: number | null) {
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
