// Units of user input: sizes, percents, durations and rates, table-driven.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  bytesBeside,
  bytesToPages,
  formatBytes,
  formatNs,
  formatPages,
  parseCountPerS,
  parseDurationNs,
  parsePagesPerS,
  parsePercent,
  parseRate,
  parseSizeBytes,
  parseSizeOrPercent,
  pagesBeside,
  parseSizePages,
  UnitError,
} from '../../src/lib/units.ts';

const GiB = 2 ** 30;

/** Checks that `fn` throws a UnitError whose message matches. */
function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UnitError, `expected a UnitError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('sizes', () => {
  const good: [unknown, number][] = [
    ['0B', 0],
    ['1B', 1],
    ['4KiB', 4096],
    ['512MiB', 512 * 2 ** 20],
    ['64GiB', 64 * GiB],
    ['1.5GiB', 1.5 * GiB],
    ['0.5KiB', 512],
    ['.5KiB', 512],
    ['2TiB', 2 * 2 ** 40],
    ['  8 GiB ', 8 * GiB],
    ['-0B', 0],
  ];
  for (const [input, bytes] of good) {
    test(`${JSON.stringify(input)} is ${bytes} bytes`, () => assert.equal(parseSizeBytes(input), bytes));
  }
  const bad: [unknown, RegExp][] = [
    ['12 parsecs', /^expected a size such as 64GiB or 512MiB, found "12 parsecs" \(units: B, KiB, MiB, GiB, TiB\)$/],
    [4096, /found 4096 \(a bare number: say the unit\)$/],
    ['4096', /found "4096" \(a bare number: say the unit\)$/],
    ['64GB', /\(only IEC units: GiB\)$/],
    ['64gib', /\(units are case-sensitive: GiB\)$/],
    ['-4GiB', /\(a size cannot be negative\)$/],
    ['0.1KiB', /\(not a whole number of bytes\)$/],
    ['1.0000000001B', /\(not a whole number of bytes\)$/],
    ['9999999TiB', /\(too large\)$/],
    ['1e3GiB', /found "1e3GiB"/],
    ['', /found ""$/],
    [null, /found nothing$/],
    [true, /found true$/],
    [['1GiB'], /found a list$/],
    [{ a: 1 }, /found a mapping$/],
    ['constructorB', /found "constructorB"/],
    ['1'.repeat(100_000) + 'GiB', /^expected a size such as 64GiB or 512MiB, found "1{57}…"$/],
    ['0.' + '0'.repeat(100_000) + '1B', /found "0\.0{55}…"$/],
  ];
  for (const [input, message] of bad) {
    test(`${JSON.stringify(input).slice(0, 40)} is refused`, () => {
      refuses(() => parseSizeBytes(input), message);
    });
  }
  test('the example in the message is the caller’s', () => {
    assert.throws(() => parseSizeBytes('4 gigs', '4GiB'), { message: 'expected a size such as 4GiB, found "4 gigs" (units: B, KiB, MiB, GiB, TiB)' });
    assert.throws(() => parseSizeBytes('1GiB 512MiB', '4GiB'), { message: 'expected a size such as 4GiB, found "1GiB 512MiB" (one number and one unit: 1536MiB)' });
  });
  test('pages round down', () => {
    assert.equal(bytesToPages(4095), 0);
    assert.equal(bytesToPages(4096), 1);
    assert.equal(bytesToPages(8191), 1);
    assert.equal(parseSizePages('64GiB'), 16 * 2 ** 20);
    assert.equal(parseSizePages('6KiB'), 1);
  });
  test('a size or a percent', () => {
    assert.deepEqual(parseSizeOrPercent('10%'), { percent: 10 });
    assert.deepEqual(parseSizeOrPercent('1MiB'), { pages: 256 });
    assert.throws(() => parseSizeOrPercent('10', '64MiB or 2%'), { message: 'expected a size or a percent such as 64MiB or 2%, found "10" (a bare number: say the unit)' });
  });
});

describe('percents', () => {
  const good: [string, number][] = [['40%', 40], ['0%', 0], ['12.5%', 12.5], ['100%', 100], ['150%', 150], [' 7 %', 7]];
  for (const [input, value] of good) test(`${input} is ${value}`, () => assert.equal(parsePercent(input), value));
  const bad: [unknown, RegExp][] = [
    [40, /^expected a percent such as 40%, found 40 \(say %\)$/],
    ['40', /found "40"$/],
    ['-5%', /cannot be negative/],
    ['forty%', /found "forty%"/],
  ];
  for (const [input, message] of bad) {
    test(`${JSON.stringify(input)} is refused`, () => refuses(() => parsePercent(input), message));
  }
});

describe('durations', () => {
  const good: [string, number][] = [
    ['250ms', 250e6],
    ['5s', 5e9],
    ['1.5s', 1.5e9],
    ['30m', 30 * 60e9],
    ['24h', 24 * 3600e9],
    ['0s', 0],
    ['0.000001ms', 1],
  ];
  for (const [input, ns] of good) test(`${input} is ${ns} ns`, () => assert.equal(parseDurationNs(input), ns));
  const bad: [unknown, RegExp][] = [
    ['10 minutes', /^expected a duration such as 5s or 250ms, found "10 minutes" \(units: ms, s, m, h\)$/],
    [10, /\(a bare number: say the unit\)$/],
    ['5S', /case-sensitive: s/],
    ['-1s', /cannot be negative/],
    ['0.0000001ms', /not a whole number of nanoseconds/],
    ['999999999h', /too large/],
    // Several quantities: the one they add up to, in the largest unit that keeps it whole.
    ['7m30s', /^expected a duration such as 5s or 250ms, found "7m30s" \(one number and one unit: 450s\)$/],
    ['1h 30m', /\(one number and one unit: 90m\)$/],
    ['2h60m', /\(one number and one unit: 3h\)$/],
    ['1s500ms', /\(one number and one unit: 1500ms\)$/],
    ['0m0s', /\(one number and one unit: 0ms\)$/],
    ['1.5m30s', /\(one number and one unit: 2m\)$/],
    // Not a sum of known units: no such hint.
    ['7m30x', /found "7m30x"$/],
    ['7m-30s', /found "7m-30s"$/],
    // No unit keeps the sum whole (there is no ns): a decimal of the smallest, not an internal error.
    ['1m 0.5ms', /\(one number and one unit: 60000\.5ms\)$/],
    ['0.1ms 1ms', /\(one number and one unit: 1\.1ms\)$/],
    // A number without its leading 0, as one quantity may be written (.5h).
    ['.5h 30m', /\(one number and one unit: 1h\)$/],
  ];
  for (const [input, message] of bad) {
    test(`${JSON.stringify(input)} is refused`, () => refuses(() => parseDurationNs(input), message));
  }
  test('several quantities are refused with a hint that is their sum, whatever the quantities', () => {
    const unitNs: Record<string, number> = { ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
    const quantity = fc.record({ whole: fc.integer({ min: 0, max: 999 }), tenths: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), unit: fc.constantFrom('ms', 's', 'm', 'h') });
    fc.assert(
      fc.property(fc.array(quantity, { minLength: 2, maxLength: 4 }), fc.constantFrom('', ' '), (parts, gap) => {
        const text = parts.map((q) => `${q.whole}${q.tenths === undefined ? '' : `.${q.tenths}`}${q.unit}`).join(gap);
        const totalNs = parts.reduce((a, q) => a + (q.whole * 10 + (q.tenths ?? 0)) * (unitNs[q.unit] / 10), 0);
        let message = '';
        refuses(() => parseDurationNs(text), /^expected a duration/);
        try {
          parseDurationNs(text);
        } catch (e) {
          message = (e as Error).message;
        }
        const hint = /\(one number and one unit: ([^)]*)\)$/.exec(message);
        assert.ok(hint !== null, `no hint for ${text}: ${message}`);
        assert.equal(parseDurationNs(hint[1]), totalNs, `${text} → ${hint[1]}`);
      }),
    );
  });
});

describe('rates', () => {
  test('sizes per second are pages per second, rounding down', () => {
    assert.deepEqual(parseRate('2GiB/s'), { kind: 'pages', perS: 524288 });
    assert.equal(parsePagesPerS('4GiB/s'), 1048576);
    assert.equal(parsePagesPerS('6KiB/s'), 1);
  });
  test('counts per second', () => {
    assert.deepEqual(parseRate('20000/s'), { kind: 'count', perS: 20000 });
    assert.equal(parseCountPerS('0.5/s'), 0.5);
    assert.equal(parseCountPerS('80MiB/s'), 20480, 'a size rate counts pages');
  });
  const bad: [unknown, RegExp][] = [
    ['4GiB', /^expected a rate such as 2GiB\/s or 20000\/s, found "4GiB"$/],
    [20000, /\(say \/s\)$/],
    ['-1/s', /cannot be negative/],
    ['2GB/s', /only IEC units/],
    ['fast/s', /found "fast\/s"/],
  ];
  for (const [input, message] of bad) {
    test(`${JSON.stringify(input)} is refused`, () => refuses(() => parseRate(input), message));
  }
  test('a data rate needs a size unit', () => {
    refuses(() => parsePagesPerS('20000/s'), /expected a rate such as 4GiB\/s, found "20000\/s" \(say the size unit\)/);
  });
});

describe('white space and signs in a quantity', () => {
  test('one space or tab between number and unit, and a leading +, are accepted; other white space is not', () => {
    assert.equal(parseSizeBytes('64 GiB'), 64 * GiB);
    assert.equal(parseSizeBytes('2\tGiB'), 2 * GiB);
    assert.equal(parseSizeBytes('+2GiB'), 2 * GiB);
    for (const bad of ['2\u00a0GiB', '2\u2028GiB', '2  GiB', '2\nGiB']) assert.throws(() => parseSizeBytes(bad), UnitError, JSON.stringify(bad));
  });
});

describe('formatting', () => {
  const sizes: [number, string][] = [[0, '0 B'], [1023, '1023 B'], [4096, '4 KiB'], [64 * GiB, '64 GiB'], [1.5 * GiB, '1.5 GiB']];
  for (const [bytes, text] of sizes) test(`${bytes} bytes is ${text}`, () => assert.equal(formatBytes(bytes), text));
  // Pages of memory: none at all is "0 MiB", as the reports and the terminal write it; a file of 0 bytes stays "0 B".
  const pages: [number, string][] = [[0, '0 MiB'], [1, '4 KiB'], [256, '1 MiB'], [1200, '4.69 MiB'], [262144, '1 GiB']];
  for (const [n, text] of pages) test(`${n} pages is ${text}`, () => assert.equal(formatPages(n), text));
  const times: [number, string][] = [[0, '0s'], [300e9, '5m'], [250e6, '250ms'], [1500, '0.0015ms'], [26214400, '26.2144ms'], [3600e9, '1h']];
  for (const [ns, text] of times) test(`${ns} ns is ${text}`, () => assert.equal(formatNs(ns), text));

  test('a size beside the limit it is compared with never reads like it unless equal', () => {
    assert.deepEqual(bytesBeside(2 * GiB, GiB), ['2 GiB', '1 GiB'], 'rounded when they read differently');
    assert.deepEqual(bytesBeside(GiB, GiB), ['1 GiB', '1 GiB'], 'equal sizes read alike');
    // Both exact, in the largest unit dividing both.
    assert.deepEqual(bytesBeside(1025 * GiB, 1024 * GiB), ['1025 GiB', '1024 GiB']);
    assert.deepEqual(bytesBeside(2 * GiB + 4096, 2 * GiB), ['2097156 KiB', '2097152 KiB']);
    assert.deepEqual(bytesBeside(4 * 2 ** 20 + 91, 4 * 2 ** 20), ['4194395 B', '4194304 B']);
    assert.deepEqual(bytesBeside(1.5 * GiB + 0.5, 1.5 * GiB), ['1610612736.5 B', '1610612736 B'], 'not a whole number: no BigInt, no throw');
    assert.deepEqual(pagesBeside(262145, 262144), ['1048580 KiB', '1048576 KiB']);
    assert.deepEqual(pagesBeside(0, 1), ['0 MiB', '4 KiB']);
    // Whatever the pair, the two texts differ when the sizes do.
    for (let i = 0; i < 2000; i++) {
      const limit = Math.floor((i * 7919 * 4096) / 3) + 1;
      const value = limit + (i % 5) + 1;
      const [a, b] = bytesBeside(value, limit);
      assert.notEqual(a, b, `${value} beside ${limit}`);
    }
  });
});
