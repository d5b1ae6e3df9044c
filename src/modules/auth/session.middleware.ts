import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { API_KEY_HEADER } from '../../common/request-kind';
import { sessionOf, setSignedInUser } from './session';
import { SessionsService } from './sessions.service';

/** Sent by public/js/live.js with each refresh of an open page. */
export const LIVE_REFRESH_HEADER = 'X-Live-Refresh';

/**
 * Finds who is signed in, once per request, from the session token in the signed cookie and its record in
 * the shared database. A request that sends X-ApiKey is judged by the key alone (AccessGuard), so its cookie is
 * not looked at. A token whose session ended is dropped from the cookie.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  constructor(private readonly sessions: SessionsService) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    const token = sessionOf(request).token;
    if (!token || request.get(API_KEY_HEADER) !== undefined) return next();
    // The overview's own refreshes (public/js/live.js) do not count as use: an open tab must not keep a
    // session from idling out.
    const used = request.get(LIVE_REFRESH_HEADER) === undefined;
    this.sessions.resolve(token, used).then((user) => {
      if (user) setSignedInUser(request, user);
      else delete sessionOf(request).token;
      next();
    }, next);
  }
}
