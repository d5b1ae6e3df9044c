import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { API_KEY_HEADER, isApiRequest } from '../../common/request-kind';
import { setActor } from './actor.decorator';
import { LoginRequiredException } from '../../common/login-required.exception';
import { IS_PUBLIC } from './public.decorator';
import { signedInUser } from './session';

/**
 * Every route but those marked @Public() needs a signed-in administrator; /api/* also accepts the
 * X-ApiKey header. A request that sends X-ApiKey is judged by the key alone, never by a session.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    const request = context.switchToHttp().getRequest<Request>();
    const api = isApiRequest(request);
    const apiKey = request.get(API_KEY_HEADER);
    if (apiKey !== undefined) {
      if (api && this.config.apiKey && sameSecret(apiKey, this.config.apiKey)) {
        setActor(request, 'API key');
        return true;
      }
      throw new UnauthorizedException(
        this.config.apiKey
          ? "The X-ApiKey header does not match this node's API key."
          : 'This node has no API key configured (API_KEY).',
      );
    }
    const user = signedInUser(request);
    if (user) {
      setActor(request, user.username);
      return true;
    }
    if (api) throw new UnauthorizedException('Sign in as an administrator or send the X-ApiKey header.');
    throw new LoginRequiredException(request.originalUrl);
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Compare digests, so neither the length nor the content leaks through timing.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
