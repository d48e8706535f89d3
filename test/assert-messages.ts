// Preloaded by the test command (`--import ./test/assert-messages.ts`).
// A failing `assert.ok(value)` with no message makes Node build one from
// the source of the call: it reads the file at the position V8 reports,
// which under tsx is a position in the compiled code, and tokenizes and
// parses from there — a test file whose compiled form is long could spend
// minutes in it, so a failure looked like a hang (found by mutation
// testing, session 17). Here a missing message is "expected a truthy
// value, found …" instead; the stack still points at the call.
import nodeAssert, { AssertionError } from 'node:assert';
import { inspect } from 'node:util';

type Ok = (value: unknown, message?: string | Error) => asserts value;

function withMessage(original: Ok): Ok {
  const ok: Ok = (value, message) => {
    if (value) return;
    if (message !== undefined) return original(value, message);
    throw new AssertionError({ message: `expected a truthy value, found ${inspect(value)}`, actual: value, expected: true, operator: '==', stackStartFn: ok });
  };
  return ok;
}

nodeAssert.ok = withMessage(nodeAssert.ok);
nodeAssert.strict.ok = withMessage(nodeAssert.strict.ok);
