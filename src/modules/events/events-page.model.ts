import type { ClusterEvent, EventKind } from './event';

const LABELS: Record<EventKind, { label: string; level: 'ok' | 'warning' | 'error' | 'info' }> = {
  'component-registered': { label: 'Registered', level: 'info' },
  'component-stale': { label: 'Became stale', level: 'warning' },
  'component-recovered': { label: 'Recovered', level: 'ok' },
  'verification-failed': { label: 'Verification failed', level: 'error' },
  'verification-recovered': { label: 'Verification recovered', level: 'ok' },
  'primary-changed': { label: 'Primary changed', level: 'info' },
  'settings-changed': { label: 'Settings changed', level: 'info' },
  'component-removed': { label: 'Removed', level: 'info' },
  'component-added': { label: 'Added by hand', level: 'info' },
};

/** Display rows for the events list and the overview's recent events. */
export function eventRows(events: ClusterEvent[]) {
  return events.map((event) => ({
    ...event,
    label: LABELS[event.kind].label,
    level: LABELS[event.kind].level,
    component: event.componentType ? `${event.componentType === 'web' ? 'Web' : 'Service'}` : null,
  }));
}

export function eventsPageModel(result: {
  events: ClusterEvent[];
  page: number;
  pageCount: number;
  total: number;
}) {
  return {
    events: eventRows(result.events),
    total: result.total,
    page: result.page,
    pageCount: result.pageCount,
    newerPage: result.page > 1 ? result.page - 1 : null,
    olderPage: result.page < result.pageCount ? result.page + 1 : null,
  };
}
