// The memory guard (--max-memory): the limit's parsing, when it reads the
// resident set and what it says when a run is over it; the CLI stops such a
// run with one line, exit 2 and no --out folder; and a run under the limit is
// the same run as without the guard.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECK_EVERY_MS, DEFAULT_MEMORY_PERCENT, MemoryGuard, parseMaxMemory, scenarioSize } from '../../src/cli/memory.ts';
import { UserError } from '../../src/cli/errors.ts';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { hypermem, root } from './spawn.ts';
import { simulate } from '../../src/cli/run.ts';
import { startDashboard } from '../../src/cli/serve.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TINY = `${root}test/sweep/tiny.yaml`;

describe('--max-memory: the limit', () => {
  test('the default is 90% of the machine; a size or a percent of the machine can be given', () => {
    assert.equal(DEFAULT_MEMORY_PERCENT, 90);
    const d = parseMaxMemory(undefined, 20 * GiB);
    assert.equal(d.bytes, 18 * GiB);
    assert.match(d.source, /^the default, 90% of this machine's 20 GiB; raise it with --max-memory$/);
    assert.deepEqual(parseMaxMemory('8GiB', 20 * GiB), { bytes: 8 * GiB, source: '--max-memory 8GiB' });
    assert.deepEqual(parseMaxMemory('50%', 20 * GiB), { bytes: 10 * GiB, source: '--max-memory 50%' });
    assert.equal(parseMaxMemory('100%', 20 * GiB).bytes, 20 * GiB);
  });

  test('bad values are one clear message each', () => {
    const refusal = (text: string): string => {
      try {
        parseMaxMemory(text, 20 * GiB);
      } catch (e) {
        assert.ok(e instanceof UserError);
        assert.equal(e.exitCode, 2);
        return e.message;
      }
      assert.fail(`${text} accepted`);
    };
    assert.equal(refusal('12'), '--max-memory: expected a size such as 8GiB or 50%, found "12" (a bare number: say the unit)');
    assert.equal(refusal('lots'), '--max-memory: expected a size such as 8GiB or 50%, found "lots"');
    assert.equal(refusal('0%'), "--max-memory 0%: a percent of this machine's memory from above 0 to 100");
    assert.equal(refusal('150%'), "--max-memory 150%: a percent of this machine's memory from above 0 to 100");
    assert.equal(refusal('1MiB'), '--max-memory 1MiB: at least 16 MiB');
    assert.equal(refusal('-4GiB'), '--max-memory: expected a size such as 8GiB or 50%, found "-4GiB" (a size cannot be negative)');
    assert.equal(refusal('-5%'), '--max-memory: expected a percent such as 50% of this machine\'s memory (or a size such as 8GiB), found "-5%" (a percent cannot be negative)');
  });

  test('a scenario counts its initial and launched guests, each at the larger of memory and maxmem', () => {
    const s = loadScenario(TINY, []);
    // Two 512 MiB guests with a maxmem of 768 MiB, and two 1 GiB launches.
    assert.deepEqual(scenarioSize(s), { guests: 4, initial: 2, guestBytes: 2 * 768 * MiB + 2 * GiB });
  });
});

describe('the memory guard', () => {
  const size = { guests: 3, initial: 2, guestBytes: 3 * GiB };

  test('reads the resident set at most every CHECK_EVERY_MS, and passes under the limit', () => {
    let now = 1000;
    let reads = 0;
    const guard = new MemoryGuard({ bytes: 100 * MiB, source: '--max-memory 100MiB' }, size, () => now, () => (reads++, 50 * MiB));
    for (let i = 0; i < 10; i++) guard.check({ booted: 2, guests: 2, simNs: i });
    assert.equal(reads, 1, 'the first check reads, the next ones within the interval do not');
    now += CHECK_EVERY_MS - 1;
    guard.check({ booted: 2, guests: 2, simNs: 0 });
    assert.equal(reads, 1);
    now += 1;
    guard.check({ booted: 2, guests: 2, simNs: 0 });
    assert.equal(reads, 2);
  });

  test('over the limit: a UserError naming the use, where the run is, the limit and the scenario size', () => {
    let rss = 50 * MiB;
    let now = 0;
    const guard = new MemoryGuard({ bytes: 100 * MiB, source: '--max-memory 100MiB' }, size, () => now, () => rss);
    guard.check({ booted: 0, guests: 2, simNs: 0 });
    rss = 150 * MiB;
    // Within the interval the use is not read again, so nothing is seen yet.
    guard.check({ booted: 1, guests: 2, simNs: 0 });
    now += CHECK_EVERY_MS;
    assert.throws(() => guard.check({ booted: 1, guests: 2, simNs: 0 }), {
      message:
        'out of memory: hypermem holds 150 MiB while booting guest 2 of 2, above its limit of 100 MiB (--max-memory 100MiB). ' +
        'The scenario simulates 3 guests (2 from the start, 1 launched) with 3 GiB of memory page by page; fewer or smaller guests need less',
    });
    now += CHECK_EVERY_MS;
    const shared = new MemoryGuard({ bytes: 100 * MiB, source: 'the default', shared: true }, { guests: 1, initial: 1, guestBytes: GiB }, () => now, () => rss);
    assert.throws(() => shared.check({ booted: 1, guests: 1, simNs: 12_345_678_901 }), {
      message:
        'out of memory: hypermem holds 150 MiB at 12.346 s of simulated time, above its limit of 100 MiB (the default; the runs on the other worker threads share it, so fewer --jobs use less). ' +
        'The scenario simulates 1 guest with 1 GiB of memory page by page; fewer or smaller guests need less',
    });
  });

  test('before a table grows by many MiB: stopped when the resident set and the growth together pass the limit', () => {
    const guard = new MemoryGuard({ bytes: 100 * MiB, source: '--max-memory 100MiB' }, size, () => 0, () => 50 * MiB);
    guard.allocating(50 * MiB);
    assert.throws(() => guard.allocating(50 * MiB + 1), { message: /^out of memory: hypermem holds 50 MiB and one of its tables was about to grow by 50 MiB while starting the run, above its limit of 100 MiB \(--max-memory 100MiB\)\. The scenario simulates 3 guests/ });
    guard.check({ booted: 2, guests: 2, simNs: 12_345_678_901 });
    assert.throws(() => guard.allocating(64 * MiB), { message: /about to grow by 64 MiB in the first event after 12\.346 s of simulated time, above its limit/ });
  });

  test('the simulation calls the checkpoint after each guest boot and each event, and runs the same', () => {
    const plain = new Simulation(loadScenario(TINY, [])).run();
    const seen: { booted: number; guests: number; simNs: number }[] = [];
    const watched = new Simulation(loadScenario(TINY, []), { onCheckpoint: (at) => seen.push({ ...at }) }).run();
    assert.deepEqual(watched, plain);
    assert.deepEqual(
      seen.slice(0, 3).map((a) => a.booted),
      [0, 1, 2],
    );
    assert.equal(seen.length, 3 + plain.summary.events, 'one call per boot (and before the first), one per event');
    assert.ok(seen.slice(3).every((a, i, all) => a.booted === 2 && a.guests === 2 && (i === 0 || a.simNs >= all[i - 1].simNs)));
  });
});

describe('the guard in a run', () => {
  /** A guard whose clock moves a second a check and whose resident set goes over the limit at the check numbered `overAt`. */
  const failingAt = (overAt: number): { guard: MemoryGuard; checks: () => number } => {
    let checks = 0;
    let now = 0;
    const guard = new MemoryGuard({ bytes: 100 * MiB, source: '--max-memory 100MiB' }, scenarioSize(loadScenario(TINY, [])), () => (now += 1000), () => (++checks >= overAt ? 200 * MiB : 50 * MiB));
    return { guard, checks: () => checks };
  };

  test('over the limit part-way through: simulate stops with the simulated time in the message', () => {
    const { guard } = failingAt(40);
    assert.throws(() => simulate(loadScenario(TINY, []), { quiet: true, verify: false, guard }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /tiny\.yaml: out of memory: hypermem holds 200 MiB at [\d.]+ s of simulated time, above its limit of 100 MiB \(--max-memory 100MiB\)\. The scenario simulates 4 guests/);
      assert.doesNotMatch(e.message, /at 0 s of/);
      return true;
    });
  });

  test('one growth larger than the headroom is stopped before it is taken, inside the event, not after it', () => {
    // A 16 GiB guest whose demand is 90 % from the first tick: its anonymous page table grows to 4 M pages (64 MiB) in one step.
    const text = 'name: big-step\nduration: 2s\nsample_interval: 1s\nhost: {memory: 32GiB}\ndom0: {memory: 1GiB}\nguests:\n  - name: g\n    memory: 16GiB\n    swap: 1GiB\n    workload: {anon: {level: 90%}}\n';
    const scenario = parseScenario(text, 'big-step.yaml');
    let reads = 0;
    // 80 MiB held, under the 120 MiB limit at every read between events: only the growth passes it.
    const guard = new MemoryGuard({ bytes: 120 * MiB, source: '--max-memory 120MiB' }, scenarioSize(scenario), () => 0, () => (reads++, 80 * MiB));
    assert.throws(() => simulate(scenario, { quiet: true, verify: false, guard }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /^big-step\.yaml: out of memory: hypermem holds 80 MiB and one of its tables was about to grow by 64 MiB in the first event after 0 s of simulated time, above its limit of 120 MiB \(--max-memory 120MiB\)/);
      return true;
    });
    assert.ok(reads > 0);
    // Without the limit in the way the same run goes through (the check never changes a run).
    const roomy = new MemoryGuard({ bytes: 1024 * GiB, source: 'test' }, scenarioSize(scenario), () => 0, () => 80 * MiB);
    assert.deepEqual(simulate(parseScenario(text, 'big-step.yaml'), { quiet: true, verify: false, guard: roomy }).summary, new Simulation(parseScenario(text, 'big-step.yaml')).run().summary);
  });

  test('serve: over the limit after the boot, the run stops as failed and says why; the server stays', async () => {
    const { guard } = failingAt(40);
    const dash = await startDashboard(loadScenario(TINY, []), { host: '127.0.0.1', port: 0, speed: null, verify: false, guard });
    try {
      assert.equal(await dash.finished, 'failed');
      const st = dash.state();
      assert.match(st.message, /tiny\.yaml: out of memory: hypermem holds 200 MiB at [\d.]+ s of simulated time/);
      assert.equal((await fetch(`${dash.url}api/state`)).status, 200);
    } finally {
      await dash.close();
    }
  });
});

describe('hypermem with --max-memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hypermem-mem-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  test('run over the limit: one line naming the scenario, exit 2, no --out folder', () => {
    const out = join(dir, 'run');
    const r = hypermem(['run', 'test/sweep/tiny.yaml', '--max-memory', '16MiB', '--out', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^hypermem: test\/sweep\/tiny\.yaml: out of memory: hypermem holds [\d.]+ MiB while booting guest 1 of 2, above its limit of 16 MiB \(--max-memory 16MiB\)\. The scenario simulates 4 guests .*\n$/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(out), false);
  });

  test('run under the limit gives the same summary as the default', () => {
    const a = hypermem(['run', 'test/sweep/tiny.yaml', '--json', '--max-memory', '95%']);
    const b = hypermem(['run', 'test/sweep/tiny.yaml', '--json']);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
  });

  test('sweep and compare stop with the worker hint; a bad value stops before any run', () => {
    const sweep = hypermem(['sweep', 'test/sweep/tiny.yaml', '--grid', 'toolstack.policy=none,claim', '--jobs', '2', '--max-memory', '16MiB', '--out', join(dir, 'sweep'), '--quiet']);
    assert.equal(sweep.status, 2);
    assert.match(sweep.stderr, /out of memory: hypermem holds .* above its limit of 16 MiB \(--max-memory 16MiB; the runs on the other worker threads share it, so fewer --jobs use less\)/);
    assert.equal(existsSync(join(dir, 'sweep')), false);
    const compare = hypermem(['compare', 'test/sweep/tiny.yaml', '--set', 'toolstack.policy=none,claim', '--jobs', '1', '--max-memory', '16MiB', '--quiet']);
    assert.equal(compare.status, 2);
    assert.match(compare.stderr, /^hypermem: variant toolstack\.policy=none: test\/sweep\/tiny\.yaml: out of memory: .*\(--max-memory 16MiB\)\. /);
    const bad = hypermem(['sweep', 'test/sweep/tiny.yaml', '--grid', 'toolstack.policy=none,claim', '--max-memory', '2', '--out', join(dir, 'bad')]);
    assert.equal(bad.stderr, 'hypermem: --max-memory: expected a size such as 8GiB or 50%, found "2" (a bare number: say the unit)\n');
    assert.equal(bad.status, 2);
    const twice = hypermem(['run', 'test/sweep/tiny.yaml', '--max-memory', '8GiB', '--max-memory', '4GiB']);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /--max-memory is given twice \(8GiB and 4GiB\); give it once/);
  });
});
