import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentModel, DEFAULT_CONTENT, newSyntheticPage, samePage } from '../../src/guest/content.ts';
import { compileAnonProfile } from '../../src/guest/workload/anon.ts';
import { compileFilePattern } from '../../src/guest/workload/file.ts';
import { ZipfSampler } from '../../src/guest/workload/zipf.ts';
import { Prng } from '../../src/lib/prng.ts';
import { guestConfig, type GuestConfigInput } from '../../src/guest/config.ts';
import { FakeTmem } from './fake-tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';
import type { GuestMetrics } from '../../src/guest/guest.ts';

const S = 1_000_000_000;

test('anonymous demand profiles: constant, step, diurnal, spikes', () => {
  assert.equal(compileAnonProfile({ kind: 'constant', pages: 7 }, 100)(123), 7);
  const step = compileAnonProfile({ kind: 'step', initialPages: 10, steps: [{ atNs: 2 * S, pages: 30 }, { atNs: S, pages: 20 }] }, 100);
  assert.deepEqual([step(0), step(S), step(1.5 * S), step(2 * S), step(9 * S)], [10, 20, 20, 30, 30]);
  const d = compileAnonProfile({ kind: 'diurnal', basePages: 1000, amplitudePages: 500, periodNs: 4 * S }, 100);
  assert.deepEqual([d(0), d(S), d(2 * S), d(3 * S)], [1000, 1500, 1000, 500]);
  const sp = compileAnonProfile({ kind: 'spikes', basePages: 100, spikePages: 50, everyNs: 10 * S, durationNs: 2 * S, offsetNs: S }, 100);
  assert.deepEqual([sp(0), sp(S), sp(2.9 * S), sp(3 * S), sp(11.5 * S)], [100, 150, 150, 100, 150]);
});

test('zipf sampler: ranks in range, rank 0 about as frequent as theory says', () => {
  const rng = new Prng(7, 'zipf');
  const n = 1000;
  const z = new ZipfSampler(n, 1);
  let h = 0;
  for (let k = 1; k <= n; k++) h += 1 / k;
  const draws = 200000;
  const counts = new Uint32Array(n);
  for (let i = 0; i < draws; i++) counts[z.sample(rng)]++;
  const p0 = counts[0] / draws;
  assert.ok(Math.abs(p0 - 1 / h) < 0.01, `p0 ${p0} vs ${1 / h}`);
  assert.ok(counts[1] < counts[0] && counts[9] < counts[1]);
  const u = new ZipfSampler(10, 0);
  for (let i = 0; i < 1000; i++) {
    const r = u.sample(rng);
    assert.ok(r >= 0 && r < 10);
  }
});

/** The sampler's H (integral of x^-skew) and its constants, written out again here as an independent oracle. */
function zipfH(skew: number): { H: (x: number) => number; squeeze: number } {
  const H = (x: number): number => (skew === 1 ? Math.log(x) : (Math.pow(x, 1 - skew) - 1) / (1 - skew));
  const Hinv = (u: number): number => (skew === 1 ? Math.exp(u) : Math.pow(1 + (1 - skew) * u, 1 / (1 - skew)));
  return { H, squeeze: 2 - Hinv(H(2.5) - Math.pow(2, -skew)) };
}

/** A stand-in for the Prng: `first`, then a real stream. */
class OneFloat {
  private used = false;
  private readonly rest: Prng;
  constructor(
    private readonly first: number,
    seed: number,
  ) {
    this.rest = new Prng(seed, 'rest');
  }
  nextFloat(): number {
    if (this.used) return this.rest.nextFloat();
    this.used = true;
    return this.first;
  }
}

const TABLE_SKEWS = [0.3, 0.5, 0.9, 1, 1.2, 2.5];

test('zipf inverse table: the same samples as computing each one, random draws across random resizes', () => {
  let answered = 0;
  for (const skew of TABLE_SKEWS) {
    for (const n of [1, 7, 1000, 262144, 4194304]) {
      const withTable = new ZipfSampler(n, skew, 1);
      const computed = new ZipfSampler(n, skew, Infinity);
      const r1 = new Prng(11, `zt${skew}:${n}`);
      const r2 = new Prng(11, `zt${skew}:${n}`);
      const rr = new Prng(12, `zt${skew}:${n}`);
      let cur = n;
      for (let i = 0; i < 25000; i++) {
        // Now and then another size: tiny, back to n, or up to 64x either way (a large table serving a small n, another table class).
        if (i % 997 === 996) {
          const c = rr.nextFloat();
          cur = c < 0.15 ? 1 + rr.nextInt(9) : c < 0.3 ? n : Math.max(1, Math.min(2 ** 40, Math.round(cur * 2 ** (rr.nextFloat() * 12 - 6))));
          withTable.resize(cur);
          computed.resize(cur);
        }
        const a = withTable.sample(r1);
        const b = computed.sample(r2);
        if (a !== b) assert.fail(`skew ${skew} n ${n} (now ${cur}) draw ${i}: ${a} with the table, ${b} computed`);
      }
      assert.equal(computed.tableAnswers, 0);
      if (skew === 0.9 && n === 262144) {
        const plain = new ZipfSampler(n, skew, 1);
        const r = new Prng(13, 'plain');
        for (let i = 0; i < 20000; i++) plain.sample(r);
        answered = plain.tableAnswers / 20000;
      }
    }
  }
  // The table must answer most draws, or it only costs memory.
  assert.ok(answered > 0.9, `the table of skew 0.9 answered ${answered} of the draws`);
});

test('zipf inverse table: the same samples at the edges, where x rounds to another rank or the first test flips', () => {
  let answeredNearEdges = 0;
  for (const skew of TABLE_SKEWS) {
    const { H, squeeze } = zipfH(skew);
    // Each table built for 2^22 ranks, then used for fewer (buckets far wider than the ranks' intervals).
    for (const n of [7, 1000, 4194304]) {
      const withTable = new ZipfSampler(4194304, skew, 1);
      withTable.sample(new Prng(1, 'build'));
      withTable.resize(n);
      const computed = new ZipfSampler(n, skew, Infinity);
      const uN = H(n + 0.5);
      const u1 = H(1.5) - 1;
      const ranks: number[] = [];
      for (let k = 1; k <= Math.min(n, 200); k++) ranks.push(k);
      for (let k = 200; k < n; k = Math.ceil(k * 1.07)) ranks.push(k);
      for (const k of ranks) {
        for (const edge of [k - 0.5, k + 0.5, k - squeeze]) {
          if (!(edge > 0)) continue;
          const r0 = (H(edge) - uN) / (u1 - uN);
          if (!(r0 >= 0 && r0 < 1)) continue;
          // The uniforms the Prng can return (m / 2^32) next to the edge.
          const m0 = Math.floor(r0 * 2 ** 32);
          for (let m = Math.max(0, m0 - 6); m <= Math.min(2 ** 32 - 1, m0 + 6); m++) {
            const before = withTable.tableAnswers;
            const a = withTable.sample(new OneFloat(m / 2 ** 32, m) as unknown as Prng);
            const b = computed.sample(new OneFloat(m / 2 ** 32, m) as unknown as Prng);
            if (a !== b) assert.fail(`skew ${skew} n ${n} rank ${k} edge ${edge} r ${m}/2^32: ${a} with the table, ${b} computed`);
            answeredNearEdges += withTable.tableAnswers - before;
          }
        }
      }
    }
  }
  assert.ok(answeredNearEdges > 10000, `the table answered only ${answeredNearEdges} draws next to the edges`);
});

test('diurnal phase shifts the sine: demand at t is the unshifted demand at t + phase', () => {
  const d = compileAnonProfile({ kind: 'diurnal', basePages: 1000, amplitudePages: 500, periodNs: 4 * S, phaseNs: S }, 100);
  assert.deepEqual([d(0), d(S), d(2 * S), d(3 * S)], [1500, 1000, 500, 1000]);
});

test('zipf and uniform patterns start at fromPage', () => {
  const rng = new Prng(3, 'from');
  for (const pattern of [{ kind: 'zipf', workingSetPages: 5, skew: 1, fromPage: 40 }, { kind: 'uniform', workingSetPages: 5, fromPage: 40 }] as const) {
    const sampler = compileFilePattern(pattern, 100);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampler.next(rng));
    assert.deepEqual([...seen].sort((a, b) => a - b), [40, 41, 42, 43, 44], pattern.kind);
  }
});

test('zipf sampler: the whole distribution is Zipf(skew) over n (chi-square), computed and through the table; skew 0 is uniform', () => {
  const n = 10;
  const draws = 200_000;
  for (const skew of [0, 0.9, 2]) {
    for (const tableAfter of [Infinity, 1]) {
      const z = new ZipfSampler(n, skew, tableAfter);
      const rng = new Prng(11, `chi:${skew}:${tableAfter}`);
      const counts = new Float64Array(n);
      for (let i = 0; i < draws; i++) counts[z.sample(rng)]++;
      let h = 0;
      for (let k = 1; k <= n; k++) h += k ** -skew;
      let chi = 0;
      for (let k = 1; k <= n; k++) {
        const expected = (draws * k ** -skew) / h;
        chi += (counts[k - 1] - expected) ** 2 / expected;
      }
      // 9 degrees of freedom: P(chi > 40) is about 1e-5.
      assert.ok(chi < 40, `skew ${skew}, table after ${tableAfter}: chi-square ${chi.toFixed(1)} (${[...counts].join(' ')})`);
      if (tableAfter === 1 && skew > 0) assert.ok(z.tableAnswers > draws / 2, `table answered ${z.tableAnswers}`);
    }
  }
});

test('file patterns: scan is sequential and cyclic, mix draws from its parts', () => {
  const rng = new Prng(1, 'f');
  const scan = compileFilePattern({ kind: 'scan', fromPage: 10, pages: 3 }, 100);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => scan.next(rng)), [10, 11, 12, 10, 11]);
  const mix = compileFilePattern(
    { kind: 'mix', parts: [{ weight: 1, pattern: { kind: 'uniform', workingSetPages: 10 } }, { weight: 3, pattern: { kind: 'scan', fromPage: 50, pages: 50 } }] },
    100,
  );
  let low = 0;
  for (let i = 0; i < 4000; i++) if (mix.next(rng) < 10) low++;
  assert.ok(low > 850 && low < 1150, `${low}`);
  assert.throws(() => compileFilePattern({ kind: 'scan', fromPage: 90, pages: 20 }, 100));
});

test('page contents: zero share, identical across guests of one image, unique otherwise, deterministic', () => {
  const a = new ContentModel({ ...DEFAULT_CONTENT, imageId: 5 }, 1);
  const b = new ContentModel({ ...DEFAULT_CONTENT, imageId: 5 }, 2);
  const c = new ContentModel({ ...DEFAULT_CONTENT, imageId: 6 }, 3);
  const pa = newSyntheticPage();
  const pb = newSyntheticPage();
  const pc = newSyntheticPage();
  let zero = 0;
  let sameAB = 0;
  let sameAC = 0;
  const n = 20000;
  const sizes = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    a.filePage(12 + (i >> 8), i & 255, 0, true, pa);
    b.filePage(12 + (i >> 8), i & 255, 0, true, pb);
    c.filePage(12 + (i >> 8), i & 255, 0, true, pc);
    if (pa.fpHi === 0 && pa.fpLo === 0) zero++;
    else {
      sizes.set(pa.compressedBytes, (sizes.get(pa.compressedBytes) ?? 0) + 1);
      if (samePage(pa, pc)) sameAC++;
    }
    if (samePage(pa, pb)) sameAB++;
  }
  assert.ok(Math.abs(zero / n - 0.05) < 0.01, `zero ${zero / n}`);
  // 5% zero + 95% x 90% shared with the image.
  assert.ok(Math.abs(sameAB / n - (0.05 + 0.95 * 0.9)) < 0.02, `same ${sameAB / n}`);
  assert.equal(sameAC, 0);
  assert.ok(Math.abs((sizes.get(2048) ?? 0) / (n - zero) - 0.5) < 0.02);
  // Truncated files (gen 1) and guest-unique anon pages differ between guests.
  a.filePage(12, 0, 1, true, pa);
  b.filePage(12, 0, 1, true, pb);
  assert.ok(!samePage(pa, pb) || (pa.fpHi === 0 && pa.fpLo === 0));
  a.anonPage(3, 0, pa);
  a.anonPage(3, 0, pb);
  assert.ok(samePage(pa, pb), 'deterministic');
});

const busy = (over: Partial<GuestConfigInput> = {}): GuestConfigInput => ({
  domid: 1,
  memoryPages: 30000,
  maxmemPages: 40000,
  swapPages: 20000,
  workload: {
    anon: { kind: 'diurnal', basePages: 12000, amplitudePages: 6000, periodNs: 30 * S },
    anonAccessesPerSec: 10000,
    anonSkew: 0.7,
    file: {
      files: 200,
      pagesPerFile: 100,
      filesystems: 2,
      accessesPerSec: 30000,
      pattern: {
        kind: 'mix',
        parts: [
          { weight: 8, pattern: { kind: 'zipf', workingSetPages: 12000, skew: 0.9 } },
          { weight: 2, pattern: { kind: 'scan', fromPage: 12000, pages: 8000 } },
        ],
      },
      writeShare: 0.05,
      unlinksPerSec: 2,
      truncatesPerSec: 2,
    },
  },
  selfballoon: { enabled: true },
  ...over,
});

function drive(seed: number, over: Partial<GuestConfigInput> = {}, seconds = 40) {
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, busy(over), seed);
  for (let t = 0; t < seconds; t++) {
    g.runWorkload(t * S, S);
    if (t % 5 === 4) g.selfballoonTick((t + 1) * S);
    g.balloonWork((t + 1) * S);
  }
  assertClean(g);
  assert.deepEqual(hv.violations(), []);
  return g.metrics();
}

test('a busy self-ballooned guest stays consistent and is deterministic per seed', () => {
  const a = drive(3);
  const b = drive(3);
  const c = drive(4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.selfballoon.ticks === 8 && a.ramPages < 30000, 'self-ballooning took memory back');
  assert.ok(a.cleancache.puts > 0 && a.cleancache.hits > 0);
  assert.ok(a.fileAccesses === 40 * 30000);
  // Every anonymous page allocated is either still there or was freed; the diurnal demand did both.
  assert.ok(a.anonFrees > 0 && a.anonFaults > a.anonFrees);
  assert.equal(a.anonFaults - a.anonFrees, a.anonPages);
});

/**
 * Guest A runs its workload (chunks of 256, cache lines loaded ahead); guest
 * B, same config and seed, is driven one access at a time with its own draws
 * from the same streams, interleaved as runWorkload documents. Returns both
 * guests' metrics after 100 steps.
 */
function chunkedAndOneByOne(input: GuestConfigInput): { a: GuestMetrics; b: GuestMetrics } {
  const config = guestConfig(input);
  const file = config.workload.file;
  if (file === null) throw new Error('chunkedAndOneByOne needs a guest with files');
  const hvA = newHost(100000);
  const hvB = newHost(100000);
  const a = bootGuest(hvA, new FakeTmem(), input, 9);
  const b = bootGuest(hvB, new FakeTmem(), input, 9);
  const rng = new Prng(9, config.name);
  const rngFile = rng.fork('guest-file');
  const rngAnon = rng.fork('guest-anon');
  const pattern = compileFilePattern(file.pattern, file.files * file.pagesPerFile);
  let sampler: ZipfSampler | null = null;
  const step = config.workload.stepNs;
  const demand = compileAnonProfile(config.workload.anon, config.maxmemPages);
  // The counts per step follow runWorkload's carry rule, not guest A's counters.
  let fileCarry = 0;
  let anonCarry = 0;
  for (let t = 0; t < 100 * step; t += step) {
    a.runWorkload(t, step);
    const anonPages = demand(t);
    b.setAnonPages(anonPages);
    fileCarry += file.accessesPerSec * (step / 1e9);
    anonCarry += config.workload.anonAccessesPerSec * (step / 1e9);
    const nFile = Math.floor(fileCarry);
    const nAnon = anonPages > 0 ? Math.floor(anonCarry) : 0;
    fileCarry -= nFile;
    anonCarry -= Math.floor(anonCarry);
    if (nAnon > 0) {
      if (sampler === null) sampler = new ZipfSampler(anonPages, config.workload.anonSkew, Infinity);
      else sampler.resize(anonPages);
    }
    let filesDone = 0;
    for (let i = 0; i < nFile + nAnon; i++) {
      if (Math.floor(((i + 1) * nFile) / (nFile + nAnon)) > filesDone) {
        filesDone++;
        const p = pattern.next(rngFile);
        const f = Math.floor(p / file.pagesPerFile);
        b.accessFilePage(f, p - f * file.pagesPerFile, file.writeShare > 0 && rngFile.nextFloat() < file.writeShare);
      } else if (sampler !== null) {
        b.accessAnonPage(sampler.sample(rngAnon));
      }
    }
    assert.ok(nFile > 256 && nFile % 256 !== 0, 'a step holds more than one chunk, the last one partial');
  }
  assertClean(a);
  assertClean(b);
  return { a: a.metrics(), b: b.metrics() };
}

test('accesses drawn and run in chunks give what one access at a time gives', () => {
  const input = busy({ selfballoon: { enabled: false } });
  const ws = input.workload;
  if (ws?.file === undefined || ws.file === null) throw new Error('busy() has files');
  ws.file.unlinksPerSec = 0;
  ws.file.truncatesPerSec = 0;
  const busyRun = chunkedAndOneByOne(input);
  assert.deepEqual(busyRun.b, busyRun.a);
  const m = busyRun.a;
  assert.ok(m.cleancache.puts > 0 && m.swapOuts > 0 && m.fileHits < m.fileAccesses, 'reclaim ran between accesses');
  // A guest far too small for its pages: nearly every access reclaims, so any change of order shows in the hits.
  const tight = chunkedAndOneByOne({
    domid: 1,
    memoryPages: 1500,
    swapPages: 4000,
    workload: {
      anon: { kind: 'constant', pages: 1000 },
      anonAccessesPerSec: 10000,
      anonSkew: 0,
      file: { files: 40, pagesPerFile: 50, filesystems: 1, accessesPerSec: 30000, pattern: { kind: 'uniform', workingSetPages: 2000 }, writeShare: 0.1, unlinksPerSec: 0, truncatesPerSec: 0 },
    },
  });
  assert.deepEqual(tight.b, tight.a);
  assert.ok(tight.a.fileHits > 0 && tight.a.fileHits < tight.a.fileAccesses / 2 && tight.a.swapIns > 0, 'the tight guest misses and swaps');
});

test('spikes shorter than the selfballoon interval make the guest swap into frontswap', () => {
  const m = drive(
    5,
    {
      workload: {
        anon: { kind: 'spikes', basePages: 4000, spikePages: 16000, everyNs: 20 * S, durationNs: 2 * S, offsetNs: 31 * S },
        anonAccessesPerSec: 20000,
        anonSkew: 0,
        file: null,
        stepNs: 100_000_000,
      },
    },
    40,
  );
  assert.ok(m.frontswap.stores > 0, 'the spike swapped into frontswap');
  assert.equal(m.disk.swapWrites, 0);
  assert.equal(m.oomEvents, 0);
});

test('OOM event when anonymous demand exceeds RAM plus swap', () => {
  const hv = newHost(100000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 10000, kernelReservePages: 0, swapPages: 2000, workload: { anon: { kind: 'constant', pages: 13000 } } });
  g.runWorkload(0, S);
  const m = g.metrics();
  assert.ok(m.oomEvents > 0);
  assert.equal(m.anonPages, 12000);
  assert.equal(m.committedPages, 13000);
  assertClean(g);
  const g2 = bootGuest(hv, null, { domid: 2, memoryPages: 10000, kernelReservePages: 0, swapPages: 3000, workload: { anon: { kind: 'constant', pages: 13000 } } });
  g2.runWorkload(0, S);
  assert.equal(g2.metrics().oomEvents, 0);
});

test('trace-driven guest (shipped GCD file, 24 h compressed into 288 s) stays consistent', () => {
  const file = new URL('../../data/gcd/vm_6194776414_4', import.meta.url).pathname;
  const m = drive(9, {
    memoryPages: 20000,
    maxmemPages: 40000,
    workload: { anon: { kind: 'trace', file, sampleIntervalNs: S }, anonAccessesPerSec: 20000, anonSkew: 0.5, file: null, stepNs: 100_000_000 },
  }, 60);
  assert.ok(m.committedPages > 0);
  assert.ok(m.balloon.deflatedPages > 0 || m.balloon.inflatedPages > 0);
});
