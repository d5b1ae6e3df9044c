import { Module } from '@nestjs/common';
import { EventsApiController } from './events-api.controller';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

@Module({
  controllers: [EventsController, EventsApiController],
  providers: [EventsRepository, EventsService],
  exports: [EventsService],
})
export class EventsModule {}
