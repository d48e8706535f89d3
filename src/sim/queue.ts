// The simulator's event queue: a binary min-heap ordered by (time in ns,
// sequence number). The sequence number breaks ties in insertion order, so the
// same schedule always pops in the same order (unlike a clock that breaks ties
// arbitrarily). Keys live in typed arrays; payloads in a parallel array.

import { assert } from '../lib/assert.ts';

export class EventQueue<T> {
  private times: Float64Array;
  private seqs: Float64Array;
  private payloads: (T | undefined)[];
  private count = 0;
  private nextSeq = 0;

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.payloads = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.times[0];
  }

  push(timeNs: number, payload: T): void {
    assert(Number.isSafeInteger(timeNs) && timeNs >= 0, `event time must be a non-negative integer ns, got ${timeNs}`);
    if (this.count === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.count++;
    // Sift up: move parents down until the slot fits.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(timeNs, seq, this.times[parent], this.seqs[parent])) break;
      this.place(i, this.times[parent], this.seqs[parent], this.payloads[parent]);
      i = parent;
    }
    this.place(i, timeNs, seq, payload);
  }

  /** Removes the earliest event; its time is read with peekTime() before. */
  pop(): T {
    assert(this.count > 0, 'pop from an empty event queue');
    const top = this.payloads[0] as T;
    const last = --this.count;
    const t = this.times[last];
    const s = this.seqs[last];
    const p = this.payloads[last];
    this.payloads[last] = undefined;
    if (last > 0) {
      let i = 0;
      while (true) {
        const left = 2 * i + 1;
        if (left >= last) break;
        const right = left + 1;
        const child = right < last && this.less(this.times[right], this.seqs[right], this.times[left], this.seqs[left]) ? right : left;
        if (!this.less(this.times[child], this.seqs[child], t, s)) break;
        this.place(i, this.times[child], this.seqs[child], this.payloads[child]);
        i = child;
      }
      this.place(i, t, s, p);
    }
    return top;
  }

  private less(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2);
  }

  private place(i: number, t: number, s: number, p: T | undefined): void {
    this.times[i] = t;
    this.seqs[i] = s;
    this.payloads[i] = p;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    times.set(this.times);
    const seqs = new Float64Array(n);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    this.payloads.length = n;
  }
}
