// `hypermem sweep` end to end, on the tiny scenario next to this file: each
// row's summary is byte-identical to `hypermem run --json` at that point;
// bad values fail before any run and write nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import { hypermem, root } from '../cli/spawn.ts';
import { OUTCOMES, type Row } from '../../src/sweep/rows.ts';
import type { Summary } from '../../src/sim/metrics.ts';
import { assertColumnsLineUp } from './columns.ts';

const scenario = 'test/sweep/tiny.yaml';
const tmp = mkdtempSync(`${tmpdir()}/hypermem-sweep-test-`);
after(() => rmSync(tmp, { recursive: true, force: true }));


describe('hypermem sweep', () => {
  test('one row per run, in grid order; each summary is byte-identical to hypermem run --json', () => {
    const out = `${tmp}/sweep`;
    const r = hypermem([
      'sweep', scenario,
      '--grid', 'toolstack.policy=none,reservation',
      '--grid', 'guests[0].count=1,2',
      '--set', 'duration=15s',
      '--seeds', '2',
      '--jobs', '2',
      '--out', out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^8 runs \(4 points × 2 seeds\) in [\d.]+s on 2 workers\n/);
    // Which policy does best, at each guest count (over the two seeds).
    assert.match(r.stdout, /\nWhich toolstack\.policy does best, at each guests\[0\]\.count:\n {2}guests\[0\]\.count=1: .*\n {2}guests\[0\]\.count=2: .*\n$/);
    const raw = readFileSync(`${out}/results.json`, 'utf8');
    const rows = JSON.parse(raw) as Row[];
    assert.deepEqual(
      rows.map((row) => [row.run, row.point['toolstack.policy'], row.point['guests[0].count'], row.seed]),
      [
        [1, 'none', '1', 7], [2, 'none', '1', 8], [3, 'none', '2', 7], [4, 'none', '2', 8],
        [5, 'reservation', '1', 7], [6, 'reservation', '1', 8], [7, 'reservation', '2', 7], [8, 'reservation', '2', 8],
      ],
    );
    for (const i of [1, 6]) {
      const row = rows[i];
      const single = hypermem([
        'run', scenario, '--set', 'duration=15s',
        '--set', `toolstack.policy=${row.point['toolstack.policy']}`,
        '--set', `guests[0].count=${row.point['guests[0].count']}`,
        '--seed', String(row.seed), '--json',
      ]);
      assert.equal(single.status, 0, single.stderr);
      assert.equal(JSON.stringify(row.summary) + '\n', single.stdout, `run ${row.run}`);
      assert.ok(raw.includes(`,"summary":${single.stdout.trim()}}`), `run ${row.run}: the bytes in results.json`);
    }
    const csv = readFileSync(`${out}/results.csv`, 'utf8').trim().split('\n');
    assert.equal(csv.length, 9);
    assert.match(csv[0], /^run,toolstack\.policy,guests\[0\]\.count,seed,launches_ok,/);
    assert.match(csv[8], /^8,reservation,2,8,/);
    const html = readFileSync(`${out}/index.html`, 'utf8');
    assert.match(html, /^<!doctype html>/);
    // Per point (4 points over 2 seeds) then every run: headers and rows.
    assert.equal((html.slice(0, html.indexOf('Every run')).match(/<tr>/g) ?? []).length, 5);
    assert.equal((html.slice(html.indexOf('Every run')).match(/<tr>/g) ?? []).length, 9);
    assert.ok(!/<(link|script) [^>]*src=/.test(html), 'self-contained');
    // Both tables: every column of numbers in one unit with one number of decimals (the means over seeds too).
    assert.ok(assertColumnsLineUp(html, 'index.html') >= 2 * 13, 'the outcome columns of both tables were checked');
    // Per point, each outcome is the mean over its seeds, but the lowest free memory is the lowest of any seed (as compare --seeds).
    const perPoint = html.slice(0, html.indexOf('Every run')).split('<tr>').slice(2);
    const col = 3 + OUTCOMES.findIndex((o) => o.key === 'min_free_pages');
    const okCol = 3 + OUTCOMES.findIndex((o) => o.key === 'launches_ok');
    perPoint.forEach((tr, p) => {
      const cells = [...tr.matchAll(/<td[^>]*data-v="([^"]*)"/g)].map((m) => m[1]);
      const runs = rows.slice(2 * p, 2 * p + 2).map((row) => row.summary);
      assert.equal(Number(cells[col]), Math.min(...runs.map((x) => x.host.min_free_pages)), `point ${p + 1}: lowest free`);
      const ok = runs.map((x) => x.launches.filter((l) => l.outcome === 'ok').length);
      assert.equal(Number(cells[okCol]), (ok[0] + ok[1]) / 2, `point ${p + 1}: launches ok, the mean`);
    });
  });

  test('the launch columns account for every launch: ok, failed fast, failed mid-way, abandoned, and unfinished (still building or queued)', () => {
    const outcomes = ['ok', 'failed_fast', 'failed_midway', 'abandoned', 'building', 'queued', 'ok'];
    const summary = { launches: outcomes.map((outcome) => ({ outcome })) } as unknown as Summary;
    const value = (key: string): number => {
      const o = OUTCOMES.find((x) => x.key === key);
      assert.ok(o !== undefined, key);
      return o.value(summary);
    };
    const keys = ['launches_ok', 'launches_failed_fast', 'launches_failed_midway', 'launches_abandoned', 'launches_unfinished'];
    assert.deepEqual(keys.map(value), [2, 1, 1, 1, 2]);
    assert.deepEqual(OUTCOMES.filter((o) => o.key.startsWith('launches_')).map((o) => o.key), keys, 'no other launch column');
  });

  test('--verify: every run re-checks the invariants, as run --verify does (the same summary); the sweep says so', () => {
    const out = `${tmp}/verify`;
    const r = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,claim', '--set', 'duration=5s', '--verify', '--jobs', '2', '--quiet', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(readFileSync(`${out}/results.json`, 'utf8')) as Row[];
    assert.ok(rows.every((row) => row.summary.invariant_checks > 0 && row.summary.invariant_violations === 0));
    const single = hypermem(['run', scenario, '--set', 'duration=5s', '--set', 'toolstack.policy=claim', '--verify', '--json']);
    assert.equal(JSON.stringify(rows[1].summary) + '\n', single.stdout);
    assert.equal(JSON.parse(readFileSync(`${out}/summary.json`, 'utf8')).sweep.verify, true);
    // Without it: nothing checked, and the sweep says so too.
    const plain = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none', '--set', 'duration=5s', '--quiet', '--out', `${tmp}/plain`]);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(JSON.parse(readFileSync(`${tmp}/plain/results.json`, 'utf8'))[0].summary.invariant_checks, 0);
    assert.equal(JSON.parse(readFileSync(`${tmp}/plain/summary.json`, 'utf8')).sweep.verify, false);
  });

  test('a bad grid value fails before any run, names the --grid, writes nothing', () => {
    const out = `${tmp}/bad`;
    const started = Date.now();
    const r = hypermem(['sweep', scenario, '--grid', 'guests[0].count=1,2', '--grid', 'toolstack.policy=claim,bogus', '--jobs', '2', '--out', out]);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      'hypermem: sweep: the point guests[0].count=1, toolstack.policy=bogus does not load: test/sweep/tiny.yaml: toolstack.policy: ' +
        'expected one of none, claim, reservation, found "bogus" (set by --grid toolstack.policy=claim,bogus)\n',
    );
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(out));
    // Validation only: far less than the grid's runs (a bound with room for a loaded machine).
    assert.ok(Date.now() - started < 60_000);
  });

  test("a bad grid value of any length or with $& in it is named as written, in one short line", () => {
    // The value is the user's text: no pattern is built from it, nor is it a replacement pattern.
    let r = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,x$&y', '--out', `${tmp}/dollar`]);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      'hypermem: sweep: the point toolstack.policy=x$&y does not load: test/sweep/tiny.yaml: toolstack.policy: ' +
        'expected one of none, claim, reservation, found "x$&y" (set by --grid toolstack.policy=none,x$&y)\n',
    );
    // 40,000 characters (a pattern of that size is too large for the regular expression engine): a bad value, exit 2.
    r = hypermem(['sweep', scenario, '--grid', `toolstack.policy=none,${'x'.repeat(40_000)}`, '--out', `${tmp}/long`]);
    assert.equal(r.status, 2, r.stderr.slice(0, 300));
    assert.match(r.stderr, /^hypermem: sweep: the point toolstack\.policy=x+… does not load \(from --grid toolstack\.policy=none,x+…\): test\/sweep\/tiny\.yaml: toolstack\.policy: expected one of none, claim, reservation, found "x+…"/);
    assert.ok(r.stderr.length < 600, `${r.stderr.length} characters`);
    assert.ok(!existsSync(`${tmp}/long`));
  });

  test('a value bad only in combination names the point and its grids', () => {
    const r = hypermem(['sweep', scenario, '--grid', 'guests[0].memory=512MiB,1GiB', '--out', `${tmp}/bad2`]);
    assert.equal(r.status, 2);
    // The file's maxmem is wrong only with the point's memory: the message says which --grid was applied.
    assert.match(r.stderr, /^hypermem: sweep: the point guests\[0\]\.memory=1GiB does not load: test\/sweep\/tiny\.yaml:\d+:\d+: guests\[0\]\.maxmem: expected at least memory \(1 GiB\), found 768 MiB \(with --grid guests\[0\]\.memory=512MiB,1GiB\)\n$/);
  });

  test('--seed sets the first seed of every point, as --set seed= does (same rows)', () => {
    const a = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,claim', '--seed', '9', '--seeds', '2', '--quiet', '--out', `${tmp}/seed-a`]);
    assert.equal(a.status, 0, a.stderr);
    const b = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,claim', '--set', 'seed=9', '--seeds', '2', '--quiet', '--out', `${tmp}/seed-b`]);
    assert.equal(b.status, 0, b.stderr);
    const rows = readFileSync(`${tmp}/seed-a/results.csv`, 'utf8');
    assert.equal(rows, readFileSync(`${tmp}/seed-b/results.csv`, 'utf8'));
    const header = rows.split('\n')[0].split(',');
    assert.deepEqual(rows.trim().split('\n').slice(1).map((l) => l.split(',')[header.indexOf('seed')]), ['9', '10', '9', '10']);
    // The seed+1 run is what `run --seed 10` gives: the summary records no seed flag (its seed says it).
    const second = (JSON.parse(readFileSync(`${tmp}/seed-a/results.json`, 'utf8')) as Row[])[1];
    const single = hypermem(['run', scenario, '--set', 'toolstack.policy=none', '--seed', '10', '--json']);
    assert.equal(single.status, 0, single.stderr);
    assert.equal(JSON.stringify(second.summary) + '\n', single.stdout);
    assert.deepEqual(second.summary.overrides, ['toolstack.policy=none']);
    // The fixed flags are kept sorted: in any order, the same sweep.
    const c = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,claim', '--set', 'seed=9', '--set', 'duration=12s', '--quiet', '--out', `${tmp}/seed-c`]);
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual(JSON.parse(readFileSync(`${tmp}/seed-c/summary.json`, 'utf8')).sweep.set, ['duration=12s', 'seed=9']);
  });

  test('usage errors: too many runs, a clashing --set, an --out that is not ours', () => {
    let r = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none,claim', '--seeds', '6000', '--out', `${tmp}/x`]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'hypermem: sweep: 12000 runs (2 values × 6000 seeds) is more than the bound of 10000; sweep fewer values or seeds\n');
    r = hypermem(['sweep', scenario, '--grid', 'seed=1,2', '--set', 'seed=3', '--out', `${tmp}/x`]);
    assert.equal(r.stderr, 'hypermem: --set seed=3: seed is swept by --grid seed=1,2; drop one of them\n');
    r = hypermem(['sweep', scenario, '--grid', 'seed=1,2', '--seed', '3', '--out', `${tmp}/x`]);
    assert.equal(r.stderr, 'hypermem: --seed 3: the seed is swept by --grid seed=1,2; drop one of them\n');
    r = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none', '--set', 'seed=3', '--seed', '4', '--out', `${tmp}/x`]);
    assert.equal(r.stderr, 'hypermem: --set seed=3 and --seed 4 both set the seed; give one of them\n');
    r = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none', '--seed', '0x10', '--out', `${tmp}/x`]);
    assert.equal(r.stderr, 'hypermem: --seed: expected an integer, found "0x10"\n');
    // The last seed is checked exactly: MAX_SAFE_INTEGER + 1 in floating point must not round back to a safe integer.
    r = hypermem(['sweep', scenario, '--grid', 'toolstack.policy=none', '--seeds', '2', '--seed', String(Number.MAX_SAFE_INTEGER), '--out', `${tmp}/x`]);
    assert.equal(r.stderr, 'hypermem: --seeds 2: the point toolstack.policy=none has seed 9007199254740991; seed+1 is not a safe integer\n');
    r = hypermem(['sweep', scenario, '--grid', 'seed=1,2', '--out', root]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /the folder exists and is not a hypermem output folder/);
    r = hypermem(['sweep', scenario, '--grid', 'seed=1,2']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /required option '--out <dir>'/);
    // A run stopped by a bound of the scenario: one line, exit 2, nothing written.
    r = hypermem(['sweep', scenario, '--grid', 'max_events=10,1000000', '--jobs', '1', '--out', `${tmp}/bound`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^hypermem: sweep: run 1 \(max_events=10, seed \d+\) failed: .*max_events.*; nothing written\n$/);
    assert.equal(existsSync(`${tmp}/bound`), false);
  });
});
