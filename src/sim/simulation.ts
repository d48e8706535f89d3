// The discrete-event simulator: builds a world from a scenario (host, tmem,
// dom0, guests, toolstack) and runs it. Events are ordered by (time in ns,
// sequence); every random choice comes from a stream of one seeded PRNG;
// guest workloads run in batches of the scenario's workload_tick. Same scenario and seed,
// same bytes out.

import { assert } from '../lib/assert.ts';
import { CheckPacer } from '../lib/pacer.ts';
import { Prng } from '../lib/prng.ts';
import { formatPages } from '../lib/units.ts';
import { Hypervisor, populateInCalls } from '../hypervisor/hypervisor.ts';
import { Tmem } from '../hypervisor/tmem/tmem.ts';
import { ABSENT_TMEM } from '../hypervisor/tmem/absent.ts';
import { EXTRA_MEM_RATIO, Guest } from '../guest/guest.ts';
import type { GuestConfig } from '../guest/config.ts';
import { DomainBuilder, memSetPromise, type Launch } from '../toolstack/builder.ts';
import type { GuestSpec, Scenario, TimelineEvent } from '../scenario/types.ts';
import { EventQueue } from './queue.ts';
import { launchSummary, ratio, type LoggedEvent, type Sample, type Summary } from './metrics.ts';
import { guestConfig } from './guest-config.ts';

const DOM0 = 0;

type SimEvent =
  | { kind: 'workload'; slot: GuestSlot }
  | { kind: 'selfballoon'; slot: GuestSlot }
  | { kind: 'balloon'; slot: GuestSlot }
  | { kind: 'build'; launch: Launch; spec: GuestSpec }
  | { kind: 'sample' }
  | { kind: 'timeline'; event: TimelineEvent };

interface GuestSlot {
  spec: GuestSpec;
  domid: number;
  guest: Guest;
  alive: boolean;
  balloonPending: boolean;
  /** The guest's workload has run up to here (its boot, then each tick's end). */
  workedToNs: number;
  ramPagesSum: number;
  ramSamples: number;
}

/** The run hit `max_events` before `duration`: a scenario problem, reported to the user. */
export class EventBoundError extends Error {
  override name = 'EventBoundError';
}

export interface RunOptions {
  /**
   * Re-check every invariant of the host and the guests; off by default for
   * speed. `true`: after every event while the state is small, spaced out on
   * a large one so that checking costs about as much as the run at most
   * (each event pays VERIFY_UNITS_PER_EVENT plus VERIFY_UNITS_PER_PAGE_OP for
   * each of the guests' page operations; a check costs the records it walks),
   * and always at the end. `'every-event'`: after every event, whatever it
   * costs (tests).
   */
  verify?: boolean | 'every-event';
  /** Called now and then with the simulated time reached. */
  onProgress?: (simNs: number, durationNs: number) => void;
  /**
   * Called after each initial guest's boot and after each event, with how far
   * the run is (the CLI's memory guard reads the process's memory there and
   * may throw to stop the run). It must not change the simulation.
   */
  onCheckpoint?: (at: RunPoint) => void;
}

/** Units of checking work (one record walked) each event pays for with verify: true. */
export const VERIFY_UNITS_PER_EVENT = 4096;
/** And each page operation of the guests in the event (an access, a fault, a free, a swap-out, an eviction). */
export const VERIFY_UNITS_PER_PAGE_OP = 4;

/** How far a run is: initial guests booted of all of them (boot is done when equal), and the simulated time. */
export interface RunPoint {
  booted: number;
  guests: number;
  simNs: number;
}

export interface RunResult {
  summary: Summary;
  samples: Sample[];
  events: LoggedEvent[];
  /** The first violations found in verify mode. */
  violations: string[];
}

export class Simulation {
  readonly hv: Hypervisor;
  readonly tmem: Tmem | null;
  readonly builder: DomainBuilder;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly slots = new Map<string, GuestSlot>();
  /** Every guest that ever ran, in order of creation, for the summary. */
  private readonly allSlots: GuestSlot[] = [];
  private readonly launches: Launch[] = [];
  private readonly launchSpecs = new Map<Launch, GuestSpec>();
  private readonly samples: Sample[] = [];
  private readonly log: LoggedEvent[] = [];
  private readonly violations: string[] = [];
  private violationCount = 0;
  private checkCount = 0;
  /** verify: true spaces its checks out (CheckPacer); the guests' page operations at the last event, and the last check and what it found. */
  private readonly verifyPacer = new CheckPacer();
  private verifyOps = 0;
  private lastCheck: { ns: number; kind: string; event: number; clean: boolean } | null = null;
  private nextDomid = 1;
  private nowNs = 0;
  private eventCount = 0;
  private nextProgressNs = 0;
  private finished = false;
  /** The last row of the time series is a guest's end, not a sample (sample()). */
  private lastRowIsEnd = false;
  private minFreePages: number;
  /** When free memory first fell to minFreePages (0: it was lowest at the start). */
  private minFreeAtNs = 0;
  private maxOutstandingPages = 0;
  private ephemeralMax = 0;
  private persistentMax = 0;
  /** Sums over samples for the dedup and compression ratios: logical pages, unique contents, frames. */
  private logicalPagesSum = 0;
  private uniqueContentsSum = 0;
  private framesUsedSum = 0;
  private readonly faults = { crashes: 0, toolstack_deaths: 0, tmem_flushes: 0, launch_bursts: 0 };
  /** The instant of the last launch request and how many were asked for then (a burst is two or more). */
  private lastLaunchNs = -1;
  private launchesAtLast = 0;

  constructor(
    readonly scenario: Scenario,
    private readonly options: RunOptions = {},
  ) {
    const host = scenario.host;
    this.hv = new Hypervisor({ pages: host.pages, xenPages: host.hypervisorReservePages, nodes: host.nodes });
    if (host.tmem.enabled) {
      this.tmem = new Tmem(this.hv, { dedup: host.tmem.dedup, tze: host.tmem.tze, compress: host.tmem.compress, store: host.tmem.store });
      this.hv.attachTmem(this.tmem);
    } else {
      this.tmem = null;
    }
    this.builder = new DomainBuilder(this.hv, scenario.toolstack);
    this.minFreePages = this.hv.physinfo().pagesFree;
    this.bootDom0();
    const guests = scenario.guests.length;
    const checkpoint = options.onCheckpoint;
    checkpoint?.({ booted: 0, guests, simNs: 0 });
    for (const [i, spec] of scenario.guests.entries()) {
      this.bootInitialGuest(spec);
      checkpoint?.({ booted: i + 1, guests, simNs: 0 });
    }
    for (const event of scenario.timeline) this.queue.push(event.atNs, { kind: 'timeline', event });
    this.queue.push(0, { kind: 'sample' }, true);
  }

  run(): RunResult {
    this.advance(this.scenario.durationNs);
    return this.result();
  }

  /**
   * Runs the events up to simulated time `untilNs` (the run's duration at
   * most) and returns whether the run is over. Running in slices gives the
   * same run as run(): the events are the same, in the same order (a live
   * view runs a slice, draws, and runs the next).
   */
  advance(untilNs: number): boolean {
    if (this.finished) return true;
    const { durationNs, maxEvents } = this.scenario;
    const limit = Math.min(untilNs, durationNs);
    while (this.queue.size > 0 && this.queue.peekTime() <= limit) {
      if (this.eventCount >= maxEvents) {
        throw new EventBoundError(`the run reached its bound of ${maxEvents} events at ${this.queue.peekTime() / 1e9} s of simulated time; raise max_events or shorten duration`);
      }
      this.nowNs = this.queue.peekTime();
      const event = this.queue.pop();
      this.eventCount++;
      this.dispatch(event);
      this.observe();
      if (this.options.verify === 'every-event' || (this.options.verify === true && this.verifyDue())) this.verify(event.kind);
      this.options.onCheckpoint?.({ booted: this.scenario.guests.length, guests: this.scenario.guests.length, simNs: this.nowNs });
      if (this.options.onProgress !== undefined && this.nowNs >= this.nextProgressNs) {
        this.options.onProgress(this.nowNs, durationNs);
        this.nextProgressNs = this.nowNs + Math.max(1, Math.floor(durationNs / 200));
      }
    }
    // Not over while an event is due within the duration.
    if (this.queue.size > 0 && this.queue.peekTime() <= durationNs) return false;
    this.finished = true;
    // The events since the last spaced check are checked once more.
    if (this.options.verify === true && this.verifyPacer.owing) {
      this.verifyPacer.reset();
      this.verify('the last event');
    }
    this.nowNs = durationNs;
    // Mem-sets the reservation toolstack still held wait for a build the run did not see end.
    const building = this.builder.buildingLaunch;
    for (const held of this.builder.heldMemSets()) {
      this.logEvent('skipped', { where: held.where, guest: held.name, note: `held by the toolstack until the build of ${building?.name ?? 'a launch'} ends, which the run did not reach` });
    }
    // The end of the run is always in the time series, also when the duration is not a multiple of the sampling interval.
    const last = this.samples[this.samples.length - 1];
    if (last === undefined || last.timeNs < durationNs || this.lastRowIsEnd) this.sample();
    this.options.onProgress?.(durationNs, durationNs);
    return true;
  }

  /** Whether the run has reached its duration (or run out of events). */
  get done(): boolean {
    return this.finished;
  }

  /** Simulated time reached so far. */
  get simulatedNs(): number {
    return this.nowNs;
  }

  /**
   * The run's results so far: the summary as of now (sim_time_ns is the time
   * reached), the samples and events logged. After the end, the run's result.
   * The arrays are the simulation's own: read them, do not change them.
   */
  result(): RunResult {
    return { summary: this.summary(), samples: this.samples, events: this.log, violations: this.violations };
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'workload': {
        const slot = event.slot;
        if (!slot.alive) return;
        const oomBefore = slot.guest.oomEventCount;
        // A tick ending now runs the workload since the last one: [workedTo, now).
        if (this.nowNs > slot.workedToNs) slot.guest.runWorkload(slot.workedToNs, this.nowNs - slot.workedToNs);
        slot.workedToNs = this.nowNs;
        const ooms = slot.guest.oomEventCount - oomBefore;
        if (ooms > 0) {
          // One line per OOM episode (a tick can hold several), so the log adds up to the summary.
          const m = slot.guest.metrics();
          for (let k = 0; k < ooms; k++) this.logEvent('oom', { guest: slot.spec.name, ram_pages: m.ramPages, committed_pages: m.committedPages, swap_used_pages: m.swap.usedSlots });
        }
        // The workload never moves the balloon target: no balloon pass here
        // (the driver's worker runs on a new target or its own retry).
        this.scheduleTick(event);
        return;
      }
      case 'selfballoon':
        if (!event.slot.alive) return;
        event.slot.guest.selfballoonTick(this.nowNs);
        this.queue.push(this.nowNs + event.slot.spec.selfballoon.intervalNs, event);
        this.scheduleBalloon(event.slot);
        return;
      case 'balloon': {
        const slot = event.slot;
        slot.balloonPending = false;
        if (!slot.alive) return;
        const delayNs = slot.guest.balloonWork(this.nowNs);
        if (delayNs !== null) {
          slot.balloonPending = true;
          this.queue.push(this.nowNs + Math.max(1, delayNs), event);
        }
        return;
      }
      case 'build':
        this.buildStep(event.launch, event.spec);
        return;
      case 'sample':
        this.sample();
        this.queue.push(this.nowNs + this.scenario.sampleIntervalNs, event, true);
        return;
      case 'timeline':
        this.timeline(event.event);
        return;
    }
  }

  private bootDom0(): void {
    const pages = this.scenario.dom0.memoryPages;
    const created = this.hv.domainCreate(DOM0, pages);
    assert(created.ok, 'dom0 could not be created');
    assert(populateInCalls(this.hv, DOM0, pages).ok, 'dom0 does not fit in the host (the scenario loader should have said so)');
  }

  private bootInitialGuest(spec: GuestSpec): void {
    const domid = this.nextDomid++;
    const created = this.hv.domainCreate(domid, spec.maxmemPages);
    assert(created.ok, `guest ${spec.name} could not be created`);
    assert(populateInCalls(this.hv, domid, spec.memoryPages).ok, `guest ${spec.name} does not fit in the host (the scenario loader should have said so)`);
    this.startGuest(spec, domid);
  }

  private startGuest(spec: GuestSpec, domid: number): void {
    const config: GuestConfig = guestConfig(spec, domid, this.scenario);
    // On a host without tmem the hypercall answers ENODEV: a guest set up for tmem still calls it (its pools fail).
    // Its own stream, named from the seed and the guest's name (unique in a
    // scenario): the guests booted before it, and the launches that failed,
    // do not move its numbers.
    const guest = new Guest(this.hv, this.tmem ?? ABSENT_TMEM, config, new Prng(this.scenario.seed, `guest:${spec.name}`));
    guest.boot(this.nowNs);
    const slot: GuestSlot = { spec, domid, guest, alive: true, balloonPending: false, workedToNs: this.nowNs, ramPagesSum: 0, ramSamples: 0 };
    this.slots.set(spec.name, slot);
    this.allSlots.push(slot);
    this.scheduleTick({ kind: 'workload', slot });
    // The worker runs for self-ballooning or for frontswap self-shrinking alone (xen_selfballoon_init).
    if (guest.selfballoonWorkerRuns) this.queue.push(this.nowNs + spec.selfballoon.intervalNs, { kind: 'selfballoon', slot });
    // A guest set up for tmem on a host without it asks for pools (frontswap at swapon, cleancache at mount): refused (ENODEV).
    const refused = this.tmem === null && ((config.frontswap && config.swapPages > 0) || (config.cleancache && config.workload.file !== null));
    const start: Record<string, string | number> = { guest: spec.name, domid, ram_pages: spec.memoryPages };
    if (refused) start.tmem = 'ENODEV';
    // Asked to self-balloon, but its kernel has no frontswap (xen_tmem_init): said, since nothing else shows it.
    if (config.selfballoon.enabled && !guest.selfballoonActive) start.selfballoon = 'off: no frontswap';
    this.logEvent('guest_start', start);
  }

  /** The guest's next workload tick, one tick on, the last cut at the end of the run (so the workload covers exactly [boot, duration)). */
  private scheduleTick(event: SimEvent & { kind: 'workload' }): void {
    const at = Math.min(this.nowNs + this.scenario.workloadTickNs, this.scenario.durationNs);
    if (at > this.nowNs) this.queue.push(at, event);
  }

  private scheduleBalloon(slot: GuestSlot): void {
    if (slot.balloonPending) return;
    slot.balloonPending = true;
    this.queue.push(this.nowNs, { kind: 'balloon', slot });
  }

  private launch(spec: GuestSpec): void {
    // Launch requests at the same instant count as a burst (a fault class of issue 8), once it happens: not one of entries after the run's end.
    this.launchesAtLast = this.nowNs === this.lastLaunchNs ? this.launchesAtLast + 1 : 1;
    this.lastLaunchNs = this.nowNs;
    if (this.launchesAtLast === 2) this.faults.launch_bursts++;
    const domid = this.nextDomid++;
    const launch = this.builder.request(this.nowNs, spec.name, domid, spec.memoryPages, spec.maxmemPages);
    this.launches.push(launch);
    this.launchSpecs.set(launch, spec);
    this.logEvent('launch_request', { guest: spec.name, domid, pages: spec.memoryPages, policy: launch.policy });
    this.afterBegin(launch, spec);
  }

  /** After `begin` (at request, or when its turn came): schedule the build or record the fast failure. */
  private afterBegin(launch: Launch, spec: GuestSpec): void {
    if (launch.outcome === 'queued') return;
    if (launch.outcome === 'building') {
      this.logEvent('launch_start', { guest: launch.name, domid: launch.domid });
      this.queue.push(this.nowNs, { kind: 'build', launch, spec });
      return;
    }
    this.launchEnded(launch);
  }

  private buildStep(launch: Launch, spec: GuestSpec): void {
    if (launch.outcome !== 'building') return;
    const next = this.builder.step(this.nowNs, launch);
    const outcome: string = launch.outcome;
    if (next !== null) {
      this.queue.push(next, { kind: 'build', launch, spec });
      return;
    }
    this.launchEnded(launch);
    // The memory is in at the end of the last batch: the guest boots.
    if (outcome === 'ok') this.startGuest(spec, launch.domid);
  }

  /** The toolstack writes a guest's balloon target; `heldSinceNs`: when it was asked, if it waited its turn (reservation). */
  private memSet(slot: GuestSlot, name: string, targetPages: number, heldSinceNs: number | null): void {
    slot.guest.setBalloonTarget(targetPages);
    // The toolstack wrote the target: its ledger holds it as a promise, up to the maxmem it booted the guest with.
    this.builder.noteMemSet(slot.domid, name, targetPages, slot.spec.maxmemPages);
    const fields: Record<string, string | number> = heldSinceNs === null ? { guest: name, target_pages: targetPages } : { guest: name, target_pages: targetPages, held_ns: this.nowNs - heldSinceNs };
    // A target past max_pfn is accepted, as Xen accepts it, and not reached: the event says how far the guest can go.
    const reachable = slot.guest.maxPfn;
    if (targetPages > reachable) {
      const boot = slot.spec.maxmemPages;
      const why =
        reachable < boot
          ? `${EXTRA_MEM_RATIO + 1} times its boot memory of ${formatPages(slot.spec.memoryPages)}, below its boot maxmem of ${formatPages(boot)}`
          : 'the maxmem it booted with';
      fields.reachable_pages = reachable;
      fields.note = `above ${name}'s max_pfn, ${formatPages(reachable)} (${why}): a running PV guest's balloon cannot grow past it, whatever max_pages is, so the target is not reached`;
    }
    this.logEvent('mem_set', fields);
    this.scheduleBalloon(slot);
  }

  /** A launch ended: logged, and the toolstack takes up what waited for it. */
  private launchEnded(launch: Launch): void {
    this.logLaunchEnd(launch);
    this.takeUpQueued();
  }

  private logLaunchEnd(launch: Launch): void {
    this.logEvent(`launch_${launch.outcome}`, {
      guest: launch.name,
      domid: launch.domid,
      requested_pages: launch.requestedPages,
      done_pages: launch.donePages,
      wasted_build_ns: launch.wastedBuildNs,
      reason: launch.reason,
    });
  }

  /** After the launch building ended (reservation): held mem-sets are done in turn; the next queued launch begins (its end does the rest of the queue). */
  private takeUpQueued(): void {
    for (let next = this.builder.nextQueued(); next !== null; next = this.builder.nextQueued()) {
      if ('kind' in next) {
        const slot = this.slots.get(next.name);
        if (slot === undefined || !slot.alive || slot.domid !== next.domid) {
          this.logEvent('skipped', { where: next.where, guest: next.name, note: 'the guest is not running' });
          continue;
        }
        this.memSet(slot, next.name, next.targetPages, next.requestNs);
        continue;
      }
      this.builder.begin(this.nowNs, next);
      const spec = this.launchSpecs.get(next);
      assert(spec !== undefined, 'queued launch without its spec');
      this.afterBegin(next, spec);
      return;
    }
  }

  private timeline(event: TimelineEvent): void {
    const a = event.action;
    switch (a.kind) {
      case 'launch':
        this.launch(a.guest);
        return;
      case 'mem_set': {
        const slot = this.liveSlot(a.guest, event);
        if (slot === null) return;
        const info = this.hv.domainInfo(slot.domid);
        // As the ledger reads it: the guest cannot grow past the maxmem it booted with, whatever max_pages says.
        const raises = info.ok && memSetPromise(a.targetPages, info, slot.spec.maxmemPages) > 0;
        const building = this.builder.buildingLaunch;
        if (this.builder.holdMemSet(this.nowNs, slot.domid, a.guest, a.targetPages, raises, event.where)) {
          this.logEvent('mem_set_held', { guest: a.guest, target_pages: a.targetPages, note: `the toolstack holds it until the build of ${building?.name ?? 'a launch'} ends (reservation)` });
          return;
        }
        this.memSet(slot, a.guest, a.targetPages, null);
        return;
      }
      case 'mem_max': {
        const slot = this.liveSlot(a.guest, event);
        if (slot === null) return;
        const r = this.hv.setMaxMem(slot.domid, a.maxmemPages);
        this.logEvent('mem_max', { guest: a.guest, maxmem_pages: a.maxmemPages, ok: r.ok });
        return;
      }
      case 'destroy':
      case 'crash': {
        const running = this.slots.get(a.guest);
        if ((running === undefined || !running.alive) && this.destroyUnbooted(a.guest, a.kind)) return;
        const slot = this.liveSlot(a.guest, event);
        if (slot === null) return;
        // The guest's last row: its final counters, also when it ends between samples.
        this.sample(false);
        slot.alive = false;
        this.slots.delete(a.guest);
        const info = this.hv.domainInfo(slot.domid);
        this.destroyDomain(slot.domid);
        if (a.kind === 'crash') this.faults.crashes++;
        this.logEvent(a.kind, {
          guest: a.guest,
          domid: slot.domid,
          freed_pages: info.ok ? info.tot_pages : 0,
          persistent_frames: info.ok ? info.tmem_pages : 0,
          claim_released: info.ok ? info.outstanding_pages : 0,
        });
        return;
      }
      case 'tmem_freeze':
      case 'tmem_thaw': {
        if (this.tmem === null) {
          this.logEvent('skipped', { where: event.where, guest: a.guest ?? 'all', note: 'tmem is off on this host' });
          return;
        }
        const domid = a.guest === null ? null : (this.liveSlot(a.guest, event)?.domid ?? -1);
        if (domid === -1) return;
        const r = a.kind === 'tmem_freeze' ? this.tmem.control.freeze(domid) : this.tmem.control.thaw(domid);
        this.logEvent(a.kind, { guest: a.guest ?? 'all', ok: r.ok });
        return;
      }
      case 'tmem_flush': {
        if (this.tmem === null) {
          this.logEvent('skipped', { where: event.where, guest: 'all', note: 'tmem is off on this host' });
          return;
        }
        const r = this.tmem.control.flush(Math.ceil((a.pages * 4096) / 1024));
        this.faults.tmem_flushes++;
        // Xen's flush answers KiB (4 per frame freed); the event counts pages, as every other one does.
        this.logEvent('tmem_flush', { asked_pages: a.pages, freed_pages: r.ok ? r.rc / 4 : 0 });
        return;
      }
      case 'toolstack_dies': {
        const launch = this.launches.find((l) => l.name === a.guest && (l.outcome === 'building' || l.outcome === 'queued'));
        if (launch === undefined) {
          this.logEvent('toolstack_dies', { guest: a.guest, note: 'no launch in progress' });
          return;
        }
        this.builder.abandon(this.nowNs, launch);
        this.faults.toolstack_deaths++;
        const info = this.hv.domainInfo(launch.domid);
        this.logEvent('toolstack_dies', { guest: a.guest, domid: launch.domid, claim_left_pages: info.ok ? info.outstanding_pages : 0 });
        this.launchEnded(launch);
        return;
      }
    }
  }

  /**
   * Destroy (or crash) of a domain that exists but has not booted: a launch
   * abandoned by a dead toolstack, or a launch still building (its last
   * batch not yet in) or queued: the build stops.
   * The domain goes with its pages and its claim. False when there is no such
   * launch (the caller then logs the event as skipped).
   */
  private destroyUnbooted(name: string, kind: 'destroy' | 'crash'): boolean {
    let launch: Launch | undefined;
    for (const l of this.launches) if (l.name === name && l.outcome !== 'failed_fast' && l.outcome !== 'failed_midway') launch = l;
    if (launch === undefined) return false;
    let stopped = false;
    if (launch.outcome === 'building' || launch.outcome === 'queued') {
      const done = kind === 'crash' ? 'crashed' : 'destroyed';
      // A queued launch has no domain yet: the guest it would have been is what the timeline named.
      const reason = launch.outcome === 'queued' ? `the guest was ${done} while its launch was queued, before its build began` : `the domain was ${done} during the build`;
      this.builder.abandon(this.nowNs, launch);
      launch.reason = reason;
      this.logLaunchEnd(launch);
      stopped = true;
    }
    const info = this.hv.domainInfo(launch.domid);
    if (!info.ok) {
      if (!stopped) return false;
      // A queued launch has no domain yet: the launch stops, nothing to free.
      if (kind === 'crash') this.faults.crashes++;
      this.logEvent(kind, { guest: name, domid: launch.domid, freed_pages: 0, persistent_frames: 0, claim_released: 0, note: 'the launch was queued: no domain yet' });
    } else {
      this.destroyDomain(launch.domid);
      if (kind === 'crash') this.faults.crashes++;
      this.logEvent(kind, { guest: name, domid: launch.domid, freed_pages: info.tot_pages, persistent_frames: info.tmem_pages, claim_released: info.outstanding_pages });
    }
    // What waited for a build the destroy stopped is taken up once its pages are back: the next launch's admission counts them free.
    if (stopped) this.takeUpQueued();
    return true;
  }

  /** The toolstack destroys a domain (destroy, or the remains of a crash): it leaves the ledger too. */
  private destroyDomain(domid: number): void {
    this.hv.domainDestroy(domid);
    this.builder.forget(domid);
  }

  /** The guests running now, with their metrics and their own invariants (tests: nothing lost, no mismatch). */
  liveGuests(): { name: string; domid: number; metrics: ReturnType<Guest['metrics']>; violations: string[] }[] {
    return [...this.slots.values()]
      .filter((s) => s.alive)
      .map((s) => ({ name: s.spec.name, domid: s.domid, metrics: s.guest.metrics(), violations: s.guest.violations() }));
  }

  private liveSlot(name: string, event: TimelineEvent): GuestSlot | null {
    const slot = this.slots.get(name);
    if (slot === undefined || !slot.alive) {
      this.logEvent('skipped', { where: event.where, guest: name, note: 'the guest is not running' });
      return null;
    }
    return slot;
  }

  /** Cheap per-event observations for the summary's extremes. */
  private observe(): void {
    const free = this.hv.acct.pagesFree;
    if (free < this.minFreePages) {
      this.minFreePages = free;
      this.minFreeAtNs = this.nowNs;
    }
    const out = this.hv.acct.pagesOutstanding;
    if (out > this.maxOutstandingPages) this.maxOutstandingPages = out;
    if (this.tmem !== null) {
      const s = this.tmem.stats();
      if (s.ephemeralPages > this.ephemeralMax) this.ephemeralMax = s.ephemeralPages;
      if (s.persistentPages > this.persistentMax) this.persistentMax = s.persistentPages;
    }
  }

  /** verify: true: whether the events since the last check have paid for one now. */
  private verifyDue(): boolean {
    let ops = 0;
    for (const slot of this.allSlots) ops += slot.guest.pageOps();
    const paid = VERIFY_UNITS_PER_EVENT + VERIFY_UNITS_PER_PAGE_OP * (ops - this.verifyOps);
    this.verifyOps = ops;
    let cost = this.hv.checkCost();
    for (const slot of this.slots.values()) cost += slot.guest.checkCost();
    return this.verifyPacer.pay(paid, cost);
  }

  private verify(kind: string): void {
    const broken = this.hv.violations();
    for (const slot of this.slots.values()) broken.push(...slot.guest.violations().map((v) => `${slot.spec.name}: ${v}`));
    this.checkCount++;
    const previous = this.lastCheck;
    this.lastCheck = { ns: this.nowNs, kind, event: this.eventCount, clean: broken.length === 0 };
    if (broken.length === 0) return;
    this.violationCount += broken.length;
    // Events since the check before were not checked: a violation that check did not see happened in one of them.
    const unchecked = this.eventCount - (previous?.event ?? 0);
    const since =
      unchecked <= 1
        ? ''
        : previous === null
          ? ` (the first check, after ${unchecked} events)`
          : ` (the check before, at t=${previous.ns}ns after ${previous.kind}, ${unchecked} events earlier, found ${previous.clean ? 'none' : 'violations too'})`;
    for (const v of broken) {
      if (this.violations.length < 20) this.violations.push(`t=${this.nowNs}ns after ${kind}${since}: ${v}`);
    }
  }

  /**
   * A row of the time series. `regular`: a sample (every sample_interval,
   * and the end of the run), which the summary's means count; else the row
   * of a guest's end (destroy, crash), which only the time series has. One
   * row per instant: a row at the time of the last replaces it, keeping the
   * last values of the guests that ended since.
   */
  private sample(regular = true): void {
    const last = this.samples[this.samples.length - 1];
    const carried: Sample['guests'] = {};
    if (last !== undefined && last.timeNs === this.nowNs) {
      this.samples.pop();
      for (const [name, g] of Object.entries(last.guests)) if (!this.slots.has(name)) carried[name] = { ...g, ended: true };
    }
    this.lastRowIsEnd = !regular;
    const s = this.hv.physinfo();
    const t = this.tmem?.stats();
    if (regular && t !== undefined) {
      this.logicalPagesSum += t.ephemeralPages + t.persistentPages;
      this.uniqueContentsSum += t.uniqueContents;
      this.framesUsedSum += t.framesUsed;
    }
    const guests: Sample['guests'] = carried;
    for (const slot of this.slots.values()) {
      const m = slot.guest.metrics();
      const info = this.hv.domainInfo(slot.domid);
      if (regular) {
        slot.ramPagesSum += m.ramPages;
        slot.ramSamples++;
      }
      guests[slot.spec.name] = {
        ramPages: m.ramPages,
        targetPages: m.balloonTargetPages,
        committedPages: m.committedPages,
        pageCachePages: m.pageCachePages,
        cleancacheGets: m.cleancache.gets,
        cleancacheHits: m.cleancache.hits,
        fileReads: m.disk.fileReads,
        fileWrites: m.disk.fileWrites,
        swapReads: m.disk.swapReads,
        swapWrites: m.disk.swapWrites,
        maxPages: info.ok ? info.max_pages : 0,
      };
    }
    this.samples.push({
      timeNs: this.nowNs,
      freePages: s.pagesFree,
      freeablePages: s.pagesFreeable,
      ownedPages: s.pagesOwned,
      outstandingPages: s.pagesOutstanding,
      tmemEphemeralPages: t?.ephemeralPages ?? 0,
      tmemPersistentPages: t?.persistentPages ?? 0,
      guests,
    });
  }

  private logEvent(kind: string, fields: Record<string, unknown>): void {
    this.log.push({ timeNs: this.nowNs, kind, ...fields });
  }

  private summary(): Summary {
    const t = this.tmem?.stats();
    return {
      scenario: this.scenario.name,
      seed: this.scenario.seed,
      overrides: [...(this.scenario.overrides ?? [])],
      sim_time_ns: this.nowNs,
      events: this.eventCount,
      invariant_violations: this.violationCount,
      invariant_checks: this.checkCount,
      host: { total_pages: this.hv.acct.pagesTotal, min_free_pages: this.minFreePages, min_free_at_ns: this.minFreeAtNs, max_outstanding_pages: this.maxOutstandingPages },
      launches: this.launches.map(launchSummary),
      guests: this.allSlots.map((slot) => {
        const m = slot.guest.metrics();
        return {
          name: slot.spec.name,
          cleancache: { puts: m.cleancache.puts, gets: m.cleancache.gets, hits: m.cleancache.hits },
          frontswap: { stores: m.frontswap.stores, loads: m.frontswap.loads, rejects: m.frontswap.rejects },
          disk: { file_reads: m.disk.fileReads, file_writes: m.disk.fileWrites, swap_reads: m.disk.swapReads, swap_writes: m.disk.swapWrites, busy_ns: m.disk.busyNs },
          workingset: { refaults: m.workingsetRefaults, activations: m.workingsetActivations },
          oom_events: m.oomEvents,
          ram_pages_mean: slot.ramSamples === 0 ? m.ramPages : Math.round(slot.ramPagesSum / slot.ramSamples),
        };
      }),
      tmem: {
        ephemeral_pages_max: this.ephemeralMax,
        persistent_pages_max: this.persistentMax,
        evictions: t?.evictions ?? 0,
        // Over the samples: the sum of logical pages over the sum of unique contents, and of frames used (a ratio of sums).
        dedup_ratio: ratio(this.logicalPagesSum, this.uniqueContentsSum),
        compression_ratio: ratio(this.logicalPagesSum, this.framesUsedSum),
      },
      faults: this.faults,
    };
  }
}
