import { ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiCommon, ERROR_SCHEMA } from '../../common/openapi';
import { Body, Controller, Get, Put } from '@nestjs/common';
import { Actor } from '../auth/actor.decorator';
import { ClusterSettingsService } from './cluster-settings.service';
import type { ClusterSettings } from './settings-rules';
import { UpdateSettingsDto } from './dto/update-settings.dto';

/** The settings as GET and PUT answer them, for the OpenAPI document. */
const SETTINGS_SCHEMA = {
  type: 'object' as const,
  properties: {
    loadBalancing: { type: 'boolean' as const },
    automaticFailover: { type: 'boolean' as const },
    heartbeatFrequencySeconds: { type: 'integer' as const },
    staleTimeoutSeconds: { type: 'integer' as const },
    upgradeWindowMinutes: { type: 'integer' as const },
    revision: { type: 'integer' as const },
    warnings: { type: 'array' as const, items: { type: 'string' as const } },
  },
};

@Controller('api/cluster/settings')
@ApiTags('settings')
@ApiCommon()
export class ClusterSettingsApiController {
  constructor(private readonly settings: ClusterSettingsService) {}

  @Get()
  @ApiOkResponse({ description: 'The settings, their revision and any warnings', schema: SETTINGS_SCHEMA })
  async read() {
    const settings = await this.settings.get();
    return { ...publicSettings(settings), warnings: this.settings.warnings(settings) };
  }

  @Put()
  @ApiOkResponse({ description: 'Saved; every node follows within a second', schema: SETTINGS_SCHEMA })
  @ApiConflictResponse({ description: 'The settings changed since the given revision', schema: ERROR_SCHEMA })
  async update(@Body() body: UpdateSettingsDto, @Actor() actor: string) {
    const { revision, ...values } = body;
    const { settings, warnings } = await this.settings.update({ values, basedOnRevision: revision, actor });
    return { ...publicSettings(settings), warnings };
  }
}

/** What the API shows: the values and the revision, not the bookkeeping of the last transition. */
function publicSettings(settings: ClusterSettings) {
  const {
    loadBalancing,
    automaticFailover,
    heartbeatFrequencySeconds,
    staleTimeoutSeconds,
    upgradeWindowMinutes,
    revision,
  } = settings;
  return {
    loadBalancing,
    automaticFailover,
    heartbeatFrequencySeconds,
    staleTimeoutSeconds,
    upgradeWindowMinutes,
    revision,
  };
}
