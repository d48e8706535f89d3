// Verify mode with spaced checks (verify: true, what `run --verify` uses):
// every event while a check costs no more than an event pays, spaced out on
// a larger state, always once at the end; a violation names the last clean
// check. The run itself is the same with or without checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from '../../src/cli/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import type { Guest } from '../../src/guest/guest.ts';
import { Simulation, VERIFY_UNITS_PER_EVENT, VERIFY_UNITS_PER_PAGE_OP, type RunOptions } from '../../src/sim/simulation.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tiny = `${root}test/sweep/tiny.yaml`;
/** tiny.yaml cut short, past its two launches (at 5 and 5.5 s). */
const SHORT = 'duration=7s';

interface Inside {
  slots: Map<string, { guest: Guest; domid: number }>;
  allSlots: { guest: Guest }[];
}

/** What a check costs now, as the pacer reckons it: the host's and the running guests'. */
function checkCost(sim: Simulation): number {
  let cost = sim.hv.checkCost();
  for (const slot of (sim as unknown as Inside).slots.values()) cost += slot.guest.checkCost();
  return cost;
}

/** Records the cost of each whole-structure check `sim` runs. */
function recordChecks(sim: Simulation): number[] {
  const costs: number[] = [];
  const violations = sim.hv.violations.bind(sim.hv);
  sim.hv.violations = () => {
    costs.push(checkCost(sim));
    return violations();
  };
  return costs;
}

/** A run of tiny.yaml counting the whole-structure checks and their costs; `sabotage(sim, simNs)` is called after each event. */
function counted(sets: string[], verify: RunOptions['verify'], sabotage?: (sim: Simulation, simNs: number) => void) {
  // The checkpoint is called from the constructor too (guests booting), before `made.sim` is set.
  const made: { sim?: Simulation } = {};
  const sim = new Simulation(load(tiny, [SHORT, ...sets]), { verify, onCheckpoint: (at) => made.sim !== undefined && sabotage?.(made.sim, at.simNs) });
  made.sim = sim;
  const costs = recordChecks(sim);
  const result = sim.run();
  let pageOps = 0;
  for (const slot of (sim as unknown as Inside).allSlots) pageOps += slot.guest.pageOps();
  return { result, checks: costs.length, costs, pageOps };
}

/** Breaks an invariant of guest web-1's domain (its tmem frames past its pages). */
function corrupt(sim: Simulation): void {
  const domid = (sim as unknown as Inside).slots.get('web-1')!.domid;
  sim.hv.domain(domid)!.pagesTmemFrames += 1_000_000;
}

describe('verify: spaced checks', () => {
  test('the run is the same with spaced checks, with a check after every event, and without checks', () => {
    const plain = counted([], false);
    const spaced = counted([], true);
    const every = counted([], 'every-event');
    assert.equal(plain.checks, 0);
    // The summary says how many checks ran (0: not checked); nothing else differs.
    assert.equal(plain.result.summary.invariant_checks, 0);
    assert.equal(spaced.result.summary.invariant_checks, spaced.checks);
    assert.equal(every.result.summary.invariant_checks, every.checks);
    assert.ok(spaced.checks > 0);
    assert.deepEqual({ ...spaced.result.summary, invariant_checks: 0 }, plain.result.summary);
    assert.deepEqual({ ...every.result.summary, invariant_checks: 0 }, plain.result.summary);
    assert.deepEqual(spaced.result.samples, plain.result.samples);
    assert.equal(every.checks, plain.result.summary.events, 'every-event: one check per event');
  });

  test('on a state larger than an event pays for, the checks thin out (and the last events are checked at the end)', () => {
    const { result, checks } = counted([], true);
    const events = result.summary.events;
    assert.equal(result.summary.invariant_violations, 0, result.violations.join('\n'));
    assert.ok(checks >= 2 && checks < events / 4, `${checks} checks for ${events} events`);
  });

  test('a small state is checked after every event', () => {
    // No tmem, one small guest at rest: a check costs less than the VERIFY_UNITS_PER_EVENT an event pays.
    const text = [
      'name: at-rest',
      'seed: 1',
      'duration: 3s',
      'sample_interval: 1s',
      'host: {memory: 256MiB}',
      'dom0: {memory: 64MiB}',
      'guests:',
      '  - name: quiet',
      '    memory: 4MiB',
      // A small file set too: a check walks every page's entry in the page cache, so the default 1 GiB set is not a small state.
      '    workload: {anon: {profile: constant, level: 10%}, files: {working_set: 1MiB}}',
    ].join('\n');
    const sim = new Simulation(parseScenario(text, 'at-rest.yaml'), { verify: true });
    const costs = recordChecks(sim);
    const result = sim.run();
    assert.ok(Math.max(...costs) <= VERIFY_UNITS_PER_EVENT, `a check costs up to ${Math.max(...costs)} units`);
    assert.equal(costs.length, result.summary.events);
  });

  test('a violation between two spaced checks names the check before, which found none', () => {
    let broke = -1;
    const { result } = counted([], true, (sim, simNs) => {
      if (broke < 0 && simNs >= 5e9) {
        corrupt(sim);
        broke = simNs;
      }
    });
    assert.ok(broke > 0);
    assert.ok(result.summary.invariant_violations > 0);
    const m = /^t=(\d+)ns after ([\w ]+?) \(the check before, at t=(\d+)ns after \w+, (\d+) events earlier, found none\): domain \d+: tmem frames/.exec(result.violations[0]);
    assert.ok(m !== null, result.violations[0]);
    assert.ok(Number(m[3]) <= broke && broke <= Number(m[1]), `broken at ${broke} ns, between the checks at ${m[3]} and ${m[1]}`);
    assert.ok(Number(m[4]) > 1);
  });

  test('after a check that found a violation, the next ones say so (not "found none")', () => {
    const once = (verify: RunOptions['verify'], at: number) => {
      let done = false;
      return counted([], verify, (sim, simNs) => {
        if (!done && simNs >= at) {
          corrupt(sim);
          done = true;
        }
      }).result;
    };
    // Every event checked: no message names a window.
    const every = once('every-event', 5e9);
    assert.ok(every.violations.length >= 2);
    for (const v of every.violations) assert.doesNotMatch(v, /the check before|first check/, v);
    // Spaced: broken early, seen by several checks; each after the first names the failed one before it.
    const spaced = once(true, 1e9);
    const firstAt = spaced.violations[0].split(' ')[0];
    const later = spaced.violations.filter((v) => !v.startsWith(`${firstAt} `));
    assert.ok(later.length >= 1, spaced.violations.join('\n'));
    for (const v of later) assert.match(v, /^t=\d+ns after [\w ]+( \(the check before, at t=\d+ns after \w+, \d+ events earlier, found violations too\))?: /, v);
    assert.ok(later.some((v) => v.includes('found violations too')));
  });

  test('a violation after the last spaced check is caught by the check at the end', () => {
    // A clean run says which events' checkpoints come after the last spaced check (no check runs after them until the end).
    const checksAt: number[] = [];
    let last = 0;
    const clean = counted([], true, (sim, simNs) => {
      checksAt.push((sim as unknown as { checkCount: number }).checkCount);
      last = simNs;
    });
    assert.equal(clean.result.summary.invariant_violations, 0);
    const spacedChecks = checksAt[checksAt.length - 1];
    const after = checksAt.indexOf(spacedChecks);
    assert.ok(after < checksAt.length - 1, 'some events after the last spaced check');
    assert.equal(clean.checks, spacedChecks + 1, 'one more check at the end');
    let call = 0;
    const { result } = counted([], true, (sim) => {
      if (call++ === after) corrupt(sim);
    });
    assert.ok(result.summary.invariant_violations > 0, 'seen');
    assert.match(result.violations[0], new RegExp(`^t=${last}ns after the last event`));
  });

  test('checking costs at most what the events paid', () => {
    const { result, costs, pageOps } = counted([], true);
    const paid = result.summary.events * VERIFY_UNITS_PER_EVENT + pageOps * VERIFY_UNITS_PER_PAGE_OP;
    // Every check but the one at the end was paid for by the events before it.
    const spent = costs.slice(0, -1).reduce((a, b) => a + b, 0);
    assert.ok(Math.min(...costs) > VERIFY_UNITS_PER_EVENT, 'the state is larger than an event pays for');
    assert.ok(spent <= paid, `checks cost ${spent} units, events paid ${paid}`);
    assert.ok(spent > paid / 4, `checks cost ${spent} units of the ${paid} paid: the pay is spent`);
  });
});
