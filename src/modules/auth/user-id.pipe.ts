import { NotFoundException, ParseUUIDPipe } from '@nestjs/common';

/** A user id from the URL: anything but a UUID names no user, so it is a 404 like any unknown id. */
export const UserIdPipe = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () => new NotFoundException('There is no such user.'),
});
