import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { API_KEY_HEADER, isApiRequest } from '../../common/request-kind';
import { setActor } from './actor.decorator';
import { LoginRequiredException } from '../../common/login-required.exception';
import { IS_PUBLIC } from './public.decorator';
import { atLeast, defaultRequiredRole, REQUIRED_ROLE, Role } from './roles';
import { signedInUser } from './session';

/**
 * Every route but those marked @Public() needs a signed-in person whose role is at least the route's
 * (@Requires; without it a GET needs a viewer and anything else an administrator); /api/* also accepts the
 * X-ApiKey header, as an administrator. A request that sends X-ApiKey is judged by the key alone, never by a
 * session. A role too low answers 403 before the handler runs, so nothing changes.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const needed =
      this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets) ??
      defaultRequiredRole(request.method);
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
    if (!user) {
      if (api) throw new UnauthorizedException('Sign in or send the X-ApiKey header.');
      throw new LoginRequiredException(request.originalUrl);
    }
    if (!atLeast(user.role, needed)) {
      throw new ForbiddenException(
        `${user.username} is ${article(user.role)} ${user.role}: this needs ${article(needed)} ${needed}.`,
      );
    }
    setActor(request, user.username);
    return true;
  }
}

function article(role: Role): string {
  return role === 'viewer' ? 'a' : 'an';
}

function sameSecret(given: string, expected: string): boolean {
  // Compare digests, so neither the length nor the content leaks through timing.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
