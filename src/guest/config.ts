// A guest's configuration: sizes in pages, times in ns, and every tunable of
// the kernel model, the tmem frontends, the balloon driver and self-ballooning
// with upstream's defaults (docs/guest.md lists them). `guestConfig` fills the
// defaults in from a partial description.

import { assert, assertCount } from '../lib/assert.ts';
import { DEFAULT_BALLOON, type BalloonParams } from './balloon.ts';
import { DEFAULT_CONTENT, type ContentConfig } from './content.ts';
import type { DiskConfig } from './disk.ts';
import { MAX_FILESYSTEMS, MAX_PAGES } from './pagecache.ts';
import type { WorkloadConfig } from './workload/index.ts';

export interface SelfballoonConfig {
  /** selfballooning; takes effect only with tmem and frontswap unless `requireTmem` is false (as xen_tmem_init). */
  enabled: boolean;
  /** selfballoon_interval: 5 s. */
  intervalNs: number;
  /** selfballoon_downhysteresis: 8. */
  downHysteresis: number;
  /** selfballoon_uphysteresis: 1. */
  upHysteresis: number;
  /** selfballoon_reserved_mb in pages; null = reservedPercent of totalram at boot, truncated to whole MB. */
  reservedPages: number | null;
  /** 10 (%). */
  reservedPercent: number;
  /** selfballoon_min_usable_mb in pages; 0 = the piecewise floor. */
  minUsablePages: number;
  /** frontswap_selfshrinking (only with frontswap). */
  selfShrinking: boolean;
  /** frontswap_hysteresis: 20. */
  frontswapHysteresis: number;
  /** frontswap_inertia: 3. */
  frontswapInertia: number;
  /** Upstream enables self-ballooning only when tmem and frontswap are on. Default true. */
  requireTmem: boolean;
}

export interface GuestConfig {
  domid: number;
  name: string;
  /** Initial RAM (pages the toolstack populated). */
  memoryPages: number;
  /** maxmem: the domain's max_pages; the physmap (max_pfn) covers it up to 11 times memoryPages (Guest.maxPfn), and the balloon grows the guest up to max_pfn. */
  maxmemPages: number;
  /** totalreserve_pages: kept free by the kernel, never used for anon or page cache. */
  kernelReservePages: number;
  /** Swap device size in pages (0 = no swap). */
  swapPages: number;
  cleancache: boolean;
  /** Shared ephemeral pools named by the filesystem UUID (clustered filesystems). */
  cleancacheShared: boolean;
  frontswap: boolean;
  selfballoon: SelfballoonConfig;
  balloon: BalloonParams;
  disk: DiskConfig;
  workload: WorkloadConfig;
  contents: ContentConfig;
  /** Reclaim frees at least this many pages when it runs (SWAP_CLUSTER_MAX = 32). */
  reclaimBatchPages: number;
  /** vm.swappiness (0..200 in v5.8+, 0..100 in v5.2): anon vs file reclaim weight. Default 60. */
  swappiness: number;
}

export type GuestConfigInput = Partial<
  Omit<GuestConfig, 'selfballoon' | 'balloon' | 'disk' | 'workload' | 'contents'>
> & {
  domid: number;
  memoryPages: number;
  selfballoon?: Partial<SelfballoonConfig>;
  balloon?: Partial<BalloonParams>;
  disk?: Partial<DiskConfig>;
  workload?: Partial<WorkloadConfig>;
  contents?: Partial<ContentConfig>;
};

export const DEFAULT_SELFBALLOON: SelfballoonConfig = {
  enabled: false,
  intervalNs: 5_000_000_000,
  downHysteresis: 8,
  upHysteresis: 1,
  reservedPages: null,
  reservedPercent: 10,
  minUsablePages: 0,
  selfShrinking: true,
  frontswapHysteresis: 20,
  frontswapInertia: 3,
  requireTmem: true,
};

/**
 * totalreserve_pages for a guest of `memoryPages`, approximated by the high
 * watermark of one zone, in pages as v5.2 counts it: min_free_kbytes =
 * int_sqrt(16 * lowmem KiB) clamped to [128, 65536] (calculate_min_free_kbytes),
 * min = min_free_kbytes >> 2, high = min + 2 * max(min >> 2, managed * 10 /
 * 10000) (__setup_per_zone_wmarks, watermark_scale_factor 10).
 */
export function defaultKernelReservePages(memoryPages: number): number {
  const minFreeKb = Math.min(65536, Math.max(128, Math.floor(Math.sqrt(memoryPages * 4 * 16))));
  const minPages = Math.floor(minFreeKb / 4);
  const gapPages = Math.max(Math.floor(minPages / 4), Math.floor((memoryPages * 10) / 10000));
  return minPages + 2 * gapPages;
}

export function guestConfig(input: GuestConfigInput): GuestConfig {
  assertCount(input.memoryPages, 'memoryPages');
  const maxmemPages = input.maxmemPages ?? input.memoryPages;
  const workload: WorkloadConfig = {
    anon: { kind: 'constant', pages: 0 },
    anonAccessesPerSec: 0,
    anonSkew: 0,
    file: null,
    stepNs: 100_000_000,
    ...input.workload,
  };
  const c: GuestConfig = {
    domid: input.domid,
    name: input.name ?? `guest${input.domid}`,
    memoryPages: input.memoryPages,
    maxmemPages,
    kernelReservePages: input.kernelReservePages ?? defaultKernelReservePages(input.memoryPages),
    swapPages: input.swapPages ?? 0,
    cleancache: input.cleancache ?? true,
    cleancacheShared: input.cleancacheShared ?? false,
    frontswap: input.frontswap ?? true,
    selfballoon: { ...DEFAULT_SELFBALLOON, ...input.selfballoon },
    balloon: { ...DEFAULT_BALLOON, ...input.balloon },
    disk: { latencyNs: 5_000_000, ...input.disk },
    workload,
    contents: { ...DEFAULT_CONTENT, ...input.contents },
    reclaimBatchPages: input.reclaimBatchPages ?? 32,
    swappiness: input.swappiness ?? 60,
  };
  validateGuestConfig(c);
  return c;
}

export function validateGuestConfig(c: GuestConfig): void {
  assertCount(c.domid, 'domid');
  assertCount(c.memoryPages, 'memoryPages');
  assertCount(c.maxmemPages, 'maxmemPages');
  assert(c.maxmemPages >= c.memoryPages, `${c.name}: maxmemPages ${c.maxmemPages} < memoryPages ${c.memoryPages}`);
  assertCount(c.kernelReservePages, 'kernelReservePages');
  assert(c.kernelReservePages <= c.memoryPages, `${c.name}: kernel reserve exceeds memory`);
  assertCount(c.swapPages, 'swapPages');
  assert(c.swapPages < 0xffffffff, 'swap too large for u32 offsets');
  const sb = c.selfballoon;
  assert(sb.intervalNs > 0 && sb.downHysteresis > 0 && sb.upHysteresis > 0, 'selfballoon interval and hystereses must be positive');
  assert(sb.frontswapHysteresis > 0 && sb.frontswapInertia > 0, 'frontswap hysteresis and inertia must be positive');
  assertCount(sb.minUsablePages, 'minUsablePages');
  if (sb.reservedPages !== null) assertCount(sb.reservedPages, 'reservedPages');
  assert(sb.reservedPercent >= 0 && sb.reservedPercent <= 100, 'reservedPercent out of [0, 100]');
  assertCount(c.disk.latencyNs, 'disk latencyNs');
  assert(c.reclaimBatchPages >= 1, 'reclaimBatchPages must be >= 1');
  assert(Number.isInteger(c.swappiness) && c.swappiness >= 0 && c.swappiness <= 200, 'swappiness must be an integer in [0, 200]');
  const w = c.workload;
  assert(w.anonAccessesPerSec >= 0 && w.anonSkew >= 0 && w.stepNs > 0, 'bad anon workload rates');
  if (w.file !== null) {
    const f = w.file;
    assert(f.files >= 1 && f.pagesPerFile >= 1, 'file set needs files and pages');
    assert(f.files * f.pagesPerFile <= MAX_PAGES, 'file set too large (at most 2^31-1 pages)');
    assert(f.filesystems >= 1 && f.filesystems <= MAX_FILESYSTEMS, `filesystems must be 1..${MAX_FILESYSTEMS}`);
    assert(f.accessesPerSec >= 0 && f.unlinksPerSec >= 0 && f.truncatesPerSec >= 0, 'file rates must be >= 0');
    assert(f.writeShare >= 0 && f.writeShare <= 1, 'writeShare out of [0, 1]');
  }
}
