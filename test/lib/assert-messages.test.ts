// The preload of the test command (test/assert-messages.ts): a failing
// assert.ok without a message gets "expected a truthy value, found …"
// at once, instead of Node parsing the source for one (minutes in a long
// compiled test file). Imported here too, so this file checks the module
// whether or not it was run through `npm test`.
import '../assert-messages.ts';
import assert from 'node:assert/strict';
import nodeAssert from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('assert.ok without a message fails with what it found; with a message, with that message', () => {
  assert.throws(() => assert.ok(0), { name: 'AssertionError', message: 'expected a truthy value, found 0' });
  assert.throws(() => nodeAssert.ok(''), { message: "expected a truthy value, found ''" });
  assert.throws(() => assert.ok(null, 'mine'), { message: 'mine' });
  assert.doesNotThrow(() => assert.ok(1));
});

test('the test command preloads it', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['test:unit'], /--import \.\/test\/assert-messages\.ts --test /);
});
