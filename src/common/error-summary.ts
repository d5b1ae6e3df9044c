/** The first line of an error's message, for one-line log entries (stacks go only to the exception filter's log). */
export function errorSummary(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
