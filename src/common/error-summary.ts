/**
 * One line that names the cause of an error, for log entries (stacks go only to the exception filter's
 * log). Some errors carry no message of their own (a refused connection on a dual-stack host is an
 * AggregateError with an empty message; Prisma puts the driver's words in `meta`): then the code, the
 * inner errors or the cause say it.
 */
export function errorSummary(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^Invalid `.*` invocation:?$/.test(line))
    .join(' ');
  if (message.length > 0) return message.length > 500 ? `${message.slice(0, 497)}...` : message;
  const details = error as Error & { code?: unknown; errors?: unknown };
  const inner = [
    ...(Array.isArray(details.errors) ? details.errors : []),
    ...(error.cause !== undefined ? [error.cause] : []),
  ];
  if (depth < 3 && inner.length > 0) {
    const said = [...new Set(inner.map((cause) => errorSummary(cause, depth + 1)))].join('; ');
    if (said.length > 0) return said;
  }
  if (typeof details.code === 'string') return `${error.name} ${details.code}`;
  return error.name || 'unknown error';
}
