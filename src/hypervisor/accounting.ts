// Host memory accounting: the one owner of the host counters.
//
// Every page of the host is free, freeable (tmem ephemeral data) or owned (a
// domain's RAM, its tmem persistent frames, or the hypervisor's own pages):
// SEMANTICS.md §1, the seed's first paragraph. Capacity claims (§3) live here
// too: a claim is consumed in the same step as the free count falls, which
// DESIGN.md asks for, when the pages reach the domain (tot_pages grows, as
// SEMANTICS.md §3 has it). Releases up to 4.19.4, 4.20.2 and 4.21.0 (the tmem
// era included) lower the free count in alloc_heap_pages and the claim right
// after in a second locked section (domain_adjust_tot_pages): in a sequential
// simulator the same outcome. Xen 4.22 (and 4.19.5, 4.20.3, 4.21.1) takes the
// claim in alloc_heap_pages itself, which differs in one case not followed
// here: a page then refused over max_pages costs the domain one claimed page
// (xen/common/page_alloc.c: domain_adjust_tot_pages,
// domain_set_outstanding_pages, alloc_heap_pages).
//
// NUMA is modelled as per-node counts: a page is never placed individually,
// but every counter is kept per node and the node sums always equal the host
// counters. Pages are fungible within a node.

import { assert, assertCount, assertNodeOrNull } from '../lib/assert.ts';
import { fail, OK, type Result } from '../lib/result.ts';

/** What accounting knows about a domain: the counts Xen keeps in struct domain. */
export interface DomainAccount {
  readonly domid: number;
  /** tot_pages: every page the domain owns (RAM and tmem persistent frames). */
  pagesTot: number;
  /** max_pages: the toolstack's limit ("maxmem"). */
  pagesMax: number;
  /** outstanding_pages: the domain's whole claim (its global part plus its node claims). */
  pagesOutstanding: number;
  /** Of pagesOutstanding, the part claimed on each NUMA node (a claim set's node entries); zeros without one. */
  readonly claimByNode: number[];
  /** Owned pages per NUMA node; sums to pagesTot. */
  readonly pagesByNode: number[];
  /** The node the domain's pages are taken from first (after nodes it holds a claim on). */
  readonly homeNode: number;
}

/** One entry of a claim set (XEN_DOMCTL_claim_memory): pages claimed on a node, or host-wide (`node` null). */
export interface ClaimEntry {
  node: number | null;
  pages: number;
}

export interface NodeSnapshot {
  pagesFree: number;
  pagesFreeable: number;
  pagesOwned: number;
  /** Node claims outstanding on this node (claim sets' node entries). */
  pagesOutstanding: number;
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
  return {
    domid,
    pagesTot: 0,
    pagesMax,
    pagesOutstanding: 0,
    claimByNode: new Array<number>(nodeCount).fill(0),
    pagesByNode: new Array<number>(nodeCount).fill(0),
    homeNode: domid % nodeCount,
  };
}

/** The part of a domain's claim not tied to a node. */
function globalClaim(d: DomainAccount): number {
  let nodes = 0;
  for (const c of d.claimByNode) nodes += c;
  return d.pagesOutstanding - nodes;
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
  /** Node claims outstanding per node (part of pagesOutstandingSum). */
  private readonly nodeOutstanding: number[];
  private nodeClaimsTotal = 0;
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
    this.nodeOutstanding = new Array<number>(nodeCount).fill(0);
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
      nodes.push({ pagesFree: this.free[node], pagesFreeable: this.freeable[node], pagesOwned: this.owned[node], pagesOutstanding: this.nodeOutstanding[node] });
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
   * How many of `pagesWanted` single-page allocations in a row the claim rules
   * let `requester` (null: the hypervisor itself) have, counting free and
   * freeable pages (tmem gives frames back on demand). Host rule: Xen refuses
   * a page when outstanding + 1 > free + freeable unless the requester's own
   * claim covers it; a page taken against the claim leaves the unclaimed
   * slack unchanged, any other page shrinks it by one. Node rule (claim
   * sets): on node k a requester may not take the pages other domains claimed
   * there, and a page on node k is covered by the requester's claim on k,
   * else by its global claim, else it needs slack. Without node claims the
   * answer is min(n, claim + slack). (A page that stays freeable does not
   * shrink the slack: see freeableAllowed.)
   */
  pagesAllocatable(requester: DomainAccount | null, pagesWanted: number): number {
    assertCount(pagesWanted, 'pagesWanted');
    if (this.nodeOutstandingSum() === 0) {
      const own = requester === null ? 0 : requester.pagesOutstanding;
      return Math.min(pagesWanted, own + this.pagesUnclaimed);
    }
    return this.walkNodes(requester, pagesWanted, true, null);
  }

  /** Pages of `d`'s node claims that their nodes' free pages do not cover (tmem holds them as freeable frames). */
  nodeClaimShortfall(d: DomainAccount): number {
    let n = 0;
    for (let node = 0; node < this.nodeCount; node++) n += Math.max(0, d.claimByNode[node] - this.free[node]);
    return n;
  }

  /**
   * How many of `pagesWanted` pages `requester` can be given now from the
   * free lists (not counting tmem's freeable frames): with node claims, the
   * pages the claim rules let it take on each node (see walkNodes).
   */
  pagesAssignable(requester: DomainAccount | null, pagesWanted: number): number {
    assertCount(pagesWanted, 'pagesWanted');
    if (this.nodeOutstandingSum() === 0) return Math.min(pagesWanted, this.pagesFreeSum);
    return this.walkNodes(requester, pagesWanted, false, null);
  }

  /**
   * Moves `pages` free pages to domain `d` (populate, persistent tmem frame,
   * donation). The claim is consumed in this same step as the free count falls
   * (Xen: domain_adjust_tot_pages, in its own heap-locked section before 4.22).
   */
  assignToDomain(d: DomainAccount, pages: number, preferredNode: number): void {
    assertCount(pages, 'pages');
    assert(pages <= this.pagesFreeSum, 'assignToDomain: not enough free pages');
    assert(pages === 0 || (d.pagesTot <= d.pagesMax && pages <= d.pagesMax - d.pagesTot), 'assignToDomain: beyond max_pages');
    if (this.nodeOutstandingSum() === 0) {
      const ownClaimUsed = Math.min(pages, d.pagesOutstanding);
      assert(pages - ownClaimUsed <= this.pagesUnclaimed, 'assignToDomain: would take claimed capacity');
      this.takeFree(pages, preferredNode, d.pagesByNode);
      d.pagesTot += pages;
      this.pagesOwnedSum += pages;
      // Related counters change together: the claim falls by what was taken from it.
      d.pagesOutstanding -= ownClaimUsed;
      this.pagesOutstandingSum -= ownClaimUsed;
      return;
    }
    // Claim sets: page by page (in runs), a page redeems the domain's claim on its node first, then its global claim.
    const got = this.walkNodes(d, pages, false, (node, n, byNode, byGlobal) => {
      this.free[node] -= n;
      this.owned[node] += n;
      d.pagesByNode[node] += n;
      this.pagesFreeSum -= n;
      d.claimByNode[node] -= byNode;
      this.nodeOutstanding[node] -= byNode;
      this.nodeClaimsTotal -= byNode;
      d.pagesOutstanding -= byNode + byGlobal;
      this.pagesOutstandingSum -= byNode + byGlobal;
      d.pagesTot += n;
      this.pagesOwnedSum += n;
    });
    assert(got === pages, 'assignToDomain: the claim rules allow fewer pages than asked (check pagesAssignable first)');
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
    if (this.pagesAllocatable(null, pages) < pages || this.pagesAssignable(null, pages) < pages) return false;
    if (this.nodeOutstandingSum() === 0) {
      this.takeFree(pages, 0, null);
    } else {
      this.walkNodes(null, pages, false, (node, n) => {
        this.free[node] -= n;
        this.owned[node] += n;
        this.pagesFreeSum -= n;
      });
    }
    this.pagesXen += pages;
    this.pagesOwnedSum += pages;
    return true;
  }

  /**
   * Whether the claim rules let the hypervisor turn free pages into freeable
   * ones (frames for tmem ephemeral data), taken one at a time as Xen's
   * allocator does: each page needs outstanding + 1 <= free + freeable, and
   * moving a page from free to freeable leaves that sum unchanged, so either
   * every page passes (some capacity is unclaimed) or none does. Unlike
   * pagesAllocatable, a group of frames needs one unclaimed page, not one
   * each; evicting ephemeral pages (freeable to free) does not change the answer.
   */
  freeableAllowed(): boolean {
    return this.pagesUnclaimed >= 1;
  }

  /** free -> freeable: a frame for tmem ephemeral data. Caller checked the claim rule (freeableAllowed) and the free count. */
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
    // Frames are fungible in the model: those given back go first to nodes whose free pages are short of their node claims.
    for (let node = 0; node < this.nodeCount && left > 0 && this.nodeOutstandingSum() > 0; node++) {
      const n = Math.min(left, this.freeable[node], Math.max(0, this.nodeOutstanding[node] - this.free[node]));
      this.freeable[node] -= n;
      this.free[node] += n;
      left -= n;
    }
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

  /**
   * XEN_DOMCTL_claim_memory's claim set for `d` (SEMANTICS §3, the 2025-2026
   * design): per-node claims plus a global one, staked atomically, replacing
   * whatever `d` held. Each entry's pages are pages claimed (outstanding);
   * one global entry of p pages is XENMEM_claim_pages with target tot_pages
   * + p. All zero cancels. EINVAL: no entry, a node out of range or named
   * twice, tot_pages + the set's total above max_pages. ENOMEM: the set's
   * total above free + freeable − other domains' claims, or a node entry
   * above its node's free + freeable − other domains' claims on that node
   * (freeable counts as available, as in the host rule). A refused set
   * changes nothing.
   */
  setClaimSet(d: DomainAccount, entries: readonly ClaimEntry[]): Result {
    if (entries.length === 0 || entries.length > this.nodeCount + 1) return fail('EINVAL');
    const byNode = new Array<number>(this.nodeCount).fill(0);
    const named = new Set<number | null>();
    let global = 0;
    for (const e of entries) {
      assertCount(e.pages, 'claim pages');
      assertNodeOrNull(e.node, 'claim node');
      if (named.has(e.node)) return fail('EINVAL');
      named.add(e.node);
      if (e.node === null) {
        global = e.pages;
      } else {
        if (!Number.isInteger(e.node) || e.node < 0 || e.node >= this.nodeCount) return fail('EINVAL');
        byNode[e.node] = e.pages;
      }
    }
    const total = byNode.reduce((a, b) => a + b, 0) + global;
    if (total === 0) {
      this.cancelClaim(d);
      return OK;
    }
    if (d.pagesTot >= d.pagesMax || total > d.pagesMax - d.pagesTot) return fail('EINVAL');
    // Availability as if the old set were released.
    if (total > this.pagesUnclaimed + d.pagesOutstanding) return fail('ENOMEM');
    for (let node = 0; node < this.nodeCount; node++) {
      const others = this.nodeOutstanding[node] - d.claimByNode[node];
      if (byNode[node] > this.free[node] + this.freeable[node] - others) return fail('ENOMEM');
    }
    this.cancelClaim(d);
    for (let node = 0; node < this.nodeCount; node++) {
      d.claimByNode[node] = byNode[node];
      this.nodeOutstanding[node] += byNode[node];
      this.nodeClaimsTotal += byNode[node];
    }
    d.pagesOutstanding = total;
    this.pagesOutstandingSum += total;
    return OK;
  }

  /** Releases all of `d`'s claim, its node claims too (a claim of 0, the builder's cancel, destruction). */
  cancelClaim(d: DomainAccount): void {
    assert(d.pagesOutstanding <= this.pagesOutstandingSum, 'claim larger than the host total');
    this.pagesOutstandingSum -= d.pagesOutstanding;
    d.pagesOutstanding = 0;
    for (let node = 0; node < this.nodeCount; node++) {
      this.nodeOutstanding[node] -= d.claimByNode[node];
      this.nodeClaimsTotal -= d.claimByNode[node];
      d.claimByNode[node] = 0;
    }
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
    const nodeClaims = new Array<number>(this.nodeCount).fill(0);
    for (const d of domains) {
      if (d.pagesOutstanding < 0) out.push(`domain ${d.domid}: negative outstanding_pages`);
      if (globalClaim(d) < 0) out.push(`domain ${d.domid}: node claims ${d.pagesOutstanding - globalClaim(d)} exceed outstanding_pages ${d.pagesOutstanding}`);
      for (let node = 0; node < this.nodeCount; node++) {
        if (d.claimByNode[node] < 0) out.push(`domain ${d.domid}: negative claim on node ${node}`);
        nodeClaims[node] += d.claimByNode[node];
      }
      claims += d.pagesOutstanding;
      domainOwned += d.pagesTot;
      let nodeSum = 0;
      for (let node = 0; node < this.nodeCount; node++) {
        if (d.pagesByNode[node] < 0) out.push(`domain ${d.domid}: negative pages on node ${node}`);
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
    if (nodeClaims.reduce((a, b) => a + b, 0) !== this.nodeClaimsTotal) out.push(`node claims total ${this.nodeClaimsTotal} != sum over nodes`);
    for (let node = 0; node < this.nodeCount; node++) {
      if (nodeClaims[node] !== this.nodeOutstanding[node]) out.push(`node ${node}: outstanding ${this.nodeOutstanding[node]} != sum of domain node claims ${nodeClaims[node]}`);
      if (this.nodeOutstanding[node] > this.free[node] + this.freeable[node]) {
        out.push(`node ${node}: claims ${this.nodeOutstanding[node]} > free + freeable ${this.free[node] + this.freeable[node]}`);
      }
    }
    // Each node owns at least its domains' pages there (the rest are Xen's own).
    for (let node = 0; node < this.nodeCount; node++) {
      if (byNode[node] > this.owned[node]) out.push(`node ${node}: domains hold ${byNode[node]} pages there, the node owns ${this.owned[node]}`);
    }
    if (domainOwned + this.pagesXen !== this.pagesOwnedSum) {
      out.push(`owned ${this.pagesOwnedSum} != domains ${domainOwned} + xen ${this.pagesXen}`);
    }
    return out;
  }

  /** Node claims outstanding on all nodes (0 without claim sets: every path then is the host-wide one). */
  private nodeOutstandingSum(): number {
    return this.nodeClaimsTotal;
  }

  /**
   * Claim sets, page by page in runs: each page comes from the first node, in
   * the requester's order (nodes it still holds a claim on, then from its
   * home node round; node 0 first for Xen), that has a page it may take —
   * one that other domains' claims on that node do not need (with
   * `withFreeable`, tmem's freeable frames count, as they can be given
   * back). The page redeems the requester's claim on its node, else its
   * global claim, else needs unclaimed capacity; the first page that has
   * none stops the walk (Xen's populate stops at the first refusal).
   * `take` (if given) is called for each run: node, pages, and how many of
   * them redeemed the node claim and the global claim. Returns the pages.
   */
  private walkNodes(
    requester: DomainAccount | null,
    pagesWanted: number,
    withFreeable: boolean,
    take: ((node: number, pages: number, byNode: number, byGlobal: number) => void) | null,
  ): number {
    const nodes = this.nodeCount;
    const claimLeft = requester === null ? new Array<number>(nodes).fill(0) : [...requester.claimByNode];
    const room: number[] = [];
    for (let node = 0; node < nodes; node++) {
      const others = this.nodeOutstanding[node] - claimLeft[node];
      const spare = this.free[node] + this.freeable[node] - others;
      room.push(Math.max(0, withFreeable ? spare : Math.min(this.free[node], spare)));
    }
    const home = requester === null ? 0 : requester.homeNode;
    let global = requester === null ? 0 : globalClaim(requester);
    let slack = this.pagesUnclaimed;
    let left = pagesWanted;
    // Bounded: each run empties a node's room or its claim, or ends the walk.
    while (left > 0) {
      let node = -1;
      for (let k = 0; k < nodes && node < 0; k++) if (claimLeft[k] > 0 && room[k] > 0) node = k;
      for (let i = 0; i < nodes && node < 0; i++) if (room[(home + i) % nodes] > 0) node = (home + i) % nodes;
      if (node < 0) break;
      let n = Math.min(left, room[node]);
      if (claimLeft[node] > 0) n = Math.min(n, claimLeft[node]);
      const byNode = Math.min(n, claimLeft[node]);
      const byGlobal = Math.min(n - byNode, global);
      const bySlack = Math.min(n - byNode - byGlobal, slack);
      const got = byNode + byGlobal + bySlack;
      if (got > 0) take?.(node, got, byNode, byGlobal);
      claimLeft[node] -= byNode;
      global -= byGlobal;
      slack -= bySlack;
      room[node] -= got;
      left -= got;
      if (got < n) break;
    }
    return pagesWanted - left;
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
