// A Linux guest under Xen, as its memory manager sees it (SEMANTICS.md §5,
// notes in docs/guest.md): RAM it owns, a kernel reserve, anonymous memory
// driven by the workload's Committed_AS, a page cache of file pages, a swap
// device, the cleancache and frontswap frontends on tmem, the balloon driver
// and self-ballooning. The guest talks to the hypervisor only through
// hypercalls (populate_physmap, decrease_reservation, tmem ops, domain info).
//
// Memory: ram = reserve + anonResident + pageCache + free, free >= 0 always.
// Reclaim (when a page is needed and none is free, in runs of
// SWAP_CLUSTER_MAX, each from DEF_PRIORITY down until it has its pages)
// follows get_scan_count: file pages only while the inactive file list is not
// low and has pages to scan at the priority (SCAN_FILE); else a split between
// the file and anonymous LRUs in proportion to size x swappiness, scaled by
// each side's recent scans per rotation (SCAN_FRACT). File pages leave from
// the inactive tail (dirty ones are written back first), go to cleancache and
// leave a shadow (workingset_eviction); a page read again within the active
// list's size of its eviction enters active (workingset_refault), and such
// refaults turn the active list's protection off until the next reclaim run.
// Anonymous pages leave from the LRU tail to frontswap if tmem takes them,
// else to the swap disk. When neither is possible the kernel is out of
// memory: an OOM event.

import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import type { SyntheticPage, TmemOps } from '../hypervisor/tmem/api.ts';
import { beforeAllocating } from '../lib/alloc-check.ts';
import { assert, assertCount } from '../lib/assert.ts';
import type { Prng } from '../lib/prng.ts';
import { Balloon, type BalloonHost } from './balloon.ts';
import { Cleancache } from './cleancache.ts';
import type { GuestConfig } from './config.ts';
import { ContentModel, newSyntheticPage, samePage } from './content.ts';
import { Disk } from './disk.ts';
import { Frontswap } from './frontswap.ts';
import { LinkedLists, NONE } from '../lib/lists.ts';
import { OrderedBitset } from '../lib/bitset.ts';
import { PageCache } from './pagecache.ts';
import { defaultReservedPages, FrontswapSelfshrink, selfballoonGoal, selfballoonTarget, type SelfballoonParams } from './selfballoon.ts';
import { SwapDevice } from './swap.ts';
import { compileAnonProfile, compileFilePattern, ZipfSampler, type AnonDemand, type PageSampler } from './workload/index.ts';

/** The first inode number of the image's files (ext4's first non-reserved inode is 11). */
export const FIRST_INODE = 12;
const SHARED_INODE_BASE = 0x80000000;
const ANON_LIST = 0;
// The slot word of a resident page holds its referenced (PTE young) bit; any smaller value is a swap offset.
const RESIDENT_OLD = NONE;
const RESIDENT_YOUNG = NONE - 1;
/** Words per anonymous page record: slot, generation, LRU prev, LRU next. */
const ANON_REC = 4;
const ANON_GEN = 1;
const ANON_LINKS = 2;
/** Accesses drawn, and their first cache lines loaded, ahead of running them (accessBatch). */
const BATCH = 256;
const KIND_NONE = 0;
const KIND_ANON = 1;
const KIND_READ = 2;
const KIND_WRITE = 3;
/** Reclaim's first priority (DEF_PRIORITY): a list's budget is its size >> priority. */
const DEF_PRIORITY = 12;
/**
 * A PV guest's physmap above its initial memory (the part that starts
 * ballooned out, up to maxmem) is at most ten times that memory
 * (arch/x86/xen/setup.c xen_memory_setup, EXTRA_MEM_RATIO, v3.x to v5.2).
 */
export const EXTRA_MEM_RATIO = 10;

export interface ReclaimStat {
  anonScanned: number;
  anonRotated: number;
  fileScanned: number;
  fileRotated: number;
}

/**
 * get_scan_count's SCAN_FRACT weights (v5.2): first a side's history decays
 * by half when its scans pass a quarter of its list (`stat` is updated), then
 * ap = swappiness x (anon scanned + 1) / (anon rotated + 1) and
 * fp = (200 - swappiness) x (file scanned + 1) / (file rotated + 1), in
 * integers. A side whose pages come back (rotations) weighs less.
 */
export function scanFractions(swappiness: number, stat: ReclaimStat, anonPages: number, filePages: number): { ap: number; fp: number } {
  if (stat.anonScanned > anonPages / 4) {
    stat.anonScanned = Math.floor(stat.anonScanned / 2);
    stat.anonRotated = Math.floor(stat.anonRotated / 2);
  }
  if (stat.fileScanned > filePages / 4) {
    stat.fileScanned = Math.floor(stat.fileScanned / 2);
    stat.fileRotated = Math.floor(stat.fileRotated / 2);
  }
  return {
    ap: Math.floor((swappiness * (stat.anonScanned + 1)) / (stat.anonRotated + 1)),
    fp: Math.floor(((200 - swappiness) * (stat.fileScanned + 1)) / (stat.fileRotated + 1)),
  };
}

/** ceil(a x b / d) for non-negative integers, exact (through BigInt when a x b passes 2^53). */
function mulDivCeil(a: number, b: number, d: number): number {
  const p = a * b;
  if (p <= Number.MAX_SAFE_INTEGER) return Math.ceil(p / d);
  const big = BigInt(a) * BigInt(b);
  const bd = BigInt(d);
  return Number((big + bd - 1n) / bd);
}

/**
 * Anonymous page records for `pages` pages, `old` copied. The new ones are
 * left zero (generation 0) and untouched, so the operating system commits
 * their memory only when a page id is first used: its slot word and links
 * are written when it is allocated.
 */
function newAnonRecords(pages: number, old: Uint32Array | null): Uint32Array {
  beforeAllocating(ANON_REC * 4 * pages);
  const rec = new Uint32Array(ANON_REC * pages);
  if (old !== null) rec.set(old);
  return rec;
}

export interface GuestMetrics {
  domid: number;
  name: string;
  ramPages: number;
  balloonTargetPages: number;
  maxPfnPages: number;
  kernelReservePages: number;
  /** Committed_AS: the workload's anonymous demand now. */
  committedPages: number;
  /** Anonymous pages allocated (resident + swapped). */
  anonPages: number;
  anonResidentPages: number;
  anonSwappedPages: number;
  pageCachePages: number;
  pageCacheDirtyPages: number;
  freePages: number;
  cleancache: { puts: number; gets: number; hits: number; invalidates: number };
  frontswap: { stores: number; loads: number; rejects: number; invalidates: number; pages: number; failedLoads: number; selfShrunkPages: number };
  disk: { fileReads: number; fileWrites: number; swapReads: number; swapWrites: number; busyNs: number };
  swap: { usedSlots: number; freeSlots: number };
  fileAccesses: number;
  fileHits: number;
  /** /proc/vmstat workingset_refault and workingset_activate: reads of evicted pages, and those read straight into the active list. */
  workingsetRefaults: number;
  workingsetActivations: number;
  /** lruvec->reclaim_stat now: recent pages scanned and rotated on each side (what SCAN_FRACT weighs). */
  reclaimStat: ReclaimStat;
  anonAccesses: number;
  /** Anonymous pages allocated as Committed_AS grows (each a first-touch fault; swap-ins are counted apart) and freed as it shrinks (resident or swapped). */
  anonFaults: number;
  anonFrees: number;
  swapIns: number;
  swapOuts: number;
  evictedCleanPages: number;
  evictedDirtyPages: number;
  oomEvents: number;
  oomKilledPages: number;
  balloon: { inflatedPages: number; deflatedPages: number; failedPasses: number; scheduleDelayS: number };
  selfballoon: { active: boolean; ticks: number; lastGoalPages: number; lastTargetPages: number };
  pageCacheMetadataBytes: number;
}

export class Guest {
  readonly domid: number;
  private ramPages: number;
  /** max_pfn: the physmap's end, where the balloon stops growing (maxmem, at most 1 + EXTRA_MEM_RATIO times the initial memory). */
  readonly maxPfn: number;
  readonly reservePages: number;
  private bootNs = 0;
  private booted = false;

  // Anonymous memory: page ids 0..anonPages-1; resident ones on the LRU.
  private anonPages = 0;
  private anonResident = 0;
  /**
   * Per page, ANON_REC words side by side (one cache line for a fault, an
   * access, a swap-out or a swap-in): its swap offset or RESIDENT_YOUNG /
   * RESIDENT_OLD (the referenced bit of a resident page); its generation (a
   * freed page's id comes back with new contents); its LRU prev and next.
   */
  private anonRec: Uint32Array;
  private readonly anonLru: LinkedLists;
  /** Anonymous pages whose swap slot is in frontswap, by page id: frontswapShrink walks it in address order. */
  private readonly inFrontswap: OrderedBitset;
  private demandPages = 0;

  /** The page cache over the file set's pages (file x pagesPerFile + index), with their shadow entries. */
  readonly pageCache: PageCache;
  private readonly fileInode: Uint32Array;
  private readonly fileGen: Uint32Array;
  private readonly fileImage: Uint8Array;
  private readonly filesystems: number;
  private readonly pagesPerFile: number;
  private nextInodeSeq = 0;
  /** Files recreated by unlink: inode -> file (image inodes map arithmetically). */
  private readonly newInodeFile = new Map<number, number>();
  /** lruvec->inactive_age: counts file evictions and activations (u32, wrapping, never 0). */
  private inactiveAge = 0;
  /** WORKINGSET_ACTIVATE at the end of the last reclaim run (snapshot_refaults). */
  private refaultSnapshot = 0;

  readonly swap: SwapDevice;
  readonly frontswap: Frontswap;
  readonly cleancache: Cleancache;
  readonly disk: Disk;
  readonly balloon: Balloon;
  private readonly selfshrink: FrontswapSelfshrink;
  private readonly content: ContentModel;
  private readonly sbParams: SelfballoonParams;
  readonly selfballoonActive: boolean;

  private readonly anonDemand: AnonDemand;
  private readonly filePattern: PageSampler | null;
  private readonly rngFile: Prng;
  private readonly rngAnon: Prng;
  private readonly rngOps: Prng;
  private anonSampler: ZipfSampler | null = null;
  private fileCarry = 0;
  private anonCarry = 0;
  private unlinkCarry = 0;
  private truncateCarry = 0;
  private anonReclaimCredit = 0;
  /** scanBudgets' answer: pages to take from the anonymous and the file side at one priority. */
  private anonBudget = 0;
  private fileBudget = 0;
  /**
   * lruvec->reclaim_stat: pages recently added to or scanned on each side,
   * and those of them that were (re)activated — what SCAN_FRACT weighs
   * swappiness by (a side whose pages come back is reclaimed less).
   */
  private readonly reclaimStat: ReclaimStat = { anonScanned: 0, anonRotated: 0, fileScanned: 0, fileRotated: 0 };
  /** accessBatch's chunk: what each access is (KIND_*) and its page (file set page or anonymous page id). */
  private readonly batchKind = new Uint8Array(BATCH);
  private readonly batchVal = new Uint32Array(BATCH);
  /** Where accessBatch leaves the words it loaded ahead, so the loads are not optimised away. */
  private touchSink = 0;

  private readonly scratch: SyntheticPage = newSyntheticPage();
  private readonly expected: SyntheticPage = newSyntheticPage();
  private readonly balloonHost: BalloonHost;

  /** In an OOM episode (see oom()). */
  private inOom = false;
  /** The largest overflow of the current OOM episode, already counted in oomKilledPages. */
  private oomShortfall = 0;
  private readonly counters = {
    fileAccesses: 0,
    fileHits: 0,
    anonAccesses: 0,
    anonFaults: 0,
    anonFrees: 0,
    swapIns: 0,
    swapOuts: 0,
    evictedClean: 0,
    evictedDirty: 0,
    oomEvents: 0,
    oomKilledPages: 0,
    contentMismatches: 0,
    selfShrunkPages: 0,
    selfballoonTicks: 0,
    lastGoalPages: 0,
    lastTargetPages: 0,
    /** WORKINGSET_REFAULT: reads of pages that had a shadow. */
    workingsetRefaults: 0,
    /** WORKINGSET_ACTIVATE: refaults within the active list's size, read in active. */
    workingsetActivations: 0,
  };

  constructor(
    private readonly hv: Hypervisor,
    private readonly tmem: TmemOps | null,
    readonly config: GuestConfig,
    rng: Prng,
  ) {
    this.domid = config.domid;
    this.ramPages = config.memoryPages;
    this.maxPfn = config.memoryPages + Math.min(EXTRA_MEM_RATIO * config.memoryPages, Math.max(0, config.maxmemPages - config.memoryPages));
    this.reservePages = config.kernelReservePages;
    this.anonRec = newAnonRecords(1024, null);
    this.anonLru = new LinkedLists(1024, 1, ANON_REC, ANON_LINKS, this.anonRec);
    this.inFrontswap = new OrderedBitset(1024);

    const file = config.workload.file;
    const files = file?.files ?? 0;
    this.filesystems = file?.filesystems ?? 1;
    this.pagesPerFile = file?.pagesPerFile ?? 1;
    // The page cache's entries are the one table sized by the file set at the start (8 bytes a page:
    // the slot and the shadow entry, mm/workingset.c: the eviction clock when the page left, 0 for none;
    // the clock skips 0).
    this.pageCache = new PageCache(files * this.pagesPerFile, 1024);
    this.fileInode = new Uint32Array(files);
    this.fileGen = new Uint32Array(files);
    this.fileImage = new Uint8Array(files).fill(1);
    for (let f = 0; f < files; f++) this.fileInode[f] = FIRST_INODE + f;
    this.nextInodeSeq = files;

    const useTmem = tmem !== null;
    assert(config.swapPages < RESIDENT_YOUNG, 'swap device too large for 32-bit swap offsets');
    this.swap = new SwapDevice(config.swapPages);
    this.frontswap = new Frontswap(useTmem && config.frontswap ? tmem : null, this.domid, this.swap.type, config.swapPages);
    const imageId = config.contents.imageId;
    this.cleancache = new Cleancache(useTmem && config.cleancache ? tmem : null, this.domid, this.filesystems, config.cleancacheShared, (fs) =>
      ((imageId >>> 0).toString(16).padStart(8, '0') + 'c1ea' + fs.toString(16).padStart(4, '0')).padEnd(32, '0'),
    );
    this.disk = new Disk(config.disk);
    this.balloon = new Balloon(config.memoryPages, config.balloon);
    const sb = config.selfballoon;
    this.selfshrink = new FrontswapSelfshrink(sb.frontswapHysteresis, sb.frontswapInertia);
    const tmemOn = useTmem && config.frontswap;
    this.selfballoonActive = sb.enabled && (!sb.requireTmem || tmemOn);
    this.sbParams = {
      downHysteresis: sb.downHysteresis,
      upHysteresis: sb.upHysteresis,
      minUsablePages: sb.minUsablePages,
      reservedPages: sb.reservedPages ?? defaultReservedPages(config.memoryPages, sb.reservedPercent),
      selfShrinking: sb.selfShrinking && tmemOn,
    };
    // A shared (clustered) filesystem has the same file contents in every guest that mounts it.
    const contents = config.cleancacheShared ? { ...config.contents, fileImageShare: 1 } : config.contents;
    this.content = new ContentModel(contents, this.domid);

    this.anonDemand = compileAnonProfile(config.workload.anon, config.maxmemPages);
    this.filePattern = file === null ? null : compileFilePattern(file.pattern, file.files * file.pagesPerFile);
    this.rngFile = rng.fork('guest-file');
    this.rngAnon = rng.fork('guest-anon');
    this.rngOps = rng.fork('guest-ops');

    this.balloonHost = {
      currentPages: () => this.ramPages,
      maxPages: () => this.maxPfn,
      inflate: (pages) => this.balloonInflate(pages),
      deflate: (pages) => this.balloonDeflate(pages),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /** The toolstack already populated `memoryPages`; mount filesystems (cleancache pools) and swapon (frontswap pool). */
  boot(nowNs: number): void {
    assert(!this.booted, 'guest booted twice');
    assertCount(nowNs, 'nowNs');
    const info = this.hv.domainInfo(this.domid);
    assert(info.ok, `guest ${this.config.name}: domain ${this.domid} does not exist`);
    if (info.ok) {
      assert(
        info.tot_pages - info.tmem_pages === this.ramPages,
        `guest ${this.config.name}: the domain owns ${info.tot_pages - info.tmem_pages} pages of RAM, config says ${this.ramPages}`,
      );
    }
    this.booted = true;
    this.bootNs = nowNs;
    for (let fs = 0; fs < this.filesystems; fs++) this.cleancache.mount(fs);
    if (this.config.swapPages > 0) this.frontswap.init();
  }

  /** Unmount (cleancache_invalidate_fs: the pool is destroyed) and mount again (a new pool). */
  remount(fs: number): void {
    assert(fs >= 0 && fs < this.filesystems, 'remount: no such filesystem');
    const drop: number[] = [];
    this.pageCache.forEachSlot((s) => {
      if (this.pageCache.fsOf(s) === fs) drop.push(s);
    });
    for (const s of drop) {
      if (this.pageCache.isDirty(s)) this.disk.fileWrite();
      this.pageCache.remove(s);
    }
    // The unmount evicts every inode of the filesystem, shadows with them.
    for (let f = fs; f < this.fileInode.length; f += this.filesystems) this.clearShadows(f);
    this.cleancache.unmount(fs);
    this.cleancache.mount(fs);
  }

  // ---------------------------------------------------------------- workload

  /** Runs the workload from nowNs for dtNs, in steps of at most workload.stepNs. */
  runWorkload(nowNs: number, dtNs: number): void {
    assert(this.booted, 'runWorkload before boot');
    assertCount(dtNs, 'dtNs');
    const w = this.config.workload;
    const f = w.file;
    const end = nowNs + dtNs;
    let t = nowNs;
    // Bounded: each step advances by at least 1 ns and at most stepNs.
    while (t < end) {
      const step = Math.min(w.stepNs, end - t);
      this.setAnonPages(this.anonDemand(t - this.bootNs));
      const stepS = step / 1e9;
      if (f !== null) {
        this.unlinkCarry += f.unlinksPerSec * stepS;
        this.truncateCarry += f.truncatesPerSec * stepS;
        for (; this.unlinkCarry >= 1; this.unlinkCarry--) this.unlinkFile(this.rngOps.nextInt(f.files));
        for (; this.truncateCarry >= 1; this.truncateCarry--) this.truncateFile(this.rngOps.nextInt(f.files));
        this.fileCarry += f.accessesPerSec * stepS;
      }
      this.anonCarry += w.anonAccessesPerSec * stepS;
      const nFile = Math.floor(this.fileCarry);
      const nAnon = this.anonPages > 0 ? Math.floor(this.anonCarry) : 0;
      this.fileCarry -= nFile;
      this.anonCarry -= Math.floor(this.anonCarry);
      this.accessBatch(nFile, nAnon);
      t += step;
    }
  }

  /**
   * nFile file accesses and nAnon anonymous accesses, evenly interleaved. In
   * chunks of BATCH: the pages are drawn first (each random stream is used in
   * the same order as one access at a time, and drawing does not depend on
   * the memory state), then the first cache line each access will read is
   * loaded for the whole chunk — independent loads the processor overlaps,
   * where one access at a time waits for each miss — then the accesses run
   * in order. The results are those of running them one by one.
   */
  private accessBatch(nFile: number, nAnon: number): void {
    const total = nFile + nAnon;
    if (total === 0) return;
    const f = this.config.workload.file;
    const pattern = this.filePattern;
    const writeShare = f?.writeShare ?? 0;
    if (nAnon > 0) {
      // Resizing gives exactly the sampler a new one would be, without its set-up.
      if (this.anonSampler === null) this.anonSampler = new ZipfSampler(this.anonPages, this.config.workload.anonSkew);
      else this.anonSampler.resize(this.anonPages);
    }
    const ppf = this.pagesPerFile;
    const kinds = this.batchKind;
    const vals = this.batchVal;
    let filesDone = 0;
    let touch = 0;
    for (let i0 = 0; i0 < total; i0 += BATCH) {
      const n = Math.min(BATCH, total - i0);
      for (let j = 0; j < n; j++) {
        const i = i0 + j;
        const wantFiles = Math.floor(((i + 1) * nFile) / total);
        if (wantFiles > filesDone && pattern !== null) {
          filesDone++;
          vals[j] = pattern.next(this.rngFile);
          kinds[j] = writeShare > 0 && this.rngFile.nextFloat() < writeShare ? KIND_WRITE : KIND_READ;
        } else if (this.anonPages > 0 && this.anonSampler !== null) {
          vals[j] = this.anonSampler.sample(this.rngAnon);
          kinds[j] = KIND_ANON;
        } else {
          kinds[j] = KIND_NONE;
        }
      }
      for (let j = 0; j < n; j++) {
        const k = kinds[j];
        if (k === KIND_ANON) touch ^= this.anonRec[ANON_REC * vals[j]];
        else if (k !== KIND_NONE) {
          touch ^= this.pageCache.peek(vals[j]);
        }
      }
      for (let j = 0; j < n; j++) {
        const k = kinds[j];
        if (k === KIND_ANON) this.accessAnonPage(vals[j]);
        else if (k !== KIND_NONE) {
          const file = Math.floor(vals[j] / ppf);
          this.accessFilePage(file, vals[j] - file * ppf, k === KIND_WRITE);
        }
      }
    }
    this.touchSink ^= touch;
  }

  /** One access to page `index` of file `file` through the page cache. */
  accessFilePage(file: number, index: number, write: boolean): void {
    assert(file >= 0 && file < this.fileInode.length && index >= 0 && index < this.pagesPerFile, 'file page out of range');
    this.counters.fileAccesses++;
    const pc = this.pageCache;
    const fp = file * this.pagesPerFile + index;
    const s = pc.lookup(fp);
    if (s !== NONE) {
      this.counters.fileHits++;
      // Only reads mark a page accessed (a buffered write does not call mark_page_accessed).
      if (write) pc.setDirty(s, true);
      else if (pc.touch(s)) {
        this.ageInactive(); // workingset_activation
        this.noteReclaimStat(true, true); // __activate_page
      }
      return;
    }
    const fs = file % this.filesystems;
    // A page-cache page first (page_cache_alloc, reclaiming if needed), then
    // fill it: cleancache first (do_mpage_readpage), else the disk.
    if (this.freePages() < 1 && !this.ensureFree(1, true)) {
      // No page to read into: cleancache is not asked (it copies into a
      // page); the data comes from the disk for this access only.
      this.disk.fileRead();
      this.oom(0);
      return;
    }
    // Only reads ask cleancache (the readpage path); a write miss fills the
    // page through write_begin, which reads the rest of the block from the
    // disk (a partial write) and never calls cleancache_get_page.
    const inode = this.fileInode[file];
    if (!write && this.cleancache.get(fs, inode, index, this.scratch)) {
      this.expectFilePage(file, index);
      if (!samePage(this.scratch, this.expected)) this.counters.contentMismatches++;
    } else {
      this.disk.fileRead();
    }
    // The new page takes the shadow's place. A read checks it first
    // (workingset_refault; a write's page is added with __GFP_WRITE, not checked).
    const evicted = pc.shadowOf(fp);
    let active = false;
    if (!write && evicted !== 0) {
      this.counters.workingsetRefaults++;
      if (((this.inactiveAge - evicted) >>> 0) <= pc.activePages) {
        active = true;
        this.ageInactive();
        this.counters.workingsetActivations++;
      }
    }
    // A read brings the page in through readpage (PG_mappedtodisk set); a write miss through write_begin (not set).
    pc.insert(fp, fs, write, active, !write, !write);
    this.inOom = false; // a page was found: the shortage is over
    this.noteReclaimStat(true, active); // __pagevec_lru_add_fn
  }

  /** update_page_reclaim_stat: a page added to or taken from a list counts as scanned, an activated one as rotated too. */
  private noteReclaimStat(file: boolean, rotated: boolean): void {
    const st = this.reclaimStat;
    if (file) {
      st.fileScanned++;
      if (rotated) st.fileRotated++;
    } else {
      st.anonScanned++;
      if (rotated) st.anonRotated++;
    }
  }

  /** Advances the eviction clock (lruvec->inactive_age), skipping 0 (no shadow); returns the new value. */
  private ageInactive(): number {
    this.inactiveAge = (this.inactiveAge + 1) >>> 0 || 1;
    return this.inactiveAge;
  }

  /** A file's shadow entries go with it (truncate, unlink, unmount). */
  private clearShadows(file: number): void {
    this.pageCache.clearShadows(file * this.pagesPerFile, (file + 1) * this.pagesPerFile);
  }

  /** One touch of anonymous page `page` (swapped in if it is out). */
  accessAnonPage(page: number): void {
    assert(page >= 0 && page < this.anonPages, 'anonymous page out of range');
    this.counters.anonAccesses++;
    if (this.anonRec[ANON_REC * page] >= RESIDENT_YOUNG) {
      // The MMU sets the PTE's accessed bit; the kernel sees it only when reclaim looks.
      this.anonRec[ANON_REC * page] = RESIDENT_YOUNG;
      return;
    }
    if (this.freePages() < 1 && !this.ensureFree(1, true)) {
      this.oom(0);
      return;
    }
    this.swapIn(page);
    this.inOom = false; // a page was found: the shortage is over
  }

  /** Sets the anonymous pages to `pages` (Committed_AS): new pages are allocated, the last ones freed. */
  setAnonPages(pages: number): void {
    assertCount(pages, 'anon pages');
    const demandChanged = pages !== this.demandPages;
    const had = this.anonPages;
    this.demandPages = pages;
    while (this.anonPages > pages) this.freeAnonPage(this.anonPages - 1);
    if (this.anonPages < pages) this.growAnonArrays(pages);
    while (this.anonPages < pages) {
      if (this.freePages() < 1 && !this.ensureFree(1, true)) {
        this.oom(pages - this.anonPages);
        return;
      }
      const id = this.anonPages++;
      this.anonRec[ANON_REC * id] = RESIDENT_YOUNG;
      this.anonLru.pushHead(ANON_LIST, id);
      this.anonResident++;
      this.counters.anonFaults++;
      this.noteReclaimStat(false, true); // a new anonymous page is added active
    }
    // Demand fits again (it changed, or pages were found for it): the next
    // shortage is a new OOM episode. The same demand met by the same pages is
    // not relief: a swap-in that failed for want of a page still would.
    if (demandChanged || this.anonPages !== had) this.inOom = false;
  }

  /** Unlink a file and create a new one in its place (a new inode). */
  unlinkFile(file: number): void {
    this.dropFilePages(file);
    this.newInodeFile.delete(this.fileInode[file]);
    let inode = 0;
    // Bounded: fewer files than inode numbers, so a free one is found within 2^16 tries.
    for (let tries = 0; tries <= 0x10000; tries++) {
      const seq = this.nextInodeSeq++;
      inode = this.config.cleancacheShared
        ? SHARED_INODE_BASE + (this.domid & 0x7fff) * 0x10000 + (seq & 0xffff)
        : FIRST_INODE + (seq % (0xfffffff0 - FIRST_INODE));
      if (!this.newInodeFile.has(inode) && this.fileOfInode(inode) < 0) break;
    }
    this.fileInode[file] = inode;
    this.fileGen[file] = 0;
    this.fileImage[file] = 0;
    this.newInodeFile.set(this.fileInode[file], file);
  }

  /** Truncate a file to 0 and rewrite it (new contents, same inode; on a shared filesystem, an unlink). */
  truncateFile(file: number): void {
    if (this.config.cleancacheShared) return this.unlinkFile(file);
    this.dropFilePages(file);
    this.fileGen[file]++;
  }

  /**
   * truncate_inode_pages_range (v4.10 on, v5.2 included): each cached page is
   * dropped and invalidated (not put: truncation clears PG_mappedtodisk),
   * then the inode is invalidated once, at the end, also when the file had
   * no pages.
   */
  private dropFilePages(file: number): void {
    const inode = this.fileInode[file];
    const fs = file % this.filesystems;
    const pc = this.pageCache;
    for (let idx = 0; idx < this.pagesPerFile; idx++) {
      const s = pc.lookup(file * this.pagesPerFile + idx);
      if (s === NONE) continue;
      pc.remove(s);
      this.cleancache.invalidatePage(fs, inode, idx);
    }
    this.cleancache.invalidateInode(fs, inode);
    this.clearShadows(file);
  }

  // ---------------------------------------------------------------- reclaim

  /** Pages neither reserved nor used. */
  freePages(): number {
    return this.ramPages - this.reservePages - this.anonResident - this.pageCache.size;
  }

  /**
   * Reclaims until `pages` are free (at least a batch of reclaimBatchPages);
   * false when it cannot. Anonymous pages are swapped only if `allowSwap`.
   * In runs of at most reclaimBatchPages (reclaimRun).
   */
  private ensureFree(pages: number, allowSwap: boolean): boolean {
    let free = this.freePages();
    if (free >= pages) return true;
    const batch = this.config.reclaimBatchPages;
    const goal = Math.max(pages, free + batch);
    // Bounded: each run frees at least one page or stops the loop.
    while (free < goal) {
      const want = Math.min(goal - free, batch);
      const freed = this.reclaimRun(want, allowSwap);
      free += freed;
      if (freed < want) break;
    }
    return free >= pages;
  }

  /**
   * One do_try_to_free_pages for `want` pages: priorities from DEF_PRIORITY
   * down to 0 until `want` pages are free. At each priority get_scan_count
   * chooses the balance and each list's budget (scanBudgets), and the lists
   * give pages in proportion to their budgets (a deterministic credit turns
   * the ratio into a sequence of choices). A budget counts pages reclaimed:
   * the second chances anonymous reclaim gives referenced pages are not
   * charged. The end of the run snapshots the refault count (snapshot_refaults).
   */
  private reclaimRun(want: number, allowSwap: boolean): number {
    let freed = 0;
    // Nothing to reclaim at any priority (no page cache, no swap room): skip the priorities.
    const nothing = this.pageCache.size === 0 && !(allowSwap && this.swap.free > 0 && this.anonResident > 0);
    for (let priority = nothing ? -1 : DEF_PRIORITY; priority >= 0 && freed < want; priority--) {
      this.scanBudgets(priority, allowSwap);
      let anon = this.anonBudget;
      let file = this.fileBudget;
      const anonShare = anon + file > 0 ? anon / (anon + file) : 0;
      while (freed < want && (anon > 0 || file > 0)) {
        let takeAnon = file === 0;
        if (anon > 0 && file > 0) {
          this.anonReclaimCredit += anonShare;
          takeAnon = this.anonReclaimCredit >= 1;
          if (takeAnon) this.anonReclaimCredit -= 1;
        }
        if (takeAnon) {
          anon--;
          if (this.swapOutOne()) freed++;
          else anon = 0;
        } else {
          file--;
          if (this.dropFileOne()) freed++;
          else file = 0;
        }
      }
    }
    this.refaultSnapshot = this.counters.workingsetActivations;
    return freed;
  }

  /** Whether refaults were seen since the last reclaim run (lruvec->refaults != WORKINGSET_ACTIVATE). */
  private refaulting(): boolean {
    return this.counters.workingsetActivations !== this.refaultSnapshot;
  }

  /**
   * get_scan_count at `priority`: sets anonBudget and fileBudget, the pages
   * to take from each side (a list's size >> priority, scaled for SCAN_FRACT).
   * - no swap room, or `allowSwap` false: file only;
   * - no file pages: anonymous only (upstream's SCAN_ANON when file pages are
   *   nearly gone, here when they are gone);
   * - priority 0 with swappiness: SCAN_EQUAL, both lists whole;
   * - SCAN_FILE: the inactive file list is not low and inactive >> priority
   *   is not 0 — enough page cache, no anonymous page is touched;
   * - else SCAN_FRACT: each list's size >> priority times its weight (ap,
   *   fp: scanFractions, swappiness scaled by the side's recent scans per
   *   rotation) over ap + fp + 1, rounded up.
   */
  private scanBudgets(priority: number, allowSwap: boolean): void {
    const pc = this.pageCache;
    const fileSize = pc.size;
    const anonSize = this.anonResident;
    const canSwap = allowSwap && this.swap.free > 0 && anonSize > 0;
    const sw = this.config.swappiness;
    this.anonBudget = 0;
    this.fileBudget = fileSize >>> priority;
    if (!canSwap) return;
    if (fileSize === 0) {
      this.anonBudget = anonSize >>> priority;
    } else if (priority === 0 && sw > 0) {
      this.anonBudget = anonSize;
    } else if (pc.inactivePages >>> priority === 0 || pc.inactiveIsLow(this.refaulting())) {
      const { ap, fp } = scanFractions(sw, this.reclaimStat, anonSize, fileSize);
      const denominator = ap + fp + 1;
      this.anonBudget = mulDivCeil(anonSize >>> priority, ap, denominator);
      this.fileBudget = mulDivCeil(fileSize >>> priority, fp, denominator);
    }
  }

  /** Drops the inactive file tail: written back first if dirty, then put to cleancache; leaves a shadow. */
  private dropFileOne(): boolean {
    const pc = this.pageCache;
    const active = pc.activePages;
    const s = pc.reclaimCandidate(this.refaulting());
    // shrink_active_list and shrink_inactive_list count the pages they take as scanned.
    if (pc.activePages < active) this.noteReclaimStat(true, false);
    if (s !== NONE) {
      this.noteReclaimStat(true, false);
      const fp = pc.pageOf(s);
      const file = Math.floor(fp / this.pagesPerFile);
      const index = fp - file * this.pagesPerFile;
      const inode = this.fileInode[file];
      const fs = pc.fsOf(s);
      if (pc.isDirty(s)) {
        // Written back first, then dropped clean (pageout + __remove_mapping).
        this.disk.fileWrite();
        pc.setDirty(s, false);
        this.counters.evictedDirty++;
      } else {
        this.counters.evictedClean++;
      }
      // __delete_from_page_cache: an up-to-date page that came in through a
      // read (PG_mappedtodisk) is put; any other page (here: one a write miss
      // brought in) has its cleancache copy invalidated instead.
      if (!pc.isMapped(s)) {
        this.cleancache.invalidatePage(fs, inode, index);
      } else if (this.cleancache.enabled(fs)) {
        this.expectFilePage(file, index);
        this.cleancache.put(fs, inode, index, this.expected);
      }
      pc.remove(s, this.ageInactive()); // workingset_eviction: the page leaves its shadow
      return true;
    }
    return false;
  }

  /**
   * Swaps out the anonymous LRU tail, giving referenced pages a second chance
   * first (page_check_references: a young PTE activates the page, its bit
   * cleared): frontswap if tmem takes it, else the swap disk.
   */
  private swapOutOne(): boolean {
    const lru = this.anonLru;
    const rec = this.anonRec;
    let victim = lru.tail(ANON_LIST);
    // Bounded: each rotation clears a referenced bit, so a second pass finds an unreferenced page.
    for (let rotations = 0; victim !== NONE && rec[ANON_REC * victim] === RESIDENT_YOUNG; rotations++) {
      assert(rotations <= this.anonResident, 'anon second chance: unbounded rotation');
      rec[ANON_REC * victim] = RESIDENT_OLD;
      lru.moveToHead(ANON_LIST, ANON_LIST, victim);
      victim = lru.tail(ANON_LIST);
      this.noteReclaimStat(false, true);
    }
    if (victim === NONE) return false;
    this.noteReclaimStat(false, false);
    const off = this.swap.alloc(victim);
    if (off === NONE) return false;
    this.content.anonPage(victim, this.anonRec[ANON_REC * victim + ANON_GEN], this.expected);
    if (this.frontswap.store(off, this.expected)) this.inFrontswap.add(victim);
    else this.disk.swapWrite();
    this.anonLru.remove(ANON_LIST, victim);
    this.anonRec[ANON_REC * victim] = off;
    this.anonResident--;
    this.counters.swapOuts++;
    return true;
  }

  /**
   * Brings a swapped page back (a free page must exist): frontswap load, else
   * the disk; frees the slot. `young`: the faulting access sets the accessed
   * bit; swapoff's unuse_pte installs the page old.
   */
  private swapIn(page: number, young = true): void {
    assert(this.freePages() >= 1, 'swap-in without a free page');
    const off = this.anonRec[ANON_REC * page];
    assert(off < RESIDENT_YOUNG && this.swap.owner[off] === page, 'swap-in of a page not in swap');
    if (this.frontswap.test(off)) {
      if (this.frontswap.load(off, this.scratch)) {
        this.content.anonPage(page, this.anonRec[ANON_REC * page + ANON_GEN], this.expected);
        if (!samePage(this.scratch, this.expected)) this.counters.contentMismatches++;
      } else {
        this.disk.swapRead();
      }
    } else {
      this.disk.swapRead();
    }
    this.frontswap.invalidatePage(off);
    this.inFrontswap.delete(page);
    this.swap.release(off);
    this.anonRec[ANON_REC * page] = young ? RESIDENT_YOUNG : RESIDENT_OLD;
    this.anonLru.pushHead(ANON_LIST, page);
    this.anonResident++;
    this.counters.swapIns++;
    this.noteReclaimStat(false, false); // added to the LRU
    this.noteReclaimStat(false, true); // then activated (activate_page)
  }

  private freeAnonPage(page: number): void {
    assert(page === this.anonPages - 1, 'anonymous pages are freed from the top');
    const off = this.anonRec[ANON_REC * page];
    if (off >= RESIDENT_YOUNG) {
      this.anonLru.remove(ANON_LIST, page);
      this.anonResident--;
    } else {
      // swap_entry_free -> frontswap_invalidate_page.
      this.frontswap.invalidatePage(off);
      this.inFrontswap.delete(page);
      this.swap.release(off);
    }
    this.anonRec[ANON_REC * page] = RESIDENT_OLD;
    this.anonRec[ANON_REC * page + ANON_GEN]++;
    this.anonPages--;
    this.counters.anonFrees++;
  }

  private growAnonArrays(pages: number): void {
    let cap = this.anonRec.length / ANON_REC;
    if (pages <= cap) return;
    while (cap < pages) cap *= 2;
    this.anonRec = newAnonRecords(cap, this.anonRec);
    this.anonLru.attach(this.anonRec);
    this.inFrontswap.grow(cap);
  }

  /** Where anonymous page `page` is: in RAM (young: its PTE accessed bit set, or old), in frontswap (tmem), or on the swap disk. */
  anonPageWhere(page: number): 'ram-young' | 'ram-old' | 'frontswap' | 'disk' {
    assert(page >= 0 && page < this.anonPages, 'anonymous page out of range');
    const off = this.anonRec[ANON_REC * page];
    if (off === RESIDENT_YOUNG) return 'ram-young';
    if (off > RESIDENT_YOUNG) return 'ram-old';
    return this.frontswap.test(off) ? 'frontswap' : 'disk';
  }

  /** OOM events so far (cheap: the simulator reads it after every workload batch). */
  get oomEventCount(): number {
    return this.counters.oomEvents;
  }

  /**
   * Demand did not fit in RAM plus swap. One OOM event per episode, as the
   * OOM killer fires once and the pressure persists. The episode ends when
   * memory is found again: the demand met in full (setAnonPages: a new one,
   * or the same one once pages were found for all of it), or a swap-in or a
   * page-cache read that got its page; not at every workload step that asks
   * for the same pages again. The pages that did not fit count once per
   * episode, at the episode's largest overflow (each workload step asks for
   * the demand again: the same pages are not counted again).
   */
  private oom(killedPages: number): void {
    if (!this.inOom) {
      this.counters.oomEvents++;
      this.oomShortfall = 0;
    }
    this.inOom = true;
    if (killedPages > this.oomShortfall) {
      this.counters.oomKilledPages += killedPages - this.oomShortfall;
      this.oomShortfall = killedPages;
    }
  }

  private expectFilePage(file: number, index: number): void {
    this.content.filePage(this.fileInode[file], index, this.fileGen[file], this.fileImage[file] === 1, this.expected);
  }

  /** The file currently holding `inode`, or -1. Image inodes map directly; others are searched. */
  private fileOfInode(inode: number): number {
    const f = inode - FIRST_INODE;
    if (f >= 0 && f < this.fileInode.length && this.fileInode[f] === inode) return f;
    return this.newInodeFile.get(inode) ?? -1;
  }

  // ---------------------------------------------------------------- balloon

  /** Toolstack mem-set (xenstore memory/target). */
  setBalloonTarget(pages: number): void {
    this.balloon.setTarget(pages);
  }

  /** The balloon worker: null when the target is reached, else the delay before it wants to run again. */
  balloonWork(_nowNs: number): number | null {
    assert(this.booted, 'balloonWork before boot');
    return this.balloon.work(this.balloonHost);
  }

  /** decrease_reservation(GFP_BALLOON): allocate guest pages (reclaiming, no OOM) and hand them back. */
  private balloonInflate(pages: number): number {
    this.ensureFree(pages, true);
    const got = Math.min(pages, Math.max(0, this.freePages()));
    if (got === 0) return 0;
    const r = this.hv.decreaseReservation(this.domid, got, this.domid);
    assert(r.ok && r.done === got, `guest ${this.config.name}: decrease_reservation of ${got} pages did not complete`);
    this.ramPages -= got;
    return got;
  }

  /** increase_reservation: XENMEM_populate_physmap; keeps what it got. */
  private balloonDeflate(pages: number): number {
    const r = this.hv.populatePhysmap(this.domid, pages, this.domid);
    this.ramPages += r.done;
    return r.done;
  }

  // ---------------------------------------------------------------- self-ballooning

  /**
   * Whether the self-balloon worker runs at all: as xen_selfballoon_init, it
   * is scheduled when self-ballooning or frontswap self-shrinking is on (each
   * needing tmem with frontswap), and either may run without the other.
   */
  get selfballoonWorkerRuns(): boolean {
    return this.selfballoonActive || this.sbParams.selfShrinking;
  }

  /** One selfballoon_process pass: sets the balloon target (only when self-ballooning is active), then frontswap self-shrinking. */
  selfballoonTick(_nowNs: number): void {
    assert(this.booted, 'selfballoonTick before boot');
    if (!this.selfballoonActive && !this.sbParams.selfShrinking) return;
    this.counters.selfballoonTicks++;
    if (this.selfballoonActive) {
      const state = {
        curPages: this.ramPages,
        committedPages: this.demandPages,
        totalreservePages: this.reservePages,
        frontswapPages: this.frontswap.pages,
        maxPfn: this.maxPfn,
      };
      this.counters.lastGoalPages = selfballoonGoal(state, this.sbParams);
      const tgt = selfballoonTarget(state, this.sbParams);
      this.counters.lastTargetPages = tgt;
      // balloon_set_new_target(tgt + current_pages - totalram_pages): the two coincide here.
      this.balloon.setTarget(tgt);
    }
    if (this.sbParams.selfShrinking) {
      const tgt = this.selfshrink.tick(this.frontswap.pages);
      if (tgt !== null) this.frontswapShrink(tgt);
    }
  }

  /**
   * frontswap_shrink: a partial swapoff of frontswap pages until
   * `targetPages` remain, bringing each page back into RAM. v5.2's
   * try_to_unuse (since v5.1) walks the process's page tables in address
   * order (unuse_mm, unuse_pte_range), skipping entries not in frontswap, and
   * stops when enough are back: here anonymous page ids stand for addresses,
   * so the lowest-id pages in frontswap come back first. It only uses memory
   * it can get by dropping page cache, never by swapping.
   */
  frontswapShrink(targetPages: number): void {
    let need = this.frontswap.pages - targetPages;
    // Bounded: each page found is swapped in (leaves the set) or ends the walk.
    for (let page = this.inFrontswap.next(0); need > 0 && page >= 0; page = this.inFrontswap.next(page + 1)) {
      if (this.freePages() < 1 && !this.ensureFree(1, false)) break;
      this.swapIn(page, false);
      this.counters.selfShrunkPages++;
      need--;
    }
  }

  /**
   * swapoff: every swapped page back into RAM, in address order (try_to_unuse
   * walks the page tables), then frontswap_invalidate_area. False (nothing
   * invalidated) when RAM cannot hold them, as swapoff fails with ENOMEM.
   */
  swapoff(): boolean {
    for (let page = 0; page < this.anonPages; page++) {
      if (this.anonRec[ANON_REC * page] >= RESIDENT_YOUNG) continue;
      if (this.freePages() < 1 && !this.ensureFree(1, false)) return false;
      this.swapIn(page, false);
    }
    this.frontswap.invalidateArea();
    this.inFrontswap.clear();
    // The device is off: reclaim swaps no more (no swapon again in this model).
    this.swap.turnOff();
    return true;
  }

  // ---------------------------------------------------------------- observation

  metrics(): GuestMetrics {
    const c = this.counters;
    const cc = this.cleancache.stats;
    const fs = this.frontswap.stats;
    const d = this.disk.stats;
    const b = this.balloon.stats;
    return {
      domid: this.domid,
      name: this.config.name,
      ramPages: this.ramPages,
      balloonTargetPages: this.balloon.targetPages,
      maxPfnPages: this.maxPfn,
      kernelReservePages: this.reservePages,
      committedPages: this.demandPages,
      anonPages: this.anonPages,
      anonResidentPages: this.anonResident,
      anonSwappedPages: this.anonPages - this.anonResident,
      pageCachePages: this.pageCache.size,
      pageCacheDirtyPages: this.pageCache.dirty,
      freePages: this.freePages(),
      cleancache: { puts: cc.puts, gets: cc.gets, hits: cc.hits, invalidates: cc.invalidates },
      frontswap: {
        stores: fs.stores,
        loads: fs.loads,
        rejects: fs.rejects,
        invalidates: fs.invalidates,
        pages: this.frontswap.pages,
        failedLoads: fs.failedLoads,
        selfShrunkPages: c.selfShrunkPages,
      },
      disk: { fileReads: d.fileReads, fileWrites: d.fileWrites, swapReads: d.swapReads, swapWrites: d.swapWrites, busyNs: d.busyNs },
      swap: { usedSlots: this.swap.used, freeSlots: this.swap.free },
      fileAccesses: c.fileAccesses,
      fileHits: c.fileHits,
      workingsetRefaults: c.workingsetRefaults,
      workingsetActivations: c.workingsetActivations,
      reclaimStat: { ...this.reclaimStat },
      anonAccesses: c.anonAccesses,
      anonFaults: c.anonFaults,
      anonFrees: c.anonFrees,
      swapIns: c.swapIns,
      swapOuts: c.swapOuts,
      evictedCleanPages: c.evictedClean,
      evictedDirtyPages: c.evictedDirty,
      oomEvents: c.oomEvents,
      oomKilledPages: c.oomKilledPages,
      balloon: { inflatedPages: b.inflatedPages, deflatedPages: b.deflatedPages, failedPasses: b.failedPasses, scheduleDelayS: this.balloon.scheduleDelayS },
      selfballoon: { active: this.selfballoonActive, ticks: c.selfballoonTicks, lastGoalPages: c.lastGoalPages, lastTargetPages: c.lastTargetPages },
      pageCacheMetadataBytes: this.pageCache.metadataBytes(),
    };
  }

  /** Whole-structure checks; empty when everything holds. */
  /**
   * Page operations so far (accesses, anonymous faults and frees, swap-outs,
   * file pages evicted): the work the guest did, which pays for spaced
   * invariant checks (run --verify).
   */
  pageOps(): number {
    const c = this.counters;
    return c.fileAccesses + c.anonAccesses + c.anonFaults + c.anonFrees + c.swapOuts + c.evictedClean + c.evictedDirty;
  }

  /** What violations() walks, in rough units: anonymous records and their LRU, swap slots, the page cache (slots and entries), frontswap bits. */
  checkCost(): number {
    return 2 * this.anonPages + this.swap.checkCost() + this.pageCache.checkCost() + this.frontswap.pages;
  }

  violations(): string[] {
    const name = `guest ${this.config.name}`;
    const out: string[] = [];
    out.push(...this.pageCache.violations().map((v) => `${name}: ${v}`));
    out.push(...this.swap.violations().map((v) => `${name}: ${v}`));
    if (this.freePages() < 0) out.push(`${name}: reserve + anon + page cache exceed RAM by ${-this.freePages()}`);
    const info = this.hv.domainInfo(this.domid);
    if (info.ok && info.tot_pages - info.tmem_pages !== this.ramPages) {
      out.push(`${name}: RAM ${this.ramPages} but the domain owns ${info.tot_pages - info.tmem_pages} RAM pages`);
    }
    // Anonymous pages: each resident one on the LRU, each swapped one owning its slot; none lost.
    let resident = 0;
    let swapped = 0;
    for (let id = 0; id < this.anonPages; id++) {
      const off = this.anonRec[ANON_REC * id];
      if (off >= RESIDENT_YOUNG) resident++;
      else {
        swapped++;
        if (off > this.swap.pages || this.swap.ownerOf(off) !== id) out.push(`${name}: anon page ${id} in slot ${off} owned by ${this.swap.ownerOf(off)}`);
      }
    }
    out.push(
      ...this.anonLru.check(ANON_LIST, `${name}: anon LRU`, (id) =>
        id < this.anonPages && this.anonRec[ANON_REC * id] >= RESIDENT_YOUNG ? null : `page ${id} on the LRU but not resident`,
      ),
    );
    if (resident !== this.anonResident) out.push(`${name}: ${resident} anon pages resident, counted ${this.anonResident}`);
    if (this.anonLru.count(ANON_LIST) !== this.anonResident) out.push(`${name}: anon LRU holds ${this.anonLru.count(ANON_LIST)} pages, ${this.anonResident} resident`);
    if (swapped !== this.swap.used) out.push(`${name}: ${swapped} anon pages swapped, ${this.swap.used} slots used`);
    // Shadow bitmap == pages in tmem, bits only on used slots.
    if (this.frontswap.popcount() !== this.frontswap.pages) {
      out.push(`${name}: frontswap bitmap has ${this.frontswap.popcount()} bits, counted ${this.frontswap.pages} pages`);
    }
    for (let off = this.frontswap.nextSet(0); off >= 0; off = this.frontswap.nextSet(off + 1)) {
      if (off > this.swap.pages || this.swap.ownerOf(off) === NONE) out.push(`${name}: frontswap bit set on free slot ${off}`);
      else if (!this.inFrontswap.has(this.swap.ownerOf(off))) out.push(`${name}: anon page ${this.swap.ownerOf(off)} in frontswap (slot ${off}) but not in the page-order set`);
    }
    // The page-order set (frontswapShrink's walk) holds exactly the pages in frontswap.
    if (this.inFrontswap.size !== this.frontswap.pages) out.push(`${name}: ${this.inFrontswap.size} pages in the page-order frontswap set, ${this.frontswap.pages} in frontswap`);
    if (this.counters.contentMismatches !== 0) out.push(`${name}: ${this.counters.contentMismatches} pages came back from tmem with other contents`);
    if (this.frontswap.stats.failedLoads !== 0) out.push(`${name}: ${this.frontswap.stats.failedLoads} frontswap loads missed (persistent data lost)`);
    return out;
  }
}
