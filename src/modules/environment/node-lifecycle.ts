import { Injectable } from '@nestjs/common';

/**
 * Whether this node is on its way out. From SIGTERM until it exits (see main.ts), /health answers 503
 * ("stopping") so that load balancers stop sending it requests while it still serves what reaches it,
 * and its service component hands the primary role over at once instead of at exit.
 */
@Injectable()
export class NodeLifecycle {
  private stoppingValue = false;
  private readonly listeners: (() => void)[] = [];

  get stopping(): boolean {
    return this.stoppingValue;
  }

  beginStopping(): void {
    if (this.stoppingValue) return;
    this.stoppingValue = true;
    for (const listener of this.listeners) listener();
  }

  /** Called once, when the node begins to stop. */
  onStopping(listener: () => void): void {
    this.listeners.push(listener);
  }
}
