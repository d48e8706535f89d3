// Sweep grids: parsing --grid, the cartesian product's order, the run bound,
// and the CSV/HTML writers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { UserError } from '../../src/cli/errors.ts';
import {
  checkRunCount,
  describePoint,
  enumeratePoints,
  enumerateRuns,
  earlierOverlaps,
  pathRelation,
  MAX_RUNS,
  gridLabel,
  parseCount,
  parseGrid,
  parseGrids,
  pointCount,
  pointSets,
} from '../../src/sweep/grid.ts';
import { escapeHtml, sweepHtml } from '../../src/sweep/html.ts';
import { csvField, makeRows, OUTCOMES, resultsCsv, resultsJson } from '../../src/sweep/rows.ts';
import type { Summary } from '../../src/sim/metrics.ts';
import type { Row } from '../../src/sweep/rows.ts';
import { assertColumnsLineUp, column } from './columns.ts';

function userError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('--grid parsing', () => {
  test('path=a,b,c gives the path and the values, trimmed', () => {
    assert.deepEqual(parseGrid('toolstack.policy=none, claim ,reservation'), {
      text: 'toolstack.policy=none, claim ,reservation',
      path: 'toolstack.policy',
      values: ['none', 'claim', 'reservation'],
    });
    assert.deepEqual(parseGrid('guests[0].memory=4GiB').values, ['4GiB']);
  });

  test('a value listed twice in two spellings of one YAML value is refused (1 and 01, {a: 1} and { a: 1 })', () => {
    userError(() => parseGrid('guests[0].count=1,2,01'), /^--grid guests\[0\]\.count=1,2,01: the values "1" and "01" are the same value$/);
    userError(() => parseGrid('x.y={a: 1},{ a: 1 }'), /the values "\{a: 1\}" and "\{ a: 1 \}" are the same value$/);
    assert.deepEqual(parseGrid('x.y=1,1.5,"1.5x"').values, ['1', '1.5', '"1.5x"']);
  });

  test('commas inside a YAML flow value or quotes do not split the list (as compare --set)', () => {
    assert.deepEqual(parseGrid('guests[0].workload.contents.compressibility={high: 40%, medium: 40%, low: 20%},{high: 20%, medium: 40%, low: 40%}').values, [
      '{high: 40%, medium: 40%, low: 20%}',
      '{high: 20%, medium: 40%, low: 40%}',
    ]);
    assert.deepEqual(parseGrid("name='a,b',c").values, ["'a,b'", 'c']);
  });

  test('malformed flags are clear errors naming the --grid', () => {
    userError(() => parseGrid('toolstack.policy'), /^--grid toolstack\.policy: expected path=a,b,c/);
    userError(() => parseGrid('=a,b'), /^--grid =a,b: expected path=a,b,c/);
    userError(() => parseGrid('x.=a'), /^--grid x\.=a: "x\." is not a field path \(such as toolstack\.policy or guests\[0\]\.memory\): the path ends with '\.': an empty key after it$/);
    // As --set says it: where the dot is missing and how to write the path.
    userError(() => parseGrid('guests[0]count=1,2'), /: "count" at character 10 follows the index with no '\.' before it: write guests\[0\]\.count$/);
    userError(() => parseGrid('seed='), /^--grid seed=: no values after =/);
    userError(() => parseGrid('seed=1,,2'), /^--grid seed=1,,2: an empty value in the list/);
    userError(() => parseGrid('seed=1,2,1'), /^--grid seed=1,2,1: the value "1" is listed twice/);
  });

  test('grids may not repeat a field, nor clash with a --set', () => {
    userError(() => parseGrids([]), /at least one --grid/);
    userError(() => parseGrids(['seed=1,2', 'seed=3']), /^--grid seed=3: seed is already swept by --grid seed=1,2/);
    userError(() => parseGrids(['seed=1,2'], ['duration=1m', 'seed=5']), /^--set seed=5: seed is swept by --grid seed=1,2/);
    assert.equal(parseGrids(['seed=1,2'], ['duration=1m']).length, 1);
    // One field spelled two ways is still one field.
    userError(() => parseGrids(['guests[0].count=1,2', 'guests[00].count=3,4']), /^--grid guests\[00\]\.count=3,4: guests\[00\]\.count is already swept by --grid guests\[0\]\.count=1,2/);
    userError(() => parseGrids(['guests[0].count=1,2'], ['guests[000].count=3']), /^--set guests\[000\]\.count=3: guests\[0\]\.count is swept by/);
    // A field and a part of it: the whole would replace the part (or the other way round) without a word.
    userError(() => parseGrids(['host.memory=2GiB,4GiB', 'host={memory: 8GiB}']), /^--grid host=\{memory: 8GiB\}: host overlaps host\.memory, swept by --grid host\.memory=2GiB,4GiB/);
    userError(() => parseGrids(['guests[0]={name: a},{name: b}'], ['guests[0].count=2']), /^--set guests\[0\]\.count=2: guests\[0\]\.count overlaps guests\[0\]/);
    userError(() => parseGrids(['guests[0].count=1,2'], ['guests=[]']), /^--set guests=\[\]: guests overlaps guests\[0\]\.count/);
    // Paths that only share a prefix of letters are different fields.
    assert.equal(parseGrids(['host.memory=1GiB,2GiB', 'host.memory_x=1,2']).length, 2);
    assert.equal(parseGrids(['guests[1].count=1,2'], ['guests[10].count=3']).length, 1);
    // A malformed path is left to the loader's message; spaces around a path do not hide an overlap.
    assert.equal(pathRelation('host', 'host.'), null);
    assert.equal(pathRelation(' host.tmem ', 'host.tmem.dedup'), 'part');
    assert.equal(pathRelation('guests[00].count', 'guests[0].count'), 'same');
  });

  test('earlierOverlaps finds, for each path, the first earlier one pathRelation relates to it (one pass, for thousands of --set flags)', () => {
    // Paths built from a few names and indexes (with spellings like [00], spaces, malformed ones) so that many relate.
    const segment = fc.oneof(fc.constantFrom('.host', '.tmem', '.memory', '.guests', '.x'), fc.constantFrom('[0]', '[00]', '[1]', '[10]'));
    const path = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.constantFrom('host', 'guests', 'seed', 'x'), fc.array(segment, { maxLength: 3 }), fc.constantFrom('', ' ')).map(([h, rest, pad]) => pad + h + rest.join('') + pad) },
      { weight: 1, arbitrary: fc.constantFrom('', 'host.', '.host', 'guests[', 'host..tmem', '[0]') },
    );
    fc.assert(
      fc.property(fc.array(path, { maxLength: 12 }), (paths) => {
        const quadratic = paths.map((p, i) => {
          const other = paths.slice(0, i).findIndex((o) => pathRelation(o, p) !== null);
          return other < 0 ? null : { other, relation: pathRelation(paths[other], p) };
        });
        assert.deepEqual(earlierOverlaps(paths), quadratic);
      }),
      { numRuns: 2000 },
    );
  });

  test('messages shorten a long list of values', () => {
    assert.equal(gridLabel(parseGrid('seed=1,2')), '--grid seed=1,2');
    const long = parseGrid(`seed=${Array.from({ length: 50 }, (_, i) => i).join(',')}`);
    assert.equal(gridLabel(long), '--grid seed=0,1,2,… (50 values)');
  });

  test('--seeds and --jobs are positive integers within bounds', () => {
    assert.equal(parseCount('--jobs', undefined, 4), 4);
    assert.equal(parseCount('--jobs', '3', 4), 3);
    userError(() => parseCount('--jobs', '0', 4), /^--jobs: expected a positive integer, found "0"/);
    userError(() => parseCount('--seeds', '1.5', 1), /^--seeds: expected a positive integer/);
    userError(() => parseCount('--seeds', '-2', 1), /^--seeds: expected a positive integer/);
    // A whole number too large for a double to hold exactly is past the bound, and said so.
    userError(() => parseCount('--jobs', '99999999999999999999', 4, 256), /^--jobs 99999999999999999999: at most 256$/);
    userError(() => parseCount('--jobs', 'x', 4, 256), /^--jobs: expected a positive integer \(at most 256\), found "x"$/);
    userError(() => parseCount('--seeds', '20000', 1, MAX_RUNS), /^--seeds 20000: at most 10000/);
  });
});

describe('points and runs', () => {
  const grids = parseGrids(['a=1,2', 'b=x,y,z', 'c=p,q']);

  test('the cartesian product, first grid slowest, last fastest', () => {
    const points = enumeratePoints(grids);
    assert.equal(points.length, 12);
    assert.equal(pointCount(grids), 12);
    assert.deepEqual(
      points.map((p) => p.values.join('')),
      ['1xp', '1xq', '1yp', '1yq', '1zp', '1zq', '2xp', '2xq', '2yp', '2yq', '2zp', '2zq'],
    );
    assert.deepEqual(points.map((p) => p.index), [...Array(12).keys()]);
    assert.deepEqual(pointSets(grids, points[7]), ['a=2', 'b=x', 'c=q']);
    assert.equal(describePoint(grids, points[7]), 'a=2, b=x, c=q');
  });

  test('seeds are innermost: seed, seed+1, …; runs are numbered from 1', () => {
    const points = enumeratePoints(parseGrids(['a=1,2']));
    const runs = enumerateRuns(points, 3, (p) => (p.index === 0 ? 42 : 100));
    assert.deepEqual(
      runs.map((r) => [r.run, r.point.values[0], r.seed]),
      [[1, '1', 42], [2, '1', 43], [3, '1', 44], [4, '2', 100], [5, '2', 101], [6, '2', 102]],
    );
  });

  test('the number of runs is bounded, with a clear error', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => String(i)).join(',');
    const big = parseGrids([`a=${values(22)}`, `b=${values(22)}`, `c=${values(22)}`]);
    userError(() => checkRunCount(big, 1), /^sweep: 10648 runs \(22 × 22 × 22 values\) is more than the bound of 10000/);
    assert.equal(checkRunCount(parseGrids([`a=${values(100)}`]), 100), 10000);
    userError(() => checkRunCount(parseGrids([`a=${values(100)}`]), 101), /10100 runs \(100 values × 101 seeds\)/);
  });
});

describe('writers', () => {
  const summary = (seed: number, outcome: string): Summary => ({
    scenario: 's',
    seed,
    overrides: [],
    sim_time_ns: 1e9,
    events: 10,
    invariant_violations: 0,
    invariant_checks: 0,
    host: { total_pages: 100, min_free_pages: 7, min_free_at_ns: 0, max_outstanding_pages: 0 },
    launches: [{ name: 'l', policy: 'none', outcome, requested_pages: 5, request_ns: 0, start_ns: 0, end_ns: 1, wasted_build_ns: 1_500_000_000 }],
    guests: [1, 2].map((k) => ({
      name: `g${k}`,
      cleancache: { puts: 1, gets: 2, hits: k },
      frontswap: { stores: 10 * k, loads: 0, rejects: 0 },
      disk: { file_reads: 100 * k, file_writes: 20 * k, swap_reads: 3, swap_writes: 4, busy_ns: (120 * k + 7) * 5e6 },
      workingset: { refaults: 0, activations: 0 },
      oom_events: 0,
      ram_pages_mean: 1,
    })),
    tmem: { ephemeral_pages_max: 0, persistent_pages_max: 0, evictions: 0, dedup_ratio: 1, compression_ratio: 1 },
    faults: { crashes: 0, toolstack_deaths: 0, tmem_flushes: 0, launch_bursts: 0 },
  });
  // A value with quotes and one with markup, to exercise CSV quoting and HTML escaping.
  const grids = parseGrids(['toolstack.policy=none,a "q"', 'guests[0].memory=<b>']);
  const runs = enumerateRuns(enumeratePoints(grids), 1, () => 5);
  const rows = makeRows(grids, runs, [summary(5, 'failed_midway'), summary(5, 'ok')]);

  test('results.csv: run, grid paths, seed, outcomes; quoted where needed', () => {
    const csv = resultsCsv(grids, rows).split('\n');
    assert.equal(csv[0], ['run', 'toolstack.policy', 'guests[0].memory', 'seed', ...OUTCOMES.map((o) => o.key)].join(','));
    // Write-backs (file_writes) beside the file reads: disk I/O as much as they are.
    assert.equal(
      OUTCOMES.map((o) => o.key).join(','),
      'launches_ok,launches_failed_fast,launches_failed_midway,launches_abandoned,launches_unfinished,wasted_build_s,cleancache_hits,file_reads,file_writes,swap_reads,swap_writes,frontswap_stores,oom_events,min_free_pages,invariant_violations,invariant_checks,events',
    );
    assert.equal(csv[1], '1,none,<b>,5,0,0,1,0,0,1.5,3,300,60,6,8,30,0,7,0,0,10');
    assert.equal(csv[2].slice(0, 18), '2,"a ""q""",<b>,5,');
    assert.equal(csv[3], '');
    assert.equal(csvField(' x'), '" x"');
  });

  test('results.csv: a grid of the seed has no column of its own, so no header is named twice', () => {
    const seedGrids = parseGrids(['seed=9, 1', 'toolstack.policy=none']);
    const seedRuns = enumerateRuns(enumeratePoints(seedGrids), 1, (p) => Number(p.values[0]));
    const seedRows = makeRows(seedGrids, seedRuns, [summary(9, 'ok'), summary(1, 'ok')]);
    const csv = resultsCsv(seedGrids, seedRows).split('\n');
    // The page's table too: one seed column.
    const page = sweepHtml({ scenario: 's', description: '', file: 'f.yaml', grids: seedGrids, sets: [], seeds: 1 }, seedRows);
    assert.equal(page.match(/<th[^>]*>seed<\/th>/g)?.length, 1);
    assert.equal(csv[0], ['run', 'toolstack.policy', 'seed', ...OUTCOMES.map((o) => o.key)].join(','));
    assert.deepEqual(
      csv.slice(1, 3).map((line) => line.split(',').slice(0, 3).join(',')),
      ['1,none,9', '2,none,1'],
    );
  });

  test('results.json: an array, one row per line, summaries as run --json prints them', () => {
    const text = resultsJson(rows);
    assert.deepEqual(JSON.parse(text), rows);
    const lines = text.split('\n');
    assert.equal(lines.length, 5);
    assert.ok(lines[1].endsWith(`"summary":${JSON.stringify(rows[0].summary)}},`));
    assert.equal(resultsJson([]), '[]\n');
  });

  test('index.html escapes grid values and has a column per grid', () => {
    const html = sweepHtml({ scenario: 's<x>', description: '', file: 'f.yaml', grids, sets: ['seed=1'], seeds: 1 }, rows);
    assert.ok(!html.includes('<b>'));
    assert.ok(html.includes('&lt;b&gt;'));
    assert.ok(html.includes('<th class="grid">guests[0].memory</th>'));
    assert.ok(html.includes('s&lt;x&gt;'));
    assert.equal((html.match(/<tr>/g) ?? []).length, 3);
    assert.doesNotMatch(html, /Per point/, 'one seed: no table of means');
    assert.equal(escapeHtml(`'"&`), '&#39;&quot;&amp;');
  });

  test('index.html with several seeds: a row per grid point with the mean of its seeds (the lowest free memory: the lowest)', () => {
    // Two points (the grid's two values), two seeds each: OOM events 1 and 4 -> mean 2.5; 2 and 2 -> 2.
    const mk = (run: number, value: string, seed: number, oom: number, minFree: number): Row => ({
      run,
      point: { 'guests[0].memory': value },
      seed,
      summary: { ...rows[0].summary, host: { ...rows[0].summary.host, min_free_pages: minFree }, guests: [{ ...rows[0].summary.guests[0], oom_events: oom }] },
    });
    const many = [mk(1, '1GiB', 1, 1, 262144), mk(2, '1GiB', 2, 4, 0), mk(3, '2GiB', 1, 2, 524288), mk(4, '2GiB', 2, 2, 524288)];
    const g1 = [grids[1]];
    const html = sweepHtml({ scenario: 's', description: '', file: 'f.yaml', grids: g1, sets: [], seeds: 2 }, many);
    const points = html.slice(html.indexOf('Per point'), html.indexOf('Every run'));
    const trs = points.split('<tr>').slice(2);
    assert.equal(trs.length, 2);
    assert.match(trs[0], /data-v="1GiB"[\s\S]*<td class="num" data-v="2">2<\/td>/);
    assert.match(trs[0], /<td class="num bad" data-v="2.5">2.5<\/td>/);
    // The lowest free memory of point 1 is its lowest run's (0, not the mean 0.5 GiB), written in the column's unit beside 2.0 GiB; 2.5 OOM events above 2.0.
    assert.match(trs[0], /data-v="0">0 GiB</);
    assert.match(trs[1], /data-v="2GiB"[\s\S]*<td class="num bad" data-v="2">2.0<\/td>[\s\S]*data-v="524288">2 GiB</);
    // And every run below, four rows.
    assert.equal((html.slice(html.indexOf('Every run')).match(/<tr>/g) ?? []).length, 5);
  });

  test('index.html: every column of numbers in one unit with one number of decimals, from its values, right-aligned', () => {
    const GIB = 262144;
    // Runs whose outcomes differ in magnitude: lowest free in GiB, MiB and nothing; wasted build of none, 250 ms,
    // 1.5 s and 12 s; counts in the thousands. Two seeds per point, so that the means have decimals.
    const mk = (run: number, value: string, seed: number, o: { minFree: number; wastedNs: number; hits: number; oom: number }): Row => {
      const s = rows[0].summary;
      return {
        run,
        point: { 'guests[0].memory': value },
        seed,
        summary: {
          ...s,
          host: { ...s.host, min_free_pages: o.minFree },
          launches: [{ ...s.launches[0], wasted_build_ns: o.wastedNs }],
          guests: [{ ...s.guests[0], cleancache: { puts: 0, gets: o.hits, hits: o.hits }, oom_events: o.oom }],
        },
      };
    };
    const many = [
      mk(1, '1GiB', 1, { minFree: 1.5 * GIB, wastedNs: 0, hits: 8784, oom: 1 }),
      mk(2, '1GiB', 2, { minFree: 300 * 256, wastedNs: 250e6, hits: 8699, oom: 0 }),
      mk(3, '2GiB', 1, { minFree: 0, wastedNs: 12e9, hits: 6609, oom: 2 }),
      mk(4, '2GiB', 2, { minFree: 12 * GIB, wastedNs: 1.5e9, hits: 6609, oom: 2 }),
    ];
    const html = sweepHtml({ scenario: 's', description: '', file: 'f.yaml', grids: [grids[1]], sets: [], seeds: 2 }, many);
    assert.ok(assertColumnsLineUp(html, 'sweep') >= 2 * 13, 'every outcome column of both tables was checked');
    // Every run: the sizes in GiB (the largest, 12 GiB), two decimals as 300 MiB needs; wasted build in s with one decimal.
    assert.deepEqual(column(html, 1, 'lowest free'), ['1.50 GiB', '0.29 GiB', '0.00 GiB', '12.00 GiB']);
    assert.deepEqual(column(html, 1, 'wasted build'), ['-', '0.3 s', '12.0 s', '1.5 s']);
    assert.deepEqual(column(html, 1, 'cleancache hits'), ['8,784', '8,699', '6,609', '6,609']);
    // Per point, the means over the seeds: 8,741.5 hits beside 6,609.0; 0.5 OOM events beside 2.0; 0.1 s beside 6.8 s.
    assert.deepEqual(column(html, 0, 'cleancache hits'), ['8,741.5', '6,609.0']);
    assert.deepEqual(column(html, 0, 'OOM events'), ['0.5', '2.0']);
    assert.deepEqual(column(html, 0, 'wasted build'), ['0.1 s', '6.8 s']);
    // ... but the lowest free memory is the lowest of any seed: 300 MiB and nothing.
    assert.deepEqual(column(html, 0, 'lowest free'), ['300 MiB', '0 MiB']);
    // Whole counts keep no decimals; the exact value stays in data-v for sorting.
    assert.deepEqual(column(html, 0, 'launches ok'), ['0', '0']);
    assert.match(html, /data-v="0.125">0.1 s</);
  });
});
