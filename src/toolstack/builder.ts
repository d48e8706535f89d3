// The domain builder under the three launch policies of SEMANTICS.md §6.
//
// A launch sets max_pages, (optionally) claims, populates memory in batches
// at a finite rate, cancels what is left of the claim, and unpauses. Xen's
// libxl/libxc builder claims the domain's total pages before populating when
// xl.conf's claim_mode is on (default since 4.4) and always cancels after.
//   none:        check free + freeable >= size at the start, then populate;
//                may run out half-way (pages given back, build time wasted).
//   claim:       XENMEM_claim_pages first: fails at once or completes.
//   reservation: launches are serialised, and each is admitted against the
//                toolstack's own ledger: free + freeable minus what the
//                toolstack promised and has not yet seen taken must cover
//                the size. It promised what it knows of, as xapi's squeezed
//                or xl can: the pages still to populate of a launch it
//                builds (serialised, so never another at admission; ledger()
//                shows it mid-build), and for each balloon target it set (mem-set,
//                noteMemSet) max(0, min(target, max_pages, boot maxmem)
//                - tot_pages), read from domain info, until a later mem-set
//                replaces it or the domain is destroyed (forget). The boot
//                maxmem is the one the toolstack built the guest with: a PV
//                guest's max_pfn comes from it, and a running guest cannot
//                grow past it whatever a later mem-max sets (the guest
//                kernel's own cap, 11 times its boot memory, is not modelled
//                here: that part of a promise stays). It cannot see targets the
//                guest sets itself (self-ballooning) or persistent tmem puts,
//                so a launch can still run out half-way.
// The builder only calls the hypercall API; time comes from the simulator.

import { assert } from '../lib/assert.ts';
import { formatPages, groupDigits } from '../lib/units.ts';
import { populateInCalls, type Hypervisor } from '../hypervisor/hypervisor.ts';
import type { Policy } from '../scenario/types.ts';

/**
 * What a mem-set still promises the guest, as the toolstack reads it: the
 * target up to max_pages and the maxmem it booted the guest with (a running
 * PV guest cannot grow past that), less what the domain holds; 0 when the
 * target does not raise it.
 */
export function memSetPromise(targetPages: number, info: { max_pages: number; tot_pages: number }, bootMaxmemPages: number): number {
  return Math.max(0, Math.min(targetPages, info.max_pages, bootMaxmemPages) - info.tot_pages);
}

export type LaunchOutcome = 'queued' | 'building' | 'ok' | 'failed_fast' | 'failed_midway' | 'abandoned';

export interface Launch {
  name: string;
  domid: number;
  policy: Policy;
  outcome: LaunchOutcome;
  requestedPages: number;
  maxmemPages: number;
  /** When the toolstack was asked to launch. */
  requestNs: number;
  /** When building started (after waiting in the reservation queue); -1 before. */
  startNs: number;
  /** When the launch ended (ok or failed); -1 while it runs. */
  endNs: number;
  donePages: number;
  wastedBuildNs: number;
  /** Why it failed, for the event log. */
  reason: string;
}

export interface BuilderConfig {
  policy: Policy;
  buildPagesPerS: number;
  buildBatchPages: number;
}

/** One promise in the toolstack's ledger: memory it expects to be taken, not yet taken. */
export interface LedgerEntry {
  /** What the memory was promised to, for failure reasons: "mem-set of web-1", "launch of big-1". */
  what: string;
  pages: number;
}

const NS_PER_S = 1_000_000_000;

/**
 * A mem-set that raises a guest's target, held back by the `reservation`
 * toolstack while a launch builds: it does its memory operations one at a
 * time, in the order asked, as it does launches — its ledger sees its own
 * mem-sets, so it does not let one take the memory a build was promised.
 */
export interface HeldMemSet {
  kind: 'mem_set';
  domid: number;
  name: string;
  targetPages: number;
  requestNs: number;
  /** The timeline entry that asked for it ("timeline[3]"). */
  where: string;
}

export class DomainBuilder {
  /** Launches and raising mem-sets waiting for the launch in progress, in the order asked (reservation policy only). */
  private readonly queue: (Launch | HeldMemSet)[] = [];
  private building: Launch | null = null;
  /** Balloon targets the toolstack set (mem-set), by domid, with the guest's name and the maxmem it booted with. */
  private readonly targets = new Map<number, { name: string; targetPages: number; bootMaxmemPages: number }>();

  constructor(
    private readonly hv: Hypervisor,
    readonly config: BuilderConfig,
  ) {
    assert(config.buildPagesPerS > 0 && config.buildBatchPages > 0, 'build rate and batch must be positive');
  }

  /** Nanoseconds one batch of `pages` takes at the build rate (at least 1 ns). */
  batchNs(pages: number): number {
    return Math.max(1, Math.round((pages * NS_PER_S) / this.config.buildPagesPerS));
  }

  /**
   * The toolstack set domain `domid`'s balloon target (mem-set): the guest
   * will take up to target - tot_pages as it deflates, and never past
   * `bootMaxmemPages`, the maxmem the toolstack booted it with (a PV guest's
   * max_pfn). Replaces an earlier one.
   */
  noteMemSet(domid: number, name: string, targetPages: number, bootMaxmemPages: number): void {
    this.targets.set(domid, { name, targetPages, bootMaxmemPages });
  }

  /**
   * A mem-set asked for now: under `reservation`, one that raises the
   * guest's memory (`raises`: the target is above what the domain holds)
   * while a launch builds is held in the queue and true is returned; it is
   * done when its turn comes (nextQueued). So is any mem-set of a guest that
   * already has one held (a later target must not be overwritten by an
   * earlier one). Any other is done at once (false).
   */
  holdMemSet(nowNs: number, domid: number, name: string, targetPages: number, raises: boolean, where: string): boolean {
    if (this.config.policy !== 'reservation' || this.building === null) return false;
    if (!raises && !this.queue.some((q) => 'kind' in q && q.domid === domid)) return false;
    this.queue.push({ kind: 'mem_set', domid, name, targetPages, requestNs: nowNs, where });
    return true;
  }

  /** The mem-sets still held (the run ended before their turn). */
  heldMemSets(): HeldMemSet[] {
    return this.queue.filter((q): q is HeldMemSet => 'kind' in q);
  }

  /** The launch being built under `reservation` (the one held mem-sets wait for), or null. */
  get buildingLaunch(): Launch | null {
    return this.building;
  }

  /** The toolstack destroyed domain `domid`: its promises leave the ledger. */
  forget(domid: number): void {
    this.targets.delete(domid);
  }

  /**
   * The ledger: what the toolstack promised and has not seen taken yet, as it
   * can read it now (domain info). Other than `except`, the launch asking.
   * Promises of no pages are left out.
   */
  ledger(except: Launch | null = null): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    if (this.building !== null && this.building !== except) {
      out.push({ what: `launch of ${this.building.name}`, pages: this.building.requestedPages - this.building.donePages });
    }
    for (const [domid, t] of this.targets) {
      const info = this.hv.domainInfo(domid);
      assert(info.ok, `the ledger holds a mem-set of ${t.name} (domain ${domid}), which no longer exists: forget() it on destroy`);
      out.push({ what: `mem-set of ${t.name}`, pages: memSetPromise(t.targetPages, info, t.bootMaxmemPages) });
    }
    return out.filter((p) => p.pages > 0);
  }

  /**
   * Asked to launch: returns the record. For `reservation` a launch waits
   * while another builds; `begin` is then called when its turn comes.
   */
  request(nowNs: number, name: string, domid: number, memoryPages: number, maxmemPages: number): Launch {
    const launch: Launch = {
      name,
      domid,
      policy: this.config.policy,
      outcome: 'queued',
      requestedPages: memoryPages,
      maxmemPages,
      requestNs: nowNs,
      startNs: -1,
      endNs: -1,
      donePages: 0,
      wastedBuildNs: 0,
      reason: '',
    };
    if (this.config.policy === 'reservation' && this.building !== null) {
      this.queue.push(launch);
    } else {
      this.begin(nowNs, launch);
    }
    return launch;
  }

  /**
   * Starts building: the policy's admission check, then the domain is created
   * with its max_pages. Returns false when the launch failed fast.
   */
  begin(nowNs: number, launch: Launch): boolean {
    launch.startNs = nowNs;
    launch.outcome = 'building';
    if (this.config.policy === 'reservation') this.building = launch;
    const s = this.hv.physinfo();
    const have = s.pagesFree + s.pagesFreeable;
    if (this.config.policy !== 'claim') {
      // reservation: less what the toolstack's ledger says is promised elsewhere.
      const promises = this.config.policy === 'reservation' ? this.ledger(launch) : [];
      const promised = promises.reduce((sum, p) => sum + p.pages, 0);
      if (have - promised < launch.requestedPages) {
        const whose = promises.map((p) => `${p.what}: ${formatPages(p.pages)}`).join(', ');
        const ofWhich = promised === 0 ? ',' : `, of which ${pagesText(promised)} promised by the toolstack (${whose});`;
        return this.finish(nowNs, launch, 'failed_fast', `only ${pagesText(have)} free + freeable${ofWhich} ${pagesText(launch.requestedPages)} needed`);
      }
    }
    const created = this.hv.domainCreate(launch.domid, launch.maxmemPages);
    assert(created.ok, `domain ${launch.domid} could not be created`);
    if (this.config.policy === 'claim') {
      const claim = this.hv.claimPages(launch.domid, launch.requestedPages);
      if (!claim.ok) {
        this.hv.domainDestroy(launch.domid);
        // The free + freeable memory no claim holds, as the refused claim saw it (a refusal changes nothing).
        const h = this.hv.physinfo();
        const unclaimed = ', more than the ' + pagesText(Math.max(0, h.pagesFree + h.pagesFreeable - h.pagesOutstanding)) + ' of free + freeable memory not yet claimed';
        return this.finish(nowNs, launch, 'failed_fast', `claim of ${pagesText(launch.requestedPages)} refused: ${claim.errno}${claim.errno === 'ENOMEM' ? unclaimed : ''}`);
      }
    }
    return true;
  }

  /**
   * Populates one batch. Returns when the batch is in (the time of the next
   * step), or null when the launch ended: ok at the step after the last batch
   * (its memory is in: the claim left is cancelled and the domain boots), or
   * failed midway with its pages given back. A launch stays building, so a
   * queued one waits and a destroy stops it, until its last batch is in.
   */
  step(nowNs: number, launch: Launch): number | null {
    assert(launch.outcome === 'building', `step on a launch that is ${launch.outcome}`);
    if (launch.donePages >= launch.requestedPages) {
      // The builder cancels whatever is left of the claim once memory is in.
      this.hv.claimPages(launch.domid, 0);
      this.finish(nowNs, launch, 'ok', '');
      return null;
    }
    // A batch larger than one memory op takes (MAX_MEMOP_EXTENTS) is populated in several calls, as libxc does.
    const pages = Math.min(this.config.buildBatchPages, launch.requestedPages - launch.donePages);
    const r = populateInCalls(this.hv, launch.domid, pages);
    launch.donePages += r.done;
    if (!r.ok) {
      // A claim still outstanding here was not honoured: Xen counts every
      // freeable frame as claimable, but with compression or dedup one
      // eviction may free no frame and relinquishing gives up after 10.
      const info = this.hv.domainInfo(launch.domid);
      const claimLeft = info.ok ? info.outstanding_pages : 0;
      const breach =
        claimLeft > 0
          ? ` although ${pagesText(claimLeft)} were still claimed: tmem could not free frames fast enough (compressed or deduplicated data shares frames; Xen gives up after 10 evictions per frame)`
          : '';
      // Roll back: the half-built domain is destroyed and its pages return.
      this.hv.domainDestroy(launch.domid);
      launch.wastedBuildNs = nowNs - launch.startNs;
      this.finish(nowNs, launch, 'failed_midway', `memory ran out after ${formatPages(launch.donePages)} of ${formatPages(launch.requestedPages)} (${groupDigits(launch.donePages)} of ${groupDigits(launch.requestedPages)} pages)${breach}; what was built is given back`);
      return null;
    }
    return nowNs + this.batchNs(pages);
  }

  /**
   * Fault: the toolstack dies in the middle of a launch. The domain stays,
   * with its claim; a launch still queued (reservation) has no domain yet and
   * just leaves the queue. The reason says which of the two it was.
   */
  abandon(nowNs: number, launch: Launch): void {
    if (launch.outcome !== 'building' && launch.outcome !== 'queued') return;
    const wasQueued = launch.outcome === 'queued';
    const queued = this.queue.indexOf(launch);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.finish(nowNs, launch, 'abandoned', wasQueued ? 'the toolstack died while the launch was queued, before its build began' : 'the toolstack died during the build');
  }

  /** The next queued launch to begin or held mem-set to do, if the launch building just ended (reservation). */
  nextQueued(): Launch | HeldMemSet | null {
    if (this.building !== null || this.queue.length === 0) return null;
    return this.queue.shift() ?? null;
  }

  private finish(endNs: number, launch: Launch, outcome: LaunchOutcome, reason: string): boolean {
    launch.outcome = outcome;
    launch.endNs = endNs;
    launch.reason = reason;
    if (this.building === launch) this.building = null;
    return outcome === 'ok';
  }
}

/** A size for people and its pages, to tell 1000 from 1001: "3.91 MiB (1000 pages)". */
function pagesText(pages: number): string {
  return `${formatPages(pages)} (${groupDigits(pages)} pages)`;
}
