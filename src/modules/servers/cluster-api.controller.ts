import { Controller, Get } from '@nestjs/common';
import type { ClusterReport } from './cluster-report';
import { ServersService } from './servers.service';

@Controller('api/cluster')
export class ClusterApiController {
  constructor(private readonly servers: ServersService) {}

  @Get()
  async cluster(): Promise<ClusterReport> {
    return (await this.servers.overview()).report;
  }
}
