// Self-ballooning (drivers/xen/xen-selfballoon.c, v5.2) as pure functions of
// the guest's counters, plus the frontswap self-shrink state machine. Every
// quantity is in pages (4 KiB); MB constants go through MB2PAGES (x256).
// Integer divisions truncate as the kernel's unsigned long arithmetic does.

import { assert, assertCount } from '../lib/assert.ts';

/** MB2PAGES for 4 KiB pages. */
export const PAGES_PER_MB = 256;

export function mbToPages(mb: number): number {
  return mb * PAGES_PER_MB;
}

/** PAGES2MB, truncating. */
export function pagesToMb(pages: number): number {
  return Math.floor(pages / PAGES_PER_MB);
}

/**
 * The default selfballoon_reserved_mb: 10% of totalram at init, truncated to
 * whole MB (xen_selfballoon_init), returned in pages.
 */
export function defaultReservedPages(totalramPages: number, percent = 10): number {
  assertCount(totalramPages, 'totalram pages');
  return mbToPages(pagesToMb(Math.floor((totalramPages * percent) / 100)));
}

export interface SelfballoonParams {
  downHysteresis: number;
  upHysteresis: number;
  /** selfballoon_min_usable_mb in pages; 0 = the piecewise floor. */
  minUsablePages: number;
  /** selfballoon_reserved_mb in pages. */
  reservedPages: number;
  selfShrinking: boolean;
}

export interface SelfballoonState {
  /** totalram_pages(): what the guest holds now. */
  curPages: number;
  /** vm_memory_committed(). */
  committedPages: number;
  /** totalreserve_pages. */
  totalreservePages: number;
  /** frontswap_curr_pages(). */
  frontswapPages: number;
  /** max_pfn: the boot-time physmap size. */
  maxPfn: number;
}

export function selfballoonGoal(s: SelfballoonState, p: SelfballoonParams): number {
  let goal = s.committedPages + s.totalreservePages + p.reservedPages;
  if (p.selfShrinking) goal += s.frontswapPages;
  return goal;
}

/** The floor below which selfballooning never takes the guest. */
export function selfballoonFloor(maxPfn: number, totalreservePages: number, minUsablePages: number): number {
  if (minUsablePages !== 0) return totalreservePages + minUsablePages;
  const useful = maxPfn - totalreservePages;
  const mb16 = mbToPages(16);
  const mb40 = mbToPages(40);
  const mb64 = mbToPages(64);
  const mb99 = mbToPages(99);
  const mb512 = mbToPages(512);
  if (useful < mb16) return maxPfn;
  if (useful < mb64) return totalreservePages + mb16 + Math.floor((useful - mb16) / 2);
  if (useful < mb512) return totalreservePages + mb40 + Math.floor((useful - mb40) / 8);
  return totalreservePages + mb99 + Math.floor((useful - mb99) / 32);
}

/** The new totalram target of one selfballoon_process pass. */
export function selfballoonTarget(s: SelfballoonState, p: SelfballoonParams): number {
  assert(p.downHysteresis > 0 && p.upHysteresis > 0, 'hysteresis must be positive');
  const goal = selfballoonGoal(s, p);
  let tgt = s.curPages;
  if (s.curPages > goal) tgt = s.curPages - Math.floor((s.curPages - goal) / p.downHysteresis);
  else if (s.curPages < goal) tgt = s.curPages + Math.floor((goal - s.curPages) / p.upHysteresis);
  const floor = selfballoonFloor(s.maxPfn, s.totalreservePages, p.minUsablePages);
  return Math.max(tgt, floor);
}

/**
 * frontswap_selfshrink (v5.2): after `inertia` consecutive passes in which the
 * frontswap page count did not grow, pull 1/hysteresis of the pages back
 * (all of them at or below `hysteresis`), then wait `inertia` passes again.
 */
export class FrontswapSelfshrink {
  private curPages = 0;
  private counter = 0;

  constructor(
    public hysteresis = 20,
    public inertia = 3,
  ) {
    assert(hysteresis > 0 && inertia > 0, 'frontswap hysteresis and inertia must be positive');
  }

  /** Given frontswap_curr_pages(), the frontswap_shrink target, or null for no shrink. */
  tick(frontswapPages: number): number | null {
    const last = this.curPages;
    this.curPages = frontswapPages;
    if (frontswapPages === 0 || frontswapPages > last) {
      this.counter = this.inertia;
      return null;
    }
    if (this.counter !== 0) {
      this.counter--;
      if (this.counter !== 0) return null;
    }
    const tgt = frontswapPages <= this.hysteresis ? 0 : frontswapPages - Math.floor(frontswapPages / this.hysteresis);
    this.counter = this.inertia;
    return tgt;
  }
}
