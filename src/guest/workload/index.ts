// A guest's workload: anonymous demand (Committed_AS) over time, accesses to
// anonymous pages, and file accesses through the page cache.

import type { AnonProfile } from './anon.ts';
import type { FileAccessConfig } from './file.ts';

export type { AnonProfile, AnonDemand } from './anon.ts';
export { compileAnonProfile } from './anon.ts';
export type { FileAccessConfig, FilePattern, PageSampler } from './file.ts';
export { compileFilePattern, fileAccess } from './file.ts';
export { parseGcdTrace, loadGcdTrace, replayOffsetNs, traceMemPercentAt, TraceFormatError, GCD_SAMPLE_INTERVAL_NS, type GcdTrace } from './trace.ts';
export { ZipfSampler } from './zipf.ts';

export interface WorkloadConfig {
  anon: AnonProfile;
  /** Touches of anonymous pages per second (swapped-out ones are swapped in). */
  anonAccessesPerSec: number;
  /** Zipf skew of anonymous accesses over the anonymous pages (0 = uniform). */
  anonSkew: number;
  /** File accesses, or null for none. */
  file: FileAccessConfig | null;
  /** runWorkload advances in steps of at most this much (demand is re-read each step). Default 100 ms. */
  stepNs: number;
}
