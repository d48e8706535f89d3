// The guest's swap device: `slots` page-sized slots, each free or holding one
// swapped-out anonymous page (mm/swapfile.c, simplified to one device, type 0,
// and no swap cache: a slot is freed as soon as its page is swapped back in).
// Slot 0 is the swap header in Linux and never used; we keep that so offsets
// match what a real device would give the frontswap swizzle. Slots are handed
// out last freed first, else the lowest never used (upstream allocates next-fit
// in clusters and per-CPU batches: only which tmem object and index a page
// lands in differs). After swapoff the device is off: no slot is free. The slot
// tables grow with the slots used (doubling), not with the device's size, so
// ten thousand guests with a large swap device each cost little until they
// swap (frontswap's shadow bitmap, one bit a slot, is still made at swapon).

import { assert } from '../lib/assert.ts';
import { NONE } from '../lib/lists.ts';
import { growU32 } from '../lib/typed.ts';

export class SwapDevice {
  /** The anonymous page held by each slot up to `highest`, NONE when free (read it through `ownerOf` beyond that). */
  owner: Uint32Array;
  /** Freed slots, the last freed on top (all ≤ `highest`). */
  private freeStack: Uint32Array;
  private freeTop = 0;
  /** The highest slot ever handed out; slots above it are free and were never used. */
  private high = 0;
  /** Linux swap type (index in swap_info[]); one device here. */
  readonly type = 0;
  /** Swapped on (boot) until swapoff; no swapon again in this model. */
  private on = true;

  /** `pages` usable slots (the device has one more: the header). */
  constructor(readonly pages: number) {
    const initial = Math.min(pages, 1023) + 1;
    this.owner = new Uint32Array(initial).fill(NONE);
    this.freeStack = new Uint32Array(initial);
  }

  get used(): number {
    return this.high - this.freeTop;
  }

  /** Slots that can take a page: none once the device is off. */
  get free(): number {
    return this.on ? this.pages - this.used : 0;
  }

  /** swapoff: the device leaves the active list (every slot must be free). */
  turnOff(): void {
    assert(this.used === 0, 'swapoff with slots in use');
    this.on = false;
  }

  /** The page in slot `off`, NONE when free. */
  ownerOf(off: number): number {
    return off <= this.high ? this.owner[off] : NONE;
  }

  /** A free slot offset for `anonPage`, or NONE when the device is full. */
  alloc(anonPage: number): number {
    if (!this.on) return NONE;
    let off: number;
    if (this.freeTop > 0) {
      off = this.freeStack[--this.freeTop];
    } else {
      if (this.high === this.pages) return NONE;
      off = ++this.high;
      if (off >= this.owner.length) {
        const cap = Math.min(this.pages + 1, this.owner.length * 2);
        this.owner = growU32(this.owner, cap, NONE);
        this.freeStack = growU32(this.freeStack, cap, 0);
      }
    }
    assert(this.owner[off] === NONE, 'swap: allocated a slot in use');
    this.owner[off] = anonPage;
    return off;
  }

  release(off: number): void {
    assert(off >= 1 && off <= this.high && this.owner[off] !== NONE, 'swap: release of a free slot');
    this.owner[off] = NONE;
    this.freeStack[this.freeTop++] = off;
  }

  /** What violations() walks: the slots handed out so far. */
  checkCost(): number {
    return this.high;
  }

  violations(): string[] {
    const out: string[] = [];
    let used = 0;
    for (let off = 1; off <= this.high; off++) if (this.owner[off] !== NONE) used++;
    if (this.owner[0] !== NONE) out.push('swap: header slot 0 in use');
    if (used !== this.used) out.push(`swap: ${used} slots owned, accounting says ${this.used}`);
    return out;
  }
}
