import { Injectable } from '@nestjs/common';
import type { ClusterEvent } from './event';
import { EventFilter, EventsRepository } from './events.repository';

export const EVENTS_PAGE_SIZE = 50;

export interface EventsPage {
  events: ClusterEvent[];
  page: number;
  pageCount: number;
  total: number;
  /** The database's time when the page was read, for relative times. */
  nowMs: number;
  filter: EventFilter;
}

/**
 * The cluster's history, read side. Events are written through insertEventSql in the same transaction as
 * what they record, by the repositories that make the change: the settings, the components and the webhooks
 * (an administrator's action), the outages (the first node that can write again), and the primary's fenced
 * health check (every transition it observes, primary changes included).
 */
@Injectable()
export class EventsService {
  constructor(private readonly events: EventsRepository) {}

  newest(limit: number): Promise<ClusterEvent[]> {
    return this.events.findNewest(limit);
  }

  /**
   * For the overview, in one statement: the `newest` events (newest first), and the history since `sinceMs`
   * that the components' timelines are drawn from (oldest first; see findForOverview).
   */
  async forOverview(
    newest: number,
    componentIds: string[],
    sinceMs: number,
  ): Promise<{ recent: ClusterEvent[]; history: ClusterEvent[] }> {
    const events = await this.events.findForOverview(newest, componentIds, sinceMs);
    return { recent: [...events].reverse().slice(0, newest), history: events };
  }

  async page(page: number, filter: EventFilter = {}): Promise<EventsPage> {
    const [total, nowMs] = await Promise.all([this.events.count(filter), this.events.databaseNowMs()]);
    const pageCount = Math.max(1, Math.ceil(total / EVENTS_PAGE_SIZE));
    const current = Math.min(page, pageCount);
    const events = await this.events.findNewest(EVENTS_PAGE_SIZE, (current - 1) * EVENTS_PAGE_SIZE, filter);
    return { events, page: current, pageCount, total, nowMs, filter };
  }
}
