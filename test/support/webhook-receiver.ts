import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact body bytes, as text (what the signature covers). */
  body: string;
}

/**
 * A real HTTP endpoint on 127.0.0.1 that records what it is sent and answers as the test says: a status,
 * or no answer for a while.
 */
export class WebhookReceiver {
  readonly received: ReceivedRequest[] = [];
  /** The status of the next answers. */
  status = 204;
  /** How long to wait before answering. */
  delayMs = 0;
  private server: Server | null = null;
  private readonly pendingAnswers = new Set<NodeJS.Timeout>();

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const timer = setTimeout(() => {
          this.pendingAnswers.delete(timer);
          response.writeHead(this.status, { 'Content-Type': 'text/plain' });
          response.end(this.status >= 400 ? 'receiver says no' : '');
        }, this.delayMs);
        this.pendingAnswers.add(timer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once the receiver has received `count` requests in all. */
  async waitForRequests(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} requests arrived`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.pendingAnswers) clearTimeout(timer);
    this.pendingAnswers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
