// What `validate` accepts, `run` can run: every trace file is read and checked
// when the scenario is loaded, and sizes, rates and sample counts have bounds
// (docs/scenario.md, "Bounds") below what the model can hold and a run can
// finish. Each refusal names the field; values at a bound are accepted.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateCommand } from '../../src/cli/validate.ts';
import { loadScenario, parseScenario } from '../../src/scenario/load.ts';
import {
  MAX_ACCESS_RATE_PER_S,
  MAX_GUEST_SAMPLES,
  MAX_MAXMEM_PAGES,
  MAX_SAMPLES,
  MAX_SWAP_PAGES,
  MAX_TOTAL_SWAP_PAGES,
  MIN_NODE_PAGES,
} from '../../src/scenario/resolve.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { scenarioError } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hypermem-bounds-'));
mkdirSync(join(dir, 'traces'));
const GiB_PAGES = 262144;
const BASE = 'duration: 10m\nhost:\n  memory: 64GiB\nguests:\n  - name: web\n    memory: 4GiB\n';


/** A scenario file whose one guest replays `trace` (a path as written in the file). */
function traceScenario(name: string, trace: string, extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `duration: 10s\nhost:\n  memory: 4GiB\nguests:\n  - name: g\n    memory: 1GiB\n    workload:\n      anon:\n        profile: trace\n        trace: {file: ${trace}${extra}}\n`,
  );
  return file;
}

function validate(file: string, sets: string[] = []): { status: number; out: string; err: string } {
  let out = '';
  let err = '';
  const status = validateCommand(file, sets, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) });
  return { status, out, err };
}

describe('trace files are read and checked when the scenario is loaded', () => {
  const cases: [string, string | Uint8Array, string][] = [
    ['bad1', '1 2\n3 abc\n', ':2: column 2 (memory %): expected a non-negative number, found "abc"'],
    ['empty', '', ':1: no samples; expected lines of "<cpu %> <memory %>"'],
    ['binary', Uint8Array.from([0x31, 0x20, 0x32, 0x0a, 0x00, 0xff, 0x33]), ': not a text file (a NUL byte at offset 4)'],
    ['latin1', Uint8Array.from([0x31, 0x20, 0xe9, 0x0a]), ': not a text file (not valid UTF-8)'],
    ['negative', '1 2\n1 -5\n', ':2: column 2 (memory %): expected a non-negative number, found "-5"'],
    ['three', '1 2 3\n', ':1: expected 2 columns "<cpu %> <memory %>", found 3: "1 2 3"'],
    ['blank', '1 2\n\n3 4\n', ':2: empty line; expected "<cpu %> <memory %>"'],
    ['huge', '1 1e308\n', ':1: column 2 (memory %): expected at most 400 (% of maxmem), found "1e308"'],
    ['above400', '1 50\n1 400.5\n', ':2: column 2 (memory %): expected at most 400 (% of maxmem), found "400.5"'],
  ];
  for (const [name, content, problem] of cases) {
    test(`${name}: validate exits 2 naming the field and the trace's line`, () => {
      const trace = join(dir, 'traces', name);
      writeFileSync(trace, content);
      const file = traceScenario(name, `traces/${name}`);
      const r = validate(file);
      assert.equal(r.status, 2);
      assert.equal(r.out, '');
      assert.equal(r.err, `hypermem validate: ${file}:10:23: guests[0].workload.anon.trace.file: not a usable trace: ${trace}${problem}\n`);
      // run loads through the same loader: the same ScenarioError, never a TraceFormatError.
      const e = scenarioError(() => loadScenario(file));
      assert.equal(e.path, 'guests[0].workload.anon.trace.file');
    });
  }

  test('memory % above 100 (as in the GCD data) up to 400 is accepted, and a launch is checked too', () => {
    writeFileSync(join(dir, 'traces', 'burst'), '0 50\n0 400\n');
    const file = traceScenario('burst', 'traces/burst');
    assert.equal(validate(file).status, 0);
    const launch = join(dir, 'launch.yaml');
    writeFileSync(launch, `${BASE}timeline:\n  - at: 1m\n    launch: {name: l, memory: 1GiB, workload: {anon: {profile: trace, trace: {file: traces/bad1}}}}\n`);
    assert.equal(scenarioError(() => loadScenario(launch)).path, 'timeline[0].launch.workload.anon.trace.file');
  });

  test('a FIFO and a device are not regular files (and are not read: a FIFO would block)', (t) => {
    const fifo = join(dir, 'traces', 'fifo');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      t.skip('mkfifo is not available');
      return;
    }
    const e = scenarioError(() => loadScenario(traceScenario('fifo', 'traces/fifo')));
    assert.equal(e.problem, `expected a trace file, found a FIFO, not a regular file: ${fifo}`);
    if (existsSync('/dev/zero')) {
      const z = scenarioError(() => loadScenario(traceScenario('zero', '/dev/zero')));
      assert.equal(z.problem, 'expected a trace file, found a character device, not a regular file: /dev/zero');
    }
  });

  test('a loop of symbolic links is named as one, not as a missing file; a link to nothing is missing', () => {
    const a = join(dir, 'traces', 'loop-a');
    symlinkSync(join(dir, 'traces', 'loop-b'), a);
    symlinkSync(a, join(dir, 'traces', 'loop-b'));
    const e = scenarioError(() => loadScenario(traceScenario('loop', 'traces/loop-a')));
    assert.equal(e.problem, `cannot read the trace file ${a}: a loop of symbolic links (ELOOP)`);
    symlinkSync(join(dir, 'traces', 'nowhere'), join(dir, 'traces', 'dangling'));
    assert.match(scenarioError(() => loadScenario(traceScenario('dangling', 'traces/dangling'))).problem, /^no such trace file "traces\/dangling"/);
  });

  test('scale: the trace peak times the scale is at most 400% of maxmem', () => {
    writeFileSync(join(dir, 'traces', 'peak50'), '0 10\n0 50\n');
    assert.equal(validate(traceScenario('scale-ok', 'traces/peak50', ', scale: 800%')).status, 0);
    const e = scenarioError(() => loadScenario(traceScenario('scale-big', 'traces/peak50', ', scale: 100000000%')));
    assert.equal(e.path, 'guests[0].workload.anon.trace.scale');
    assert.equal(e.problem, 'the trace peaks at 50% of maxmem, scaled by 100000000% that is 50000000%: at most 400% of maxmem (so a scale of at most 800%)');
    // Within 400%, but a 2 TiB guest at 250% is 5 TiB of demand: more than the model holds.
    const large = traceScenario('scale-large', 'traces/peak50', ', scale: 500%');
    writeFileSync(large, readFileSync(large, 'utf8').replace('memory: 1GiB', 'memory: 1GiB\n    maxmem: 2TiB'));
    const l = scenarioError(() => loadScenario(large));
    assert.equal(l.path, 'guests[0].workload.anon.trace.scale');
    assert.equal(
      l.problem,
      'the trace peaks at 250% of maxmem (2 TiB, 536,870,912 pages) after scaling: 1,342,177,280 pages (5 TiB) of demand, at most 1,073,741,824 pages (4 TiB, the largest the model holds)',
    );
  });

  test('a guest at the demand bound runs (the model holds 400% of maxmem); just above it is refused', () => {
    writeFileSync(join(dir, 'traces', 'p400'), '0 400\n0 400\n');
    const file = join(dir, 'run.yaml');
    writeFileSync(
      file,
      'duration: 2s\nsample_interval: 1s\nhost:\n  memory: 1GiB\ndom0: {memory: 64MiB}\nguests:\n  - name: g\n    memory: 64MiB\n' +
        '    workload: {anon: {profile: trace, rate: 1000/s, trace: {file: traces/p400}}, files: {rate: 1000/s, working_set: 8MiB}}\n',
    );
    const result = new Simulation(loadScenario(file)).run();
    assert.equal(result.summary.sim_time_ns, 2e9);
    const e = scenarioError(() => loadScenario(traceScenario('above', 'traces/p400', ', scale: 100.25%')));
    assert.equal(e.problem, 'the trace peaks at 400% of maxmem, scaled by 100.25% that is 401%: at most 400% of maxmem (so a scale of at most 100%)');
  });
});

describe('sizes the model can hold', () => {
  test('maxmem at most 4 TiB, and above the host is fine (a cap, as Xen\'s max_mem); memory is blamed when maxmem defaults to it', () => {
    const big = `duration: 10m\nhost:\n  memory: 64TiB\nguests:\n  - name: g\n    memory: 1GiB\n`;
    assert.equal(parseScenario(big, 'b.yaml', ['guests[0].maxmem=4TiB']).guests[0].maxmemPages, MAX_MAXMEM_PAGES);
    assert.equal(
      scenarioError(() => parseScenario(big, 'b.yaml', ['guests[0].maxmem=16TiB'])).problem,
      'expected at most 4 TiB (the largest guest the model holds), found 16 TiB (set by --set guests[0].maxmem=16TiB)',
    );
    assert.equal(scenarioError(() => parseScenario(big, 'b.yaml', ['guests[0].memory=5TiB'])).path, 'guests[0].memory');
    // A maxmem above the host's memory loads; an initial memory that does not fit does not.
    assert.equal(parseScenario(BASE, 'b.yaml', ['guests[0].maxmem=65GiB']).guests[0].maxmemPages, 65 * GiB_PAGES);
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].memory=65GiB'])).problem, /^guests larger than the host/);
    // A launch larger than the host loads: the simulation finds out it fails.
    const launch = `${BASE}timeline:\n  - at: 1m\n    launch: {name: big, memory: 80GiB}\n`;
    assert.equal(parseScenario(launch, 'b.yaml').timeline.length, 1);
  });

  test('swap at most 256 GiB, whatever the guest\'s size', () => {
    const small = BASE.replace('memory: 4GiB', 'memory: 256MiB');
    assert.equal(parseScenario(small, 'b.yaml', ['guests[0].swap=2GiB']).guests[0].swapPages, 2 * GiB_PAGES, 'a swap larger than the guest is ordinary');
    assert.equal(parseScenario(small, 'b.yaml', ['guests[0].swap=256GiB']).guests[0].swapPages, MAX_SWAP_PAGES);
    assert.match(scenarioError(() => parseScenario(small, 'b.yaml', ['guests[0].swap=257GiB'])).problem, /^expected at most 256 GiB \(a full device costs the simulator 8 bytes a slot\), found 257 GiB/);
    assert.match(scenarioError(() => parseScenario(small, 'b.yaml', ['guests[0].swap=64TiB'])).problem, /^expected at most 256 GiB .*found 64 TiB/);
  });

  test('all guests\' swap together at most 512 GiB, launched guests included', () => {
    const small = BASE.replace('memory: 4GiB', 'memory: 16MiB');
    assert.equal(parseScenario(small, 'b.yaml', ['guests[0].count=512']).guests.length, 512, '512 × the default 1 GiB is at the bound');
    const e = scenarioError(() => parseScenario(small, 'b.yaml', ['guests[0].count=513']));
    assert.equal(e.path, 'guests[0].swap');
    assert.match(e.problem, /^the guests' swap devices come to 513 GiB in all, initial and launched: at most 512 GiB/);
    assert.equal(MAX_TOTAL_SWAP_PAGES, 512 * GiB_PAGES);
    const launched = `${small}timeline:\n  - at: 1m\n    launch: {name: big, memory: 16MiB, swap: 2GiB}\n`;
    assert.match(scenarioError(() => parseScenario(launched, 'b.yaml', ['guests[0].count=511'])).problem, /come to 513 GiB in all/);
  });

  test('a file working set at most 1 TiB', () => {
    const e = scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.files.working_set=2TiB']));
    assert.equal(e.path, 'guests[0].workload.files.working_set');
    assert.match(e.problem, /^expected at most 1 TiB, found 2 TiB/);
    // Just past the bound: the value is shown exactly, not rounded to the bound's own figure.
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.files.working_set=1025GiB'])).problem, /^expected at most 1024 GiB, found 1025 GiB \(set by/);
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.files.working_set=1099511631872B'])).problem, /^expected at most 1073741824 KiB, found 1073741828 KiB \(set by/);
    const swap = BASE.replace('memory: 4GiB', 'memory: 256MiB');
    assert.match(scenarioError(() => parseScenario(swap, 'b.yaml', ['guests[0].swap=262145MiB'])).problem, /^expected at most 262144 MiB \(a full device costs the simulator 8 bytes a slot\), found 262145 MiB \(set by/);
  });

  test('NUMA nodes of at least 1 MiB each', () => {
    const host = (memory: string, nodes: number) => `duration: 1m\nhost: {memory: ${memory}, nodes: ${nodes}}\ndom0: {memory: 4KiB}\n`;
    assert.equal(parseScenario(host('64MiB', 64), 'n.yaml').host.nodes, 64);
    assert.equal(parseScenario(host('8KiB', 1), 'n.yaml').host.nodes, 1);
    assert.equal(64 * MIN_NODE_PAGES, (64 * 1024 * 1024) / 4096);
    const e = scenarioError(() => parseScenario(host('63MiB', 64), 'n.yaml'));
    assert.equal(e.message, 'n.yaml:2:30: host.nodes: expected at most 63 (a node has at least 1 MiB; the host has 63 MiB), found 64');
  });

  test('the hypervisor reserve or dom0, whichever is larger, is blamed when they do not fit', () => {
    assert.equal(scenarioError(() => parseScenario(BASE, 'b.yaml', ['host.hypervisor_reserve=100%'])).path, 'host.hypervisor_reserve');
    assert.equal(scenarioError(() => parseScenario(BASE, 'b.yaml', ['dom0.memory=64GiB', 'host.hypervisor_reserve=1GiB'])).path, 'dom0.memory');
  });
});

describe('work a run can finish', () => {
  test('access rates at most 10 million per second, in anon and files', () => {
    assert.equal(parseScenario(BASE, 'b.yaml', [`guests[0].workload.anon.rate=${MAX_ACCESS_RATE_PER_S}/s`]).guests[0].workload.anon.ratePerS, MAX_ACCESS_RATE_PER_S);
    for (const field of ['anon', 'files']) {
      const e = scenarioError(() => parseScenario(BASE, 'b.yaml', [`guests[0].workload.${field}.rate=9007199254740991/s`]));
      assert.equal(e.path, `guests[0].workload.${field}.rate`);
      assert.match(e.problem, /^expected at most 10000000\/s \(accesses per second of one guest\), found 9007199254740991\/s/);
    }
  });

  test('delete_every is 0s or at least 1ms; workload_tick at least 1ms', () => {
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.files.delete_every=0.5ms'])).problem, /^expected 0s \(never\) or at least 1ms, found 0\.5ms/);
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['workload_tick=0.5ms'])).problem, /^expected at least 1ms, found 0\.5ms/);
    assert.equal(parseScenario(BASE, 'b.yaml', ['workload_tick=1ms', 'guests[0].workload.files.delete_every=1ms']).workloadTickNs, 1e6);
  });

  test('sample_interval: at least 1ms, at most a million samples, at most ten million guest samples', () => {
    assert.equal(parseScenario(BASE, 'b.yaml', ['sample_interval=1ms']).sampleIntervalNs, 1e6);
    const e = scenarioError(() => parseScenario(BASE, 'b.yaml', ['sample_interval=0.000001ms']));
    assert.equal(e.path, 'sample_interval');
    assert.match(e.problem, /^expected at least 1ms, found 0\.000001ms/);
    const long = scenarioError(() => parseScenario(BASE, 'b.yaml', ['duration=2000s', 'sample_interval=1ms']));
    assert.match(long.problem, new RegExp(`^1ms over a duration of 2000s is 2000001 samples, at most ${MAX_SAMPLES}: expected at least 3ms`));
    // 100 guests sampled 120001 times: 12 million guest samples.
    const many = scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].count=100', 'guests[0].memory=256MiB', 'sample_interval=5ms']));
    assert.match(many.problem, new RegExp(`^120001 samples of 100 guests \\(initial and launched\\) is 12000100 guest samples, at most ${MAX_GUEST_SAMPLES}: expected a sample_interval of at least 7ms`));
    assert.equal(parseScenario(BASE, 'b.yaml', ['guests[0].count=100', 'guests[0].memory=256MiB', 'sample_interval=7ms']).guests.length, 100);
    // Each destroy or crash adds a row (a guest's end): 99,950 samples of 100 guests fit, with 100 crashes they do not.
    const sets = ['guests[0].count=100', 'guests[0].memory=256MiB', 'sample_interval=6ms', 'duration=599694ms'];
    assert.equal(parseScenario(BASE, 'b.yaml', sets).guests.length, 100);
    const ends = `${BASE}timeline:\n${Array.from({ length: 100 }, (_, i) => `  - at: ${i + 1}s\n    crash: {guest: web-${i + 1}}\n`).join('')}`;
    const withEnds = scenarioError(() => parseScenario(ends, 'b.yaml', sets));
    assert.match(
      withEnds.problem,
      new RegExp(`^100050 rows \\(99950 samples, a row at each of 100 destroy and crash entries\\) of 100 guests \\(initial and launched\\) is 10005000 guest samples, at most ${MAX_GUEST_SAMPLES}: expected a sample_interval of at least 7ms`),
    );
  });
});

describe('numbers and YAML that were misreported', () => {
  test('a long decimal has too many digits, not a too large value', () => {
    const rate = scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.anon.rate=1.0000000000000000000000000000000000001/s']));
    assert.match(rate.problem, /found "1\.0000000000000000000000000000000000001\/s" \(too many digits: at most 15 significant digits\)/);
    const level = scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.files.working_set=12.50000000000000000001%']));
    assert.match(level.problem, /\(too many digits: at most 15 significant digits\)/);
    // A value that is large is still too large, and so is a size with a decimal point.
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.anon.level=99999999999999999%'])).problem, /\(too large: at most 2\^53-1%\)/);
    assert.match(scenarioError(() => parseScenario(BASE, 'b.yaml', ['guests[0].workload.files.working_set=8192.0TiB'])).problem, /\(too large: at most 2\^53-1 bytes, just under 8192TiB\)/);
  });

  test('%YAML 1.1 is refused; %YAML 1.2 is fine', () => {
    assert.equal(scenarioError(() => parseScenario(`%YAML 1.1\n---\n${BASE}`, 'y.yaml')).message, 'y.yaml:1:1: %YAML 1.1: scenario files are YAML 1.2 (remove the directive)');
    assert.equal(parseScenario(`%YAML 1.2\n---\n${BASE}`, 'y.yaml').guests.length, 1);
  });

  test('complex, empty and alias keys are located, without a warning on stderr', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      assert.equal(scenarioError(() => parseScenario(`${BASE}? [a, b]\n: 1\n`, 'k.yaml')).message, 'k.yaml:7:3: a key must be a name, found a list (a YAML complex key)');
      assert.equal(scenarioError(() => parseScenario(`${BASE}    ? {a: 1}\n    : 1\n`, 'k.yaml')).message, 'k.yaml:7:7: guests[0]: a key must be a name, found a mapping (a YAML complex key)');
      assert.equal(scenarioError(() => parseScenario(`${BASE}null: x\n`, 'k.yaml')).message, 'k.yaml:7:1: a key must be a name, found "null" (YAML for nothing: an empty key)');
      assert.equal(scenarioError(() => parseScenario(`${BASE}"": x\n`, 'k.yaml')).message, 'k.yaml:7:1: a key must be a name, found an empty key');
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});
