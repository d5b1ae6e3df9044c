import { Injectable } from '@nestjs/common';
import { doubleCsrf, type DoubleCsrfUtilities } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { KeyCrypto } from '../verification/key-crypto';
import { sessionOf } from './session';

export const CSRF_COOKIE = 'cluster.csrf';
export const CSRF_FIELD = '_csrf';

/**
 * CSRF tokens (double submit, HMAC-bound to the session id with a secret derived from the machine key).
 * Forms send the token as the _csrf field; scripts using a browser session send the X-CSRF-Token header.
 */
@Injectable()
export class CsrfService {
  private readonly utilities: DoubleCsrfUtilities;

  constructor(crypto: KeyCrypto) {
    this.utilities = doubleCsrf({
      getSecret: () => crypto.csrfSecret,
      getSessionIdentifier: (request) => {
        const session = sessionOf(request);
        session.sid ??= randomUUID();
        return session.sid;
      },
      cookieName: CSRF_COOKIE,
      cookieOptions: { sameSite: 'strict', secure: false, httpOnly: true, path: '/' },
      getCsrfTokenFromRequest: (request) => {
        const fromBody = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
        return typeof fromBody === 'string' ? fromBody : request.get('x-csrf-token');
      },
    });
  }

  token(request: Request, response: Response): string {
    return this.utilities.generateCsrfToken(request, response, { overwrite: false, validateOnReuse: false });
  }

  isValid(request: Request): boolean {
    return this.utilities.validateRequest(request);
  }
}
