import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { HeartbeatService } from './heartbeat.service';

/** A web request reaching this node is what keeps its web component live (as in ProGet). */
@Injectable()
export class WebHeartbeatMiddleware implements NestMiddleware {
  constructor(private readonly heartbeat: HeartbeatService) {}

  use(_request: Request, _response: Response, next: NextFunction): void {
    this.heartbeat.noteWebRequest();
    next();
  }
}
