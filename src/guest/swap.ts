// The guest's swap device: `slots` page-sized slots, each free or holding one
// swapped-out anonymous page (mm/swapfile.c, simplified to one device, type 0,
// and no swap cache: a slot is freed as soon as its page is swapped back in).
// Slot 0 is the swap header in Linux and never used; we keep that so offsets
// match what a real device would give the frontswap swizzle. Free slots are a
// stack handed out lowest first.

import { assert } from '../lib/assert.ts';
import { NONE } from '../lib/lists.ts';

export class SwapDevice {
  /** The anonymous page held by each slot, NONE when free. */
  readonly owner: Uint32Array;
  private readonly freeStack: Uint32Array;
  private freeTop = 0;
  /** Linux swap type (index in swap_info[]); one device here. */
  readonly type = 0;

  /** `pages` usable slots (the device has one more: the header). */
  constructor(readonly pages: number) {
    this.owner = new Uint32Array(pages + 1).fill(NONE);
    this.freeStack = new Uint32Array(pages);
    for (let off = pages; off >= 1; off--) this.freeStack[this.freeTop++] = off;
  }

  get used(): number {
    return this.pages - this.freeTop;
  }

  get free(): number {
    return this.freeTop;
  }

  /** A free slot offset for `anonPage`, or NONE when the device is full. */
  alloc(anonPage: number): number {
    if (this.freeTop === 0) return NONE;
    const off = this.freeStack[--this.freeTop];
    assert(this.owner[off] === NONE, 'swap: allocated a slot in use');
    this.owner[off] = anonPage;
    return off;
  }

  release(off: number): void {
    assert(off >= 1 && off <= this.pages && this.owner[off] !== NONE, 'swap: release of a free slot');
    this.owner[off] = NONE;
    this.freeStack[this.freeTop++] = off;
  }

  violations(): string[] {
    const out: string[] = [];
    let used = 0;
    for (let off = 1; off <= this.pages; off++) if (this.owner[off] !== NONE) used++;
    if (this.owner[0] !== NONE) out.push('swap: header slot 0 in use');
    if (used !== this.used) out.push(`swap: ${used} slots owned, accounting says ${this.used}`);
    return out;
  }
}
