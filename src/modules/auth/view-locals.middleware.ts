import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isApiRequest } from '../../common/request-kind';
import { CsrfService } from './csrf.service';
import { signedInUser, takeFlash } from './session';

/** What the layout needs on every page: who is signed in, and a CSRF token for the sign-out form. */
@Injectable()
export class ViewLocalsMiddleware implements NestMiddleware {
  constructor(private readonly csrf: CsrfService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    if (!isApiRequest(request)) {
      const user = signedInUser(request);
      response.locals.currentUser = user?.username ?? null;
      if (user) response.locals.csrfToken = this.csrf.token(request, response);
      if (user && request.method === 'GET') response.locals.flash = takeFlash(request);
    }
    next();
  }
}
