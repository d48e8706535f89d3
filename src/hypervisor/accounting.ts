// Host memory accounting: the one owner of the host counters.
//
// Every page of the host is free, freeable (tmem ephemeral data) or owned (a
// domain's RAM, its tmem persistent frames, or the hypervisor's own pages):
// SEMANTICS.md §1, the seed's first paragraph. Capacity claims (§3) live here
// too, because Xen changes outstanding_claims under the same heap lock as the
// free count (xen/common/page_alloc.c: domain_adjust_tot_pages,
// domain_set_outstanding_pages, alloc_heap_pages).
//
// NUMA is modelled as per-node counts: a page is never placed individually,
// but every counter is kept per node and the node sums always equal the host
// counters. Pages are fungible within a node.

import { assert, assertCount } from '../lib/assert.ts';
import { fail, OK, type Result } from '../lib/result.ts';

/** What accounting knows about a domain: the counts Xen keeps in struct domain. */
export interface DomainAccount {
  readonly domid: number;
  /** tot_pages: every page the domain owns (RAM and tmem persistent frames). */
  pagesTot: number;
  /** max_pages: the toolstack's limit ("maxmem"). */
  pagesMax: number;
  /** outstanding_pages: the domain's claim. */
  pagesOutstanding: number;
  /** Owned pages per NUMA node; sums to pagesTot. */
  readonly pagesByNode: number[];
}

export interface NodeSnapshot {
  pagesFree: number;
  pagesFreeable: number;
  pagesOwned: number;
}

/** One consistent read of the host counters (XEN_SYSCTL_physinfo plus tmem's freeable). */
export interface HostSnapshot {
  pagesTotal: number;
  pagesFree: number;
  pagesFreeable: number;
  pagesOwned: number;
  pagesOutstanding: number;
  nodes: NodeSnapshot[];
}

export function newDomainAccount(domid: number, pagesMax: number, nodeCount: number): DomainAccount {
  return { domid, pagesTot: 0, pagesMax, pagesOutstanding: 0, pagesByNode: new Array<number>(nodeCount).fill(0) };
}

export class Accounting {
  readonly pagesTotal: number;
  readonly nodeCount: number;
  private readonly free: number[];
  private readonly freeable: number[];
  private readonly owned: number[];
  private pagesFreeSum = 0;
  private pagesFreeableSum = 0;
  private pagesOwnedSum = 0;
  private pagesOutstandingSum = 0;
  /** Pages owned by the hypervisor itself (Xen heap), not by any domain. */
  private pagesXen = 0;

  constructor(pagesTotal: number, nodeCount: number) {
    assertCount(pagesTotal, 'pagesTotal');
    assert(Number.isInteger(nodeCount) && nodeCount >= 1, 'at least one NUMA node');
    assert(nodeCount <= pagesTotal || pagesTotal === 0, 'no more nodes than pages');
    this.pagesTotal = pagesTotal;
    this.nodeCount = nodeCount;
    this.free = new Array<number>(nodeCount);
    this.freeable = new Array<number>(nodeCount).fill(0);
    this.owned = new Array<number>(nodeCount).fill(0);
    const base = Math.floor(pagesTotal / nodeCount);
    const extra = pagesTotal % nodeCount;
    for (let node = 0; node < nodeCount; node++) this.free[node] = base + (node < extra ? 1 : 0);
    this.pagesFreeSum = pagesTotal;
  }

  get pagesFree(): number {
    return this.pagesFreeSum;
  }
  get pagesFreeable(): number {
    return this.pagesFreeableSum;
  }
  get pagesOwned(): number {
    return this.pagesOwnedSum;
  }
  get pagesOutstanding(): number {
    return this.pagesOutstandingSum;
  }
  get pagesOwnedByXen(): number {
    return this.pagesXen;
  }

  snapshot(): HostSnapshot {
    const nodes: NodeSnapshot[] = [];
    for (let node = 0; node < this.nodeCount; node++) {
      nodes.push({ pagesFree: this.free[node], pagesFreeable: this.freeable[node], pagesOwned: this.owned[node] });
    }
    return {
      pagesTotal: this.pagesTotal,
      pagesFree: this.pagesFreeSum,
      pagesFreeable: this.pagesFreeableSum,
      pagesOwned: this.pagesOwnedSum,
      pagesOutstanding: this.pagesOutstandingSum,
      nodes,
    };
  }

  /**
   * Capacity not protected by claims: free + freeable - outstanding_claims.
   * Never negative (invariant outstanding <= free + freeable).
   */
  get pagesUnclaimed(): number {
    const slack = this.pagesFreeSum + this.pagesFreeableSum - this.pagesOutstandingSum;
    assert(slack >= 0, 'outstanding claims exceed free + freeable');
    return slack;
  }

  /**
   * How many of `pagesWanted` single-page allocations in a row the claim rule
   * lets `requester` (null: the hypervisor itself) have. Xen refuses a page when
   * outstanding + 1 > free + freeable unless the requester's own claim covers it;
   * a page taken against the claim leaves the unclaimed slack unchanged, any
   * other page that leaves free + freeable shrinks it by one. So the bulk
   * answer is min(n, claim + slack). (A page that stays freeable does not
   * shrink it: see pagesMovableToFreeable.)
   */
  pagesAllocatable(requester: DomainAccount | null, pagesWanted: number): number {
    assertCount(pagesWanted, 'pagesWanted');
    const own = requester === null ? 0 : requester.pagesOutstanding;
    return Math.min(pagesWanted, own + this.pagesUnclaimed);
  }

  /**
   * Moves `pages` free pages to domain `d` (populate, persistent tmem frame,
   * donation). The claim is consumed in this same step as the free count falls
   * (Xen: domain_adjust_tot_pages under the heap lock).
   */
  assignToDomain(d: DomainAccount, pages: number, preferredNode: number): void {
    assertCount(pages, 'pages');
    assert(pages <= this.pagesFreeSum, 'assignToDomain: not enough free pages');
    assert(pages === 0 || (d.pagesTot <= d.pagesMax && pages <= d.pagesMax - d.pagesTot), 'assignToDomain: beyond max_pages');
    const ownClaimUsed = Math.min(pages, d.pagesOutstanding);
    assert(pages - ownClaimUsed <= this.pagesUnclaimed, 'assignToDomain: would take claimed capacity');
    this.takeFree(pages, preferredNode, d.pagesByNode);
    d.pagesTot += pages;
    this.pagesOwnedSum += pages;
    // Related counters change together: the claim falls by what was taken from it.
    d.pagesOutstanding -= ownClaimUsed;
    this.pagesOutstandingSum -= ownClaimUsed;
  }

  /**
   * Domain `d` gives `pages` back to the free list. Its claim does not grow back
   * (current Xen; 4.3 let it grow, later fixed).
   */
  releaseFromDomain(d: DomainAccount, pages: number): void {
    assertCount(pages, 'pages');
    assert(pages <= d.pagesTot, 'releaseFromDomain: more than the domain owns');
    let left = pages;
    for (let node = this.nodeCount - 1; node >= 0 && left > 0; node--) {
      const n = Math.min(left, d.pagesByNode[node]);
      if (n === 0) continue;
      d.pagesByNode[node] -= n;
      this.owned[node] -= n;
      this.free[node] += n;
      left -= n;
    }
    assert(left === 0, 'releaseFromDomain: per-node counts out of step');
    d.pagesTot -= pages;
    this.pagesOwnedSum -= pages;
    this.pagesFreeSum += pages;
  }

  /** The hypervisor takes pages for itself (Xen heap); subject to claims like any requester. */
  assignToXen(pages: number): boolean {
    assertCount(pages, 'pages');
    if (this.pagesAllocatable(null, pages) < pages || pages > this.pagesFreeSum) return false;
    this.takeFree(pages, 0, null);
    this.pagesXen += pages;
    this.pagesOwnedSum += pages;
    return true;
  }

  /**
   * How many of `pagesWanted` free pages the hypervisor may turn into freeable
   * ones (frames for tmem ephemeral data), taken one at a time as Xen's
   * allocator does: each page needs outstanding + 1 <= free + freeable, and
   * moving a page from free to freeable leaves that sum unchanged, so either
   * every page passes (some capacity is unclaimed) or none does. Unlike
   * pagesAllocatable, a group of frames needs one unclaimed page, not one each.
   */
  pagesMovableToFreeable(pagesWanted: number): number {
    assertCount(pagesWanted, 'pagesWanted');
    return this.pagesUnclaimed >= 1 ? Math.min(pagesWanted, this.pagesFreeSum) : 0;
  }

  /** free -> freeable: a frame for tmem ephemeral data. Caller checked the claim rule (pagesMovableToFreeable). */
  freeToFreeable(pages: number): void {
    assertCount(pages, 'pages');
    assert(pages <= this.pagesFreeSum, 'freeToFreeable: not enough free pages');
    let left = pages;
    for (let node = 0; node < this.nodeCount && left > 0; node++) {
      const n = Math.min(left, this.free[node]);
      this.free[node] -= n;
      this.freeable[node] += n;
      left -= n;
    }
    this.pagesFreeSum -= pages;
    this.pagesFreeableSum += pages;
  }

  /** freeable -> free: tmem let go of an ephemeral frame (evicted, flushed, got). */
  freeableToFree(pages: number): void {
    assertCount(pages, 'pages');
    assert(pages <= this.pagesFreeableSum, 'freeableToFree: more than freeable');
    let left = pages;
    for (let node = this.nodeCount - 1; node >= 0 && left > 0; node--) {
      const n = Math.min(left, this.freeable[node]);
      this.freeable[node] -= n;
      this.free[node] += n;
      left -= n;
    }
    this.pagesFreeableSum -= pages;
    this.pagesFreeSum += pages;
  }

  /**
   * XENMEM_claim_pages for `d` with absolute target `pages` (SEMANTICS §3), in
   * Xen's order: 0 cancels; an existing claim is EINVAL; a target not above
   * tot_pages or above max_pages is EINVAL; more than the unclaimed free +
   * freeable capacity is ENOMEM.
   */
  setClaim(d: DomainAccount, pages: number): Result {
    assertCount(pages, 'pages');
    if (pages === 0) {
      this.cancelClaim(d);
      return OK;
    }
    if (d.pagesOutstanding !== 0) return fail('EINVAL');
    if (pages <= d.pagesTot || pages > d.pagesMax) return fail('EINVAL');
    const claim = pages - d.pagesTot;
    if (claim > this.pagesUnclaimed) return fail('ENOMEM');
    d.pagesOutstanding = claim;
    this.pagesOutstandingSum += claim;
    return OK;
  }

  cancelClaim(d: DomainAccount): void {
    assert(d.pagesOutstanding <= this.pagesOutstandingSum, 'claim larger than the host total');
    this.pagesOutstandingSum -= d.pagesOutstanding;
    d.pagesOutstanding = 0;
  }

  /** Whole-structure check; returns the violated invariants (empty when all hold). */
  violations(domains: Iterable<DomainAccount>): string[] {
    const out: string[] = [];
    let free = 0;
    let freeable = 0;
    let owned = 0;
    for (let node = 0; node < this.nodeCount; node++) {
      if (this.free[node] < 0 || this.freeable[node] < 0 || this.owned[node] < 0) out.push(`node ${node}: negative counter`);
      free += this.free[node];
      freeable += this.freeable[node];
      owned += this.owned[node];
    }
    if (free !== this.pagesFreeSum) out.push(`free: node sum ${free} != ${this.pagesFreeSum}`);
    if (freeable !== this.pagesFreeableSum) out.push(`freeable: node sum ${freeable} != ${this.pagesFreeableSum}`);
    if (owned !== this.pagesOwnedSum) out.push(`owned: node sum ${owned} != ${this.pagesOwnedSum}`);
    const sum = this.pagesFreeSum + this.pagesFreeableSum + this.pagesOwnedSum;
    if (sum !== this.pagesTotal) out.push(`free + freeable + owned = ${sum} != total ${this.pagesTotal}`);
    let claims = 0;
    let domainOwned = 0;
    const byNode = new Array<number>(this.nodeCount).fill(0);
    for (const d of domains) {
      if (d.pagesOutstanding < 0) out.push(`domain ${d.domid}: negative outstanding_pages`);
      claims += d.pagesOutstanding;
      domainOwned += d.pagesTot;
      let nodeSum = 0;
      for (let node = 0; node < this.nodeCount; node++) {
        nodeSum += d.pagesByNode[node];
        byNode[node] += d.pagesByNode[node];
      }
      if (nodeSum !== d.pagesTot) out.push(`domain ${d.domid}: per-node pages ${nodeSum} != tot_pages ${d.pagesTot}`);
    }
    if (claims !== this.pagesOutstandingSum) {
      out.push(`outstanding_claims ${this.pagesOutstandingSum} != sum of domain claims ${claims}`);
    }
    if (this.pagesOutstandingSum > this.pagesFreeSum + this.pagesFreeableSum) {
      out.push(`outstanding_claims ${this.pagesOutstandingSum} > free + freeable ${this.pagesFreeSum + this.pagesFreeableSum}`);
    }
    if (domainOwned + this.pagesXen !== this.pagesOwnedSum) {
      out.push(`owned ${this.pagesOwnedSum} != domains ${domainOwned} + xen ${this.pagesXen}`);
    }
    return out;
  }

  /** Takes pages from the free lists, preferred node first, recording them on `byNode` and `owned`. */
  private takeFree(pages: number, preferredNode: number, byNode: number[] | null): void {
    let left = pages;
    for (let i = 0; i < this.nodeCount && left > 0; i++) {
      const node = (preferredNode + i) % this.nodeCount;
      const n = Math.min(left, this.free[node]);
      if (n === 0) continue;
      this.free[node] -= n;
      this.owned[node] += n;
      if (byNode !== null) byNode[node] += n;
      left -= n;
    }
    assert(left === 0, 'takeFree: per-node free counts out of step');
    this.pagesFreeSum -= pages;
  }
}
