// From a schema-checked scenario (units already parsed) to the Scenario the
// simulator consumes: defaults from docs/scenario.md filled in, guest groups
// expanded into members, the timeline sorted, and the checks that need more
// than one field (memory ≤ maxmem, unique names, guests that fit the host,
// timeline references to guests that exist at that time), the bounds that keep
// a valid scenario runnable (sizes the guest model can hold, work a run can
// finish: docs/scenario.md, "Bounds"), and every trace file read and checked.
// Every failure is a Problem at a YAML path; load.ts turns it into a located
// ScenarioError.

import { statSync, type Stats } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GCD_SAMPLE_INTERVAL_NS, loadGcdTrace, MAX_TRACE_MEM_PERCENT, TraceFormatError } from '../guest/workload/trace.ts';
import { DURATION_UNITS_NS, formatNs, formatPages, groupDigits, PAGE_BYTES, pagesBeside, type SizeOrPercent } from '../lib/units.ts';
import { assert } from '../lib/assert.ts';
import { formatPath, Problem, quote, type YamlPath } from './errors.ts';
import { MAX_CLOCK_NS, TIMELINE_ACTIONS, type RawGuestGroup, type RawScenario, type RawTimelineEntry } from './schema.ts';
import type { AnonAccess, AnonProfile, ContentsSpec, FilesSpec, GuestSpec, Scenario, SelfballoonSpec, TimelineAction, TimelineEvent } from './types.ts';

/** At most this many guests in all, initial and launched. */
export const MAX_GUESTS = 10_000;

const GIB_PAGES = (1024 * 1024 * 1024) / PAGE_BYTES;
const MIB_PAGES = (1024 * 1024) / PAGE_BYTES;
const TIB_PAGES = 1024 * GIB_PAGES;
const S_NS = Number(DURATION_UNITS_NS.s);
const MS_NS = Number(DURATION_UNITS_NS.ms);

// Bounds (docs/scenario.md, "Bounds"). Each is stricter than what the model
// asserts or can allocate, so a scenario that loads does not crash the run,
// and each is far beyond what the bundled examples use.

/**
 * Largest anonymous demand of a guest: the guest model keeps 16 bytes per
 * page of demand in one typed array, which V8 caps at 2^32 elements, so 2^30
 * pages (4 TiB). Profiles other than trace stay within maxmem; a trace's
 * peak times its scale may go above (up to MAX_DEMAND_PERCENT of maxmem).
 */
export const MAX_DEMAND_PAGES = 4 * TIB_PAGES;
/**
 * Largest maxmem (and so memory) of a guest: the demand bound. Xen's max_mem
 * is only a cap and may exceed the host's memory (a guest balloons within
 * it), so maxmem is not compared with the host; the initial memory is.
 */
export const MAX_MAXMEM_PAGES = MAX_DEMAND_PAGES;
/** Largest anonymous demand, in % of maxmem: a trace's peak times its scale (the other profiles stay ≤ 100%). */
export const MAX_DEMAND_PERCENT = MAX_TRACE_MEM_PERCENT;
/**
 * Largest swap device. The guest's slot tables grow with use, up to 8 bytes a
 * slot when full (src/guest/swap.ts): a full 256 GiB device costs 512 MiB.
 * (The guest asserts swap offsets fit 32 bits: 16 TiB.) A swap device larger
 * than the guest's memory is ordinary, so it is not compared with maxmem.
 */
export const MAX_SWAP_PAGES = 256 * GIB_PAGES;
/**
 * All guests' swap together, initial and launched: a full slot costs the
 * simulator 8 bytes of swap tables and 16 of anonymous page record, so 512 GiB
 * of swap in all is at most 3 GiB of the simulator's memory, however many
 * guests share it (ten thousand guests with the default 1 GiB each could need 59).
 */
export const MAX_TOTAL_SWAP_PAGES = 512 * GIB_PAGES;
/** Largest file working set given as a size: file-set page numbers are 32-bit in the guest; kept with maxmem's bound. */
export const MAX_WORKING_SET_PAGES = TIB_PAGES;
/**
 * Fastest page-access rate of a guest (anon.rate, files.rate): accesses are
 * not events, so max_events does not bound them; a run does rate × duration
 * of them. 500 times the busiest bundled example (20000/s); a guest at both
 * ceilings simulates about 4 times slower than real time on one core.
 */
export const MAX_ACCESS_RATE_PER_S = 10_000_000;
/**
 * Fastest swing of anonymous demand (spikes, diurnal): pages faulted in and
 * freed per second, 2 × (peak − level) × maxmem per period. Like the access
 * rates, the page operations of a swing are not events, so max_events does
 * not bound them; the same ceiling as the access rates. A 16 GiB guest
 * swinging 55% of it may then spike every 0.46 s.
 */
export const MAX_DEMAND_SWING_PER_S = MAX_ACCESS_RATE_PER_S;
/** Shortest trace.interval: a sample shorter than Linux's tick (HZ=1000, 1 ms), as sample_interval and workload_tick. */
export const MIN_TRACE_INTERVAL_NS = MS_NS;
/** Shortest delete_every: each unlink drops a file's cached pages; 1000 a second is already a storm. */
export const MIN_DELETE_EVERY_NS = MS_NS;
/** Shortest sample_interval and workload_tick: Linux's own tick (HZ=1000) is 1 ms. */
export const MIN_SAMPLE_INTERVAL_NS = MS_NS;
export const MIN_WORKLOAD_TICK_NS = MS_NS;
/**
 * Most samples in a run (duration / sample_interval), and most guest samples
 * (samples × guests, initial and launched): the time series is kept in memory
 * until the run ends, about 150 bytes a guest sample, so 10 million is about
 * 1.5 GB. A day sampled every second is 86400 samples.
 */
export const MAX_SAMPLES = 1_000_000;
export const MAX_GUEST_SAMPLES = 10_000_000;
/** selfballoon.interval: Linux's selfballoon_interval is a whole number of seconds, at least 1 (the sysfs store refuses 0). */
export const SELFBALLOON_INTERVAL_UNIT_NS = 1_000_000_000;
/** Longest duration and clock interval (schema.ts): a time plus an interval stays a whole number of ns below 2^53. */
export { MAX_CLOCK_NS };
/** Longest build batch: one populate call is one event, at now + batch / build_rate; kept with the clock's bound. */
export const MAX_BUILD_BATCH_NS = MAX_CLOCK_NS;
/** Smallest NUMA node (the hypervisor needs at least a page per node; a real node has GiBs). */
export const MIN_NODE_PAGES = MIB_PAGES;

/** The defaults of docs/scenario.md, in our units. */
export const DEFAULTS = Object.freeze({
  seed: 1,
  sampleIntervalNs: 5 * S_NS,
  workloadTickNs: S_NS / 10,
  maxEvents: 100_000_000,
  nodes: 1,
  dom0Pages: GIB_PAGES,
  policy: 'claim' as const,
  buildPagesPerS: 4 * GIB_PAGES,
  buildBatchPages: 64 * MIB_PAGES,
  swapPages: GIB_PAGES,
  kernelReservePercent: 2,
  diskLatencyNs: 5 * MS_NS,
  selfballoon: {
    intervalNs: 5 * S_NS,
    downHysteresis: 8,
    upHysteresis: 1,
    reservedPercent: 10,
    frontswapHysteresis: 20,
    frontswapInertia: 3,
  },
  anonLevelPercent: 40,
  /** Scenarios touch anonymous memory by default (the guest engine's own default, src/guest/config.ts, is none). */
  anonAccess: { ratePerS: 5000, zipf: 0.8 },
  diurnalPeriodNs: 24 * 3600 * S_NS,
  files: { workingSetPages: GIB_PAGES, ratePerS: 20_000, zipf: 0.9, scanPercent: 10, writePercent: 5 },
  contents: { zeroPercent: 5, imagePercent: 30, high: 40, medium: 40, low: 20 },
});

/** The project root, the second place a relative trace file is looked for. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function share(percent: number, path: YamlPath, of: string): number {
  if (percent > 100) throw new Problem(path, `expected a share of ${of} from 0% to 100%, found ${percent}%`);
  return percent;
}

function pagesOf(value: SizeOrPercent, wholePages: number, path: YamlPath, of: string): number {
  if ('pages' in value) return value.pages;
  return Math.floor((wholePages * share(value.percent, path, of)) / 100);
}

function atLeastOnePage(pages: number, path: YamlPath): number {
  // The schema refuses a size under one page with the size it found (pageSize, pagesRate).
  assert(pages >= 1, `${formatPath(path)}: ${pages} pages passed the schema's at-least-one-page check`);
  return pages;
}

function positiveNs(ns: number, path: YamlPath): number {
  if (ns <= 0) throw new Problem(path, 'expected a duration longer than 0s, found 0s');
  return ns;
}

function specialKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'something';
}

function traceFile(file: string, scenarioFile: string, path: YamlPath): string {
  // "" would resolve to the scenario's own folder, and no file name holds a NUL.
  if (file === '') throw new Problem(path, 'expected a trace file name, found an empty one');
  if (file.includes('\0')) throw new Problem(path, 'a file name cannot hold a NUL character');
  // Resolved (so normalised) either way: one file is one key of the traces read, however it is spelt.
  const candidates = isAbsolute(file)
    ? [resolvePath(file)]
    : [resolvePath(scenarioFile === '' ? '.' : dirname(scenarioFile), file), resolvePath(REPO_ROOT, file)];
  for (const candidate of candidates) {
    let stats: Stats;
    try {
      stats = statSync(candidate);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Not there (or a link to nothing, or a name no file can have): try the next place.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') continue;
      const why = code === 'ELOOP' ? 'a loop of symbolic links (ELOOP)' : code === 'EACCES' ? 'permission denied (EACCES)' : (code ?? (e as Error).message);
      throw new Problem(path, `cannot read the trace file ${candidate}: ${why}`);
    }
    if (stats.isDirectory()) throw new Problem(path, `expected a trace file, found a directory: ${candidate}`);
    // A FIFO would block the loader, a device such as /dev/zero never ends.
    if (!stats.isFile()) throw new Problem(path, `expected a trace file, found ${specialKind(stats)}, not a regular file: ${candidate}`);
    return candidate;
  }
  const where = isAbsolute(file) ? '' : ' (looked beside the scenario file and in the project root)';
  throw new Problem(path, `no such trace file ${quote(file)}${where}`);
}

/** An access rate, at most MAX_ACCESS_RATE_PER_S. */
function accessRate(ratePerS: number, path: YamlPath): number {
  if (ratePerS > MAX_ACCESS_RATE_PER_S) {
    throw new Problem(path, `expected at most ${MAX_ACCESS_RATE_PER_S}/s (accesses per second of one guest), found ${ratePerS}/s`);
  }
  return ratePerS;
}

function resolveAnon(raw: RawGuestGroup, path: YamlPath, ctx: GroupContext, maxmemPages: number): AnonProfile & AnonAccess {
  const anon = raw.workload?.anon ?? {};
  const access: AnonAccess = {
    ratePerS: accessRate(anon.rate ?? DEFAULTS.anonAccess.ratePerS, [...path, 'rate']),
    zipf: anon.zipf ?? DEFAULTS.anonAccess.zipf,
  };
  return { ...resolveAnonProfile(raw, path, ctx, maxmemPages), ...access };
}

/**
 * A value above `limit` as text that shows it is above: as few digits as
 * read well (6 significant), more when those round it down to the limit
 * (200.0000000001% of a 50% peak is 100.00000000005%, not "100%").
 */
export function above(value: number, limit: number): string {
  for (let digits = 6; digits < 17; digits++) {
    const shown = Number(value.toPrecision(digits));
    if (shown > limit) return String(shown);
  }
  return String(value);
}

/**
 * The memory samples of all the trace files of one scenario, together: as
 * many as the largest trace file can hold (16 MiB of "0 1" lines), 32 MiB as
 * the simulator holds them. A day of GCD samples is 288.
 */
export const MAX_TOTAL_TRACE_SAMPLES = 4 * 1024 * 1024;

/**
 * A trace as read: its samples, their peak, and the largest change between
 * two samples in a row: from one to the next, and from the last back to the
 * first (a looping replay goes back over one interval).
 */
interface LoadedTrace {
  samples: Float64Array;
  peakPercent: number;
  largestStepPercent: number;
  wrapStepPercent: number;
}

/** The traces one scenario has read, by file (each is read once however many groups replay it), and their samples in all. */
interface TracesRead {
  byFile: Map<string, LoadedTrace>;
  samples: number;
}

function loadTrace(file: string, path: YamlPath, traces: TracesRead): LoadedTrace {
  const known = traces.byFile.get(file);
  if (known !== undefined) return known;
  let samples: Float64Array;
  try {
    samples = loadGcdTrace(file).memPercent;
  } catch (e) {
    if (!(e instanceof TraceFormatError)) throw e;
    throw new Problem([...path, 'file'], `not a usable trace: ${e.message}`);
  }
  traces.samples += samples.length;
  if (traces.samples > MAX_TOTAL_TRACE_SAMPLES) {
    throw new Problem(
      [...path, 'file'],
      `the scenario's trace files hold ${traces.samples} samples with this one: at most ${MAX_TOTAL_TRACE_SAMPLES} in all (each costs the simulator 8 bytes; a file replayed by several guests counts once)`,
    );
  }
  let peakPercent = 0;
  let largestStepPercent = 0;
  samples.forEach((p, i) => {
    peakPercent = Math.max(peakPercent, p);
    if (i > 0) largestStepPercent = Math.max(largestStepPercent, Math.abs(p - samples[i - 1]));
  });
  const wrapStepPercent = Math.abs(samples[0] - samples[samples.length - 1]);
  const loaded = { samples, peakPercent, largestStepPercent, wrapStepPercent };
  traces.byFile.set(file, loaded);
  return loaded;
}

/**
 * Reads and checks the trace now, so that `validate` refuses what `run` would
 * fail on; the peak of the trace times its scale is the guest's largest
 * anonymous demand, bounded like the trace itself (MAX_DEMAND_PERCENT).
 */
function checkTrace(file: string, scalePercent: number, maxmemPages: number, path: YamlPath, traces: TracesRead): LoadedTrace {
  const loaded = loadTrace(file, path, traces);
  const peakPercent = loaded.peakPercent;
  // As the simulator scales the samples (src/sim/guest-config.ts).
  const demandPercent = (peakPercent * scalePercent) / 100;
  if (demandPercent > MAX_DEMAND_PERCENT) {
    throw new Problem(
      [...path, 'scale'],
      `the trace peaks at ${peakPercent}% of maxmem, scaled by ${scalePercent}% that is ${above(demandPercent, MAX_DEMAND_PERCENT)}%: ` +
        `at most ${MAX_DEMAND_PERCENT}% of maxmem (so a scale of at most ${Math.floor((MAX_DEMAND_PERCENT * 100 * 1000) / peakPercent) / 1000}%)`,
    );
  }
  const demandPages = (maxmemPages * demandPercent) / 100;
  if (demandPages > MAX_DEMAND_PAGES) {
    // In pages, exactly: sizes rounded to two decimals would read "4 TiB of demand, at most 4 TiB".
    throw new Problem(
      [...path, 'scale'],
      `the trace peaks at ${above(demandPercent, (MAX_DEMAND_PAGES * 100) / maxmemPages)}% of maxmem (${formatPages(maxmemPages)}, ${groupDigits(maxmemPages)} pages) after scaling: ` +
        `${groupDigits(Math.ceil(demandPages))} pages (${formatPages(Math.ceil(demandPages))}) of demand, at most ${groupDigits(MAX_DEMAND_PAGES)} pages (${formatPages(MAX_DEMAND_PAGES)}, the largest the model holds)`,
    );
  }
  return loaded;
}

/**
 * trace.interval: at least MIN_TRACE_INTERVAL_NS, and long enough for the
 * trace's largest step between two samples (times scale, of maxmem) to stay
 * within MAX_DEMAND_SWING_PER_S: the replay interpolates, so it faults that
 * step in (or frees it) over one interval. Never binding at the data's own
 * 5 minutes (the largest demand, MAX_DEMAND_PAGES, takes about 107 s).
 */
function traceInterval(intervalNs: number, trace: LoadedTrace, loop: boolean, scalePercent: number, maxmemPages: number, path: YamlPath): number {
  atLeastNs(intervalNs, MIN_TRACE_INTERVAL_NS, path);
  const largestPercent = loop ? Math.max(trace.largestStepPercent, trace.wrapStepPercent) : trace.largestStepPercent;
  const stepPages = Math.ceil((((largestPercent * scalePercent) / 100) * maxmemPages) / 100);
  const shortestNs = Math.ceil((stepPages * 1e9) / MAX_DEMAND_SWING_PER_S);
  if (intervalNs < shortestNs) {
    throw new Problem(
      path,
      `expected at least ${formatNs(shortestNs)} for the trace's largest step between two samples${loop ? ' (the last and the first included)' : ''}, ${Number(largestPercent.toPrecision(6))}% of maxmem (${formatPages(maxmemPages)}) scaled by ${scalePercent}%, found ${formatNs(intervalNs)}: ` +
        `the replay faults it in or frees it over one interval, at most ${groupDigits(MAX_DEMAND_SWING_PER_S)} pages a second of one guest`,
    );
  }
  return intervalNs;
}

/**
 * The peak of spikes or diurnal: a share of maxmem at or above the level. A
 * peak below the level would mean something else in each (spikes would be
 * dropped, the sine would run between them upside down), so it is refused.
 */
function peakOf(peakPercent: number, levelPercent: number, path: YamlPath): number {
  share(peakPercent, path, 'maxmem');
  if (peakPercent < levelPercent) throw new Problem(path, `expected a peak at or above level (${levelPercent}%), found ${peakPercent}%`);
  return peakPercent;
}

/**
 * A period of spikes or diurnal short enough for its swing (peak − level of
 * maxmem, up and down once a period) to stay within MAX_DEMAND_SWING_PER_S.
 */
function swingPeriod(periodNs: number, levelPercent: number, peakPercent: number, maxmemPages: number, path: YamlPath): number {
  const swingPages = Math.ceil(((peakPercent - levelPercent) / 100) * maxmemPages);
  const shortestNs = Math.ceil((2 * swingPages * 1e9) / MAX_DEMAND_SWING_PER_S);
  if (periodNs < shortestNs) {
    throw new Problem(
      path,
      `expected at least ${formatNs(shortestNs)} for a swing of ${formatPages(swingPages)} (peak − level of maxmem), found ${formatNs(periodNs)}: each period faults the swing in and frees it, at most ${groupDigits(MAX_DEMAND_SWING_PER_S)} pages a second of one guest`,
    );
  }
  return periodNs;
}

function resolveAnonProfile(raw: RawGuestGroup, path: YamlPath, ctx: GroupContext, maxmemPages: number): AnonProfile {
  const anon = raw.workload?.anon ?? {};
  const profile = anon.profile ?? 'constant';
  const levelPercent = share(anon.level ?? DEFAULTS.anonLevelPercent, [...path, 'level'], 'maxmem');
  // A trace gives the demand at every instant: a level would be accepted and do nothing.
  if (profile === 'trace' && anon.level !== undefined) {
    throw new Problem([...path, 'level'], 'not used with profile: trace (the trace file gives the demand; to change it, set trace.scale)');
  }
  for (const other of ['step', 'diurnal', 'spikes', 'trace'] as const) {
    if (other !== profile && anon[other] !== undefined) {
      throw new Problem([...path, other], `only used with profile: ${other} (the profile is ${profile})`);
    }
  }
  const need = <T>(block: T | undefined): T => {
    if (block === undefined) throw new Problem([...path, profile], `required with profile: ${profile}`);
    return block;
  };
  switch (profile) {
    case 'constant':
      return { profile, levelPercent };
    case 'step': {
      const step = need(anon.step);
      return { profile, levelPercent, atNs: step.at, stepLevelPercent: share(step.level, [...path, 'step', 'level'], 'maxmem') };
    }
    case 'diurnal': {
      const d = need(anon.diurnal);
      const peakPercent = peakOf(d.peak, levelPercent, [...path, 'diurnal', 'peak']);
      const periodPath = [...path, 'diurnal', 'period'];
      return {
        profile,
        levelPercent,
        peakPercent,
        periodNs: swingPeriod(positiveNs(d.period ?? DEFAULTS.diurnalPeriodNs, periodPath), levelPercent, peakPercent, maxmemPages, periodPath),
        phaseNs: d.phase ?? 0,
      };
    }
    case 'spikes': {
      const s = need(anon.spikes);
      const peakPercent = peakOf(s.peak, levelPercent, [...path, 'spikes', 'peak']);
      const everyPath = [...path, 'spikes', 'every'];
      const everyNs = swingPeriod(positiveNs(s.every, everyPath), levelPercent, peakPercent, maxmemPages, everyPath);
      const lengthNs = positiveNs(s.length, [...path, 'spikes', 'length']);
      if (lengthNs >= everyNs) {
        throw new Problem([...path, 'spikes', 'length'], `expected a spike shorter than every (${formatNs(everyNs)}), found ${formatNs(lengthNs)}`);
      }
      return {
        profile,
        levelPercent,
        peakPercent,
        everyNs,
        lengthNs,
        jitterNs: s.jitter ?? 0,
      };
    }
    case 'trace': {
      const t = need(anon.trace);
      const file = traceFile(t.file, ctx.scenarioFile, [...path, 'trace', 'file']);
      const scalePercent = t.scale ?? 100;
      const trace = checkTrace(file, scalePercent, maxmemPages, [...path, 'trace'], ctx.traces);
      const loop = (t.at_end ?? 'loop') === 'loop';
      const intervalNs = traceInterval(t.interval ?? GCD_SAMPLE_INTERVAL_NS, trace, loop, scalePercent, maxmemPages, [...path, 'trace', 'interval']);
      // offsetNs is member 0's; resolveGroup moves each other member on by offset_step.
      return { profile, levelPercent, file, scalePercent, offsetNs: t.offset ?? 0, intervalNs, loop, memPercent: trace.samples };
    }
  }
}

function resolveFiles(raw: RawGuestGroup, maxmemPages: number, path: YamlPath): FilesSpec {
  const files = raw.workload?.files ?? {};
  const d = DEFAULTS.files;
  const workingSetPages =
    files.working_set === undefined ? d.workingSetPages : pagesOf(files.working_set, maxmemPages, [...path, 'working_set'], 'maxmem');
  if (workingSetPages > MAX_WORKING_SET_PAGES) {
    const [found, most] = pagesBeside(workingSetPages, MAX_WORKING_SET_PAGES);
    throw new Problem([...path, 'working_set'], `expected at most ${most}, found ${found}`);
  }
  const deleteEveryNs = files.delete_every ?? 0;
  if (deleteEveryNs > 0 && deleteEveryNs < MIN_DELETE_EVERY_NS) {
    throw new Problem([...path, 'delete_every'], `expected 0s (never) or at least ${formatNs(MIN_DELETE_EVERY_NS)}, found ${formatNs(deleteEveryNs)}`);
  }
  return {
    workingSetPages,
    ratePerS: accessRate(files.rate ?? d.ratePerS, [...path, 'rate']),
    zipf: files.zipf ?? d.zipf,
    scanPercent: share(files.scan_share ?? d.scanPercent, [...path, 'scan_share'], 'accesses'),
    writePercent: share(files.write_share ?? d.writePercent, [...path, 'write_share'], 'accesses'),
    deleteEveryNs,
  };
}

function resolveContents(raw: RawGuestGroup, path: YamlPath): ContentsSpec {
  const contents = raw.workload?.contents ?? {};
  const d = DEFAULTS.contents;
  const zeroPercent = share(contents.zero_share ?? d.zeroPercent, [...path, 'zero_share'], 'pages');
  const imagePercent = share(contents.image_share ?? d.imagePercent, [...path, 'image_share'], 'pages');
  if (zeroPercent + imagePercent > 100) {
    throw new Problem([...path, 'image_share'], `zero_share and image_share are shares of the same pages: together at most 100%, found ${zeroPercent + imagePercent}%`);
  }
  const c = contents.compressibility ?? { high: d.high, medium: d.medium, low: d.low };
  const sum = c.high + c.medium + c.low;
  if (Math.abs(sum - 100) > 1e-9) {
    throw new Problem([...path, 'compressibility'], `expected high, medium and low to add up to 100%, found ${c.high}% + ${c.medium}% + ${c.low}% = ${Number(sum.toFixed(6))}%`);
  }
  return { zeroPercent, imagePercent, compressibility: { highPercent: c.high, mediumPercent: c.medium, lowPercent: c.low } };
}

function resolveSelfballoon(raw: RawGuestGroup, path: YamlPath): SelfballoonSpec {
  const sb = raw.selfballoon ?? {};
  const d = DEFAULTS.selfballoon;
  const reserved = sb.reserved ?? { percent: d.reservedPercent };
  if ('percent' in reserved) share(reserved.percent, [...path, 'reserved'], 'RAM');
  return {
    enabled: sb.enabled ?? false,
    intervalNs: wholeSeconds(sb.interval ?? d.intervalNs, [...path, 'interval']),
    downHysteresis: sb.down_hysteresis ?? d.downHysteresis,
    upHysteresis: sb.up_hysteresis ?? d.upHysteresis,
    reserved,
    minUsablePages: sb.min_usable ?? 0,
    selfShrinking: sb.selfshrinking ?? true,
    frontswapHysteresis: sb.frontswap_hysteresis ?? d.frontswapHysteresis,
    frontswapInertia: sb.frontswap_inertia ?? d.frontswapInertia,
  };
}

interface GroupContext {
  tmemEnabled: boolean;
  scenarioFile: string;
  traces: TracesRead;
}

/** maxmem (or memory, when maxmem is left to default to it) within the model's bound. */
function checkMaxmem(raw: RawGuestGroup, maxmemPages: number, path: YamlPath): void {
  const at = [...path, raw.maxmem === undefined ? 'memory' : 'maxmem'];
  if (maxmemPages > MAX_MAXMEM_PAGES) {
    const [found, most] = pagesBeside(maxmemPages, MAX_MAXMEM_PAGES);
    throw new Problem(at, `expected at most ${most} (the largest guest the model holds), found ${found}`);
  }
}

function resolveSwap(raw: RawGuestGroup, path: YamlPath): number {
  const swapPages = raw.swap ?? DEFAULTS.swapPages;
  if (swapPages > MAX_SWAP_PAGES) {
    const [found, most] = pagesBeside(swapPages, MAX_SWAP_PAGES);
    throw new Problem([...path, 'swap'], `expected at most ${most} (a full device costs the simulator 8 bytes a slot), found ${found}`);
  }
  return swapPages;
}

/** One guest group (under guests: or a launch), expanded into its members. */
function resolveGroup(raw: RawGuestGroup, path: YamlPath, ctx: GroupContext): GuestSpec[] {
  const { tmemEnabled } = ctx;
  const memoryPages = atLeastOnePage(raw.memory, [...path, 'memory']);
  const maxmemPages = raw.maxmem ?? memoryPages;
  if (maxmemPages < memoryPages) {
    const [found, memory] = pagesBeside(maxmemPages, memoryPages);
    throw new Problem([...path, 'maxmem'], `expected at least memory (${memory}), found ${found}`);
  }
  checkMaxmem(raw, maxmemPages, path);
  const kernelReservePages = pagesOf(raw.kernel_reserve ?? { percent: DEFAULTS.kernelReservePercent }, memoryPages, [...path, 'kernel_reserve'], 'memory');
  if (kernelReservePages >= memoryPages) {
    const [found, memory] = pagesBeside(kernelReservePages, memoryPages);
    throw new Problem([...path, 'kernel_reserve'], `expected less than memory (${memory}), found ${found}`);
  }
  const workloadPath = [...path, 'workload'];
  const shared = {
    group: raw.name,
    memoryPages,
    maxmemPages,
    swapPages: resolveSwap(raw, path),
    kernelReservePages,
    image: raw.image ?? raw.name,
    cleancache: raw.cleancache ?? tmemEnabled,
    cleancacheShared: raw.cleancache_shared ?? false,
    frontswap: raw.frontswap ?? tmemEnabled,
    diskLatencyNs: raw.disk_latency ?? DEFAULTS.diskLatencyNs,
    selfballoon: resolveSelfballoon(raw, [...path, 'selfballoon']),
    workload: {
      anon: resolveAnon(raw, [...workloadPath, 'anon'], ctx, maxmemPages),
      files: resolveFiles(raw, maxmemPages, [...workloadPath, 'files']),
      contents: resolveContents(raw, [...workloadPath, 'contents']),
    },
  };
  const count = raw.count ?? 1;
  const members: GuestSpec[] = [];
  // A copy each, so that no member's spec is an alias of another's; anon's
  // fields are single values but for a trace's samples, which nothing writes
  // and the members share (a copy each would take a large trace's size again
  // for every member).
  const { anon, ...workload } = shared.workload;
  // trace.offset_step: member k (from 0) starts k steps further into the trace
  // than the offset (wrapping as an offset does); none: all in lockstep.
  const offsetStepNs = anon.profile === 'trace' ? (raw.workload?.anon?.trace?.offset_step ?? 0) : 0;
  for (let i = 1; i <= count; i++) {
    const copy = structuredClone({ ...shared, workload });
    const own = anon.profile === 'trace' ? { ...anon, offsetNs: anon.offsetNs + (i - 1) * offsetStepNs } : { ...anon };
    members.push({ name: count === 1 ? raw.name : `${raw.name}-${i}`, ...copy, workload: { ...copy.workload, anon: own } });
  }
  return members;
}

/**
 * A shared (clustered) filesystem holds the same file contents in every guest
 * that mounts it: its cleancache pool is one, keyed by the image, and a page
 * one guest put is what another gets. File pages take their zero share and
 * compressibility from the guest's contents, so the guests sharing one must
 * give the same (else a get returns other contents than the disk holds).
 */
function contentsText(c: ContentsSpec): string {
  const p = c.compressibility;
  return `zero_share ${c.zeroPercent}%, compressibility {high: ${p.highPercent}%, medium: ${p.mediumPercent}%, low: ${p.lowPercent}%}`;
}

/** Guest names seen so far, and where each came from; the swap of them all; the contents of each shared filesystem. */
class Names {
  private readonly where = new Map<string, string>();
  private readonly sharedFs = new Map<string, { contents: string; where: string }>();
  private swapPages = 0;

  /** `counted`: the entry has a count: key, which the error then points at. */
  add(members: GuestSpec[], path: YamlPath, counted: boolean): void {
    if (this.where.size + members.length > MAX_GUESTS) {
      const before = this.where.size;
      throw new Problem(
        counted ? [...path, 'count'] : path,
        `too many guests: ${before} before this entry and ${members.length} in it; at most ${MAX_GUESTS} in all, initial and launched`,
      );
    }
    const swap = members.reduce((sum, m) => sum + m.swapPages, 0);
    if (this.swapPages + swap > MAX_TOTAL_SWAP_PAGES) {
      const [total, most] = pagesBeside(this.swapPages + swap, MAX_TOTAL_SWAP_PAGES);
      throw new Problem(
        [...path, 'swap'],
        `the guests' swap devices come to ${total} in all, initial and launched: at most ${most} (each slot costs the simulator up to 24 bytes); give fewer or smaller swap devices`,
      );
    }
    this.swapPages += swap;
    const first = members[0];
    if (first.cleancacheShared) {
      const contents = contentsText(first.workload.contents);
      const earlier = this.sharedFs.get(first.image);
      if (earlier === undefined) this.sharedFs.set(first.image, { contents, where: formatPath(path) });
      else if (earlier.contents !== contents) {
        throw new Problem(
          [...path, 'workload', 'contents'],
          `guests sharing a filesystem (cleancache_shared, image ${JSON.stringify(first.image)}) see the same file contents: ${earlier.where} has ${earlier.contents}, this one ${contents}; give them the same`,
        );
      }
    }
    for (const member of members) {
      const earlier = this.where.get(member.name);
      if (earlier !== undefined) {
        throw new Problem([...path, 'name'], `guest name ${JSON.stringify(member.name)} is already used by ${earlier}`);
      }
      this.where.set(member.name, members.length === 1 ? formatPath(path) : `${formatPath(path)} (member of ${member.group})`);
    }
  }
}

/**
 * The simulated guests' pages are synthetic (a fingerprint and a compressed
 * size, src/guest/content.ts): there are no 4 KiB of bytes to hand the bytes
 * store, which keeps real contents for the engine API and `hypermem replay`.
 */
function simulatedStore(store: 'synthetic' | 'bytes' | undefined): 'synthetic' {
  if (store === 'bytes') {
    throw new Problem(
      ['host', 'tmem', 'store'],
      'the bytes store keeps real 4 KiB page contents, and simulated guests have synthetic pages (a fingerprint and a compressed size); use synthetic here, and bytes with the engine API or hypermem replay',
    );
  }
  return 'synthetic';
}

function actionOf(entry: RawTimelineEntry, path: YamlPath): (typeof TIMELINE_ACTIONS)[number] {
  const present = TIMELINE_ACTIONS.filter((key) => entry[key] !== undefined);
  if (present.length === 1) return present[0];
  if (present.length === 0) throw new Problem(path, `expected one action beside at (one of ${TIMELINE_ACTIONS.join(', ')}), found none`);
  throw new Problem([...path, present[1]], `expected exactly one action beside at, found ${present.join(' and ')}`);
}

function guestOrAll(value: { guest?: string; all?: boolean }, path: YamlPath): string | null {
  if (value.guest !== undefined && value.all !== undefined) throw new Problem([...path, 'all'], 'expected either guest or all, found both');
  if (value.guest !== undefined) return value.guest;
  if (value.all === true) return null;
  if (value.all === false) throw new Problem([...path, 'all'], 'expected all: true (or a guest), found false');
  throw new Problem(path, 'expected a guest (guest: web-1) or all: true, found neither');
}

interface Pending {
  event: TimelineEvent;
  path: YamlPath;
}

function resolveEntry(entry: RawTimelineEntry, path: YamlPath, ctx: GroupContext & { names: Names }): Pending[] {
  const key = actionOf(entry, path);
  const at = (action: TimelineAction): Pending => ({ event: { atNs: entry.at, action, where: formatPath(path) }, path });
  const actionPath = [...path, key];
  switch (key) {
    case 'launch': {
      const members = resolveGroup(entry.launch!, actionPath, ctx);
      ctx.names.add(members, actionPath, entry.launch!.count !== undefined);
      return members.map((guest) => at({ kind: 'launch', guest }));
    }
    case 'mem_set':
      return [at({ kind: 'mem_set', guest: entry.mem_set!.guest, targetPages: atLeastOnePage(entry.mem_set!.target, [...actionPath, 'target']) })];
    case 'mem_max':
      return [at({ kind: 'mem_max', guest: entry.mem_max!.guest, maxmemPages: atLeastOnePage(entry.mem_max!.maxmem, [...actionPath, 'maxmem']) })];
    case 'tmem_freeze':
      return [at({ kind: 'tmem_freeze', guest: guestOrAll(entry.tmem_freeze!, actionPath) })];
    case 'tmem_thaw':
      return [at({ kind: 'tmem_thaw', guest: guestOrAll(entry.tmem_thaw!, actionPath) })];
    case 'tmem_flush':
      return [at({ kind: 'tmem_flush', pages: atLeastOnePage(entry.tmem_flush!.size, [...actionPath, 'size']) })];
    case 'destroy':
    case 'crash':
    case 'toolstack_dies':
      return [at({ kind: key, guest: entry[key]!.guest })];
  }
}

function describeGuests(names: Iterable<string>): string {
  const all = [...names];
  if (all.length === 0) return 'there are none';
  const shown = all.slice(0, 8).join(', ');
  return all.length > 8 ? `known: ${shown}, … (${all.length} in all)` : `known: ${shown}`;
}

/** Walks the sorted timeline: every guest named must exist at that moment. */
function checkReferences(initial: GuestSpec[], pending: Pending[]): void {
  const alive = new Map<string, { maxmemPages: number; launched: boolean }>();
  for (const g of initial) alive.set(g.name, { maxmemPages: g.maxmemPages, launched: false });
  const gone = new Map<string, string>();
  const launchedAt = new Map<string, Pending>();
  for (const p of pending) if (p.event.action.kind === 'launch') launchedAt.set(p.event.action.guest.name, p);

  for (const { event, path } of pending) {
    const action = event.action;
    if (action.kind === 'launch') {
      alive.set(action.guest.name, { maxmemPages: action.guest.maxmemPages, launched: true });
      continue;
    }
    if (!('guest' in action) || action.guest === null) continue;
    const guestPath = [...path, action.kind, 'guest'];
    const state = alive.get(action.guest);
    if (state === undefined) {
      const name = JSON.stringify(action.guest);
      const killed = gone.get(action.guest);
      if (killed !== undefined) throw new Problem(guestPath, `guest ${name} no longer exists at ${formatNs(event.atNs)}: ${killed}`);
      const later = launchedAt.get(action.guest);
      if (later !== undefined) {
        throw new Problem(guestPath, `guest ${name} is launched later, by ${later.event.where} at ${formatNs(later.event.atNs)}`);
      }
      throw new Problem(guestPath, `no such guest ${name} (${describeGuests(alive.keys())})`);
    }
    switch (action.kind) {
      case 'mem_set':
        if (action.targetPages > state.maxmemPages) {
          const [found, maxmem] = pagesBeside(action.targetPages, state.maxmemPages);
          throw new Problem([...path, 'mem_set', 'target'], `expected at most ${action.guest}'s maxmem (${maxmem}), found ${found}`);
        }
        break;
      case 'mem_max':
        state.maxmemPages = action.maxmemPages;
        break;
      case 'destroy':
      case 'crash':
        alive.delete(action.guest);
        gone.set(action.guest, `${action.kind === 'crash' ? 'it crashed' : 'destroyed'} at ${formatNs(event.atNs)} by ${event.where}`);
        break;
      case 'toolstack_dies':
        if (!state.launched) {
          throw new Problem(guestPath, `guest ${JSON.stringify(action.guest)} is not launched by the timeline: toolstack_dies stops a launch in progress`);
        }
        break;
    }
  }
}

function atLeastNs(ns: number, minNs: number, path: YamlPath): number {
  if (ns < minNs) throw new Problem(path, `expected at least ${formatNs(minNs)}, found ${ns === 0 ? '0s' : formatNs(ns)}`);
  return ns;
}

/** A whole number of seconds, at least one (xen-selfballoon's selfballoon_interval). */
function wholeSeconds(ns: number, path: YamlPath): number {
  const unit = SELFBALLOON_INTERVAL_UNIT_NS;
  if (ns >= unit && ns % unit === 0) return ns;
  const found = ns === 0 ? '0s' : formatNs(ns);
  throw new Problem(path, `expected a whole number of seconds, at least 1s, found ${found}: Linux's selfballoon_interval counts whole seconds`);
}

/** `ns` rounded up to whole milliseconds, for a suggestion that reads well. */
function wholeMs(ns: number): number {
  return Math.ceil(ns / MS_NS) * MS_NS;
}

/** At least MIN_SAMPLE_INTERVAL_NS, and at most MAX_SAMPLES samples over the run. */
function sampleInterval(intervalNs: number, durationNs: number): number {
  atLeastNs(intervalNs, MIN_SAMPLE_INTERVAL_NS, ['sample_interval']);
  // Every interval, both ends included (the end is sampled also off the grid).
  const samples = Math.ceil(durationNs / intervalNs) + 1;
  if (samples > MAX_SAMPLES) {
    const minNs = wholeMs(durationNs / (MAX_SAMPLES - 1));
    throw new Problem(
      ['sample_interval'],
      `${formatNs(intervalNs)} over a duration of ${formatNs(durationNs)} is ${samples} samples, at most ${MAX_SAMPLES}: ` +
        `expected at least ${formatNs(minNs)} (or a shorter duration)`,
    );
  }
  return intervalNs;
}

/** The time series holds a sample of every guest, initial and launched, at every sample time. */
function checkGuestSamples(scenario: Scenario): void {
  // Rows: every sample, and one at each guest's end (destroy, crash) that is not a sample time (at most one per entry).
  const ends = scenario.timeline.filter((e) => e.action.kind === 'destroy' || e.action.kind === 'crash').length;
  const samples = Math.ceil(scenario.durationNs / scenario.sampleIntervalNs) + 1 + ends;
  const launched = scenario.timeline.filter((e) => e.action.kind === 'launch').length;
  const guests = scenario.guests.length + launched;
  if (guests > 0 && samples * guests > MAX_GUEST_SAMPLES) {
    const rows = ends === 0 ? `${samples} samples` : `${samples} rows (${samples - ends} samples, a row at each of ${ends} destroy and crash entries)`;
    // Intervals the samples may span: what the bound leaves after the first sample and the rows of the ends.
    const spans = Math.floor(MAX_GUEST_SAMPLES / guests) - 1 - ends;
    const fix =
      spans >= 1
        ? `expected a sample_interval of at least ${formatNs(wholeMs(scenario.durationNs / spans))} (or a shorter duration)`
        : `the destroy and crash entries alone exceed it: fewer of them, or fewer guests`;
    throw new Problem(['sample_interval'], `${rows} of ${guests} guests (initial and launched) is ${samples * guests} guest samples, at most ${MAX_GUEST_SAMPLES}: ${fix}`);
  }
}

/** NUMA nodes of at least MIN_NODE_PAGES each (one node whatever the host's size). */
function nodeCount(nodes: number, hostPages: number): number {
  const most = Math.max(1, Math.floor(hostPages / MIN_NODE_PAGES));
  if (nodes > most) {
    throw new Problem(
      ['host', 'nodes'],
      `expected at most ${most} (a node has at least ${formatPages(MIN_NODE_PAGES)}; the host has ${formatPages(hostPages)}), found ${nodes}`,
    );
  }
  return nodes;
}

function fitHost(scenario: Scenario): void {
  const hostPages = scenario.host.pages;
  const fixedPages = scenario.dom0.memoryPages + scenario.host.hypervisorReservePages;
  const fixed = `dom0 (${formatPages(scenario.dom0.memoryPages)}) and the hypervisor reserve (${formatPages(scenario.host.hypervisorReservePages)})`;
  if (fixedPages > hostPages) {
    // Both are to blame; the error points at the larger, the likelier mistake (hypervisor_reserve: 100% is not dom0's fault).
    const blamed = scenario.host.hypervisorReservePages > scenario.dom0.memoryPages ? ['host', 'hypervisor_reserve'] : ['dom0', 'memory'];
    const [need, host] = pagesBeside(fixedPages, hostPages);
    throw new Problem(blamed, `${fixed} need ${need}, larger than the host (${host})`);
  }
  let usedPages = fixedPages;
  let index = -1;
  let group = '';
  for (const guest of scenario.guests) {
    if (guest.group !== group || index < 0) {
      index++;
      group = guest.group;
    }
    // Written so the comparison cannot overflow: free space against the need.
    if (guest.memoryPages > hostPages - usedPages) {
      const needPages = scenario.guests.reduce((sum, g) => sum + g.memoryPages, 0);
      throw new Problem(['guests', index], `guests larger than the host: ${scenario.guests.length} guest${scenario.guests.length === 1 ? '' : 's'} ${scenario.guests.length === 1 ? 'needs' : 'need'} ${formatPages(needPages)} besides ${fixed}, the host has ${formatPages(hostPages)}`);
    }
    usedPages += guest.memoryPages;
  }
}

/**
 * One build batch takes batch / build_rate, as one event of the run: within
 * the clock's bound (a tiny rate with a huge batch would put it beyond 2^53 ns).
 * Blamed on build_batch, or on build_rate when the file sets only the rate.
 */
function checkBuildBatch(batchPages: number, pagesPerS: number, batchSet: boolean): void {
  const batchNs = (batchPages * S_NS) / pagesPerS;
  if (batchNs > MAX_BUILD_BATCH_NS) {
    throw new Problem(
      ['toolstack', batchSet ? 'build_batch' : 'build_rate'],
      `one build batch of ${formatPages(batchPages)} at ${formatPages(pagesPerS)}/s takes ${above(batchNs / 3_600_000_000_000, MAX_BUILD_BATCH_NS / 3_600_000_000_000)}h, ` +
        `at most ${formatNs(MAX_BUILD_BATCH_NS)} (the simulator's clock): expected a smaller build_batch or a faster build_rate`,
    );
  }
}

/** The Scenario for a schema-checked file; throws Problem. */
export function resolveScenario(raw: RawScenario, file: string): Scenario {
  const hostPages = atLeastOnePage(raw.host.memory, ['host', 'memory']);
  const tmem = raw.host.tmem ?? {};
  const tmemEnabled = tmem.enabled ?? false;
  const durationNs = positiveNs(raw.duration, ['duration']);
  const scenario: Scenario = {
    name: raw.name ?? (file === '' ? 'scenario' : basename(file, extname(file))),
    description: raw.description ?? '',
    file,
    seed: raw.seed ?? DEFAULTS.seed,
    durationNs,
    sampleIntervalNs: sampleInterval(raw.sample_interval ?? DEFAULTS.sampleIntervalNs, durationNs),
    workloadTickNs: atLeastNs(raw.workload_tick ?? DEFAULTS.workloadTickNs, MIN_WORKLOAD_TICK_NS, ['workload_tick']),
    maxEvents: raw.max_events ?? DEFAULTS.maxEvents,
    host: {
      pages: hostPages,
      nodes: nodeCount(raw.host.nodes ?? DEFAULTS.nodes, hostPages),
      hypervisorReservePages: pagesOf(raw.host.hypervisor_reserve ?? { pages: 0 }, hostPages, ['host', 'hypervisor_reserve'], 'host memory'),
      tmem: {
        enabled: tmemEnabled,
        dedup: tmem.dedup ?? false,
        tze: tmem.tze ?? false,
        compress: tmem.compress ?? false,
        store: simulatedStore(tmem.store),
      },
    },
    dom0: { memoryPages: atLeastOnePage(raw.dom0?.memory ?? DEFAULTS.dom0Pages, ['dom0', 'memory']) },
    toolstack: {
      policy: raw.toolstack?.policy ?? DEFAULTS.policy,
      buildPagesPerS: atLeastOnePage(raw.toolstack?.build_rate ?? DEFAULTS.buildPagesPerS, ['toolstack', 'build_rate']),
      buildBatchPages: atLeastOnePage(raw.toolstack?.build_batch ?? DEFAULTS.buildBatchPages, ['toolstack', 'build_batch']),
    },
    guests: [],
    timeline: [],
  };
  checkBuildBatch(scenario.toolstack.buildBatchPages, scenario.toolstack.buildPagesPerS, raw.toolstack?.build_batch !== undefined);
  const names = new Names();
  const traces: TracesRead = { byFile: new Map(), samples: 0 };
  (raw.guests ?? []).forEach((group, i) => {
    const members = resolveGroup(group, ['guests', i], { tmemEnabled, scenarioFile: file, traces });
    names.add(members, ['guests', i], group.count !== undefined);
    scenario.guests.push(...members);
  });
  fitHost(scenario);

  const pending: Pending[] = [];
  (raw.timeline ?? []).forEach((entry, i) => {
    const path = ['timeline', i];
    // An event after the end is kept (checked like the others) but never runs:
    // shortening a scenario with --set duration=… must not make it invalid.
    pending.push(...resolveEntry(entry, path, { tmemEnabled, scenarioFile: file, traces, names }));
  });
  // Array.prototype.sort is stable: events at the same time keep the file's order.
  pending.sort((a, b) => a.event.atNs - b.event.atNs);
  checkReferences(scenario.guests, pending);
  scenario.timeline = pending.map((p) => p.event);
  checkGuestSamples(scenario);
  return scenario;
}
