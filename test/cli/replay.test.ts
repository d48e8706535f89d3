// `hypermem replay` end to end: the golden file, exit statuses, --check, errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replayText } from '../replay-text.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/hypermem.js`;

function hypermem(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hypermem replay', () => {
  test('golden: the hand-checked engine file gives exactly its expected output', async () => {
    const input = readFileSync(`${root}test/golden/engine.jsonl`, 'utf8');
    const expected = readFileSync(`${root}test/golden/engine.expected.jsonl`, 'utf8');
    const { status, out } = await replayText(input);
    assert.equal(out, expected);
    assert.equal(status, 2, 'the golden file has malformed lines, so the status is 2');
  });

  test('the CLI reads a file, prints one result per request line, exits 0 when every line is well formed', () => {
    const r = hypermem(['replay', 'examples/claim-lifecycle.jsonl']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 10);
  });

  test('standard input with -, blank lines skipped, line numbers count them', () => {
    const r = hypermem(['replay', '-'], '{"op":"host","pages":10}\n\n{"op":"nope"}\n');
    assert.equal(r.status, 2);
    assert.match(r.stdout, /"line 3: unknown op \\"nope\\"/);
  });

  test('a missing file is a clear error, no stack trace', () => {
    const r = hypermem(['replay', 'no/such/file.jsonl']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), 'hypermem: cannot read no/such/file.jsonl: no such file');
  });

  test('an unknown option is a usage error with help', () => {
    const r = hypermem(['replay', '--frob']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option/);
  });

  test('a malformed line changes nothing', async () => {
    const { out } = await replayText(
      ['{"op":"host","pages":100}', '{"op":"domain_create","domid":1,"max_pages":-5}', '{"op":"domain_info","domid":1}'].join('\n'),
    );
    assert.equal(out.trim().split('\n')[2], '{"ok":false,"errno":"ESRCH"}');
  });

  test('__proto__ keys are refused as unknown fields', async () => {
    const { out, status } = await replayText('{"op":"host","pages":100}\n{"op":"physinfo","__proto__":{"ok":false}}\n');
    assert.equal(status, 2);
    assert.equal(JSON.parse(out.split('\n')[1]).error, 'line 2: unknown field "__proto__"');
  });

  test('--check passes on a consistent run', async () => {
    const input = readFileSync(`${root}examples/claim-lifecycle.jsonl`, 'utf8');
    const { status, err } = await replayText(input, true);
    assert.equal(status, 0);
    assert.equal(err, '');
  });
});
