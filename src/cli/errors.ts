// A user-input error: printed as `hypermem: message`, no stack trace, exit 2.

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
