// The guest page cache: file pages keyed by page number, on two LRU
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
// Layout (DESIGN.md, "Data structures and scale"): the file pages the guest can cache
// are numbered 0..pages-1 (file x pages per file + index), and each has an
// entry of two u32, as Linux's mapping xarray holds either the page or the
// shadow entry it left (mm/workingset.c): the slot caching it (NONE when not
// cached) and its shadow (0: none). A lookup is one load, a miss finds its
// shadow on the same cache line. Per slot a record of four u32 — the page
// number, the flags and the LRU prev/next (LinkedLists over the record; free
// slots are chained through `next`), one cache line for a hit's flag test and
// its list moves. That is 8 bytes a page of the file set and 16 bytes a slot;
// slots grow by doubling; nothing is allocated per page.

import { beforeAllocating } from '../lib/alloc-check.ts';
import { assert } from '../lib/assert.ts';
import { LinkedLists, NONE } from '../lib/lists.ts';
import { growU32 } from '../lib/typed.ts';

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
/** Words per slot record: page number, flags, then the LRU links. */
const REC = 4;
const REC_FLAGS = 1;
const REC_LINKS = 2;

/** Bytes of metadata per page-cache slot (its record). */
export const PAGECACHE_BYTES_PER_SLOT = 4 * REC;
/** Bytes of metadata per page of the file set, cached or not (its entry: slot and shadow). */
export const PAGECACHE_BYTES_PER_PAGE = 8;
/** Most pages a page cache numbers (its entries are one typed array of two words a page). */
export const MAX_PAGES = 2 ** 31 - 1;

export class PageCache {
  /** Page p's entry at 2p: the slot caching it or NONE, then its shadow (0: none). */
  private readonly entry: Uint32Array;
  /** Slot s's record at REC * s: page number, flags, LRU prev, LRU next. */
  private rec: Uint32Array;
  /** Head of the chain of free slots (linked through the lists' next links), NONE when full. */
  private freeHead = NONE;
  private freeCount = 0;
  readonly lists: LinkedLists;
  private dirtyPages = 0;

  /** A cache for pages numbered 0..pages-1. */
  constructor(
    readonly pages: number,
    initialSlots = 1024,
  ) {
    assert(Number.isInteger(pages) && pages >= 0 && pages <= MAX_PAGES, 'page cache: page count must be a whole number of at most 2^31-1');
    assert(initialSlots > 0, 'page cache needs at least one slot');
    beforeAllocating(2 * 4 * pages);
    this.entry = new Uint32Array(2 * pages);
    for (let p = 0; p < pages; p++) this.entry[2 * p] = NONE;
    this.rec = freeRecords(new Uint32Array(0), initialSlots);
    this.lists = new LinkedLists(initialSlots, 2, REC, REC_LINKS, this.rec);
    this.chainFree(0, initialSlots);
  }

  /** Slots the records have room for. */
  get capacity(): number {
    return this.rec.length / REC;
  }

  /** The page number slot `s` caches. */
  pageOf(s: number): number {
    return this.rec[REC * s];
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
    return this.entry.byteLength + this.rec.byteLength;
  }

  /** The slot caching page `p`, or NONE. */
  lookup(p: number): number {
    assert(p >= 0 && p < this.pages, 'page cache: page number out of range');
    return this.entry[2 * p];
  }

  /** Page `p`'s shadow: the value its last eviction left (0: none, or cached). */
  shadowOf(p: number): number {
    return this.entry[2 * p + 1];
  }

  /** Reads the entry and the record a lookup and a hit on page `p` would read (so their cache lines are loaded); returns a word of them. */
  peek(p: number): number {
    const s = this.entry[2 * p];
    return s === NONE ? 0 : this.rec[REC * s + REC_FLAGS];
  }

  /**
   * Adds page `p`, which is not cached, in place of its shadow: at the head
   * of the inactive list, or of the active list when `active` (a refault
   * within the working set: workingset_refault's SetPageActive); referenced
   * when `referenced` (a read marks the page accessed; a buffered write does
   * not); mapped to disk when `mapped` (PG_mappedtodisk: set by the read
   * paths, do_mpage_readpage and block_read_full_page, never by ext4's write
   * path).
   */
  insert(p: number, fs: number, dirty: boolean, active = false, referenced = true, mapped = true): number {
    assert(fs >= 0 && fs < MAX_FILESYSTEMS, 'filesystem number out of range');
    assert(p >= 0 && p < this.pages && this.entry[2 * p] === NONE, 'page cache: duplicate insert');
    if (this.freeHead === NONE) this.grow();
    const s = this.freeHead;
    this.freeHead = this.lists.nextOf(s);
    this.lists.setNext(s, NONE);
    this.freeCount--;
    this.rec[REC * s] = p;
    this.rec[REC * s + REC_FLAGS] =
      F_USED | (referenced ? F_REFERENCED : 0) | (active ? F_ACTIVE : 0) | (dirty ? F_DIRTY : 0) | (mapped ? F_MAPPED : 0) | (fs << FS_SHIFT);
    if (dirty) this.dirtyPages++;
    this.entry[2 * p] = s;
    this.entry[2 * p + 1] = 0;
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
    const at = REC * s + REC_FLAGS;
    const f = this.rec[at];
    assert((f & F_USED) !== 0, 'touch of a free page-cache slot');
    if ((f & (F_ACTIVE | F_REFERENCED)) === F_REFERENCED) {
      this.lists.moveToHead(LIST_INACTIVE, LIST_ACTIVE, s);
      this.rec[at] = (f | F_ACTIVE) & ~F_REFERENCED;
      return true;
    }
    if ((f & F_REFERENCED) === 0) this.rec[at] = f | F_REFERENCED;
    return false;
  }

  private flagsOf(s: number): number {
    return this.rec[REC * s + REC_FLAGS];
  }

  /** PG_referenced of slot `s`. */
  isReferenced(s: number): boolean {
    return (this.flagsOf(s) & F_REFERENCED) !== 0;
  }

  /** Moves the active tail to the inactive head, PG_referenced kept (shrink_active_list); false if the active list is empty. */
  deactivateOne(): boolean {
    const s = this.lists.tail(LIST_ACTIVE);
    if (s === NONE) return false;
    this.lists.moveToHead(LIST_ACTIVE, LIST_INACTIVE, s);
    this.rec[REC * s + REC_FLAGS] &= ~F_ACTIVE;
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
    return (this.flagsOf(s) & F_DIRTY) !== 0;
  }

  /** PG_mappedtodisk of slot `s`: the page came in through a read (readpage), so eviction may put it to cleancache. */
  isMapped(s: number): boolean {
    return (this.flagsOf(s) & F_MAPPED) !== 0;
  }

  fsOf(s: number): number {
    return this.flagsOf(s) >>> FS_SHIFT;
  }

  setDirty(s: number, dirty: boolean): void {
    const at = REC * s + REC_FLAGS;
    const was = (this.rec[at] & F_DIRTY) !== 0;
    if (was === dirty) return;
    if (dirty) {
      this.rec[at] |= F_DIRTY;
      this.dirtyPages++;
    } else {
      this.rec[at] &= ~F_DIRTY;
      assert(this.dirtyPages > 0, 'dirty page count underflow');
      this.dirtyPages--;
    }
  }

  /** Removes slot `s` from its list and frees it; its page's entry keeps `shadow` (0: none). */
  remove(s: number, shadow = 0): void {
    const f = this.flagsOf(s);
    assert((f & F_USED) !== 0, 'remove of a free page-cache slot');
    this.lists.remove((f & F_ACTIVE) !== 0 ? LIST_ACTIVE : LIST_INACTIVE, s);
    if ((f & F_DIRTY) !== 0) this.dirtyPages--;
    const p = this.rec[REC * s];
    this.entry[2 * p] = NONE;
    this.entry[2 * p + 1] = shadow >>> 0;
    this.rec[REC * s] = NONE;
    this.rec[REC * s + REC_FLAGS] = 0;
    this.lists.setNext(s, this.freeHead);
    this.freeHead = s;
    this.freeCount++;
  }

  /** Drops the shadows of pages [from, to) (their file went: truncate, unlink, unmount). */
  clearShadows(from: number, to: number): void {
    assert(from >= 0 && from <= to && to <= this.pages, 'page cache: shadow range out of range');
    for (let p = from; p < to; p++) this.entry[2 * p + 1] = 0;
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
    for (let s = 0; s < this.capacity; s++) if ((this.flagsOf(s) & F_USED) !== 0) fn(s);
  }

  private grow(): void {
    const old = this.capacity;
    this.rec = freeRecords(this.rec, old * 2);
    this.lists.attach(this.rec);
    this.chainFree(old, old * 2);
  }

  /** What violations() walks: every slot (three walks) and every page's entry. */
  checkCost(): number {
    return 3 * this.capacity + this.pages;
  }

  /** Whole-structure check: lists, flags, entries, shadows, free chain, counts. */
  violations(): string[] {
    const out: string[] = [];
    let dirty = 0;
    out.push(
      ...this.lists.check(LIST_INACTIVE, 'page cache inactive list', (s) =>
        (this.flagsOf(s) & (F_USED | F_ACTIVE)) === F_USED ? null : `slot ${s} flags ${this.flagsOf(s)} on the inactive list`,
      ),
      ...this.lists.check(LIST_ACTIVE, 'page cache active list', (s) =>
        (this.flagsOf(s) & (F_USED | F_ACTIVE)) === (F_USED | F_ACTIVE) ? null : `slot ${s} flags ${this.flagsOf(s)} on the active list`,
      ),
    );
    let used = 0;
    for (let s = 0; s < this.capacity; s++) {
      if ((this.flagsOf(s) & F_USED) === 0) continue;
      used++;
      if ((this.flagsOf(s) & F_DIRTY) !== 0) dirty++;
      const p = this.pageOf(s);
      if (p >= this.pages || this.entry[2 * p] !== s) out.push(`page cache: slot ${s} (page ${p}) not found through its entry`);
      // A cached page has no shadow (the page took its place).
      else if (this.entry[2 * p + 1] !== 0) out.push(`page cache: page ${p} is cached and has a shadow`);
    }
    if (used !== this.size) out.push(`page cache: ${used} slots in use, lists hold ${this.size}`);
    if (used + this.freeCount !== this.capacity) out.push(`page cache: ${used} used + ${this.freeCount} free != capacity ${this.capacity}`);
    let walked = 0;
    for (let s = this.freeHead; s !== NONE && walked <= this.capacity; s = this.lists.nextOf(s)) {
      walked++;
      if (this.flagsOf(s) !== 0) out.push(`page cache: free slot ${s} has flags`);
    }
    if (walked !== this.freeCount) out.push(`page cache: free chain holds ${walked} slots, counted ${this.freeCount}`);
    let entries = 0;
    for (let p = 0; p < this.pages; p++) if (this.entry[2 * p] !== NONE) entries++;
    if (entries !== used) out.push(`page cache: ${entries} pages have a slot, ${used} slots in use`);
    if (dirty !== this.dirtyPages) out.push(`page cache: dirty count ${this.dirtyPages}, found ${dirty}`);
    return out;
  }
}

/** `rec` grown to `slots` records, the new ones free: links NONE, flags 0 (not yet chained). */
function freeRecords(rec: Uint32Array, slots: number): Uint32Array {
  const old = rec.length / REC;
  const out = growU32(rec, REC * slots, NONE);
  for (let s = old; s < slots; s++) out[REC * s + REC_FLAGS] = 0;
  return out;
}

/** Pages of 4 KiB in a GiB. */
const PAGES_PER_GIB = 1 << 18;

/** v5.2's inactive_ratio for `pages` file pages without refaults: int_sqrt(10 x GiB) from 1 GiB up, else 1. */
export function inactiveRatio(pages: number): number {
  const gb = Math.floor(pages / PAGES_PER_GIB);
  return gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
}
