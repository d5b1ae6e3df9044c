import { Controller, Get, Header, Query, Redirect, Render } from '@nestjs/common';
import { eventRows } from '../events/events-page.model';
import { EventsService } from '../events/events.service';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import { clusterSummary, overviewPageModel, SERVERS_PER_PAGE, serversOnPage } from './overview-page.model';
import { TIMELINE_MS } from './timeline.model';
import { pageSelection } from './server-selection';
import { OverviewService } from './overview.service';

@Controller()
export class ClusterOverviewController {
  constructor(
    private readonly overview: OverviewService,
    private readonly settings: ClusterSettingsService,
    private readonly events: EventsService,
  ) {}

  @Get()
  @Redirect('/administration', 302)
  home(): void {}

  @Get('administration')
  @Render('administration/index')
  async administration() {
    const { report } = await this.overview.overview();
    return {
      title: 'Administration',
      summary: clusterSummary(report.servers),
      refreshSeconds: report.configuration.heartbeatFrequencySeconds,
    };
  }

  /**
   * `?status=problem&name=web&page=2`: see pageSelection. Express adds a weak ETag; `no-cache` makes the
   * browser ask again each time, and an unchanged page costs it a 304.
   */
  @Get('administration/cluster')
  @Render('administration/cluster/index')
  @Header('Cache-Control', 'private, no-cache')
  async clusterOverview(@Query() query: Record<string, unknown>) {
    const shown = pageSelection(query, SERVERS_PER_PAGE);
    const overview = await this.overview.overview();
    // The shown components' last 24 hours and the newest events, in one statement.
    const ids = serversOnPage(overview.report.servers, shown).flatMap((server) =>
      server.components.map((component) => component.id),
    );
    const events = await this.events.forOverview(5, ids, overview.nowMs - TIMELINE_MS);
    const warnings = this.settings.warnings(overview.report.configuration);
    return {
      title: 'Cluster Overview',
      ...overviewPageModel(overview, {
        warnings,
        recentEvents: eventRows(events.recent, overview.nowMs),
        shown,
        history: events.history,
      }),
    };
  }
}
