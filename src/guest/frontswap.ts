// The frontswap frontend (mm/frontswap.c) with the Xen tmem backend
// (drivers/xen/tmem.c, v5.2): one persistent pool for all swap devices, created
// at swapon; a slot (type, offset) is the tmem handle oid [(type << 4) |
// (offset & 15), 0, 0], index offset >> 4 (SWIZ_BITS = 4: each device spread
// over 16 objects). A shadow bitmap per device says which slots tmem holds.
// A store that tmem refuses (ENOMEM at maxmem, EFROZEN, ...) makes the caller
// write the page to the swap disk. Loads are non-exclusive (the Xen case): the
// bit stays set until the slot is freed, which invalidates the tmem copy.

import { assert } from '../lib/assert.ts';
import type { Oid, SyntheticPage, TmemOps } from '../hypervisor/tmem/api.ts';

export const SWIZ_BITS = 4;
export const SWIZ_MASK = (1 << SWIZ_BITS) - 1;

/** oswiz: the tmem object id of swap slot (type, offset). */
export function frontswapOid(type: number, offset: number): Oid {
  return [type * (1 << SWIZ_BITS) + (offset & SWIZ_MASK), 0, 0];
}

/** iswiz: the tmem page index of swap slot offset. */
export function frontswapIndex(offset: number): number {
  return Math.floor(offset / (1 << SWIZ_BITS));
}

export interface FrontswapStats {
  stores: number;
  /** Stores tmem refused (failed_stores): the page went to the swap disk. */
  rejects: number;
  loads: number;
  /** Loads tmem missed although the bitmap had the bit (should never happen). */
  failedLoads: number;
  invalidates: number;
}

export class Frontswap {
  /** The persistent pool, -1 when none (no tmem, or new_pool failed). */
  poolId = -1;
  private readonly bitmap: Uint32Array;
  private pagesHeld = 0;
  readonly stats: FrontswapStats = { stores: 0, rejects: 0, loads: 0, failedLoads: 0, invalidates: 0 };
  lastErrno = '';
  /** The handle's oid, refilled per call (tmem reads it and keeps nothing): no array allocated per hypercall. */
  private readonly oid: [number, number, number] = [0, 0, 0];

  constructor(
    private readonly tmem: TmemOps | null,
    private readonly domid: number,
    private readonly type: number,
    slots: number,
  ) {
    this.bitmap = new Uint32Array(Math.ceil((slots + 1) / 32));
  }

  /** tmem_frontswap_init at swapon: creates the pool once. */
  init(): void {
    if (this.tmem === null || this.poolId >= 0) return;
    const r = this.tmem.newPool(this.domid, { persistent: true, shared: false });
    if (r.ok) this.poolId = r.rc;
    else this.lastErrno = r.errno;
  }

  get enabled(): boolean {
    return this.poolId >= 0;
  }

  /** frontswap_curr_pages(). */
  get pages(): number {
    return this.pagesHeld;
  }

  test(offset: number): boolean {
    return (this.bitmap[offset >>> 5] & (1 << (offset & 31))) !== 0;
  }

  /** __frontswap_store for a fresh slot; true when tmem took the page. */
  store(offset: number, content: SyntheticPage): boolean {
    if (this.tmem === null) return false;
    if (this.poolId < 0) {
      // frontswap_store still asks the backend, which refuses without a pool: a failed store.
      this.stats.rejects++;
      this.lastErrno = 'no pool';
      return false;
    }
    assert(!this.test(offset), 'frontswap store to a slot already in tmem (slots are fresh in this model)');
    const r = this.tmem.put(this.domid, this.poolId, this.oidOf(offset), frontswapIndex(offset), content);
    if (r.ok && r.rc === 1) {
      this.bitmap[offset >>> 5] |= 1 << (offset & 31);
      this.pagesHeld++;
      this.stats.stores++;
      return true;
    }
    this.stats.rejects++;
    this.lastErrno = r.ok ? `rc ${r.rc}` : r.errno;
    return false;
  }

  /** __frontswap_load: true when the page came from tmem into `out`. */
  load(offset: number, out: SyntheticPage): boolean {
    if (this.tmem === null || !this.test(offset)) return false;
    const r = this.tmem.get(this.domid, this.poolId, this.oidOf(offset), frontswapIndex(offset), out);
    if (r.ok && r.rc === 1) {
      this.stats.loads++;
      return true;
    }
    this.stats.failedLoads++;
    return false;
  }

  /** __frontswap_invalidate_page, on swap slot free. */
  invalidatePage(offset: number): void {
    if (this.tmem === null || !this.test(offset)) return;
    this.tmem.flushPage(this.domid, this.poolId, this.oidOf(offset), frontswapIndex(offset));
    this.bitmap[offset >>> 5] &= ~(1 << (offset & 31));
    assert(this.pagesHeld > 0, 'frontswap page count underflow');
    this.pagesHeld--;
    this.stats.invalidates++;
  }

  /** frontswapOid(type, offset) in the reused array. */
  private oidOf(offset: number): Oid {
    this.oid[0] = this.type * (1 << SWIZ_BITS) + (offset & SWIZ_MASK);
    return this.oid;
  }

  /** __frontswap_invalidate_area (swapoff): flushes all 16 objects of the device. */
  invalidateArea(): void {
    if (this.tmem === null || this.poolId < 0) return;
    for (let ind = SWIZ_MASK; ind >= 0; ind--) this.tmem.flushObject(this.domid, this.poolId, frontswapOid(this.type, ind));
    this.bitmap.fill(0);
    this.pagesHeld = 0;
  }

  /** The lowest slot offset >= `from` whose bit is set, or -1 (the invariant checks walk the slots with it). */
  nextSet(from: number): number {
    for (let w = from >>> 5; w < this.bitmap.length; w++) {
      let bits = this.bitmap[w];
      if (w === from >>> 5) bits &= ~((1 << (from & 31)) - 1) | 0;
      if (bits === 0) continue;
      return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }

  /** Bits set in the shadow bitmap (checked against the page count). */
  popcount(): number {
    let n = 0;
    for (let w = 0; w < this.bitmap.length; w++) {
      let v = this.bitmap[w];
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    return n;
  }
}
