// The balloon driver (drivers/xen/balloon.c, ~v3.1, the selfballoon era): a
// target in pages, a worker that moves the guest's RAM toward it in batches of
// at most 512 pages (one frame_list page of 64-bit frame numbers), and the
// back-off of update_schedule: a batch that gains nothing (populate refused,
// or no guest page could be allocated for inflation) doubles schedule_delay
// from 1 s up to 32 s; any successful pass resets it to 1 s. As upstream, the
// first retry therefore waits 2 s, then 4, 8, 16, 32, 32, ...

import { assert, assertCount } from '../lib/assert.ts';

export const NS_PER_S = 1_000_000_000;

export interface BalloonParams {
  /** Pages per hypercall batch (ARRAY_SIZE(frame_list) = 512 on 64-bit). */
  batchPages: number;
  /** schedule_delay starts at this (seconds). */
  scheduleDelayMinS: number;
  /** max_schedule_delay (seconds). */
  scheduleDelayMaxS: number;
}

export const DEFAULT_BALLOON: BalloonParams = { batchPages: 512, scheduleDelayMinS: 1, scheduleDelayMaxS: 32 };

/** What the worker needs from the kernel: give pages back, get pages. Each returns pages done. */
export interface BalloonHost {
  /** totalram / current_pages. */
  currentPages(): number;
  /** Pages the guest has struct pages for (max_pfn): the ceiling of deflation. */
  maxPages(): number;
  /** decrease_reservation of up to `pages` (allocates guest pages first, may reclaim). */
  inflate(pages: number): number;
  /** increase_reservation of up to `pages` (XENMEM_populate_physmap). */
  deflate(pages: number): number;
}

export interface BalloonStats {
  inflatedPages: number;
  deflatedPages: number;
  failedPasses: number;
}

export class Balloon {
  targetPages: number;
  scheduleDelayS: number;
  retryCount = 1;
  readonly stats: BalloonStats = { inflatedPages: 0, deflatedPages: 0, failedPasses: 0 };

  constructor(
    initialPages: number,
    readonly params: BalloonParams = DEFAULT_BALLOON,
  ) {
    assertCount(initialPages, 'initial pages');
    assert(params.batchPages > 0, 'balloon batch must be positive');
    this.targetPages = initialPages;
    this.scheduleDelayS = params.scheduleDelayMinS;
  }

  setTarget(pages: number): void {
    assertCount(pages, 'balloon target');
    this.targetPages = pages;
  }

  /** current_target(): the driver cannot grow past the pages it has struct pages for. */
  currentTarget(host: BalloonHost): number {
    return Math.min(this.targetPages, host.maxPages());
  }

  /**
   * balloon_process: batches until the target is reached (null) or a batch
   * fails (returns the back-off delay in ns before the next attempt).
   */
  work(host: BalloonHost): number | null {
    // Each successful batch moves at least one page, so this many cover any credit.
    const bound = host.maxPages() + 2;
    for (let pass = 0; pass < bound; pass++) {
      const credit = this.currentTarget(host) - host.currentPages();
      let ok = true;
      if (credit > 0) {
        const want = Math.min(credit, this.params.batchPages);
        const got = host.deflate(want);
        this.stats.deflatedPages += got;
        ok = got > 0;
      } else if (credit < 0) {
        const want = Math.min(-credit, this.params.batchPages);
        const got = host.inflate(want);
        this.stats.inflatedPages += got;
        ok = got === want;
      }
      if (!ok) {
        this.stats.failedPasses++;
        this.retryCount++;
        this.scheduleDelayS = Math.min(this.scheduleDelayS * 2, this.params.scheduleDelayMaxS);
        return this.scheduleDelayS * NS_PER_S;
      }
      this.scheduleDelayS = this.params.scheduleDelayMinS;
      this.retryCount = 1;
      if (credit === 0) return null;
    }
    assert(false, 'balloon worker did not converge');
  }
}
