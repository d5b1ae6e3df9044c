import { Global, Module } from '@nestjs/common';
import { EventsApiController } from './events-api.controller';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

@Global()
@Module({
  controllers: [EventsController, EventsApiController],
  providers: [EventsRepository, EventsService],
  exports: [EventsRepository, EventsService],
})
export class EventsModule {}
