// Typed-array helpers for the struct-of-arrays metadata of tmem and the guest
// (DESIGN.md, "Data structures and scale"): an explicit "none" sentinel for
// u32 indices, growth that keeps the old contents (callers pick the new
// capacity), and a 32-bit mixer for the open-addressing tables. No object is
// allocated per page anywhere.

import { beforeAllocating } from './alloc-check.ts';

/** The "no index" sentinel of every u32 link, id and slot. */
export const NONE = 0xffffffff;

/** Largest index a u32 array can hold besides NONE. */
export const MAX_INDEX = NONE - 1;

export function growU32(arr: Uint32Array, capacity: number, fill: number): Uint32Array<ArrayBuffer> {
  beforeAllocating(capacity * 4);
  const out = new Uint32Array(capacity);
  out.set(arr);
  if (fill !== 0) out.fill(fill, arr.length);
  return out;
}

export function growU16(arr: Uint16Array, capacity: number): Uint16Array<ArrayBuffer> {
  beforeAllocating(capacity * 2);
  const out = new Uint16Array(capacity);
  out.set(arr);
  return out;
}

export function growU8(arr: Uint8Array, capacity: number): Uint8Array<ArrayBuffer> {
  beforeAllocating(capacity);
  const out = new Uint8Array(capacity);
  out.set(arr);
  return out;
}

export function growF64(arr: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  beforeAllocating(capacity * 8);
  const out = new Float64Array(capacity);
  out.set(arr);
  return out;
}

/** Final mix of murmur3/splitmix style: spreads every input bit over the 32-bit result. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a running hash with one more 32-bit word. */
export function hashStep(h: number, word: number): number {
  return mix32((h ^ Math.imul(word | 0, 0x9e3779b1)) + 0x632be5ab);
}

/** Low and high 32-bit halves of an integer in [0, 2^53). */
export function lo32(value: number): number {
  return value >>> 0;
}
export function hi32(value: number): number {
  return Math.floor(value / 0x100000000) >>> 0;
}
