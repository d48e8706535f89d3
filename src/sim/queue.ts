// The simulator's event queue: a binary min-heap ordered by (time in ns,
// sequence number). The sequence number breaks ties in insertion order, so the
// same schedule always pops in the same order (unlike a clock that breaks ties
// arbitrarily). Keys live in typed arrays; payloads in a parallel array.

import { assert } from '../lib/assert.ts';

/** Added to a late event's sequence number: below 2^53, so sequence numbers stay exact up to 2^52 events. */
const LATE = 2 ** 52;

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

  /**
   * Adds an event. A `late` one runs after every other event of its instant
   * (in insertion order among the late ones): a sample sees the state at the
   * end of its instant, whatever was queued first.
   */
  push(timeNs: number, payload: T, late = false): void {
    assert(Number.isSafeInteger(timeNs) && timeNs >= 0, `event time must be a non-negative integer ns, got ${timeNs}`);
    if (this.count === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const payloads = this.payloads;
    const seq = late ? LATE + this.nextSeq++ : this.nextSeq++;
    let i = this.count++;
    // Sift up: move parents down until the slot fits (by time, then sequence
    // number: a late event may precede a parent of its own time).
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (!(timeNs < pt || (timeNs === pt && seq < seqs[parent]))) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      payloads[i] = payloads[parent];
      i = parent;
    }
    times[i] = timeNs;
    seqs[i] = seq;
    payloads[i] = payload;
  }

  /** Removes the earliest event; its time is read with peekTime() before. */
  pop(): T {
    assert(this.count > 0, 'pop from an empty event queue');
    const times = this.times;
    const seqs = this.seqs;
    const payloads = this.payloads;
    const top = payloads[0] as T;
    const last = --this.count;
    const t = times[last];
    const s = seqs[last];
    const p = payloads[last];
    payloads[last] = undefined;
    if (last > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= last) break;
        const right = left + 1;
        let child = left;
        let ct = times[left];
        let cs = seqs[left];
        if (right < last) {
          const rt = times[right];
          if (rt < ct || (rt === ct && seqs[right] < cs)) {
            child = right;
            ct = rt;
            cs = seqs[right];
          }
        }
        if (!(ct < t || (ct === t && cs < s))) break;
        times[i] = ct;
        seqs[i] = cs;
        payloads[i] = payloads[child];
        i = child;
      }
      times[i] = t;
      seqs[i] = s;
      payloads[i] = p;
    }
    return top;
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
