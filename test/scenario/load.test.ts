// Loading scenario files: defaults, group expansion, the timeline, --set
// overrides, and the corpus of broken files (each with its expected message).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { applyOverrides, loadScenario, parseScenario } from '../../src/scenario/load.ts';
import { nearestKey } from '../../src/lib/nearest.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { MAX_TOTAL_TRACE_SAMPLES } from '../../src/scenario/resolve.ts';
import { guestConfig as simGuestConfig } from '../../src/sim/guest-config.ts';
import { compileAnonProfile } from '../../src/guest/workload/anon.ts';
import { compileFilePattern } from '../../src/guest/workload/file.ts';
import { Prng } from '../../src/lib/prng.ts';
import { scenarioError } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const brokenDir = fileURLToPath(new URL('./broken/', import.meta.url));
const GiB_PAGES = 262144;
const MINIMAL = 'duration: 10m\nhost:\n  memory: 64GiB\n';


describe('defaults', () => {
  test('a minimal scenario gets every default of docs/scenario.md', () => {
    const s = parseScenario(MINIMAL, 'dir/minimal.yaml');
    const expected: Scenario = {
      name: 'minimal',
      description: '',
      file: 'dir/minimal.yaml',
      seed: 1,
      durationNs: 600e9,
      sampleIntervalNs: 5e9,
      workloadTickNs: 1e8,
      maxEvents: 100_000_000,
      host: {
        pages: 64 * GiB_PAGES,
        nodes: 1,
        hypervisorReservePages: 0,
        tmem: { enabled: false, dedup: false, tze: false, compress: false, store: 'synthetic' },
      },
      dom0: { memoryPages: GiB_PAGES },
      toolstack: { policy: 'claim', buildPagesPerS: 4 * GiB_PAGES, buildBatchPages: 16384 },
      guests: [],
      timeline: [],
    };
    assert.deepEqual(s, expected);
  });

  test('a minimal guest gets every default', () => {
    const s = parseScenario(`${MINIMAL}guests:\n  - name: web\n    memory: 4GiB\n`, 'x.yaml');
    assert.deepEqual(s.guests, [
      {
        name: 'web',
        group: 'web',
        memoryPages: 4 * GiB_PAGES,
        maxmemPages: 4 * GiB_PAGES,
        swapPages: GiB_PAGES,
        kernelReservePages: Math.floor((4 * GiB_PAGES * 2) / 100),
        image: 'web',
        cleancache: false,
        cleancacheShared: false,
        frontswap: false,
        diskLatencyNs: 5e6,
        selfballoon: {
          enabled: false,
          intervalNs: 5e9,
          downHysteresis: 8,
          upHysteresis: 1,
          reserved: { percent: 10 },
          minUsablePages: 0,
          selfShrinking: true,
          frontswapHysteresis: 20,
          frontswapInertia: 3,
        },
        workload: {
          anon: { profile: 'constant', levelPercent: 40, ratePerS: 5000, zipf: 0.8 },
          files: { workingSetPages: GiB_PAGES, ratePerS: 20000, zipf: 0.9, scanPercent: 10, writePercent: 5, deleteEveryNs: 0 },
          contents: { zeroPercent: 5, imagePercent: 30, compressibility: { highPercent: 40, mediumPercent: 40, lowPercent: 20 } },
        },
      },
    ]);
  });

  test('cleancache and frontswap follow host tmem unless set; percents resolve against memory and maxmem', () => {
    const s = parseScenario(
      `duration: 1m\nhost:\n  memory: 64GiB\n  hypervisor_reserve: 1%\n  tmem: {enabled: true}\n` +
        `guests:\n  - name: a\n    memory: 4GiB\n    maxmem: 8GiB\n    frontswap: false\n    kernel_reserve: 50%\n` +
        `    workload: {files: {working_set: 25%}}\n`,
    );
    assert.equal(s.name, 'scenario');
    assert.equal(s.host.hypervisorReservePages, Math.floor((64 * GiB_PAGES) / 100));
    assert.equal(s.guests[0].cleancache, true);
    assert.equal(s.guests[0].frontswap, false);
    assert.equal(s.guests[0].kernelReservePages, 2 * GiB_PAGES);
    assert.equal(s.guests[0].workload.files.workingSetPages, 2 * GiB_PAGES);
  });

  test("docs/scenario.md's idle guest: no demand, no accesses; a bare 0 rate is refused", () => {
    const idle = (workload: string) => parseScenario(`${MINIMAL}guests:\n  - name: g\n    memory: 1GiB\n    workload: ${workload}\n`, 'x.yaml');
    const w = idle('{anon: {level: 0%, rate: 0/s}, files: {rate: 0/s}}').guests[0].workload;
    assert.deepEqual([w.anon.levelPercent, w.anon.ratePerS, w.files.ratePerS], [0, 0, 0]);
    assert.throws(() => idle('{files: {rate: 0}}'), /files\.rate: expected a rate such as 20000\/s, found 0 \(say \/s\)/);
  });

  test('every documented example in docs/scenario.md is a valid scenario', () => {
    const doc = readFileSync(`${root}docs/scenario.md`, 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length > 0);
    for (const block of blocks) parseScenario(block, `${root}docs/example.yaml`);
  });

  test('the bundled examples are valid', () => {
    for (const name of readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml'))) {
      loadScenario(`${root}examples/${name}`);
    }
  });
});

describe('guest groups and the timeline', () => {
  const text =
    `${MINIMAL}guests:\n  - name: web\n    count: 3\n    memory: 2GiB\n  - name: db\n    memory: 8GiB\n    image: pg\n` +
    `timeline:\n` +
    `  - at: 2m\n    destroy: {guest: web-2}\n` +
    `  - at: 1m\n    launch: {name: big, count: 2, memory: 4GiB}\n` +
    `  - at: 1m\n    tmem_freeze: {all: true}\n` +
    `  - at: 90s\n    toolstack_dies: {guest: big-1}\n` +
    `  - at: 3m\n    mem_max: {guest: db, maxmem: 12GiB}\n` +
    `  - at: 3m\n    mem_set: {guest: db, target: 10GiB}\n` +
    `  - at: 4m\n    tmem_flush: {size: 1GiB}\n`;

  test('groups expand into members named group-1… when count > 1', () => {
    const s = parseScenario(text, 'g.yaml');
    assert.deepEqual(
      s.guests.map((g) => [g.name, g.group, g.image]),
      [['web-1', 'web', 'web'], ['web-2', 'web', 'web'], ['web-3', 'web', 'web'], ['db', 'db', 'pg']],
    );
  });

  test('guests sharing a filesystem give the same file contents: zero_share and compressibility, which file pages take, not image_share, which only anonymous pages take', () => {
    const guest = (name: string, image: string, contents: string, shared = true): string =>
      `  - {name: ${name}, memory: 1GiB, image: ${image}, cleancache_shared: ${shared}, workload: {contents: {${contents}}}}\n`;
    const scenario = (guests: string, timeline = ''): Scenario => parseScenario(`${MINIMAL}  tmem: {enabled: true}\nguests:\n${guests}${timeline}`, 's.yaml');
    // Only their anonymous pages differ: accepted.
    assert.equal(scenario(guest('a', 'deb', 'image_share: 10%') + guest('b', 'deb', 'image_share: 60%')).guests.length, 2);
    // Other images, or a private filesystem: nothing shared, anything goes.
    assert.equal(scenario(guest('a', 'deb', 'zero_share: 1%') + guest('b', 'rhel', 'zero_share: 50%')).guests.length, 2);
    assert.equal(scenario(guest('a', 'deb', 'zero_share: 1%') + guest('b', 'deb', 'zero_share: 50%', false)).guests.length, 2);
    const compress = 'compressibility: {high: 10%, medium: 10%, low: 80%}';
    assert.match(
      scenarioError(() => scenario(guest('a', 'deb', '') + guest('b', 'deb', compress))).message,
      /^s\.yaml:\d+:\d+: guests\[1\]\.workload\.contents: guests sharing a filesystem .*: guests\[0\] has zero_share 5%, compressibility \{high: 40%, medium: 40%, low: 20%\}, this one zero_share 5%, compressibility \{high: 10%, medium: 10%, low: 80%\}; give them the same$/,
    );
    // A launched guest shares it with the initial ones.
    const launch = `timeline:\n  - {at: 1m, launch: {name: c, memory: 1GiB, image: deb, cleancache_shared: true, workload: {contents: {zero_share: 50%}}}}\n`;
    assert.match(scenarioError(() => scenario(guest('a', 'deb', ''), launch)).message, /timeline\[0\]\.launch\.workload\.contents: guests sharing a filesystem/);
  });

  test('the timeline is sorted stably by time; launches expand; where names the entry', () => {
    const s = parseScenario(text, 'g.yaml');
    assert.deepEqual(
      s.timeline.map((e) => [e.atNs / 1e9, e.action.kind, e.where]),
      [
        [60, 'launch', 'timeline[1]'],
        [60, 'launch', 'timeline[1]'],
        [60, 'tmem_freeze', 'timeline[2]'],
        [90, 'toolstack_dies', 'timeline[3]'],
        [120, 'destroy', 'timeline[0]'],
        [180, 'mem_max', 'timeline[4]'],
        [180, 'mem_set', 'timeline[5]'],
        [240, 'tmem_flush', 'timeline[6]'],
      ],
    );
    const launched = s.timeline.filter((e) => e.action.kind === 'launch').map((e) => (e.action.kind === 'launch' ? e.action.guest.name : ''));
    assert.deepEqual(launched, ['big-1', 'big-2']);
    assert.deepEqual(s.timeline[2].action, { kind: 'tmem_freeze', guest: null });
    assert.deepEqual(s.timeline[6].action, { kind: 'mem_set', guest: 'db', targetPages: 10 * GiB_PAGES });
    assert.deepEqual(s.timeline[7].action, { kind: 'tmem_flush', pages: GiB_PAGES });
  });

  test('a mem_set above maxmem is refused until a mem_max raises it', () => {
    const swapped = text.replace('  - at: 3m\n    mem_max', '  - at: 4m\n    mem_max');
    const e = scenarioError(() => parseScenario(swapped, 'g.yaml'));
    assert.equal(e.path, 'timeline[5].mem_set.target');
    assert.match(e.message, /expected at most db's maxmem \(8 GiB\), found 10 GiB/);
  });
});

describe('overrides', () => {
  const text = `${MINIMAL}guests:\n  - name: web\n    memory: 2GiB\n`;

  test('--set changes values, creates missing sections, and is checked like the file', () => {
    const s = parseScenario(text, 'o.yaml', ['toolstack.policy=none', 'host.tmem.enabled=false', 'seed=7', 'guests[0].count=3']);
    assert.equal(s.toolstack.policy, 'none');
    assert.equal(s.host.tmem.enabled, false);
    assert.equal(s.seed, 7);
    assert.deepEqual(s.guests.map((g) => g.name), ['web-1', 'web-2', 'web-3']);
    const on = parseScenario(text, 'o.yaml', ['host.tmem.enabled=true', 'guests[0].workload.anon.level=25%']);
    assert.equal(on.guests[0].cleancache, true);
    assert.deepEqual(on.guests[0].workload.anon, { profile: 'constant', levelPercent: 25, ratePerS: 5000, zipf: 0.8 });
  });

  test('anonymous accesses are set under workload.anon', () => {
    const s = parseScenario(text, 'o.yaml', ['guests[0].workload.anon={rate: 5000/s, zipf: 0.9}']);
    assert.deepEqual(s.guests[0].workload.anon, { profile: 'constant', levelPercent: 40, ratePerS: 5000, zipf: 0.9 });
  });

  test('an empty section in the file can be set into', () => {
    const s = parseScenario(`${text}toolstack:\n`, 'o.yaml', ['toolstack.policy=reservation']);
    assert.equal(s.toolstack.policy, 'reservation');
  });

  test('later --set flags win', () => {
    assert.equal(parseScenario(text, 'o.yaml', ['seed=7', 'seed=8']).seed, 8);
  });

  const bad: [string, string][] = [
    ['seed', 'o.yaml: --set "seed": expected path=value, such as toolstack.policy=none or guests[0].count=3'],
    ['=3', 'o.yaml: --set "=3": the path before = is empty'],
    ['guests[x].count=1', 'o.yaml: --set "guests[x].count=1": [x] at character 7 is not an index: expected a number from 0, as [0]'],
    [
      'toolstack.polcy=none',
      'o.yaml: toolstack.polcy: no such key; did you mean policy? (toolstack has: policy, build_rate, build_batch), in --set toolstack.polcy=none',
    ],
    [
      'guests[99].selfballon.enabled=true',
      'o.yaml: guests[99].selfballon.enabled: no such key; did you mean selfballoon? (guests[i] has: name, count, memory, maxmem, swap, kernel_reserve, image, cleancache, cleancache_shared, frontswap, disk_latency, selfballoon, workload), in --set guests[99].selfballon.enabled=true',
    ],
    ['seed.x=1', 'o.yaml: seed.x: seed is a single value, it has no x, in --set seed.x=1'],
    ['guests.count=1', 'o.yaml: guests.count: guests is a list: index it, e.g. guests[0], in --set guests.count=1'],
    ['guests[5].count=1', 'o.yaml: guests[5].count: no such entry: guests has 1, in --set guests[5].count=1'],
    ['timeline[0].at=1s', 'o.yaml: timeline[0].at: no such entry: the file has no timeline, in --set timeline[0].at=1s'],
    ['guests[0].count=0', 'o.yaml: guests[0].count: expected an integer from 1 to 10000, such as 4, found 0 (set by --set guests[0].count=0)'],
    ['toolstack.policy=clam', 'o.yaml: toolstack.policy: expected one of none, claim, reservation, found "clam" (set by --set toolstack.policy=clam)'],
    ['host.memory=[1', 'o.yaml: host.memory: the value is not valid YAML (Flow sequence must end with a ]), in --set host.memory=[1'],
    ['description=a\n---\nb', 'o.yaml: description: the value holds more than one YAML document (a line of --- starts another); give one value, in --set description=a\\n---\\nb'],
  ];
  for (const [flag, message] of bad) {
    test(`--set ${flag} is refused with a clear message`, () => {
      const e = scenarioError(() => parseScenario(text, 'o.yaml', [flag]));
      assert.equal(e.message, message);
      assert.equal(e.line, undefined);
    });
  }

  test('a --set value gets the checks a file gets: YAML 1.2, keys that are names, core numeric tags', () => {
    const set = (flag: string) => parseScenario(text, 'o.yaml', [flag]);
    const refused = (flag: string) => scenarioError(() => set(flag)).message;
    assert.equal(refused('toolstack={[a]: 1}'), 'o.yaml: toolstack: a key must be a name, found a list (a YAML complex key), in --set toolstack={[a]: 1}');
    assert.equal(refused('toolstack={~: 1}'), 'o.yaml: toolstack: a key must be a name, found "~" (YAML for nothing: an empty key), in --set toolstack={~: 1}');
    // YAML 1.1 would read 010 as 8 and yes as true.
    assert.equal(refused('guests[0].count=%YAML 1.1\n---\n010'), 'o.yaml: guests[0].count: %YAML 1.1: scenario files are YAML 1.2 (remove the directive), in --set guests[0].count=%YAML 1.1\\n---\\n010');
    assert.equal(set('guests[0].count=!!float 2').guests.length, 2, '!!float on an integer literal is a float, as in a file');
    assert.equal(refused('seed=!!int 1.5'), 'o.yaml: seed: the value tagged !!int is not a whole number: "1.5", in --set seed=!!int 1.5');
    assert.equal(refused('guests[0]={name: *x}'), 'o.yaml: guests[0]: invalid YAML: the alias *x has no anchor &x before it, in --set guests[0]={name: *x}');
  });

  test('--set does not change a value the file repeats through an alias, nor inside it', () => {
    const anchored = text.replace(/seed: .*/, 'seed: &s 3').replace('guests:', 'dom0: {memory: &m 1GiB}\nguests:') + 'timeline:\n  - at: 1s\n    launch: {name: big, memory: *m}\n';
    assert.equal(parseScenario(anchored, 'o.yaml').dom0.memoryPages, 262144);
    assert.equal(parseScenario(anchored, 'o.yaml', ['seed=4']).seed, 4, 'an anchor no alias uses is an ordinary value');
    assert.equal(
      scenarioError(() => parseScenario(anchored, 'o.yaml', ['dom0.memory=2GiB'])).message,
      'o.yaml: dom0.memory: the value in the file carries the YAML anchor &m, which *m repeats elsewhere; --set cannot change it (edit the file, or write the value out where the alias is), in --set dom0.memory=2GiB',
    );
    // A value that holds the anchored node, whichever order the flags come in.
    assert.match(scenarioError(() => parseScenario(anchored, 'o.yaml', ['dom0={memory: 2GiB}'])).problem, /^the value in the file holds the YAML anchor &m, which \*m repeats elsewhere/);
    for (const flags of [['timeline[0].launch.memory=2GiB', 'dom0.memory=2GiB'], ['dom0.memory=2GiB', 'timeline[0].launch.memory=2GiB']]) {
      assert.match(scenarioError(() => parseScenario(anchored, 'o.yaml', flags)).problem, /carries the YAML anchor &m/, flags.join(' '));
    }
    // An anchor name used again: only the node the alias follows is repeated.
    const reused = text.replace(/^guests:\n[\s\S]*$/m, 'guests:\n  - name: a\n    memory: &x 1GiB\n  - name: b\n    memory: *x\n    swap: &x 128MiB\n');
    assert.equal(parseScenario(reused, 'o.yaml', ['guests[1].swap=32MiB']).guests[1].swapPages, 8192);
    // Replacing a value that holds both the anchor and its aliases changes nothing elsewhere.
    assert.equal(parseScenario(reused, 'o.yaml', ['guests=[{name: c, memory: 2GiB}]']).guests.length, 1);
    // Inside an anchored mapping (z is refused later as an unknown key; --set refuses first).
    assert.match(scenarioError(() => parseScenario(anchored.replace('dom0: {memory: &m 1GiB}', 'dom0: &d {memory: &m 1GiB}') + 'z: *d\n', 'o.yaml', ['dom0.memory=2GiB'])).problem, /^dom0 carries the YAML anchor &d, which \*d repeats elsewhere/);
  });

  test('applyOverrides works on a parsed document and reports what it set', () => {
    const doc = parseDocument(text);
    const applied = applyOverrides(doc, ['seed=9', 'host.tmem.enabled=true']);
    assert.deepEqual(applied, [
      { text: 'seed=9', path: ['seed'] },
      { text: 'host.tmem.enabled=true', path: ['host', 'tmem', 'enabled'] },
    ]);
    assert.equal(doc.getIn(['seed']), 9);
    assert.equal(doc.getIn(['host', 'tmem', 'enabled']), true);
  });
});

describe('broken scenario files', () => {
  const files = readdirSync(brokenDir).filter((f) => f.endsWith('.yaml')).sort();
  test('the corpus is not empty', () => assert.ok(files.length >= 40));
  for (const name of files) {
    test(name, () => {
      const file = join(brokenDir, name);
      const expect = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8').split('\n')[0])?.[1];
      assert.ok(expect !== undefined, `${name} must start with "# expect: <message after the file name>"`);
      const e = scenarioError(() => loadScenario(file));
      assert.equal(e.file, file);
      assert.equal(e.message.slice(file.length + 1).trimStart(), expect);
    });
  }
});

describe('a misspelt key', () => {
  test('is named, with the known key it most likely meant, rather than the key it leaves missing', () => {
    const e = scenarioError(() => parseScenario('duration: 10m\nhost:\n  memroy: 64GiB\n', 'm.yaml'));
    assert.equal(e.path, 'host.memroy');
    assert.match(e.problem, /^unknown key; did you mean memory\? \(host has: /);
    assert.equal(e.line, 3);
    // An unknown key with no near known key gets no suggestion.
    assert.match(scenarioError(() => parseScenario('duration: 10m\nhost:\n  memory: 64GiB\n  zz: 1\n', 'm.yaml')).problem, /^unknown key \(host has: /);
  });

  test('nearestKey: one edit for keys of up to five characters, two for longer; a swap of neighbours is one, case is none; the nearest wins', () => {
    const keys = ['name', 'count', 'memory', 'maxmem', 'swap', 'selfballoon'];
    assert.equal(nearestKey('memroy', keys), 'memory');
    assert.equal(nearestKey('memxxy', keys), 'memory', 'six characters: two edits');
    assert.equal(nearestKey('mem', keys), null, 'three edits from memory');
    assert.equal(nearestKey('maxmen', keys), 'maxmem');
    assert.equal(nearestKey('MEMORY', keys), 'memory');
    assert.equal(nearestKey('SWAP', keys), 'swap');
    assert.equal(nearestKey('swpa', keys), 'swap');
    assert.equal(nearestKey('sawp', keys), 'swap');
    assert.equal(nearestKey('nmae', keys), 'name');
    assert.equal(nearestKey('coutn', keys), 'count');
    assert.equal(nearestKey('cxxnt', keys), null, 'five characters: one edit at most');
    assert.equal(nearestKey('sxyp', keys), null, 'four characters: one edit at most');
    assert.equal(nearestKey('self_balloon', keys), 'selfballoon');
    assert.equal(nearestKey('wxyz', keys), null);
    assert.equal(nearestKey('x'.repeat(100), ['x'.repeat(100)]), null, 'long keys are not compared');
    // The nearest, not the first within reach: counts is two edits from mountx, mount one, both within reach of six characters.
    assert.equal(nearestKey('mountx', ['counts', 'mount']), 'mount');
    assert.equal(nearestKey('countx', ['counts', 'county']), 'counts', 'equally near: the first given');
  });

  test('a key the mapping already holds is not suggested; a required key is still named beside an unknown key not near it; --set paths get the suggestion too', () => {
    const base = 'duration: 10m\nhost:\n  memory: 64GiB\nguests:\n  - name: web\n';
    // maxmen is one edit from maxmem, which is there: no suggestion, and memory is missing.
    const held = scenarioError(() => parseScenario(`${base}    maxmem: 8GiB\n    maxmen: 4GiB\n`, 'm.yaml'));
    assert.equal(held.path, 'guests[0].memory');
    assert.match(held.problem, /^required: /);
    const held2 = scenarioError(() => parseScenario(`${base}    memory: 4GiB\n    memroy: 4GiB\n`, 'm.yaml'));
    assert.match(held2.problem, /^unknown key \(guests\[0\] has: /, 'memory is there: no "did you mean memory?"');
    // colour is near no key: memory is named as missing, as before.
    const colour = scenarioError(() => parseScenario(`${base}    colour: blue\n`, 'm.yaml'));
    assert.equal(colour.path, 'guests[0].memory');
    const set = scenarioError(() => parseScenario(`${base}    memory: 4GiB\n`, 'm.yaml', ['host.memroy=3GiB']));
    assert.match(set.message, /host\.memroy: no such key; did you mean memory\? \(host has: /);
  });
});

describe('trace files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hypermem-trace-'));
  mkdirSync(join(dir, 'traces'));
  writeFileSync(join(dir, 'traces', 'vm'), '0 50\n');
  const guest = (file: string): string =>
    `${MINIMAL}guests:\n  - name: g\n    memory: 1GiB\n    workload:\n      anon:\n        profile: trace\n        trace: {file: ${file}}\n`;

  test('a relative trace file is looked for beside the scenario, and resolved', () => {
    writeFileSync(join(dir, 's.yaml'), guest('traces/vm'));
    const anon = loadScenario(join(dir, 's.yaml')).guests[0].workload.anon;
    assert.deepEqual(anon, { profile: 'trace', levelPercent: 40, file: join(dir, 'traces', 'vm'), scalePercent: 100, offsetNs: 0, intervalNs: 300e9, loop: true, memPercent: new Float64Array([50]), ratePerS: 5000, zipf: 0.8 });
  });

  test('then in the project root', () => {
    const trace = readdirSync(`${root}data/gcd`).find((f) => f.startsWith('vm_'));
    if (trace === undefined) return;
    writeFileSync(join(dir, 'r.yaml'), guest(`data/gcd/${trace}`));
    const anon = loadScenario(join(dir, 'r.yaml')).guests[0].workload.anon;
    assert.equal(anon.profile === 'trace' && anon.file, join(root, 'data/gcd', trace));
  });

  test("a group's members share the trace's samples, and so do their guests' scaled copies", () => {
    writeFileSync(join(dir, 'g.yaml'), guest('traces/vm').replace('  - name: g\n', '  - name: g\n    count: 3\n'));
    const scenario = loadScenario(join(dir, 'g.yaml'));
    const samples = scenario.guests.map((g) => (g.workload.anon.profile === 'trace' ? g.workload.anon.memPercent : null));
    assert.deepEqual(samples[0], new Float64Array([50]));
    assert.ok(samples[1] === samples[0] && samples[2] === samples[0], 'one array for the three members');
    // The rest of each member's spec is its own copy.
    assert.notEqual(scenario.guests[1].workload, scenario.guests[0].workload);
    const configs = scenario.guests.map((g, i) => simGuestConfig(g, i + 1, scenario));
    const scaled = configs.map((c) => (c.workload.anon.kind === 'trace' ? c.workload.anon.memPercent : null));
    assert.deepEqual(scaled[0], new Float64Array([50]));
    assert.ok(scaled[1] === scaled[0] && scaled[2] === scaled[0], 'one scaled array for the three guests');
  });

  test("a guest's demand follows its trace: memory % × scale of maxmem, from offset, interpolated, looping back to the first sample after the last", () => {
    writeFileSync(join(dir, 'traces', 'three'), '0 10\n0 20\n0 40\n');
    writeFileSync(join(dir, 'o.yaml'), guest('traces/three').replace('{file: traces/three}', '{file: traces/three, scale: 50%, offset: 5m}'));
    const scenario = loadScenario(join(dir, 'o.yaml'));
    const demand = compileAnonProfile(simGuestConfig(scenario.guests[0], 1, scenario).workload.anon, GiB_PAGES);
    const m = 60e9;
    const pages = (percent: number): number => Math.round((percent * GiB_PAGES) / 100);
    // t = 0 is 5 minutes in (20%, halved); 12.5 minutes in is between 40% and the first sample again (25%).
    assert.deepEqual([0, 5 * m, 7.5 * m, 10 * m, 15 * m].map(demand), [pages(10), pages(20), pages(12.5), pages(5), pages(10)]);
  });

  test('a diurnal demand crests at its peak exactly, never a page above (found by audit: both halves were rounded up, 30% to 100% of 1 GiB crested at 262,145 pages)', () => {
    writeFileSync(join(dir, 'd.yaml'), `${MINIMAL}guests:\n  - name: g\n    memory: 1GiB\n    workload:\n      anon: {profile: diurnal, level: 30%, diurnal: {peak: 100%, period: 4s}}\n`);
    const scenario = loadScenario(join(dir, 'd.yaml'));
    const demand = compileAnonProfile(simGuestConfig(scenario.guests[0], 1, scenario).workload.anon, GiB_PAGES);
    // Rising through the middle at boot: the crest a quarter period in, the trough three quarters in.
    assert.equal(demand(1e9), GiB_PAGES);
    assert.equal(demand(3e9), Math.round(0.3 * GiB_PAGES));
    for (let t = 0; t < 4e9; t += 1e6) assert.ok(demand(t) <= GiB_PAGES, `${demand(t)} pages at ${t} ns`);
  });

  test('the trace files of a scenario hold at most MAX_TOTAL_TRACE_SAMPLES samples together; a file replayed twice counts once', () => {
    // The largest trace file: 16 MiB of the shortest lines, exactly the bound.
    writeFileSync(join(dir, 'traces', 'full'), '0 1\n'.repeat(MAX_TOTAL_TRACE_SAMPLES));
    const two = (second: string) =>
      `${MINIMAL}guests:\n` +
      ['full', second].map((f, i) => `  - name: g${i}\n    memory: 1GiB\n    workload:\n      anon: {profile: trace, trace: {file: traces/${f}}}\n`).join('');
    writeFileSync(join(dir, 'twice.yaml'), two('full'));
    const twice = loadScenario(join(dir, 'twice.yaml')).guests.map((g) => (g.workload.anon.profile === 'trace' ? g.workload.anon.memPercent : null));
    assert.equal(twice[0]?.length, MAX_TOTAL_TRACE_SAMPLES);
    assert.ok(twice[1] === twice[0], 'read once, shared');
    // The same file however it is spelt: an absolute path with "./" or "//" in it is the file, read once.
    for (const spelt of [`${dir}/traces/./full`, `${dir}//traces/full`]) {
      assert.notEqual(two('full').replace('{file: traces/full}}\n', `{file: ${spelt}}}\n`), two('full'));
      writeFileSync(join(dir, 'spelt.yaml'), two('full').replace('{file: traces/full}}\n', `{file: ${spelt}}}\n`));
      const [a, b] = loadScenario(join(dir, 'spelt.yaml')).guests.map((g) => (g.workload.anon.profile === 'trace' ? g.workload.anon.memPercent : null));
      assert.ok(a !== null && a === b, spelt);
    }
    writeFileSync(join(dir, 'more.yaml'), two('vm'));
    const e = scenarioError(() => loadScenario(join(dir, 'more.yaml')));
    assert.equal(e.path, 'guests[1].workload.anon.trace.file');
    assert.equal(e.problem, `the scenario's trace files hold ${MAX_TOTAL_TRACE_SAMPLES + 1} samples with this one: at most ${MAX_TOTAL_TRACE_SAMPLES} in all (each costs the simulator 8 bytes; a file replayed by several guests counts once)`);
  });

  test('a directory is not a trace file', () => {
    writeFileSync(join(dir, 'd.yaml'), guest('traces'));
    const e = scenarioError(() => loadScenario(join(dir, 'd.yaml')));
    assert.equal(e.path, 'guests[0].workload.anon.trace.file');
    assert.match(e.problem, /^expected a trace file, found a directory/);
  });
});

test('a scenario records its --set flags: sorted, without the seed; in the order given when two name one field (the library lets the last win)', () => {
  const flags = (overrides: string[]) => parseScenario(MINIMAL, 'o.yaml', overrides).overrides;
  assert.deepEqual(flags(['seed=7', 'host.memory=32GiB', 'duration=5s']), ['duration=5s', 'host.memory=32GiB']);
  assert.deepEqual(flags(['host.memory=32GiB', 'duration=5s']), flags(['duration=5s', 'host.memory=32GiB']));
  assert.deepEqual(flags(['duration=6s', ' duration = 5s']), ['duration=6s', ' duration = 5s']);
  assert.equal(flags(['seed=3']), undefined, 'the seed is the summary\'s seed');
  assert.equal(flags([]), undefined);
});

test('a guest\'s swap is the device: mkswap\'s header takes its first page, so the guest gets one slot less', () => {
  const s = parseScenario(`${MINIMAL}guests:\n  - {name: a, memory: 1GiB, swap: 64MiB}\n  - {name: b, memory: 1GiB, swap: 0B}\n  - {name: c, memory: 1GiB}\n`, 'swap.yaml');
  assert.equal(s.guests[0].swapPages, 16384, 'the scenario keeps the device size');
  const slots = s.guests.map((g, i) => simGuestConfig(g, i + 1, s).swapPages);
  assert.deepEqual(slots, [16383, 0, GiB_PAGES - 1]);
});

test('file accesses stay within working_set, also when it is not a whole number of 1 MiB files (found by audit: scans read to the end of the last file, up to 255 pages more)', () => {
  // 1000 KiB is 250 pages: one file of 256 pages, 6 of them outside the working set; 1.5 MiB is a file and a half.
  for (const [ws, pages] of [['1000KiB', 250], ['1536KiB', 384], ['1MiB', 256]] as const) {
    for (const scan of ['100%', '50%']) {
      const s = parseScenario(`${MINIMAL}guests:\n  - name: g\n    memory: 1GiB\n    workload:\n      files: {working_set: ${ws}, rate: 100/s, scan_share: ${scan}}\n`, 'ws.yaml');
      const file = simGuestConfig(s.guests[0], 1, s).workload.file;
      assert.ok(file !== null);
      assert.equal(file.files, Math.ceil(pages / 256), 'whole files hold the working set');
      const sampler = compileFilePattern(file.pattern, file.files * file.pagesPerFile);
      const rng = new Prng(1, 'ws');
      const seen = new Set<number>();
      for (let i = 0; i < 20 * pages; i++) seen.add(sampler.next(rng));
      assert.equal(Math.max(...seen), pages - 1, `${ws}, scan_share ${scan}: the highest page read`);
      if (scan === '100%') assert.equal(seen.size, pages, 'a scan reads every page of the working set');
    }
  }
});

describe('messages quote the value as written', () => {
  test("$&, $` and $' in a value with zeros to drop are not replacement patterns", () => {
    // A number with leading zeros is read again without them; the message still quotes what was written.
    for (const tail of ['1$&x', "1 G$'iB", '1$`x']) {
      const value = '0'.repeat(41) + tail;
      assert.throws(
        () => parseScenario(MINIMAL, 'x.yaml', [`host.memory=${value}`]),
        (e: Error) => e.message.includes(`found ${JSON.stringify(value)} (set by --set host.memory=${value})`),
      );
    }
  });
});

test('a size that must hold something and is under one page is refused with the size found (was "found less than one page", also for 0 B)', () => {
  const problem = (text: string, flags: string[] = []) => {
    const e = scenarioError(() => parseScenario(text, 'page.yaml', flags));
    return `${e.path}: ${e.problem}`;
  };
  const guest = 'guests:\n  - {name: g, memory: 1GiB}\n';
  assert.equal(problem(`${MINIMAL}dom0: {memory: 0B}\n`), 'dom0.memory: expected at least one page (4 KiB), found 0 B');
  assert.equal(problem(`${MINIMAL}dom0: {memory: 100B}\n`), 'dom0.memory: expected at least one page (4 KiB), found 100 B, less than one page');
  assert.equal(problem(`${MINIMAL}dom0: {memory: 2KiB}\n`), 'dom0.memory: expected at least one page (4 KiB), found 2 KiB, less than one page');
  assert.equal(problem(`${MINIMAL}dom0: {memory: 4095B}\n`), 'dom0.memory: expected at least one page (4 KiB), found 4095 B, less than one page', 'exact, not rounded to 4 KiB');
  assert.equal(problem(`${MINIMAL}toolstack: {build_batch: 0KiB}\n`), 'toolstack.build_batch: expected at least one page (4 KiB), found 0 B');
  assert.equal(problem(`${MINIMAL}toolstack: {build_rate: 0B/s}\n`), 'toolstack.build_rate: expected at least one page a second (4 KiB/s), found 0 B/s');
  assert.equal(problem(`${MINIMAL}toolstack: {build_rate: 1KiB/s}\n`), 'toolstack.build_rate: expected at least one page a second (4 KiB/s), found 1 KiB/s, less than one page a second');
  assert.equal(problem(`${MINIMAL}${guest}timeline:\n  - {at: 1s, mem_set: {guest: g, target: 0B}}\n`), 'timeline[0].mem_set.target: expected at least one page (4 KiB), found 0 B');
  assert.equal(problem(`${MINIMAL}${guest}`, ['guests[0].memory=512B']), 'guests[0].memory: expected at least one page (4 KiB), found 512 B, less than one page (set by --set guests[0].memory=512B)');
  // A number refused for its digits is refused for them (not for the size of the stand-in it is then read as).
  assert.match(problem(`${MINIMAL}dom0: {memory: 0.${'0'.repeat(41)}1KiB}\n`), /^dom0\.memory: expected a size such as 2GiB, found "0\.0+1KiB" \(too many digits: 44 characters/);
  assert.equal(problem(`${MINIMAL}dom0: {memory: ${'0'.repeat(50)}1KiB}\n`), 'dom0.memory: expected at least one page (4 KiB), found 1 KiB, less than one page', 'zeros that change nothing are dropped');
  // One page is enough.
  assert.equal(parseScenario(`${MINIMAL}dom0: {memory: 4KiB}\ntoolstack: {build_rate: 4KiB/s, build_batch: 4096B}\n`, 'page.yaml').dom0.memoryPages, 1);
});
