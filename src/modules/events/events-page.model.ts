import { relativeTime } from '../../common/format';
import type { ClusterEvent, EventKind } from './event';
import type { EventsPage } from './events.service';

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
  'duplicate-detected': { label: 'Duplicate server name', level: 'error' },
  'duplicate-resolved': { label: 'Duplicate gone', level: 'ok' },
};

/** Display rows for the events list and the overview's recent events. */
export function eventRows(events: ClusterEvent[], nowMs: number) {
  return events.map((event) => ({
    ...event,
    relative: relativeTime(Date.parse(event.occurredAt), nowMs),
    label: LABELS[event.kind].label,
    level: LABELS[event.kind].level,
    component: event.componentType ? `${event.componentType === 'web' ? 'Web' : 'Service'}` : null,
  }));
}

export function eventsPageModel(result: EventsPage) {
  return {
    events: eventRows(result.events, result.nowMs),
    total: result.total,
    page: result.page,
    pageCount: result.pageCount,
    newerPage: result.page > 1 ? result.page - 1 : null,
    olderPage: result.page < result.pageCount ? result.page + 1 : null,
  };
}
