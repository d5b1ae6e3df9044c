import { NotFoundException, ParseUUIDPipe } from '@nestjs/common';

/**
 * A component id from the URL. Ids are UUIDs (version 4); anything else names no component, so it is a
 * 404 like any unknown id, not a validation message about UUID versions.
 */
export const ComponentIdPipe = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () => new NotFoundException('There is no such component in the cluster.'),
});
