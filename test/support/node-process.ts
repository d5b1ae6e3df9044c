import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface NodeOptions {
  name: string;
  databaseUrl: string;
  encryptionKey: string;
  machineKey: string;
  env?: Record<string, string>;
  /** A port of its own; by default a free one. A restart behind a load balancer keeps its port. */
  port?: number;
  /** The main.js of another build (an older release, see releases.ts); by default this tree's. */
  main?: string;
}

/** A free TCP port on the loopback interface, as the kernel hands them out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs the built application (`node dist/main.js`) as a real process, as an operator would. */
export function runMain(env: Record<string, string>, main = MAIN): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [main], {
    // No grace period at SIGTERM unless a test asks for one: most tests stop nodes to see what follows.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', SHUTDOWN_GRACE_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** One node of a test cluster. */
export class ClusterNode {
  private constructor(
    readonly name: string,
    readonly port: number,
    readonly process: ReturnType<typeof runMain>,
    readonly options: NodeOptions,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(options: NodeOptions): Promise<ClusterNode> {
    const port = options.port ?? (await freePort());
    const child = runMain(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: options.databaseUrl,
        CLUSTER_SERVER_NAME: options.name,
        CLUSTER_ADVERTISED_ADDRESS: '127.0.0.1',
        ENCRYPTION_KEY: options.encryptionKey,
        MACHINE_KEY: options.machineKey,
        ...options.env,
      },
      options.main,
    );
    const node = new ClusterNode(options.name, port, child, options);
    try {
      await node.waitUntilHealthy();
    } catch (error) {
      // Nobody holds a node that failed to start: left running, it would keep Jest from ever exiting.
      child.kill('SIGKILL');
      throw error;
    }
    return node;
  }

  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(`${this.name} exited:\n${this.process.output()}`);
      }
      try {
        if ((await fetch(`${this.url}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} did not become healthy within ${timeoutMs} ms:\n${this.process.output()}`);
  }

  async getJson<T>(path: string, apiKey: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { headers: { 'X-ApiKey': apiKey } });
    if (!response.ok) throw new Error(`${this.name} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Everything the process printed so far. */
  output(): string {
    return this.process.output();
  }

  pause(): void {
    this.process.kill('SIGSTOP');
  }

  resume(): void {
    this.process.kill('SIGCONT');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = exitOf(this.process);
    this.process.kill(signal);
    await exited;
  }
}

/** Polls until the check passes or the time is up; returns how long it took. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
