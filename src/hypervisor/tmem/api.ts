// The tmem hypercall interface (__HYPERVISOR_tmem_op, SEMANTICS.md §4.1) as the
// rest of hypermem sees it: what a Linux frontend (cleancache, frontswap), the
// toolstack (control) and the replay command call. Implemented by `Tmem`
// (./tmem.ts). Results mirror Xen: `rc` is the non-negative return value, a
// negative return becomes `{ok:false, errno}`.

import type { Errno } from '../../lib/result.ts';

export const TMEM_PAGE_BYTES = 4096;
export const TMEM_MAX_POOLS_PER_CLIENT = 16;
/** Entries of a client's shared-pool authorisation table (Xen: MAX_GLOBAL_SHARED_POOLS). */
export const TMEM_MAX_SHARED_AUTH = 16;
/** The all-ones UUID: no shared pool (new_pool) and a free authorisation entry (Xen's -1:-1). */
export const TMEM_UUID_NONE = 'f'.repeat(32);
/** A pool UUID as the API takes it: 32 hex digits (either case). */
export const TMEM_UUID_RE = /^[0-9a-fA-F]{32}$/;

/**
 * Synthetic page content (the simulator's store): a 64-bit fingerprint as two
 * unsigned 32-bit halves and the size the page compresses to, in bytes
 * (1..4096; 4096 = incompressible). Fingerprint 0:0 means an all-zero page.
 * Two pages with equal fingerprints have equal contents.
 */
export interface SyntheticPage {
  fpHi: number;
  fpLo: number;
  compressedBytes: number;
}

/** A page's contents: real bytes (exactly 4096) for the bytes store, or a synthetic descriptor. */
export type PageContent = Uint8Array | SyntheticPage;

/** A tmem object id: three 64-bit words, each given here as an integer in [0, 2^53). */
export type Oid = readonly [number, number, number];

export type TmemRc = { ok: true; rc: number } | { ok: false; errno: Errno };

/** Xen's TMEM_NEW_POOL flags word (xen/include/public/tmem.h, 4.12). */
export const TMEM_SPEC_VERSION = 1;
export const TMEM_POOL_PERSIST = 0x1;
export const TMEM_POOL_SHARED = 0x2;
export const TMEM_POOL_PRECOMPRESSED = 0x4;
/** Page size as log2(bytes) − 12 (0 = 4 KiB) in bits 4–7. */
export const TMEM_POOL_PAGESIZE_SHIFT = 4;
export const TMEM_POOL_PAGESIZE_MASK = 0xf;
/** Spec version in bits 24–31. */
export const TMEM_POOL_VERSION_SHIFT = 24;
export const TMEM_POOL_VERSION_MASK = 0xff;
/** Bits 8–23 (bit 3 is neither used nor reserved: Xen ignores it). */
export const TMEM_POOL_RESERVED_BITS = 0x00ffff00;

export interface NewPoolFlags {
  persistent: boolean;
  shared: boolean;
  /** 128-bit UUID as 32 hex digits; names a shared pool. */
  uuid?: string;
  /** Page size in bytes; must be 4096 (EPERM otherwise). Default 4096. */
  pageBytes?: number;
  /** Spec version; must be 1 (EPERM otherwise). Default 1. */
  specVersion?: number;
  /**
   * The flags as the guest passes them to Xen: one u32 in the TMEM_POOL_*
   * layout, which also carries what the fields cannot (the precompressed
   * flag, reserved bits: EPERM) and is checked as Xen checks it. When given,
   * `persistent` and `shared` must be its bits 0 and 1 and `pageBytes` and
   * `specVersion` absent (`poolFlagsOfWord` builds such flags).
   */
  rawFlags?: number;
}

/** The flags of a new_pool request from Xen's flags word. */
export function poolFlagsOfWord(rawFlags: number, uuid?: string): NewPoolFlags {
  return { persistent: (rawFlags & TMEM_POOL_PERSIST) !== 0, shared: (rawFlags & TMEM_POOL_SHARED) !== 0, uuid, rawFlags };
}

export interface TmemHostOptions {
  dedup: boolean;
  tze: boolean;
  /** Default compression for new clients (set_compress changes it per client). */
  compress: boolean;
  /** 'bytes' (real contents) or 'synthetic' (fingerprints). */
  store: 'bytes' | 'synthetic';
  /**
   * Joining a shared pool needs a per-client authorisation of its UUID
   * (control `shared_auth`). Default false: anyone may join (Xen 4.3's default).
   */
  sharedAuth?: boolean;
  /**
   * Before a put, tmem evicts ephemeral pages until this many pages are free
   * (Xen: tmem_ensure_avail_pages, 1 MiB). Default: 256 pages, scaled down to
   * 1/128 of the host (at least 4) on hosts smaller than 128 MiB.
   */
  lowMemPages?: number;
  /** Xen's client_over_quota inequality exactly as coded (see docs/tmem.md). Default false. */
  overQuotaAsCoded?: boolean;
}

/** A handle of a stored page, as save/migration enumerates them. */
export interface TmemHandle {
  pool: number;
  oid: [number, number, number];
  index: number;
}

export type TmemControlSubop =
  | 'restore_begin'
  | 'freeze'
  | 'thaw'
  | 'flush'
  | 'query_freeable_mb'
  | 'set_weight'
  | 'set_cap'
  | 'set_compress'
  | 'list'
  | 'shared_auth'
  | 'save_begin'
  | 'save_end'
  | 'enumerate';

/** The hypercalls. `caller` is the calling domain (a guest acts only on its own client). */
export interface TmemOps {
  newPool(caller: number, flags: NewPoolFlags): TmemRc;
  put(caller: number, pool: number, oid: Oid, index: number, content: PageContent): TmemRc;
  /**
   * rc 1 hit (contents written to `out`: the 4096 bytes into a Uint8Array, or
   * the fingerprint and size into a SyntheticPage), rc 0 miss, EEMPTY when the
   * pool holds no page.
   */
  get(caller: number, pool: number, oid: Oid, index: number, out: PageContent): TmemRc;
  flushPage(caller: number, pool: number, oid: Oid, index: number): TmemRc;
  flushObject(caller: number, pool: number, oid: Oid): TmemRc;
  destroyPool(caller: number, pool: number): TmemRc;
}
