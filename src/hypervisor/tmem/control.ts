// tmem control (SEMANTICS §4.5), privileged: freeze / thaw, flush(KB),
// query_freeable_mb, set_weight, set_cap, set_compress, list, shared-pool
// authorisation and migration: the save side (begin, enumerate the persistent
// pages with their contents, end) and the restore side on the target host
// (begin, pools at their saved ids, pages put and flushed on the client's
// behalf). Follows xen/common/tmem_control.c and tmem.c (4.12:
// tmemc_freeze_pools, tmemc_flush_mem, tmemc_list, tmemc_save_subop,
// tmemc_set_pools, tmemc_restore_put_page / _flush_page) and the 4.3
// TMEMC_SET_WEIGHT / SET_CAP / SET_COMPRESS subops of xen/common/tmem.c.
// A client id of null means every client (Xen's TMEM_CLI_ID_NULL). As in
// hypervisor.ts, the calling domain comes last and defaults to the toolstack.

import type { Errno } from '../../lib/result.ts';
import { DOMID_TOOLSTACK } from '../domain.ts';
import { TMEM_UUID_NONE, TMEM_UUID_RE, type NewPoolFlags, type Oid, type PageContent, type TmemControlSubop, type TmemHandle, type TmemRc } from './api.ts';
import type { Client, ClientStats } from './client.ts';
import type { Tmem, TmemGlobalStats } from './tmem.ts';

export interface TmemClientListing extends ClientStats {
  domid: number;
  weight: number;
  cap: number;
  compress: boolean;
  frozen: boolean;
  pools: number;
  ephemeralPages: number;
  persistentPages: number;
  persistentFrames: number;
}

export type TmemListResult = { ok: true; rc: number; global: TmemGlobalStats; clients: TmemClientListing[] } | { ok: false; errno: Errno };
export type TmemEnumerateResult = { ok: true; rc: number; pages: TmemHandle[] } | { ok: false; errno: Errno };


/** Most pools one SET_POOLS may carry (MAX_POOLS_PER_DOMAIN). */
const MAX_POOLS = 16;

/** One pool of a restore (xen_tmem_pool_info_t): its saved id and flags; `nPages` must be 0. */
export interface RestorePool {
  id: number;
  flags: NewPoolFlags;
  nPages?: number;
}

export class TmemControl {
  constructor(private readonly t: Tmem) {}

  freeze(domid: number | null, caller = DOMID_TOOLSTACK): TmemRc {
    return this.eachClient(caller, domid, (c) => (c.frozen = true));
  }

  thaw(domid: number | null, caller = DOMID_TOOLSTACK): TmemRc {
    return this.eachClient(caller, domid, (c) => (c.frozen = false));
  }

  /**
   * Evicts ephemeral data until `kb` KiB are freed; rc = KiB freed.
   * Host-wide only, as in Xen (a client's flush is -1 there: EPERM). KiB
   * become pages rounded up in 32 bits, as tmemc_flush_mem computes them: a
   * `kb` within 3 of 2^32 wraps to 0 pages.
   */
  flush(kb: number, domid: number | null = null, caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (domid !== null) return this.fail('EPERM');
    const frames = (Math.ceil(kb) + 3) % 0x100000000 >>> 2;
    return this.t.done({ ok: true, rc: this.t.evictFrames(frames, caller) * 4 });
  }

  queryFreeableMb(caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    return this.t.done({ ok: true, rc: Math.floor(this.t.framesEphemeral / 256) });
  }

  setWeight(domid: number | null, weight: number, caller = DOMID_TOOLSTACK): TmemRc {
    return this.eachClient(caller, domid, (c) => this.t.setWeight(c, weight));
  }

  /** Stored only: Xen never enforced the cap. */
  setCap(domid: number | null, cap: number, caller = DOMID_TOOLSTACK): TmemRc {
    return this.eachClient(caller, domid, (c) => (c.cap = cap));
  }

  /**
   * Left unchanged while dedup is on (Xen 4.3's tmemc_set_var_one: "cannot
   * be changed when tmem_dedup"), yet answered 0: tmemc_set_var drops that
   * refusal and fails only for an unknown client.
   */
  setCompress(domid: number | null, on: boolean, caller = DOMID_TOOLSTACK): TmemRc {
    const dedup = this.t.dedupEnabled;
    return this.eachClient(caller, domid, (c) => {
      if (!dedup) c.compress = on;
    });
  }

  list(domid: number | null = null, caller = DOMID_TOOLSTACK): TmemListResult {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM') as TmemListResult;
    let clients: Client[];
    if (domid === null) clients = this.t.allClients();
    else {
      const c = this.t.existingClient(domid);
      // tmemc_list: -1 for a client id with no client.
      if (c === undefined) return this.fail('EPERM') as TmemListResult;
      clients = [c];
    }
    this.t.done({ ok: true, rc: 0 });
    return { ok: true, rc: 0, global: this.t.stats(), clients: clients.map((c) => this.listing(c)) };
  }

  /**
   * Authorises (auth) or de-authorises a client to share pool `uuid`; with no
   * client, sets whether joining needs no authorisation at all (tmemc_shared_pool_auth).
   * rc 1 done; 0 when de-authorising an absent UUID; ENOMEM when all 16
   * entries are taken (a UUID authorised twice takes two).
   */
  sharedAuth(domid: number | null, uuid: string, auth: boolean, caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (domid === null) {
      this.t.sharedAuthOpen = auth;
      return this.t.done({ ok: true, rc: 1 });
    }
    if (!TMEM_UUID_RE.test(uuid)) return this.fail('EINVAL');
    const c = this.t.existingClient(domid);
    if (c === undefined) return this.fail('EINVAL');
    // De-authorising frees the first entry holding the UUID; authorising takes
    // the first free entry, even when the UUID holds one already.
    const at = c.sharedAuth.indexOf(auth ? TMEM_UUID_NONE : uuid.toLowerCase());
    if (at < 0) return auth ? this.fail('ENOMEM') : this.t.done({ ok: true, rc: 0 });
    c.sharedAuth[at] = auth ? uuid.toLowerCase() : TMEM_UUID_NONE;
    return this.t.done({ ok: true, rc: 1 });
  }

  /**
   * Save begins: the client is frozen (its earlier state kept for save_end);
   * a non-zero `arg` marks a live migration (tmemc_save_subop), during which
   * puts to handles that hold data fail and flush them.
   */
  saveBegin(domid: number, caller = DOMID_TOOLSTACK, arg = 0): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    const c = this.t.existingClient(domid);
    if (c === undefined || c.poolCount() === 0) return this.fail('ENOENT');
    c.wasFrozen = c.frozen;
    c.frozen = true;
    if (arg !== 0) c.migrating = true;
    return this.t.done({ ok: true, rc: 0 });
  }

  saveEnd(domid: number, caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    const c = this.t.existingClient(domid);
    if (c === undefined) return this.fail('ENOENT');
    c.migrating = false;
    c.frozen = c.wasFrozen;
    return this.t.done({ ok: true, rc: 0 });
  }

  /**
   * Every persistent page of the client, pool by pool, oldest first: what
   * SAVE_GET_NEXT_PAGE walks (without Xen's skipped first page). rc = count.
   */
  enumerate(domid: number, caller = DOMID_TOOLSTACK): TmemEnumerateResult {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM') as TmemEnumerateResult;
    const c = this.t.existingClient(domid);
    if (c === undefined) return this.fail('ENOENT') as TmemEnumerateResult;
    const pages: TmemHandle[] = [];
    c.pools.forEach((pool, id) => {
      if (pool !== null && pool.persistent) pages.push(...this.t.persistentHandles(pool, id));
    });
    this.t.done({ ok: true, rc: pages.length });
    return { ok: true, rc: pages.length, pages };
  }

  /**
   * The page at a saved handle, copied into `out` (SAVE_GET_NEXT_PAGE hands
   * each page out with its handle); false when it holds nothing now.
   */
  savedPage(domid: number, handle: TmemHandle, out: PageContent): boolean {
    const pool = this.t.existingClient(domid)?.pools[handle.pool] ?? null;
    if (pool === null || !pool.persistent) return false;
    return this.t.readPersistent(pool, handle.oid as Oid, handle.index, out);
  }

  /**
   * Restore begins on the target host (RESTORE_BEGIN): the domain gets a tmem
   * client; EEXIST if it has one, ENOMEM if the domain does not exist (Xen's
   * client_create fails).
   */
  restoreBegin(domid: number, caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (this.t.existingClient(domid) !== undefined) return this.fail('EEXIST');
    return this.t.clientOf(domid) === null ? this.fail('ENOMEM') : this.t.done({ ok: true, rc: 0 });
  }

  /**
   * The saved pools recreated at their ids (SET_POOLS, tmemc_set_pools), in
   * order, with new_pool's checks and its handling of shared pools; a client
   * is made if the domain has none. Stops at the first refusal (the pools
   * before it stay). rc as Xen computes it, `rc ? : i`: the last pool's id
   * when it is not 0, else the number of pools.
   */
  setPools(domid: number, pools: readonly RestorePool[], caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (pools.length > MAX_POOLS) return this.fail('E2BIG');
    const c = this.t.existingClient(domid) ?? this.t.clientOf(domid);
    if (c === null) return this.fail('ENOMEM');
    let rc = 0;
    for (const p of pools) {
      if ((p.nPages ?? 0) !== 0) return this.fail('EINVAL');
      const r = this.t.newPoolIn(c, p.id, p.flags);
      if (!r.ok) return this.t.done(r);
      rc = r.rc;
    }
    return this.t.done({ ok: true, rc: rc !== 0 ? rc : pools.length });
  }

  /** A saved page put back on the client's behalf (RESTORE_PUT_PAGE: do_tmem_put); EPERM without such a client and pool. */
  restorePutPage(domid: number, poolId: number, oid: Oid, index: number, content: PageContent, caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (!this.hasPool(domid, poolId)) return this.fail('EPERM');
    return this.t.restorePut(domid, poolId, oid, index, content);
  }

  /** A page flushed on the client's behalf (RESTORE_FLUSH_PAGE: do_tmem_flush_page); EPERM without such a client and pool. */
  restoreFlushPage(domid: number, poolId: number, oid: Oid, index: number, caller = DOMID_TOOLSTACK): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (!this.hasPool(domid, poolId)) return this.fail('EPERM');
    return this.t.flushPage(domid, poolId, oid, index);
  }

  private hasPool(domid: number, poolId: number): boolean {
    const c = this.t.existingClient(domid);
    return c !== undefined && Number.isInteger(poolId) && poolId >= 0 && poolId < c.pools.length && c.pools[poolId] !== null;
  }

  /** One subop by name (the replay command's entry point). */
  run(subop: TmemControlSubop, domid: number | null, arg: number, uuid: string | undefined, caller = DOMID_TOOLSTACK): TmemRc | TmemListResult | TmemEnumerateResult {
    // TMEM_CONTROL is a privileged sysctl: an unprivileged caller is refused before its arguments are looked at.
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    switch (subop) {
      case 'freeze':
        return this.freeze(domid, caller);
      case 'thaw':
        return this.thaw(domid, caller);
      case 'flush':
        return this.flush(arg, domid, caller);
      case 'query_freeable_mb':
        return this.queryFreeableMb(caller);
      case 'set_weight':
        return this.setWeight(domid, arg, caller);
      case 'set_cap':
        return this.setCap(domid, arg, caller);
      case 'set_compress':
        return this.setCompress(domid, arg !== 0, caller);
      case 'list':
        return this.list(domid, caller);
      case 'shared_auth':
        return this.sharedAuth(domid, uuid ?? '', arg !== 0, caller);
      case 'save_begin':
        return domid === null ? this.fail('EINVAL') : this.saveBegin(domid, caller, arg);
      case 'save_end':
        return domid === null ? this.fail('EINVAL') : this.saveEnd(domid, caller);
      case 'enumerate':
        return domid === null ? this.fail('EINVAL') : this.enumerate(domid, caller);
      case 'restore_begin':
        // No client id: Xen's client_create fails for it.
        return domid === null ? this.fail('ENOMEM') : this.restoreBegin(domid, caller);
    }
  }

  private listing(c: Client): TmemClientListing {
    return {
      domid: c.domid,
      weight: c.weight,
      cap: c.cap,
      compress: c.compress,
      frozen: c.frozen,
      pools: c.poolCount(),
      ephemeralPages: this.t.clientEphemeralPages(c),
      persistentPages: c.persistentPages,
      persistentFrames: c.persistentFrames,
      ...c.stats,
    };
  }

  private eachClient(caller: number, domid: number | null, apply: (c: Client) => void): TmemRc {
    if (!this.t.hv.isPrivileged(caller)) return this.fail('EPERM');
    if (domid === null) {
      for (const c of this.t.allClients()) apply(c);
      return this.t.done({ ok: true, rc: 0 });
    }
    // -1 for a client id with no client (tmemc_freeze_pools, 4.3's tmemc_set_var): EPERM to the toolstack.
    const c = this.t.existingClient(domid);
    if (c === undefined) return this.fail('EPERM');
    apply(c);
    return this.t.done({ ok: true, rc: 0 });
  }

  private fail(errno: Errno): TmemRc {
    return this.t.done({ ok: false, errno });
  }
}
