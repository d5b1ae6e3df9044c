import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { START_UP_CHATTER } from './node-logger';

const PINO_LEVELS: Record<NestLogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * LOG_FORMAT=json: one JSON object per line (pino), for log collectors. Nest's start-up chatter goes to debug,
 * as in the text format. Messages that are objects (the request lines) become fields of the line. Nothing here
 * logs headers or bodies; the request line holds method, route, status, duration and request id only.
 */
export class JsonLogger implements LoggerService {
  private readonly logger: Logger;

  constructor(serverName: string, levels: NestLogLevel[]) {
    const lowest = (['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as NestLogLevel[]).find((level) =>
      levels.includes(level),
    );
    this.logger = pino({
      level: PINO_LEVELS[lowest ?? 'log'],
      base: { server: serverName },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    });
  }

  log(message: unknown, ...rest: unknown[]): void {
    const context = contextOf(rest);
    this.write(context && START_UP_CHATTER.has(context) ? 'debug' : 'info', message, context);
  }

  error(message: unknown, ...rest: unknown[]): void {
    const context = contextOf(rest);
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.write('error', message, context, stack);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, contextOf(rest));
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, contextOf(rest));
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, contextOf(rest));
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, contextOf(rest));
  }

  private write(level: pino.Level, message: unknown, context: string | undefined, stack?: string): void {
    const fields: Record<string, unknown> = context ? { context } : {};
    if (stack) fields.stack = stack;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      const { msg, ...rest } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...rest }, typeof msg === 'string' ? msg : '');
    } else {
      this.logger[level](fields, message instanceof Error ? message.message : String(message));
    }
  }
}

function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}
