// Zipf-distributed ranks in O(1) expected time per sample: rejection-inversion
// sampling (W. Hörmann, G. Derflinger, "Rejection-inversion to generate
// variates from monotone discrete distributions", ACM TOMACS 1996), the method
// Apache Commons RNG uses. P(k) ∝ k^-skew for k in 1..n. skew 0 is uniform.
//
// A draw is one uniform u, its inverse x = H^-1(u) (a logarithm and an
// exponential), k = round(x), accepted at once when k - x <= s, else tested
// further. A table spares most draws the two functions without changing any
// result: u-space cut into TABLE_BUCKETS equal buckets, with x at each edge
// and a bound on how far the chord between two edges is from x inside the
// bucket (x'' = s x^(2s-1), so the chord is off by at most w^2/8 x''; plus a
// margin far above rounding error). When the chord puts x with that bound
// strictly inside one rank's rounding interval and under the first test's
// limit, k is what the computation would give; otherwise x is computed. One
// table per skew and power of two at or above n, shared; a sampler takes it after
// TABLE_AFTER draws (short runs and tests skip building it). The buckets
// span the whole table range, so the share of draws answered falls with n
// (skews 0.3–1): 97–99 % up to n = 2^18 (a guest's 1 GiB file set), 93–99 %
// at 2^20, 84–97 % at 2^22, 69–90 % at 2^24, a third at skew 0.9 and
// n = 2^31. The table is kept small (128 KiB) so it stays in the cache next
// to the page-cache and anonymous records the draws go on to touch: at
// 512 KiB more draws were answered (95 % at skew 0.9 and 2^24, against 69 %
// now; 98.7 % against 98.0 % at 2^18) but the table lookups themselves
// missed the cache, and the access path ran about a quarter slower
// (docs/performance.md, session 17).

import { assert } from '../../lib/assert.ts';
import type { Prng } from '../../lib/prng.ts';

function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x * (1 / 3)) * (1 + 0.25 * x));
}

/** Buckets of a table (two f64 each: 128 KiB). */
export const TABLE_BUCKETS = 1 << 13;
/** Draws of a sampler before it uses a table. */
export const TABLE_AFTER = 1 << 16;

interface InverseTable {
  /** u at the start of bucket 0 (hIntegralX1). */
  u0: number;
  /** Buckets per unit of u. */
  perU: number;
  /** The table is for n up to this (u up to H(nMax + 0.5)). */
  nMax: number;
  /** Per bucket j: x at its start (2j) and the bound on the chord's error in it (2j + 1); x at the end of the last bucket last. */
  xe: Float64Array;
}

/** Tables kept at most (128 KiB each); past that the cache starts over (a sweep over many skews in one worker). */
const MAX_TABLES = 32;
const tables = new Map<string, InverseTable>();

export class ZipfSampler {
  private readonly hIntegralX1: number;
  private hIntegralN: number;
  private readonly s: number;
  private nRanks: number;
  private table: InverseTable | null = null;
  private drawsLeft: number;
  /** Draws the table answered (the rest were computed). */
  tableAnswers = 0;

  /** `tableAfter`: draws before a table is used (Infinity: never; for comparisons). */
  constructor(
    n: number,
    readonly skew: number,
    tableAfter = TABLE_AFTER,
  ) {
    this.nRanks = n;
    this.drawsLeft = tableAfter;
    assert(Number.isSafeInteger(n) && n >= 1, 'zipf needs n >= 1');
    assert(skew >= 0 && Number.isFinite(skew), 'zipf skew must be >= 0');
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.s = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** Ranks sampled from: [0, n). */
  get n(): number {
    return this.nRanks;
  }

  /**
   * The same sampler over `n` ranks: only the integral at the top end depends
   * on n, so the samples are exactly those of `new ZipfSampler(n, skew)`,
   * without recomputing the rest (a table is kept while it covers n).
   */
  resize(n: number): void {
    if (n === this.nRanks) return;
    assert(Number.isSafeInteger(n) && n >= 1, 'zipf needs n >= 1');
    this.nRanks = n;
    this.hIntegralN = this.hIntegral(n + 0.5);
    if (this.table !== null && n > this.table.nMax) this.table = this.tableFor(n);
  }

  /** A rank in [0, n): 0 is the most popular. */
  sample(rng: Prng): number {
    if (this.skew === 0) return rng.nextInt(this.nRanks);
    const table = this.table ?? this.countDraw();
    // Bounded: the acceptance probability is high for every skew (> 0.5 in practice).
    for (let tries = 0; tries < 10_000; tries++) {
      const u = this.hIntegralN + rng.nextFloat() * (this.hIntegralX1 - this.hIntegralN);
      if (table !== null) {
        const f = (u - table.u0) * table.perU;
        const j = Math.floor(f);
        // A draw just outside [u0, end) by rounding is computed.
        if (j >= 0 && j < TABLE_BUCKETS) {
          const xe = table.xe;
          const xa = xe[2 * j];
          const xc = xa + (xe[2 * j + 2] - xa) * (f - j);
          const e = xe[2 * j + 1];
          const k = Math.floor(xc + 0.5);
          if (xc - e > k - 0.5 && xc + e < k + 0.5 && k - xc + e <= this.s && k >= 1 && k <= this.nRanks) {
            this.tableAnswers++;
            return k - 1;
          }
        }
      }
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.nRanks) k = this.nRanks;
      if (k - x <= this.s || u >= this.hIntegral(k + 0.5) - this.h(k)) return k - 1;
    }
    assert(false, 'zipf sampler did not accept a sample');
  }

  /** Counts a draw without a table; takes one once TABLE_AFTER are done. */
  private countDraw(): InverseTable | null {
    if (--this.drawsLeft > 0) return null;
    this.table = this.tableFor(this.nRanks);
    return this.table;
  }

  /** The shared table of this skew for the power of two at or above n. */
  private tableFor(n: number): InverseTable {
    const nMax = 2 ** Math.ceil(Math.log2(Math.max(n, 2)));
    const key = `${this.skew}:${nMax}`;
    let t = tables.get(key);
    if (t === undefined) {
      t = this.buildTable(nMax);
      if (tables.size >= MAX_TABLES) tables.clear();
      tables.set(key, t);
    }
    return t;
  }

  /**
   * x at each bucket edge over u in [hIntegralX1, H(nMax + 0.5)], and per
   * bucket the chord's error bound w^2/8 * max x'' (x'' = s x^(2s-1) is
   * monotone in x, so its largest value is at one end) plus 1e-9 x + 1e-9,
   * which covers the rounding of u, of the bucket position and of H^-1
   * (a few ulps each) many times over.
   */
  private buildTable(nMax: number): InverseTable {
    const u0 = this.hIntegralX1;
    const span = this.hIntegral(nMax + 0.5) - u0;
    const perU = TABLE_BUCKETS / span;
    const w = 1 / perU;
    const xe = new Float64Array(2 * TABLE_BUCKETS + 1);
    const skew = this.skew;
    const curvature = (x: number): number => skew * Math.pow(x, 2 * skew - 1);
    let xa = this.hIntegralInverse(u0);
    for (let j = 0; j < TABLE_BUCKETS; j++) {
      const xb = this.hIntegralInverse(u0 + (j + 1) * w);
      xe[2 * j] = xa;
      xe[2 * j + 1] = ((w * w) / 8) * Math.max(curvature(xa), curvature(xb)) + 1e-9 * xb + 1e-9;
      xa = xb;
    }
    xe[2 * TABLE_BUCKETS] = xa;
    return { u0, perU, nMax, xe };
  }

  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.skew) * logX) * logX;
  }

  private h(x: number): number {
    return Math.exp(-this.skew * Math.log(x));
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.skew);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
}
