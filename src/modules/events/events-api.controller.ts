import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiCommon } from '../../common/openapi';
import { Controller, Get, Query } from '@nestjs/common';
import { EVENT_KINDS, type ClusterEvent } from './event';
import { EventsApiQueryDto } from './dto/events-query.dto';
import { EventsService } from './events.service';

@Controller('api/cluster/events')
@ApiTags('events')
@ApiCommon()
export class EventsApiController {
  constructor(private readonly events: EventsService) {}

  /** The newest events first; `limit` from 1 to 500, 50 when not given. */
  @Get()
  @ApiOkResponse({
    description: 'The newest events first',
    schema: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          occurredAt: { type: 'string', format: 'date-time' },
          kind: { type: 'string', enum: [...EVENT_KINDS] },
          serverName: { type: 'string', nullable: true },
          componentId: { type: 'string', nullable: true },
          componentType: { type: 'string', nullable: true },
          actor: { type: 'string', nullable: true },
          epoch: {
            type: 'integer',
            nullable: true,
            description: "The primary's lease epoch when it wrote the event",
          },
          message: { type: 'string' },
        },
      },
    },
  })
  list(@Query() query: EventsApiQueryDto): Promise<ClusterEvent[]> {
    return this.events.newest(query.limit ?? 50);
  }
}
