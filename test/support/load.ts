/**
 * Requests from a few workers at once, until stopped; every answer counted. By default a JSON read of the
 * cluster (the database behind it) and a page, in turn; anything but a 200 is a failure.
 */
export class Load {
  total = 0;
  readonly failures: string[] = [];
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    workers = 4,
    private readonly paths = ['/api/cluster', '/login'],
  ) {
    this.workers = Array.from({ length: workers }, (_, worker) => this.work(worker));
  }

  private async work(worker: number): Promise<void> {
    for (let i = worker; this.running; i += 1) {
      const path = this.paths[i % this.paths.length];
      try {
        const response = await fetch(`${this.baseUrl}${path}`, { headers: { 'X-ApiKey': this.apiKey } });
        const body = await response.text();
        if (response.status !== 200)
          this.failures.push(`${new Date().toISOString()} ${path}: ${response.status} ${body.slice(0, 300)}`);
      } catch (error) {
        this.failures.push(`${new Date().toISOString()} ${path}: ${(error as Error).cause ?? error}`);
        // Nothing listening: a moment before the next try, not a busy loop.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      this.total += 1;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
}
