// Timeline entries and the summary counters they feed, each on a small run:
// what a mem_max, a tmem freeze or thaw, a destroy and a toolstack death do,
// and what they leave alone (found by mutation testing of the timeline).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { launchCount, unfinished } from '../../src/sim/metrics.ts';

/** A 2 GiB host with tmem (unless `tmem` is false), two small guests using it, a toolstack (claim by default), and the given timeline lines. */
function sim(timeline: string[], duration = '8s', policy = 'claim', tmem = true): Simulation {
  const text = [
    'name: timeline',
    'seed: 5',
    `duration: ${duration}`,
    'sample_interval: 1s',
    `host: {memory: 2GiB, hypervisor_reserve: 32MiB, tmem: {enabled: ${tmem}}}`,
    'dom0: {memory: 128MiB}',
    `toolstack: {policy: ${policy}, build_rate: 256MiB/s, build_batch: 16MiB}`,
    'guests:',
    '  - name: web',
    '    count: 2',
    '    memory: 256MiB',
    '    maxmem: 512MiB',
    '    swap: 128MiB',
    '    workload: {anon: {level: 30%, rate: 100/s}, files: {working_set: 32MiB, rate: 100/s}}',
    'timeline:',
    ...timeline,
    '',
  ].join('\n');
  return new Simulation(parseScenario(text, 'timeline.yaml'));
}

/** The tmem clients' frozen flags, by domid. */
function frozen(s: Simulation): Record<number, boolean> {
  const list = s.tmem!.control.list();
  assert.ok(list.ok);
  return Object.fromEntries(list.clients.map((c) => [c.domid, c.frozen]));
}

test('toolstack_dies naming a launch that already ended stops nothing and is not counted as a fault', () => {
  // big (256 MiB at 256 MiB/s) builds from 1 s to 2 s; the toolstack "dies" at 3 s.
  const r = sim(['  - at: 1s', '    launch: {name: big, memory: 256MiB}', '  - at: 3s', '    toolstack_dies: {guest: big}']).run();
  assert.equal(r.summary.faults.toolstack_deaths, 0);
  assert.deepEqual(r.summary.launches.map((l) => [l.name, l.outcome, l.end_ns]), [['big', 'ok', 2e9]]);
  const dies = r.events.filter((e) => e.kind === 'toolstack_dies');
  assert.deepEqual(dies.map((e) => [e.timeNs, e.guest, e.note]), [[3e9, 'big', 'no launch in progress']]);
  assert.equal(r.events.filter((e) => e.kind.startsWith('launch_') && e.kind !== 'launch_request' && e.kind !== 'launch_start').length, 1, 'the launch ended once');
});

test('tmem_freeze and tmem_thaw: of one guest, then of all; a thaw undoes a freeze', () => {
  const s = sim(['  - at: 2s', '    tmem_freeze: {guest: web-1}', '  - at: 3s', '    tmem_thaw: {guest: web-1}', '  - at: 4s', '    tmem_freeze: {all: true}', '  - at: 5s', '    tmem_thaw: {all: true}']);
  const [w1, w2] = s.liveGuests().map((g) => g.domid);
  s.advance(2e9);
  assert.deepEqual(frozen(s), { [w1]: true, [w2]: false });
  s.advance(3e9);
  assert.deepEqual(frozen(s), { [w1]: false, [w2]: false });
  s.advance(4e9);
  assert.deepEqual(frozen(s), { [w1]: true, [w2]: true });
  s.advance(5e9);
  assert.deepEqual(frozen(s), { [w1]: false, [w2]: false });
  const r = s.run();
  assert.deepEqual(
    r.events.filter((e) => e.kind.startsWith('tmem_')).map((e) => [e.kind, e.guest, e.ok]),
    [
      ['tmem_freeze', 'web-1', true],
      ['tmem_thaw', 'web-1', true],
      ['tmem_freeze', 'all', true],
      ['tmem_thaw', 'all', true],
    ],
  );
});

test('mem_max sets the domain\'s max_pages: the hypervisor and the time series show the new limit', () => {
  const s = sim(['  - at: 2s', '    mem_max: {guest: web-2, maxmem: 1GiB}']);
  const r = s.run();
  const web2 = s.liveGuests().find((g) => g.name === 'web-2')!;
  const info = s.hv.domainInfo(web2.domid);
  assert.ok(info.ok);
  assert.equal(info.max_pages, 262_144);
  assert.deepEqual(r.samples.map((row) => row.guests['web-2'].maxPages), [131_072, 131_072, 262_144, 262_144, 262_144, 262_144, 262_144, 262_144, 262_144]);
  assert.deepEqual(r.events.filter((e) => e.kind === 'mem_max').map((e) => [e.guest, e.maxmem_pages, e.ok]), [['web-2', 262_144, true]]);
});

test('faults.crashes counts crashes, not destroys: of a running guest, a launch building and a launch queued', () => {
  // reservation: a builds from 1 s to 3 s, b waits for it; at 2 s web-1, a and b all go.
  const timeline = (kind: string) => [
    '  - at: 1s',
    '    launch: {name: a, memory: 512MiB}',
    '  - at: 1s',
    '    launch: {name: b, memory: 64MiB}',
    ...['web-1', 'b', 'a'].flatMap((g) => ['  - at: 2s', `    ${kind}: {guest: ${g}}`]),
  ];
  const run = (kind: string) => sim(timeline(kind), '4s', 'reservation').run();
  const destroyed = run('destroy');
  assert.deepEqual(destroyed.summary.launches.map((l) => l.outcome), ['abandoned', 'abandoned']);
  assert.deepEqual(destroyed.events.filter((e) => e.kind === 'destroy').map((e) => e.guest), ['web-1', 'b', 'a']);
  assert.equal(destroyed.summary.faults.crashes, 0);
  assert.equal(run('crash').summary.faults.crashes, 3);
});

test('a run that ends with one launch building and one queued (reservation): both unfinished, end_ns -1, the queued one never started', () => {
  // a (512 MiB at 256 MiB/s) builds from 1 s to 3 s; b waits for it; the run ends at 2 s.
  const r = sim(['  - at: 1s', '    launch: {name: a, memory: 512MiB}', '  - at: 1s', '    launch: {name: b, memory: 64MiB}'], '2s', 'reservation').run();
  assert.deepEqual(
    r.summary.launches.map((l) => [l.name, l.outcome, l.request_ns, l.start_ns, l.end_ns, l.wasted_build_ns]),
    [
      ['a', 'building', 1e9, 1e9, -1, 0],
      ['b', 'queued', 1e9, -1, -1, 0],
    ],
  );
  assert.equal(launchCount(r.summary, unfinished), 2);
});

test('a launch stopped mid-build (toolstack death, crash) wastes no build time: wasted_build_ns counts only builds that ran out of memory', () => {
  for (const fault of ['toolstack_dies', 'crash']) {
    const r = sim(['  - at: 1s', '    launch: {name: big, memory: 512MiB}', '  - at: 2s', `    ${fault}: {guest: big}`]).run();
    assert.deepEqual(r.summary.launches.map((l) => [l.outcome, l.start_ns, l.end_ns, l.wasted_build_ns]), [['abandoned', 1e9, 2e9, 0]], fault);
  }
});

test('launch_bursts counts instants with two or more launches: not two launches at different instants', () => {
  const bursts = (timeline: string[]) => sim(timeline).run().summary.faults.launch_bursts;
  assert.equal(bursts(['  - at: 1s', '    launch: {name: a, memory: 64MiB}', '  - at: 2s', '    launch: {name: b, memory: 64MiB}']), 0);
  assert.equal(bursts(['  - at: 1s', '    launch: {name: a, memory: 64MiB, count: 3}', '  - at: 2s', '    launch: {name: b, memory: 64MiB, count: 2}']), 2);
});

test('reservation: the launch next in the queue is taken up after a destroy or crash of the one building has given its pages back', () => {
  // 1376 MiB free for launches: a (512 MiB) builds from 1 s and holds 256 MiB
  // at 2 s, when it goes; b (1200 MiB) waits for it, and fits once a's pages are back.
  for (const kind of ['destroy', 'crash']) {
    const timeline = ['  - at: 1s', '    launch: {name: a, memory: 512MiB}', '  - at: 1s', '    launch: {name: b, memory: 1200MiB}', '  - at: 2s', `    ${kind}: {guest: a}`];
    const r = sim(timeline, '8s', 'reservation', false).run();
    const b = r.summary.launches.find((l) => l.name === 'b');
    assert.deepEqual(b && [b.outcome, b.start_ns], ['ok', 2e9], JSON.stringify(r.events.find((e) => e.guest === 'b' && e.kind === 'launch_failed_fast')));
    assert.deepEqual(
      r.events.filter((e) => e.timeNs === 2e9 && e.kind !== 'oom').map((e) => `${e.kind} ${String(e.guest)}`),
      ['launch_abandoned a', `${kind} a`, 'launch_start b'],
    );
  }
});
