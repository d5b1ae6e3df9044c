import { NotFoundException, ParseUUIDPipe } from '@nestjs/common';

/** An endpoint id from the URL: anything but a UUID names no endpoint, so it is a 404 like any unknown id. */
export const WebhookIdPipe = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () => new NotFoundException('There is no such webhook endpoint.'),
});
