// The page allocator: hands free pages to domains and to the hypervisor under
// the claim rule, and asks tmem to relinquish ephemeral frames when free
// memory is low (xen/common/page_alloc.c: alloc_heap_pages,
// tmem_relinquish_pages). tmem plugs in through `setReclaimer` and
// `setMidsizePages`.

import { assert, assertCount } from '../lib/assert.ts';
import type { Accounting } from './accounting.ts';
import { pagesRoom, type Domain } from './domain.ts';

/**
 * Asked to turn up to `pagesWanted` freeable frames back into free pages,
 * oldest ephemeral data first, on behalf of domain `requester` (the
 * hypercall's caller: Xen's `current`, whose tmem client decides the
 * eviction's fairness); returns how many frames it freed. It must not
 * allocate.
 */
export type Reclaimer = (pagesWanted: number, requester: number) => number;

const noReclaim: Reclaimer = () => 0;

/** Xen's MIDSIZE_ALLOC_FRAC: with tmem on, 1/128 of memory is kept for mid-size allocations. */
export const MIDSIZE_ALLOC_FRAC = 128;

export class Allocator {
  private reclaimer: Reclaimer = noReclaim;
  private midsize = 0;

  constructor(private readonly acct: Accounting) {}

  setReclaimer(reclaimer: Reclaimer | null): void {
    this.reclaimer = reclaimer ?? noReclaim;
  }

  /**
   * The mid-size zone (Xen's midsize_alloc_zone_pages, set while tmem is
   * enabled): free pages at or below it go to single-page requests only
   * through tmem while tmem holds freeable frames. 0 without tmem.
   */
  setMidsizePages(pages: number): void {
    assertCount(pages, 'midsize pages');
    this.midsize = pages;
  }

  get midsizePages(): number {
    return this.midsize;
  }

  /**
   * Gives domain `d` up to `pagesWanted` pages, as Xen's page-by-page populate
   * would: it stops at max_pages, at the claim rule, or when no page can be
   * had. Returns the pages given.
   *
   * Each order-0 page of alloc_heap_pages: while free pages are above the
   * mid-size zone, from the free list; at or below it, from tmem
   * (tmem_relinquish_pages) as long as tmem holds freeable frames — and if
   * tmem gives up (ten evictions freed no frame) the page fails even though
   * free pages remain; once tmem holds nothing, from the free list down to
   * the last page. Computed in bulk: the reclaimer is asked once for what
   * the zone cannot give, and stops, as page-by-page calls would, when it
   * gives up or runs out.
   */
  allocToDomain(d: Domain, pagesWanted: number, requester: number): number {
    assertCount(pagesWanted, 'pagesWanted');
    const room = pagesRoom(d);
    const pages = this.acct.pagesAllocatable(d, Math.min(pagesWanted, room));
    // Node claims (claim sets) whose node's free pages are short: tmem gives those frames back first
    // (freeableToFree serves nodes short of their claims first), so the pages come from the claimed node.
    const short = Math.min(pages, this.acct.nodeClaimShortfall(d));
    if (short > 0 && this.acct.pagesFreeable > 0) {
      const freed = this.reclaimer(short, requester);
      assert(freed >= 0, 'reclaimer returned a negative count');
    }
    let got = Math.min(pages, Math.max(0, this.acct.pagesFree - this.midsize));
    let rest = pages - got;
    if (rest > 0 && this.acct.pagesFreeable > 0) {
      const freed = this.reclaimer(rest, requester);
      assert(freed >= 0, 'reclaimer returned a negative count');
      const used = Math.min(freed, rest);
      got += used;
      rest -= used;
      // tmem gave up with frames still freeable: this page, and the populate, fail.
      if (rest > 0 && this.acct.pagesFreeable > 0) rest = 0;
    }
    // tmem holds nothing (or is absent): the rest of the free list.
    if (rest > 0) got += Math.min(rest, this.acct.pagesFree - got);
    // With node claims (claim sets), only the free pages the domain may take on each node; free pages
    // that other domains' node claims keep are made up by tmem giving frames back, as page by page.
    let assignable = this.acct.pagesAssignable(d, got);
    // Bounded: each round frees at least one frame or stops.
    while (assignable < got && this.acct.pagesFreeable > 0) {
      const freed = this.reclaimer(got - assignable, requester);
      assert(freed >= 0, 'reclaimer returned a negative count');
      if (freed === 0) break;
      assignable = this.acct.pagesAssignable(d, got);
    }
    got = assignable;
    this.acct.assignToDomain(d, got, d.homeNode);
    if (got === room && pagesWanted > room) this.overMaxPage(d, requester);
    return got;
  }

  /**
   * The page past max_pages: Xen 4.12's alloc_domheap_pages allocates it
   * (alloc_heap_pages, claim rule first) before assign_pages refuses it over
   * max_pages and free_heap_pages gives it back. From the free list that
   * changes nothing; in the mid-size zone it comes from tmem, so one older
   * ephemeral page is evicted and its frame ends up free.
   */
  private overMaxPage(d: Domain, requester: number): void {
    if (this.acct.pagesFree > this.midsize || this.acct.pagesFreeable === 0) return;
    if (this.acct.pagesAllocatable(d, 1) < 1) return;
    const freed = this.reclaimer(1, requester);
    assert(freed >= 0, 'reclaimer returned a negative count');
  }

  /** Domain `d` returns `pages` of its RAM to the free list. */
  freeFromDomain(d: Domain, pages: number): void {
    this.acct.releaseFromDomain(d, pages);
  }
}
