// Assertions as documentation (TigerBeetle style): cheap checks that are always on.
// A failed assertion is a programmer error, never a user-input error.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Asserts that `value` is a non-negative safe integer (a count of pages, a time in ns). */
export function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AssertionError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}
