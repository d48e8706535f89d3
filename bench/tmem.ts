// Benchmark (not a test): ephemeral put+get throughput of tmem against
// lru-cache holding the same number of 4 KiB pages under the same sequence,
// and against the copy floor (two Uint8Array.set of 4 KiB per put+get); then
// heap bytes of tmem metadata per stored page at 1,000,000 pages (synthetic
// store, so page contents are not counted).
//
// Run alone: node --expose-gc --import tsx bench/tmem.ts

import { pathToFileURL } from 'node:url';
import { LRUCache } from 'lru-cache';
import { createHostWithTmem } from '../src/hypervisor/tmem/index.ts';
import { MIDSIZE_ALLOC_FRAC } from '../src/hypervisor/allocator.ts';
import type { Oid, SyntheticPage } from '../src/hypervisor/tmem/api.ts';
import { gc, memory } from './heap.ts';

const PAGE = 4096;

export interface TmemBenchResult {
  pages: number;
  pairs: number;
  tmemPairsPerSec: number;
  lruPairsPerSec: number;
  /** Median over the rounds of (tmem ÷ lru-cache) measured back to back in that round. */
  tmemVsLru: number;
  rounds: number;
  copyFloorPairsPerSec: number;
  hitRateTmem: number;
  hitRateLru: number;
  metadataPages: number;
  metadataBytesPerPage: number;
}

function keys(count: number, range: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    // Skewed: half the accesses to the first quarter of the range.
    out[i] = (x & 1) === 0 ? (x >>> 1) % (range >>> 2) : (x >>> 1) % range;
  }
  return out;
}

/**
 * The smallest host with room for `pages` tmem frames above the allocator's
 * mid-size zone (1/128 of the host) plus `spare` pages (tmem's low-memory
 * mark of 256 pages, or more).
 */
function hostPagesFor(pages: number, spare: number): number {
  let total = pages + spare;
  while (total - Math.floor(total / MIDSIZE_ALLOC_FRAC) < pages + spare) total++;
  return total;
}

function benchTmemPairs(pages: number, seq: Uint32Array, src: Uint8Array): { pairsPerSec: number; hitRate: number } {
  // The host has room for `pages` ephemeral frames above the mid-size zone and tmem's low-memory mark.
  const { hv, tmem } = createHostWithTmem({ pages: hostPagesFor(pages, 256) }, { store: 'bytes' });
  hv.domainCreate(1, 1);
  // A shared ephemeral pool: a get keeps the page and makes it most recently used, as lru-cache's get does.
  tmem.newPool(1, { persistent: false, shared: true, uuid: '0123456789abcdef0123456789abcdef' });
  const out = new Uint8Array(PAGE);
  const oid: [number, number, number] = [0, 0, 0];
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < seq.length; i++) {
    const k = seq[i];
    oid[0] = k >>> 6;
    const index = k & 63;
    if (tmem.get(1, 0, oid as Oid, index, out).ok === true && out[0] === (k & 0xff)) {
      hits++;
      continue;
    }
    src[0] = k & 0xff;
    tmem.put(1, 0, oid as Oid, index, src);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { pairsPerSec: (seq.length / ns) * 1e9, hitRate: hits / seq.length };
}

function benchLru(pages: number, seq: Uint32Array, src: Uint8Array): { pairsPerSec: number; hitRate: number } {
  const cache = new LRUCache<number, Uint8Array>({ max: pages });
  const out = new Uint8Array(PAGE);
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < seq.length; i++) {
    const k = seq[i];
    const v = cache.get(k);
    if (v !== undefined) {
      out.set(v);
      hits++;
      continue;
    }
    src[0] = k & 0xff;
    cache.set(k, Uint8Array.from(src));
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { pairsPerSec: (seq.length / ns) * 1e9, hitRate: hits / seq.length };
}

function benchCopy(count: number, src: Uint8Array): number {
  const a = new Uint8Array(PAGE);
  const b = new Uint8Array(PAGE);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    src[0] = i & 0xff;
    a.set(src);
    b.set(a);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return (count / ns) * 1e9;
}

/** Heap bytes of tmem metadata per page with `pages` synthetic pages stored. */
export function metadataBytesPerPage(pages: number): number {
  gc();
  const before = memory();
  const { hv, tmem } = createHostWithTmem({ pages: hostPagesFor(pages, 1024) }, { store: 'synthetic' });
  hv.domainCreate(1, 1);
  tmem.newPool(1, { persistent: false, shared: false });
  const page: SyntheticPage = { fpHi: 1, fpLo: 0, compressedBytes: PAGE };
  const oid: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < pages; k++) {
    oid[0] = k >>> 6;
    page.fpLo = k + 1;
    const r = tmem.put(1, 0, oid as Oid, k & 63, page);
    if (!r.ok) throw new Error(`put ${k}: ${r.errno}`);
  }
  gc();
  const after = memory();
  if (tmem.stats().ephemeralPages !== pages) throw new Error('pages were evicted during the measurement');
  return (after - before) / pages;
}

export function benchTmem(options: { pages?: number; pairs?: number; metadataPages?: number } = {}): TmemBenchResult {
  const pages = options.pages ?? 32768;
  const pairs = options.pairs ?? 400_000;
  const metadataPages = options.metadataPages ?? 1_000_000;
  // Heap first: garbage from the throughput runs (their 4 KiB slabs) would blur it.
  const meta = metadataPages > 0 ? metadataBytesPerPage(metadataPages) : NaN;
  gc();
  const seq = keys(pairs, pages * 2, 12345);
  const src = new Uint8Array(PAGE).fill(7);
  // Warm up both (JIT), then alternate them for several rounds: the ratio of
  // each round's two back-to-back runs, and the median of those ratios, so a
  // load burst on the shared machine hits both sides of a ratio alike.
  benchTmemPairs(pages, seq.subarray(0, 50_000), src);
  benchLru(pages, seq.subarray(0, 50_000), src);
  const rounds = 7;
  const tRuns: { pairsPerSec: number; hitRate: number }[] = [];
  const lRuns: { pairsPerSec: number; hitRate: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    tRuns.push(benchTmemPairs(pages, seq, src));
    gc();
    lRuns.push(benchLru(pages, seq, src));
    gc();
  }
  const median = (runs: { pairsPerSec: number; hitRate: number }[]): { pairsPerSec: number; hitRate: number } =>
    [...runs].sort((x, y) => x.pairsPerSec - y.pairsPerSec)[runs.length >> 1];
  const t = median(tRuns);
  const l = median(lRuns);
  const ratios = tRuns.map((x, i) => x.pairsPerSec / lRuns[i].pairsPerSec).sort((a, b) => a - b);
  const copy = benchCopy(pairs, src);
  return {
    pages,
    pairs,
    tmemPairsPerSec: t.pairsPerSec,
    lruPairsPerSec: l.pairsPerSec,
    tmemVsLru: ratios[ratios.length >> 1],
    rounds,
    copyFloorPairsPerSec: copy,
    hitRateTmem: t.hitRate,
    hitRateLru: l.hitRate,
    metadataPages,
    metadataBytesPerPage: meta,
  };
}

export function printTmemBench(r: TmemBenchResult): void {
  const k = (x: number): string => `${(x / 1000).toFixed(0)}k/s`;
  console.log(`tmem ephemeral get-or-put, ${r.pairs} ops over ${r.pages} pages of 4 KiB`);
  console.log(`  tmem (bytes store)   ${k(r.tmemPairsPerSec)}  hit rate ${(r.hitRateTmem * 100).toFixed(1)}%`);
  console.log(`  lru-cache            ${k(r.lruPairsPerSec)}  hit rate ${(r.hitRateLru * 100).toFixed(1)}%`);
  console.log(`  copy floor           ${k(r.copyFloorPairsPerSec)}`);
  console.log(`  tmem / lru-cache     ${r.tmemVsLru.toFixed(2)}x (median of ${r.rounds} rounds' ratios)`);
  console.log(`  tmem / copy floor    ${(r.tmemPairsPerSec / r.copyFloorPairsPerSec).toFixed(2)}x`);
  const gcNote = (globalThis as { gc?: () => void }).gc === undefined ? ' (run with --expose-gc for an exact figure)' : '';
  console.log(`metadata per stored page at ${r.metadataPages} pages: ${r.metadataBytesPerPage.toFixed(1)} bytes${gcNote}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTmemBench(benchTmem());
}
