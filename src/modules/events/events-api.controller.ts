import { Controller, Get, Query } from '@nestjs/common';
import type { ClusterEvent } from './event';
import { EventsApiQueryDto } from './dto/events-query.dto';
import { EventsService } from './events.service';

@Controller('api/cluster/events')
export class EventsApiController {
  constructor(private readonly events: EventsService) {}

  /** The newest events first; `limit` from 1 to 500, 50 when not given. */
  @Get()
  list(@Query() query: EventsApiQueryDto): Promise<ClusterEvent[]> {
    return this.events.newest(query.limit ?? 50);
  }
}
