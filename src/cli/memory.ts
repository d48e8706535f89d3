// The memory limit of a run (--max-memory): a scenario simulates its guests
// page by page, so its metadata grows with the guest memory it simulates
// (about 21 bytes of this machine's RAM per guest page on the bundled 1 TiB
// host: 5.4 GiB for 268 M guest pages). A scenario too large for the machine would otherwise end with the
// kernel's OOM killer (no message at all) or a V8 abort with a native stack
// trace. The guard reads the process's resident set now and then (at most
// every CHECK_EVERY_MS of wall time, between events and between guest boots)
// and stops the run with one clear message instead. It only decides whether
// a run fails: a run that stays under the limit is the same run, byte for
// byte, as without it.

import { totalmem } from 'node:os';
import { UserError } from './errors.ts';
import { withAllocationCheck } from '../lib/alloc-check.ts';
import { formatBytes, PAGE_BYTES, parsePercent, parseSizeBytes, UnitError } from '../lib/units.ts';
import type { Scenario } from '../scenario/types.ts';
import type { RunPoint } from '../sim/simulation.ts';

/** The default limit: this share of the machine's memory (or of the cgroup's, when lower). */
export const DEFAULT_MEMORY_PERCENT = 90;

/** Wall-clock milliseconds between two reads of the resident set. */
export const CHECK_EVERY_MS = 200;

/** The smallest limit accepted: below it not even the runtime fits. */
const MIN_LIMIT_BYTES = 16 * 1024 * 1024;

export interface MemoryLimit {
  bytes: number;
  /** Where the limit comes from, for the message: "--max-memory 8GiB", or the default's rule. */
  source: string;
  /** Runs on other worker threads share the process (a sweep's or a comparison's pool). */
  shared?: boolean;
}

/** The memory this process may use: the machine's, or the cgroup's limit when that is lower. */
export function machineMemoryBytes(): number {
  const total = totalmem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

/**
 * The limit a `--max-memory` flag gives (undefined: the default). A size such
 * as 8GiB, or a percent of the machine's memory such as 50%.
 */
export function parseMaxMemory(text: string | undefined, machineBytes = machineMemoryBytes()): MemoryLimit {
  const machine = formatBytes(machineBytes);
  if (text === undefined) {
    return { bytes: Math.floor((machineBytes * DEFAULT_MEMORY_PERCENT) / 100), source: `the default, ${DEFAULT_MEMORY_PERCENT}% of this machine's ${machine}; raise it with --max-memory` };
  }
  let bytes: number;
  try {
    if (text.trim().endsWith('%')) {
      const percent = parsePercent(text, '50% of this machine\'s memory (or a size such as 8GiB)');
      if (percent <= 0 || percent > 100) throw new UserError(`--max-memory ${text}: a percent of this machine's memory from above 0 to 100`);
      bytes = Math.floor((machineBytes * percent) / 100);
    } else {
      bytes = parseSizeBytes(text, '8GiB or 50%');
    }
  } catch (e) {
    if (e instanceof UnitError) throw new UserError(`--max-memory: ${e.message}`);
    throw e;
  }
  if (bytes < MIN_LIMIT_BYTES) throw new UserError(`--max-memory ${text}: at least ${formatBytes(MIN_LIMIT_BYTES)}`);
  return { bytes, source: `--max-memory ${text.trim()}` };
}

/** What a scenario asks to simulate, for the message: its guests and their memory. */
export interface ScenarioSize {
  guests: number;
  /** Of them, the guests running from the start (the rest are launched). */
  initial: number;
  guestBytes: number;
}

/** Every guest a scenario runs (initial and launched) and their memory (the larger of memory and maxmem). */
export function scenarioSize(scenario: Scenario): ScenarioSize {
  const specs = [...scenario.guests, ...scenario.timeline.flatMap((e) => (e.action.kind === 'launch' ? [e.action.guest] : []))];
  return { guests: specs.length, initial: scenario.guests.length, guestBytes: specs.reduce((sum, g) => sum + Math.max(g.memoryPages, g.maxmemPages) * PAGE_BYTES, 0) };
}

/**
 * Reads the resident set at most every CHECK_EVERY_MS and throws a UserError
 * (exit 2) when it is above the limit. `now` and `rss` are injectable for tests.
 */
export class MemoryGuard {
  private nextCheckMs = -Infinity;
  /** The last point the run reported (for naming where a growth was stopped). */
  private lastPoint: RunPoint | null = null;

  constructor(
    readonly limit: MemoryLimit,
    private readonly size: ScenarioSize,
    private readonly now: () => number = Date.now,
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {}

  check(at: RunPoint): void {
    this.lastPoint = at;
    const t = this.now();
    if (t < this.nextCheckMs) return;
    this.nextCheckMs = t + CHECK_EVERY_MS;
    const used = this.rss();
    if (used <= this.limit.bytes) return;
    const where = at.booted < at.guests ? `while booting guest ${at.booted + 1} of ${at.guests}` : `at ${Number((at.simNs / 1e9).toFixed(3))} s of simulated time`;
    throw this.outOfMemory(`holds ${formatBytes(used)} ${where}`);
  }

  /**
   * Before one table grows by `bytes` (src/lib/alloc-check.ts, installed for
   * the run by `guarded`): stops the run when the resident set and the new
   * table together would pass the limit, before the memory is taken — one
   * growth can be many GiB, more than the headroom between two reads.
   */
  allocating(bytes: number): void {
    const used = this.rss();
    if (used + bytes <= this.limit.bytes) return;
    const at = this.lastPoint;
    const where =
      at === null ? 'while starting the run' : at.booted < at.guests ? `while booting guest ${at.booted + 1} of ${at.guests}` : `in the first event after ${Number((at.simNs / 1e9).toFixed(3))} s of simulated time`;
    throw this.outOfMemory(`holds ${formatBytes(used)} and one of its tables was about to grow by ${formatBytes(bytes)} ${where}`);
  }

  /** Runs `run` with `allocating` asked before every large allocation. */
  guarded<T>(run: () => T): T {
    return withAllocationCheck((bytes) => this.allocating(bytes), run);
  }

  private outOfMemory(what: string): UserError {
    const shared = this.limit.shared === true ? '; the runs on the other worker threads share it, so fewer --jobs use less' : '';
    const { guests, initial, guestBytes } = this.size;
    const launched = guests > initial ? ` (${initial} from the start, ${guests - initial} launched)` : '';
    return new UserError(
      `out of memory: hypermem ${what}, above its limit of ${formatBytes(this.limit.bytes)} (${this.limit.source}${shared}). ` +
        `The scenario simulates ${guests} guest${guests === 1 ? '' : 's'}${launched} with ${formatBytes(guestBytes)} of memory page by page; fewer or smaller guests need less`,
    );
  }
}
