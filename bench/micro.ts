// Benchmarks (not tests) of the smaller pieces, each a ratio against a
// well-known implementation measured side by side in the same process:
// - page-cache metadata bytes per cached page at 1,000,000 pages;
// - the tmem compression codec (lz4) against node:zlib deflateRawSync level 1
//   on a realistic page mix;
// - the simulator's event queue against tinyqueue;
// - Zipf draws through the sampler's table against computing each draw.

import { deflateRawSync } from 'node:zlib';
import TinyQueue from 'tinyqueue';
import { PageCache } from '../src/guest/pagecache.ts';
import { ZipfSampler } from '../src/guest/workload/zipf.ts';
import { Prng } from '../src/lib/prng.ts';
import { defaultCodec } from '../src/hypervisor/tmem/codec.ts';
import { EventQueue } from '../src/sim/queue.ts';
import { gc, memory } from './heap.ts';

const PAGE = 4096;


function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Heap bytes of page-cache metadata per cached page with `pages` pages cached (no contents: the cache holds none). */
export function cacheBytesPerPage(pages: number): number {
  gc();
  const before = memory();
  // A file set of exactly `pages` pages, all cached (the entries are per page of the file set, so this is their best case).
  const pc = new PageCache(pages);
  for (let p = 0; p < pages; p++) pc.insert(p, 0, false);
  gc();
  const after = memory();
  if (pc.size !== pages) throw new Error('page cache lost pages');
  return (after - before) / pages;
}

const WORDS = ['the', 'page', 'cache', 'memory', 'guest', 'kernel', 'xen', 'balloon', 'swap', 'file', 'inode', 'return', 'static', 'struct', 'int', 'void', 'if', 'else', 'for', 'while', '{', '}', ';', '=', '==', '0', '1', 'NULL', 'error', 'lock'];

/**
 * A realistic page mix, a quarter each: text (source-like words and lines),
 * zero-heavy (mostly zero with sparse values, as a freshly touched heap),
 * random (encrypted or already compressed data), structured binary
 * (records of small integers, pointers and flags, as kernel/heap objects).
 */
export function pageMix(count: number, seed = 7): Uint8Array[] {
  const rnd = xorshift(seed);
  const pages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const page = new Uint8Array(PAGE);
    switch (i % 4) {
      case 0: {
        let s = '';
        while (s.length < PAGE) {
          s += WORDS[rnd() % WORDS.length];
          s += rnd() % 9 === 0 ? '\n' + ' '.repeat(rnd() % 9) : ' ';
        }
        page.set(Buffer.from(s.slice(0, PAGE), 'latin1'));
        break;
      }
      case 1: {
        const n = 8 + (rnd() % 64);
        for (let k = 0; k < n; k++) page[rnd() % PAGE] = rnd() & 0xff;
        break;
      }
      case 2:
        for (let k = 0; k < PAGE; k += 4) new DataView(page.buffer).setUint32(k, rnd());
        break;
      default: {
        const dv = new DataView(page.buffer);
        const base = 0xffff8880_00000000n + BigInt(rnd() & 0xfffff000);
        for (let off = 0; off + 32 <= PAGE; off += 32) {
          dv.setUint32(off, rnd() % 1000, true); // a small counter
          dv.setUint32(off + 4, (rnd() & 7) << 8, true); // flags
          dv.setBigUint64(off + 8, base + BigInt((rnd() % 512) * 64), true); // a pointer
          dv.setBigUint64(off + 16, rnd() % 3 === 0 ? 0n : base + BigInt((rnd() % 512) * 64), true);
          dv.setUint32(off + 24, off / 32, true); // an index
        }
      }
    }
    pages.push(page);
  }
  return pages;
}

export interface CodecBenchResult {
  codec: string;
  pages: number;
  codecPagesPerSec: number;
  deflatePagesPerSec: number;
  codecRatio: number;
  deflateRatio: number;
}

export function benchCodec(pages = 4096, rounds = 4): CodecBenchResult {
  const mix = pageMix(pages);
  const codec = defaultCodec();
  const dst = new Uint8Array(codec.boundBytes);
  const run = (f: (p: Uint8Array) => number): { perSec: number; bytes: number } => {
    let bytes = 0;
    for (const p of mix.slice(0, 256)) f(p); // warm-up
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (const p of mix) bytes += f(p);
    const ns = Number(process.hrtime.bigint() - t0);
    return { perSec: ((mix.length * rounds) / ns) * 1e9, bytes: bytes / rounds };
  };
  const c = run((p) => {
    const n = codec.compress(p, dst);
    return n > 0 ? n : PAGE;
  });
  const d = run((p) => deflateRawSync(p, { level: 1 }).length);
  return {
    codec: codec.name,
    pages,
    codecPagesPerSec: c.perSec,
    deflatePagesPerSec: d.perSec,
    codecRatio: (pages * PAGE) / c.bytes,
    deflateRatio: (pages * PAGE) / d.bytes,
  };
}

export interface QueueBenchResult {
  ops: number;
  queuePerSec: number;
  tinyqueuePerSec: number;
}

interface Ev {
  t: number;
  seq: number;
  id: number;
}

/**
 * The hold model of discrete-event simulation: `size` events pending, then
 * `holds` times pop the earliest and push one at its time plus a random delay
 * (ties are common: delays are whole milliseconds). Ops = pushes + pops.
 */
export function benchQueue(size = 10_000, holds = 1_000_000): QueueBenchResult {
  const delays = new Float64Array(holds + size);
  const rnd = xorshift(99);
  for (let i = 0; i < delays.length; i++) delays[i] = (rnd() % 200) * 1_000_000;
  const ours = (): number => {
    const q = new EventQueue<number>();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < size; i++) q.push(delays[i], i);
    for (let i = 0; i < holds; i++) {
      const t = q.peekTime();
      const id = q.pop();
      q.push(t + delays[size + i], id);
    }
    while (q.size > 0) q.pop();
    return Number(process.hrtime.bigint() - t0);
  };
  const theirs = (): number => {
    const q = new TinyQueue<Ev>([], (a, b) => a.t - b.t || a.seq - b.seq);
    let seq = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < size; i++) q.push({ t: delays[i], seq: seq++, id: i });
    for (let i = 0; i < holds; i++) {
      const e = q.pop() as Ev;
      q.push({ t: e.t + delays[size + i], seq: seq++, id: e.id });
    }
    while (q.length > 0) q.pop();
    return Number(process.hrtime.bigint() - t0);
  };
  ours();
  theirs();
  gc();
  const a = ours();
  gc();
  const b = theirs();
  const ops = 2 * (size + holds);
  return { ops, queuePerSec: (ops / a) * 1e9, tinyqueuePerSec: (ops / b) * 1e9 };
}

export interface ZipfBenchResult {
  draws: number;
  tableNsPerDraw: number;
  computedNsPerDraw: number;
  /** Share of draws the table answered. */
  answered: number;
}

/**
 * Zipf draws (skew 0.9 over 262,144 ranks, a guest's 1 GiB file working set)
 * through the shared table and computed one by one, the same draws on each
 * side (same seed); three alternating rounds, the median of each side.
 */
export function benchZipf(draws = 2_000_000, n = 262_144, skew = 0.9): ZipfBenchResult {
  const run = (tableAfter: number): { ns: number; answered: number } => {
    const z = new ZipfSampler(n, skew, tableAfter);
    const rng = new Prng(5, 'bench-zipf');
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < draws; i++) sink += z.sample(rng);
    const ns = Number(process.hrtime.bigint() - t0);
    if (sink < 0) console.log(sink);
    return { ns: ns / draws, answered: z.tableAnswers / draws };
  };
  const table: number[] = [];
  const computed: number[] = [];
  let answered = 0;
  for (let round = 0; round < 3; round++) {
    const t = run(1);
    table.push(t.ns);
    answered = t.answered;
    computed.push(run(Infinity).ns);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1];
  return { draws, tableNsPerDraw: median(table), computedNsPerDraw: median(computed), answered };
}
