import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { API_KEY_HEADER, isApiRequest } from '../../common/request-kind';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { ApiKeysService } from './api-keys.service';
import { sameSecret } from './digest';
import { sessionOf, setKeyHolder, setSignedInUser } from './session';
import { SessionsService } from './sessions.service';

/** Sent by public/js/live.js with each refresh of an open page. */
export const LIVE_REFRESH_HEADER = 'X-Live-Refresh';

/**
 * Finds who is making the request, once per request: from the session token in the signed cookie and its
 * record in the shared database, or, for /api/* with X-ApiKey, from the person's key that matches (the
 * environment's API_KEY needs no lookup). A request that sends X-ApiKey is judged by the key alone
 * (AccessGuard), so its cookie is not looked at. A token whose session ended is dropped from the cookie.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly keys: ApiKeysService,
  ) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    const apiKey = request.get(API_KEY_HEADER);
    if (apiKey !== undefined) {
      if (!isApiRequest(request) || (this.config.apiKey && sameSecret(apiKey, this.config.apiKey)))
        return next();
      this.keys.resolve(apiKey).then((holder) => {
        if (holder) setKeyHolder(request, holder);
        next();
      }, next);
      return;
    }
    const token = sessionOf(request).token;
    if (!token) return next();
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
