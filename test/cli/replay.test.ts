// `hypermem replay` end to end: the golden file, exit statuses, --check, errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replayStream, type ReplayOptions } from '../../src/cli/replay.ts';
import { readLines } from '../../src/replay/lines.ts';
import { HEAD_BYTES, notRequests } from '../../src/replay/not-requests.ts';
import { replayInput, replayText } from '../replay-text.ts';

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

  test('a scenario or a run\'s events given as the requests: one line saying so, exit 2, nothing run', () => {
    const scenario = hypermem(['replay', 'examples/claim-race.yaml']);
    assert.equal(scenario.status, 2);
    assert.equal(scenario.stdout, '');
    assert.equal(scenario.stderr, 'hypermem: examples/claim-race.yaml: a scenario (YAML), not a file of hypercalls (one JSON request a line): run it with hypermem run examples/claim-race.yaml\n');
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-notreq-'));
    try {
      const events = join(dir, 'events.jsonl');
      writeFileSync(events, '{"timeNs":0,"kind":"guest_start","guest":"a","domid":1,"ram_pages":4096}\n');
      const r = hypermem(['replay', events]);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `hypermem: ${events}: the events of a run (what hypermem run --out writes as events.jsonl), not a file of hypercalls (one JSON request a line)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('notRequests: a scenario\'s first key (after comments, ---, a BOM), an event line; anything else is left to the per-line errors', () => {
    assert.equal(notRequests('# a comment\n\n---\nname: x\nduration: 1s\n', false), 'scenario');
    assert.equal(notRequests('\uFEFFduration: 10m\n', false), 'scenario');
    assert.equal(notRequests('host:\r\n  memory: 8GiB\r\n', false), 'scenario');
    assert.equal(notRequests('{"timeNs":5,"kind":"launch","guest":"a"}\n', false), 'events');
    assert.equal(notRequests('{"op":"host","pages":10}\n', false), null, 'a request');
    assert.equal(notRequests('{"op":"host","timeNs":1,"kind":"x"}\n', false), null, 'a request, whatever else it holds');
    assert.equal(notRequests('{"kind":"launch"}\n', false), null, 'not an event: the per-line error says what is wrong');
    assert.equal(notRequests('{"name":"x","duration":"1s","host":{"memory":"8GiB"}}\n', false), 'scenario', 'a scenario as one JSON object');
    assert.equal(notRequests('{"name":"x","pages":10}\n', false), null, 'a key no scenario has');
    assert.equal(notRequests('{not json\n', false), null);
    assert.equal(notRequests('[1,2]\n', false), null);
    assert.equal(notRequests('foo: 1\n', false), null, 'not a key of a scenario');
    assert.equal(notRequests('# hypermem\n\nhypermem is a tool\n', false), null, 'prose');
    assert.equal(notRequests('durationx: 1\n', false), null);
    assert.equal(notRequests('', false), null);
    // A first line cut by the end of the head is not judged.
    assert.equal(notRequests('{"timeNs":0,"kind":"x"}'.padEnd(HEAD_BYTES, ' '), true), null);
    assert.equal(notRequests(`${'\n'.repeat(HEAD_BYTES - 9)}duration:`, true), null);
    assert.equal(notRequests('#é\nduration: 1s', true), null, 'cut: bytes, not characters, say so');
    assert.equal(notRequests('#é\nduration: 1s', false), 'scenario');
    assert.equal(notRequests('{}\n', false), null, 'an empty object');
    assert.equal(notRequests('%YAML 1.2\n--- # a scenario\n"duration": 10m\n', false), 'scenario', 'a directive, a marker with a comment, a quoted key');
    assert.equal(notRequests("'host':\n  memory: 8GiB\n", false), 'scenario');
    assert.equal(notRequests('"duration\': 10m\n', false), null, 'quotes that do not match');
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

/** Runs replayStream on chunks as given (Buffers or strings); the output split in lines. */
async function replayChunks(chunks: (Buffer | string)[], options: ReplayOptions = {}): Promise<{ status: number; out: string[]; err: string }> {
  const { status, out, err } = await replayInput(Readable.from(chunks, { objectMode: true }), options);
  return { status, out: out === '' ? [] : out.trimEnd().split('\n'), err };
}

const errorOf = (line: string): string => String((JSON.parse(line) as { error: unknown }).error);
const PHYSINFO_OK = /^\{"ok":true,"total_pages":10,/;

describe('hypermem replay: a line over the length limit', () => {
  test('is answered with a line error naming the limit, the lines before and after still run (small limit, any chunking)', async () => {
    const text = ['{"op":"host","pages":10}', '{"op":"physinfo"}', '{"op":"physinfo",' + '"x":1,'.repeat(20) + '"y":1}', '{"op":"physinfo"}  '].join('\n');
    // The same input whole, and split into 1- and 7-byte chunks (a line break or a limit crossing inside a chunk or between two).
    const bytes = Buffer.from(text);
    for (const size of [bytes.length, 1, 7]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const r = await replayChunks(chunks, { maxLineBytes: 100 });
      assert.equal(r.out.length, 4, `chunks of ${size}: ${r.out.join('\n')}`);
      assert.equal(r.out[0], '{"ok":true}');
      assert.match(r.out[1], PHYSINFO_OK);
      assert.equal(errorOf(r.out[2]), 'line 3: longer than 100 bytes, the most a line may hold; the line was skipped');
      assert.match(r.out[3], PHYSINFO_OK, 'a line of exactly the limit (with trailing blanks) is read');
      assert.equal(r.status, 2);
    }
  });

  test('at the real limit (16 MiB): one byte over is refused, with the earlier results printed', async () => {
    const long = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
    const r = await replayChunks([Buffer.from('{"op":"host","pages":10}\n{"op":"physinfo"}\n'), long, Buffer.from('\n{"op":"physinfo"}\n')]);
    assert.equal(r.out.length, 4);
    assert.match(r.out[1], PHYSINFO_OK);
    assert.equal(errorOf(r.out[2]), 'line 3: longer than 16 MiB (16777216 bytes), the most a line may hold; the line was skipped');
    assert.match(r.out[3], PHYSINFO_OK);
    assert.equal(r.status, 2);
  });

  test('line breaks are "\\n", "\\r\\n" and a lone "\\r", also when "\\r" and "\\n" fall in two chunks', async () => {
    const lines: string[] = [];
    for await (const l of readLines(['a\r', '\nb\rc', '\r', 'd\n\ne'])) lines.push(l.tooLong ? '(too long)' : l.text);
    assert.deepEqual(lines, ['a', 'b', 'c', 'd', '', 'e']);
  });

  test('the CLI on /dev/zero (no line break ever): the error comes at once, memory stays bounded, no stack trace', { skip: !existsSync('/dev/zero') }, async () => {
    const child = spawn(process.execPath, [bin, 'replay', '/dev/zero'], { cwd: root });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    /** Bytes read and peak memory of the child, from /proc (Linux); null where not available. */
    const usage = (): { read: number; peakKiB: number } | null => {
      try {
        const read = Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${child.pid}/io`, 'utf8'))?.[1]);
        const peakKiB = Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
        return Number.isFinite(read) && Number.isFinite(peakKiB) ? { read, peakKiB } : null;
      } catch {
        return null;
      }
    };
    const last = await new Promise<{ read: number; peakKiB: number } | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within 20 s; stderr: ${err}`)), 20_000);
      void exited.then(() => reject(new Error(`replay exited while reading /dev/zero; stderr: ${err}`)));
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (!out.includes('\n')) return;
        // Then let it read on past 600 MB, where one readline string used to break (512 MB).
        const poll = setInterval(() => {
          const now = usage();
          if (now === null || now.read > 600e6) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(now);
          }
        }, 50);
      });
    }).finally(() => child.kill());
    await exited;
    assert.equal(out, '{"ok":false,"error":"line 1: longer than 16 MiB (16777216 bytes), the most a line may hold; the line was skipped"}\n');
    assert.equal(err, '');
    if (last !== null) assert.ok(last.peakKiB < 400 * 1024, `peak memory ${last.peakKiB} KiB after reading ${last.read} bytes`);
  });
});

describe('hypermem replay: the output goes away or fills up, the input breaks off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hypermem-replay-out-'));
  const many = join(dir, 'many.jsonl');
  writeFileSync(many, ['{"op":"host","pages":10}', ...Array.from({ length: 20_000 }, () => '{"op":"physinfo"}')].join('\n') + '\n');
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A Writable whose second write fails with `code`. */
  function failingOutput(code: string): { output: Writable; got: () => string } {
    let got = '';
    let writes = 0;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (++writes >= 2) return callback(Object.assign(new Error(`write ${code}`), { code }));
        got += chunk.toString();
        callback();
      },
    });
    return { output, got: () => got };
  }

  test('EPIPE (the reader left): replayStream stops reading and returns 0, no message', async () => {
    const { output, got } = failingOutput('EPIPE');
    const input = Readable.from([readFileSync(many)]);
    const errors = new PassThrough();
    let err = '';
    errors.on('data', (c: Buffer) => (err += c.toString()));
    const status = await replayStream(input, output, errors, {});
    assert.equal(status, 0);
    assert.equal(err, '');
    assert.equal(got().split('\n').length - 1, 256, 'the first batch was written');
    assert.equal(input.destroyed, true, 'the input is no longer read');
  });

  test('EPIPE after a malformed line keeps exit status 2', async () => {
    const { output } = failingOutput('EPIPE');
    const text = '{bad json\n' + readFileSync(many, 'utf8');
    const errors = new PassThrough();
    assert.equal(await replayStream(Readable.from([Buffer.from(text)]), output, errors, {}), 2);
  });

  test('a byte order mark does not count toward the first line\'s length limit, even split across chunks', async () => {
    const lines = async (chunks: Buffer[]): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const l of readLines(chunks, 4)) out.push(l);
      return out;
    };
    const want = [{ tooLong: false, text: 'abcd', binary: false }, { tooLong: false, text: 'abcd', binary: false }];
    assert.deepEqual(await lines([Buffer.from('\ufeffabcd\nabcd\n')]), want);
    assert.deepEqual(await lines([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf, 0x61, 0x62, 0x63, 0x64, 0x0a]), Buffer.from('abcd')]), want);
    // Bytes that only begin like a mark are the line's own.
    assert.deepEqual(await lines([Buffer.from([0xef, 0x61, 0x0a])]), [{ tooLong: false, text: '\ufffda', binary: true }]);
  });

  test('ENOSPC: replayStream returns 2 with one line on the error stream', async () => {
    const { output } = failingOutput('ENOSPC');
    const errors = new PassThrough();
    let err = '';
    errors.on('data', (c: Buffer) => (err += c.toString()));
    const status = await replayStream(Readable.from([readFileSync(many)]), output, errors, {});
    assert.equal(status, 2);
    assert.equal(err, 'hypermem: cannot write to standard output: ENOSPC\n');
  });

  test('binary bytes (a NUL, bytes that are not UTF-8): a line error that does not echo them; the other lines run; exit 2', async () => {
    for (const bad of [Buffer.from([0x7b, 0x00, 0x7d]), Buffer.from([0xff, 0xfe, 0x41, 0xc3])]) {
      const r = await replayChunks([Buffer.from('{"op":"host","pages":10}\n'), bad, Buffer.from('\n{"op":"physinfo"}\n')]);
      assert.equal(r.status, 2);
      assert.equal(r.out.length, 3);
      assert.equal(r.out[1], '{"ok":false,"error":"line 2: not text (a NUL byte or bytes that are not UTF-8); is this a JSONL file of requests?"}');
      assert.match(r.out[2], PHYSINFO_OK);
    }
    // U+FFFD written as UTF-8 is text: the line is read (here, an unknown op).
    const r = await replayChunks([Buffer.from('{"op":"host\ufffd"}\n')]);
    assert.match(r.out[0], /^\{"ok":false,"error":"line 1: unknown op \\"host\ufffd\\"/);
  });

  test('the input breaking off (a read error): the results so far are printed, then a clear error', async () => {
    const input = new Readable({ read() {} });
    input.push('{"op":"host","pages":10}\n{"op":"physinfo"}\n{"op":"phys');
    setImmediate(() => input.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' })));
    const output = new PassThrough();
    let out = '';
    output.on('data', (c: Buffer) => (out += c.toString()));
    await assert.rejects(replayStream(input, output, new PassThrough(), {}), { name: 'Error', message: 'cannot read the requests after line 2: EIO', exitCode: 2 });
    assert.equal(out.split('\n').length, 3);
    assert.match(out.split('\n')[1], PHYSINFO_OK);
  });

  test('the CLI piped into a reader that stops after the first result (| head -1): exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, [bin, 'replay', many], { cwd: root });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const status = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (c: Buffer) => resolve(c.toString())));
    child.stdout.destroy();
    assert.equal(first.split('\n')[0], '{"ok":true}');
    assert.equal(await status, 0, err);
    assert.equal(err, '');
  });

  test('the CLI writing to a full disk (> /dev/full): exit 2, one line on stderr, no stack trace', { skip: !existsSync('/dev/full') }, () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [bin, 'replay', 'examples/claim-lifecycle.jsonl'], { cwd: root, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, 'hypermem: cannot write to standard output: ENOSPC\n');
    } finally {
      closeSync(full);
    }
  });
});

describe('hypermem replay: what JSON.parse alone would let through', () => {
  test('a key given twice is refused, naming it (at the top, nested, or spelt with an escape); the line changes nothing', async () => {
    const r = await replayChunks(
      [
        [
          '{"op":"host","pages":1000,"pages":5}',
          '{"op":"host","pages":10,"tmem":{"dedup":true,"d\\u0065dup":false}}',
          '{"op":"host","op":"physinfo","pages":10}',
          '{"op":"host","pages":10,"tmem":{"dedup":true},"nodes":1}',
          '{"op":"domain_create","domid":1,"max_pages":5,"caller":0}',
          '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":0,"fill":1,"fill":2}',
        ].join('\n'),
      ],
    );
    assert.equal(errorOf(r.out[0]), 'line 1: field "pages" is given twice (a field may appear only once)');
    assert.equal(errorOf(r.out[1]), 'line 2: field "tmem.dedup" is given twice (a field may appear only once)');
    assert.equal(errorOf(r.out[2]), 'line 3: field "op" is given twice (a field may appear only once)');
    assert.equal(r.out[3], '{"ok":true}', 'the host of line 4 is the first one built');
    assert.equal(r.out[4], '{"ok":true}');
    assert.equal(errorOf(r.out[5]), 'line 6: field "fill" is given twice (a field may appear only once)');
    assert.equal(r.status, 2);
  });

  test('the same key in two different objects, or a key text inside a string, is not a duplicate', async () => {
    const r = await replayText('{"op":"host","pages":10,"tmem":{"compress":false,"dedup":true},"nodes":1}\n{"op":"tmem_new_pool","domid":0,"uuid":"0123456789abcdef0123456789abcdef","shared":true}\n');
    assert.equal(r.out.split('\n')[0], '{"ok":true}');
    assert.equal(r.status, 0, r.out);
  });

  test('a UTF-8 byte order mark at the very start of the input is skipped; elsewhere it is still an error', async () => {
    const r = await replayChunks([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), '{"op":"host","pages":10}\n\ufeff{"op":"physinfo"}\n']);
    assert.equal(r.out[0], '{"ok":true}');
    assert.match(errorOf(r.out[1]), /^line 2: not valid JSON/);
  });

  test('the range in a message is the range accepted: a host of 0 pages or 0 nodes, compressed_bytes 0', async () => {
    const r = await replayText(
      ['{"op":"host","pages":0}', '{"op":"host","pages":1099511627777}', '{"op":"host","pages":10,"nodes":0}', '{"op":"host","pages":10,"tmem":{"store":"synthetic"}}',
        '{"op":"domain_create","domid":1,"max_pages":5}', '{"op":"tmem_new_pool","domid":1}',
        '{"op":"tmem_put","domid":1,"pool":0,"oid":[1,0,0],"index":0,"fp":"00000000000000ff","compressed_bytes":0}'].join('\n'),
    );
    const out = r.out.trim().split('\n');
    assert.equal(errorOf(out[0]), 'line 1: field "pages": expected a page count (an integer from 1 to 1099511627776), found 0');
    assert.equal(errorOf(out[1]), 'line 2: field "pages": expected a page count (an integer from 1 to 1099511627776), found 1099511627777');
    assert.equal(errorOf(out[2]), 'line 3: field "nodes": expected a node count (an integer from 1 to 64), found 0');
    assert.equal(errorOf(out[6]), 'line 7: field "compressed_bytes": expected a size in bytes (an integer from 1 to 4096), found 0');
  });

  test('an integer past 2^53 − 1 is quoted as written, not as JSON.parse rounded it', async () => {
    const r = await replayText(
      [
        '{"op":"host","pages":10}',
        '{"op":"populate_physmap","domid":1,"pages":9007199254740993}',
        '{"op":"claim_pages","domid":1,"pages":18446744073709551616}',
        '{"op":"tmem_get","domid":1,"pool":0,"oid":[0,-9007199254740993,0],"index":0}',
        '{"op":"populate_physmap","domid":1,"pages":9007199254740992}',
        '{"op":"max_mem","domid":1,"max_pages":1e400}',
        '{"op":"physinfo","caller":9007199254740993,"x":9007199254740992}',
        `{"op":"max_mem","domid":1,"max_pages":1${'0'.repeat(60)}}`,
      ].join('\n'),
    );
    const out = r.out.trim().split('\n').map(errorOf);
    assert.equal(out[1], 'line 2: field "pages": expected a non-negative integer below 2^53, found 9007199254740993');
    assert.equal(out[2], 'line 3: field "pages": expected a non-negative integer below 2^53, found 18446744073709551616');
    assert.match(out[3], /^line 4: field "oid": .* whose word 1 is -9007199254740993$/);
    assert.equal(out[4], 'line 5: field "pages": expected a non-negative integer below 2^53, found 9007199254740992');
    assert.match(out[5], /found Infinity$/);
    // Two literals that JSON.parse makes the same number: neither is quoted.
    assert.match(out[6], /^line 7: .*field "caller": .*found an integer too large to be exact \(above 2\^53 − 1\)/);
    assert.equal(out[7], 'line 8: field "max_pages": expected a non-negative integer below 2^53, found 100000000000000000000000… (an integer of 61 digits)');
  });
});
