import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isApiRequest } from '../../common/request-kind';
import { CsrfService } from './csrf.service';
import { atLeast } from './roles';
import { signedInUser, takeFlash } from './session';

/**
 * What the layout needs on every page: who is signed in with which role, what that role may do (`can`: the
 * templates show a form that changes something only to whom may send it), and a CSRF token for the forms.
 */
@Injectable()
export class ViewLocalsMiddleware implements NestMiddleware {
  constructor(private readonly csrf: CsrfService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    if (!isApiRequest(request)) {
      const user = signedInUser(request);
      response.locals.currentUser = user?.username ?? null;
      response.locals.currentRole = user?.role ?? null;
      response.locals.can = {
        operate: user ? atLeast(user.role, 'operator') : false,
        administer: user ? atLeast(user.role, 'administrator') : false,
      };
      if (user) response.locals.csrfToken = this.csrf.token(request, response);
      if (user && request.method === 'GET') response.locals.flash = takeFlash(request);
    }
    next();
  }
}
