// A set of small integers as a two-level bitmap: a bit per member, and a
// summary bit per 32-bit word that has any member. `next(from)` finds the
// smallest member at or above `from` by skipping empty words 32 at a time
// through the summary, so walking a large, sparse set in order costs about
// one read per 1,024 positions where the set is empty.

import { assert } from './assert.ts';
import { growU32 } from './typed.ts';

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class OrderedBitset {
  private words: Uint32Array;
  private summary: Uint32Array;
  private members = 0;

  constructor(capacity: number) {
    this.words = new Uint32Array(Math.ceil(Math.max(1, capacity) / 32));
    this.summary = new Uint32Array(Math.ceil(this.words.length / 32));
  }

  /** Positions the set can hold: [0, capacity). */
  get capacity(): number {
    return this.words.length * 32;
  }

  get size(): number {
    return this.members;
  }

  /** Makes room for positions below `capacity` (members are kept). */
  grow(capacity: number): void {
    const words = Math.ceil(capacity / 32);
    if (words <= this.words.length) return;
    this.words = growU32(this.words, words, 0);
    this.summary = growU32(this.summary, Math.ceil(words / 32), 0);
  }

  has(i: number): boolean {
    return i < this.capacity && (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    assert(i >= 0 && i < this.capacity, 'bitset: position out of range');
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if ((this.words[w] & bit) !== 0) return;
    this.words[w] |= bit;
    this.summary[w >>> 5] |= 1 << (w & 31);
    this.members++;
  }

  delete(i: number): void {
    if (!this.has(i)) return;
    const w = i >>> 5;
    this.words[w] &= ~(1 << (i & 31));
    if (this.words[w] === 0) this.summary[w >>> 5] &= ~(1 << (w & 31));
    this.members--;
  }

  clear(): void {
    this.words.fill(0);
    this.summary.fill(0);
    this.members = 0;
  }

  /** The smallest member >= `from`, or -1. */
  next(from: number): number {
    if (from < 0) from = 0;
    let w = from >>> 5;
    if (w >= this.words.length) return -1;
    const bits = this.words[w] & (-1 << (from & 31));
    if (bits !== 0) return w * 32 + lowestBit(bits);
    // The next non-empty word after w, through the summary.
    w++;
    let s = w >>> 5;
    if (s >= this.summary.length) return -1;
    let sb = this.summary[s] & (-1 << (w & 31));
    // Bounded: s only grows, up to the summary's length.
    while (sb === 0) {
      if (++s >= this.summary.length) return -1;
      sb = this.summary[s];
    }
    const word = s * 32 + lowestBit(sb);
    return word * 32 + lowestBit(this.words[word]);
  }
}
