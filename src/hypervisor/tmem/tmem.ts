// Transcendent memory in the hypervisor (SEMANTICS.md §4): clients, pools,
// objects and pages; put / get / flush / destroy with Xen's return codes; one
// global ephemeral LRU and one per client; eviction and weight fairness;
// ephemeral frames freeable, persistent frames owned by the domain; dedup,
// TZE and compression. Follows xen/common/tmem.c (RELEASE-4.12.0, with dedup
// and TZE from RELEASE-4.3.0): do_tmem_op, do_tmem_new_pool, do_tmem_put,
// do_tmem_dup_put, do_tmem_get, do_tmem_flush_page, do_tmem_flush_object,
// do_tmem_destroy_pool, pool_flush, shared_pool_quit, tmem_evict,
// client_over_quota, tmem_relinquish_pages, tmem_ensure_avail_pages; and
// xen/include/xen/tmem_xen.h for where frames come from.
//
// Per-page metadata is struct-of-arrays (DESIGN.md): a page is a u32 id into
// a record of six words (object, index, and two link pairs: global LRU, and
// client LRU or pool persistent list), found from (object, index) through a
// per-object radix tree (PageDirectory) that also lists an object's pages; contents are in a ContentTable whose
// ids are the page ids unless dedup is on. Host counters change only through
// accounting (freeToFreeable, freeableToFree, assignToDomain,
// releaseFromDomain); tmem keeps domain.pagesTmemFrames in step.
//
// Where this model differs from Xen (documented in docs/tmem.md): freed
// frames go straight back to the free list (no tmem_page_list), so
// freeable == frames holding ephemeral data at every step.

import { assert, AssertionError } from '../../lib/assert.ts';
import type { Errno } from '../../lib/result.ts';
import type { Hypervisor, TmemBackend } from '../hypervisor.ts';
import {
  TMEM_MAX_POOLS_PER_CLIENT,
  TMEM_PAGE_BYTES,
  TMEM_POOL_PAGESIZE_MASK,
  TMEM_POOL_PAGESIZE_SHIFT,
  TMEM_POOL_PERSIST,
  TMEM_POOL_PRECOMPRESSED,
  TMEM_POOL_RESERVED_BITS,
  TMEM_POOL_SHARED,
  TMEM_POOL_VERSION_MASK,
  TMEM_POOL_VERSION_SHIFT,
  TMEM_SPEC_VERSION,
  TMEM_UUID_NONE,
  TMEM_UUID_RE,
  type NewPoolFlags,
  type Oid,
  type PageContent,
  type TmemHostOptions,
  type TmemOps,
  type TmemRc,
} from './api.ts';
import { Client } from './client.ts';
import { defaultCodec, type Codec } from './codec.ts';
import { ContentTable } from './contents.ts';
import { TmemControl } from './control.ts';
import { DedupIndex } from './dedup.ts';
import { PageDirectory } from './directory.ts';
import { LinkedLists } from '../../lib/lists.ts';
import { Pool } from './pool.ts';
import { KIND_COMPRESSED, KIND_TZE, KIND_WHOLE, kindOf, lenKind, lenOf, needsSlot, type ContentStore } from './store.ts';
import { BytesStore } from './store-bytes.ts';
import { SyntheticStore } from './store-synthetic.ts';
import { SubpageAllocator } from './subpage.ts';
import { IdTable } from './table.ts';
import { growF64, growU32, growU8, hashStep, hi32, lo32, MAX_INDEX, mix32, NONE } from '../../lib/typed.ts';

/** Xen: MAX_GLOBAL_SHARED_POOLS. */
export const TMEM_MAX_SHARED_POOLS = 16;
/** Evictions tried per frame relinquished, and failed evictions allowed before a put (Xen: 10). */
export const TMEM_MAX_EVICTS = 10;
const GLOBAL_LRU = 0;
/** Words per page record: object, index, global-LRU prev/next, client-LRU or persistent-list prev/next. */
const REC = 6;
const REC_EPH = 2;
const REC_OWN = 4;
const INITIAL_PAGES = 1024;
const INITIAL_OBJECTS = 256;
const OID_WORD_LIMIT = 2 ** 53;
/** Entries of the last-objects cache (a power of two). */
const OBJ_CACHE_SIZE = 4096;
/** Per-object arrays double when full. */
function grownCapacity(capacity: number): number {
  return capacity * 2;
}
/** Per-page arrays grow by half when full: still amortised O(1) per page, with a third less slack on average. */
function grownPageCapacity(capacity: number): number {
  return capacity + Math.ceil(capacity / 2);
}
/** Shared results: a hypercall's answer is read, never kept or changed, so the common ones are not allocated per call. */
const RC_OK_0: TmemRc = Object.freeze({ ok: true, rc: 0 });
const RC_OK_1: TmemRc = Object.freeze({ ok: true, rc: 1 });
const ERRS = new Map<Errno, TmemRc>();

export interface TmemOptions extends Partial<TmemHostOptions> {
  codec?: Codec;
}

export interface TmemGlobalStats {
  ephemeralPages: number;
  persistentPages: number;
  framesUsed: number;
  framesEphemeral: number;
  framesPersistent: number;
  uniqueContents: number;
  dedupHits: number;
  compressedPages: number;
  evictions: number;
  evictAttempts: number;
  relinquished: number;
  relinquishAttempts: number;
  objects: number;
  pools: number;
  sharedPools: number;
  clients: number;
  totalOps: number;
  erroredOps: number;
}

/** Default low-memory mark: Xen's 1 MiB, scaled for small hosts (see TmemHostOptions.lowMemPages). */
export function defaultLowMemPages(pagesTotal: number): number {
  return Math.max(4, Math.min(256, Math.floor(pagesTotal / 128)));
}

function isOidWord(w: number): boolean {
  return Number.isInteger(w) && w >= 0 && w < OID_WORD_LIMIT;
}

function isOid(oid: Oid): boolean {
  return Array.isArray(oid) && oid.length === 3 && isOidWord(oid[0]) && isOidWord(oid[1]) && isOidWord(oid[2]);
}

function isIndex(index: number): boolean {
  return index >>> 0 === index || (Number.isInteger(index) && index >= 0 && index <= 0xffffffff);
}

/** Which of do_tmem_new_pool's flag checks refuses a request (all EPERM). */
export type PoolFlagsRefusal = 'spec_version' | 'shared_persistent' | 'page_size' | 'precompressed' | 'reserved_bits';

/**
 * Xen's flags word of a new_pool request: `rawFlags` as given, or built from
 * the fields. A field the word cannot hold (version 256, a 3000-byte page)
 * becomes a value just as wrong, so one set of checks serves both.
 */
function poolFlagsWord(flags: NewPoolFlags): number {
  const raw = flags.rawFlags;
  if (raw !== undefined) {
    assert(raw >>> 0 === raw, 'tmem new_pool: rawFlags must be a u32');
    assert(
      flags.persistent === ((raw & TMEM_POOL_PERSIST) !== 0) && flags.shared === ((raw & TMEM_POOL_SHARED) !== 0),
      'tmem new_pool: persistent and shared must be bits 0 and 1 of rawFlags',
    );
    assert(flags.pageBytes === undefined && flags.specVersion === undefined, 'tmem new_pool: rawFlags carries the page size and version');
    return raw;
  }
  const version = (flags.specVersion ?? TMEM_SPEC_VERSION) === TMEM_SPEC_VERSION ? TMEM_SPEC_VERSION : 0;
  const pageBits = (flags.pageBytes ?? TMEM_PAGE_BYTES) === TMEM_PAGE_BYTES ? 0 : TMEM_POOL_PAGESIZE_MASK;
  const bits = (flags.persistent ? TMEM_POOL_PERSIST : 0) | (flags.shared ? TMEM_POOL_SHARED : 0);
  return ((version << TMEM_POOL_VERSION_SHIFT) | (pageBits << TMEM_POOL_PAGESIZE_SHIFT) | bits) >>> 0;
}

/** The first of do_tmem_new_pool's flag checks that refuses the request, in Xen's order, or null. */
export function poolFlagsRefusal(flags: NewPoolFlags): PoolFlagsRefusal | null {
  const word = poolFlagsWord(flags);
  if (((word >>> TMEM_POOL_VERSION_SHIFT) & TMEM_POOL_VERSION_MASK) !== TMEM_SPEC_VERSION) return 'spec_version';
  if ((word & TMEM_POOL_SHARED) !== 0 && (word & TMEM_POOL_PERSIST) !== 0) return 'shared_persistent';
  // The field is log2(page size) − 12; only 4 KiB pages (0) are supported.
  if (((word >>> TMEM_POOL_PAGESIZE_SHIFT) & TMEM_POOL_PAGESIZE_MASK) !== 0) return 'page_size';
  if ((word & TMEM_POOL_PRECOMPRESSED) !== 0) return 'precompressed';
  if ((word & TMEM_POOL_RESERVED_BITS) !== 0) return 'reserved_bits';
  return null;
}


export class Tmem implements TmemOps, TmemBackend {
  readonly dedupEnabled: boolean;
  /** TZE in effect: asked for, and not both dedup and compression (Xen 4.3 init_tmem). */
  readonly tzeEnabled: boolean;
  readonly compressDefault: boolean;
  readonly sharedAuthRequired: boolean;
  readonly lowMemPages: number;
  readonly overQuotaAsCoded: boolean;
  readonly store: ContentStore;
  readonly control: TmemControl;
  /** Control `shared_auth` with no client: joining shared pools needs no authorisation. */
  sharedAuthOpen = false;

  private readonly clients = new Map<number, Client>();
  private lastClient: Client | null = null;
  private readonly pools: (Pool | null)[] = [];
  private readonly poolFreeGids: number[] = [];
  readonly sharedPools: (Pool | null)[] = new Array<Pool | null>(TMEM_MAX_SHARED_POOLS).fill(null);
  private weightTotal = 0;
  /** Weights of destroyed clients, still in weightTotal (as Xen's client_weight_total keeps them). */
  private departedWeight = 0;
  /** The client of the domain whose put is running (Xen's `current`): relinquish during the put's frame allocation evicts for it. */
  private putter: Client | null = null;

  // Pages: one record of REC words per page id: the key (object, index),
  // then the page's links on the global LRU and on its client's LRU or its
  // pool's persistent list, so a put, get or eviction touches one cache line
  // for all of them. Free ids are threaded through the index word (object
  // NONE marks a free id). Content ids and dedup flags are separate arrays.
  private pageRec: Uint32Array;
  /** Capacity of the per-page arrays, in pages. */
  private pageCapacity = INITIAL_PAGES;
  /**
   * The last objects found, direct-mapped by (pool, oid): consecutive
   * operations on one object (a file's pages, a swap slot's object) skip the
   * hash. Self-validating: an entry is used only if that object id still has
   * the key (a freed id has pool NONE), so nothing needs invalidating.
   */
  private readonly objCache = new Uint32Array(OBJ_CACHE_SIZE).fill(NONE);
  /** Content id per page (dedup mode only; otherwise the content id is the page id). */
  private pageCd: Uint32Array | null;
  /** Dedup: the page was skipped once by eviction because its content is shared (Xen 4.3). */
  private pageEvictTried: Uint8Array | null;
  private pageFreeHead = NONE;
  private pageHigh = 0;
  private pagesLive = 0;
  /** Global ephemeral LRU (list 0). */
  private readonly eph: LinkedLists;
  /** Client ephemeral LRUs and pool persistent lists (ids from ownListIds). */
  private readonly own: LinkedLists;
  private readonly ownFreeLists: number[] = [];
  private ownListHigh = 0;
  /** Pages per object (an object's pages are found through its page directory). */
  private objPageCount: Uint32Array;
  /** (object, index) -> page: a radix tree per object. */
  private readonly pageDir: PageDirectory;

  // Objects: interned (pool, oid[3]); free ids threaded through objLastClient.
  private objPool: Uint32Array;
  private objOid: Float64Array;
  private objLastClient: Uint32Array;
  private objFreeHead = NONE;
  private objHigh = 0;
  private objectsLive = 0;
  /** The objects of each pool (list id = pool gid). */
  private readonly poolObjs: LinkedLists;
  private readonly objTable: IdTable;

  private readonly contents: ContentTable;
  private readonly dedup: DedupIndex | null;
  private readonly globalSub: SubpageAllocator;

  private framesEph = 0;
  private framesPers = 0;
  private persPages = 0;
  private compressedPages = 0;
  private dedupHits = 0;
  private evictions = 0;
  private evictAttempts = 0;
  private relinquished = 0;
  private relinquishAttempts = 0;
  /** The object a put is storing into (NONE otherwise): evictions pass its pages over. */
  private lockedObject = NONE;
  private totalOps = 0;
  private erroredOps = 0;

  constructor(
    readonly hv: Hypervisor,
    options: TmemOptions = {},
  ) {
    this.dedupEnabled = options.dedup ?? false;
    this.compressDefault = options.compress ?? false;
    this.tzeEnabled = (options.tze ?? false) && !(this.dedupEnabled && this.compressDefault);
    this.sharedAuthRequired = options.sharedAuth ?? false;
    this.lowMemPages = options.lowMemPages ?? defaultLowMemPages(hv.acct.pagesTotal);
    assert(Number.isSafeInteger(this.lowMemPages) && this.lowMemPages >= 0, 'lowMemPages must be a count');
    this.overQuotaAsCoded = options.overQuotaAsCoded ?? false;
    const codec = options.codec ?? defaultCodec();
    const storeKind = options.store ?? 'bytes';
    this.store = storeKind === 'bytes' ? new BytesStore(codec) : new SyntheticStore();
    this.globalSub = new SubpageAllocator(storeKind === 'bytes');

    this.pageRec = new Uint32Array(REC * INITIAL_PAGES).fill(NONE);
    this.pageCd = this.dedupEnabled ? new Uint32Array(INITIAL_PAGES).fill(NONE) : null;
    this.pageEvictTried = this.dedupEnabled ? new Uint8Array(INITIAL_PAGES) : null;
    this.eph = new LinkedLists(INITIAL_PAGES, 1, REC, REC_EPH, this.pageRec);
    this.own = new LinkedLists(INITIAL_PAGES, 16, REC, REC_OWN, this.pageRec);
    this.objPageCount = new Uint32Array(INITIAL_OBJECTS);
    this.pageDir = new PageDirectory(INITIAL_OBJECTS, 64);

    this.objPool = new Uint32Array(INITIAL_OBJECTS).fill(NONE);
    this.objOid = new Float64Array(INITIAL_OBJECTS * 3);
    this.objLastClient = new Uint32Array(INITIAL_OBJECTS).fill(NONE);
    this.poolObjs = new LinkedLists(INITIAL_OBJECTS, 16);
    this.objTable = new IdTable((obj) => this.objHashOf(obj), 9);

    this.contents = new ContentTable(this.store, this.dedupEnabled, INITIAL_PAGES);
    this.dedup = this.dedupEnabled ? new DedupIndex(this.contents) : null;
    this.control = new TmemControl(this);
  }

  // ---------------------------------------------------------------- hypercalls

  /**
   * Checks that `caller` may act on `domid`'s pools: a guest only on its own,
   * the privileged toolstack on any (EPERM otherwise).
   */
  checkCaller(caller: number, domid: number): TmemRc {
    if (caller !== domid && !this.hv.isPrivileged(caller)) return this.done(this.err('EPERM'));
    return { ok: true, rc: 0 };
  }

  newPool(caller: number, flags: NewPoolFlags): TmemRc {
    const c = this.clientFor(caller);
    if (c === null) return this.done(this.err('ENODEV'));
    return this.done(this.newPoolIn(c, null, flags));
  }

  /**
   * A pool for client `c` at slot `at` (the toolstack's restore, SET_POOLS),
   * or at the lowest free slot (null: the guest's new_pool). Xen's order of
   * checks (do_tmem_new_pool): the flags, then the slot — out of range or
   * taken for a restore, none free for a guest; every refusal is EPERM.
   */
  newPoolIn(c: Client, at: number | null, flags: NewPoolFlags): TmemRc {
    if (poolFlagsRefusal(flags) !== null) return this.err('EPERM');
    const slot = at === null ? c.pools.indexOf(null) : at < c.pools.length && c.pools[at] === null ? at : -1;
    if (slot < 0) return this.err('EPERM');
    if (flags.uuid !== undefined && !TMEM_UUID_RE.test(flags.uuid)) return this.err('EINVAL');
    const uuid = flags.uuid?.toLowerCase() ?? TMEM_UUID_NONE;
    // A shared request without a usable UUID, or not authorised, silently gets a private pool.
    let shared = flags.shared && uuid !== TMEM_UUID_NONE;
    if (shared && this.sharedAuthRequired && !this.sharedAuthOpen && !c.sharedAuth.includes(uuid)) shared = false;
    if (shared) {
      const existing = this.sharedPools.find((p) => p !== null && p.uuid === uuid);
      if (existing !== undefined && existing !== null) {
        c.pools[slot] = existing;
        existing.sharers.push(c);
        return { ok: true, rc: slot };
      }
      const sharedSlot = this.sharedPools.indexOf(null);
      if (sharedSlot < 0) return this.err('EPERM');
      const pool = this.createPool(c, false, true, uuid, sharedSlot);
      pool.sharers.push(c);
      this.sharedPools[sharedSlot] = pool;
      c.pools[slot] = pool;
      return { ok: true, rc: slot };
    }
    c.pools[slot] = this.createPool(c, flags.persistent, false, null, NONE);
    return { ok: true, rc: slot };
  }

  put(caller: number, poolId: number, oid: Oid, index: number, content: PageContent): TmemRc {
    try {
      return this.putAs(caller, poolId, oid, index, content, true);
    } finally {
      this.putter = null;
    }
  }

  /**
   * @internal The toolstack's RESTORE_PUT_PAGE: do_tmem_put for the client,
   * without the guest path's low-memory check (tmem_ensure_avail_pages is
   * do_tmem_op's, not do_tmem_put's).
   */
  restorePut(domid: number, poolId: number, oid: Oid, index: number, content: PageContent): TmemRc {
    return this.putAs(domid, poolId, oid, index, content, false);
  }

  /** A put; `guest`: through the guest's hypercall, which first makes room above the low-memory mark. */
  private putAs(caller: number, poolId: number, oid: Oid, index: number, content: PageContent, guest: boolean): TmemRc {
    this.assertHandle(oid, index);
    const rejected = this.store.reject(content);
    if (rejected !== null) throw new AssertionError(`tmem put: ${rejected}`);
    const c = this.clientFor(caller);
    if (c === null) return this.done(this.err('ENODEV'));
    const pool = this.poolOf(c, poolId);
    if (pool === null) return this.done(this.err('ENODEV'));
    // The guest's own hypercall: evictions for this put are the caller's (the toolstack's restore has no client).
    if (guest) this.putter = c;
    const avail = !guest || this.ensureAvailPages(c);
    const obj = this.findObject(pool.gid, oid);
    const page = obj === NONE ? NONE : this.findPage(obj, index);
    if (!avail) {
      // Xen 4.12 refuses before looking at the handle and leaves an old copy
      // readable; SEMANTICS §4.1 (put-put-get coherence) wants it gone, as a
      // failed put to a handle that holds data does everywhere else.
      if (page !== NONE) {
        this.removePage(pool, page, true);
        pool.stats.dupPutsFlushed++;
      }
      return this.done(this.err('ENOMEM'));
    }
    pool.stats.puts++;
    // do_tmem_put works for the pool's client (pool->client: the owner of a
    // shared pool, whoever calls): its frozen and compress flags, its
    // counters, and the object's last client.
    const owner = pool.owner;
    if (page !== NONE) return this.done(this.dupPut(owner, pool, obj, page, content));
    if (owner.frozen) {
      if (obj !== NONE) pool.stats.noMemPuts++;
      return this.done(this.err('EFROZEN'));
    }
    const fresh = this.allocPageId();
    const cd = this.storeContent(owner, pool, content, fresh, obj);
    if (cd === NONE) {
      this.freePageId(fresh);
      pool.stats.noMemPuts++;
      return this.done(this.err('ENOMEM'));
    }
    const o = obj === NONE ? this.createObject(pool, oid) : obj;
    if (pool.shared) this.objLastClient[o] = owner.domid;
    this.linkPage(pool, o, index, fresh, cd);
    pool.stats.goodPuts++;
    if (pool.persistent) owner.stats.persistentPuts++;
    return this.done(RC_OK_1);
  }

  get(caller: number, poolId: number, oid: Oid, index: number, out: PageContent): TmemRc {
    this.assertHandle(oid, index);
    const c = this.clientFor(caller);
    if (c === null) return this.done(this.err('ENODEV'));
    const pool = this.poolOf(c, poolId);
    if (pool === null) return this.done(this.err('ENODEV'));
    if (pool.pageCount === 0) return this.done(this.err('EEMPTY'));
    pool.stats.gets++;
    const obj = this.findObject(pool.gid, oid);
    const page = obj === NONE ? NONE : this.findPage(obj, index);
    if (page === NONE) return this.done(RC_OK_0);
    const cd = this.cdOf(page);
    this.store.read(cd, this.contents.lkOf(cd), this.contents.locOf(cd), this.subFor(pool), out);
    pool.stats.foundGets++;
    // Counted for the pool's client (do_tmem_get's pool->client); the last client is the caller.
    const owner = pool.owner;
    if (pool.persistent) {
      owner.stats.persistentGets++;
    } else if (pool.shared) {
      // Shared ephemeral: the page stays and becomes the most recently used.
      owner.stats.ephemeralGets++;
      this.eph.moveToTail(GLOBAL_LRU, page);
      this.own.moveToTail(pool.owner.ephemeralList, page);
      this.objLastClient[obj] = caller;
    } else {
      // Private ephemeral: exclusive get, the page leaves tmem.
      owner.stats.ephemeralGets++;
      this.removePage(pool, page, true);
    }
    return this.done(RC_OK_1);
  }

  flushPage(caller: number, poolId: number, oid: Oid, index: number): TmemRc {
    this.assertHandle(oid, index);
    const c = this.clientFor(caller);
    if (c === null) return this.done(this.err('ENODEV'));
    const pool = this.poolOf(c, poolId);
    if (pool === null) return this.done(this.err('ENODEV'));
    pool.stats.flushes++;
    const obj = this.findObject(pool.gid, oid);
    const page = obj === NONE ? NONE : this.findPage(obj, index);
    if (page !== NONE) {
      this.removePage(pool, page, true);
      pool.stats.flushesFound++;
    }
    // The flush is done even when frozen; the answer says whether the pool's client is frozen.
    return this.done(pool.owner.frozen ? this.err('EFROZEN') : RC_OK_1);
  }

  flushObject(caller: number, poolId: number, oid: Oid): TmemRc {
    assert(isOid(oid), 'tmem: oid must be three integers in [0, 2^53)');
    const c = this.clientFor(caller);
    if (c === null) return this.done(this.err('ENODEV'));
    const pool = this.poolOf(c, poolId);
    if (pool === null) return this.done(this.err('ENODEV'));
    pool.stats.objectFlushes++;
    const obj = this.findObject(pool.gid, oid);
    if (obj !== NONE) {
      this.destroyObject(pool, obj);
      pool.stats.objectFlushesFound++;
    }
    return this.done(pool.owner.frozen ? this.err('EFROZEN') : RC_OK_1);
  }

  /** 1 when a pool was destroyed, 0 for an id out of range or an empty slot (Xen). */
  destroyPool(caller: number, poolId: number): TmemRc {
    const c = this.clientFor(caller);
    if (c === null) return this.done(this.err('ENODEV'));
    if (!Number.isInteger(poolId) || poolId < 0 || poolId >= TMEM_MAX_POOLS_PER_CLIENT) return this.done(RC_OK_0);
    const pool = c.pools[poolId];
    if (pool === null) return this.done(RC_OK_0);
    c.pools[poolId] = null;
    this.poolFlush(pool, c);
    return this.done(RC_OK_1);
  }

  // ---------------------------------------------------------- backend hooks

  /**
   * The allocator needs `pagesWanted` free pages: evict ephemeral pages,
   * oldest first, until that many frames are free, trying at most
   * TMEM_MAX_EVICTS evictions per frame (tmem_relinquish_pages). Each
   * eviction is tmem_evict's for the requesting domain (Xen's `current`):
   * from its own LRU when its client is over its weighted share, else from
   * the global LRU; a domain without a tmem client (the toolstack building
   * a guest) always takes the global LRU.
   */
  relinquish(pagesWanted: number, requester?: number): number {
    if (this.framesEph === 0 || pagesWanted === 0) return 0;
    const c = requester === undefined ? null : (this.clients.get(requester) ?? null);
    const before = this.framesEph;
    while (before - this.framesEph < pagesWanted && this.framesEph > 0) {
      // One tmem_relinquish_pages per page: each counts an attempt.
      this.relinquishAttempts++;
      let progress = false;
      for (let tries = 0; tries < TMEM_MAX_EVICTS; tries++) {
        const frames = this.framesEph;
        if (!this.evictOne(c)) break;
        if (this.framesEph < frames) {
          progress = true;
          break;
        }
      }
      if (!progress) break;
    }
    const freed = before - this.framesEph;
    this.relinquished += freed;
    return freed;
  }

  /** Domain destruction: every pool of the client goes (tmem_destroy -> client_flush). */
  destroyClient(domid: number): void {
    const c = this.clients.get(domid);
    if (c === undefined) return;
    for (let i = 0; i < TMEM_MAX_POOLS_PER_CLIENT; i++) {
      const pool = c.pools[i];
      if (pool === null) continue;
      c.pools[i] = null;
      this.poolFlush(pool, c);
    }
    assert(this.own.count(c.ephemeralList) === 0, 'tmem: a destroyed client still has ephemeral pages');
    assert(c.persistentFrames === 0 && c.persistentPages === 0, 'tmem: a destroyed client still has persistent pages');
    assert(c.domain.pagesTmemFrames === 0, 'tmem: domain still charged for tmem frames');
    // Its weight stays in the total: Xen changes client_weight_total only in
    // set_weight, never when a client is freed (client_free, client_flush).
    this.departedWeight += c.weight;
    this.freeOwnList(c.ephemeralList);
    this.clients.delete(domid);
    if (this.lastClient === c) this.lastClient = null;
  }

  // ------------------------------------------------------------- statistics

  stats(): TmemGlobalStats {
    let sharedPools = 0;
    for (const p of this.sharedPools) if (p !== null) sharedPools++;
    return {
      ephemeralPages: this.eph.count(GLOBAL_LRU),
      persistentPages: this.persPages,
      framesUsed: this.framesEph + this.framesPers,
      framesEphemeral: this.framesEph,
      framesPersistent: this.framesPers,
      uniqueContents: this.contents.live,
      dedupHits: this.dedupHits,
      compressedPages: this.compressedPages,
      evictions: this.evictions,
      evictAttempts: this.evictAttempts,
      relinquished: this.relinquished,
      relinquishAttempts: this.relinquishAttempts,
      objects: this.objectsLive,
      pools: this.pools.length - this.poolFreeGids.length,
      sharedPools,
      clients: this.clients.size,
      totalOps: this.totalOps,
      erroredOps: this.erroredOps,
    };
  }

  /** Frames holding ephemeral data (what tmem adds to the host's freeable count). */
  get framesEphemeral(): number {
    return this.framesEph;
  }

  // ---------------------------------------- internals shared with control.ts

  /** @internal The client of `domid`, if it has used tmem. */
  existingClient(domid: number): Client | undefined {
    return this.clients.get(domid);
  }

  /** @internal The client of a live domain, created if it has none (RESTORE_BEGIN, SET_POOLS); null for an unknown domain. */
  clientOf(domid: number): Client | null {
    return this.clientFor(domid);
  }

  /**
   * @internal Copies a persistent page of `pool` into `out` for the save
   * (SAVE_GET_NEXT_PAGE copies each page out through do_tmem_get, which
   * counts a found get of the pool and a persistent get of its client);
   * false when the handle holds nothing.
   */
  readPersistent(pool: Pool, oid: Oid, index: number, out: PageContent): boolean {
    assert(pool.persistent, 'tmem: reading a saved page of an ephemeral pool');
    const obj = this.findObject(pool.gid, oid);
    const page = obj === NONE ? NONE : this.findPage(obj, index);
    if (page === NONE) return false;
    pool.stats.gets++;
    pool.stats.foundGets++;
    pool.owner.stats.persistentGets++;
    const cd = this.cdOf(page);
    this.store.read(cd, this.contents.lkOf(cd), this.contents.locOf(cd), this.subFor(pool), out);
    return true;
  }

  /** @internal Ephemeral pages on a client's LRU. */
  clientEphemeralPages(c: Client): number {
    return this.own.count(c.ephemeralList);
  }

  /** @internal Every client, by domain id. */
  allClients(): Client[] {
    return [...this.clients.values()].sort((a, b) => a.domid - b.domid);
  }

  /** @internal Control set_weight keeps the total in step. */
  setWeight(c: Client, weight: number): void {
    assert(c.weight <= this.weightTotal, 'tmem: weight total underflow');
    this.weightTotal = this.weightTotal - c.weight + weight;
    c.weight = weight;
  }

  /**
   * @internal Evicts until `frames` frames are freed; returns frames freed.
   * Each eviction is tmem_evict's for the domain `requester` (Xen's
   * `current`: the control caller for a flush, tmem_flush_npages): from its
   * own LRU while its client is over its weighted share, else from the
   * global LRU; no client (or none given), the global LRU.
   */
  evictFrames(frames: number, requester?: number): number {
    const c = requester === undefined ? null : (this.clients.get(requester) ?? null);
    const before = this.framesEph;
    const bound = this.eph.count(GLOBAL_LRU);
    for (let i = 0; i < bound && before - this.framesEph < frames; i++) {
      if (!this.evictOne(c)) break;
    }
    return before - this.framesEph;
  }

  /** @internal The persistent handles of one pool, oldest first (what save/migration reads). */
  persistentHandles(pool: Pool, localId: number): { pool: number; oid: [number, number, number]; index: number }[] {
    const out: { pool: number; oid: [number, number, number]; index: number }[] = [];
    assert(pool.persistent, 'tmem: enumerating an ephemeral pool');
    const list = pool.persistentList;
    let steps = 0;
    for (let page = this.own.head(list); page !== NONE; page = this.own.nextOf(page)) {
      assert(steps++ < this.own.count(list), 'tmem: persistent list longer than its count');
      const obj = this.pageRec[REC * page];
      out.push({
        pool: localId,
        oid: [this.objOid[obj * 3], this.objOid[obj * 3 + 1], this.objOid[obj * 3 + 2]],
        index: this.pageRec[REC * page + 1],
      });
    }
    return out;
  }

  /** @internal Counts a control op (errors included) like the guest ops. */
  done(rc: TmemRc): TmemRc {
    this.totalOps++;
    if (!rc.ok) this.erroredOps++;
    return rc;
  }

  // ------------------------------------------------------------ put helpers

  private err(errno: Errno): TmemRc {
    let rc = ERRS.get(errno);
    if (rc === undefined) {
      rc = Object.freeze({ ok: false, errno });
      ERRS.set(errno, rc);
    }
    return rc;
  }

  private assertHandle(oid: Oid, index: number): void {
    assert(isOid(oid), 'tmem: oid must be three integers in [0, 2^53)');
    assert(isIndex(index), 'tmem: index must be a 32-bit unsigned integer');
  }

  /** The client of a live domain, created on first use; null for an unknown or dying domain (ENODEV). */
  private clientFor(domid: number): Client | null {
    // The last client found, while its domain lives (a dying domain keeps dying set; destroyClient clears this).
    const last = this.lastClient;
    if (last !== null && last.domid === domid && !last.domain.dying) return last;
    const d = this.hv.domain(domid);
    if (d === undefined) return null;
    let c = this.clients.get(domid);
    if (c === undefined) {
      c = new Client(domid, d, this.allocOwnList(), this.compressDefault);
      this.clients.set(domid, c);
    }
    this.lastClient = c;
    return c;
  }

  private poolOf(c: Client, poolId: number): Pool | null {
    if (!Number.isInteger(poolId) || poolId < 0 || poolId >= TMEM_MAX_POOLS_PER_CLIENT) return null;
    return c.pools[poolId];
  }

  /**
   * Before a put, evict until `lowMemPages` pages are free above the
   * allocator's mid-size zone; ten failed evictions make the put fail (4.12
   * tmem_ensure_avail_pages, whose total_free_pages() is free minus the
   * zone). Below the zone that difference is negative, and Xen's unsigned
   * arithmetic makes it huge: the put goes ahead without evicting — kept
   * here, so once others have allocated into the zone tmem may too.
   * Evictions start with the caller's own pages when it is over its
   * weighted share.
   */
  private ensureAvailPages(c: Client): boolean {
    let failures = 0;
    const bound = this.eph.count(GLOBAL_LRU) + TMEM_MAX_EVICTS;
    const acct = this.hv.acct;
    const zone = this.hv.alloc.midsizePages;
    for (let i = 0; acct.pagesFree >= zone && acct.pagesFree - zone < this.lowMemPages; i++) {
      assert(i <= bound, 'tmem: ensure-avail loop unbounded');
      if (this.evictOne(c)) continue;
      failures++;
      if (failures >= TMEM_MAX_EVICTS) return false;
    }
    return true;
  }

  /**
   * A put to a handle that already holds data (do_tmem_dup_put): the old data
   * goes first (its frame may be reused), the page keeps its LRU position.
   * If the new data cannot be stored the handle is removed: ENOSPC, and a
   * later get misses (put-put-get coherence).
   */
  private dupPut(c: Client, pool: Pool, obj: number, page: number, content: PageContent): TmemRc {
    if (c.migrating) {
      // No dups while migrating: the old data goes, ENOSPC (do_tmem_dup_put).
      this.removePage(pool, page, true);
      pool.stats.dupPutsFlushed++;
      return this.err('ENOSPC');
    }
    const old = this.cdOf(page);
    // Compression is tried again only if the old copy was stored compressed;
    // data that was stored whole is replaced whole (do_tmem_dup_put).
    const compress = c.compress && kindOf(this.contents.lkOf(old)) === KIND_COMPRESSED;
    this.releaseContent(pool, old);
    // A put clears the dedup "passed over once" mark (pcd_associate).
    if (this.pageEvictTried !== null) this.pageEvictTried[page] = 0;
    const cd = this.storeContent(c, pool, content, page, obj, true, compress);
    if (cd === NONE) {
      this.removePage(pool, page, false);
      pool.stats.dupPutsFlushed++;
      return this.err('ENOSPC');
    }
    if (this.pageCd !== null) this.pageCd[page] = cd;
    if (pool.shared) this.objLastClient[obj] = c.domid;
    pool.stats.dupPutsReplaced++;
    pool.stats.goodPuts++;
    if (pool.persistent) c.stats.persistentPuts++;
    return RC_OK_1;
  }

  private subFor(pool: Pool): SubpageAllocator {
    if (!pool.persistent) return this.globalSub;
    const owner = pool.owner;
    if (owner.persistentSub === null) owner.persistentSub = new SubpageAllocator(this.store.kind === 'bytes');
    return owner.persistentSub;
  }

  /**
   * Stores a content for page `page` (dedup match, or new storage with its
   * frames); returns the content id, or NONE when no frame could be had.
   */
  private storeContent(c: Client, pool: Pool, content: PageContent, page: number, obj: number, dup = false, compress = c.compress): number {
    const dedupOn = this.dedup !== null && !pool.persistent;
    let lk = this.store.encode(content, compress, this.tzeEnabled && dedupOn);
    // Poor and out-of-memory compressions are counted for new puts only (do_tmem_put).
    if (!dup && compress && this.store.lastPoor) c.stats.compressPoor++;
    const sub = this.subFor(pool);
    const kind = kindOf(lk);
    // With dedup, 4.3's do_tmem_put copies an uncompressed page into a frame
    // of its own before pcd_associate looks for a match (a match, or the TZE
    // copy, gives that frame back); compressed data is matched first.
    const tempFrame = dedupOn && kind !== KIND_COMPRESSED;
    if (tempFrame && !this.takeFramesFor(pool, obj, 1)) return NONE;
    let h = 0;
    // pcd_associate never matches trimmed (TZE) contents: its tree walk sends
    // an uncompressed page to the right of every entry shorter than a page.
    if (dedupOn && kind !== KIND_TZE) {
      h = this.store.hashLast();
      const match = (this.dedup as DedupIndex).find(h, (cd) => this.contents.lkOf(cd) === lk && this.store.sameAsLast(cd, lk, this.contents.locOf(cd), sub));
      if (match !== NONE) {
        if (tempFrame) this.giveFrames(pool, 1);
        const ref = this.contents.ref as Uint32Array;
        ref[match]++;
        this.dedupHits++;
        this.countStored(c, lk);
        return match;
      }
    }
    let len = lenOf(lk);
    let slotted = needsSlot(lk);
    // A whole page keeps the frame it was copied into.
    const frames = kind === KIND_WHOLE ? (tempFrame ? 0 : 1) : slotted ? sub.framesNeeded(len) : 0;
    let keepTemp = kind === KIND_WHOLE;
    if (frames > 0 && !this.takeFramesFor(pool, obj, frames)) {
      if (tempFrame && kind === KIND_TZE) {
        // pcd_associate: no room for the trimmed copy, so the page stays whole in the frame it was copied into.
        lk = lenKind(KIND_WHOLE, TMEM_PAGE_BYTES);
        len = TMEM_PAGE_BYTES;
        slotted = false;
        keepTemp = true;
      } else {
        if (tempFrame) this.giveFrames(pool, 1);
        if (!dup && kind === KIND_COMPRESSED) c.stats.compressNomem++;
        return NONE;
      }
    }
    if (tempFrame && !keepTemp) this.giveFrames(pool, 1);
    const slot = slotted ? sub.alloc(len) : NONE;
    let cd = page;
    if (this.contents.ownIds) {
      cd = this.contents.alloc();
      (this.contents.ref as Uint32Array)[cd] = 1;
      (this.contents.hash as Uint32Array)[cd] = h;
    } else {
      this.contents.ensureCapacity(page + 1);
    }
    this.contents.set(cd, lk, this.store.commit(cd, lk, slot, sub));
    this.contents.live++;
    if (dedupOn) (this.dedup as DedupIndex).insert(cd);
    this.countStored(c, lk);
    return cd;
  }

  /** takeFrames while the object being written is locked (in Xen, evictions for its frames pass its pages over). */
  private takeFramesFor(pool: Pool, obj: number, frames: number): boolean {
    this.lockedObject = obj;
    const took = this.takeFrames(pool, frames);
    this.lockedObject = NONE;
    return took;
  }

  /** A handle now holds compressed data (a new copy or a dedup match): Xen's per-client cp and cb count it at its size. */
  private countStored(c: Client, lk: number): void {
    if (kindOf(lk) !== KIND_COMPRESSED) return;
    this.compressedPages++;
    c.stats.compressedPages++;
    c.stats.compressedBytes += lenOf(lk);
  }

  /** One handle lets go of content `cd`; the storage goes when no handle is left. */
  private releaseContent(pool: Pool, cd: number): void {
    const lk = this.contents.lkOf(cd);
    if (kindOf(lk) === KIND_COMPRESSED) {
      assert(this.compressedPages > 0, 'tmem: compressed page count underflow');
      this.compressedPages--;
      // pgp_free_data takes the handle off its pool's client's counts (the
      // owner now: a shared pool may have changed hands, where Xen's unsigned
      // counters would wrap; here they stop at 0).
      const st = pool.owner.stats;
      st.compressedPages = Math.max(0, st.compressedPages - 1);
      st.compressedBytes = Math.max(0, st.compressedBytes - lenOf(lk));
    }
    if (this.contents.ownIds) {
      const ref = this.contents.ref as Uint32Array;
      assert(ref[cd] > 0, 'tmem: content reference count underflow');
      ref[cd]--;
      if (ref[cd] > 0) return;
      if (this.dedup !== null && !pool.persistent) this.dedup.remove(cd);
    }
    const loc = this.contents.locOf(cd);
    let frames = 0;
    if (kindOf(lk) === KIND_WHOLE) {
      frames = 1;
      this.store.release(cd, lk, loc);
    } else if (lenOf(lk) > 0) {
      frames = this.subFor(pool).free(loc);
    }
    assert(this.contents.live > 0, 'tmem: content count underflow');
    this.contents.live--;
    if (this.contents.ownIds) this.contents.free(cd);
    if (frames > 0) this.giveFrames(pool, frames);
  }

  /**
   * Takes `frames` frames for a pool: ephemeral ones become freeable (no
   * domain is charged; the claim rule applies to the hypervisor as requester),
   * persistent ones are owned by the domain (refused at max_pages; its claim
   * is consumed). In Xen's order: a persistent frame is refused at max_pages
   * first (__tmem_alloc_page_thispool), then every frame must pass the claim
   * rule (alloc_heap_pages), and only then, at or below the allocator's
   * mid-size zone, do older ephemeral pages make room (roomInZone) — so a
   * frame refused for max_pages or a claim evicts nothing.
   */
  private takeFrames(pool: Pool, frames: number): boolean {
    const acct = this.hv.acct;
    if (!pool.persistent) {
      if (!acct.freeableAllowed()) return false;
      if (!this.roomInZone(frames)) return false;
      if (frames > acct.pagesFree) return false;
      acct.freeToFreeable(frames);
      this.framesEph += frames;
      return true;
    }
    const owner = pool.owner;
    const d = owner.domain;
    if (d.pagesTot >= d.pagesMax || frames > d.pagesMax - d.pagesTot) return false;
    // The claim rules, and (with node claims) the free pages it may take now.
    if (acct.pagesAllocatable(d, frames) < frames) return false;
    if (!this.roomInZone(frames)) return false;
    if (frames > acct.pagesFree) return false;
    // Free pages other domains' node claims keep (claim sets): ephemeral frames are given back instead, as for any allocation.
    for (let short = frames - acct.pagesAssignable(d, frames); short > 0 && acct.pagesFreeable > 0; short = frames - acct.pagesAssignable(d, frames)) {
      if (this.evictFrames(short, this.putter === null ? undefined : this.putter.domid) === 0) break;
    }
    if (acct.pagesAssignable(d, frames) < frames) return false;
    acct.assignToDomain(d, frames, d.homeNode);
    d.pagesTmemFrames += frames;
    owner.persistentFrames += frames;
    this.framesPers += frames;
    return true;
  }

  /**
   * The allocator's mid-size rule for tmem's own frames: pages above the zone
   * come from the free list; at or below it, while tmem holds freeable frames,
   * alloc_heap_pages sends each page to tmem_relinquish_pages, which evicts
   * older ephemeral pages for it (at most ten evictions a frame) — tmem's own
   * requests included, in 4.3 and 4.12 alike (SEMANTICS §4.6 says tmem never
   * feeds itself so; Xen does, and is followed). False when a page fails.
   * Once tmem holds nothing freeable, the rest come from the free list.
   */
  private roomInZone(frames: number): boolean {
    const acct = this.hv.acct;
    const zone = this.hv.alloc.midsizePages;
    const free = acct.pagesFree;
    if (free - frames >= zone || acct.pagesFreeable === 0) return true;
    const need = frames - Math.max(0, free - zone);
    if (this.relinquish(need, this.putter === null ? undefined : this.putter.domid) >= need) return true;
    return acct.pagesFreeable === 0;
  }

  private giveFrames(pool: Pool, frames: number): void {
    const acct = this.hv.acct;
    if (!pool.persistent) {
      assert(frames <= this.framesEph, 'tmem: ephemeral frame count underflow');
      this.framesEph -= frames;
      acct.freeableToFree(frames);
      return;
    }
    const owner = pool.owner;
    const d = owner.domain;
    assert(frames <= owner.persistentFrames && frames <= d.pagesTmemFrames && frames <= this.framesPers, 'tmem: persistent frame count underflow');
    owner.persistentFrames -= frames;
    d.pagesTmemFrames -= frames;
    this.framesPers -= frames;
    acct.releaseFromDomain(d, frames);
  }

  // ------------------------------------------------------------ pages

  private cdOf(page: number): number {
    return this.pageCd === null ? page : this.pageCd[page];
  }

  private findPage(obj: number, index: number): number {
    return this.pageDir.find(obj, index);
  }

  private allocPageId(): number {
    if (this.pageFreeHead !== NONE) {
      const page = this.pageFreeHead;
      this.pageFreeHead = this.pageRec[REC * page + 1];
      return page;
    }
    if (this.pageHigh === this.pageCapacity) this.growPages(grownPageCapacity(this.pageCapacity));
    assert(this.pageHigh < MAX_INDEX, 'tmem: page id space exhausted');
    return this.pageHigh++;
  }

  private freePageId(page: number): void {
    this.pageRec[REC * page] = NONE;
    this.pageRec[REC * page + 1] = this.pageFreeHead;
    this.pageFreeHead = page;
  }

  private growPages(capacity: number): void {
    const rec = growU32(this.pageRec, REC * capacity, NONE);
    this.pageRec = rec;
    this.pageCapacity = capacity;
    if (this.pageCd !== null) this.pageCd = growU32(this.pageCd, capacity, NONE);
    if (this.pageEvictTried !== null) this.pageEvictTried = growU8(this.pageEvictTried, capacity);
    this.eph.attach(rec);
    this.own.attach(rec);
    if (!this.contents.ownIds) this.contents.ensureCapacity(capacity);
  }

  /** Links a new page. */
  private linkPage(pool: Pool, obj: number, index: number, page: number, cd: number): void {
    this.pageRec[REC * page] = obj;
    this.pageRec[REC * page + 1] = index;
    if (this.pageCd !== null) this.pageCd[page] = cd;
    if (this.pageEvictTried !== null) this.pageEvictTried[page] = 0;
    this.pageDir.insert(obj, index, page);
    this.objPageCount[obj]++;
    if (pool.persistent) {
      this.own.pushTail(pool.persistentList, page);
      pool.owner.persistentPages++;
      this.persPages++;
    } else {
      this.eph.pushTail(GLOBAL_LRU, page);
      this.own.pushTail(pool.owner.ephemeralList, page);
    }
    pool.pageCount++;
    this.pagesLive++;
  }

  /** Removes a page from every structure; its content too unless already released. */
  private removePage(pool: Pool, page: number, releaseContent: boolean): void {
    const obj = this.pageRec[REC * page];
    assert(obj !== NONE && this.objPool[obj] === pool.gid, 'tmem: removing a page of another pool');
    this.pageDir.remove(obj, this.pageRec[REC * page + 1], page);
    assert(this.objPageCount[obj] > 0, 'tmem: object page count underflow');
    this.objPageCount[obj]--;
    if (pool.persistent) {
      this.own.remove(pool.persistentList, page);
      assert(pool.owner.persistentPages > 0 && this.persPages > 0, 'tmem: persistent page count underflow');
      pool.owner.persistentPages--;
      this.persPages--;
    } else {
      this.eph.remove(GLOBAL_LRU, page);
      this.own.remove(pool.owner.ephemeralList, page);
    }
    if (releaseContent) this.releaseContent(pool, this.cdOf(page));
    if (this.pageCd !== null) this.pageCd[page] = NONE;
    assert(pool.pageCount > 0 && this.pagesLive > 0, 'tmem: page count underflow');
    pool.pageCount--;
    this.pagesLive--;
    this.freePageId(page);
    if (this.objPageCount[obj] === 0) this.freeObject(pool, obj);
  }

  // ------------------------------------------------------------ eviction

  /**
   * Xen's client_over_quota, in the direction its comment and SEMANTICS §4.2
   * describe: the client holds a larger share of the ephemeral pages than its
   * share of the total weight. Integer percentages, as Xen.
   */
  private overQuota(c: Client): boolean {
    const total = this.weightTotal;
    const mine = this.own.count(c.ephemeralList);
    if (total === 0 || c.weight === 0 || mine === 0) return false;
    const all = this.eph.count(GLOBAL_LRU);
    if (this.overQuotaAsCoded) return Math.floor((all * 100) / mine) > Math.floor((total * 100) / c.weight);
    return Math.floor((mine * 100) / all) > Math.floor((c.weight * 100) / total);
  }

  /**
   * Evicts one ephemeral page, oldest first: from the calling client's own
   * LRU when it is over its weighted share, else from the global LRU
   * (tmem_evict). With dedup, a page whose content other handles share is
   * passed over once (Xen 4.3 tmem_try_to_evict_pgp). Persistent pages are
   * never on these lists.
   */
  private evictOne(c: Client | null): boolean {
    this.evictAttempts++;
    const useOwn = c !== null && this.overQuota(c);
    const links = useOwn ? this.own : this.eph;
    const list = useOwn ? (c as Client).ephemeralList : GLOBAL_LRU;
    // The walk goes on into the pages it moved to the tail, as Xen's
    // list_for_each_entry_safe does: the first page passed over in this walk
    // is met again and evicted. Each page is passed over at most once, so
    // twice the list's length bounds it.
    const bound = 2 * links.count(list);
    let page = links.head(list);
    for (let i = 0; i < bound && page !== NONE; i++) {
      const next = links.nextOf(page);
      if (this.pageRec[REC * page] === this.lockedObject) {
        // Its object is being written (tmem_try_to_evict_pgp cannot take its lock).
        page = next;
        continue;
      }
      const pool = this.poolOfPage(page);
      if (pool.dying) {
        // A sharer left the pool: tmem_try_to_evict_pgp refuses its pages from then on.
        page = next;
        continue;
      }
      if (this.pageEvictTried !== null && this.pageEvictTried[page] === 0) {
        const ref = this.contents.ref as Uint32Array;
        if (ref[this.cdOf(page)] > 1) {
          this.pageEvictTried[page] = 1;
          this.eph.moveToTail(GLOBAL_LRU, page);
          this.own.moveToTail(pool.owner.ephemeralList, page);
          page = next;
          continue;
        }
      }
      this.removePage(pool, page, true);
      pool.stats.evicted++;
      this.evictions++;
      return true;
    }
    return false;
  }

  private poolOfPage(page: number): Pool {
    const pool = this.pools[this.objPool[this.pageRec[REC * page]]];
    assert(pool !== null && pool !== undefined, 'tmem: page of a dead pool');
    return pool;
  }

  // ------------------------------------------------------------ objects

  private objHash(gid: number, oid: Oid): number {
    let h = mix32(gid);
    for (let i = 0; i < 3; i++) h = hashStep(hashStep(h, lo32(oid[i])), hi32(oid[i]));
    return h;
  }

  private objHashOf(obj: number): number {
    const o = obj * 3;
    let h = mix32(this.objPool[obj]);
    for (let i = 0; i < 3; i++) h = hashStep(hashStep(h, lo32(this.objOid[o + i])), hi32(this.objOid[o + i]));
    return h;
  }

  private findObject(gid: number, oid: Oid): number {
    const w0 = oid[0];
    const w1 = oid[1];
    const w2 = oid[2];
    const c = (Math.imul(gid, 0x9e3779b1) ^ w0 ^ Math.imul(w1 >>> 0, 0x85ebca6b) ^ w2) & (OBJ_CACHE_SIZE - 1);
    const cached = this.objCache[c];
    if (cached !== NONE) {
      const o = cached * 3;
      if (this.objPool[cached] === gid && this.objOid[o] === w0 && this.objOid[o + 1] === w1 && this.objOid[o + 2] === w2) return cached;
    }
    const t = this.objTable;
    for (let s = t.start(this.objHash(gid, oid)); ; s = t.next(s)) {
      const obj = t.at(s);
      if (obj === NONE) return NONE;
      const o = obj * 3;
      if (this.objPool[obj] === gid && this.objOid[o] === w0 && this.objOid[o + 1] === w1 && this.objOid[o + 2] === w2) {
        this.objCache[c] = obj;
        return obj;
      }
    }
  }

  private createObject(pool: Pool, oid: Oid): number {
    let obj = this.objFreeHead;
    if (obj !== NONE) {
      this.objFreeHead = this.objLastClient[obj];
    } else {
      if (this.objHigh === this.objPool.length) this.growObjects(grownCapacity(this.objPool.length));
      obj = this.objHigh++;
    }
    this.objPool[obj] = pool.gid;
    this.objOid[obj * 3] = oid[0];
    this.objOid[obj * 3 + 1] = oid[1];
    this.objOid[obj * 3 + 2] = oid[2];
    this.objLastClient[obj] = NONE;
    this.objPageCount[obj] = 0;
    this.objTable.insert(obj, this.objHash(pool.gid, oid));
    this.poolObjs.pushTail(pool.gid, obj);
    this.objectsLive++;
    return obj;
  }

  private growObjects(capacity: number): void {
    this.objPool = growU32(this.objPool, capacity, NONE);
    this.objOid = growF64(this.objOid, capacity * 3);
    this.objLastClient = growU32(this.objLastClient, capacity, NONE);
    this.poolObjs.growNodes(capacity);
    this.objPageCount = growU32(this.objPageCount, capacity, 0);
    this.pageDir.growObjects(capacity);
  }

  private freeObject(pool: Pool, obj: number): void {
    assert(this.objPageCount[obj] === 0 && this.pageDir.isEmpty(obj), 'tmem: freeing an object that has pages');
    this.objTable.remove(obj, this.objHashOf(obj));
    this.poolObjs.remove(pool.gid, obj);
    this.objPool[obj] = NONE;
    this.objLastClient[obj] = this.objFreeHead;
    this.objFreeHead = obj;
    assert(this.objectsLive > 0, 'tmem: object count underflow');
    this.objectsLive--;
  }

  /** Removes every page of an object in index order, as Xen's radix-tree destroy (the object goes with its last page). */
  private destroyObject(pool: Pool, obj: number): void {
    const bound = this.objPageCount[obj];
    for (let i = 0; i < bound; i++) {
      const page = this.pageDir.first(obj);
      assert(page !== NONE, 'tmem: object directory holds fewer pages than its count');
      this.removePage(pool, page, true);
    }
  }

  // ------------------------------------------------------------ pools

  private allocOwnList(): number {
    const id = this.ownFreeLists.pop() ?? this.ownListHigh++;
    if (id >= this.own.listCapacity) this.own.growLists(this.own.listCapacity * 2);
    this.own.clear(id);
    return id;
  }

  private freeOwnList(id: number): void {
    assert(this.own.count(id) === 0, 'tmem: freeing a non-empty list');
    this.ownFreeLists.push(id);
  }

  private createPool(owner: Client, persistent: boolean, shared: boolean, uuid: string | null, sharedSlot: number): Pool {
    const gid = this.poolFreeGids.pop() ?? this.pools.length;
    if (gid >= this.poolObjs.listCapacity) this.poolObjs.growLists(this.poolObjs.listCapacity * 2);
    this.poolObjs.clear(gid);
    const pool = new Pool(gid, owner, persistent, shared, uuid, persistent ? this.allocOwnList() : NONE, sharedSlot);
    if (gid === this.pools.length) this.pools.push(pool);
    else this.pools[gid] = pool;
    return pool;
  }

  /**
   * A client leaves a pool (pool_flush / shared_pool_quit): a shared pool
   * loses the objects this client put last and lives on while it has
   * sharers (ownership passes to the next sharer); otherwise every page goes.
   */
  private poolFlush(pool: Pool, c: Client): void {
    if (pool.shared) {
      const bound = this.poolObjs.count(pool.gid);
      let obj = this.poolObjs.head(pool.gid);
      for (let i = 0; i < bound && obj !== NONE; i++) {
        const next = this.poolObjs.nextOf(obj);
        if (this.objLastClient[obj] === c.domid) this.destroyObject(pool, obj);
        obj = next;
      }
      const at = pool.sharers.indexOf(c);
      assert(at >= 0, 'tmem: leaving a shared pool one did not join');
      pool.sharers.splice(at, 1);
      // pool_destroy_objs marks the pool dying even on this selective flush.
      pool.dying = true;
      if (pool.sharers.length > 0) {
        if (pool.owner === c) this.reassignOwner(pool, pool.sharers[0]);
        return;
      }
      this.sharedPools[pool.sharedSlot] = null;
    }
    const bound = this.poolObjs.count(pool.gid);
    for (let i = 0; i < bound; i++) this.destroyObject(pool, this.poolObjs.head(pool.gid));
    assert(pool.pageCount === 0 && this.poolObjs.count(pool.gid) === 0, 'tmem: pool not empty after flush');
    if (pool.persistent) this.freeOwnList(pool.persistentList);
    this.pools[pool.gid] = null;
    this.poolFreeGids.push(pool.gid);
  }

  /**
   * shared_pool_reassign: the pool's pages move to the front (oldest end) of
   * the new owner's LRU, keeping their order, as Xen's list_splice_init puts
   * them. Xen splices the old owner's whole list, pages of its other pools
   * too, while moving only this pool's count; here only this pool's pages
   * move, so every page stays on its pool owner's list.
   */
  private reassignOwner(pool: Pool, to: Client): void {
    const from = pool.owner;
    pool.owner = to;
    if (from === to) return;
    // From the newest backwards, each to the head: the run keeps its order.
    const bound = this.own.count(from.ephemeralList);
    let page = this.own.tail(from.ephemeralList);
    for (let i = 0; i < bound && page !== NONE; i++) {
      const prev = this.own.prevOf(page);
      if (this.objPool[this.pageRec[REC * page]] === pool.gid) {
        this.own.remove(from.ephemeralList, page);
        this.own.pushHead(to.ephemeralList, page);
      }
      page = prev;
    }
  }

  // ------------------------------------------------------------ checks

  /**
   * What `violations()` walks, in rough units of work: every page id and
   * object id ever used (the page records are read twice), the page
   * directory's nodes, and each pool and client. The spaced checks of
   * replay --check and run --verify use it.
   */
  checkCost(): number {
    return 2 * this.pageHigh + this.objHigh + this.pageDir.checkCost() + this.pools.length + this.clients.size;
  }

  /** Whole-structure checks (tests, --check, --verify): lists, tables, counts, frames, refcounts, accounting. */
  violations(): string[] {
    const out: string[] = [];
    const seenEph = new Uint8Array(this.pageHigh);
    const seenOwn = new Uint8Array(this.pageHigh);
    out.push(...this.eph.check(GLOBAL_LRU, 'global LRU', (p) => {
      seenEph[p] = 1;
    }));
    let pageSum = 0;
    let ephSum = 0;
    for (const c of this.clients.values()) {
      out.push(
        ...this.own.check(c.ephemeralList, `client ${c.domid} LRU`, (p) => {
          seenOwn[p]++;
          const pool = this.pools[this.objPool[this.pageRec[REC * p]]];
          if (pool === null || pool === undefined || pool.persistent || pool.owner !== c) out.push(`client ${c.domid} LRU: page ${p} not an ephemeral page it owns`);
        }),
      );
      ephSum += this.own.count(c.ephemeralList);
      if (c.domain.pagesTmemFrames !== c.persistentFrames) {
        out.push(`client ${c.domid}: domain.pagesTmemFrames ${c.domain.pagesTmemFrames} != persistent frames ${c.persistentFrames}`);
      }
    }
    if (ephSum !== this.eph.count(GLOBAL_LRU)) out.push(`client LRUs hold ${ephSum} pages, global LRU ${this.eph.count(GLOBAL_LRU)}`);
    let weights = 0;
    for (const c of this.clients.values()) weights += c.weight;
    if (weights + this.departedWeight !== this.weightTotal) {
      out.push(`weight total ${this.weightTotal} != sum ${weights} + destroyed clients' ${this.departedWeight}`);
    }
    const persByClient = new Map<Client, number>();
    let objSum = 0;
    for (const pool of this.pools) {
      if (pool === null) continue;
      pageSum += pool.pageCount;
      let inPool = 0;
      out.push(
        ...this.poolObjs.check(pool.gid, `pool ${pool.gid} objects`, (obj) => {
          objSum++;
          if (this.objPool[obj] !== pool.gid) out.push(`pool ${pool.gid}: object ${obj} belongs to pool ${this.objPool[obj]}`);
          if (this.objPageCount[obj] === 0) out.push(`object ${obj}: live with no pages`);
          inPool += this.objPageCount[obj];
        }),
      );
      if (inPool !== pool.pageCount) out.push(`pool ${pool.gid}: ${inPool} pages on objects, count says ${pool.pageCount}`);
      if (pool.persistent) {
        out.push(...this.own.check(pool.persistentList, `pool ${pool.gid} persistent list`, (p) => {
          if (this.objPool[this.pageRec[REC * p]] !== pool.gid) out.push(`pool ${pool.gid} persistent list: page ${p} of another pool`);
        }));
        if (this.own.count(pool.persistentList) !== pool.pageCount) out.push(`pool ${pool.gid}: persistent list ${this.own.count(pool.persistentList)} != pages ${pool.pageCount}`);
        persByClient.set(pool.owner, (persByClient.get(pool.owner) ?? 0) + pool.pageCount);
      }
      if (pool.shared && (pool.sharers.length === 0 || this.sharedPools[pool.sharedSlot] !== pool)) out.push(`shared pool ${pool.gid}: not registered or no sharers`);
    }
    for (const c of this.clients.values()) {
      if ((persByClient.get(c) ?? 0) !== c.persistentPages) out.push(`client ${c.domid}: persistent pages ${c.persistentPages} != ${persByClient.get(c) ?? 0} in its pools`);
    }
    if (pageSum !== this.pagesLive) out.push(`pools hold ${pageSum} pages, live count ${this.pagesLive}`);
    if (objSum !== this.objectsLive) out.push(`pools hold ${objSum} objects, live count ${this.objectsLive}`);
    if (this.pageDir.count !== this.pagesLive) out.push(`page directory ${this.pageDir.count} != live pages ${this.pagesLive}`);
    const liveObjs: number[] = [];
    for (let obj = 0; obj < this.objHigh; obj++) if (this.objPool[obj] !== NONE) liveObjs.push(obj);
    out.push(...this.pageDir.violations('page directory', liveObjs));
    const perObj = new Uint32Array(this.objHigh);
    for (let p = 0; p < this.pageHigh; p++) {
      const obj = this.pageRec[REC * p];
      if (obj === NONE) continue;
      if (obj >= this.objHigh || this.objPool[obj] === NONE) {
        out.push(`page ${p}: points at dead object ${obj}`);
        continue;
      }
      perObj[obj]++;
      if (this.pageDir.find(obj, this.pageRec[REC * p + 1]) !== p) out.push(`page ${p}: not found in its object's directory`);
      const pool = this.pools[this.objPool[obj]];
      if (pool !== null && pool !== undefined && !pool.persistent) {
        if (seenEph[p] !== 1) out.push(`page ${p}: ephemeral but not on the global LRU`);
        if (seenOwn[p] !== 1) out.push(`page ${p}: on ${seenOwn[p]} client LRUs`);
      }
    }
    for (const obj of liveObjs) {
      if (perObj[obj] !== this.objPageCount[obj]) out.push(`object ${obj}: ${perObj[obj]} pages point at it, count says ${this.objPageCount[obj]}`);
    }
    if (this.objTable.count !== this.objectsLive) out.push(`object table ${this.objTable.count} != live objects ${this.objectsLive}`);
    out.push(...this.objTable.violations('object table'));
    out.push(...this.contentViolations());
    if (this.hv.acct.pagesFreeable !== this.framesEph) out.push(`host freeable ${this.hv.acct.pagesFreeable} != tmem ephemeral frames ${this.framesEph}`);
    return out;
  }

  /** Frames and reference counts recomputed from the pages. */
  private contentViolations(): string[] {
    const out: string[] = [];
    // Counted in arrays by content id (ids are below the table's capacity): a Map of a million entries made a check ~10x slower.
    const capacity = this.contents.capacity;
    const handles = new Uint32Array(capacity);
    /** 1: an ephemeral page uses the content. */
    const ephUse = new Uint8Array(capacity);
    /** Whole frames by the pool of the first page seen holding them (the owner is the pool's: its client if persistent, else none). */
    const wholeByPool = new Float64Array(this.pools.length);
    let referenced = 0;
    let ephContents = 0;
    let compressed = 0;
    for (let page = 0; page < this.pageHigh; page++) {
      const obj = this.pageRec[REC * page];
      if (obj === NONE) continue;
      const gid = this.objPool[obj];
      const pool = this.pools[gid] as Pool;
      const cd = this.cdOf(page);
      if (cd >= capacity) {
        out.push(`page ${page}: content ${cd} past the content table (${capacity})`);
        continue;
      }
      const lk = this.contents.lkOf(cd);
      if (!pool.persistent && ephUse[cd] === 0) {
        ephUse[cd] = 1;
        ephContents++;
      }
      if (kindOf(lk) === KIND_COMPRESSED) compressed++;
      if (handles[cd]++ === 0) {
        referenced++;
        if (kindOf(lk) === KIND_WHOLE) wholeByPool[gid]++;
      }
    }
    const wholeByOwner = new Map<Client | null, number>();
    for (let gid = 0; gid < wholeByPool.length; gid++) {
      if (wholeByPool[gid] === 0) continue;
      const pool = this.pools[gid] as Pool;
      const key = pool.persistent ? pool.owner : null;
      wholeByOwner.set(key, (wholeByOwner.get(key) ?? 0) + wholeByPool[gid]);
    }
    if (compressed !== this.compressedPages) out.push(`compressed pages ${this.compressedPages} != ${compressed} counted`);
    if (referenced !== this.contents.live) out.push(`unique contents ${this.contents.live} != ${referenced} referenced`);
    const ref = this.contents.ref;
    if (ref !== null) {
      for (let cd = 0; cd < capacity; cd++) if (handles[cd] !== 0 && ref[cd] !== handles[cd]) out.push(`content ${cd}: refcount ${ref[cd]} != ${handles[cd]} handles`);
    }
    if (this.dedup !== null) {
      out.push(...this.dedup.violations());
      const indexed = new Uint8Array(capacity);
      let indexedCount = 0;
      for (const cd of this.dedup.ids()) {
        if (cd >= capacity) {
          out.push(`dedup index: content ${cd} past the content table (${capacity})`);
          continue;
        }
        if (indexed[cd] === 1) continue;
        indexed[cd] = 1;
        indexedCount++;
        if (ephUse[cd] === 0) out.push(`dedup index: content ${cd} not referenced by an ephemeral page`);
      }
      if (indexedCount !== ephContents) out.push(`dedup index holds ${indexedCount} contents, ephemeral pages use ${ephContents}`);
    }
    const ephExpected = (wholeByOwner.get(null) ?? 0) + this.globalSub.framesUsed;
    if (ephExpected !== this.framesEph) out.push(`ephemeral frames ${this.framesEph} != whole ${wholeByOwner.get(null) ?? 0} + sub-page ${this.globalSub.framesUsed}`);
    out.push(...this.globalSub.violations('global sub-page allocator'));
    let pers = 0;
    for (const c of this.clients.values()) {
      const sub = c.persistentSub;
      const expected = (wholeByOwner.get(c) ?? 0) + (sub === null ? 0 : sub.framesUsed);
      if (expected !== c.persistentFrames) out.push(`client ${c.domid}: persistent frames ${c.persistentFrames} != ${expected} holding data`);
      if (sub !== null) out.push(...sub.violations(`client ${c.domid} sub-page allocator`));
      pers += c.persistentFrames;
    }
    if (pers !== this.framesPers) out.push(`persistent frames ${this.framesPers} != client sum ${pers}`);
    const whole = [...wholeByOwner.values()].reduce((a, b) => a + b, 0);
    if (whole !== this.store.wholeFramesHeld) out.push(`store holds ${this.store.wholeFramesHeld} whole frames, pages use ${whole}`);
    return out;
  }
}
