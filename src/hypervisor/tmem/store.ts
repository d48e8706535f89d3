// The content-store interface: how one stored content (a "content
// descriptor", Xen 4.3's pcd) is encoded, compared, kept and read back.
// Two stores implement it with the same metadata and the same decisions:
// `bytes` (real 4 KiB contents) and `synthetic` (a 64-bit fingerprint and a
// compressed-size class). Encoding order follows xen/common/tmem.c
// (do_tmem_put_compress, then pcd_associate): compress when the client asks;
// a page that does not shrink below the sub-page limit is "poor" and kept
// whole; an uncompressed page may then be trimmed of trailing zero words (TZE).

import type { PageContent } from './api.ts';
import type { SubpageAllocator } from './subpage.ts';

export const KIND_WHOLE = 0;
export const KIND_COMPRESSED = 1;
export const KIND_TZE = 2;
const LEN_BITS = 13;
const LEN_MASK = (1 << LEN_BITS) - 1;

/** The stored form of a content in 16 bits: kind (2 bits) and stored length in bytes (13 bits). */
export function lenKind(kind: number, lenBytes: number): number {
  return (kind << LEN_BITS) | lenBytes;
}
export function kindOf(lk: number): number {
  return lk >>> LEN_BITS;
}
export function lenOf(lk: number): number {
  return lk & LEN_MASK;
}

/** TZE keeps a trimmed prefix only up to this length (Xen 4.3: PCD_TZE_MAX_SIZE = PAGE_SIZE - PAGE_SIZE/64). */
export const TZE_MAX_BYTES = 4096 - 4096 / 64;

/** Whether the content needs a whole frame, a sub-page slot, or nothing. */
export function needsSlot(lk: number): boolean {
  return kindOf(lk) !== KIND_WHOLE && lenOf(lk) > 0;
}

export interface ContentStore {
  readonly kind: 'bytes' | 'synthetic';
  /** Grows the per-content arrays to hold ids below `capacity`. */
  ensureCapacity(capacity: number): void;
  /** A description of what is wrong with `content` for this store, or null. */
  reject(content: PageContent): string | null;
  /** Analyses a content about to be put; returns its stored form (lenKind). Sets `lastPoor`. */
  encode(content: PageContent, compress: boolean, tze: boolean): number;
  /** The last encode tried to compress and the result was too big (Xen: compress_poor). */
  readonly lastPoor: boolean;
  /** 32-bit hash of the full contents last encoded (finds dedup candidates only). */
  hashLast(): number;
  /** Whether stored content `cd` equals the content last encoded, compared in full. */
  sameAsLast(cd: number, lk: number, loc: number, sub: SubpageAllocator | null): boolean;
  /**
   * Keeps the content last encoded as `cd`. `slot` is its sub-page slot (NONE
   * when it has none). Returns the location to remember (the slot, a whole
   * frame of the store, or NONE).
   */
  commit(cd: number, lk: number, slot: number, sub: SubpageAllocator | null): number;
  /** Writes content `cd` into `out`. */
  read(cd: number, lk: number, loc: number, sub: SubpageAllocator | null, out: PageContent): void;
  /** Forgets content `cd`'s whole-frame storage (the slot is freed by the caller). */
  release(cd: number, lk: number, loc: number): void;
  /** Whole frames the store holds (checks). */
  readonly wholeFramesHeld: number;
}
