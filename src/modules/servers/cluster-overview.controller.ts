import { Controller, Get, Redirect, Render } from '@nestjs/common';
import { eventRows } from '../events/events-page.model';
import { EventsService } from '../events/events.service';
import { ClusterSettingsService } from '../configuration/cluster-settings.service';
import { clusterSummary, overviewPageModel } from './overview-page.model';
import { ServersService } from './servers.service';

@Controller()
export class ClusterOverviewController {
  constructor(
    private readonly servers: ServersService,
    private readonly settings: ClusterSettingsService,
    private readonly events: EventsService,
  ) {}

  @Get()
  @Redirect('/administration', 302)
  home(): void {}

  @Get('administration')
  @Render('administration/index')
  async administration() {
    const { report } = await this.servers.overview();
    return { title: 'Administration', summary: clusterSummary(report.servers) };
  }

  @Get('administration/cluster')
  @Render('administration/cluster/index')
  async clusterOverview() {
    const [overview, recent] = await Promise.all([this.servers.overview(), this.events.newest(5)]);
    const warnings = this.settings.warnings(overview.report.configuration);
    return {
      title: 'Cluster Overview',
      ...overviewPageModel(overview, { warnings, recentEvents: eventRows(recent, overview.nowMs) }),
    };
  }
}
