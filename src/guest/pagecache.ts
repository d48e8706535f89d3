// The guest page cache: file pages keyed by (inode, page index), on two LRU
// lists as in Linux (mm/swap.c mark_page_accessed, mm/vmscan.c): a page enters
// the inactive list when read in, already referenced (the read marks it
// accessed); an access to an inactive referenced page moves it to the active
// head, any other access only sets PG_referenced — pages on the active list
// are not moved by accesses, so the active list is ordered by activation.
// Reclaim takes pages from the inactive tail, first refilling the inactive
// list from the active tail while the inactive list is low (v5.2's
// inactive_list_is_low: inactive x ratio < active, the ratio sqrt(10 x GiB of
// file pages) from 1 GiB up, else 1, and 0 while refaults are seen; the
// deactivated page keeps PG_referenced, so one more access brings it back).
// Sequential scans therefore wash through the inactive list without pushing
// the hot working set out. A page refaulting within the active list's size
// (workingset_refault, decided by the guest) enters on the active list.
//
// Layout (DESIGN.md "Data structures"): per slot a record of four u32 — the
// key (inode, index) and the LRU prev/next (LinkedLists over the record; free
// slots are chained through `next`), one cache line for a lookup and its list
// moves — and flags u8; and an
// open-addressing table (inode, index) -> slot with linear probing,
// backward-shift deletion and load <= 1/2 (2 u32 buckets per slot). That is
// 25 bytes per slot. Everything grows by doubling; nothing is allocated per
// page.

import { beforeAllocating } from '../lib/alloc-check.ts';
import { assert } from '../lib/assert.ts';
import { LinkedLists, NONE } from '../lib/lists.ts';

export const LIST_INACTIVE = 0;
export const LIST_ACTIVE = 1;

// flags: bit 0 in use, bit 1 active list, bit 2 dirty, bit 3 PG_referenced,
// bit 4 PG_mappedtodisk, bits 5..7 filesystem.
const F_USED = 1;
const F_ACTIVE = 2;
const F_DIRTY = 4;
const F_REFERENCED = 8;
const F_MAPPED = 16;
const FS_SHIFT = 5;
export const MAX_FILESYSTEMS = 8;
/** Words per slot record: inode, index, then the LRU links. */
const REC = 4;
const REC_LINKS = 2;

/** Bytes of metadata per page-cache slot (arrays only, table at its maximum load). */
export const PAGECACHE_BYTES_PER_SLOT = 4 + 4 + 4 + 4 + 1 + 2 * 4;

function hashKey(inode: number, index: number): number {
  let h = Math.imul(inode ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export class PageCache {
  /** Slot s's record at REC * s: inode, page index, LRU prev, LRU next. */
  private rec: Uint32Array;
  flags: Uint8Array;
  /** Head of the chain of free slots (linked through the lists' next links), NONE when full. */
  private freeHead = NONE;
  private freeCount = 0;
  private table: Uint32Array;
  private tableMask: number;
  readonly lists: LinkedLists;
  private dirtyPages = 0;

  constructor(initialSlots = 1024) {
    assert(initialSlots > 0, 'page cache needs at least one slot');
    this.rec = new Uint32Array(REC * initialSlots).fill(NONE);
    this.flags = new Uint8Array(initialSlots);
    this.lists = new LinkedLists(initialSlots, 2, REC, REC_LINKS, this.rec);
    this.chainFree(0, initialSlots);
    this.table = new Uint32Array(tableSizeFor(initialSlots)).fill(NONE);
    this.tableMask = this.table.length - 1;
  }

  get capacity(): number {
    return this.flags.length;
  }

  inodeOf(s: number): number {
    return this.rec[REC * s];
  }

  indexOf(s: number): number {
    return this.rec[REC * s + 1];
  }

  /** Pages cached (both lists). */
  get size(): number {
    return this.lists.count(LIST_INACTIVE) + this.lists.count(LIST_ACTIVE);
  }

  get inactivePages(): number {
    return this.lists.count(LIST_INACTIVE);
  }

  get activePages(): number {
    return this.lists.count(LIST_ACTIVE);
  }

  get dirty(): number {
    return this.dirtyPages;
  }

  /** Bytes held by the metadata arrays. */
  metadataBytes(): number {
    return (
      this.rec.byteLength +
      this.flags.byteLength +
      this.table.byteLength
    );
  }

  /** The slot caching (inode, index), or NONE. */
  lookup(inode: number, index: number): number {
    const table = this.table;
    const rec = this.rec;
    const mask = this.tableMask;
    let b = hashKey(inode, index) & mask;
    for (;;) {
      const s = table[b];
      if (s === NONE) return NONE;
      if (rec[REC * s] === inode && rec[REC * s + 1] === index) return s;
      b = (b + 1) & mask;
    }
  }

  /** Reads the bucket and record a lookup of (inode, index) would read first (so their cache lines are loaded); returns a word of them. */
  peek(inode: number, index: number): number {
    const s = this.table[hashKey(inode, index) & this.tableMask];
    return s === NONE ? 0 : this.rec[REC * s];
  }

  /**
   * Adds a page that is not cached: at the head of the inactive list, or of
   * the active list when `active` (a refault within the working set:
   * workingset_refault's SetPageActive); referenced when `referenced` (a read
   * marks the page accessed; a buffered write does not); mapped to disk when
   * `mapped` (PG_mappedtodisk: set by the read paths, do_mpage_readpage and
   * block_read_full_page, never by ext4's write path).
   */
  insert(inode: number, index: number, fs: number, dirty: boolean, active = false, referenced = true, mapped = true): number {
    assert(fs >= 0 && fs < MAX_FILESYSTEMS, 'filesystem number out of range');
    if (this.freeHead === NONE) this.grow();
    const s = this.freeHead;
    this.freeHead = this.lists.nextOf(s);
    this.lists.setNext(s, NONE);
    this.freeCount--;
    this.rec[REC * s] = inode;
    this.rec[REC * s + 1] = index;
    this.flags[s] = F_USED | (referenced ? F_REFERENCED : 0) | (active ? F_ACTIVE : 0) | (dirty ? F_DIRTY : 0) | (mapped ? F_MAPPED : 0) | (fs << FS_SHIFT);
    if (dirty) this.dirtyPages++;
    let b = hashKey(inode, index) & this.tableMask;
    while (this.table[b] !== NONE) {
      assert(!(this.rec[REC * this.table[b]] === inode && this.rec[REC * this.table[b] + 1] === index), 'page cache: duplicate insert');
      b = (b + 1) & this.tableMask;
    }
    this.table[b] = s;
    this.lists.pushHead(active ? LIST_ACTIVE : LIST_INACTIVE, s);
    return s;
  }

  /**
   * A hit (mark_page_accessed): an inactive referenced page is activated (to
   * the active head, PG_referenced cleared); any other page only gets
   * PG_referenced. True when the page was activated (the caller's
   * workingset_activation).
   */
  touch(s: number): boolean {
    const f = this.flags[s];
    assert((f & F_USED) !== 0, 'touch of a free page-cache slot');
    if ((f & (F_ACTIVE | F_REFERENCED)) === F_REFERENCED) {
      this.lists.moveToHead(LIST_INACTIVE, LIST_ACTIVE, s);
      this.flags[s] = (f | F_ACTIVE) & ~F_REFERENCED;
      return true;
    }
    if ((f & F_REFERENCED) === 0) this.flags[s] = f | F_REFERENCED;
    return false;
  }

  /** PG_referenced of slot `s`. */
  isReferenced(s: number): boolean {
    return (this.flags[s] & F_REFERENCED) !== 0;
  }

  /** Moves the active tail to the inactive head, PG_referenced kept (shrink_active_list); false if the active list is empty. */
  deactivateOne(): boolean {
    const s = this.lists.tail(LIST_ACTIVE);
    if (s === NONE) return false;
    this.lists.moveToHead(LIST_ACTIVE, LIST_INACTIVE, s);
    this.flags[s] &= ~F_ACTIVE;
    return true;
  }

  /**
   * inactive_list_is_low for the file lists (v5.2): inactive x ratio < active,
   * where the ratio is 0 while refaults are seen (`refaulting`: active list
   * protection off, to replace a stale working set quickly), else
   * int_sqrt(10 x GiB of file pages) from 1 GiB up, else 1.
   */
  inactiveIsLow(refaulting: boolean): boolean {
    const inactive = this.lists.count(LIST_INACTIVE);
    const active = this.lists.count(LIST_ACTIVE);
    return inactive * (refaulting ? 0 : inactiveRatio(inactive + active)) < active;
  }

  /** The slot reclaim should take next: the inactive tail after one deactivation if the inactive list is low, or NONE when empty. */
  reclaimCandidate(refaulting: boolean): number {
    if (this.inactiveIsLow(refaulting)) this.deactivateOne();
    return this.lists.tail(LIST_INACTIVE);
  }

  isDirty(s: number): boolean {
    return (this.flags[s] & F_DIRTY) !== 0;
  }

  /** PG_mappedtodisk of slot `s`: the page came in through a read (readpage), so eviction may put it to cleancache. */
  isMapped(s: number): boolean {
    return (this.flags[s] & F_MAPPED) !== 0;
  }

  fsOf(s: number): number {
    return this.flags[s] >>> FS_SHIFT;
  }

  setDirty(s: number, dirty: boolean): void {
    const was = (this.flags[s] & F_DIRTY) !== 0;
    if (was === dirty) return;
    if (dirty) {
      this.flags[s] |= F_DIRTY;
      this.dirtyPages++;
    } else {
      this.flags[s] &= ~F_DIRTY;
      assert(this.dirtyPages > 0, 'dirty page count underflow');
      this.dirtyPages--;
    }
  }

  /** Removes slot `s` from its list and the table and frees it. */
  remove(s: number): void {
    const f = this.flags[s];
    assert((f & F_USED) !== 0, 'remove of a free page-cache slot');
    this.lists.remove((f & F_ACTIVE) !== 0 ? LIST_ACTIVE : LIST_INACTIVE, s);
    if ((f & F_DIRTY) !== 0) this.dirtyPages--;
    this.tableDelete(s);
    this.flags[s] = 0;
    this.lists.setNext(s, this.freeHead);
    this.freeHead = s;
    this.freeCount++;
  }

  /** Chains slots [from, to) onto the free chain, lowest first out. */
  private chainFree(from: number, to: number): void {
    for (let s = to - 1; s >= from; s--) {
      this.lists.setNext(s, this.freeHead);
      this.freeHead = s;
      this.freeCount++;
    }
  }

  /** Calls `fn` for every cached slot (any order); `fn` must not insert. */
  forEachSlot(fn: (s: number) => void): void {
    for (let s = 0; s < this.flags.length; s++) if ((this.flags[s] & F_USED) !== 0) fn(s);
  }

  private tableDelete(s: number): void {
    const mask = this.tableMask;
    const rec = this.rec;
    let b = hashKey(rec[REC * s], rec[REC * s + 1]) & mask;
    while (this.table[b] !== s) {
      assert(this.table[b] !== NONE, 'page cache: slot missing from the table');
      b = (b + 1) & mask;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole.
    let hole = b;
    let j = (b + 1) & mask;
    for (;;) {
      const t = this.table[j];
      if (t === NONE) break;
      const home = hashKey(rec[REC * t], rec[REC * t + 1]) & mask;
      // t may move to `hole` if its home is not in (hole, j] cyclically.
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        this.table[hole] = t;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.table[hole] = NONE;
  }

  private grow(): void {
    const old = this.flags.length;
    const cap = old * 2;
    beforeAllocating(REC * 4 * cap + cap + 4 * tableSizeFor(cap));
    const rec = new Uint32Array(REC * cap).fill(NONE);
    rec.set(this.rec);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.rec = rec;
    this.flags = flags;
    this.lists.attach(rec);
    this.chainFree(old, cap);
    this.table = new Uint32Array(tableSizeFor(cap)).fill(NONE);
    this.tableMask = this.table.length - 1;
    for (let s = 0; s < old; s++) {
      let b = hashKey(rec[REC * s], rec[REC * s + 1]) & this.tableMask;
      while (this.table[b] !== NONE) b = (b + 1) & this.tableMask;
      this.table[b] = s;
    }
  }

  /** Whole-structure check: lists, flags, table, free stack, counts. */
  violations(): string[] {
    const out: string[] = [];
    let dirty = 0;
    out.push(
      ...this.lists.check(LIST_INACTIVE, 'page cache inactive list', (s) =>
        (this.flags[s] & (F_USED | F_ACTIVE)) === F_USED ? null : `slot ${s} flags ${this.flags[s]} on the inactive list`,
      ),
      ...this.lists.check(LIST_ACTIVE, 'page cache active list', (s) =>
        (this.flags[s] & (F_USED | F_ACTIVE)) === (F_USED | F_ACTIVE) ? null : `slot ${s} flags ${this.flags[s]} on the active list`,
      ),
    );
    let used = 0;
    for (let s = 0; s < this.flags.length; s++) {
      if ((this.flags[s] & F_USED) === 0) continue;
      used++;
      if ((this.flags[s] & F_DIRTY) !== 0) dirty++;
      if (this.lookup(this.inodeOf(s), this.indexOf(s)) !== s) {
        out.push(`page cache: slot ${s} (${this.inodeOf(s)}, ${this.indexOf(s)}) not found through the table`);
      }
    }
    if (used !== this.size) out.push(`page cache: ${used} slots in use, lists hold ${this.size}`);
    if (used + this.freeCount !== this.flags.length) out.push(`page cache: ${used} used + ${this.freeCount} free != capacity ${this.flags.length}`);
    let walked = 0;
    for (let s = this.freeHead; s !== NONE && walked <= this.flags.length; s = this.lists.nextOf(s)) {
      walked++;
      if (this.flags[s] !== 0) out.push(`page cache: free slot ${s} has flags`);
    }
    if (walked !== this.freeCount) out.push(`page cache: free chain holds ${walked} slots, counted ${this.freeCount}`);
    let inTable = 0;
    for (let b = 0; b < this.table.length; b++) if (this.table[b] !== NONE) inTable++;
    if (inTable !== used) out.push(`page cache: table holds ${inTable} slots, ${used} in use`);
    if (dirty !== this.dirtyPages) out.push(`page cache: dirty count ${this.dirtyPages}, found ${dirty}`);
    return out;
  }
}

/** Pages of 4 KiB in a GiB. */
const PAGES_PER_GIB = 1 << 18;

/** v5.2's inactive_ratio for `pages` file pages without refaults: int_sqrt(10 x GiB) from 1 GiB up, else 1. */
export function inactiveRatio(pages: number): number {
  const gb = Math.floor(pages / PAGES_PER_GIB);
  return gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
}

function tableSizeFor(slots: number): number {
  let n = 1;
  while (n < slots * 2) n *= 2;
  return n;
}
