// `replay --check` in linear time: the whole-structure check spaced out on a
// large state, and a violation narrowed to the line that caused it.
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { replayStream, type ReplayOptions } from '../../src/cli/replay.ts';
import type { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import { CHECK_UNITS_PER_LINE, narrow, NARROW_UNITS_PER_PASS, type ReplayPass } from '../../src/replay/check.ts';
import { replayExtensions } from '../../src/replay/extensions.ts';
import type { ReplayExtension } from '../../src/replay/session.ts';
import { replayInput } from '../replay-text.ts';

/**
 * The usual vocabulary plus `{"op":"corrupt","domid":D}`, which breaks an
 * invariant on purpose (a domain's tmem frames past its pages), and a count
 * of the whole-structure checks each session ran.
 */
function sabotage(checks: number[]): () => ReplayExtension[] {
  return () => {
    let hv: Hypervisor | null = null;
    const index = checks.push(0) - 1;
    const corrupt: ReplayExtension = {
      schemas: { corrupt: z.strictObject({ op: z.literal('corrupt'), domid: z.number().int() }) },
      onHost(host) {
        hv = host;
        const violations = host.violations.bind(host);
        host.violations = () => {
          checks[index]++;
          return violations();
        };
      },
      execute(request) {
        if (request.op !== 'corrupt' || hv === null) return undefined;
        const d = hv.domain((request as { op: string; domid: number }).domid);
        if (d === undefined) return { ok: false, errno: 'ESRCH' };
        d.pagesTmemFrames += 1_000_000;
        return { ok: true };
      },
    };
    return [...replayExtensions(), corrupt];
  };
}

/** A host with tmem and one guest's ephemeral pool, then `puts` puts; `extra` lines are spliced in after put number `at`. */
function requests(puts: number, at = -1, extra: object[] = []): string {
  const lines: object[] = [
    { op: 'host', pages: 100_000, tmem: { store: 'synthetic' } },
    { op: 'domain_create', domid: 1, max_pages: 50_000 },
    { op: 'populate_physmap', domid: 1, pages: 1000 },
    { op: 'tmem_new_pool', domid: 1, persistent: false, shared: false, uuid: '0'.repeat(32), caller: 1 },
  ];
  for (let i = 0; i < puts; i++) {
    if (i === at) lines.push(...extra);
    lines.push({ op: 'tmem_put', domid: 1, pool: 0, oid: [1, i >> 10, 0], index: i & 1023, fill: i & 255, caller: 1 });
  }
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

async function run(text: string, options: ReplayOptions, extensions: () => ReplayExtension[]): Promise<{ status: number; out: string[]; err: string }> {
  const r = await replayInput(Readable.from([text]), options, extensions);
  return { ...r, out: r.out.trim().split('\n') };
}

describe('replay --check', () => {
  test('a small state is checked after every line: the violation names its line', async () => {
    const checks: number[] = [];
    const r = await run(requests(10, 5, [{ op: 'corrupt', domid: 1 }]), { check: true }, sabotage(checks));
    assert.equal(r.status, 3);
    // Lines: 4 of set-up, 5 puts, the corrupt line (10), then nothing more is run.
    assert.match(r.err, /^hypermem replay: invariant violated after line 10: domain 1: tmem frames 1000000 outside \[0, tot_pages 1000\]/);
    assert.doesNotMatch(r.err, /seen by the check after line/);
    assert.equal(r.out.length, 10, 'results up to the line that broke it');
    assert.equal(checks[0], 10, 'a check after every line, the host line included');
  });

  test('a large state is checked every few lines: linear work, and no violation on a clean replay', async () => {
    const checks: number[] = [];
    const puts = 6000;
    const r = await run(requests(puts), { check: true }, sabotage(checks));
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out.length, puts + 4);
    // Each check costs about 2 units per tmem page, each line pays CHECK_UNITS_PER_LINE:
    // checks thin out as the pool grows (about 64 lines apart near 4,000 pages), instead of one per line.
    assert.ok(checks[0] < puts / 10, `${checks[0]} checks for ${puts} lines`);
    assert.ok(checks[0] > 2 * CHECK_UNITS_PER_LINE / 8, `${checks[0]} checks: still checking`);
  });

  test('a violation seen late is narrowed to its line by running the requests again', async () => {
    const checks: number[] = [];
    const text = requests(6000, 4321, [{ op: 'corrupt', domid: 1 }]);
    const corruptLine = 4 + 4321 + 1;
    const r = await run(text, { check: true, reopen: () => Readable.from([text]) }, sabotage(checks));
    assert.equal(r.status, 3);
    const m = /^hypermem replay: invariant violated after line (\d+) \(seen by the check after line (\d+); the requests were run again from the start to find the line\): domain 1: tmem frames/.exec(r.err);
    assert.ok(m !== null, r.err);
    assert.equal(Number(m[1]), corruptLine);
    const seen = Number(m[2]);
    assert.ok(seen > corruptLine, 'the scheduled check came after the line');
    assert.equal(r.out.length, seen, 'results up to the check that saw it');
    assert.ok(checks.length >= 2, 'at least one pass again from the start');
  });

  test('without a way to read the requests again, the violation names the window of lines', async () => {
    const text = requests(6000, 4321, [{ op: 'corrupt', domid: 1 }]);
    const corruptLine = 4 + 4321 + 1;
    const r = await run(text, { check: true }, sabotage([]));
    assert.equal(r.status, 3);
    const m = /^hypermem replay: invariant violated by one of lines (\d+)-(\d+): domain 1: tmem frames .* \(every invariant held after line (\d+);.*give the requests as a file\)/.exec(r.err);
    assert.ok(m !== null, r.err);
    assert.ok(Number(m[1]) <= corruptLine && corruptLine <= Number(m[2]), `${corruptLine} in ${m[1]}-${m[2]}`);
    assert.equal(Number(m[3]), Number(m[1]) - 1);
  });

  test('a violation by the last lines is caught by the check at the end of the input', async () => {
    const text = requests(3000) + JSON.stringify({ op: 'corrupt', domid: 1 }) + '\n';
    const r = await run(text, { check: true, reopen: () => Readable.from([text]) }, sabotage([]));
    assert.equal(r.status, 3);
    assert.match(r.err, new RegExp(`invariant violated after line ${3000 + 5}: domain 1`));
  });
});

describe('replay --check where the input stops, changes or has blank lines', () => {
  const bad = 4 + 4321 + 1;
  const text = requests(6000, 4321, [{ op: 'corrupt', domid: 1 }]);

  test('a blank line before the line that broke an invariant: that line is still named, without running the requests again', async () => {
    const small = requests(10, 5, []).split('\n');
    small.splice(9, 0, '', JSON.stringify({ op: 'corrupt', domid: 1 }));
    const checks: number[] = [];
    const r = await run(small.join('\n'), { check: true }, sabotage(checks));
    assert.equal(r.status, 3);
    assert.match(r.err, /^hypermem replay: invariant violated after line 11: domain 1/);
    assert.equal(checks.length, 1, 'no second session');
  });

  test('the reader goes away (EPIPE): a violation in the lines run since the last check is still found and said', async () => {
    let writes = 0;
    const output = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        if (++writes > 17) return callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        callback();
      },
    });
    const errors = new PassThrough();
    let err = '';
    errors.on('data', (c: Buffer) => (err += c.toString()));
    const status = await replayStream(Readable.from([text]), output, errors, { check: true, reopen: () => Readable.from([text]) }, sabotage([]));
    assert.equal(status, 3);
    assert.match(err, new RegExp(`^hypermem replay: invariant violated after line ${bad} \\(seen by the check after line \\d+;`));
  });

  test('the input breaks off (a read error) after the line that broke an invariant: the violation is the result', async () => {
    const input = new Readable({ read() {} });
    input.push(text.split('\n').slice(0, bad + 5).join('\n') + '\n');
    setImmediate(() => input.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' })));
    const errors = new PassThrough();
    let err = '';
    errors.on('data', (c: Buffer) => (err += c.toString()));
    const output = new PassThrough();
    output.resume(); // read, so that writing never waits
    const status = await replayStream(input, output, errors, { check: true }, sabotage([]));
    assert.equal(status, 3);
    assert.match(err, new RegExp(`^hypermem replay: invariant violated by one of lines \\d+-${bad + 5}: domain 1`));
  });

  test('the file changed or is gone when it is read again: the lines are named, not a wrong line', async () => {
    const shortened = text.split('\n').slice(0, 1000).join('\n') + '\n';
    for (const [what, reopen] of [
      ['shortened', () => Readable.from([shortened])],
      ['gone', () => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      }],
    ] as const) {
      const r = await run(text, { check: true, reopen }, sabotage([]));
      assert.equal(r.status, 3, what);
      const m = /^hypermem replay: invariant violated by one of lines (\d+)-(\d+): .*the file could not be read again as it was \(changed, shortened or gone\)/.exec(r.err);
      assert.ok(m !== null, `${what}: ${r.err}`);
      assert.ok(Number(m[1]) <= bad && bad <= Number(m[2]), `${what}: ${bad} in ${m[1]}-${m[2]}`);
    }
  });
});

describe('narrow', () => {
  test('finds the line that broke the invariants, in few passes, for any window and check cost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 2, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        // Costs from 1 unit (many checks a pass) to past what a pass may spend (bisection), spread evenly in log scale.
        fc.integer({ min: 0, max: 26 }).map((k) => 2 ** k),
        async (clean, width, where, cost) => {
          const line = clean + width;
          const culprit = clean + 1 + Math.floor(where * width); // in clean+1..line
          let passes = 0;
          let checked = 0;
          const pass: ReplayPass = async (upTo, at) => {
            passes++;
            for (const l of at) {
              assert.ok(l > clean && l <= upTo && upTo <= line);
              checked++;
              if (l >= culprit) return { line: l, violations: [`broken at ${l}`] };
            }
            return null;
          };
          const r = await narrow({ line, clean, violations: ['seen'] }, cost, pass);
          assert.ok(r !== null);
          assert.equal(r.line, culprit);
          assert.equal(r.clean, culprit - 1);
          assert.equal(r.violations[0], culprit === line ? 'seen' : `broken at ${culprit}`);
          const perPass = Math.max(1, Math.floor(NARROW_UNITS_PER_PASS / cost));
          // Each pass cuts the window by perPass + 1 (bisection when a check costs more than a pass may spend).
          assert.ok(passes <= Math.ceil(Math.log(width) / Math.log(perPass + 1)) + 1, `${passes} passes for ${width} lines, ${perPass} checks a pass`);
          assert.ok(checked <= passes * perPass);
        },
      ),
      { numRuns: 300 },
    );
  });
});
