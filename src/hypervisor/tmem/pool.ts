// A tmem pool (xen/common/tmem.c: struct tmem_pool): persistent or
// ephemeral, private or shared (by UUID, among the clients on its share
// list; one of them owns it and keeps its ephemeral pages on its LRU).
// Pools are few (16 per client), so a pool is a plain object; its pages are not.

import type { Client } from './client.ts';
import { NONE } from '../../lib/typed.ts';

export interface PoolStats {
  puts: number;
  goodPuts: number;
  dupPutsReplaced: number;
  dupPutsFlushed: number;
  noMemPuts: number;
  gets: number;
  foundGets: number;
  flushes: number;
  flushesFound: number;
  objectFlushes: number;
  objectFlushesFound: number;
  evicted: number;
}

export function newPoolStats(): PoolStats {
  return {
    puts: 0,
    goodPuts: 0,
    dupPutsReplaced: 0,
    dupPutsFlushed: 0,
    noMemPuts: 0,
    gets: 0,
    foundGets: 0,
    flushes: 0,
    flushesFound: 0,
    objectFlushes: 0,
    objectFlushesFound: 0,
    evicted: 0,
  };
}

export class Pool {
  /** Logical pages (handles) in the pool: Xen's pgp_count. */
  pageCount = 0;
  /** Clients that joined (a client joining twice is listed twice, as in Xen). */
  readonly sharers: Client[] = [];
  readonly stats = newPoolStats();
  /**
   * Set when a sharer left this shared pool (pool_destroy_objs sets
   * is_dying on the selective flush too, and nothing clears it): eviction
   * passes its pages over from then on (tmem_try_to_evict_pgp).
   */
  dying = false;

  constructor(
    /** Host-wide pool id (index of tmem's pool table; also its object-list id). */
    readonly gid: number,
    /** The client whose LRU holds the pool's ephemeral pages (the creator, until it leaves). */
    public owner: Client,
    readonly persistent: boolean,
    readonly shared: boolean,
    /** 32 lowercase hex digits for a shared pool, else null. */
    readonly uuid: string | null,
    /** The persistent page list's id (NONE for an ephemeral pool). */
    readonly persistentList: number = NONE,
    /** Slot in the global table of shared pools (NONE if private). */
    readonly sharedSlot: number = NONE,
  ) {}
}
