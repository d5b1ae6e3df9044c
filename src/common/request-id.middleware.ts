import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** A request id a proxy in front may pass on; anything else (or nothing) gets a fresh one. */
const GIVEN_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * Gives every request an id, answered in X-Request-Id, shown on error pages (res.locals.requestId) and written
 * in the request's log line: method, route (the pattern, never the path with its ids or query), status and
 * duration. The line is at info level in JSON logs and at debug level in text logs (a terminal would drown).
 */
export function requestIds(json: boolean) {
  const logger = new Logger('HTTP');
  return (request: Request, response: Response, next: NextFunction): void => {
    const given = request.get(REQUEST_ID_HEADER);
    const id = given !== undefined && GIVEN_ID.test(given) ? given : randomUUID();
    response.locals.requestId = id;
    response.setHeader(REQUEST_ID_HEADER, id);
    const started = performance.now();
    response.on('finish', () => {
      const line = {
        msg: 'request',
        requestId: id,
        method: request.method,
        route: request.route ? `${request.baseUrl}${String(request.route.path)}` : 'unmatched',
        status: response.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (json) logger.log(line);
      else logger.debug(`${line.method} ${line.route} ${line.status} ${line.durationMs} ms (${id})`);
    });
    next();
  };
}
