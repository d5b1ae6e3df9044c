import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { NodeLifecycle } from '../environment/node-lifecycle';

/**
 * While the node is stopping, every answer closes its connection: a client (or a load balancer) that
 * keeps connections open opens its next one afresh, and so reaches a node that is not stopping.
 */
@Injectable()
export class StoppingMiddleware implements NestMiddleware {
  constructor(private readonly lifecycle: NodeLifecycle) {}

  use(_request: Request, response: Response, next: NextFunction): void {
    if (this.lifecycle.stopping) response.set('Connection', 'close');
    next();
  }
}
