import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { API_KEY_HEADER, isApiRequest } from '../../common/request-kind';
import { CsrfService } from './csrf.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests without a valid CSRF token, the login form included. API requests
 * authenticated by X-ApiKey are exempt: a browser never sends that header on its own.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly csrf: CsrfService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(request.method)) return true;
    // Only on /api/*, where AccessGuard has already checked the key itself.
    if (isApiRequest(request) && request.get(API_KEY_HEADER) !== undefined) return true;
    if (this.csrf.isValid(request)) return true;
    throw new ForbiddenException(
      'This form has expired or did not come from this site (missing or invalid CSRF token). Reload the page and try again.',
    );
  }
}
