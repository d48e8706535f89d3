import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAnonProfile } from '../../src/guest/workload/anon.ts';
import { GCD_SAMPLE_INTERVAL_NS, loadGcdTrace, parseGcdTrace, parseTraceLine, traceMemPercentAt, TraceFormatError } from '../../src/guest/workload/trace.ts';

const SHIPPED = new URL('../../data/gcd/', import.meta.url).pathname;
const SHARED = new URL('../../../shared/data/gcd-vm-usage/', import.meta.url).pathname;

test('the trace files shipped in data/gcd parse: 288 samples each, values >= 0', () => {
  const files = readdirSync(SHIPPED).filter((f) => f.startsWith('vm_'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const t = loadGcdTrace(join(SHIPPED, f));
    assert.equal(t.memPercent.length, 288, f);
    assert.equal(t.cpuPercent.length, 288, f);
    for (const v of t.memPercent) assert.ok(v >= 0 && Number.isFinite(v));
  }
  const spike = loadGcdTrace(join(SHIPPED, 'vm_259235987_2'));
  assert.ok(Math.max(...spike.memPercent) > 100, 'memory % may exceed 100');
  const first = loadGcdTrace(join(SHIPPED, 'vm_1218322450_1'));
  assert.equal(first.cpuPercent[0], 6.763);
  assert.equal(first.memPercent[0], 5.103);
});

test('every shared trace file parses (when ../shared is present)', { skip: !existsSync(SHARED) }, () => {
  const files = readdirSync(SHARED).filter((f) => f.startsWith('vm_'));
  assert.equal(files.length, 400);
  for (const f of files) assert.equal(loadGcdTrace(join(SHARED, f)).memPercent.length, 288, f);
});

test('malformed files: a clear error naming file and line', () => {
  const cases: [string, number, RegExp][] = [
    ['1 2\n3 4\nabc 5\n', 3, /column 1 \(cpu %\): expected a non-negative number, found "abc"/],
    ['1 2\n3 4 5\n', 2, /expected 2 columns .* found 3/],
    ['1 2\n\n3 4\n', 2, /empty line/],
    ['1\n', 1, /found 1/],
    ['1 -2\n', 1, /column 2 \(memory %\).*"-2"/],
    ['1 NaN\n', 1, /column 2/],
    ['', 1, /no samples/],
    ['1 2\n3 1e999\n', 2, /not finite/],
  ];
  for (const [text, line, re] of cases) {
    assert.throws(
      () => parseGcdTrace(text, 'bad.trace'),
      (e: unknown) => {
        assert.ok(e instanceof TraceFormatError);
        assert.equal(e.file, 'bad.trace');
        assert.equal(e.line, line, `${JSON.stringify(text)}: ${e.message}`);
        assert.ok(e.message.startsWith(`bad.trace:${line}: `), e.message);
        assert.match(e.message, re);
        return true;
      },
    );
  }
  // CRLF line ends and a missing final newline are accepted.
  assert.deepEqual([...parseGcdTrace('1 2\r\n3 4', 'ok').memPercent], [2, 4]);
  const dir = mkdtempSync(join(tmpdir(), 'gcd-'));
  const path = join(dir, 'vm_bad');
  writeFileSync(path, '1 2\n1 2 x\n');
  assert.throws(
    () => loadGcdTrace(path),
    (e: unknown) => e instanceof TraceFormatError && e.message.startsWith(`${path}:2: expected 2 columns`),
  );
  assert.throws(() => loadGcdTrace(join(dir, 'missing')), /cannot read trace/);
});

test('a header line or commas between the columns: the message says how to fix the file', () => {
  const header = 'a header line? trace files have none: delete it';
  const commas = 'separate the columns with spaces or tabs, not commas';
  const cases: [string, number, string][] = [
    ['cpu mem\n1 2\n', 1, `column 1 (cpu %): expected a non-negative number, found "cpu" (${header})`],
    ['\ufeffCPU\tMemory\n1 2\n', 1, `column 1 (cpu %): expected a non-negative number, found "CPU" (${header})`],
    ['cpu,mem\n1,2\n', 1, `expected 2 columns "<cpu %> <memory %>", found 1: "cpu,mem" (${header}; ${commas})`],
    ['1,2\n', 1, `expected 2 columns "<cpu %> <memory %>", found 1: "1,2" (${commas})`],
    ['1 2\n3, 4\n', 2, `column 1 (cpu %): expected a non-negative number, found "3," (${commas})`],
    // Decimal commas (a spreadsheet's export in many locales): the columns are apart already.
    ['12,5 30,0\n', 1, 'column 1 (cpu %): expected a non-negative number, found "12,5" (a decimal comma? write a point: 12.5)'],
    ['1 2\n12 30,75\n', 2, 'column 2 (memory %): expected a non-negative number, found "30,75" (a decimal comma? write a point: 30.75)'],
    // Not a header: a word on a later line, or beside a number on the first.
    ['1 2\ncpu mem\n', 2, 'column 1 (cpu %): expected a non-negative number, found "cpu"'],
    ['1 abc\n', 1, 'column 2 (memory %): expected a non-negative number, found "abc"'],
  ];
  for (const [text, line, message] of cases) {
    assert.throws(() => parseGcdTrace(text, 't'), (e: unknown) => e instanceof TraceFormatError && e.message === `t:${line}: ${message}`);
  }
});

test('linear interpolation between 5-minute samples, loop or hold at the end', () => {
  const mem = Float64Array.from([10, 20, 40]);
  const I = GCD_SAMPLE_INTERVAL_NS;
  assert.equal(traceMemPercentAt(mem, I, 0, true), 10);
  assert.equal(traceMemPercentAt(mem, I, I / 2, true), 15);
  assert.equal(traceMemPercentAt(mem, I, I + I / 4, true), 25);
  assert.equal(traceMemPercentAt(mem, I, 2 * I, false), 40);
  assert.equal(traceMemPercentAt(mem, I, 5 * I, false), 40);
  assert.equal(traceMemPercentAt(mem, I, 2 * I + I / 2, true), 25); // 40 -> 10 wrap
  assert.equal(traceMemPercentAt(mem, I, 3 * I, true), 10);
});

test('trace replay: memory % of maxmem as Committed_AS pages', () => {
  const d = compileAnonProfile({ kind: 'trace', memPercent: [10, 20] }, 100000);
  assert.equal(d(0), 10000);
  assert.equal(d(GCD_SAMPLE_INTERVAL_NS / 2), 15000);
  const f = compileAnonProfile({ kind: 'trace', file: join(SHIPPED, 'vm_259235987_2'), loop: false }, 262144);
  const t = loadGcdTrace(join(SHIPPED, 'vm_259235987_2'));
  assert.equal(f(0), Math.round((t.memPercent[0] * 262144) / 100));
  assert.equal(f(10 * GCD_SAMPLE_INTERVAL_NS), Math.round((t.memPercent[10] * 262144) / 100));
});

test('trace replay: offset starts that far into the trace, the end wraps to the start unless loop is false, sampleIntervalNs sets the spacing', () => {
  const I = GCD_SAMPLE_INTERVAL_NS;
  const memPercent = [10, 20, 40];
  const at = (p: Partial<{ loop: boolean; offsetNs: number; sampleIntervalNs: number }>, t: number) => compileAnonProfile({ kind: 'trace', memPercent, ...p }, 1000)(t);
  assert.equal(at({ offsetNs: 2 * I }, 0), 400);
  assert.equal(at({ offsetNs: I / 2 }, I), 300);
  // The default loops: past the last sample the trace goes back to the first, over one interval.
  assert.equal(at({}, 2.5 * I), 250);
  assert.equal(at({}, 3 * I), 100);
  assert.equal(at({ offsetNs: 2 * I }, I), 100);
  assert.equal(at({ loop: false }, 3 * I), 400);
  assert.equal(at({ sampleIntervalNs: 1e9 }, 1.5e9), 300);
});

test('a UTF-8 byte order mark at the start of a trace file is dropped', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'gcd-')), 'vm_bom');
  writeFileSync(path, '\uFEFF1 2\r\n3 4\r\n');
  assert.deepEqual([...loadGcdTrace(path).memPercent], [2, 4]);
});

test('white space other than spaces and tabs is refused, named with its code point and where it stands (a no-break space looks like a separator)', () => {
  const cases: [string, string][] = [
    ['1 2\n3\u00a04\n', 't:2: between the numbers: expected spaces or tabs, found a no-break space (U+00A0): "3\u00a04"'],
    ['1\u2003 2\n', 't:1: between the numbers: expected spaces or tabs, found an em space (U+2003): "1\u2003 2"'],
    ['1 2\n3 4\uFEFF\n', 't:2: after the last number: expected spaces or tabs, found a byte order mark (U+FEFF): "3 4\uFEFF"'],
    ['\f1 2\n', 't:1: before the first number: expected spaces or tabs, found a form feed (U+000C): "\\f1 2"'],
    ['1\r2\n', 't:1: between the numbers: expected spaces or tabs, found a carriage return (U+000D): "1\\r2"'],
    [' \u3000\n', 't:1: on a line without numbers: expected spaces or tabs, found an ideographic space (U+3000): " \u3000"'],
    ['1 2\u00a0\u0085\n', 't:1: after the last number: expected spaces or tabs, found a no-break space (U+00A0): "1 2\u00a0\u0085"'],
    ['1\u00852\n', 't:1: between the numbers: expected spaces or tabs, found a next line (U+0085): "1\u00852"'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseGcdTrace(text, 't'), (e: unknown) => e instanceof TraceFormatError && e.message === message, JSON.stringify(text));
  // Spaces and tabs anywhere on the line are fine, and so is a byte order mark at the very start.
  assert.deepEqual([...parseGcdTrace('\uFEFF \t1\t \t2 \t\r\n3 4', 't').memPercent], [2, 4]);
  assert.throws(() => parseGcdTrace(' \t\n', 't'), /^TraceFormatError: t:1: empty line/);
});

test('a signed number is refused as one', () => {
  assert.throws(() => parseGcdTrace('1 2\n+3 4\n', 't'), /^TraceFormatError: t:2: column 1 \(cpu %\): expected a non-negative number without a sign, found "\+3"$/);
});

/** The parser as it was before its fast path: split into lines, each checked on its own (parseTraceLine). */
function referenceParse(text: string, file: string): { cpu: number[]; mem: number[] } {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new TraceFormatError(file, 1, 'no samples; expected lines of "<cpu %> <memory %>"');
  const parsed = lines.map((line, i) => parseTraceLine(line, i + 1, file));
  return { cpu: parsed.map((p) => p[0]), mem: parsed.map((p) => p[1]) };
}

test('the fast path gives what the line-by-line parser gives: the same samples, or the same error', () => {
  const outcome = (f: () => { cpu: ArrayLike<number>; mem: ArrayLike<number> }): string => {
    try {
      const r = f();
      return JSON.stringify([Array.from(r.cpu), Array.from(r.mem)]);
    } catch (e) {
      if (!(e instanceof TraceFormatError)) throw e;
      return `error: ${e.message}`;
    }
  };
  // Lines from pieces that sit on both sides of every rule: numbers plain, signed, with exponents, huge or
  // above 400; separators of spaces, tabs and other white space; carriage returns; empty and extra columns.
  const num = fc.oneof(
    fc.constantFrom('0', '1', '5.103', '.5', '7.', '1e2', '4e2', '400', '400.0001', '401', '1e999', '+1', '-1', '1e-400', 'x', '1,5', '0x10', ''),
    fc.double({ min: 0, max: 500, noNaN: true }).map((v) => String(v)),
  );
  const space = fc.constantFrom(' ', '  ', '\t', ' \t', '\u00a0', '\f', '\r', '');
  const line = fc.tuple(space, num, space, num, space, fc.constantFrom('', '\r', ' 3', '\r\r')).map((parts) => parts.join(''));
  const text = fc.tuple(fc.array(line, { maxLength: 6 }), fc.constantFrom('', '\n', '\n\n', '\r\n')).map(([ls, end]) => ls.join('\n') + end);
  fc.assert(
    fc.property(text, (t) => {
      assert.equal(
        outcome(() => {
          const r = parseGcdTrace(t, 'f');
          return { cpu: r.cpuPercent, mem: r.memPercent };
        }),
        outcome(() => referenceParse(t, 'f')),
        JSON.stringify(t),
      );
    }),
    { numRuns: 5000, seed: 20261127 },
  );
  // The largest file: 16 MiB of the shortest lines.
  const big = '0 1\n'.repeat(4 * 1024 * 1024);
  const r = parseGcdTrace(big, 'big');
  assert.equal(r.memPercent.length, 4 * 1024 * 1024);
  assert.equal(r.memPercent[r.memPercent.length - 1], 1);
});
