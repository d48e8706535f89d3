// A tmem client: one per domain, created on its first tmem operation
// (xen/common/tmem.c: client_create, do_tmem_op). It holds up to 16 pool
// slots, the control state (frozen, weight, cap, compress), its ephemeral LRU
// and, for persistent compressed data, its own sub-page allocator whose
// frames are charged to the domain (tmem_xen.h: the per-client xmem pool).

import type { Domain } from '../domain.ts';
import { TMEM_MAX_POOLS_PER_CLIENT, TMEM_MAX_SHARED_AUTH, TMEM_UUID_NONE } from './api.ts';
import type { Pool } from './pool.ts';
import type { SubpageAllocator } from './subpage.ts';

export interface ClientStats {
  ephemeralGets: number;
  persistentPuts: number;
  persistentGets: number;
  /** Handles holding compressed data now (Xen's cp: compressed_pages), dedup matches included. */
  compressedPages: number;
  /** Their compressed sizes summed, each handle at its size (Xen's cb: compressed_sum_size). */
  compressedBytes: number;
  compressPoor: number;
  compressNomem: number;
}

export class Client {
  readonly pools: (Pool | null)[] = new Array<Pool | null>(TMEM_MAX_POOLS_PER_CLIENT).fill(null);
  frozen = false;
  /** Frozen state before save_begin, restored by save_end. */
  wasFrozen = false;
  /**
   * Set by save_begin with a non-zero argument (a live migration), cleared by
   * save_end: a put to a handle that holds data then fails with ENOSPC and the
   * old data goes (4.12 do_tmem_dup_put: no dups while migrating).
   */
  migrating = false;
  weight = 0;
  /** Stored, never enforced (as in Xen). */
  cap = 0;
  /** Persistent logical pages in the client's pools. */
  persistentPages = 0;
  /** Frames charged to the domain for persistent data (== domain.pagesTmemFrames). */
  persistentFrames = 0;
  persistentSub: SubpageAllocator | null = null;
  /**
   * The UUIDs this client is authorised to share (when authorisation is
   * required): Xen's 16-entry shared_auth_uuid table, all-ones marking a free
   * entry (client_create). Authorising takes the first free entry without
   * looking for the UUID already there, so a UUID authorised twice takes two
   * entries and stays authorised after one de-authorisation
   * (tmemc_shared_pool_auth).
   */
  readonly sharedAuth: string[] = new Array<string>(TMEM_MAX_SHARED_AUTH).fill(TMEM_UUID_NONE);
  readonly stats: ClientStats = {
    ephemeralGets: 0,
    persistentPuts: 0,
    persistentGets: 0,
    compressedPages: 0,
    compressedBytes: 0,
    compressPoor: 0,
    compressNomem: 0,
  };

  constructor(
    readonly domid: number,
    /** Kept so a dying domain's frames can still be given back. */
    readonly domain: Domain,
    /** The id of this client's ephemeral LRU in tmem's list set. */
    readonly ephemeralList: number,
    public compress: boolean,
  ) {}

  poolCount(): number {
    let n = 0;
    for (const p of this.pools) if (p !== null) n++;
    return n;
  }
}
