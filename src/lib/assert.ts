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
    throw new AssertionError(`${what} must be a non-negative safe integer, got ${describeValue(value)}`);
  }
}

/**
 * Asserts that `value` is a NUMA node number or null (a claim set's global
 * entry). A number out of range is the hypercall's EINVAL, not this; a
 * string such as "global" (replay's spelling) is a caller's mistake.
 */
export function assertNodeOrNull(value: number | null, what: string): void {
  if (value !== null && !Number.isSafeInteger(value)) {
    throw new AssertionError(`${what} must be a node number, or null for the global entry, got ${describeValue(value)}`);
  }
}

/**
 * A value as a message should show it: a number as written, anything else
 * with its type (a caller in plain JavaScript passing the string "5" would
 * otherwise read "got 5").
 */
function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'undefined':
      return String(value);
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    case 'bigint':
      return `the bigint ${value}n`;
    default:
      return value === null ? 'null' : `a value of type ${typeof value}`;
  }
}
