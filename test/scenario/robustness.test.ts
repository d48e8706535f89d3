// Findings of a robustness review of the scenario loader: what `validate`
// accepts, `run` runs (the guest's tunables, the clock), and every refusal
// names the field and the problem in one short line (numbers as written,
// YAML tags, --set paths and values, trace signs, names and descriptions).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadScenario, parseScenario, ScenarioError } from '../../src/scenario/load.ts';
import { parsePath, pathProblem } from '../../src/scenario/overrides.ts';
import { above, MAX_CLOCK_NS } from '../../src/scenario/resolve.ts';
import { guestConfig } from '../../src/sim/guest-config.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { scenarioError } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'hypermem-robust-'));
mkdirSync(join(dir, 'traces'));
const BASE =
  'duration: 2s\nhost:\n  memory: 4GiB\n  tmem: {enabled: true}\ndom0:\n  memory: 256MiB\n' +
  'guests:\n  - name: web\n    memory: 512MiB\n    selfballoon: {enabled: true}\n';

/** The problem (after "file: path: ") that parsing `text` with `sets` is refused with. */
function problem(text: string, sets: string[] = []): ScenarioError {
  return scenarioError(() => parseScenario(text, 'r.yaml', sets));
}

describe('selfballoon and frontswap tunables: validate refuses what the guest cannot run', () => {
  test('frontswap_inertia: 0 is refused, naming the field (it crashed the run)', () => {
    const e = problem(BASE.replace('selfballoon: {enabled: true}', 'selfballoon: {enabled: true, frontswap_inertia: 0}'));
    assert.equal(e.message, 'r.yaml:10:53: guests[0].selfballoon.frontswap_inertia: expected an integer from 1 to 1000000, such as 3, found 0');
  });

  const refused: [string, string, RegExp][] = [
    ['down_hysteresis', '0', /expected an integer from 1 to 1000/],
    ['up_hysteresis', '1001', /expected an integer from 1 to 1000/],
    ['frontswap_hysteresis', '0', /expected an integer from 1 to 1000/],
    ['frontswap_inertia', '1000001', /expected an integer from 1 to 1000000/],
    ['interval', '0s', /^expected a whole number of seconds, at least 1s, found 0s: Linux's selfballoon_interval counts whole seconds \(set by --set/],
    ['interval', '999us', /expected a duration/],
    ['interval', '0.5ms', /^expected a whole number of seconds, at least 1s, found 0\.5ms/],
    ['interval', '1ms', /^expected a whole number of seconds, at least 1s, found 1ms/],
    ['interval', '2.5s', /^expected a whole number of seconds, at least 1s, found 2500ms/],
    ['interval', '1500ms', /^expected a whole number of seconds, at least 1s, found 1500ms/],
    ['interval', '1000h1ms', /expected a duration/],
    ['interval', '1001h', /^expected a duration of at most 1000h \(the simulator's clock/],
  ];
  for (const [key, value, expected] of refused) {
    test(`${key}: ${value} is refused`, () => {
      const e = problem(BASE, [`guests[0].selfballoon.${key}=${value}`]);
      assert.equal(e.path, `guests[0].selfballoon.${key}`);
      assert.match(e.problem, expected);
    });
  }

  // Each tunable at both ends of what the schema accepts: the guest's own check passes and a run completes.
  const ends: [string, string][] = [
    ['down_hysteresis', '1'],
    ['down_hysteresis', '1000'],
    ['up_hysteresis', '1'],
    ['up_hysteresis', '1000'],
    ['frontswap_hysteresis', '1'],
    ['frontswap_hysteresis', '1000'],
    ['frontswap_inertia', '1'],
    ['frontswap_inertia', '1000000'],
    ['interval', '1s'],
    ['interval', '90s'],
    ['interval', '1000h'],
    ['reserved', '0%'],
    ['reserved', '100%'],
    ['reserved', '8000TiB'],
    ['min_usable', '8000TiB'],
  ];
  for (const [key, value] of ends) {
    test(`${key}: ${value} validates and runs`, () => {
      const scenario = parseScenario(BASE, 'r.yaml', [`guests[0].selfballoon.${key}=${value}`, 'duration=1s']);
      assert.doesNotThrow(() => guestConfig(scenario.guests[0], 1, scenario));
      const result = new Simulation(scenario).run();
      assert.equal(result.summary.sim_time_ns, 1e9);
    });
  }
});

describe("the simulator's clock: a time plus an interval stays below 2^53 ns", () => {
  const NO_GUESTS = 'duration: 10s\nhost:\n  memory: 4GiB\ndom0:\n  memory: 256MiB\n';

  test('duration and intervals at 1000h run; beyond is refused with the bound', () => {
    const sets = ['duration=1000h', 'sample_interval=1000h', 'workload_tick=1000h'];
    const scenario = parseScenario(NO_GUESTS, 'c.yaml', sets);
    assert.equal(scenario.durationNs, MAX_CLOCK_NS);
    assert.equal(new Simulation(scenario).run().summary.sim_time_ns, MAX_CLOCK_NS);
    for (const key of ['duration', 'sample_interval', 'workload_tick']) {
      const e = problem(NO_GUESTS, [`${key}=2000h`]);
      assert.equal(e.path, key);
      assert.match(e.problem, /^expected a duration of at most 1000h \(the simulator's clock: a time plus an interval stays below 2\^53 ns\), found "2000h"/);
    }
  });

  test('duration=2502h and a number too large to parse both give the limit', () => {
    for (const value of ['2502h', '3000000h', '99999999999999999999h']) {
      assert.match(problem(NO_GUESTS, [`duration=${value}`]).problem, /at most 1000h/, value);
    }
    // A time that is not added to the clock has the parser's own limit, given.
    const at = problem(`${NO_GUESTS}timeline:\n  - at: 3000000h\n    tmem_flush: {size: 1GiB}\n`);
    assert.equal(at.problem, 'expected a duration such as 30s, found "3000000h" (too large: at most 2^53-1 ns, just over 2501h)');
  });

  test('one build batch at the build rate is bounded too', () => {
    const launch = `${NO_GUESTS.replace('4GiB', '32GiB')}timeline:\n  - at: 1s\n    launch: {name: big, memory: 13GiB}\n`;
    const e = problem(launch, ['toolstack.build_rate=4KiB/s', 'toolstack.build_batch=64GiB']);
    assert.equal(e.path, 'toolstack.build_batch');
    assert.match(e.problem, /^one build batch of 64 GiB at 4 KiB\/s takes 4660\.34h, at most 1000h/);
    const slow = parseScenario(launch, 'c.yaml', ['toolstack.build_rate=4KiB/s', 'toolstack.build_batch=13GiB']);
    assert.equal(new Simulation(slow).run().summary.sim_time_ns, 10e9);
  });
});

describe('--set values follow the file\'s rules, and messages never echo a long value', () => {
  const text = 'duration: 10m\nhost:\n  memory: 64GiB\n';

  test('a value nested 1000 levels deep: the file\'s message, and the flag cut short', () => {
    const e = problem(text, [`seed=${'['.repeat(1000)}${']'.repeat(1000)}`]);
    assert.equal(e.message, `r.yaml: seed: nested too deeply (at most 64 levels), in --set seed=${'['.repeat(54)}…`);
    // The same nesting in a file.
    assert.match(problem(`${text}seed: ${'['.repeat(1000)}${']'.repeat(1000)}\n`).message, /: nested too deeply \(at most 64 levels\)$/);
  });

  test('a value nested deeper than 64 levels but within the parser\'s reach', () => {
    const deep = `${'{a: '.repeat(70)}1${'}'.repeat(70)}`;
    const e = problem(text, [`host.tmem=${deep}`]);
    assert.match(e.message, /^r\.yaml: host\.tmem: nested too deeply \(at most 64 levels\), in --set host\.tmem=\{a: \{a: .{30,60}…$/);
  });

  test('a huge value is never echoed whole', () => {
    for (const flag of [`name=${'x'.repeat(100_000)}`, `description=${'y'.repeat(100_000)}`, `host.memory=${'9'.repeat(100_000)}GiB`, `seed=${'9'.repeat(100_000)}`]) {
      const e = problem(text, [flag]);
      assert.ok(e.message.length < 400, `${e.message.length} characters: ${e.message.slice(0, 200)}`);
      assert.ok(!e.message.includes('\n'));
    }
  });

  test('a huge unknown key or trace file name is cut in the message too', () => {
    assert.ok(problem(`${text}${'k'.repeat(10_000)}: 1\n`).message.length < 600);
    const trace = `${text}guests:\n  - {name: g, memory: 1GiB, workload: {anon: {profile: trace, trace: {file: ${'t'.repeat(4000)}}}}}\n`;
    const e = problem(trace);
    assert.match(e.problem, /^no such trace file "t{59}…"/);
  });
});

describe('trace bound messages show numbers that visibly exceed the bound', () => {
  test('maxmem 4TiB at a scale of 200.0000000001%: the demand in pages, above the limit', () => {
    writeFileSync(join(dir, 'traces', 'p50'), '0 50\n');
    const file = join(dir, 'scale.yaml');
    writeFileSync(
      file,
      'duration: 10s\nhost:\n  memory: 4GiB\nguests:\n  - name: g\n    memory: 1GiB\n    maxmem: 4TiB\n' +
        '    workload: {anon: {profile: trace, trace: {file: traces/p50, scale: 200.0000000001%}}}\n',
    );
    const e = scenarioError(() => loadScenario(file));
    assert.equal(e.path, 'guests[0].workload.anon.trace.scale');
    assert.equal(
      e.problem,
      'the trace peaks at 100.00000000005% of maxmem (4 TiB, 1,073,741,824 pages) after scaling: 1,073,741,825 pages (4 TiB) of demand, ' +
        'at most 1,073,741,824 pages (4 TiB, the largest the model holds)',
    );
  });

  test('above(): as few digits as read well, never rounded down to the limit', () => {
    assert.equal(above(401, 400), '401');
    assert.equal(above(100.123456789, 100), '100.123');
    assert.equal(above(400.0000000001, 400), '400.0000000001');
    assert.equal(above(100.00000000005, 100), '100.00000000005');
  });
});

describe('numbers are read as written where an integer goes', () => {
  const text = 'duration: 10m\nhost:\n  memory: 64GiB\n';
  const RANGE = 'expected an integer (at most 2^53-1 either side of 0), such as 42, found';

  test('a million 9s is too large, with the range (not "Infinity")', () => {
    const e = problem(`${text}seed: ${'9'.repeat(1_000_000)}\n`);
    assert.equal(e.message, `r.yaml:4:7: seed: ${RANGE} ${'9'.repeat(24)}…${'9'.repeat(12)} (1000000 characters) (too large: at most 2^53-1)`);
    assert.equal(problem(`${text}seed: -${'9'.repeat(30)}\n`).problem, `${RANGE} -${'9'.repeat(30)} (too small: at least -(2^53-1))`);
    assert.equal(problem(`${text}seed: 9007199254740993\n`).problem, `${RANGE} 9007199254740993 (too large: at most 2^53-1)`);
    assert.equal(problem(`${text}seed: 0x20000000000000\n`).problem, `${RANGE} 0x20000000000000 (too large: at most 2^53-1)`);
  });

  test('a fraction YAML rounds to an integer is refused, not taken as that integer', () => {
    for (const written of [`0.${'0'.repeat(1000)}1`, '1e-400', '1.0000000000000001', '0.5', '12345.000000000001']) {
      const e = problem(`${text}seed: ${written}\n`);
      assert.equal(e.path, 'seed');
      assert.match(e.problem, /\(not a whole number\)$/, written);
    }
    // Also through --set, and in a list entry, and through an alias.
    assert.match(problem(`${text}guests:\n  - {name: g, memory: 1GiB}\n`, ['guests[0].count=1e-400']).message, /guests\[0\]\.count: expected an integer from 1 to 10000, such as 4, found 1e-400 \(not a whole number\), in --set/);
    assert.match(problem(`${text}guests:\n  - {name: g, memory: 1GiB, count: 1.0000000000000001}\n`).message, /^r\.yaml:5:36: guests\[0\]\.count: .*\(not a whole number\)$/);
    assert.match(problem(`${text}guests:\n  - {name: g, memory: 1GiB, workload: {anon: {zipf: &z 1e-400}}}\nseed: *z\n`).problem, /found 1e-400 \(not a whole number\)/);
  });

  test('a number that is exactly an integer is that integer', () => {
    for (const [written, value] of [['3.0', 3], ['1e3', 1000], ['0x10', 16], ['0o17', 15], ['+5', 5], [`7.${'0'.repeat(200)}`, 7]] as const) {
      assert.equal(parseScenario(`${text}seed: ${written}\n`, 'r.yaml').seed, value, written);
    }
    // Real-valued fields keep taking what a double makes of the number.
    const zipf = parseScenario(`${text}guests:\n  - {name: g, memory: 1GiB, workload: {anon: {zipf: 1.0000000000000001}}}\n`, 'r.yaml');
    assert.equal(zipf.guests[0].workload.anon.zipf, 1);
  });

  test('zeros that change nothing do not make a size or a duration unreadable', () => {
    const s = parseScenario(text, 'r.yaml', [`duration=1.${'0'.repeat(100)}s`, `host.memory=4.${'0'.repeat(100)}GiB`]);
    assert.equal(s.durationNs, 1e9);
    assert.equal(s.host.pages, 4 * 262144);
    // Within the parser's 40 characters too: such zeros are not "too many digits".
    const level = parseScenario(`${text}guests:\n  - {name: g, memory: 1GiB}\n`, 'r.yaml', ['guests[0].workload.anon.level=12.50000000000000000000%']);
    assert.equal(level.guests[0].workload.anon.levelPercent, 12.5);
    assert.match(problem(text, ['duration=1.0000000000000000000001s']).problem, /\(not a whole number of nanoseconds\)/);
    assert.match(problem(text, [`duration=1.${'0'.repeat(100)}1s`]).problem, /\(too many digits: 103 characters in the number, at most 40 without zeros that change nothing\)/);
    assert.match(problem(text, [`duration=-1${'0'.repeat(100)}s`]).problem, /\(a duration cannot be negative\)/);
    assert.match(problem(text, [`host.memory=1${'0'.repeat(100)}KB`]).problem, /\(only IEC units: KiB\) \(set by --set host\.memory=1000/);
  });

  test('"too large" says the limit for every kind of value', () => {
    assert.match(problem(text, ['host.memory=99999999999TiB']).problem, /\(too large: at most 2\^53-1 bytes, just under 8192TiB\) \(set by/);
    assert.match(problem(text, ['toolstack.build_rate=99999999999TiB/s']).problem, /\(too large: at most 2\^53-1 bytes\/s\) \(set by/);
    assert.match(problem(`${text}guests:\n  - {name: g, memory: 1GiB}\n`, ['guests[0].workload.files.rate=99999999999999999/s']).problem, /\(too large: at most 2\^53-1\/s\) \(set by/);
  });
});

describe('YAML tags beyond the core schema are named', () => {
  const text = 'duration: 10m\nhost:\n  memory: 64GiB\n';
  const cases: [string, string][] = [
    ['!!binary aGVsbG8=', '!!binary (binary data)'],
    ['!!set {a, b}', '!!set (a set)'],
    ['!!timestamp 2001-12-14', '!!timestamp (a date)'],
    ['!!omap [a: 1]', '!!omap (an ordered mapping)'],
  ];
  for (const [value, tag] of cases) {
    test(`host.memory: ${value}`, () => {
      const expected = `the YAML tag ${tag} is not allowed: a scenario holds text, numbers, true/false, mappings and lists only`;
      assert.equal(problem(text.replace('64GiB', value)).message, `r.yaml:3:11: host.memory: ${expected}`);
      assert.equal(problem(text, [`host.memory=${value}`]).message, `r.yaml: host.memory: ${expected}, in --set host.memory=${value}`);
    });
  }

  test('the core tags are fine', () => {
    assert.equal(parseScenario(text.replace('64GiB', '!!str 64GiB'), 'r.yaml').host.pages, 64 * 262144);
    assert.equal(parseScenario(`${text}seed: !!int 5\n`, 'r.yaml').seed, 5);
    // The core schema's !!float takes integer literals too (the yaml library alone would not).
    assert.equal(parseScenario(`${text}seed: !!float 7\n`, 'r.yaml').seed, 7);
  });

  test('a value its numeric tag does not fit is named with its field, not "invalid YAML"', () => {
    assert.equal(problem(`${text}seed: !!int 5.5\n`).message, 'r.yaml:4:13: seed: the value tagged !!int is not a whole number: "5.5"');
    assert.equal(problem(`${text}seed: !!float abc\n`).message, 'r.yaml:4:15: seed: the value tagged !!float is not a number: "abc"');
  });
});

describe('a malformed --set path says what is wrong with it', () => {
  const cases: [string, string][] = [
    ['guests[-1].count', 'a negative index [-1] at character 7: list entries are numbered from 0'],
    ['a..b', 'an empty key between two dots at character 2'],
    ['.seed', "the path starts with '.': an empty key before it"],
    ['seed.', "the path ends with '.': an empty key after it"],
    ['guests[]', "an empty index [] at character 7: give the entry's number, as [0]"],
    ['guests[0', 'an unclosed [ at character 7: an index is written [0]'],
    ['guests[x]', '[x] at character 7 is not an index: expected a number from 0, as [0]'],
    ['guests[1234567]', 'the index [1234567] at character 7 is too large (at most 6 digits)'],
    ['[0].count', 'the path starts with an index at character 1: name the list first, as guests[0]'],
    ['guests.0.count', '.0 at character 7: a list entry is written [0], as guests[0]'],
    ['guests.[0]', "'.[' at character 7: an index follows its list directly, as guests[0]"],
    // Taken as guests[0].count before: a path without its '.' is not the path with it.
    ['guests[0]count', `"count" at character 10 follows the index with no '.' before it: write guests[0].count`],
    ['timeline[0].x[12]at', `"at" at character 18 follows the index with no '.' before it: write timeline[0].x[12].at`],
    ['host.mémoire', 'unexpected "é" at character 7: a path is keys (letters, digits, _) joined by \'.\', and indices [0]'],
    ['host.é', 'unexpected "é" at character 6: a key is letters, digits and _, starting with a letter or _'],
    ['host memory', 'unexpected " " at character 5: a path is keys (letters, digits, _) joined by \'.\', and indices [0]'],
    ['0seed', 'a key starts with a letter or _, found "0seed"'],
    ['', 'the path before = is empty'],
  ];
  for (const [path, why] of cases) {
    test(`${JSON.stringify(path)}`, () => {
      assert.equal(parsePath(path), null);
      assert.equal(pathProblem(path), why);
      assert.equal(problem('duration: 10m\nhost:\n  memory: 64GiB\n', [`${path}=1`]).message, `r.yaml: --set "${path}=1": ${why}`);
    });
  }

  test('a flag without = still says path=value', () => {
    assert.equal(problem('duration: 10m\nhost:\n  memory: 64GiB\n', ['seed']).message, 'r.yaml: --set "seed": expected path=value, such as toolstack.policy=none or guests[0].count=3');
  });
});

describe('trace files: a sign before a number is refused, as the docs say', () => {
  const scenario = (trace: string): string => {
    const file = join(dir, `t-${trace}.yaml`);
    writeFileSync(file, `duration: 10s\nhost:\n  memory: 4GiB\nguests:\n  - name: g\n    memory: 1GiB\n    workload: {anon: {profile: trace, trace: {file: traces/${trace}}}}\n`);
    return file;
  };

  test('+5 is refused with the file:line message of the other trace errors', () => {
    writeFileSync(join(dir, 'traces', 'plus'), '0 10\n0 +5\n');
    const e = scenarioError(() => loadScenario(scenario('plus')));
    assert.equal(e.path, 'guests[0].workload.anon.trace.file');
    assert.equal(e.problem, `not a usable trace: ${join(dir, 'traces', 'plus')}:2: column 2 (memory %): expected a non-negative number without a sign, found "+5"`);
  });

  test('the first error in the file is reported: a sign before a later bad line', () => {
    writeFileSync(join(dir, 'traces', 'plus-then-bad'), '0 10\n+1 5\n0 abc\n');
    assert.match(scenarioError(() => loadScenario(scenario('plus-then-bad'))).problem, /plus-then-bad:2: column 1 \(cpu %\): expected a non-negative number without a sign, found "\+1"$/);
    writeFileSync(join(dir, 'traces', 'bad-then-plus'), '0 abc\n+1 5\n');
    assert.match(scenarioError(() => loadScenario(scenario('bad-then-plus'))).problem, /bad-then-plus:1: column 2 \(memory %\): expected a non-negative number, found "abc"$/);
  });

  test("an exponent's sign is fine", () => {
    writeFileSync(join(dir, 'traces', 'exp'), '0 1e+1\n0 5e-1\n');
    const anon = loadScenario(scenario('exp')).guests[0].workload.anon;
    assert.deepEqual(anon.profile === 'trace' && [...anon.memPercent], [10, 0.5]);
  });
});

describe('a scenario named after its file follows the name rule', () => {
  const BODY = 'duration: 10s\nhost:\n  memory: 4GiB\n';
  const cases: [string, string][] = [
    ['my scenario', '(" " is not allowed; a name is letters, digits, \'.\', \'_\', \'-\', at most 64, starting with a letter or digit): add a name: key, such as name: my-scenario'],
    ['ü', '("ü" is not allowed; a name is letters, digits, \'.\', \'_\', \'-\', at most 64, starting with a letter or digit): add a name: key, such as name: my-scenario'],
    ['__proto__', '(it starts with "_"; a name is letters, digits, \'.\', \'_\', \'-\', at most 64, starting with a letter or digit): add a name: key, such as name: proto__'],
    ['a'.repeat(80), `(80 characters; a name is letters, digits, '.', '_', '-', at most 64, starting with a letter or digit): add a name: key, such as name: ${'a'.repeat(64)}`],
    ['new\nline', '("\\n" is not allowed; a name is letters, digits, \'.\', \'_\', \'-\', at most 64, starting with a letter or digit): add a name: key, such as name: new-line'],
  ];
  for (const [base, why] of cases) {
    test(JSON.stringify(base), () => {
      const file = join(dir, `${base}.yaml`);
      writeFileSync(file, BODY);
      const e = scenarioError(() => loadScenario(file));
      assert.equal(e.path, '');
      assert.equal(e.line, undefined);
      assert.equal(e.problem, `no name: key, and the file name ${JSON.stringify(base.length > 60 ? `${base.slice(0, 59)}…` : base)} is not a scenario name ${why}`);
      assert.ok(!e.message.includes('\n'), 'one line, even for a file name with a newline');
      // With a name: key the file name does not matter.
      writeFileSync(file, `name: fine\n${BODY}`);
      assert.equal(loadScenario(file).name, 'fine');
    });
  }

  test('a file name that is a name is the name', () => {
    assert.equal(parseScenario(BODY, 'dir/web-2.v1.yaml').name, 'web-2.v1');
    assert.equal(parseScenario(BODY, '').name, 'scenario');
  });
});

describe('description: one line without control characters', () => {
  const text = 'duration: 10m\nhost:\n  memory: 64GiB\n';
  const cases: [string, string][] = [
    ['"a\\0b"', 'U+0000 (NUL) at character 2'],
    ['"\\e[31mred"', 'U+001B (escape) at character 1'],
    ['"abc\\u202Eevil"', 'U+202E (right-to-left override) at character 4'],
    ['"one\\rtwo"', 'U+000D (carriage return) at character 4'],
    ['"x\\x7f"', 'U+007F (delete) at character 2'],
    ['"x\\x85"', 'U+0085 (next line) at character 2'],
    ['"x\\x9b"', 'U+009B (a control character) at character 2'],
    ['"one\\ntwo"', 'U+000A (line feed) at character 4'],
    ['>\n  folded\n', 'U+000A (line feed) at character 7; a YAML block scalar (>) keeps a final line break, >- drops it'],
  ];
  for (const [value, found] of cases) {
    test(value, () => {
      const e = problem(`${text}description: ${value}\n`);
      assert.equal(e.path, 'description');
      assert.equal(e.problem, `expected one line of text without control characters, found ${found}`);
      assert.ok(!e.message.includes('\n'));
    });
  }

  test('a tab, accents and emoji are fine', () => {
    assert.equal(parseScenario(`${text}description: "a\\tb, é, 🙂"\n`, 'r.yaml').description, 'a\tb, é, 🙂');
    assert.equal(parseScenario(`${text}description: >-\n  folded\n  text\n`, 'r.yaml').description, 'folded text');
  });

  test('its 1000 characters are counted as characters: an emoji is one', () => {
    assert.equal([...parseScenario(`${text}description: "${'🙂'.repeat(1000)}"\n`, 'r.yaml').description].length, 1000);
    assert.equal(problem(`${text}description: "${'🙂'.repeat(1001)}"\n`).problem, 'expected text of at most 1000 characters, found 1001');
  });
});

describe('a number or a boolean where text goes: a hint to quote it', () => {
  const text = 'duration: 10m\nhost:\n  memory: 64GiB\n';
  const hint = (kind: string, what: string) => `(YAML reads it as ${kind}: put it in quotes to make it ${what})`;

  test('name: 123 and name: true', () => {
    assert.equal(
      problem(`name: 123\n${text}`).message,
      `r.yaml:1:7: name: expected a name such as claim-race (letters, digits, '.', '_', '-', at most 64), found 123 ${hint('a number', 'a name')}`,
    );
    assert.match(problem(`name: true\n${text}`).problem, new RegExp(`found true ${hint('a boolean', 'a name').replace(/[()]/g, '\\$&')}$`));
    assert.equal(parseScenario(`name: "123"\n${text}`, 'r.yaml').name, '123');
  });

  test('a guest name, an image, a description, a trace file', () => {
    const guest = (extra: string) => `${text}guests:\n  - {name: g, memory: 1GiB${extra}}\n`;
    assert.match(problem(guest(', image: 12')).problem, /found 12 \(YAML reads it as a number: put it in quotes to make it a name\)$/);
    assert.match(problem(`${text}description: 5\n`).problem, /^expected text, found 5 \(YAML reads it as a number: put it in quotes to make it text\)$/);
    assert.match(problem(guest(', workload: {anon: {profile: trace, trace: {file: 7}}}')).problem, /found 7 \(YAML reads it as a number: put it in quotes to make it text\)$/);
  });

  test('no hint where quotes would not help', () => {
    assert.match(problem(`name: -5\n${text}`).problem, /found -5$/);
  });
});
