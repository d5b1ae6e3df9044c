import { Injectable } from '@nestjs/common';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import { eventRows } from '../events/events-page.model';
import { EventsService } from '../events/events.service';
import { overviewPageModel, pageListing } from './overview-page.model';
import { OverviewService } from './overview.service';
import type { PageRequest } from './server-selection';
import { TIMELINE_MS } from './timeline.model';

/** The Cluster Overview page's model: the report, the settings' warnings and the events it shows. */
@Injectable()
export class OverviewPageService {
  constructor(
    private readonly overview: OverviewService,
    private readonly settings: ClusterSettingsService,
    private readonly events: EventsService,
  ) {}

  async page(shown: PageRequest) {
    const overview = await this.overview.overview();
    const page = pageListing(overview.report.servers, shown);
    // The shown components' last 24 hours and the newest events, in one statement.
    const ids = page.servers.flatMap((server) => server.components.map((component) => component.id));
    const events = await this.events.forOverview(5, ids, overview.nowMs - TIMELINE_MS);
    return overviewPageModel(overview, {
      warnings: this.settings.warnings(overview.report.configuration),
      recentEvents: eventRows(events.recent, overview.nowMs),
      page,
      history: events.history,
    });
  }
}
