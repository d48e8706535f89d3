// Whole-simulation tests: determinism, verify mode (every invariant after
// every event) on every bundled example and on a small race with faults, and
// the claim race under each policy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from '../../src/cli/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { compareReportHtml, runStory } from '../../src/report/html.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const claimRace = `${root}examples/claim-race.yaml`;
const raceSmall = `${root}test/sim/race-small.yaml`;

/** Thins every group's workload so a run is quick; the memory story (demand, ballooning, launches) is unchanged. */
function thin(file: string): string[] {
  const groups = new Set(load(file, []).guests.map((g) => g.group)).size;
  const sets: string[] = [];
  for (let i = 0; i < groups; i++) sets.push(`guests[${i}].workload.files.rate=100/s`, `guests[${i}].workload.anon.rate=100/s`);
  return sets;
}

/** The claim race, shortened: launches at 60-62 s have all ended by 75 s. */
const shortRace = ['duration=75s', ...thin(claimRace)];

function run(file: string, sets: string[], seed?: number, verify = false) {
  return new Simulation(load(file, sets, seed), { verify: verify ? 'every-event' : false }).run();
}

/** A small scenario's head (name to toolstack); the guests and timeline follow. */
function tiny(o: { name: string; duration: string; sample: string; tick?: string; memory: string; tmem: boolean; policy?: string }): string {
  return [
    `name: ${o.name}`,
    'seed: 1',
    `duration: ${o.duration}`,
    `sample_interval: ${o.sample}`,
    ...(o.tick === undefined ? [] : [`workload_tick: ${o.tick}`]),
    `host: {memory: ${o.memory}, hypervisor_reserve: 32MiB, tmem: {enabled: ${o.tmem}}}`,
    'dom0: {memory: 128MiB}',
    `toolstack: {policy: ${o.policy ?? 'claim'}, build_rate: 256MiB/s, build_batch: 16MiB}`,
    '',
  ].join('\n');
}

describe('simulation', () => {
  test('a guest that ends at the run\'s last instant: its values are kept in the last row, marked ended, and a comparison does not count it as running', () => {
    // duration a multiple of the interval (the crash row is replaced by the sample), and not (by the end of the run).
    for (const duration of ['10s', '12s']) {
      const sets = [`duration=${duration}`, `timeline[3].at=${duration}`];
      const scenario = load(`${root}test/sim/ends.yaml`, sets);
      const r = new Simulation(scenario).run();
      const last = r.samples[r.samples.length - 1];
      assert.equal(last.timeNs, scenario.durationNs, duration);
      assert.equal(r.samples.filter((x) => x.timeNs === scenario.durationNs).length, 1, 'one row per instant');
      const web2 = last.guests['web-2'];
      const summary = r.summary.guests.find((g) => g.name === 'web-2');
      assert.ok(web2 !== undefined && summary !== undefined);
      assert.equal(web2.ended, true);
      assert.equal(last.guests['web-1'].ended, undefined);
      assert.deepEqual([web2.fileReads, web2.cleancacheGets], [summary.disk.file_reads, summary.cleancache.gets]);
      const html = compareReportHtml([{ label: 'a', scenario, result: r }, { label: 'b', scenario, result: r }]);
      const running = Object.values(last.guests).filter((g) => g.ended !== true).length;
      assert.ok(html.includes(`${running} guests with `), `${duration}: ${running} guests running at the end`);
      assert.ok(!html.includes(`${running + 1} guests with `));
    }
  });

  test('dom0, a guest and a launch larger than one memory op (256 GiB of extents) are populated in several calls', () => {
    const text = [
      'duration: 1s',
      'host: {memory: 1TiB}',
      'dom0: {memory: 300GiB}',
      'toolstack: {build_rate: 1TiB/s, build_batch: 300GiB}',
      'guests:',
      '  - name: g',
      '    memory: 300GiB',
      '    workload: {anon: {profile: constant, level: 1%}, files: {working_set: 1GiB, rate: 1000/s}}',
      'timeline:',
      '  - at: 0s',
      '    launch: {name: big, memory: 300GiB}',
    ].join('\n');
    const r = new Simulation(parseScenario(text, 'big.yaml'), { verify: false }).run();
    assert.deepEqual(
      r.summary.launches.map((l) => [l.name, l.outcome]),
      [['big', 'ok']],
    );
    assert.equal(r.summary.guests[0].ram_pages_mean, 300 * 262144);
    assert.equal(r.summary.invariant_violations, 0);
  });

  test('a guest that ends between samples has a last row with its final counters; the rows add up to the summary', () => {
    const r = new Simulation(load(`${root}test/sim/ends.yaml`, [])).run();
    const times = r.samples.map((x) => x.timeNs / 1e9);
    // Every 5 s, the end of the run, and a row at each end (destroy at 6.5 s, crash at 7 s).
    assert.deepEqual(times, [0, 5, 6.5, 7, 10, 15, 20, 22]);
    for (const g of r.summary.guests) {
      const rows = r.samples.filter((x) => x.guests[g.name] !== undefined);
      assert.ok(rows.length > 0, `${g.name} has a row`);
      const lastRow = rows[rows.length - 1].guests[g.name];
      assert.deepEqual(
        [lastRow.cleancacheGets, lastRow.cleancacheHits, lastRow.fileReads, lastRow.fileWrites, lastRow.swapReads, lastRow.swapWrites],
        [g.cleancache.gets, g.cleancache.hits, g.disk.file_reads, g.disk.file_writes, g.disk.swap_reads, g.disk.swap_writes],
        `${g.name}: the last row is the summary`,
      );
    }
    const big1 = r.samples.filter((x) => x.guests['big-1'] !== undefined).map((x) => x.timeNs / 1e9);
    assert.deepEqual(big1, [6.5], 'big-1 lived between two samples: its end is its one row');
    assert.equal(r.samples.filter((x) => x.guests['web-2'] !== undefined).at(-1)?.timeNs, 7e9);
    // What the charts add up (each row's growth over the one before) is the summary's total.
    let reads = 0;
    for (let i = 0; i < r.samples.length; i++) {
      for (const [name, g] of Object.entries(r.samples[i].guests)) {
        const before = i === 0 ? undefined : r.samples[i - 1].guests[name];
        reads += before === undefined ? g.fileReads : g.fileReads - before.fileReads;
      }
    }
    assert.equal(reads, r.summary.guests.reduce((sum, g) => sum + g.disk.file_reads, 0));
  });

  test('the same seed gives byte-identical --json output; another seed gives another', () => {
    const cli = (seed: string) => {
      const r = spawnSync(process.execPath, [`${root}bin/hypermem.js`, 'run', raceSmall, '--json', '--seed', seed], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const a = cli('5');
    assert.equal(a, cli('5'));
    assert.notEqual(a, cli('6'));
    assert.equal(JSON.parse(a).seed, 5);
  });

  test('a run in slices (advance) is the same run as run(): summary, samples and events, byte for byte', () => {
    const whole = JSON.stringify(run(raceSmall, []));
    const scenario = load(raceSmall, []);
    const sim = new Simulation(scenario);
    // Uneven slices, some shorter than an event's spacing, some ending exactly on an event.
    const cuts = [0, 1, 999_999_999, 1e9, 1_234_567_891, 3e9, 3e9, 7_500_000_000];
    for (const t of cuts) assert.equal(sim.advance(t), false, `over at ${t} ns`);
    const midway = sim.result();
    assert.equal(midway.summary.sim_time_ns, sim.simulatedNs, 'the summary so far says the time reached');
    assert.ok(sim.simulatedNs > 6e9 && sim.simulatedNs <= 7.5e9, `time reached ${sim.simulatedNs}`);
    assert.ok(midway.samples.length > 0 && midway.samples[midway.samples.length - 1].timeNs <= 7_500_000_000);
    let t = 7_500_000_000;
    while (!sim.advance(t)) t += 2_345_678_901;
    assert.equal(sim.done, true);
    assert.equal(sim.advance(t + 1e9), true, 'advancing after the end does nothing');
    assert.equal(JSON.stringify(sim.result()), whole);
  });

  test('claim-race under claim: every launch fails fast or completes, whatever the seed', () => {
    for (const seed of [1, 42, 1000]) {
      const outcomes = run(claimRace, [...shortRace, 'toolstack.policy=claim'], seed).summary.launches.map((l) => l.outcome);
      assert.equal(outcomes.length, 3);
      assert.ok(outcomes.every((o) => o === 'ok' || o === 'failed_fast'), `seed ${seed}: ${outcomes.join(', ')}`);
    }
    for (let seed = 1; seed <= 12; seed++) {
      const outcomes = run(raceSmall, ['toolstack.policy=claim'], seed).summary.launches.map((l) => l.outcome);
      assert.ok(outcomes.every((o) => o === 'ok' || o === 'failed_fast'), `race-small seed ${seed}: ${outcomes.join(', ')}`);
    }
  });

  test('claim-race under none: at least one launch fails midway with the default seed, wasting build time', () => {
    const { summary } = run(claimRace, [...shortRace, 'toolstack.policy=none']);
    const midway = summary.launches.filter((l) => l.outcome === 'failed_midway');
    assert.ok(midway.length >= 1, JSON.stringify(summary.launches));
    assert.ok(midway.every((l) => l.wasted_build_ns > 0));
  });

  test('claim-race under reservation: launches are serialised and still race with the guests', () => {
    const { summary } = run(claimRace, [...shortRace, 'toolstack.policy=reservation']);
    const [first, second] = summary.launches;
    assert.ok(second.start_ns >= first.end_ns, 'the second launch starts when the first ends');
    assert.ok(summary.launches.some((l) => l.outcome === 'failed_midway'), JSON.stringify(summary.launches));
  });

  test('verify mode: no violation on a small race with launches and faults, under every policy', () => {
    for (const policy of ['none', 'claim', 'reservation']) {
      const result = run(raceSmall, [`toolstack.policy=${policy}`, 'duration=22s', 'workload_tick=500ms'], undefined, true);
      assert.equal(result.summary.invariant_violations, 0, `${policy}: ${result.violations.join('\n')}`);
      assert.equal(result.summary.launches.length, 3);
      assert.equal(result.summary.faults.crashes, 1);
    }
  });

  test('verify mode finds no violation on any bundled example (first 2 simulated seconds)', () => {
    const examples = readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml') && f !== '1tib-host.yaml');
    assert.ok(examples.length >= 4, examples.join(', '));
    for (const f of examples) {
      const file = `${root}examples/${f}`;
      // Cut the run to its first 2 s (and the timeline with it) after loading.
      const scenario = load(file, ['sample_interval=1s', 'workload_tick=100ms', ...thin(file)]);
      scenario.durationNs = 2e9;
      scenario.timeline = scenario.timeline.filter((e) => e.atNs <= scenario.durationNs);
      const result = new Simulation(scenario, { verify: 'every-event' }).run();
      assert.equal(result.summary.invariant_violations, 0, `${f}: ${result.violations.join('\n')}`);
      assert.ok(result.summary.events > 0);
    }
  });

  test('frontswap self-shrinking runs without self-ballooning (xen_selfballoon_init schedules the worker for either)', () => {
    const yaml = (shrink: boolean) => `duration: 60s
host: {memory: 2GiB, tmem: {enabled: true}}
dom0: {memory: 128MiB}
guests:
  - name: g
    memory: 256MiB
    maxmem: 512MiB
    swap: 512MiB
    selfballoon: {enabled: false, selfshrinking: ${shrink}}
    workload:
      anon: {profile: spikes, level: 30%, rate: 200/s, spikes: {peak: 95%, every: 20s, length: 4s}}
      files: {working_set: 64MiB, rate: 200/s}
`;
    const shrunk = (shrink: boolean) => {
      const sim = new Simulation(parseScenario(yaml(shrink), 'shrink.yaml'), {});
      sim.run();
      const m = sim.liveGuests()[0].metrics;
      assert.ok(m.frontswap.stores > 0, 'the spikes swap into frontswap');
      return m.frontswap.selfShrunkPages;
    };
    assert.ok(shrunk(true) > 0, 'pages pulled back by self-shrinking alone');
    assert.equal(shrunk(false), 0);
  });

  test('a guest\'s random numbers are its own: guests booted before it, and a launch that boots or fails, leave its figures alone', () => {
    // No tmem, no ballooning, room for everyone: the guests share nothing, so
    // guest b's (and c's) figures can only move if its random stream does.
    const workload = (level: string) =>
      `{anon: {profile: spikes, level: ${level}, rate: 3000/s, spikes: {peak: 95%, every: 4s, length: 1s, jitter: 2s}}, files: {working_set: 128MiB, rate: 5000/s, zipf: 0.8, write_share: 10%}}`;
    const guest = (name: string, level: string) => `  - {name: ${name}, memory: 256MiB, swap: 256MiB, workload: ${workload(level)}}\n`;
    // c is launched after big, which boots or fails: c's stream must not depend on it.
    const text = (before: string, launch: string) =>
      `${tiny({ name: 'streams', duration: '12s', sample: '4s', memory: '2GiB', tmem: false })}guests:\n${before}${guest('b', '40%')}timeline:\n` +
      `  - at: 2s\n    launch: {name: big, memory: ${launch}}\n  - at: 3s\n    launch: {name: c, memory: 256MiB, swap: 256MiB, workload: ${workload('40%')}}\n`;
    const figures = (before: string, launch: string) => {
      const r = new Simulation(parseScenario(text(before, launch), 'streams.yaml')).run();
      const of = (name: string) => {
        const g = r.summary.guests.find((x) => x.name === name);
        assert.ok(g !== undefined, name);
        return JSON.stringify(g).replace(/"domid":\d+,?/, '');
      };
      assert.equal(r.summary.launches[1].outcome, 'ok', 'c boots');
      return { launched: r.summary.launches[0].outcome, b: of('b'), c: of('c') };
    };
    const alone = figures('', '256MiB');
    assert.equal(alone.launched, 'ok');
    assert.match(alone.b, /"swap_writes":[1-9]/, 'b swaps: its figures depend on its random draws');
    assert.match(alone.c, /"swap_writes":[1-9]/, 'c swaps: its figures depend on its random draws');
    // Another guest booted first (with different demand), and a launch too big to fit: b's and c's figures are the same.
    const crowded = figures(guest('a', '60%'), '8GiB');
    assert.equal(crowded.launched, 'failed_fast');
    assert.equal(crowded.b, alone.b);
    assert.equal(crowded.c, alone.c);
    // The launch alone, booting or failing, leaves c where it was.
    assert.equal(figures('', '8GiB').c, alone.c);
    // Another seed does move them (the check above compares something).
    const other = new Simulation(parseScenario(text('', '256MiB').replace('seed: 1', 'seed: 2'), 'streams.yaml')).run();
    assert.notEqual(JSON.stringify(other.summary.guests.find((g) => g.name === 'b')).replace(/"domid":\d+,?/, ''), alone.b);
  });

  test('a host without tmem: a guest set up for frontswap still self-balloons, its pool refused (ENODEV) and its swap on the disk', () => {
    const text = (flags: string) => `${tiny({ name: 'notmem', duration: '40s', sample: '5s', memory: '2GiB', tmem: false })}guests:
  - name: g
    memory: 512MiB
    swap: 512MiB
${flags}    selfballoon: {enabled: true}
    workload:
      anon: {profile: spikes, level: 30%, rate: 200/s, spikes: {peak: 90%, every: 15s, length: 3s}}
      files: {working_set: 64MiB, rate: 200/s}
`;
    const set = new Simulation(parseScenario(text('    frontswap: true\n    cleancache: true\n'), 'notmem.yaml')).run();
    const g = set.summary.guests[0];
    assert.equal(g.frontswap.stores, 0);
    assert.ok(g.disk.swap_writes > 0, 'the guest swapped');
    assert.equal(g.frontswap.rejects, g.disk.swap_writes, 'every store refused, written to the disk');
    assert.equal(g.cleancache.puts + g.cleancache.gets, 0, 'cleancache has no pool');
    assert.ok(g.ram_pages_mean < 131072, `self-ballooning ran: mean RAM ${g.ram_pages_mean} pages below 512 MiB`);
    const start = set.events.find((e) => e.kind === 'guest_start');
    assert.equal(start?.tmem, 'ENODEV');
    assert.match(runStory(set.summary, set.events), /; 1 guest is set up for tmem on a host without it \(g\): its tmem pools were refused \(ENODEV\), so frontswap stores went to the swap disk and cleancache kept nothing\.$/);
    // By default a guest's frontswap follows the host's tmem: off, so is self-ballooning (xen_tmem_init), and nothing is refused.
    const plain = new Simulation(parseScenario(text(''), 'notmem.yaml')).run();
    const p = plain.summary.guests[0];
    assert.equal(p.frontswap.rejects, 0);
    assert.equal(p.ram_pages_mean, 131072, 'no self-ballooning');
    const plainStart = plain.events.find((e) => e.kind === 'guest_start');
    assert.equal(plainStart?.tmem, undefined);
    assert.doesNotMatch(runStory(plain.summary, plain.events), /ENODEV/);
    // Its selfballoon.enabled did nothing: the event and the report's sentence say so.
    assert.equal(plainStart?.selfballoon, 'off: no frontswap');
    assert.match(
      runStory(plain.summary, plain.events),
      /; 1 guest has selfballoon\.enabled without frontswap \(g\): self-ballooning needs the guest's frontswap \(which follows the host's tmem unless set\), so it did not self-balloon\.$/,
    );
    assert.equal(set.events.find((e) => e.kind === 'guest_start')?.selfballoon, undefined, 'with frontswap set, it self-balloons');
    assert.doesNotMatch(runStory(set.summary, set.events), /selfballoon/);
    // A comparison's line for each variant says it too.
    const sc = parseScenario(text(''), 'notmem.yaml');
    const cmp = compareReportHtml([{ label: 'set up', scenario: sc, result: set }, { label: 'plain', scenario: sc, result: plain }]);
    assert.match(cmp, /<li><b>set up<\/b>: [^<]*, 1 guest set up for tmem on a host without it \(tmem pools refused: their frontswap stores went to the disk\)\.<\/li>/);
    assert.doesNotMatch(cmp, /<li><b>plain<\/b>: [^<]*set up for tmem/);
    assert.match(cmp, /<li><b>plain<\/b>: [^<]*, 1 guest with selfballoon\.enabled but no frontswap \(not self-ballooning\)\.<\/li>/);
    assert.doesNotMatch(cmp, /<li><b>set up<\/b>: [^<]*selfballoon/);
  });

  test('reservation: a launch asked for during the last batch of another waits until that memory is in', () => {
    const text = `${tiny({ name: 'res', duration: '3s', sample: '500ms', memory: '2GiB', tmem: true, policy: 'reservation' })}guests:
  - {name: g, memory: 256MiB, maxmem: 256MiB, swap: 64MiB}
timeline:
  - {at: 0s, launch: {name: a, memory: 256MiB}}
  - {at: 950ms, launch: {name: b, memory: 256MiB}}
`;
    const r = new Simulation(parseScenario(text, 'res.yaml'), {}).run();
    const [a, b] = r.summary.launches;
    assert.equal(a.outcome, 'ok');
    // 256 MiB at 256 MiB/s in 16 MiB batches: the last batch runs from 937.5 ms to 1 s.
    assert.equal(a.end_ns, 1_000_000_000);
    assert.equal(b.request_ns, 950_000_000);
    assert.equal(b.start_ns, a.end_ns, 'serialised: b starts when a has its memory');
    assert.equal(b.outcome, 'ok');
  });

  test('disk time is every page of disk I/O (write-backs too) at the guest\'s disk_latency; the latency changes nothing else', () => {
    const text = (latency: string) => `${tiny({ name: 'disk', duration: '20s', sample: '1s', memory: '2GiB', tmem: false })}guests:
  - name: g
    memory: 256MiB
    swap: 256MiB
    disk_latency: ${latency}
    workload:
      anon: {profile: spikes, level: 30%, rate: 2000/s, spikes: {peak: 95%, every: 10s, length: 3s}}
      files: {working_set: 512MiB, rate: 4000/s, write_share: 30%}
`;
    const [fast, slow] = ['5ms', '20ms'].map((l) => new Simulation(parseScenario(text(l), 'disk.yaml'), {}).run().summary.guests[0]);
    const d = fast.disk;
    assert.ok(d.file_reads > 0 && d.file_writes > 0 && d.swap_writes > 0, JSON.stringify(d));
    assert.equal(d.busy_ns, (d.file_reads + d.file_writes + d.swap_reads + d.swap_writes) * 5e6);
    assert.deepEqual({ ...slow.disk, busy_ns: 0 }, { ...d, busy_ns: 0 }, 'the same I/O');
    assert.equal(slow.disk.busy_ns, 4 * d.busy_ns);
  });

  test('the lowest free memory says when it was first reached: during the launch that took it, not at the start', () => {
    const idle = '{anon: {level: 10%, rate: 0/s}, files: {rate: 0/s}}';
    const text = `${tiny({ name: 'low', duration: '7s', sample: '1s', memory: '2GiB', tmem: false, policy: 'claim' })}guests:
  - {name: g, memory: 256MiB, workload: ${idle}}
timeline:
  - {at: 2s, launch: {name: a, memory: 512MiB, workload: ${idle}}}
  - {at: 5s, destroy: {guest: a}}
`;
    const r = new Simulation(parseScenario(text, 'low.yaml'), {}).run();
    const [a] = r.summary.launches;
    assert.equal(a.outcome, 'ok');
    const at = r.summary.host.min_free_at_ns;
    assert.ok(at > a.start_ns && at <= a.end_ns, `lowest free first at ${at}, the build ran ${a.start_ns}..${a.end_ns}`);
    // Before the launch free memory was higher, after the destroy it is again.
    const free = (t: number): number => r.samples.find((x) => x.timeNs === t)?.freePages ?? -1;
    assert.ok(free(1e9) > r.summary.host.min_free_pages && free(6e9) > r.summary.host.min_free_pages, JSON.stringify([free(1e9), free(6e9), r.summary.host.min_free_pages]));
  });

  test('a run that ends during a launch\'s last batch reports it still building', () => {
    const r = run(claimRace, ['duration=67950ms', ...thin(claimRace)]);
    for (const l of r.summary.launches) {
      assert.ok(l.end_ns <= r.summary.sim_time_ns, `${l.name}: ended at ${l.end_ns}, after the run`);
      if (l.outcome === 'ok') assert.ok(r.events.some((e) => e.kind === 'launch_ok' && e.guest === l.name), `${l.name}: ok in the log too`);
    }
    assert.ok(r.summary.launches.some((l) => l.outcome === 'building' && l.end_ns === -1), 'one launch is mid-build at 67.95 s');
  });

  test('ram_pages_mean counts the samples only (every sample_interval), not the rows a destroy or a crash adds (found by mutation testing)', () => {
    // a halves its RAM at 1 s; b is destroyed between two samples, c crashes at a sample's instant.
    const text = `${tiny({ name: 'mean', duration: '10s', sample: '5s', memory: '2GiB', tmem: false })}guests:
  - {name: a, memory: 512MiB, maxmem: 512MiB, swap: 64MiB}
  - {name: b, memory: 256MiB, maxmem: 256MiB, swap: 64MiB}
  - {name: c, memory: 256MiB, maxmem: 256MiB, swap: 64MiB}
timeline:
  - at: 1s
    mem_set: {guest: a, target: 256MiB}
  - at: 5s
    crash: {guest: c}
  - at: 6500ms
    destroy: {guest: b}
`;
    const r = new Simulation(parseScenario(text, 'mean.yaml'), {}).run();
    assert.deepEqual(
      r.samples.map((x) => [x.timeNs / 1e9, x.guests.a?.ramPages]),
      [
        [0, 131072],
        [5, 65536],
        [6.5, 65536],
        [10, 65536],
      ],
      'the samples at 0, 5 and 10 s, and b\'s end row at 6.5 s (c\'s at 5 s is the sample\'s row)',
    );
    const a = r.summary.guests.find((g) => g.name === 'a');
    // (131072 + 65536 + 65536) / 3: neither the 6.5 s row nor c's end at 5 s counts a second time.
    assert.equal(a?.ram_pages_mean, 87381);
  });

  test('events.jsonl has one oom line per OOM event, also when a long tick holds several', () => {
    const text = `${tiny({ name: 'oom', duration: '10s', sample: '1s', tick: '1s', memory: '1GiB', tmem: false })}guests:
  - name: g
    memory: 256MiB
    maxmem: 1GiB
    swap: 16MiB
    workload:
      anon: {profile: spikes, level: 5%, rate: 100/s, spikes: {peak: 100%, every: 200ms, length: 100ms, jitter: 0s}}
      files: {working_set: 4MiB, rate: 100/s}
`;
    const r = new Simulation(parseScenario(text, 'oom.yaml'), {}).run();
    const total = r.summary.guests.reduce((a, g) => a + g.oom_events, 0);
    assert.ok(total > 10, `several OOM episodes a tick (${total} in 10 ticks)`);
    assert.equal(r.events.filter((e) => e.kind === 'oom').length, total);
  });

  test('the balloon worker runs on a new target or its retry, not on every workload tick', () => {
    const text = `${tiny({ name: 'quiet', duration: '1s', sample: '1s', tick: '100ms', memory: '2GiB', tmem: false })}guests:
  - {name: g, memory: 256MiB, maxmem: 256MiB, swap: 64MiB}
`;
    const r = new Simulation(parseScenario(text, 'quiet.yaml'), {}).run();
    // Ten workload ticks (100 ms to 1 s) and two samples (0 and 1 s); nothing else happens.
    assert.equal(r.summary.events, 12);
  });

  test('the self-balloon worker first runs one interval after boot, and a target it sets while the balloon backs off waits for the retry (schedule_delayed_work leaves pending work alone; found by mutation testing)', () => {
    // The hog leaves 8 MiB free: g's first pass wants 5041 pages more, gets 2048, and backs off (retries at 7 s and 11 s).
    const text = `${tiny({ name: 'backoff', duration: '12s', sample: '1s', memory: '1GiB', tmem: true })}guests:
  - name: hog
    memory: 600MiB
    swap: 0B
    workload: {anon: {profile: constant, level: 1%, rate: 1/s}, files: {working_set: 0B, rate: 0/s}}
  - name: g
    memory: 256MiB
    maxmem: 2GiB
    swap: 64MiB
    selfballoon: {enabled: true}
    workload: {anon: {profile: constant, level: 12%, rate: 100/s}, files: {working_set: 0B, rate: 0/s}}
`;
    const sim = new Simulation(parseScenario(text, 'backoff.yaml'), {});
    const at = (s: number) => {
      sim.advance(Math.round(s * 1e9));
      const m = sim.liveGuests().find((x) => x.name === 'g')?.metrics;
      assert.ok(m !== undefined);
      return { ticks: m.selfballoon.ticks, failed: m.balloon.failedPasses, ram: m.ramPages };
    };
    assert.deepEqual(at(4.9), { ticks: 0, failed: 0, ram: 65536 }, 'no pass before 5 s');
    assert.deepEqual(at(5.1), { ticks: 1, failed: 1, ram: 67584 });
    assert.deepEqual(at(7.1), { ticks: 1, failed: 2, ram: 67584 }, 'the retry 2 s later');
    assert.deepEqual(at(10.9), { ticks: 2, failed: 2, ram: 67584 }, 'the target written at 10 s does not run the worker before its retry');
    assert.deepEqual(at(11.1), { ticks: 2, failed: 3, ram: 67584 }, 'the retry 4 s later');
  });

  test('a sample shows the workload up to its instant, whatever the sampling interval; the last one equals the summary', () => {
    const text = (interval: string): string => `${tiny({ name: 'one', duration: '1s', sample: interval, tick: '100ms', memory: '1GiB', tmem: true })}guests:
  - name: g
    memory: 256MiB
    maxmem: 256MiB
    swap: 64MiB
    workload:
      anon: {profile: constant, level: 10%, rate: 1000/s}
      files: {working_set: 16MiB, rate: 1000/s}
`;
    const at = (r: ReturnType<Simulation['run']>, t: number) => r.samples.find((x) => x.timeNs === t)?.guests.g;
    const fine = new Simulation(parseScenario(text('50ms'), 'one.yaml'), {}).run();
    const coarse = new Simulation(parseScenario(text('500ms'), 'one.yaml'), {}).run();
    for (const t of [500_000_000, 1_000_000_000]) {
      assert.ok(at(fine, t) !== undefined && at(coarse, t) !== undefined);
      assert.deepEqual(at(fine, t), at(coarse, t), `the sample at ${t / 1e9} s`);
    }
    const g = coarse.summary.guests[0];
    assert.equal(at(coarse, 1_000_000_000)?.fileReads, g.disk.file_reads, 'the last sample and the summary agree');
    // Exactly the run's second of workload: 1000 file accesses a second.
    const sim = new Simulation(parseScenario(text('500ms'), 'one.yaml'), {});
    sim.run();
    const guest = (sim as unknown as { allSlots: { guest: { metrics(): { fileAccesses: number } } }[] }).allSlots[0].guest;
    assert.equal(guest.metrics().fileAccesses, 1000);
  });
});

test('the summary\'s dedup_ratio is logical pages over unique contents: above 1 with dedup, exactly 1 without (found by mutation testing)', () => {
  const file = fileURLToPath(new URL('../report/small.yaml', import.meta.url));
  const ratio = (dedup: boolean): number => new Simulation(load(file, [`host.tmem.dedup=${dedup}`, 'duration=20s'])).run().summary.tmem.dedup_ratio;
  const withDedup = ratio(true);
  assert.ok(withDedup > 1, `with dedup: ${withDedup}`);
  assert.equal(ratio(false), 1);
});
