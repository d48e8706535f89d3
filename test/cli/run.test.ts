// `hypermem run`, `compare`, `validate` and `examples` end to end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { progressPermille, splitTopLevel, timeLeft } from '../../src/cli/run.ts';
import { main } from '../../src/cli/main.ts';
import { withPlantedFault } from './spawn.ts';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const race = join(root, 'test/sim/race-small.yaml');

function hypermem(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/hypermem.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hypermem run / compare / validate / examples', () => {
  test('the progress bar: where the run is, and the time left at the pace since the first report (a long boot is not counted)', () => {
    assert.equal(progressPermille(800_000_000, 5e9), 160, 'a bar appearing at 0.8 s of 5 s starts at 16 %');
    assert.equal(progressPermille(0, 0), 1000);
    assert.equal(timeLeft(5000, 0, 1000), '?');
    // 60 s of boot before the first report at 1 %: then 1 s for the next 1 %, so 98 s left, not 60 × 99.
    assert.equal(timeLeft(1000, 10, 980), '98s');
  });

  test('a fault of hypermem itself (not of the input) exits 1, says it is a bug to report, then gives the stack', async () => {
    const { result, stderr } = await withPlantedFault('run', () => main(['run', race, '--quiet']));
    assert.equal(result, 1);
    assert.match(stderr, /^hypermem: internal error: this is a bug in hypermem, not in your input; please report it with the command and files that caused it\nError: planted fault\n {4}at /);
  });

  test('a flag taken as the value of --out (`--out --quiet`) is refused: no folder named --quiet', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hypermem-flag-as-value-'));
    const r = spawnSync(process.execPath, [join(root, 'bin/hypermem.js'), 'run', race, '--out', '--quiet'], { cwd, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--out needs a value, found the flag --quiet \(a folder whose name starts with -- is written \.\/--quiet\)/);
    assert.deepEqual(readdirSync(cwd), []);
  });

  test('bidirectional controls and zero-width characters are escaped in messages: a message shows what is there', () => {
    const d = mkdtempSync(join(tmpdir(), 'hypermem-bidi-'));
    const file = join(d, 'bidi.yaml');
    writeFileSync(file, 'duration: 10m\nhost:\n  memory: 64GiB\nguests:\n  - name: "web\u202eevil"\n    memory: 1GiB\n');
    const r = hypermem(['validate', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /found "web\\u202eevil"\n$/);
    writeFileSync(file, 'duration: 10m\nhost:\n  memory: "64\u200bGiB"\n');
    assert.match(hypermem(['validate', file]).stderr, /found "64\\u200bGiB"/);
  });

  test('files that cannot be read say why in words: a loop of symbolic links', () => {
    const d = mkdtempSync(join(tmpdir(), 'hypermem-loop-'));
    symlinkSync(join(d, 'b.yaml'), join(d, 'a.yaml'));
    symlinkSync(join(d, 'a.yaml'), join(d, 'b.yaml'));
    const r = hypermem(['validate', join(d, 'a.yaml')]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `hypermem validate: ${join(d, 'a.yaml')}: cannot read the file: a loop of symbolic links (or too many of them in a row)\n`);
    const replay = hypermem(['replay', join(d, 'a.yaml')]);
    assert.equal(replay.stderr, `hypermem: cannot read ${join(d, 'a.yaml')}: a loop of symbolic links (or too many of them in a row)\n`);
  });

  test('run --out writes the four files and prints the tables', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hypermem-run-')), 'out');
    const r = hypermem(['run', race, '--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['events.jsonl', 'report.html', 'summary.json', 'timeseries.csv']);
    assert.match(r.stdout, /Launches/);
    assert.match(r.stdout, /Guests/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.equal(summary.scenario, 'race-small');
    const csv = readFileSync(join(dir, 'timeseries.csv'), 'utf8').trim().split('\n');
    assert.match(csv[0], /^time_s,free,freeable,owned,outstanding_claims,tmem_ephemeral,tmem_persistent,web-1\.ram/);
    assert.equal(csv.length, 1 + 31, 'a header and a sample per second over 30 s, both ends included');
    // Each guest's columns; its counters in the last row are the summary's totals (for a guest running at the end).
    const header = csv[0].split(',');
    const guestCols = ['ram', 'balloon_target', 'committed_as', 'max_pages', 'page_cache', 'cleancache_gets', 'cleancache_hits', 'file_reads', 'file_writes', 'swap_reads', 'swap_writes'];
    assert.deepEqual(header.slice(7, 18), guestCols.map((c) => `web-1.${c}`));
    const last = csv[csv.length - 1].split(',');
    const web1 = summary.guests.find((g: { name: string }) => g.name === 'web-1');
    const at = (c: string) => Number(last[header.indexOf(`web-1.${c}`)]);
    assert.equal(at('cleancache_gets'), web1.cleancache.gets);
    assert.equal(at('cleancache_hits'), web1.cleancache.hits);
    assert.equal(at('file_reads'), web1.disk.file_reads);
    assert.equal(at('file_writes'), web1.disk.file_writes);
    assert.equal(at('swap_reads'), web1.disk.swap_reads);
    assert.equal(at('swap_writes'), web1.disk.swap_writes);
    assert.ok(at('file_reads') > 0 && at('file_writes') > 0 && at('max_pages') >= at('ram') && at('page_cache') > 0);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.kind === 'crash' && e.guest === 'web-2'));
    // Every OOM episode a guest counts is in the event log, with the guest's memory at that moment.
    const ooms = events.filter((e) => e.kind === 'oom');
    const counted = summary.guests.reduce((a: number, g: { oom_events: number }) => a + g.oom_events, 0);
    assert.ok(counted > 0, 'race-small has OOM episodes');
    assert.ok(ooms.length >= 1 && ooms.length <= counted, `${ooms.length} oom events for ${counted} episodes`);
    assert.ok(ooms.every((e) => e.committed_pages > e.ram_pages));
  });

  test('--json prints exactly one summary line with the documented keys', () => {
    const r = hypermem(['run', race, '--json', '--set', 'duration=12s']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const s = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(s), ['scenario', 'seed', 'overrides', 'sim_time_ns', 'events', 'invariant_violations', 'invariant_checks', 'host', 'launches', 'guests', 'tmem', 'faults']);
    assert.equal(s.invariant_checks, 0, 'not checked without --verify');
    assert.deepEqual(s.overrides, ['duration=12s'], 'the --set flags, as given');
    assert.deepEqual(Object.keys(s.host), ['total_pages', 'min_free_pages', 'min_free_at_ns', 'max_outstanding_pages']);
    assert.deepEqual(Object.keys(s.launches[0]), ['name', 'policy', 'outcome', 'requested_pages', 'request_ns', 'start_ns', 'end_ns', 'wasted_build_ns']);
    assert.deepEqual(Object.keys(s.guests[0]), ['name', 'cleancache', 'frontswap', 'disk', 'workingset', 'oom_events', 'ram_pages_mean']);
    assert.deepEqual(Object.keys(s.guests[0].workingset), ['refaults', 'activations']);
    assert.deepEqual(Object.keys(s.tmem), ['ephemeral_pages_max', 'persistent_pages_max', 'evictions', 'dedup_ratio', 'compression_ratio']);
    assert.equal(s.sim_time_ns, 12e9);
  });

  test('the report names the --set flags, and launches the run ends before', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hypermem-run-')), 'out');
    // In either order the flags read the same (sorted: no two set one field).
    const r = hypermem(['run', race, '--set', 'toolstack.policy=none', '--set', 'duration=10500ms', '--quiet', '--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html, /<dt>overrides<\/dt><dd>--set duration=10500ms --set toolstack.policy=none<\/dd>/);
    assert.match(html, /<dt>launches<\/dt><dd>3 \(1 after the end\)<\/dd>/, 'big-3 comes at 11 s');
    const plain = join(mkdtempSync(join(tmpdir(), 'hypermem-run-')), 'out');
    assert.equal(hypermem(['run', race, '--quiet', '--out', plain]).status, 0);
    const html2 = readFileSync(join(plain, 'report.html'), 'utf8');
    assert.doesNotMatch(html2, /<dt>overrides/, 'no overrides, no fact');
    assert.match(html2, /<dt>launches<\/dt><dd>3<\/dd>/);
  });

  test('compare runs once per value, side by side', () => {
    const r = hypermem(['compare', race, '--set', 'toolstack.policy=none,claim', '--set', 'duration=14s', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const all = JSON.parse(r.stdout);
    assert.equal(all.length, 2);
    assert.deepEqual(all.map((s: { variant: string }) => s.variant), ['toolstack.policy=none', 'toolstack.policy=claim']);
    assert.deepEqual(all.map((s: { launches: { policy: string }[] }) => s.launches[0].policy), ['none', 'claim']);
    assert.deepEqual(all.map((s: { overrides: string[] }) => s.overrides), [
      ['duration=14s', 'toolstack.policy=none'],
      ['duration=14s', 'toolstack.policy=claim'],
    ]);
  });

  test('compare: commas inside a YAML flow value do not make a list; the compared seed and --seed clash', () => {
    assert.deepEqual(splitTopLevel('{enabled: true, interval: 2s},{enabled: false}'), ['{enabled: true, interval: 2s}', '{enabled: false}']);
    assert.deepEqual(splitTopLevel('[1, 2],"a,b",\'c,d\',e'), ['[1, 2]', '"a,b"', "'c,d'", 'e']);
    assert.deepEqual(splitTopLevel('none'), ['none']);
    assert.deepEqual(splitTopLevel("o'brien,x"), ["o'brien", 'x']);
    // YAML's escaped quotes do not end the quoted value.
    assert.deepEqual(splitTopLevel('"a\\",b",c'), ['"a\\",b"', 'c']);
    assert.deepEqual(splitTopLevel("'it''s,x',y"), ["'it''s,x'", 'y']);
    assert.deepEqual(splitTopLevel('"a\\\\",b'), ['"a\\\\"', 'b'], 'an escaped backslash before the closing quote');
    assert.deepEqual(splitTopLevel(" 'a,b', c"), [" 'a,b'", ' c']);
    let r = hypermem(['compare', race, '--set', 'toolstack.policy=none,claim', '--set', 'guests[0].selfballoon={enabled: true, interval: 4s}', '--set', 'duration=3s', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).length, 2);
    // The terminal table ends with the verdict (3 s: no launch yet, so no variant does better).
    r = hypermem(['compare', race, '--set', 'toolstack.policy=none,claim', '--set', 'duration=3s', '--quiet']);
    assert.equal(r.stdout, '');
    r = hypermem(['compare', race, '--set', 'toolstack.policy=none,claim', '--set', 'duration=3s']);
    assert.match(r.stdout, /\nVerdict: No variant does better than the others: they are equal on launches finished, launches failed mid-way, build time wasted and OOM events \(invariant violations: not checked, run with --verify\)/);
    r = hypermem(['compare', race, '--set', 'seed=1,2', '--seed', '5', '--set', 'duration=3s', '--json']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'hypermem: --seed 5: the seed is what --set seed=1,2 compares; drop one of them\n');
  });

  test('bad input: a clear message, exit 2, no stack trace, no --out folder', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hypermem-bad-')), 'out');
    const oneRequest = join(mkdtempSync(join(tmpdir(), 'hypermem-one-')), 'one.jsonl');
    writeFileSync(oneRequest, '# a comment first\n{"op":"host","pages":262144}\n');
    const cases: [string[], RegExp][] = [
      [['run', race, '--seed', 'x1', '--out', dir], /^hypermem: --seed: expected an integer, found "x1"$/],
      [['run', race, '--seed', '9007199254740993', '--out', dir], /^hypermem: --seed: expected an integer, found "9007199254740993" \(too large: at most 2\^53-1 either side of 0\)$/],
      [['run', race, '--set', 'toolstack.policy=maybe', '--out', dir], /toolstack\.policy: expected one of none, claim, reservation, found "maybe"/],
      [['run', race, '--set', 'max_events=50', '--out', dir], /the run reached its bound of 50 events/],
      [['run', 'no/such.yaml', '--out', dir], /no such file/],
      [['compare', race, '--set', 'seed=3'], /give exactly one --set path=a,b,c/],
      // The list's commas are inside an unclosed bracket: said so.
      [['compare', race, '--set', 'guests[0].count=[1,2'], /^hypermem: compare: --set guests\[0\]\.count=\[1,2 lists no values: its \[ is not closed, so its commas do not separate them \(give exactly one/],
      // A malformed path in the compared --set: the flag as given, with what is wrong (not the first value's run).
      [['compare', race, '--set', 'guests[0]count=1,2'], /^hypermem: --set guests\[0\]count=1,2: "count" at character 10 follows the index with no '\.' before it: write guests\[0\]\.count$/],
      // A replay file given for a scenario: said so, with the command that runs it.
      [['run', join(root, 'examples/claim-lifecycle.jsonl'), '--out', dir], /: a file of hypercalls \(one JSON request a line\), not a scenario: run it with hypermem replay .*claim-lifecycle\.jsonl$/],
      // One request is valid YAML too (a flow mapping): still said so, not "unknown key op".
      [['validate', oneRequest], /^hypermem validate: .*one\.jsonl: a file of hypercalls/],
    ];
    for (const [args, message] of cases) {
      const r = hypermem(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), message);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(existsSync(dir), false, 'no output folder');
    }
  });

  test('--out refuses to replace a folder hypermem did not write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-mine-'));
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    const r = hypermem(['run', race, '--set', 'duration=5s', '--out', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a hypermem output folder/);
    assert.equal(readFileSync(join(dir, 'precious.txt'), 'utf8'), 'keep me');
  });

  test('--out: a folder with a summary.json beside other files is not ours; a bad path fails before the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-proj-'));
    writeFileSync(join(dir, 'summary.json'), '{}');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'thesis.tex'), 'keep me');
    let r = hypermem(['run', race, '--set', 'duration=5s', '--out', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a hypermem output folder/);
    assert.equal(readFileSync(join(dir, 'src', 'thesis.tex'), 'utf8'), 'keep me');
    // Under a file, empty: refused before simulating (max_events=10 would stop the run otherwise).
    const file = join(dir, 'summary.json');
    for (const [out, message] of [
      [join(file, 'out'), /summary\.json is a file, not a folder/],
      ['', /an empty path/],
      [file, /exists and is not a folder/],
    ] as const) {
      for (const cmd of [['run', race], ['compare', race, '--set', 'seed=1,2']]) {
        r = hypermem([...cmd, '--set', 'max_events=10', '--out', out]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      }
    }
    // A path too long for the files written in it (PATH_MAX, 4096 bytes): refused before simulating too, by each command.
    let long = join(dir, 'deep');
    while (Buffer.byteLength(long) < 4100) long = join(long, 'd'.repeat(200));
    for (const cmd of [['run', race], ['compare', race, '--set', 'seed=1,2'], ['sweep', race, '--grid', 'seed=1,2', '--jobs', '1']]) {
      r = hypermem([...cmd, '--set', 'max_events=10', '--out', long]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--out …d+: the folder's absolute path is \d+ bytes long; at most \d+ \(a path has at most 4095 bytes, PATH_MAX;/, cmd[0]);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    }
    assert.deepEqual(readdirSync(dir).sort(), ['src', 'summary.json'], 'nothing made');
    // hypermem's own folder is replaced, and the missing folders above it are made.
    const nested = join(dir, 'a', 'b', 'out');
    assert.equal(hypermem(['run', race, '--set', 'duration=2s', '--out', nested]).status, 0);
    assert.equal(hypermem(['run', race, '--set', 'duration=2s', '--out', nested]).status, 0);
    assert.deepEqual(readdirSync(nested).sort(), ['events.jsonl', 'report.html', 'summary.json', 'timeseries.csv']);
  });

  test('a run where no guest ever runs still gets its report; the end of the run is always sampled', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-noguest-'));
    const file = join(dir, 'ng.yaml');
    writeFileSync(file, 'name: ng\nduration: 2500ms\nsample_interval: 1s\nhost: {memory: 4GiB}\ntimeline:\n  - at: 1s\n    launch: {name: a, memory: 4GiB}\n');
    for (const cmd of [['run', file], ['compare', file, '--set', 'toolstack.policy=none,claim']]) {
      const out = join(dir, cmd[0]);
      const r = hypermem([...cmd, '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      assert.match(html, /no guest ran/);
    }
    const csv = readFileSync(join(dir, 'run', 'timeseries.csv'), 'utf8').trim().split('\n');
    assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]), ['0.000', '1.000', '2.000', '2.500']);
  });

  test('an unknown command is an error, also with --help or after help; a usage error is one line and a hint', () => {
    for (const args of [['report', '--help'], ['help', 'bogus'], ['bogus']]) {
      const r = hypermem(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^hypermem: unknown command '(report|bogus)' \(hypermem --help lists the commands\)\n$/);
    }
    const hint = '(hypermem --help lists the commands; hypermem COMMAND --help, its options)';
    const usage = hypermem(['run', race, '--bogus']);
    assert.equal(usage.status, 2);
    assert.equal(usage.stderr, `hypermem: unknown option '--bogus' ${hint}\n`);
    // Commander's suggestion joins the line, as do its other usage errors.
    assert.equal(hypermem(['validate', race, '--seed', '3']).stderr, `hypermem: unknown option '--seed'; did you mean --set? ${hint}\n`);
    // Our options have no one-letter forms: an unknown one names the command's long options with that letter.
    assert.equal(hypermem(['run', '-q', race]).stderr, `hypermem: unknown option '-q'; did you mean --quiet? ${hint}\n`);
    assert.equal(hypermem(['run', race, '-s', '3']).stderr, `hypermem: unknown option '-s'; did you mean --seed or --set? ${hint}\n`);
    assert.equal(hypermem(['validate', race, '-s', '3']).stderr, `hypermem: unknown option '-s'; did you mean --set? ${hint}\n`);
    assert.equal(hypermem(['run', race, '-x']).stderr, `hypermem: unknown option '-x' ${hint}\n`);
    // hypermem's -V and --version belong before the command: after it they are unknown options of the command, not a silent exit 0 that runs nothing.
    for (const [args, want] of [
      [['run', race, '-V'], "unknown option '-V'; did you mean --verify?"],
      [['validate', race, '-V'], "unknown option '-V'"],
      [['run', race, '--version'], "unknown option '--version'; did you mean --verify?"],
    ] as const) {
      const r = hypermem([...args]);
      assert.deepEqual([r.status, r.stdout, r.stderr], [2, '', `hypermem: ${want} ${hint}\n`], args.join(' '));
    }
    assert.deepEqual([hypermem(['-V']).status, hypermem(['--version']).stdout.trim()], [0, hypermem(['-V']).stdout.trim()]);
    // A value stuck to the letter, as a one-letter flag is often given: the same suggestion; several letters get none.
    assert.equal(hypermem(['run', race, '-s3']).stderr, `hypermem: unknown option '-s3'; did you mean --seed or --set? ${hint}\n`);
    assert.equal(hypermem(['validate', race, '-s=duration=1s']).stderr, `hypermem: unknown option '-s=duration=1s'; did you mean --set? ${hint}\n`);
    assert.equal(hypermem(['run', race, '-qs']).stderr, `hypermem: unknown option '-qs' ${hint}\n`);
    assert.equal(hypermem(['run', race, '--seed', '1', '--seed', '2']).stderr, 'hypermem: --seed is given twice (1 and 2); give it once\n');
    assert.equal(hypermem(['run']).stderr, `hypermem: missing required argument 'scenario' ${hint}\n`);
    // A line break in the user's own text is escaped, not taken for commander's layout.
    assert.equal(hypermem(['run', race, '--out', 'a\nb', '--out', 'c']).stderr, 'hypermem: --out is given twice (a\\nb and c); give it once\n');
    assert.equal(hypermem(['run', race, '--a\r\n(Did you mean --out?)']).stderr, `hypermem: unknown option '--a\\r\\n(Did you mean --out?)' ${hint}\n`);
    assert.equal(hypermem(['help', 'run']).status, 0);
    // No command at all: one line naming the commands, not the whole help as an error.
    const bare = hypermem([]);
    assert.equal(bare.status, 2);
    assert.equal(bare.stdout, '');
    assert.equal(bare.stderr, 'hypermem: no command given: run, compare, sweep, merge, serve, validate, examples, replay (hypermem --help says what each does)\n');
    // Help on help is the main help, exit 0.
    const helpHelp = hypermem(['help', 'help']);
    assert.equal(helpHelp.status, 0);
    assert.match(helpHelp.stdout, /^Usage: hypermem \[options\] \[command\]/);
    assert.equal(helpHelp.stderr, '');
    // An option after help: -h and --help are help on help; any other is an unknown option of help, in one line (commander printed the whole help, 32 lines, as the error).
    for (const flag of ['-h', '--help']) assert.deepEqual([hypermem(['help', flag]).status, hypermem(['help', flag]).stdout], [0, helpHelp.stdout], flag);
    for (const flag of ['-V', '--version', '--bogus', '-x']) {
      const r = hypermem(['help', flag]);
      assert.deepEqual([r.status, r.stdout, r.stderr], [2, '', `hypermem: unknown option '${flag}' ${hint}\n`], flag);
    }
  });

  test('an error stays one line whatever the input holds: control characters in keys, paths and flags are escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypermem-controls-'));
    const base = 'name: c\nduration: 1s\nhost: {memory: 8GiB}\nguests:\n  - name: a\n    memory: 1GiB\n';
    const file = join(dir, 'key.yaml');
    writeFileSync(file, `${base}"bad\\nkey\\e[31mRED": 1\n`);
    for (const [args, message] of [
      [['validate', file], `hypermem validate: ${file}:7:1: bad\\nkey\\u001b[31mRED: unknown key`],
      [['run', file], `hypermem: ${file}:7:1: bad\\nkey\\u001b[31mRED: unknown key`],
      [['validate', race, '--set', 'host={"a\\nb": 1, memory: 1GiB}'], `hypermem validate: ${race}: host.a\\nb: unknown key`],
      [['replay', join(dir, 'no\nsuch')], `hypermem: cannot read ${join(dir, 'no\\nsuch')}: no such file`],
      [['run', race, '--out', join(dir, 'key.yaml', '\u001b[31mx')], `hypermem: --out ${join(dir, 'key.yaml', '\\u001b[31mx')}: ${file} is a file, not a folder`],
    ] as const) {
      const r = hypermem([...args]);
      assert.equal(r.status, 2, args.join(' '));
      assert.ok(r.stderr.startsWith(message), `${JSON.stringify(r.stderr)} starts with ${JSON.stringify(message)}`);
      assert.equal(r.stderr.indexOf('\n'), r.stderr.length - 1, `one line: ${JSON.stringify(r.stderr)}`);
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      assert.doesNotMatch(r.stderr.slice(0, -1), /[\u0000-\u001f]/);
    }
    assert.equal(hypermem(['replay', '']).stderr, 'hypermem: replay: the file name is empty (give a JSONL file of requests, or none or - to read standard input)\n');
    // A trace named "" or with a NUL: said so, not "a directory" or a Node.js error code.
    const trace = (name: string) => `${base}    workload:\n      anon: {profile: trace, trace: {file: ${name}}}\n`;
    writeFileSync(join(dir, 'empty.yaml'), trace('""'));
    assert.match(hypermem(['validate', join(dir, 'empty.yaml')]).stderr, /trace\.file: expected a trace file name, found an empty one\n$/);
    writeFileSync(join(dir, 'nul.yaml'), trace('"a\\0b"'));
    assert.match(hypermem(['validate', join(dir, 'nul.yaml')]).stderr, /trace\.file: a file name cannot hold a NUL character\n$/);
  });

  test('examples lists every bundled scenario with its description', () => {
    const r = hypermem(['examples']);
    assert.equal(r.status, 0, r.stderr);
    for (const f of readdirSync(join(root, 'examples')).filter((n) => n.endsWith('.yaml'))) {
      assert.match(r.stdout, new RegExp(`examples/${f.replace('.', '\\.')}`));
    }
    assert.doesNotMatch(r.stdout, /does not load/);
  });

  test('--help describes the commands, and each command its bounds and exit statuses', () => {
    const r = hypermem(['--help']);
    assert.equal(r.status, 0);
    for (const c of ['run', 'compare', 'sweep', 'validate', 'examples', 'replay']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
    assert.match(r.stdout, /2 bad input \(scenario, flags, files\), or a run stopped at its max_events bound or above --max-memory/);
    const help = (c: string): string => hypermem([c, '--help']).stdout.replace(/\s+/g, ' ');
    const compare = help('compare');
    assert.match(compare, /--seeds <n> .*\(default 1, at most 1000, 2000 runs in all\)/);
    assert.match(compare, /--jobs <k> .*at most 256/);
    assert.match(help('sweep'), /--jobs <k> .*at most 256/);
    for (const c of ['run', 'compare', 'sweep', 'serve']) {
      const text = help(c);
      assert.match(text, /--verify .*; exit 3 on a violation/, c);
      assert.match(text, /--max-memory <size> .*\(at least 16MiB\)/, c);
    }
    assert.match(help('serve'), /Exit status when stopped: 0 \(the run done or not\); 3 if the run found an invariant violation/);
  });
  test('a reader that goes away ends the command quietly; a full disk is one line and exit 2', () => {
    // The reader has exited before hypermem writes: the write fails with EPIPE.
    const gone = spawnSync('bash', ['-c', `set -o pipefail; (sleep 0.3; "${process.execPath}" "${join(root, 'bin/hypermem.js')}" examples) | true`], { encoding: 'utf8' });
    assert.equal(gone.status, 0, gone.stderr);
    assert.equal(gone.stderr, '');
    const full = spawnSync('sh', ['-c', `"${process.execPath}" "${join(root, 'bin/hypermem.js')}" --help > /dev/full`], { encoding: 'utf8' });
    assert.equal(full.status, 2, full.stderr);
    assert.equal(full.stderr, 'hypermem: cannot write to standard output: ENOSPC\n');
  });

  test('two flags for one field are refused, not "the last one wins"', () => {
    // Output paths in a scratch folder: were a refusal missing, nothing would land in the repository.
    const scratch = mkdtempSync(join(tmpdir(), 'hypermem-clash-'));
    const [a, b, x] = ['a', 'b', 'x'].map((n) => join(scratch, n));
    const cases: [string[], RegExp][] = [
      [['run', race, '--seed', '3', '--set', 'seed=4'], /--set seed=4 and --seed 3 both set the seed/],
      [['run', race, '--set', 'duration=5s', '--set', 'duration=6s'], /duration is already set by --set duration=5s/],
      [['run', race, '--out', a, '--out', b], /--out is given twice/],
      [['compare', race, '--set', 'toolstack.policy=none,claim', '--set', 'toolstack.policy=claim'], /toolstack.policy is what --set toolstack.policy=none,claim compares/],
      [['compare', race, '--set', 'toolstack.policy=none,none'], /the value "none" is listed twice/],
      [['sweep', race, '--grid', 'seed=1,2', '--seeds', '2', '--out', x], /both choose the seeds/],
      [['sweep', race, '--grid', 'toolstack.policy=none,claim', '--set', 'seed=1', '--set', 'seed=2', '--out', x], /seed is already set by --set seed=1/],
      // A field and a part of it: one would replace the other.
      [['run', race, '--set', 'host.memory=8GiB', '--set', 'host={memory: 4GiB}'], /--set host=\{memory: 4GiB\}: host overlaps host\.memory, set by --set host\.memory=8GiB/],
      [['compare', race, '--set', 'host={memory: 2GiB},{memory: 4GiB}', '--set', 'host.memory=8GiB'], /host\.memory overlaps host, what --set host=\{memory: 2GiB\},\{memory: 4GiB\} compares/],
      [['sweep', race, '--grid', 'host.memory=2GiB,4GiB', '--grid', 'host={memory: 8GiB}', '--out', x], /host overlaps host\.memory, swept by --grid host\.memory=2GiB,4GiB/],
    ];
    for (const [args, message] of cases) {
      const r = hypermem(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual(readdirSync(scratch), [], 'nothing was written');
  });

  test('compare names the variant that failed', () => {
    const r = hypermem(['compare', race, '--set', 'max_events=100000,50', '--quiet']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^hypermem: variant max_events=50: .*bound of 50 events/);
  });
});
