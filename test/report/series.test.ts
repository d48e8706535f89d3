// The report's per-interval series on long runs: thinned to MAX_POINTS, a
// rate or hit rate still counts every page a guest moved, also a guest that
// ended (crash, destroy) between two of the points kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fmtDuration, fmtDurationsApart, hitRate, MAX_POINTS, ratePerSecond, thin, type Point } from '../../src/report/series.ts';
import type { GuestSample, Sample } from '../../src/sim/metrics.ts';
import { diskRates, hitRatePoints } from '../../src/report/charts.ts';

function guest(fileReads: number, gets: number, hits: number, ended = false): GuestSample {
  return {
    ramPages: 0,
    targetPages: 0,
    committedPages: 0,
    pageCachePages: 0,
    cleancacheGets: gets,
    cleancacheHits: hits,
    fileReads,
    fileWrites: 0,
    swapReads: 0,
    swapWrites: 0,
    maxPages: 0,
    ...(ended ? { ended: true as const } : {}),
  };
}

function sample(timeNs: number, guests: Record<string, GuestSample>): Sample {
  return { timeNs, freePages: 0, freeablePages: 0, ownedPages: 0, outstandingPages: 0, tmemEphemeralPages: 0, tmemPersistentPages: 0, guests };
}

/** Pages the rate series says moved: each interval's rate times its length. */
function pagesDrawn(points: Point[]): number {
  let sum = 0;
  for (let i = 1; i < points.length; i++) sum += ((points[i][1] ?? 0) * (points[i][0] - points[i - 1][0])) / 1e9;
  return Math.round(sum);
}

/**
 * 2,000 one-second samples: guest `a` runs throughout, reading 10 pages a
 * second and getting 4 (1 hit); guest `b` reads 7 a second and crashes at
 * 1000.5 s (its row of final values at that instant), then is gone.
 */
function longRun(): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < 2000; t++) {
    const guests: Record<string, GuestSample> = { a: guest(10 * t, 4 * t, t) };
    if (t <= 1000) guests.b = guest(7 * t, 2 * t, 2 * t);
    out.push(sample(t * 1e9, guests));
    if (t === 1000) out.push(sample(1000.5e9, { a: guest(10 * t + 5, 4 * t + 2, t), b: guest(7 * t + 3, 2 * t + 1, 2 * t + 1, true) }));
  }
  return out;
}

test('thinned to MAX_POINTS, the file-read rate still accounts for every page, the crashed guest\'s last half second too', () => {
  const samples = longRun();
  assert.ok(samples.length > MAX_POINTS);
  const all = 10 * 1999 + 7 * 1000 + 3;
  assert.equal(pagesDrawn(ratePerSecond(samples, (g) => g.fileReads)), all, 'every sample kept');
  const thinned = ratePerSecond(samples, (g) => g.fileReads, MAX_POINTS);
  assert.ok(thinned.length <= MAX_POINTS + 1, `${thinned.length} points`);
  assert.deepEqual(
    thinned.map(([t]) => t),
    thin(samples, MAX_POINTS).map((s) => s.timeNs),
    'the points of the other thinned series',
  );
  assert.equal(pagesDrawn(thinned), all);
});

test('thinned, the hit rate of an interval counts the gets and hits of every sample in it', () => {
  const samples = longRun();
  const rate = hitRate(samples, null, MAX_POINTS);
  const at = rate.findIndex(([t]) => t > 1000.5e9);
  const [t0] = rate[at - 1];
  const [t1, pct] = rate[at];
  // Over (t0, t1]: a's gets 4/s and hits 1/s throughout; b's last 2 gets and 2 hits (it ends at 1000.5 s).
  const secs = (t1 - t0) / 1e9;
  const bGets = t0 < 1000e9 ? 2 * (1000 - t0 / 1e9) + 1 : 1;
  const bHits = t0 < 1000e9 ? 2 * (1000 - t0 / 1e9) + 1 : 1;
  assert.ok(pct !== null);
  assert.ok(Math.abs(pct - (100 * (secs + bHits)) / (4 * secs + bGets)) < 1e-9, `${pct}`);
});

test('for any run, thinning keeps the pages the rate series adds up to', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(50), fc.boolean()), { minLength: 2, maxLength: 400 }), fc.integer({ min: 2, max: 50 }), (steps, max) => {
      // One guest reading steps[i][0] pages in interval i; where steps[i][1], a second guest that reads 1 page and ends there.
      let reads = 0;
      const samples: Sample[] = [];
      let total = 0;
      steps.forEach(([n, ends], i) => {
        reads += n;
        if (i > 0) total += n;
        const guests: Record<string, GuestSample> = { a: guest(reads, 0, 0) };
        if (ends && i > 0) {
          guests[`e${i}`] = guest(1, 0, 0, true);
          total += 1;
        }
        samples.push(sample(i * 1e9, guests));
      });
      return pagesDrawn(ratePerSecond(samples, (g) => g.fileReads, max)) === total;
    }),
  );
});

test('no samples, no points (as before the rates were summed between kept points); one sample, one point with no rate', () => {
  assert.deepEqual(ratePerSecond([], (g) => g.fileReads, MAX_POINTS), []);
  assert.deepEqual(hitRate([], null, MAX_POINTS), []);
  assert.deepEqual(ratePerSecond([sample(0, { a: guest(5, 0, 0) })], (g) => g.fileReads, MAX_POINTS), [[0, null]]);
  assert.deepEqual(hitRate([sample(0, { a: guest(0, 4, 1) })], null), [[0, null]]);
});

test('two different durations never read alike side by side; two that already read apart are written as fmtDuration writes them', () => {
  // Already apart: unchanged.
  assert.deepEqual(fmtDurationsApart(850e6, 1.5e9), ['850 ms', '1.5 s']);
  assert.deepEqual(fmtDurationsApart(0, 2e9), [fmtDuration(0), fmtDuration(2e9)]);
  // Equal: as fmtDuration writes them (no decimals hunted for).
  assert.deepEqual(fmtDurationsApart(2.4e9, 2.4e9), ['2.4 s', '2.4 s']);
  // The same text.
  assert.deepEqual(fmtDurationsApart(2.375e9, 2.4375e9), ['2.38 s', '2.44 s']);
  assert.deepEqual(fmtDurationsApart(1, 2), ['0.000001 ms', '0.000002 ms']);
  // The same amount in two units ("120 s" and "2 min", "1000 ms" and "1 s", "120 min" and "2 h").
  assert.deepEqual(fmtDurationsApart(119.96e9, 120e9), ['1.999 min', '2.000 min']);
  assert.deepEqual(fmtDurationsApart(999.7e6, 1e9), ['0.9997 s', '1.0000 s']);
  assert.deepEqual(fmtDurationsApart(7199e9, 7200e9), ['1.9997 h', '2.0000 h']);
  // Two hours and one ns: 13 decimals of an hour.
  assert.deepEqual(fmtDurationsApart(7200e9, 7200e9 + 1), ['2.0000000000000 h', '2.0000000000003 h']);
  // Any two different whole-ns durations up to a day read apart, in either order.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 86_400e9 }), fc.integer({ min: 0, max: 86_400e9 }), (a, b) => {
      const [p, q] = fmtDurationsApart(a, b);
      return a === b || p !== q;
    }),
  );
});

test('the disk and hit-rate charts draw their rates from every sample: on a long run the crashed guest\'s last moves are in them (found by review: the charts thinned before taking rates)', () => {
  const samples = longRun();
  const { file, writeBack, swapIn, swapOut } = diskRates(samples);
  const points = thin(samples, MAX_POINTS).map((s) => s.timeNs);
  for (const series of [file, writeBack, swapIn, swapOut]) assert.deepEqual(series.map(([t]) => t), points);
  assert.equal(pagesDrawn(file), 10 * 1999 + 7 * 1000 + 3);
  assert.deepEqual(hitRatePoints(samples, null), hitRate(samples, null, MAX_POINTS));
  assert.deepEqual(hitRatePoints(samples, ['b']), hitRate(samples, ['b'], MAX_POINTS));
  assert.ok(hitRatePoints(samples, ['b']).some(([t, v]) => t > 1000e9 && v !== null), 'b\'s last get and hit are drawn');
});
