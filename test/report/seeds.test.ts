// Comparisons over seeds (`compare --seeds N`): which variant does best on how
// many seeds, the means table, and the command end to end (JSON, the report's
// section, refusals).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import { hypermem } from '../cli/spawn.ts';
import fc from 'fast-check';
import type { Summary } from '../../src/sim/metrics.ts';
import { seedsTable } from '../../src/report/seeds.ts';
import { compareSeedsTable } from '../../src/report/text.ts';
import { rankCompare, seedRecords, seedsVerdictLead } from '../../src/report/verdict.ts';
import { assertOneForm } from './columns.ts';
import { fakeSummary } from './fake-summary.ts';

/** A run with `ok` launches finished of 2, the rest failed mid-way with `wastedS` seconds wasted in all, and `oom` OOM events. */
function run(seed: number, ok: number, wastedS = 0, oom = 0, minFree = 1000): Summary {
  const launch = (i: number): Summary['launches'][number] => ({
    name: `l${i}`,
    policy: 'x',
    outcome: i < ok ? 'ok' : 'failed_midway',
    requested_pages: 10,
    request_ns: 0,
    start_ns: 0,
    end_ns: 1,
    wasted_build_ns: i === ok ? wastedS * 1e9 : 0,
  });
  const guests = [
    {
      name: 'g',
      domid: 1,
      oom_events: oom,
      cleancache: { puts: 0, gets: 10, hits: 3 },
      frontswap: { stores: 7, loads: 0, rejects: 0 },
      disk: { file_reads: 100 + seed, file_writes: 10 * seed, swap_reads: 1, swap_writes: 2 },
    },
  ] as unknown as Summary['guests'];
  return fakeSummary(seed, [launch(0), launch(1)], guests, minFree);
}

describe('the verdict over seeds', () => {
  // Seeds 1..4: a wins alone on 1 and 2, a and b tie best on 3 (c worse), all tie on 4.
  const a = [run(1, 2), run(2, 2), run(3, 1, 5), run(4, 1)];
  const b = [run(1, 1, 3), run(2, 0, 9), run(3, 1, 5), run(4, 1)];
  const c = [run(1, 0, 9), run(2, 1, 1), run(3, 0, 9), run(4, 1)];
  const labels = ['p=a', 'p=b', 'p=c'];

  test('counts the seeds each variant does best on, alone or tied, and those where all tie', () => {
    // On the all-tied seed no variant ranks above another: each does best there, tied.
    assert.deepEqual(seedRecords(labels, [a, b, c]), {
      records: [
        { label: 'p=a', alone: 2, tied: 2 },
        { label: 'p=b', alone: 0, tied: 2 },
        { label: 'p=c', alone: 0, tied: 1 },
      ],
      allTied: 1,
    });
    assert.equal(
      seedsVerdictLead(labels, [a, b, c]),
      'p=a does best on every seed (4), alone on 2, more than any other variant. Seeds on which each does best: p=a 4 (2 tied), p=b 2 (2 tied), p=c 1 (1 tied); all variants tie on 1 seed.',
    );
  });

  test('shared leads, a clean sweep, and no difference at all', () => {
    assert.equal(
      seedsVerdictLead(['x', 'y'], [[run(1, 2), run(2, 0)], [run(1, 0), run(2, 2)]]),
      'x and y each do best on 1 of 2 seeds; no variant does best on more. Seeds on which each does best: x 1, y 1.',
    );
    assert.match(
      seedsVerdictLead(['x', 'y', 'z'], [[run(1, 2), run(2, 0)], [run(1, 0), run(2, 2)], [run(1, 2), run(2, 2)]]),
      /^z does best on every seed \(2\), tied on each, more than any other variant\./,
    );
    assert.match(
      seedsVerdictLead(['x', 'y', 'z'], [[run(1, 2)], [run(1, 2)], [run(1, 1)]]),
      /^x and y each do best on every seed \(1\); no variant does best on more\./,
    );
    assert.match(
      seedsVerdictLead(['x', 'y', 'z', 'w'], [[run(1, 2)], [run(1, 2)], [run(1, 2)], [run(1, 1)]]),
      /^x, y and z each do best/,
    );
    assert.equal(
      seedsVerdictLead(['x', 'y'], [[run(1, 2), run(2, 2)], [run(1, 1), run(2, 1)]]),
      'x does best on every seed (2), more than any other variant. Seeds on which each does best: x 2, y 0.',
    );
    assert.equal(
      seedsVerdictLead(['x', 'y'], [[run(1, 1)], [run(1, 1)]]),
      'No variant does better than the others on any of the 1 seed: on each, they are equal on launches finished, launches failed mid-way, build time wasted and OOM events (invariant violations: not checked, run with --verify). None of swap I/O on the disk, file reads from the disk, write-backs to the disk, cleancache hits, frontswap stores, the guests\' mean RAM and the lowest free memory differs between them by a tenth and by 100 pages (for memory, 1 MiB).',
    );
    assert.equal(seedsVerdictLead(['x'], [[run(1, 1), run(2, 2)]]), '');
  });

  test('model: per seed, exactly the variants no other ranks above are counted, once', () => {
    const summaryArb = fc.record({ ok: fc.integer({ min: 0, max: 2 }), wasted: fc.integer({ min: 0, max: 3 }), oom: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.array(summaryArb, { minLength: 20, maxLength: 20 }), (nv, ns, pool) => {
        const runs = Array.from({ length: nv }, (_, v) => Array.from({ length: ns }, (_, k) => {
          const p = pool[(v * ns + k) % pool.length];
          return run(k + 1, p.ok, p.ok < 2 ? p.wasted : 0, p.oom);
        }));
        const labels2 = runs.map((_, v) => `v${v}`);
        const { records, allTied } = seedRecords(labels2, runs);
        let alone = 0;
        let tied = 0;
        let all = 0;
        for (let k = 0; k < ns; k++) {
          const tops = runs.map((_, v) => v).filter((v) => runs.every((o) => rankCompare(o[k], runs[v][k]) >= 0));
          if (tops.length === nv) all++;
          if (tops.length === 1) alone++;
          else tied += tops.length;
        }
        assert.equal(allTied, all);
        assert.equal(records.reduce((n, r) => n + r.alone, 0), alone);
        assert.equal(records.reduce((n, r) => n + r.tied, 0), tied);
      }),
    );
  });

  test('the means table: means over the runs, the lowest free of any run, one form per column', () => {
    const t = seedsTable([
      { label: 'p=a', runs: [run(1, 2, 0, 0, 2048), run(2, 1, 3, 1, 512)] },
      { label: 'p=b', runs: [run(1, 0, 4, 2, 4096), run(2, 0, 4, 0, 4096)] },
    ]);
    assert.deepEqual(t.head.slice(0, 6), ['variant', 'best on', 'ok', 'failed fast', 'failed mid-way', 'wasted build']);
    const col = (name: string) => t.rows.map((r) => r[t.head.indexOf(name)]);
    assert.deepEqual(col('best on'), ['2 of 2', '0 of 2']);
    assert.deepEqual(col('ok'), ['1.5', '0.0']);
    assert.deepEqual(col('failed mid-way'), ['0.5', '2.0']);
    assert.deepEqual(col('OOM'), ['0.5', '1.0']);
    assert.deepEqual(col('wasted build'), ['1.5 s', '4.0 s']);
    assert.deepEqual(col('lowest free'), ['2 MiB', '16 MiB']);
    // Write-backs beside the file reads, as in the run report (seeds 1 and 2: 10 and 20).
    assert.deepEqual(t.head.slice(t.head.indexOf('file reads (pages)'), t.head.indexOf('file reads (pages)') + 3), ['file reads (pages)', 'write-backs (pages)', 'swap I/O (pages)']);
    assert.deepEqual(col('write-backs (pages)'), ['15', '15']);
    // Runs without --verify were not checked; checked runs show their mean.
    assert.deepEqual(col('violations'), ['not checked', 'not checked']);
    const checked = (x: Summary): Summary => ({ ...x, invariant_checks: 7 });
    const c = seedsTable([
      { label: 'p=a', runs: [checked(run(1, 2)), checked(run(2, 1))] },
      { label: 'p=b', runs: [checked(run(1, 2)), checked(run(2, 1))] },
    ]);
    assert.deepEqual(c.rows.map((r) => r[c.head.indexOf('violations')]), ['0', '0']);
    assert.match(seedsVerdictLead(['p=a', 'p=b'], [[checked(run(1, 2))], [checked(run(1, 2))]]), /they are equal on launches finished, launches failed mid-way, build time wasted, OOM events and invariant violations\./);
    const text = compareSeedsTable([
      { label: 'p=a', runs: [run(1, 2), run(2, 1, 3)] },
      { label: 'p=b', runs: [run(1, 0, 4), run(2, 0, 4)] },
    ]);
    assert.match(text, /^Over 2 seeds \(1 and 2\): means per run \(lowest free: the lowest of any run\)\n/);
    assert.match(text, /\nVerdict: p=a does best on every seed \(2\), more than any other variant\./);
    for (const name of ['ok', 'wasted build', 'file reads (pages)']) assertOneForm(col(name).filter((c) => c !== '-'), name);
  });
});

const tmp = mkdtempSync(`${tmpdir()}/hypermem-seeds-test-`);
after(() => rmSync(tmp, { recursive: true, force: true }));


describe('hypermem compare --seeds', () => {
  const base = ['compare', 'test/sweep/tiny.yaml', '--set', 'toolstack.policy=none,claim', '--set', 'duration=8s'];

  test('every variant at every seed, each run what `run --json` gives; the report leads with the seeds', () => {
    const r = hypermem([...base, '--seeds', '3', '--seed', '20', '--json', '--out', `${tmp}/cmp`]);
    assert.equal(r.status, 0, r.stderr);
    const all = JSON.parse(r.stdout) as (Summary & { variant: string })[];
    assert.deepEqual(all.map((s) => [s.variant, s.seed]), [
      ['toolstack.policy=none', 20], ['toolstack.policy=none', 21], ['toolstack.policy=none', 22],
      ['toolstack.policy=claim', 20], ['toolstack.policy=claim', 21], ['toolstack.policy=claim', 22],
    ]);
    const single = hypermem(['run', 'test/sweep/tiny.yaml', '--set', 'toolstack.policy=claim', '--set', 'duration=8s', '--seed', '21', '--json']);
    const { variant: _, ...fifth } = all[4];
    assert.equal(JSON.stringify(fifth) + '\n', single.stdout);
    assert.deepEqual(JSON.parse(readFileSync(`${tmp}/cmp/summary.json`, 'utf8')), all);
    // One time series per run, numbered in summary.json's order.
    for (let i = 1; i <= 6; i++) assert.ok(existsSync(`${tmp}/cmp/${i}-timeseries.csv`), `${i}-timeseries.csv`);
    assert.equal(existsSync(`${tmp}/cmp/7-timeseries.csv`), false);
    const html = readFileSync(`${tmp}/cmp/report.html`, 'utf8');
    assert.match(html, /<h2>Over 3 seeds \(20 to 22\)<\/h2>/);
    assert.match(html, /<b>Verdict over the seeds\.<\/b>/);
    assert.ok(html.indexOf('id="seeds"') < html.indexOf('id="outcomes"'));
    assert.match(html, /Seed 20 only\. One row per variant\./);
    assert.match(html, /<b>Verdict at seed 20 alone\.<\/b>/);
    assert.match(html, /<div><dt>seeds<\/dt><dd>20 to 22<\/dd><\/div>/);
  });

  test('the terminal shows the means and the verdict over the seeds; --seeds 1 is a plain comparison', () => {
    const r = hypermem([...base, '--seeds', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Over 2 seeds \(7 and 8\): means per run/);
    assert.match(r.stdout, /\ntoolstack\.policy=none {2,}\d+ of 2/);
    assert.match(r.stdout, /\nVerdict: /);
    const one = hypermem([...base, '--seeds', '1']);
    assert.equal(one.stdout, hypermem(base).stdout);
  });

  test('on worker threads (--jobs 2) the same bytes as one run after another (--jobs 1)', () => {
    for (const jobs of ['1', '2']) {
      const r = hypermem([...base, '--seeds', '2', '--jobs', jobs, '--quiet', '--out', `${tmp}/jobs-${jobs}`]);
      assert.equal(r.status, 0, r.stderr);
    }
    const names = ['summary.json', 'report.html', '1-timeseries.csv', '4-events.jsonl'];
    for (const f of names) assert.equal(readFileSync(`${tmp}/jobs-2/${f}`, 'utf8'), readFileSync(`${tmp}/jobs-1/${f}`, 'utf8'), f);
  });

  test('refusals', () => {
    let r = hypermem(['compare', 'test/sweep/tiny.yaml', '--set', 'seed=1,2', '--seeds', '3']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'hypermem: --seeds 3: the seed is what --set seed=1,2 compares; drop one of them\n');
    r = hypermem([...base, '--seeds', '0']);
    assert.equal(r.stderr, 'hypermem: --seeds: expected a positive integer (at most 1000), found "0"\n');
    // Two runs stopped by bounds: the first in the order given is reported, on worker threads as in this process
    // (the run at max_events=10 stops first in time).
    for (const jobs of ['1', '2']) {
      r = hypermem(['compare', 'test/sweep/tiny.yaml', '--set', 'max_events=150,10', '--set', 'duration=8s', '--jobs', jobs]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^hypermem: variant max_events=150: .* bound of 150 events /, `--jobs ${jobs}`);
    }
    // A run stopped by a bound of the scenario: the same line on worker threads as in this process.
    for (const jobs of ['1', '2']) {
      r = hypermem(['compare', 'test/sweep/tiny.yaml', '--set', 'max_events=10,100000', '--jobs', jobs, '--out', `${tmp}/bound`]);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, 'hypermem: variant max_events=10: test/sweep/tiny.yaml: the run reached its bound of 10 events at 0.5 s of simulated time; raise max_events or shorten duration\n');
      assert.equal(existsSync(`${tmp}/bound`), false);
    }
    r = hypermem([...base, '--jobs', 'many']);
    assert.equal(r.stderr, 'hypermem: --jobs: expected a positive integer (at most 256), found "many"\n');
    r = hypermem([...base, '--seeds', '1001']);
    assert.equal(r.stderr, 'hypermem: --seeds 1001: at most 1000\n');
    // Values × seeds bounded too, before any variant is loaded.
    const values = Array.from({ length: 3000 }, (_, i) => `${i + 1}MiB`).join(',');
    r = hypermem(['compare', 'test/sweep/tiny.yaml', '--set', `toolstack.build_batch=${values}`, '--seeds', '1000', '--out', `${tmp}/huge`]);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      "hypermem: compare: 3000000 runs (3000 values × 1000 seeds) is more than the bound of 2000: a comparison keeps every run's samples and events for its report; compare fewer values or seeds, or use hypermem sweep (up to 10000 runs, a table of each run's summary)\n",
    );
    r = hypermem(['compare', 'test/sweep/tiny.yaml', '--set', `toolstack.build_batch=${values}`, '--out', `${tmp}/huge`]);
    assert.match(r.stderr, /^hypermem: compare: 3000 runs \(3000 values\) is more than the bound of 2000/);
    assert.equal(existsSync(`${tmp}/huge`), false);
    r = hypermem([...base, '--seeds', '2', '--seed', String(Number.MAX_SAFE_INTEGER)]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^hypermem: --seeds 2: variant toolstack\.policy=none has seed 9007199254740991; seed\+1 is not a safe integer\n$/);
  });
});
