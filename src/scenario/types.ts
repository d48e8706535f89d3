// A scenario after validation: every size in pages, every duration in ns,
// every default filled in. This is what the simulator consumes; the YAML
// format it comes from is described in docs/scenario.md.

export type Policy = 'none' | 'claim' | 'reservation';

export interface SelfballoonSpec {
  enabled: boolean;
  intervalNs: number;
  downHysteresis: number;
  upHysteresis: number;
  /** Either a share of RAM in percent, or pages. */
  reserved: { percent: number } | { pages: number };
  minUsablePages: number;
  selfShrinking: boolean;
  frontswapHysteresis: number;
  frontswapInertia: number;
}

/** Anonymous demand (Committed_AS) over time; levels are percent of maxmem. */
export type AnonProfile =
  | { profile: 'constant'; levelPercent: number }
  | { profile: 'step'; levelPercent: number; atNs: number; stepLevelPercent: number }
  | { profile: 'diurnal'; levelPercent: number; peakPercent: number; periodNs: number; phaseNs: number }
  | { profile: 'spikes'; levelPercent: number; peakPercent: number; everyNs: number; lengthNs: number; jitterNs: number }
  /**
   * `memPercent`: the trace's memory samples as read and checked when the scenario loaded (unscaled), so a run does not read the file again; shared by the members of a group (`count`) and by the guests replaying the file, never written (the simulator keeps one scaled copy per array: change a copy, not it).
   * `offsetNs`: where this guest starts in the trace, on the trace's own clock (a sample every 5 minutes, whatever `intervalNs`): the group's offset + the member's index (from 0) × offset_step.
   * `intervalNs`: how long each sample lasts in the replay (5 minutes, the data's own interval, unless trace.interval says otherwise).
   * `loop`: after the last sample, back to the first (true, the default) or the last sample held (trace.at_end: hold).
   */
  | { profile: 'trace'; levelPercent: number; file: string; scalePercent: number; offsetNs: number; intervalNs: number; loop: boolean; memPercent: Float64Array };

/** How the workload touches its anonymous pages (a swapped-out page touched is swapped in). */
export interface AnonAccess {
  /** Anonymous page accesses per second. */
  ratePerS: number;
  /** Zipf skew over the anonymous pages, 0 = uniform. */
  zipf: number;
}

export interface FilesSpec {
  workingSetPages: number;
  /** Page accesses per second. */
  ratePerS: number;
  zipf: number;
  scanPercent: number;
  writePercent: number;
  /** 0 = never. */
  deleteEveryNs: number;
}

export interface ContentsSpec {
  zeroPercent: number;
  imagePercent: number;
  compressibility: { highPercent: number; mediumPercent: number; lowPercent: number };
}

export interface GuestSpec {
  /** The member's own name (web-1…), or the group name when count is 1. */
  name: string;
  group: string;
  memoryPages: number;
  maxmemPages: number;
  swapPages: number;
  kernelReservePages: number;
  image: string;
  cleancache: boolean;
  cleancacheShared: boolean;
  frontswap: boolean;
  diskLatencyNs: number;
  selfballoon: SelfballoonSpec;
  workload: { anon: AnonProfile & AnonAccess; files: FilesSpec; contents: ContentsSpec };
}

export type TimelineAction =
  | { kind: 'launch'; guest: GuestSpec }
  | { kind: 'mem_set'; guest: string; targetPages: number }
  | { kind: 'mem_max'; guest: string; maxmemPages: number }
  | { kind: 'destroy'; guest: string }
  | { kind: 'tmem_freeze'; guest: string | null }
  | { kind: 'tmem_thaw'; guest: string | null }
  | { kind: 'tmem_flush'; pages: number }
  | { kind: 'crash'; guest: string }
  | { kind: 'toolstack_dies'; guest: string };

export interface TimelineEvent {
  atNs: number;
  action: TimelineAction;
  /** Where it came from, for messages: the YAML path, e.g. "timeline[3]". */
  where: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** The file it was loaded from ('' when built in memory). */
  file: string;
  /** The `--set` flags applied to the file, as given, sorted (absent: none). */
  overrides?: string[];
  seed: number;
  durationNs: number;
  sampleIntervalNs: number;
  /** Guest workloads advance in batches of this much simulated time. */
  workloadTickNs: number;
  maxEvents: number;
  host: {
    pages: number;
    nodes: number;
    hypervisorReservePages: number;
    tmem: { enabled: boolean; dedup: boolean; tze: boolean; compress: boolean; store: 'bytes' | 'synthetic' };
  };
  dom0: { memoryPages: number };
  toolstack: { policy: Policy; buildPagesPerS: number; buildBatchPages: number };
  /** Every guest member expanded from the groups, in order. */
  guests: GuestSpec[];
  timeline: TimelineEvent[];
}
