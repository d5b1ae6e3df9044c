import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiCommon } from '../../common/openapi';
import { CLUSTER_REPORT_SCHEMA } from './cluster-report.schema';
import type { ClusterReportSelection } from './cluster-report';
import { ApiSelectionPipe, selectServers, ServerSelection } from './server-selection';
import { OverviewService } from './overview.service';

@Controller('api/cluster')
@ApiTags('cluster')
@ApiCommon()
export class ClusterApiController {
  constructor(private readonly overview: OverviewService) {}

  /**
   * Every server by name, or those the query asks for (`status`, `name`, `offset`, `limit`). Express adds a
   * weak ETag; `no-cache` makes clients ask again, and an unchanged answer costs them a 304.
   */
  @Get()
  @Header('Cache-Control', 'private, no-cache')
  @ApiQuery({
    name: 'status',
    required: false,
    description: 'ok, warning, error, or several separated by commas',
  })
  @ApiQuery({ name: 'name', required: false, description: 'Part of the server name, any case' })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0 } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } })
  @ApiOkResponse({
    description: 'Every server by name, or the selection asked for (ETag; 304 when unchanged)',
    schema: CLUSTER_REPORT_SCHEMA,
  })
  async cluster(@Query(ApiSelectionPipe) selection: ServerSelection): Promise<ClusterReportSelection> {
    const { report } = await this.overview.overview();
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
