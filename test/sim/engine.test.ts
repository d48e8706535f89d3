// Small runs of the event engine: what counts as having happened in a run
// (faults, bursts), and whose random numbers a guest draws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/load.ts';
import { EventBoundError, Simulation } from '../../src/sim/simulation.ts';

/** A quiet host of 16 GiB without tmem, one small guest, and the given timeline lines. */
function scenario(timeline: string[], extra: string[] = [], duration = '5s'): string {
  return [
    'name: engine',
    'seed: 3',
    `duration: ${duration}`,
    'sample_interval: 1s',
    'host: {memory: 16GiB}',
    'dom0: {memory: 1GiB}',
    'toolstack: {policy: claim, build_rate: 1GiB/s, build_batch: 64MiB}',
    'guests:',
    '  - name: alpha',
    '    memory: 512MiB',
    '    workload: {anon: {level: 20%, rate: 100/s}, files: {working_set: 64MiB, rate: 100/s}}',
    ...extra,
    ...(timeline.length === 0 ? [] : ['timeline:', ...timeline]),
    '',
  ].join('\n');
}

test('launch_bursts counts the bursts the run reached, not those of entries after its end', () => {
  const burst = ['  - at: 2s', '    launch: {name: a, memory: 1GiB}', '  - at: 2s', '    launch: {name: b, memory: 1GiB}'];
  const after = ['  - at: 10s', '    launch: {name: c, memory: 1GiB, count: 3}'];
  const count = (timeline: string[]) => new Simulation(parseScenario(scenario(timeline))).run().summary.faults.launch_bursts;
  assert.equal(count(after), 0, 'a burst after the run\'s end (5 s) did not happen');
  assert.equal(count([...burst, ...after]), 1);
  // A view of the run in slices shows the burst from its instant on, not before.
  const sim = new Simulation(parseScenario(scenario(burst)));
  sim.advance(1e9);
  assert.equal(sim.result().summary.faults.launch_bursts, 0, 'at 1 s the burst of 2 s is still to come');
  sim.advance(5e9);
  assert.equal(sim.result().summary.faults.launch_bursts, 1);
});

test('the run\'s last instant is duration: an entry at duration runs and the last sample shows it; the workload stops there', () => {
  const r = new Simulation(parseScenario(scenario(['  - at: 5s', '    launch: {name: late, memory: 1GiB}']))).run();
  const starts = r.events.filter((e) => e.kind === 'launch_start');
  assert.deepEqual(starts.map((e) => e.timeNs), [5e9]);
  assert.equal(r.summary.launches[0].outcome, 'building', 'its first batch is in, the run ended before the rest');
  const last = r.samples[r.samples.length - 1];
  assert.equal(last.timeNs, 5e9);
  assert.equal(last.outstandingPages, 262_144 - 16_384, 'the claim less the first 64 MiB batch');
  assert.equal(r.samples.filter((s) => s.timeNs === 5e9).length, 1);
});

test('max_events: a run of exactly max_events events ends normally; one that needs one more stops with EventBoundError (found by mutation testing)', () => {
  const text = scenario([]);
  const events = new Simulation(parseScenario(text)).run().summary.events;
  assert.ok(events > 50);
  assert.equal(new Simulation(parseScenario(text, '', [`max_events=${events}`])).run().summary.events, events);
  assert.throws(() => new Simulation(parseScenario(text, '', [`max_events=${events - 1}`])).run(), (e: unknown) => {
    assert.ok(e instanceof EventBoundError);
    assert.match(e.message, new RegExp(`bound of ${events - 1} events at 5 s of simulated time; raise max_events or shorten duration`));
    return true;
  });
});

test('the workload covers exactly [boot, duration) when duration is not a multiple of workload_tick, for a launched guest too (found by mutation testing)', () => {
  const text = [
    'name: ticks',
    'seed: 1',
    'duration: 1s',
    'workload_tick: 300ms',
    'host: {memory: 4GiB}',
    'dom0: {memory: 256MiB}',
    'toolstack: {policy: claim, build_rate: 1GiB/s, build_batch: 64MiB}',
    'guests:',
    '  - {name: g, memory: 256MiB, workload: {anon: {level: 10%, rate: 1000/s}, files: {working_set: 16MiB, rate: 1000/s}}}',
    'timeline:',
    '  - at: 100ms',
    '    launch: {name: l, memory: 64MiB, workload: {anon: {level: 10%, rate: 1000/s}, files: {working_set: 16MiB, rate: 1000/s}}}',
    '',
  ].join('\n');
  const sim = new Simulation(parseScenario(text));
  const r = sim.run();
  assert.equal(r.summary.launches[0].end_ns, 162_500_000, 'one 64 MiB batch at 1 GiB/s');
  const accesses = (sim as unknown as { allSlots: { spec: { name: string }; guest: { metrics(): { fileAccesses: number } } }[] }).allSlots.map((s) => [s.spec.name, s.guest.metrics().fileAccesses]);
  // 1000 accesses a second: g runs 1 s, l from 0.1625 s to 1 s.
  assert.deepEqual(accesses, [['g', 1000], ['l', 837]]);
});
