import { Body, Controller, Get, Put } from '@nestjs/common';
import { Actor } from '../auth/actor.decorator';
import { ClusterSettings, ClusterSettingsService } from './cluster-settings.service';
import { UpdateSettingsDto } from './dto/update-settings.dto';

@Controller('api/cluster/settings')
export class ClusterSettingsApiController {
  constructor(private readonly settings: ClusterSettingsService) {}

  @Get()
  async read() {
    const settings = await this.settings.get();
    return { ...publicSettings(settings), warnings: this.settings.warnings(settings) };
  }

  @Put()
  async update(@Body() body: UpdateSettingsDto, @Actor() actor: string) {
    const { revision, ...values } = body;
    const { settings, warnings } = await this.settings.update({ values, basedOnRevision: revision, actor });
    return { ...publicSettings(settings), warnings };
  }
}

/** What the API shows: the values and the revision, not the bookkeeping of the last transition. */
function publicSettings(settings: ClusterSettings) {
  const { loadBalancing, automaticFailover, heartbeatFrequencySeconds, staleTimeoutSeconds, revision } =
    settings;
  return { loadBalancing, automaticFailover, heartbeatFrequencySeconds, staleTimeoutSeconds, revision };
}
