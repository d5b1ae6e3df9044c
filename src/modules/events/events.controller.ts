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
    // An empty field of the filter form means "any".
    const filter = {
      server: query.server?.trim() || undefined,
      component: query.component || undefined,
      kind: query.kind || undefined,
    };
    return { title: 'Cluster events', ...eventsPageModel(await this.events.page(query.page ?? 1, filter)) };
  }
}
