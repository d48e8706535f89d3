// A user-input error: printed as `hypermem: message`, no stack trace, exit 2.

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** The first line of a fault of hypermem itself (not of the input): exit status 1. */
export const INTERNAL_ERROR = 'internal error: this is a bug in hypermem, not in your input; please report it with the command and files that caused it';

/** What hypermem writes on standard error for a fault of its own: the line above, then the stack a report needs. */
export function internalErrorText(e: unknown): string {
  const detail = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  return `hypermem: ${INTERNAL_ERROR}\n${detail}\n`;
}
