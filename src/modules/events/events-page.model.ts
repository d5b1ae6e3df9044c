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
  'component-drained': { label: 'Drained', level: 'info' },
  'component-resumed': { label: 'Resumed', level: 'info' },
  'webhook-added': { label: 'Webhook added', level: 'info' },
  'webhook-removed': { label: 'Webhook removed', level: 'info' },
  'database-outage': { label: 'Database unavailable', level: 'warning' },
  'schema-contracted': { label: 'Schema contracted', level: 'info' },
  'user-added': { label: 'User added', level: 'info' },
  'user-role-changed': { label: 'Role changed', level: 'info' },
  'user-removed': { label: 'User removed', level: 'info' },
  'api-key-created': { label: 'API key made', level: 'info' },
  'api-key-revoked': { label: 'API key revoked', level: 'info' },
};

/** "Became stale": how pages name a kind of event. */
export function eventLabel(kind: EventKind): string {
  return (LABELS[kind] as (typeof LABELS)[EventKind] | undefined)?.label ?? kind;
}

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
  const { filter } = result;
  const href = (page: number) => {
    const query = new URLSearchParams();
    if (filter.server !== undefined) query.set('server', filter.server);
    if (filter.component !== undefined) query.set('component', filter.component);
    if (filter.kind !== undefined) query.set('kind', filter.kind);
    if (page > 1) query.set('page', String(page));
    const text = query.toString();
    return `/administration/cluster/events${text ? `?${text}` : ''}`;
  };
  const filtered = Object.values(filter).some((value) => value !== undefined);
  return {
    events: eventRows(result.events, result.nowMs),
    total: result.total,
    filtered,
    page: result.page,
    pageCount: result.pageCount,
    newerHref: result.page > 1 ? href(result.page - 1) : null,
    olderHref: result.page < result.pageCount ? href(result.page + 1) : null,
    filter: {
      server: filter.server ?? '',
      components: [
        { value: '', label: 'Any', selected: filter.component === undefined },
        { value: 'web', label: 'Web', selected: filter.component === 'web' },
        { value: 'service', label: 'Service', selected: filter.component === 'service' },
      ],
      kinds: [
        { value: '', label: 'Any', selected: filter.kind === undefined },
        ...(Object.keys(LABELS) as EventKind[]).map((kind) => ({
          value: kind,
          label: LABELS[kind].label,
          selected: filter.kind === kind,
        })),
      ],
    },
  };
}
