import { ConsoleLogger } from '@nestjs/common';

/** Nest's own start-up messages: the modules it loaded and every route it mapped (dozens of lines). */
export const START_UP_CHATTER = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The console logger, with Nest's start-up chatter moved down to debug level, so that what a person
 * starting a node needs (its address, the first password) is not buried under the route table.
 */
export class NodeLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && START_UP_CHATTER.has(context)) return this.debug(message, ...rest);
    super.log(message, ...rest);
  }
}

/** Lines in a frame that stands out among log lines. */
export function framed(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const rule = '─'.repeat(width + 2);
  return [`┌${rule}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${rule}┘`].join('\n');
}
