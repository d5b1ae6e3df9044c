import { Controller, Get, Header, Query, Redirect, Render } from '@nestjs/common';
import { clusterSummary } from './overview-page.model';
import { OverviewPageService } from './overview-page.service';
import { PageRequest, PageSelectionPipe } from './server-selection';
import { OverviewService } from './overview.service';

@Controller()
export class ClusterOverviewController {
  constructor(
    private readonly overview: OverviewService,
    private readonly overviewPage: OverviewPageService,
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
  async clusterOverview(@Query(PageSelectionPipe) shown: PageRequest) {
    return { title: 'Cluster Overview', ...(await this.overviewPage.page(shown)) };
  }
}
