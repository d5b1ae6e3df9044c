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
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

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
