// The page allocator: hands free pages to domains and to the hypervisor under
// the claim rule, and asks tmem to relinquish ephemeral frames when the free
// list cannot satisfy a request (xen/common/page_alloc.c: alloc_heap_pages,
// tmem_relinquish_pages). tmem plugs in through `setReclaimer`.

import { assert, assertCount } from '../lib/assert.ts';
import type { Accounting } from './accounting.ts';
import { pagesRoom, type Domain } from './domain.ts';

/**
 * Asked to turn up to `pagesWanted` freeable frames back into free pages,
 * oldest ephemeral data first; returns how many frames it freed. It must not
 * allocate.
 */
export type Reclaimer = (pagesWanted: number) => number;

const noReclaim: Reclaimer = () => 0;

export class Allocator {
  private reclaimer: Reclaimer = noReclaim;

  constructor(private readonly acct: Accounting) {}

  setReclaimer(reclaimer: Reclaimer | null): void {
    this.reclaimer = reclaimer ?? noReclaim;
  }

  /**
   * Gives domain `d` up to `pagesWanted` pages, as Xen's page-by-page populate
   * would: it stops at max_pages, at the claim rule, or when neither the free
   * list nor tmem has a page left. Returns the pages given.
   */
  allocToDomain(d: Domain, pagesWanted: number): number {
    assertCount(pagesWanted, 'pagesWanted');
    const pages = this.acct.pagesAllocatable(d, Math.min(pagesWanted, pagesRoom(d)));
    const got = this.ensureFree(pages);
    this.acct.assignToDomain(d, got, d.homeNode);
    return got;
  }

  /** Domain `d` returns `pages` of its RAM to the free list. */
  freeFromDomain(d: Domain, pages: number): void {
    this.acct.releaseFromDomain(d, pages);
  }

  /**
   * Makes sure `pages` are on the free list, evicting tmem ephemeral data if
   * needed; returns how many of them are (fewer only if tmem could not give
   * enough).
   */
  ensureFree(pages: number): number {
    if (this.acct.pagesFree < pages) {
      const wanted = pages - this.acct.pagesFree;
      const freed = this.reclaimer(wanted);
      assert(freed >= 0, 'reclaimer returned a negative count');
    }
    return Math.min(pages, this.acct.pagesFree);
  }
}
