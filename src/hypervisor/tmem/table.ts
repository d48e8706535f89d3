// An open-addressing hash table of u32 ids (linear probing, backward-shift
// deletion, no tombstones), used for tmem's object index (pool, oid[3]) ->
// objectId, its page index (objectId, index) -> pageId and the dedup index
// hash -> content id. Xen keeps objects in per-pool rb-trees and pages in
// per-object radix trees (xen/common/tmem.c: obj_find, pgp_lookup_in_obj);
// a flat table gives the same lookups without a node per entry.
//
// The table stores only ids; the key lives in the owner's typed arrays, so a
// lookup is a probe loop written by the owner:
//   for (let s = t.start(h); ; s = t.next(s)) { const id = t.at(s); if (id === NONE) miss; if (key(id) matches) hit; }
// `hashOf(id)` recomputes an entry's hash when the table grows or shifts.

import { beforeAllocating } from '../../lib/alloc-check.ts';
import { assert } from '../../lib/assert.ts';
import { NONE } from '../../lib/typed.ts';

/** Largest load factor, in tenths: grow before the table is 70% full. */
const LOAD_TENTHS_MAX = 7;

export class IdTable {
  /** The slots (ids or NONE); a power of two long. Owners may read it in their probe loops, never write it. */
  slots: Uint32Array;
  private mask: number;
  private entries = 0;

  constructor(
    private readonly hashOf: (id: number) => number,
    capacityLog2 = 4,
  ) {
    assert(capacityLog2 >= 2 && capacityLog2 <= 31, 'table capacity out of range');
    this.slots = new Uint32Array(1 << capacityLog2).fill(NONE);
    this.mask = this.slots.length - 1;
  }

  get count(): number {
    return this.entries;
  }

  get capacity(): number {
    return this.slots.length;
  }

  start(hash: number): number {
    return hash & this.mask;
  }

  next(slot: number): number {
    return (slot + 1) & this.mask;
  }

  at(slot: number): number {
    return this.slots[slot];
  }

  /** Inserts `id` (not already present) under `hash`. */
  insert(id: number, hash: number): void {
    assert(id !== NONE, 'table: inserting NONE');
    if ((this.entries + 1) * 10 > this.slots.length * LOAD_TENTHS_MAX) this.grow();
    let s = hash & this.mask;
    while (this.slots[s] !== NONE) s = (s + 1) & this.mask;
    this.slots[s] = id;
    this.entries++;
  }

  /**
   * Inserts `id` (not already present) at `slot`, the empty slot that ended
   * an unsuccessful probe for its key with no change to the table since;
   * falls back to a plain insert when the table must grow first.
   */
  insertAt(slot: number, id: number, hash: number): void {
    if ((this.entries + 1) * 10 > this.slots.length * LOAD_TENTHS_MAX || this.slots[slot] !== NONE) {
      this.insert(id, hash);
      return;
    }
    assert(id !== NONE, 'table: inserting NONE');
    this.slots[slot] = id;
    this.entries++;
  }

  /** Removes `id`, which must be present under `hash`. */
  remove(id: number, hash: number): void {
    let s = hash & this.mask;
    for (let probes = 0; this.slots[s] !== id; probes++) {
      assert(this.slots[s] !== NONE && probes < this.slots.length, 'table: removing an absent id');
      s = (s + 1) & this.mask;
    }
    this.removeAt(s);
  }

  /** Backward-shift deletion: later entries of the run move up so no probe sequence breaks. */
  private removeAt(slot: number): void {
    assert(this.entries > 0, 'table: remove from an empty table');
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & this.mask;
      const id = this.slots[j];
      if (id === NONE) break;
      const home = this.hashOf(id) & this.mask;
      // The entry may fill the hole only if its home is not cyclically within (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      this.slots[hole] = id;
      hole = j;
    }
    this.slots[hole] = NONE;
    this.entries--;
  }

  private grow(): void {
    const old = this.slots;
    assert(old.length <= 0x40000000, 'table: capacity limit');
    beforeAllocating(old.length * 2 * 4);
    this.slots = new Uint32Array(old.length * 2).fill(NONE);
    this.mask = this.slots.length - 1;
    for (let i = 0; i < old.length; i++) {
      const id = old[i];
      if (id === NONE) continue;
      let s = this.hashOf(id) & this.mask;
      while (this.slots[s] !== NONE) s = (s + 1) & this.mask;
      this.slots[s] = id;
    }
  }

  /** Whole-structure check: every id is reachable from its home slot; the count matches. */
  violations(name: string): string[] {
    const out: string[] = [];
    let seen = 0;
    for (let i = 0; i < this.slots.length; i++) {
      const id = this.slots[i];
      if (id === NONE) continue;
      seen++;
      let s = this.hashOf(id) & this.mask;
      let probes = 0;
      while (s !== i && this.slots[s] !== NONE && probes < this.slots.length) {
        s = (s + 1) & this.mask;
        probes++;
      }
      if (s !== i) out.push(`${name}: id ${id} at slot ${i} unreachable from its home`);
    }
    if (seen !== this.entries) out.push(`${name}: ${seen} entries != count ${this.entries}`);
    return out;
  }

  /** Every id in the table (checks only). */
  *ids(): IterableIterator<number> {
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== NONE) yield this.slots[i];
  }
}
