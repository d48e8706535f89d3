// The hypercall-shaped API of the hypervisor's memory manager: domains,
// populate / decrease reservation, claims and the host counters. This is what a
// toolstack, a guest model or a test drives; it knows nothing of time, guests
// or scenarios (DESIGN.md, "Rules of the house").
//
// Every call takes the calling domain last (default: the privileged toolstack,
// domain 0). Domain management and claims are privileged (EPERM otherwise); a
// guest may populate and decrease only its own reservation.

import { assert, assertCount } from '../lib/assert.ts';
import { fail, OK, type Fail, type Ok, type Result } from '../lib/result.ts';
import { Accounting, type ClaimEntry, type HostSnapshot } from './accounting.ts';
import { Allocator, MIDSIZE_ALLOC_FRAC } from './allocator.ts';
import { DOMID_TOOLSTACK, isValidDomid, MAX_DOMAIN_PAGES, newDomain, pagesRam, type Domain } from './domain.ts';

/**
 * The most extents one XENMEM_{populate_physmap,increase,decrease}_reservation
 * takes: do_memory_op refuses more than it can encode beside a continuation's
 * start extent (UINT_MAX >> MEMOP_EXTENT_SHIFT, 6), doing nothing.
 */
export const MAX_MEMOP_EXTENTS = 0xffffffff >>> 6;

/**
 * A populate of any size as a toolstack makes it: calls of at most
 * MAX_MEMOP_EXTENTS pages (libxc splits large requests), stopping at the
 * first that comes up short; `done` counts every page given.
 */
export function populateInCalls(hv: Hypervisor, domid: number, pages: number, caller = DOMID_TOOLSTACK): PopulateResult {
  let done = 0;
  // Bounded: each round asks for at least one page and stops unless all were given.
  while (done < pages) {
    const r = hv.populatePhysmap(domid, Math.min(pages - done, MAX_MEMOP_EXTENTS), caller);
    done += r.done;
    if (!r.ok) return { ...r, done };
  }
  return { ok: true, done };
}

export interface HostConfig {
  /** Pages of RAM in the host. */
  pages: number;
  /** Pages the hypervisor keeps for itself (owned by Xen). Default 0. */
  xenPages?: number;
  /** NUMA nodes the pages are split across. Default 1. */
  nodes?: number;
}

/**
 * The hooks through which tmem takes part in the host: the allocator asks it
 * to relinquish ephemeral frames, domain destruction frees the domain's tmem,
 * and the invariant checker asks it to check itself.
 */
export interface TmemBackend {
  /** `requester`: the domain whose hypercall needs the pages (its tmem client's share decides the evictions). */
  relinquish(pagesWanted: number, requester?: number): number;
  destroyClient(domid: number): void;
  violations(): string[];
  /** The work `violations()` does, in rough units (one per page or object record it walks); 0 if not given. */
  checkCost?(): number;
}

export interface DomainInfo {
  domid: number;
  tot_pages: number;
  max_pages: number;
  outstanding_pages: number;
  /** Of outstanding_pages, the part claimed on each NUMA node (claim sets). */
  claim_by_node: number[];
  tmem_pages: number;
  dying: boolean;
}

export type PopulateResult = Ok<{ done: number }> | Fail<{ done: number }>;

export class Hypervisor {
  readonly acct: Accounting;
  readonly alloc: Allocator;
  private readonly domains = new Map<number, Domain>();
  private tmemBackend: TmemBackend | null = null;
  /** Free pages once Xen took its own: the most the heap ever holds (the mid-size zone's base). */
  private readonly bootFreePages: number;

  constructor(config: HostConfig) {
    const nodes = config.nodes ?? 1;
    const xenPages = config.xenPages ?? 0;
    assertCount(config.pages, 'host pages');
    assertCount(xenPages, 'xen pages');
    assert(xenPages <= config.pages, 'xen pages exceed host pages');
    this.acct = new Accounting(config.pages, nodes);
    this.alloc = new Allocator(this.acct);
    const took = this.acct.assignToXen(xenPages);
    assert(took, 'xen pages could not be taken at boot');
    this.bootFreePages = this.acct.pagesFree;
  }

  /**
   * Plugs tmem into the allocator and into domain destruction. With tmem on,
   * 1/128 of the heap becomes the mid-size zone (page_alloc.c: the high-water
   * mark of free pages / MIDSIZE_ALLOC_FRAC, reached at boot): below it,
   * single pages come from tmem first, and tmem puts keep clear of it.
   */
  attachTmem(backend: TmemBackend): void {
    assert(this.tmemBackend === null, 'tmem attached twice');
    this.tmemBackend = backend;
    this.alloc.setReclaimer((pages, requester) => backend.relinquish(pages, requester));
    this.alloc.setMidsizePages(Math.floor(this.bootFreePages / MIDSIZE_ALLOC_FRAC));
  }

  /** The domain record, for in-hypervisor modules (tmem). Not for guests. */
  domain(domid: number): Domain | undefined {
    const d = this.domains.get(domid);
    return d === undefined || d.dying ? undefined : d;
  }

  domainIds(): number[] {
    return [...this.domains.keys()].sort((a, b) => a - b);
  }

  isPrivileged(caller: number): boolean {
    return caller === DOMID_TOOLSTACK;
  }

  domainCreate(domid: number, pagesMax: number, caller = DOMID_TOOLSTACK): Result {
    if (!this.isPrivileged(caller)) return fail('EPERM');
    if (!isValidDomid(domid)) return fail('EINVAL');
    assertCount(pagesMax, 'max_pages');
    if (this.domains.has(domid)) return fail('EEXIST');
    // Creation plus the toolstack's first max_mem: saturated like max_mem.
    this.domains.set(domid, newDomain(domid, Math.min(pagesMax, MAX_DOMAIN_PAGES), this.acct.nodeCount));
    return OK;
  }

  /**
   * XEN_DOMCTL_max_mem. May go below tot_pages: then every new allocation is
   * refused. A value above MAX_DOMAIN_PAGES is saturated, as Xen's unsigned
   * int max_pages is. As every domctl on a domain, do_domctl looks the domain
   * up before asking XSM: an unknown domain is ESRCH for any caller.
   */
  setMaxMem(domid: number, pagesMax: number, caller = DOMID_TOOLSTACK): Result {
    assertCount(pagesMax, 'max_pages');
    const d = this.domain(domid);
    if (d === undefined) return fail('ESRCH');
    if (!this.isPrivileged(caller)) return fail('EPERM');
    d.pagesMax = Math.min(pagesMax, MAX_DOMAIN_PAGES);
    return OK;
  }

  /**
   * XENMEM_claim_pages. An unknown domain is EINVAL here, as in Xen, and is
   * checked before the caller's privilege (memory.c looks the domain up, then
   * asks XSM), so an unprivileged caller naming no domain also gets EINVAL.
   */
  claimPages(domid: number, pages: number, caller = DOMID_TOOLSTACK): Result {
    assertCount(pages, 'pages');
    const d = this.domain(domid);
    if (d === undefined) return fail('EINVAL');
    if (!this.isPrivileged(caller)) return fail('EPERM');
    return this.acct.setClaim(d, pages);
  }

  /**
   * XEN_DOMCTL_claim_memory: a claim set (per-node claims plus a global one)
   * for `domid`, replacing any claim it holds (Accounting.setClaimSet). As
   * a domctl: an unknown domain is ESRCH, an unprivileged caller EPERM, a
   * dying domain EINVAL.
   */
  claimMemory(domid: number, entries: readonly ClaimEntry[], caller = DOMID_TOOLSTACK): Result {
    const d = this.domain(domid);
    if (d === undefined) return fail('ESRCH');
    if (!this.isPrivileged(caller)) return fail('EPERM');
    if (d.dying) return fail('EINVAL');
    return this.acct.setClaimSet(d, entries);
  }

  /**
   * XENMEM_populate_physmap with order-0 extents. Stops at the first page it
   * cannot get and keeps what it got: `{ok:false, errno:'ENOMEM', done}`.
   */
  populatePhysmap(domid: number, pages: number, caller = DOMID_TOOLSTACK): PopulateResult {
    assertCount(pages, 'pages');
    // do_memory_op refuses more extents than fit beside its continuation's start (nothing done).
    if (pages > MAX_MEMOP_EXTENTS) return { ok: false, errno: 'EINVAL', done: 0 };
    if (!this.isPrivileged(caller) && caller !== domid) return { ok: false, errno: 'EPERM', done: 0 };
    const d = this.domain(domid);
    if (d === undefined) return { ok: false, errno: 'ESRCH', done: 0 };
    const done = this.alloc.allocToDomain(d, pages, caller);
    return done === pages ? { ok: true, done } : { ok: false, errno: 'ENOMEM', done };
  }

  /** XENMEM_decrease_reservation: frees at most the RAM the domain owns. */
  decreaseReservation(domid: number, pages: number, caller = DOMID_TOOLSTACK): Result<{ done: number }> {
    assertCount(pages, 'pages');
    if (pages > MAX_MEMOP_EXTENTS) return fail('EINVAL');
    if (!this.isPrivileged(caller) && caller !== domid) return fail('EPERM');
    const d = this.domain(domid);
    if (d === undefined) return fail('ESRCH');
    const done = Math.min(pages, pagesRam(d));
    this.alloc.freeFromDomain(d, done);
    return { ok: true, done };
  }

  /**
   * XEN_DOMCTL_destroydomain: frees everything the domain owns, destroys its
   * tmem pools and releases its claim. An unknown domain is ESRCH for any
   * caller (the domctl lookup comes first); a domain cannot destroy itself
   * (domain_kill: EINVAL), the privileged one included.
   */
  domainDestroy(domid: number, caller = DOMID_TOOLSTACK): Result {
    const d = this.domain(domid);
    if (d === undefined) return fail('ESRCH');
    if (!this.isPrivileged(caller)) return fail('EPERM');
    if (caller === domid) return fail('EINVAL');
    d.dying = true;
    this.tmemBackend?.destroyClient(domid);
    assert(d.pagesTmemFrames === 0, 'tmem left persistent frames on a destroyed domain');
    this.acct.cancelClaim(d);
    this.acct.releaseFromDomain(d, d.pagesTot);
    this.domains.delete(domid);
    return OK;
  }

  domainInfo(domid: number): Result<DomainInfo> {
    const d = this.domain(domid);
    if (d === undefined) return fail('ESRCH');
    return {
      ok: true,
      domid,
      tot_pages: d.pagesTot,
      max_pages: d.pagesMax,
      outstanding_pages: d.pagesOutstanding,
      claim_by_node: [...d.claimByNode],
      tmem_pages: d.pagesTmemFrames,
      dying: d.dying,
    };
  }

  /** One consistent read of the host counters. */
  physinfo(): HostSnapshot {
    return this.acct.snapshot();
  }

  /**
   * The work of `violations()` in rough units: the accounting's per-domain,
   * per-node sums, and tmem's walk of its records. Lets a caller checking
   * after many small steps space the checks out when the state is large.
   */
  checkCost(): number {
    return (this.domains.size + 1) * (this.acct.nodeCount + 1) + (this.tmemBackend?.checkCost?.() ?? 0);
  }

  /** Every invariant of SEMANTICS.md §1-3 (and tmem's, when attached); empty when all hold. */
  violations(): string[] {
    const out = this.acct.violations(this.domains.values());
    for (const d of this.domains.values()) {
      if (d.pagesTmemFrames < 0 || d.pagesTmemFrames > d.pagesTot) {
        out.push(`domain ${d.domid}: tmem frames ${d.pagesTmemFrames} outside [0, tot_pages ${d.pagesTot}]`);
      }
    }
    if (this.tmemBackend !== null) out.push(...this.tmemBackend.violations());
    return out;
  }
}
