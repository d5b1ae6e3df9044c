import { Controller, Get, Redirect, Render } from '@nestjs/common';
import { clusterSummary, overviewPageModel } from './overview-page.model';
import { ServersService } from './servers.service';

@Controller()
export class ClusterOverviewController {
  constructor(private readonly servers: ServersService) {}

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
  @Render('servers/cluster-overview')
  async clusterOverview() {
    return { title: 'Cluster Overview', ...overviewPageModel(await this.servers.overview()) };
  }
}
