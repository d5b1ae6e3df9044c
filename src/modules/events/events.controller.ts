import { Controller, Get, Query, Render } from '@nestjs/common';
import { EventsPageQueryDto } from './dto/events-query.dto';
import { eventsPageModel } from './events-page.model';
import { EventsService } from './events.service';

@Controller('administration/cluster/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @Render('administration/cluster/events')
  async list(@Query() query: EventsPageQueryDto) {
    return { title: 'Cluster events', ...eventsPageModel(await this.events.page(query.page ?? 1)) };
  }
}
