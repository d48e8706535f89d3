// What a run records: sampled time series, the event log, and the summary
// (the stable `--json` shape documented in the README).

import type { Launch } from '../toolstack/builder.ts';

export interface GuestSample {
  ramPages: number;
  targetPages: number;
  committedPages: number;
  pageCachePages: number;
  cleancacheGets: number;
  cleancacheHits: number;
  fileReads: number;
  /** Write-backs of dirty page-cache pages to the disk (the summary's disk.file_writes). */
  fileWrites: number;
  swapReads: number;
  swapWrites: number;
  /** The domain's max_pages (maxmem, or what mem_max set): RAM and the guest's frontswap frames in tmem count against it. */
  maxPages: number;
  /**
   * Set in a row that keeps the last values of a guest that ended (destroy,
   * crash) at that instant but is no longer running when the row is taken:
   * its counters are final, it holds no memory any more.
   */
  ended?: true;
}

export interface Sample {
  timeNs: number;
  freePages: number;
  freeablePages: number;
  ownedPages: number;
  outstandingPages: number;
  tmemEphemeralPages: number;
  tmemPersistentPages: number;
  /** By guest name; absent when the guest does not exist at that time. */
  guests: Record<string, GuestSample>;
}

export interface LoggedEvent {
  timeNs: number;
  kind: string;
  [field: string]: unknown;
}

export interface GuestSummary {
  name: string;
  cleancache: { puts: number; gets: number; hits: number };
  frontswap: { stores: number; loads: number; rejects: number };
  /**
   * Pages of disk I/O by cause (file_writes: write-back of dirty page-cache
   * pages), and busy_ns: the device time they take at the guest's
   * disk_latency per page, one after another (I/O takes no simulated time).
   */
  disk: { file_reads: number; file_writes: number; swap_reads: number; swap_writes: number; busy_ns: number };
  /** Page-cache read misses on evicted pages (vmstat workingset_refault), and those read straight into the active list (workingset_activate). */
  workingset: { refaults: number; activations: number };
  oom_events: number;
  ram_pages_mean: number;
}

export interface Summary {
  scenario: string;
  seed: number;
  /** The `--set` flags the run's scenario was loaded with, as given, sorted ([] for the file as it is). */
  overrides: string[];
  sim_time_ns: number;
  events: number;
  invariant_violations: number;
  /** Whole-structure invariant checks run (--verify); 0 without --verify, when nothing was checked. */
  invariant_checks: number;
  /** min_free_at_ns: the simulated time free memory first fell to min_free_pages (0: at the start). */
  host: { total_pages: number; min_free_pages: number; min_free_at_ns: number; max_outstanding_pages: number };
  launches: {
    name: string;
    policy: string;
    outcome: string;
    requested_pages: number;
    /** When the toolstack was asked to launch. */
    request_ns: number;
    /** When building started (after the reservation queue); -1 if it never did. */
    start_ns: number;
    end_ns: number;
    wasted_build_ns: number;
  }[];
  guests: GuestSummary[];
  tmem: {
    ephemeral_pages_max: number;
    persistent_pages_max: number;
    evictions: number;
    dedup_ratio: number;
    compression_ratio: number;
  };
  faults: { crashes: number; toolstack_deaths: number; tmem_flushes: number; launch_bursts: number };
}

/** A launch the run's end caught before it finished: still building, or still waiting in the `reservation` queue. */
export function unfinished(outcome: string): boolean {
  return outcome === 'building' || outcome === 'queued';
}

/** How many of a run's launches ended with `outcome` (or pass it, a test of the outcome). */
export function launchCount(s: Summary, outcome: string | ((outcome: string) => boolean)): number {
  return s.launches.filter((l) => (typeof outcome === 'string' ? l.outcome === outcome : outcome(l.outcome))).length;
}

export function launchSummary(l: Launch): Summary['launches'][number] {
  return {
    name: l.name,
    policy: l.policy,
    outcome: l.outcome,
    requested_pages: l.requestedPages,
    request_ns: l.requestNs,
    start_ns: l.startNs,
    end_ns: l.endNs,
    wasted_build_ns: l.wastedBuildNs,
  };
}

/** Rounds a ratio to 4 decimals so the JSON is stable and readable. */
export function ratio(numerator: number, denominator: number): number {
  if (denominator === 0) return 1;
  return Math.round((numerator / denominator) * 10000) / 10000;
}
