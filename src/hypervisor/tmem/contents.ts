// The content table: one entry per stored content (Xen 4.3's page content
// descriptor, pcd, when dedup is on; one per page otherwise). It keeps the
// stored form (kind + length, 16 bits) and the location (a whole frame of the
// store or a sub-page slot); with dedup, also the reference count and the
// content hash. Ids come from an intrusive free stack threaded through `loc`.
//
// Without dedup, compression and TZE every content is a whole page kept by
// the store: the stored form is always WHOLE/4096 and there is no location.
// Both columns are therefore lazy: they are allocated (filled with that
// default) only when a content first differs from it, so the default
// configuration spends no bytes on them.

import { assert } from '../../lib/assert.ts';
import type { ContentStore } from './store.ts';
import { growU16, growU32, NONE } from '../../lib/typed.ts';

/** The stored form of a whole, uncompressed page: lenKind(KIND_WHOLE, 4096). */
const LK_DEFAULT = 4096;

export class ContentTable {
  /** Stored form per content; null while every content has LK_DEFAULT. */
  private lkCol: Uint16Array | null = null;
  /** Location per content; null while every content has NONE (never null with own ids: the free stack lives here). */
  private locCol: Uint32Array | null = null;
  /** Handles pointing at each content (dedup mode only). */
  ref: Uint32Array | null;
  /** Hash of each content's full contents (dedup mode only). */
  hash: Uint32Array | null;
  private cap: number;
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
    this.cap = capacity;
    if (ownIds) this.locCol = new Uint32Array(capacity).fill(NONE);
    this.ref = ownIds ? new Uint32Array(capacity) : null;
    this.hash = ownIds ? new Uint32Array(capacity) : null;
    store.ensureCapacity(capacity);
  }

  get capacity(): number {
    return this.cap;
  }

  lkOf(cd: number): number {
    return this.lkCol === null ? LK_DEFAULT : this.lkCol[cd];
  }

  locOf(cd: number): number {
    return this.locCol === null ? NONE : this.locCol[cd];
  }

  /** Records content `cd`'s stored form and location. */
  set(cd: number, lk: number, loc: number): void {
    if (this.lkCol !== null) this.lkCol[cd] = lk;
    else if (lk !== LK_DEFAULT) {
      this.lkCol = new Uint16Array(this.cap).fill(LK_DEFAULT);
      this.lkCol[cd] = lk;
    }
    if (this.locCol !== null) this.locCol[cd] = loc;
    else if (loc !== NONE) {
      this.locCol = new Uint32Array(this.cap).fill(NONE);
      this.locCol[cd] = loc;
    }
  }

  ensureCapacity(capacity: number): void {
    if (capacity <= this.cap) return;
    // Own ids grow by doubling here; page ids are grown by the caller, which passes the new page capacity.
    const cap = this.ownIds ? Math.max(capacity, this.cap * 2) : capacity;
    if (this.lkCol !== null) {
      this.lkCol = growU16(this.lkCol, cap);
      this.lkCol.fill(LK_DEFAULT, this.cap);
    }
    if (this.locCol !== null) this.locCol = growU32(this.locCol, cap, NONE);
    if (this.ref !== null) this.ref = growU32(this.ref, cap, 0);
    if (this.hash !== null) this.hash = growU32(this.hash, cap, 0);
    this.cap = cap;
    this.store.ensureCapacity(cap);
  }

  /** A fresh content id (dedup mode). */
  alloc(): number {
    assert(this.ownIds && this.locCol !== null, 'contents: ids are page ids in this mode');
    if (this.freeHead !== NONE) {
      const id = this.freeHead;
      this.freeHead = this.locCol[id];
      this.locCol[id] = NONE;
      return id;
    }
    if (this.high === this.cap) this.ensureCapacity(this.high * 2);
    return this.high++;
  }

  free(id: number): void {
    assert(this.ownIds && this.locCol !== null, 'contents: ids are page ids in this mode');
    assert(this.ref !== null && this.ref[id] === 0, 'contents: freeing a referenced content');
    this.locCol[id] = this.freeHead;
    this.freeHead = id;
  }
}
