// The content table: one entry per stored content (Xen 4.3's page content
// descriptor, pcd, when dedup is on; one per page otherwise). It keeps the
// stored form (kind + length, 16 bits) and the location (a whole frame of the
// store or a sub-page slot); with dedup, also the reference count and the
// content hash. Ids come from an intrusive free stack threaded through `loc`.

import { assert } from '../../lib/assert.ts';
import type { ContentStore } from './store.ts';
import { growU16, growU32, NONE } from './typed.ts';

export class ContentTable {
  lk: Uint16Array;
  loc: Uint32Array;
  /** Handles pointing at each content (dedup mode only). */
  ref: Uint32Array | null;
  /** Hash of each content's full contents (dedup mode only). */
  hash: Uint32Array | null;
  private freeHead = NONE;
  private high = 0;
  /** Contents currently stored (unique contents). */
  live = 0;

  constructor(
    private readonly store: ContentStore,
    /** True: ids are allocated here (dedup); false: the caller uses page ids. */
    readonly ownIds: boolean,
    capacity: number,
  ) {
    this.lk = new Uint16Array(capacity);
    this.loc = new Uint32Array(capacity).fill(NONE);
    this.ref = ownIds ? new Uint32Array(capacity) : null;
    this.hash = ownIds ? new Uint32Array(capacity) : null;
    store.ensureCapacity(capacity);
  }

  get capacity(): number {
    return this.lk.length;
  }

  ensureCapacity(capacity: number): void {
    if (capacity <= this.lk.length) return;
    const cap = Math.max(capacity, this.lk.length * 2);
    this.lk = growU16(this.lk, cap);
    this.loc = growU32(this.loc, cap, NONE);
    if (this.ref !== null) this.ref = growU32(this.ref, cap, 0);
    if (this.hash !== null) this.hash = growU32(this.hash, cap, 0);
    this.store.ensureCapacity(cap);
  }

  /** A fresh content id (dedup mode). */
  alloc(): number {
    assert(this.ownIds, 'contents: ids are page ids in this mode');
    if (this.freeHead !== NONE) {
      const id = this.freeHead;
      this.freeHead = this.loc[id];
      this.loc[id] = NONE;
      return id;
    }
    if (this.high === this.lk.length) this.ensureCapacity(this.high * 2);
    return this.high++;
  }

  free(id: number): void {
    assert(this.ownIds, 'contents: ids are page ids in this mode');
    assert(this.ref !== null && this.ref[id] === 0, 'contents: freeing a referenced content');
    this.loc[id] = this.freeHead;
    this.freeHead = id;
  }
}
