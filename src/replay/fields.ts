// Field schemas shared by replay requests, with messages that say what was
// expected and what was found (user input: STYLE.md habit 7).

import { z } from 'zod';

/**
 * The big integer literals of the line being checked (see json-text.ts), so
 * that a message quotes 9007199254740993 as written, not as JSON.parse
 * rounded it. Set only for the duration of one synchronous check.
 */
let bigIntegers: ReadonlyMap<number, ReadonlySet<string>> | null = null;

/** Runs `check` with the big integer literals of the line it checks. */
export function withBigIntegers<T>(literals: ReadonlyMap<number, ReadonlySet<string>> | null, check: () => T): T {
  const saved = bigIntegers;
  bigIntegers = literals;
  try {
    return check();
  } finally {
    bigIntegers = saved;
  }
}

function describeNumber(value: number): string {
  const written = Number.isSafeInteger(value) ? undefined : bigIntegers?.get(value);
  if (written === undefined) return `${value}`;
  // Two different literals rounded to the same number: quote neither.
  if (written.size > 1) return 'an integer too large to be exact (above 2^53 − 1)';
  const [literal] = written;
  return literal.length > 40 ? `${literal.slice(0, 24)}… (an integer of ${literal.replace('-', '').length} digits)` : literal;
}

/** Renders a found value for an error message, short and unambiguous. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number') return describeNumber(value);
  if (typeof value === 'boolean') return `${value}`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  return `an ${typeof value}`;
}

/** A count of pages, a domain id, an index: an integer in [0, 2^53). */
export const count = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    ctx.addIssue({ code: 'custom', message: `expected a non-negative integer below 2^53, found ${describeValue(value)}` });
  }
}) as unknown as z.ZodType<number>;

/** An integer in [min, max] (min 0 unless given); the message states that range. */
export function boundedCount(max: number, what: string, min = 0): z.ZodType<number> {
  return z.unknown().superRefine((value, ctx) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message: `expected ${what} (an integer from ${min} to ${max}), found ${describeValue(value)}` });
    }
  }) as unknown as z.ZodType<number>;
}

export const bool = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== 'boolean') ctx.addIssue({ code: 'custom', message: `expected true or false, found ${describeValue(value)}` });
}) as unknown as z.ZodType<boolean>;

/** The value at `path` inside `data` (own properties only), or undefined. */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let at = data;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** "an object", "an array" for zod's expected type names. */
const EXPECTED: Record<string, string> = { object: 'an object', array: 'an array', string: 'a string', number: 'a number', boolean: 'true or false' };

/**
 * Renders zod issues as `field "a.b": message`, one per issue, first few
 * only. Unknown fields are named with their path; a value of the wrong type
 * is said in our words ("expected an object, found an empty array"), from the
 * request `data` the issues are about.
 */
export function formatIssues(error: z.ZodError, data?: unknown): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const names = issue.keys.map((k) => JSON.stringify(path === '' ? k : `${path}.${k}`));
        return `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
      }
      const message =
        issue.code === 'invalid_type' && Object.hasOwn(EXPECTED, issue.expected)
          ? `expected ${EXPECTED[issue.expected]}, found ${describeValue(valueAt(data, issue.path))}`
          : issue.message;
      return path === '' ? message : `field "${path}": ${message}`;
    })
    .join('; ');
}
