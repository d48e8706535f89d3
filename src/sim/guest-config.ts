// From a scenario's guest description (shares of maxmem, sizes in pages,
// durations in ns) to the guest model's configuration.

import { hashName32, Prng } from '../lib/prng.ts';
import { guestConfig as fillGuestConfig, type GuestConfig } from '../guest/config.ts';
import { replayOffsetNs, type AnonProfile, type FilePattern } from '../guest/workload/index.ts';
import type { GuestSpec, Scenario } from '../scenario/types.ts';

/** Files of the modelled file set are this many pages (1 MiB). */
const PAGES_PER_FILE = 256;

function share(percent: number, pages: number): number {
  return Math.round((percent * pages) / 100);
}

function anonProfile(spec: GuestSpec, rng: Prng): AnonProfile {
  const a = spec.workload.anon;
  const max = spec.maxmemPages;
  const level = share(a.levelPercent, max);
  switch (a.profile) {
    case 'constant':
      return { kind: 'constant', pages: level };
    case 'step':
      return { kind: 'step', initialPages: level, steps: [{ atNs: a.atNs, pages: share(a.stepLevelPercent, max) }] };
    case 'diurnal': {
      const peak = share(a.peakPercent, max);
      // Unrounded: the profile rounds its sum, so the crest is the peak exactly (both halves rounded up made it one page more).
      return { kind: 'diurnal', basePages: (level + peak) / 2, amplitudePages: (peak - level) / 2, periodNs: a.periodNs, phaseNs: a.phaseNs };
    }
    case 'spikes':
      // Each guest's spikes start at its own offset in [0, jitter): guests do not spike in lockstep.
      return {
        kind: 'spikes',
        basePages: level,
        spikePages: Math.max(0, share(a.peakPercent, max) - level),
        everyNs: a.everyNs,
        durationNs: a.lengthNs,
        offsetNs: a.jitterNs > 0 ? Math.floor(rng.nextFloat() * a.jitterNs) : 0,
      };
    case 'trace': {
      // Read and checked when the scenario loaded (src/scenario/resolve.ts);
      // scaled once per trace and scale, for all the guests that replay it.
      // The scenario's offset is on the trace's clock (a sample every 5
      // minutes), the workload's on the replay's (a sample every interval).
      const offsetNs = replayOffsetNs(a.offsetNs, a.intervalNs);
      return { kind: 'trace', memPercent: scaledTrace(a.memPercent, a.scalePercent), sampleIntervalNs: a.intervalNs, offsetNs, loop: a.loop };
    }
  }
}

/** A trace's samples times scale%, shared by the guests that replay them (the workload only reads them). */
const scaledTraces = new WeakMap<Float64Array, Map<number, Float64Array>>();

function scaledTrace(memPercent: Float64Array, scalePercent: number): Float64Array {
  let byScale = scaledTraces.get(memPercent);
  if (byScale === undefined) scaledTraces.set(memPercent, (byScale = new Map()));
  let scaled = byScale.get(scalePercent);
  if (scaled === undefined) byScale.set(scalePercent, (scaled = memPercent.map((p) => (p * scalePercent) / 100)));
  return scaled;
}

/**
 * The file set and its access pattern: files of PAGES_PER_FILE pages, enough
 * to hold the working set (the last one may be in it only in part). Every
 * access, random or scan, stays within the working set's pages.
 */
function filePattern(spec: GuestSpec): { files: number; pattern: FilePattern } {
  const f = spec.workload.files;
  const files = Math.max(1, Math.ceil(f.workingSetPages / PAGES_PER_FILE));
  const hot: FilePattern = f.zipf > 0 ? { kind: 'zipf', workingSetPages: f.workingSetPages, skew: f.zipf } : { kind: 'uniform', workingSetPages: f.workingSetPages };
  if (f.scanPercent <= 0) return { files, pattern: hot };
  // Not the whole file set: a working set that is not a whole number of files would be scanned up to the end of its last file.
  const scan: FilePattern = { kind: 'scan', fromPage: 0, pages: f.workingSetPages };
  if (f.scanPercent >= 100) return { files, pattern: scan };
  return { files, pattern: { kind: 'mix', parts: [{ weight: 100 - f.scanPercent, pattern: hot }, { weight: f.scanPercent, pattern: scan }] } };
}

export function guestConfig(spec: GuestSpec, domid: number, scenario: Scenario): GuestConfig {
  const rng = new Prng(scenario.seed, `guest-config:${spec.name}`);
  const sb = spec.selfballoon;
  const files = spec.workload.files;
  const { files: fileCount, pattern } = filePattern(spec);
  const c = spec.workload.contents;
  return fillGuestConfig({
    domid,
    name: spec.name,
    memoryPages: spec.memoryPages,
    maxmemPages: spec.maxmemPages,
    kernelReservePages: spec.kernelReservePages,
    // A scenario's swap is the device; mkswap's header takes its first page (SwapTotal is one page less).
    swapPages: Math.max(0, spec.swapPages - 1),
    cleancache: spec.cleancache,
    cleancacheShared: spec.cleancacheShared,
    frontswap: spec.frontswap,
    selfballoon: {
      enabled: sb.enabled,
      intervalNs: sb.intervalNs,
      downHysteresis: sb.downHysteresis,
      upHysteresis: sb.upHysteresis,
      reservedPages: 'pages' in sb.reserved ? sb.reserved.pages : null,
      reservedPercent: 'percent' in sb.reserved ? sb.reserved.percent : 10,
      minUsablePages: sb.minUsablePages,
      selfShrinking: sb.selfShrinking,
      frontswapHysteresis: sb.frontswapHysteresis,
      frontswapInertia: sb.frontswapInertia,
    },
    disk: { latencyNs: spec.diskLatencyNs },
    workload: {
      anon: anonProfile(spec, rng),
      anonAccessesPerSec: spec.workload.anon.ratePerS,
      anonSkew: spec.workload.anon.zipf,
      file:
        files.workingSetPages === 0 || files.ratePerS === 0
          ? null
          : {
              files: fileCount,
              pagesPerFile: PAGES_PER_FILE,
              filesystems: 1,
              accessesPerSec: files.ratePerS,
              pattern,
              writeShare: files.writePercent / 100,
              unlinksPerSec: files.deleteEveryNs > 0 ? 1e9 / files.deleteEveryNs : 0,
              truncatesPerSec: 0,
            },
    },
    contents: {
      imageId: hashName32(spec.image),
      zeroShare: c.zeroPercent / 100,
      anonImageShare: c.imagePercent / 100,
      fileImageShare: 0.9,
      compressClasses: [
        { weight: c.compressibility.highPercent, compressedBytes: 1024 },
        { weight: c.compressibility.mediumPercent, compressedBytes: 2048 },
        { weight: c.compressibility.lowPercent, compressedBytes: 4096 },
      ].filter((k) => k.weight > 0),
    },
  });
}
