import { compareVersions } from '../../common/versions';

export const EVENT_KINDS = [
  'component-registered',
  'component-stale',
  'component-recovered',
  'verification-failed',
  'verification-recovered',
  'primary-changed',
  'settings-changed',
  'component-removed',
  'component-added',
  'duplicate-detected',
  'duplicate-resolved',
  'component-drained',
  'component-resumed',
  'webhook-added',
  'webhook-removed',
  'database-outage',
  'schema-contracted',
  'user-added',
  'user-role-changed',
  'user-removed',
  'api-key-created',
  'api-key-revoked',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Kinds that releases before the one named cannot show (1.5.0's pages fail on a kind they do not know):
 * such an event is written only while no node of an older release is live (docs/upgrades.md).
 */
export const EVENT_KIND_SINCE: Partial<Record<EventKind, string>> = {
  'database-outage': '1.6.0',
  'schema-contracted': '1.6.0',
  // Never written while an older release is live anyway: users change only when none is (UsersRepository).
  'user-added': '1.6.0',
  'user-role-changed': '1.6.0',
  'user-removed': '1.6.0',
  'api-key-created': '1.6.0',
  'api-key-revoked': '1.6.0',
};

/** Whether every release in `live` can show an event of this kind. */
export function kindReadableBy(kind: EventKind, live: string[]): boolean {
  const since = EVENT_KIND_SINCE[kind];
  return since === undefined || live.every((version) => compareVersions(version, since) >= 0);
}

export interface NewEvent {
  kind: EventKind;
  message: string;
  serverName?: string | null;
  componentId?: string | null;
  componentType?: string | null;
  actor?: string | null;
}

/** An event as pages and the API show it. */
export interface ClusterEvent {
  id: number;
  occurredAt: string;
  kind: EventKind;
  serverName: string | null;
  componentId: string | null;
  componentType: string | null;
  actor: string | null;
  /** The lease epoch of the primary that wrote it; null when a web request wrote it. */
  epoch: number | null;
  message: string;
}
