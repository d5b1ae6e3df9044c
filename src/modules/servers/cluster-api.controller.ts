import { Controller, Get, Header, Query } from '@nestjs/common';
import type { ClusterReportSelection } from './cluster-report';
import { apiSelection, selectServers } from './server-selection';
import { ServersService } from './servers.service';

@Controller('api/cluster')
export class ClusterApiController {
  constructor(private readonly servers: ServersService) {}

  /**
   * Every server by name, or those the query asks for (`status`, `name`, `offset`, `limit`). Express adds a
   * weak ETag; `no-cache` makes clients ask again, and an unchanged answer costs them a 304.
   */
  @Get()
  @Header('Cache-Control', 'private, no-cache')
  async cluster(@Query() query: Record<string, unknown>): Promise<ClusterReportSelection> {
    const selection = apiSelection(query);
    const { report } = await this.servers.overview();
    const { matched, servers } = selectServers(report.servers, selection, 'name');
    return {
      ...report,
      servers,
      selection: {
        status: selection.statuses,
        name: selection.name,
        offset: selection.offset,
        limit: selection.limit,
        matched,
      },
    };
  }
}
