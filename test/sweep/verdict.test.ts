// The sweep's verdict: which value of the first --grid does best at each
// combination of the other grids' values, over one seed or several.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary } from '../../src/sim/metrics.ts';
import { enumeratePoints, enumerateRuns, type Grid } from '../../src/sweep/grid.ts';
import { sweepHtml } from '../../src/sweep/html.ts';
import { makeRows } from '../../src/sweep/rows.ts';
import { sweepVerdicts } from '../../src/sweep/verdict.ts';
import { seedsVerdictLead, verdictLead } from '../../src/report/verdict.ts';
import { fakeSummary } from '../report/fake-summary.ts';

/** A run in which `ok` of two launches finished (the rest failed fast). */
function summary(seed: number, ok: number): Summary {
  return fakeSummary(
    seed,
    [0, 1].map((i) => ({ name: `l${i}`, policy: 'x', outcome: i < ok ? 'ok' : 'failed_fast', requested_pages: 1, request_ns: 0, start_ns: 0, end_ns: 1, wasted_build_ns: 0 })),
  );
}

const grids: Grid[] = [
  { text: 'p=a,b', path: 'p', values: ['a', 'b'] },
  { text: 'n=1,2,3', path: 'n', values: ['1', '2', '3'] },
];

/** The sweep's rows with `ok(policy, n, seed)` launches finished in each run. */
function rows(seeds: number, ok: (p: string, n: string, seed: number) => number) {
  const runs = enumerateRuns(enumeratePoints(grids), seeds, () => 10);
  return makeRows(grids, runs, runs.map((r) => summary(r.seed, ok(r.point.values[0], r.point.values[1], r.seed))));
}

test('one verdict per value of the other grids, each comparing the first grid\'s values there', () => {
  // b wins at n=1 on both seeds, a at n=3 on one seed of two (tied on the other), all tie at n=2.
  const r = rows(2, (p, n, seed) => (n === '1' ? (p === 'b' ? 2 : 1) : n === '3' ? (p === 'a' && seed === 10 ? 2 : 1) : 1));
  assert.deepEqual(sweepVerdicts(grids, 2, r), [
    { where: 'n=1', lead: 'p=b does best on every seed (2), more than any other variant. Seeds on which each does best: p=b 2, p=a 0.' },
    {
      where: 'n=2',
      lead: 'No variant does better than the others on any of the 2 seeds: on each, they are equal on launches finished, launches failed mid-way, build time wasted and OOM events (invariant violations: not checked, run with --verify). None of swap I/O on the disk, file reads from the disk, write-backs to the disk, cleancache hits, frontswap stores, the guests\' mean RAM and the lowest free memory differs between them by a tenth and by 100 pages (for memory, 1 MiB) (over the seeds: means, the lowest free memory the lowest).',
    },
    { where: 'n=3', lead: 'p=a does best on every seed (2), alone on 1, more than any other variant. Seeds on which each does best: p=a 2 (1 tied), p=b 1 (1 tied); all variants tie on 1 seed.' },
  ]);
  const html = sweepHtml({ scenario: 's', description: '', file: 's.yaml', grids, sets: [], seeds: 2 }, r);
  assert.match(html, /<h2>Which p does best, at each value of <code>n<\/code><\/h2>\n<ul><li><strong>n=1<\/strong>: p=b does best on every seed \(2\)/);
  // A shard holds only some runs: no verdict there.
  const shard = sweepHtml({ scenario: 's', description: '', file: 's.yaml', grids, sets: [], seeds: 2, shard: { index: 1, count: 2, sweepRuns: 12 } }, r.filter((x) => x.run % 2 === 1));
  assert.doesNotMatch(shard, /does best/);
});

test('over one seed, the verdict of a single comparison; none when the first grid has one value', () => {
  const r = rows(1, (p, n) => (p === 'a' && n !== '2' ? 2 : 1));
  const v = sweepVerdicts(grids, 1, r);
  assert.equal(v.length, 3);
  assert.equal(v[0].lead, 'p=a does best: most launches finished, 2 of 2 against 1 of 2 for p=b.');
  assert.match(v[1].lead, /^No variant does better than the others/);
  const one: Grid[] = [{ text: 'p=a', path: 'p', values: ['a'] }];
  const runs = enumerateRuns(enumeratePoints(one), 1, () => 1);
  assert.deepEqual(sweepVerdicts(one, 1, makeRows(one, runs, [summary(1, 1)])), []);
});

test('the charts: a bar per value of the first grid in each group, the same bytes every time; none where nothing is compared', () => {
  const r = rows(2, (p, n) => (p === 'a' ? Number(n) % 3 : 1));
  const info = { scenario: 's', description: '', file: 's.yaml', grids, sets: [], seeds: 2 };
  const html = sweepHtml(info, r);
  const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
  assert.ok(svg.length > 0, 'a chart');
  assert.ok(svg.includes('Launches finished, mean per run'));
  // One seed: each bar is the one run's figure, not a mean.
  const oneSeed = sweepHtml({ ...info, seeds: 1 }, rows(1, (p, n) => (p === 'a' ? Number(n) % 3 : 1)));
  assert.ok(oneSeed.includes('Launches finished'), 'the panel is drawn');
  assert.ok(!oneSeed.includes('mean per run'), 'its title without mean per run');
  assert.match(oneSeed, /Each bar: the run of one value of <code>p<\/code>/);
  assert.match(html, /Each bar: the mean over the 2 seeds of one value of <code>p<\/code>/);
  // The measures that are 0 in every run get no empty panel: the caption names them.
  for (const title of ['Build time wasted', 'OOM events', 'Swap I/O', 'File reads', 'Write-backs']) assert.ok(!svg.includes(title), title);
  assert.match(html, /Not drawn, 0 in every run: build time wasted, OOM events, swap I\/O on the disk, file reads from the disk, write-backs to the disk\./);
  // Write-backs are disk I/O the verdict names: a sweep whose runs have some draws them.
  const dirty = r.map((row, i) => ({ ...row, summary: { ...row.summary, guests: [{ name: 'g', cleancache: { puts: 0, gets: 0, hits: 0 }, frontswap: { stores: 0, loads: 0, rejects: 0 }, disk: { file_reads: 0, file_writes: 1000 * (1 + (i % 2)), swap_reads: 0, swap_writes: 0, busy_ns: 0 }, workingset: { refaults: 0, activations: 0 }, oom_events: 0, ram_pages_mean: 1 }] } }));
  const dirtyHtml = sweepHtml(info, dirty);
  assert.ok(dirtyHtml.slice(dirtyHtml.indexOf('<svg'), dirtyHtml.indexOf('</svg>')).includes('Write-backs to the disk (pages), mean per run'));
  // Three groups (n=1, 2, 3) on the one x axis.
  assert.equal((svg.match(/>n=1</g) ?? []).length, 1);
  assert.equal(sweepHtml(info, r), html, 'deterministic');
  // Readable on a phone, and it says what made it.
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(html, /Made by hypermem \d+\.\d+\.\d+\./);
  // A single value of the first grid: nothing to compare, no chart.
  const one: Grid[] = [{ text: 'n=1,2', path: 'n', values: ['1', '2'] }, { text: 'p=a', path: 'p', values: ['a'] }];
  const runs = enumerateRuns(enumeratePoints(one), 1, () => 1);
  const rowsOne = makeRows(one, runs, runs.map((x) => summary(x.seed, 1)));
  assert.ok(sweepHtml({ ...info, grids: one, seeds: 1 }, rowsOne).includes('<svg'));
  const single: Grid[] = [{ text: 'p=a', path: 'p', values: ['a'] }];
  const runs1 = enumerateRuns(enumeratePoints(single), 1, () => 1);
  assert.ok(!sweepHtml({ ...info, grids: single, seeds: 1 }, makeRows(single, runs1, [summary(1, 1)])).includes('<svg'));
  // Too many groups to draw: said, not drawn.
  const wide: Grid[] = [{ text: 'p=a,b', path: 'p', values: ['a', 'b'] }, { text: 'n=…', path: 'n', values: Array.from({ length: 30 }, (_, i) => String(i)) }];
  const runsW = enumerateRuns(enumeratePoints(wide), 1, () => 1);
  const w = sweepHtml({ ...info, grids: wide, seeds: 1 }, makeRows(wide, runsW, runsW.map((x) => summary(x.seed, 1))));
  assert.ok(!w.includes('<svg'));
  assert.match(w, /30 combinations of the other grids: too many to draw as bars \(at most 24\)/);
});

test('variants that tie on every ranked outcome: the verdict names the unranked measures that differ most, without ranking them', () => {
  const guest = (swap: number, stores: number, fileReads: number): Summary['guests'][number] => ({
    name: 'g',
    cleancache: { puts: 0, gets: 0, hits: 0 },
    frontswap: { stores, loads: 0, rejects: 0 },
    disk: { file_reads: fileReads, file_writes: 0, swap_reads: swap / 2, swap_writes: swap / 2, busy_ns: 0 },
    workingset: { refaults: 0, activations: 0 },
    oom_events: 0,
    ram_pages_mean: 1,
  });
  const on = fakeSummary(1, [], [guest(0, 9000, 1000)]);
  const off = fakeSummary(1, [], [guest(4000, 0, 1050)]);
  assert.equal(
    verdictLead([
      { label: 'fs=on', summary: on },
      { label: 'fs=off', summary: off },
    ]),
    'No variant does better than the others: they are equal on launches finished, launches failed mid-way, build time wasted and OOM events (invariant violations: not checked, run with --verify). ' +
      'Where they differ: swap I/O on the disk, 0 pages for fs=on against 4,000 pages for fs=off; frontswap stores, 0 for fs=off against 9,000 for fs=on.',
  );
  // File reads differ by under a tenth: not named. Nothing differs: said so.
  assert.match(verdictLead([{ label: 'a', summary: on }, { label: 'b', summary: on }]), /\(invariant violations: not checked, run with --verify\)\. None of swap I\/O on the disk, .* differs between them by a tenth and by 100 pages \(for memory, 1 MiB\)\.$/);
  // Over seeds: the means.
  const lead = seedsVerdictLead(['fs=on', 'fs=off'], [[on, on], [off, fakeSummary(2, [], [guest(2000, 0, 1000)])]]);
  assert.match(lead, /Where they differ \(over the seeds: means, the lowest free memory the lowest\): swap I\/O on the disk, 0 pages for fs=on against 3,000 pages for fs=off;/);
  // tmem on and off: the disk's I/O is named before the cleancache hits and frontswap stores that bring it about (0 by definition with tmem off).
  const tmemGuest = (swap: number, stores: number, fileReads: number, hits: number): Summary['guests'][number] => ({ ...guest(swap, stores, fileReads), cleancache: { puts: 0, gets: hits, hits } });
  assert.match(
    verdictLead([
      { label: 'tmem on', summary: fakeSummary(1, [], [tmemGuest(29_000, 1_403_195, 1_860_000, 6_239_779)]) },
      { label: 'tmem off', summary: fakeSummary(1, [], [tmemGuest(585_000, 0, 7_300_000, 0)]) },
    ]),
    /Where they differ: swap I\/O on the disk, 29,000 pages for tmem on against 585,000 pages for tmem off; file reads from the disk, 1,860,000 pages for tmem on against 7,300,000 pages for tmem off\.$/,
  );
  // A difference too small to matter is not named, however large in proportion (0 against 2 pages of swap).
  const tiny = verdictLead([
    { label: 'a', summary: fakeSummary(1, [], [guest(0, 0, 1000)]) },
    { label: 'b', summary: fakeSummary(1, [], [guest(2, 0, 1000)]) },
  ]);
  assert.match(tiny, /\(invariant violations: not checked, run with --verify\)\. None of swap I\/O on the disk, .* differs between them by a tenth and by 100 pages \(for memory, 1 MiB\)\.$/);
  // A dirtier file workload: only the write-backs differ, and they are disk I/O as much as the reads (the run report's disk card counts them).
  const dirty = (writes: number): Summary => fakeSummary(1, [], [{ ...guest(0, 0, 1000), disk: { ...guest(0, 0, 1000).disk, file_writes: writes } }]);
  assert.match(
    verdictLead([
      { label: 'write_share=10%', summary: dirty(24_271) },
      { label: 'write_share=20%', summary: dirty(47_619) },
    ]),
    /Where they differ: write-backs to the disk, 24,271 pages for write_share=10% against 47,619 pages for write_share=20%\.$/,
  );
  // Self-ballooning on and off: no I/O differs, the guests' RAM does (summed over the guests, each one's mean).
  const ram = (pages: number[]): Summary => fakeSummary(1, [], pages.map((p) => ({ ...guest(0, 0, 1000), ram_pages_mean: p })));
  assert.match(
    verdictLead([
      { label: 'selfballoon on', summary: ram([300_000, 358_000]) },
      { label: 'selfballoon off', summary: ram([524_288, 524_288]) },
    ]),
    /Where they differ: the guests' mean RAM, 2\.51 GiB for selfballoon on against 4 GiB for selfballoon off\.$/,
  );
  // Under 1 MiB apart: not named.
  assert.match(verdictLead([{ label: 'a', summary: ram([100]) }, { label: 'b', summary: ram([300]) }]), /None of .* the guests' mean RAM and the lowest free memory differs/);
  // The lowest free memory over seeds is the lowest of any seed, as the tables give it (256 pages: 1 MiB).
  const free = (seed: number, pages: number) => fakeSummary(seed, [], [], pages);
  const low = seedsVerdictLead(['x', 'y'], [[free(1, 2560), free(2, 256)], [free(1, 2560), free(2, 2560)]]);
  assert.match(low, /the lowest free memory, 1 MiB for x against 10 MiB for y\./);
});

test('the verdict ranks OOM events (all guests together, fewer is better), then invariant violations', () => {
  // Every variant ties on the launches (none) and the build time: the fourth and fifth criteria decide.
  const guests = (...ooms: number[]): Summary['guests'] =>
    ooms.map((oom, i) => ({
      name: `g${i}`,
      cleancache: { puts: 0, gets: 0, hits: 0 },
      frontswap: { stores: 0, loads: 0, rejects: 0 },
      disk: { file_reads: 0, file_writes: 0, swap_reads: 0, swap_writes: 0, busy_ns: 0 },
      workingset: { refaults: 0, activations: 0 },
      oom_events: oom,
      ram_pages_mean: 1,
    }));
  assert.equal(
    verdictLead([
      { label: 'b', summary: fakeSummary(1, [], guests(3)) },
      { label: 'a', summary: fakeSummary(1, [], guests(0)) },
    ]),
    'a does best: fewest OOM events, 0 against 3 for b.',
  );
  // The sum over the guests, not the largest: 2 + 2 is more than 3.
  assert.equal(
    verdictLead([
      { label: 'two guests', summary: fakeSummary(1, [], guests(2, 2)) },
      { label: 'one guest', summary: fakeSummary(1, [], guests(3)) },
    ]),
    'one guest does best: fewest OOM events, 3 against 4 for two guests.',
  );
  const checked = (violations: number): Summary => ({ ...fakeSummary(1, [], guests(1)), invariant_violations: violations, invariant_checks: 5 });
  assert.equal(
    verdictLead([
      { label: 'broken', summary: checked(2) },
      { label: 'sound', summary: checked(0) },
    ]),
    'sound does best: fewest invariant violations, 0 against 2 for broken.',
  );
});

test('a verdict decided by the build time wasted writes both times so that they read apart (2.38 s against 2.44 s, not 2.4 s against 2.4 s)', () => {
  // One launch failed mid-way in each (test/report/small.yaml, policy none, seeds 8 and 9: 38 and 39 batches of 62.5 ms).
  const midway = (seed: number, wastedNs: number): Summary =>
    fakeSummary(seed, [{ name: 'big-2', policy: 'none', outcome: 'failed_midway', requested_pages: 1, request_ns: 0, start_ns: 0, end_ns: wastedNs, wasted_build_ns: wastedNs }]);
  assert.equal(
    verdictLead([
      { label: 'seed=8', summary: midway(8, 2_375_000_000) },
      { label: 'seed=9', summary: midway(9, 2_437_500_000) },
    ]),
    'seed=8 does best: least build time wasted, 2.38 s against 2.44 s for seed=9.',
  );
  // Times that read apart as they are written alone are written so: 850 ms against 1.5 s.
  assert.equal(
    verdictLead([
      { label: 'a', summary: midway(1, 1_500_000_000) },
      { label: 'b', summary: midway(1, 850_000_000) },
    ]),
    'b does best: least build time wasted, 850 ms against 1.5 s for a.',
  );
  // A difference of a nanosecond still ranks, and still reads as one.
  assert.equal(
    verdictLead([
      { label: 'a', summary: midway(1, 2_000_000_001) },
      { label: 'b', summary: midway(1, 2_000_000_000) },
    ]),
    'b does best: least build time wasted, 2.000000000 s against 2.000000001 s for a.',
  );
});
