import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

const ACTOR = Symbol('actor');

/** Set by AccessGuard: the signed-in person's name, or "API key" for scripts. */
export function setActor(request: Request, actor: string): void {
  (request as Request & { [ACTOR]?: string })[ACTOR] = actor;
}

/** Who is making this request, for the history of events. */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<Request & { [ACTOR]?: string }>();
  return request[ACTOR] ?? 'unknown';
});
