// Deterministic pseudo-random numbers: one seeded stream per component.
// sfc32 (Chris Doty-Humphrey's Small Fast Counter) seeded through splitmix32;
// a stream made from a seed and a component name (new Prng) depends on
// nothing else, so adding such a component never shifts the numbers another
// one sees: each guest's stream is named from the seed and the guest's name,
// so a guest added before another, or a launch that fails under one policy
// and boots under another, leaves the other guests' numbers where they were.
// fork() draws its seed from its parent's stream, so forked streams depend on
// the order they are taken (a guest forks its own file, anonymous and
// operations streams, always in the same order).

import { assert } from './assert.ts';

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a over a string: a stable 32-bit name hash for stream derivation. */
export function hashName32(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is any safe integer; `stream` names the component that owns this stream. */
  constructor(seed: number, stream = '') {
    assert(Number.isSafeInteger(seed), 'seed must be a safe integer');
    let s = (seed % 0x100000000) ^ hashName32(stream);
    s = (s + Math.floor(seed / 0x100000000)) | 0;
    let out: number;
    [s, out] = splitmix32(s);
    this.a = out;
    [s, out] = splitmix32(s);
    this.b = out;
    [s, out] = splitmix32(s);
    this.c = out;
    [s, out] = splitmix32(s);
    this.d = out | 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A derived, independent stream for a sub-component. */
  fork(stream: string): Prng {
    return new Prng(this.nextU32() * 0x200000 + (this.nextU32() & 0x1fffff), stream);
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Uniform integer in [0, n), n <= 2^32. */
  nextInt(n: number): number {
    assert(n > 0 && n <= 0x100000000, 'nextInt bound out of range');
    return Math.floor(this.nextFloat() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }
}
