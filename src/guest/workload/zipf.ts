// Zipf-distributed ranks in O(1) expected time per sample: rejection-inversion
// sampling (W. Hörmann, G. Derflinger, "Rejection-inversion to generate
// variates from monotone discrete distributions", ACM TOMACS 1996), the method
// Apache Commons RNG uses. P(k) ∝ k^-skew for k in 1..n. skew 0 is uniform.

import { assert } from '../../lib/assert.ts';
import type { Prng } from '../../lib/prng.ts';

function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x * (1 / 3)) * (1 + 0.25 * x));
}

export class ZipfSampler {
  private readonly hIntegralX1: number;
  private hIntegralN: number;
  private readonly s: number;
  private nRanks: number;

  constructor(
    n: number,
    readonly skew: number,
  ) {
    this.nRanks = n;
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
   * on n, so this is exactly what `new ZipfSampler(n, skew)` would compute,
   * without recomputing the rest.
   */
  resize(n: number): void {
    if (n === this.nRanks) return;
    assert(Number.isSafeInteger(n) && n >= 1, 'zipf needs n >= 1');
    this.nRanks = n;
    this.hIntegralN = this.hIntegral(n + 0.5);
  }

  /** A rank in [0, n): 0 is the most popular. */
  sample(rng: Prng): number {
    if (this.skew === 0) return rng.nextInt(this.nRanks);
    // Bounded: the acceptance probability is high for every skew (> 0.5 in practice).
    for (let tries = 0; tries < 10_000; tries++) {
      const u = this.hIntegralN + rng.nextFloat() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.nRanks) k = this.nRanks;
      if (k - x <= this.s || u >= this.hIntegral(k + 0.5) - this.h(k)) return k - 1;
    }
    assert(false, 'zipf sampler did not accept a sample');
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
