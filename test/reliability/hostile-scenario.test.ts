// Hostile scenario files through the real CLI (issue 8): `hypermem run FILE
// --out DIR` and `hypermem validate FILE` must exit 2 with one line naming
// the place (file, line:column, YAML path) and the problem, no stack trace
// (no "    at " on stderr), no hang (killed after HANG_MS: a status of null,
// not 2 — a bound on hangs, not a timing: a loaded machine takes 10–20 s
// for what takes 2 s alone), and no --out directory (nor
// a temporary one beside it). test/scenario/hostile.test.ts checks the
// loader's messages in-process; this checks the process boundary.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = `${root}bin/hypermem.js`;
const dir = mkdtempSync(join(tmpdir(), 'hypermem-hostile-cli-'));
const VALID = 'duration: 10s\nhost:\n  memory: 4GiB\ndom0:\n  memory: 256MiB\nguests:\n  - name: web\n    count: 2\n    memory: 512MiB\n';

function write(name: string, content: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A run still going after this long is taken for a hang and killed. */
const HANG_MS = 90_000;

function hypermem(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, timeout: HANG_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** [what, file maker, what the one-line message must match after "FILE"]. */
const cases: [string, () => string, RegExp][] = [
  ['wrong units (GB, not GiB)', () => write('si.yaml', VALID.replace('memory: 512MiB', 'memory: 512MB')), /:9:13: guests\[0\]\.memory: expected a size such as 4GiB, found "512MB"/],
  ['a bare number for a size', () => write('bare.yaml', VALID.replace('memory: 4GiB', 'memory: 4096')), /:3:11: host\.memory: expected a size/],
  ['a size for a duration', () => write('dur.yaml', VALID.replace('duration: 10s', 'duration: 10GiB')), /:1:11: duration: expected a duration/],
  ['a negative size', () => write('neg.yaml', VALID.replace('memory: 512MiB', 'memory: -512MiB')), /:9:13: guests\[0\]\.memory: .*a size cannot be negative/],
  ['a negative count', () => write('negcount.yaml', VALID.replace('count: 2', 'count: -2')), /:8:12: guests\[0\]\.count: expected an integer from 1 to 10000/],
  ['a negative duration', () => write('negdur.yaml', VALID.replace('duration: 10s', 'duration: -10s')), /:1:11: duration: /],
  ['guests larger than the host', () => write('big.yaml', VALID.replace('count: 2', 'count: 8')), /:7:5: guests\[0\]: guests larger than the host/],
  ['dom0 larger than the host', () => write('dom0.yaml', VALID.replace('memory: 256MiB', 'memory: 8GiB')), /dom0.*(larger than|does not fit)/],
  ['an empty file', () => write('empty.yaml', ''), /^: empty scenario$/],
  ['a binary file', () => write('blob.yaml', Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff)), /^: not a text file/],
  ['invalid UTF-8', () => write('latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1')), /^: not a text file \(not valid UTF-8\)$/],
  ['very deep flow nesting', () => write('deep.yaml', `duration: 10s\nx: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`), /:2:\d+: nested too deeply \(at most 64 levels\)$/],
  ['very deep block nesting', () => write('deepblock.yaml', `duration: 10s\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`), /nested too deeply \(at most 64 levels\)$/],
  [
    'a YAML alias bomb',
    () => {
      let text = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      for (let i = 1; i < 12; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
      return write('bomb.yaml', text);
    },
    /^: more than 250,000 YAML values \(keys, values and list items, each alias counted as the value it names\): too large for a scenario/,
  ],
  ['an alias that contains itself', () => write('cycle.yaml', 'duration: 10s\nhost: &h {memory: 4GiB, again: *h}\n'), /host\.again\.again.*nested too deeply/],
  ['a missing file', () => join(dir, 'no-such.yaml'), /^: no such file$/],
  ['a directory', () => (mkdirSync(join(dir, 'folder.yaml'), { recursive: true }), join(dir, 'folder.yaml')), /^: is a directory, not a scenario file$/],
  ['__proto__ key', () => write('proto.yaml', `${VALID}__proto__: {seed: 5}\n`), /:10:1: __proto__: unknown key/],
  ['a huge integer', () => write('seed.yaml', `${VALID}seed: 9007199254740993\n`), /:10:7: seed: expected an integer/],
  ['a timeline event naming nobody', () => write('who.yaml', `${VALID}timeline:\n  - at: 1s\n    crash: {guest: nobody}\n`), /timeline\[0\]\.crash\.guest: .*nobody/],
  ['destroy after crash of the same guest', () => write('twice.yaml', `${VALID}timeline:\n  - at: 1s\n    crash: {guest: web-1}\n  - at: 2s\n    destroy: {guest: web-1}\n`), /timeline\[1\]\.destroy\.guest/],
  // A robustness review: each of these validated and then crashed the run, or was refused without a reason.
  [
    'frontswap_inertia: 0 (the guest asserts it is positive)',
    () => write('inertia.yaml', `${VALID}    selfballoon: {enabled: true, frontswap_inertia: 0}\n`),
    /:10:53: guests\[0\]\.selfballoon\.frontswap_inertia: expected an integer from 1 to 1000000, such as 3, found 0$/,
  ],
  ['a duration beyond the clock', () => write('clock.yaml', VALID.replace('duration: 10s', 'duration: 2502h')), /:1:11: duration: expected a duration of at most 1000h \(the simulator's clock/],
  [
    'a build batch that takes longer than the clock holds',
    () => write('batch.yaml', `${VALID.replace('memory: 4GiB', 'memory: 32GiB')}toolstack: {build_rate: 4KiB/s, build_batch: 64GiB}\ntimeline:\n  - at: 1s\n    launch: {name: big, memory: 16GiB}\n`),
    /:10:46: toolstack\.build_batch: one build batch of 64 GiB at 4 KiB\/s takes 4660\.34h, at most 1000h/,
  ],
  ['a seed of a million 9s', () => write('nines.yaml', `${VALID}seed: ${'9'.repeat(1_000_000)}\n`), /:10:7: seed: expected an integer .*\(1000000 characters\) \(too large: at most 2\^53-1\)$/],
  ['a seed YAML reads as 0', () => write('tiny.yaml', `${VALID}seed: 0.${'0'.repeat(400)}1\n`), /:10:7: seed: .*\(not a whole number\)$/],
  ['binary data as a size', () => write('binary.yaml', VALID.replace('memory: 4GiB', 'memory: !!binary aGVsbG8=')), /:3:11: host\.memory: the YAML tag !!binary \(binary data\) is not allowed/],
  ['a file name that is not a name, and no name: key', () => write('my scenario.yaml', VALID), /^: no name: key, and the file name "my scenario" is not a scenario name .*add a name: key, such as name: my-scenario$/],
  ['an escape character in the description', () => write('esc.yaml', `${VALID}description: "\\e[31mred"\n`), /:10:14: description: expected one line of text without control characters, found U\+001B \(escape\) at character 1$/],
  [
    'a trace with a plus sign',
    () => (
      write('plus-trace', '0 10\n0 +5\n'),
      write('plus.yaml', `${VALID}    workload: {anon: {profile: trace, trace: {file: plus-trace}}}\n`)
    ),
    /:10:53: guests\[0\]\.workload\.anon\.trace\.file: not a usable trace: .*plus-trace:2: column 2 \(memory %\): expected a non-negative number without a sign, found "\+5"$/,
  ],
  ['name: 123', () => write('num.yaml', `name: 123\n${VALID}`), /:1:7: name: .*found 123 \(YAML reads it as a number: put it in quotes to make it a name\)$/],
];

describe('hostile scenario files through the CLI: exit 2, one located line, no stack, no hang, no --out', { concurrency: 4 }, () => {
  for (const [what, make, expected] of cases) {
    test(what, async () => {
      const file = make();
      const out = join(dir, `out-${what.replace(/\W+/g, '-')}`);
      const [run, validate] = await Promise.all([hypermem(['run', file, '--out', out, '--quiet']), hypermem(['validate', file])]);
      for (const [cmd, r, prefix] of [['run', run, 'hypermem: '], ['validate', validate, 'hypermem validate: ']] as const) {
        assert.notEqual(r.status, null, `${cmd}: still running after ${HANG_MS / 1000} s, killed (a hang?)`);
        assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, / {4}at /, `${cmd}: a stack trace`);
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, `${cmd}: one line: ${r.stderr}`);
        assert.ok(lines[0].startsWith(`${prefix}${file}`), `${cmd}: names the file: ${lines[0]}`);
        assert.match(lines[0].slice(prefix.length + file.length), expected, cmd);
      }
      assert.equal(existsSync(out), false, 'no --out directory');
      assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.out-')), [], 'no temporary directory left');
    });
  }

  test('a bad --set and a bad --seed: exit 2, one line, no --out', async () => {
    const file = write('ok.yaml', VALID);
    const out = join(dir, 'out-set');
    const set = await hypermem(['run', file, '--out', out, '--set', 'guests[0].memory=-1GiB']);
    assert.equal(set.status, 2);
    assert.match(set.stderr, /^hypermem: .*ok\.yaml: guests\[0\]\.memory: .*\(set by --set guests\[0\]\.memory=-1GiB\)\n$/);
    const seed = await hypermem(['run', file, '--out', out, '--seed', '1e3']);
    assert.equal(seed.status, 2);
    assert.equal(seed.stderr, 'hypermem: --seed: expected an integer, found "1e3"\n');
    assert.equal(existsSync(out), false);
  });

  test('a --set value nested 1000 levels deep, or a malformed --set path: exit 2, one short line', async () => {
    const file = write('ok3.yaml', VALID);
    const deep = await hypermem(['validate', file, '--set', `seed=${'['.repeat(1000)}${']'.repeat(1000)}`]);
    assert.equal(deep.status, 2);
    assert.equal(deep.stderr, `hypermem validate: ${file}: seed: nested too deeply (at most 64 levels), in --set seed=${'['.repeat(54)}…\n`);
    for (const [flag, why] of [['guests[-1].count=1', 'a negative index [-1] at character 7: list entries are numbered from 0'], ['a..b=1', 'an empty key between two dots at character 2']]) {
      const r = await hypermem(['validate', file, '--set', flag]);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `hypermem validate: ${file}: --set "${flag}": ${why}\n`);
    }
  });

  test('--out naming a folder that is not hypermem\'s: exit 2, the folder is left alone', async () => {
    const file = write('ok2.yaml', VALID.replace('duration: 10s', 'duration: 1s'));
    const mine = join(dir, 'precious');
    mkdirSync(mine, { recursive: true });
    writeFileSync(join(mine, 'notes.txt'), 'keep');
    const r = await hypermem(['run', file, '--out', mine, '--quiet']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^hypermem: --out .*precious: the folder exists and is not a hypermem output folder/);
    assert.deepEqual(readdirSync(mine), ['notes.txt']);
  });
});
