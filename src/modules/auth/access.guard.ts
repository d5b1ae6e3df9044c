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
import { sameSecret } from './digest';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { API_KEY_HEADER, isApiRequest } from '../../common/request-kind';
import { setActor } from './actor.decorator';
import { LoginRequiredException } from '../../common/login-required.exception';
import { IS_PUBLIC } from './public.decorator';
import { atLeast, defaultRequiredRole, REQUIRED_ROLE, Role } from './roles';
import { keyHolder, signedInUser } from './session';

/**
 * Every route but those marked @Public() needs a signed-in person whose role is at least the route's
 * (@Requires; without it a GET needs a viewer and anything else an administrator); /api/* also accepts the
 * X-ApiKey header: the environment's API_KEY as an administrator, a person's key as that person with the
 * key's role (see ApiKeysService). A request that sends X-ApiKey is judged by the key alone, never by a
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
      const holder = keyHolder(request);
      if (!api || !holder) {
        throw new UnauthorizedException(
          !api
            ? 'An API key is accepted on /api/* only.'
            : this.config.apiKey
              ? "The X-ApiKey header is neither this node's API_KEY nor a person's live API key."
              : "The X-ApiKey header is no person's live API key (and this node has no API_KEY configured).",
        );
      }
      if (!atLeast(holder.role, needed)) {
        throw new ForbiddenException(
          `The key "${holder.keyName}" of ${holder.username} carries the ${holder.role} role: this needs ${article(needed)} ${needed}.`,
        );
      }
      setActor(request, `${holder.username} (API key "${holder.keyName}")`);
      return true;
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
