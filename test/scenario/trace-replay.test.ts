// How a scenario's guests replay a trace: members of a group spread over the
// trace (trace.offset_step), the replay's speed (trace.interval) and its end
// (trace.at_end), as the guests' demand curves show them (docs/scenario.md,
// "Trace files").
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';
import { guestConfig } from '../../src/sim/guest-config.ts';
import { compileAnonProfile } from '../../src/guest/workload/anon.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { scenarioError } from './helpers.ts';

const GiB_PAGES = 262144;
const MIN_NS = 60e9;
const H_NS = 60 * MIN_NS;
const DAY_NS = 24 * H_NS;
const TRACE = 'data/gcd/vm_2781977153_4';

/** A scenario of one group of `count` guests of 1 GiB replaying `trace` with the extra keys of its trace block (", offset_step: 1h"). */
function group(count: number, extra = '', trace = TRACE): string {
  return (
    `duration: 10m\nhost:\n  memory: 64GiB\nguests:\n  - name: g\n    count: ${count}\n    memory: 1GiB\n` +
    `    workload:\n      anon: {profile: trace, trace: {file: ${trace}${extra}}}\n`
  );
}

/** Each guest's demand in pages at a time since its boot, as the simulator computes it. */
function demands(s: Scenario): ((tNs: number) => number)[] {
  return s.guests.map((g, i) => compileAnonProfile(guestConfig(g, i + 1, s).workload.anon, g.maxmemPages));
}

describe('trace.offset_step spreads the members of a group over the trace', () => {
  test("member k's demand at t is member 0's at t + k × offset_step (and offset shifts them all)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 30 * H_NS / 1e9 }),
        fc.integer({ min: 0, max: 2 * DAY_NS / 1e9 }),
        fc.array(fc.integer({ min: 0, max: 2 * DAY_NS }), { minLength: 1, maxLength: 8 }),
        (count, stepS, offsetS, times) => {
          const s = parseScenario(group(count, `, offset: ${offsetS}s, offset_step: ${stepS}s`), 'spread.yaml');
          const [first, ...rest] = demands(s);
          rest.forEach((d, i) => {
            const k = i + 1;
            for (const t of times) assert.equal(d(t), first(t + k * stepS * 1e9), `member ${k} at ${t} ns`);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  test('the members start one step apart in the trace; a step past its end wraps, as an offset does', () => {
    const s = parseScenario(group(4, ', offset: 2h, offset_step: 10h'), 'spread.yaml');
    assert.deepEqual(
      s.guests.map((g) => (g.workload.anon.profile === 'trace' ? g.workload.anon.offsetNs : null)),
      [2 * H_NS, 12 * H_NS, 22 * H_NS, 32 * H_NS],
    );
    const [first, , , fourth] = demands(s);
    // The trace is a day: 32 h in is 8 h in.
    const one = demands(parseScenario(group(1, ', offset: 8h'), 'one.yaml'))[0];
    for (const t of [0, 1e9, 17 * MIN_NS, 5 * H_NS]) assert.equal(fourth(t), one(t));
    assert.notEqual(fourth(0), first(0));
  });

  test('without offset_step (or with 0s) the members replay in lockstep, as before', () => {
    for (const extra of ['', ', offset_step: 0s']) {
      const ds = demands(parseScenario(group(3, `, offset: 3h${extra}`), 'lockstep.yaml'));
      for (const t of [0, 7 * MIN_NS, 20 * H_NS]) assert.deepEqual(ds.map((d) => d(t)), ds.map(() => ds[0](t)), extra);
    }
  });

  test('a single guest may have one: its only member starts at offset (a --grid over count needs no other file)', () => {
    const s = parseScenario(group(1, ', offset: 1h, offset_step: 2h'), 'one.yaml');
    assert.equal(s.guests[0].workload.anon.profile === 'trace' && s.guests[0].workload.anon.offsetNs, H_NS);
  });

  test('--set gives it as any other key', () => {
    const s = parseScenario(group(2), 'set.yaml', ['guests[0].workload.anon.trace.offset_step=6h', 'guests[0].workload.anon.trace.interval=30s']);
    assert.deepEqual(
      s.guests.map((g) => (g.workload.anon.profile === 'trace' ? [g.workload.anon.offsetNs, g.workload.anon.intervalNs] : null)),
      [[0, 30e9], [6 * H_NS, 30e9]],
    );
  });

  test('a launched group is spread too', () => {
    const text = `duration: 10m\nhost:\n  memory: 64GiB\ntimeline:\n  - at: 1m\n    launch: {name: l, count: 2, memory: 1GiB, workload: {anon: {profile: trace, trace: {file: ${TRACE}, offset_step: 6h}}}}\n`;
    const launched = parseScenario(text, 'launch.yaml').timeline.map((e) => (e.action.kind === 'launch' ? e.action.guest.workload.anon : null));
    assert.deepEqual(launched.map((a) => (a?.profile === 'trace' ? a.offsetNs : null)), [0, 6 * H_NS]);
  });

  test('offset_step is a duration: a negative one or a bare number is refused, naming the key', () => {
    const negative = scenarioError(() => parseScenario(group(2, ', offset_step: -1h'), 's.yaml'));
    assert.equal(negative.path, 'guests[0].workload.anon.trace.offset_step');
    assert.match(negative.problem, /cannot be negative/);
    const bare = scenarioError(() => parseScenario(group(2, ', offset_step: 60'), 's.yaml'));
    assert.equal(bare.path, 'guests[0].workload.anon.trace.offset_step');
    assert.match(bare.problem, /^expected a duration such as 1h/);
  });
});

describe('trace.interval sets how long each sample lasts in the replay', () => {
  test('the default is the data\'s own interval, 5m: a day of samples lasts a day', () => {
    const s = parseScenario(group(1), 'd.yaml');
    const anon = s.guests[0].workload.anon;
    assert.equal(anon.profile === 'trace' && anon.intervalNs, 5 * MIN_NS);
    const d = demands(parseScenario(group(1, ', interval: 5m'), 'i.yaml'))[0];
    const base = demands(s)[0];
    for (const t of [0, 1e9, 2.5 * MIN_NS, 7 * H_NS, DAY_NS + 1]) assert.equal(d(t), base(t));
  });

  test('demand at t with interval I is the 5-minute replay\'s at t × 5m / I: a day replayed in an hour', () => {
    const base = demands(parseScenario(group(1, ', offset: 2h'), 'base.yaml'))[0];
    fc.assert(
      fc.property(fc.constantFrom(12.5, 30, 60, 150, 600), fc.integer({ min: 0, max: 2 * H_NS }), (intervalS, t) => {
        const fast = demands(parseScenario(group(1, `, offset: 2h, interval: ${intervalS}s`), 'fast.yaml'))[0];
        assert.equal(fast(t), base((t * 300) / intervalS));
      }),
      { numRuns: 80 },
    );
  });

  test('offset and offset_step are on the trace\'s own clock: the same samples at any interval', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-trace-replay-'));
    writeFileSync(join(dir, 'three'), '0 10\n0 20\n0 40\n');
    const file = join(dir, 's.yaml');
    writeFileSync(file, group(2, ', offset: 5m, offset_step: 5m, interval: 1s', join(dir, 'three')));
    const [a, b] = demands(loadScenario(file));
    const pages = (percent: number): number => Math.round((percent * GiB_PAGES) / 100);
    // Member 0 starts at the second sample, member 1 at the third; each sample lasts 1 s, back to the first after the third.
    assert.deepEqual([0, 0.5e9, 1e9, 2e9, 3e9].map(a), [pages(20), pages(30), pages(40), pages(10), pages(20)]);
    assert.deepEqual([0, 1e9, 2e9].map(b), [pages(40), pages(10), pages(20)]);
  });

  test('an interval is at least 1ms, and long enough for the trace\'s largest step between two samples', () => {
    const zero = scenarioError(() => parseScenario(group(1, ', interval: 0s'), 's.yaml'));
    assert.equal(zero.path, 'guests[0].workload.anon.trace.interval');
    assert.equal(zero.problem, 'expected at least 1ms, found 0s');
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-trace-replay-'));
    // 0% to 100% of 1 GiB in one step: 262144 pages, at most 10000000 a second, so at least 26.2144 ms.
    writeFileSync(join(dir, 'jump'), '0 0\n0 100\n');
    const file = join(dir, 's.yaml');
    writeFileSync(file, group(1, ', interval: 26ms', join(dir, 'jump')));
    const fast = scenarioError(() => loadScenario(file));
    assert.equal(fast.path, 'guests[0].workload.anon.trace.interval');
    assert.equal(
      fast.problem,
      'expected at least 26.2144ms for the trace\'s largest step between two samples (the last and the first included), 100% of maxmem (1 GiB) scaled by 100%, found 26ms: the replay faults it in or frees it over one interval, at most 10,000,000 pages a second of one guest',
    );
    writeFileSync(file, group(1, ', interval: 27ms', join(dir, 'jump')));
    assert.doesNotThrow(() => loadScenario(file));
    // The step as read (0.3 − 0.1 is 0.19999999999999998 in binary), of a 4 TiB maxmem: 2147484 pages, 214.7484 ms.
    writeFileSync(join(dir, 'small'), '0 0.1\n0 0.3\n');
    writeFileSync(file, group(1, ', interval: 100ms', join(dir, 'small')).replace('memory: 1GiB', 'memory: 1GiB\n    maxmem: 4TiB'));
    assert.match(scenarioError(() => loadScenario(file)).problem, /^expected at least 214.7484ms for the trace's largest step between two samples \(the last and the first included\), 0.2% of maxmem \(4 TiB\) scaled by 100%, found 100ms: /);
  });
});

describe('trace.at_end: after the last sample, loop back to the first (default) or hold the last', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hypermem-trace-replay-'));
  writeFileSync(join(dir, 'three'), '0 10\n0 20\n0 40\n');
  const pages = (percent: number): number => Math.round((percent * GiB_PAGES) / 100);
  const load = (extra: string): ((tNs: number) => number)[] => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, group(2, extra, join(dir, 'three')));
    return demands(loadScenario(file));
  };

  test('hold keeps the last sample from the end of the trace on; loop (the default, or said) goes back to the first', () => {
    const [hold] = load(', interval: 1s, at_end: hold');
    assert.deepEqual([0, 1e9, 2e9, 2.5e9, 3e9, 1e12].map(hold), [pages(10), pages(20), pages(40), pages(40), pages(40), pages(40)]);
    for (const extra of ['', ', at_end: loop']) {
      const [loop] = load(`, interval: 1s${extra}`);
      assert.deepEqual([0, 2e9, 2.5e9, 3e9, 4e9].map(loop), [pages(10), pages(40), pages(25), pages(10), pages(20)], extra);
    }
  });

  test('with hold, an offset (or a member\'s step) past the end starts at the last sample', () => {
    const [first, second] = load(', interval: 1s, offset: 5m, offset_step: 1h, at_end: hold');
    assert.deepEqual([0, 1e9, 5e9].map(first), [pages(20), pages(40), pages(40)]);
    assert.deepEqual([0, 1e9].map(second), [pages(40), pages(40)]);
  });

  test('anything else is refused, naming the key and the choices', () => {
    const e = scenarioError(() => parseScenario(group(1, ', at_end: stop'), 's.yaml'));
    assert.equal(e.path, 'guests[0].workload.anon.trace.at_end');
    assert.match(e.problem, /^expected one of loop, hold, found "stop"/);
  });

  test('the interval\'s bound counts the step from the last sample back to the first only when the replay loops', () => {
    // Steps of 50% between samples, 100% from the last back to the first: 13.1072 ms at least when held, 26.2144 ms when looping.
    writeFileSync(join(dir, 'ramp'), '0 0\n0 50\n0 100\n');
    const file = join(dir, 'r.yaml');
    writeFileSync(file, group(1, ', interval: 20ms, at_end: hold', join(dir, 'ramp')));
    assert.doesNotThrow(() => loadScenario(file));
    writeFileSync(file, group(1, ', interval: 13ms, at_end: hold', join(dir, 'ramp')));
    assert.match(scenarioError(() => loadScenario(file)).problem, /^expected at least 13.1072ms for the trace's largest step between two samples, 50% of maxmem/);
    writeFileSync(file, group(1, ', interval: 20ms', join(dir, 'ramp')));
    assert.match(scenarioError(() => loadScenario(file)).problem, /^expected at least 26.2144ms for the trace's largest step between two samples \(the last and the first included\), 100% of maxmem/);
  });
});
