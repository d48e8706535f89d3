// The cleancache frontend (mm/cleancache.c) with the Xen tmem backend
// (drivers/xen/tmem.c, v5.2). One ephemeral pool per mounted filesystem:
// private (flags 0) or, for a clustered filesystem, shared and named by the
// filesystem UUID. A page is keyed by the filekey of an ext4-like filesystem
// (no encode_fh): oid [inode, 0, 0], index = page index. A put's result is
// ignored (void in Linux: "put always succeeds"); a get hit saves a disk read;
// in a private pool Xen makes the get exclusive (the tmem copy is gone after
// the hit). Truncate / unlink invalidate the inode (FLUSH_OBJECT), unmount
// destroys the pool.

import type { Oid, SyntheticPage, TmemOps } from '../hypervisor/tmem/api.ts';
import { assert } from '../lib/assert.ts';

export interface CleancacheStats {
  puts: number;
  /** Gets issued (page-cache read misses on a filesystem with a pool). */
  gets: number;
  /** Gets that returned the page (succ_gets). */
  hits: number;
  invalidates: number;
}

export function cleancacheOid(inode: number): Oid {
  return [inode, 0, 0];
}

export class Cleancache {
  /** Pool id per filesystem, -1 when the filesystem has none. */
  readonly poolIds: number[];
  readonly stats: CleancacheStats = { puts: 0, gets: 0, hits: 0, invalidates: 0 };
  /** The handle's oid, refilled per call (tmem reads it and keeps nothing): no array allocated per hypercall. */
  private readonly oid: [number, number, number] = [0, 0, 0];

  constructor(
    private readonly tmem: TmemOps | null,
    private readonly domid: number,
    private readonly filesystems: number,
    private readonly shared: boolean,
    /** UUID (32 hex digits) of each filesystem, used when `shared`. */
    private readonly uuidOf: (fs: number) => string,
  ) {
    this.poolIds = new Array<number>(filesystems).fill(-1);
  }

  /** cleancache_init_fs / init_shared_fs at mount. */
  mount(fs: number): void {
    assert(fs >= 0 && fs < this.filesystems, 'cleancache: filesystem out of range');
    if (this.tmem === null || this.poolIds[fs] >= 0) return;
    const r = this.shared
      ? this.tmem.newPool(this.domid, { persistent: false, shared: true, uuid: this.uuidOf(fs) })
      : this.tmem.newPool(this.domid, { persistent: false, shared: false });
    this.poolIds[fs] = r.ok ? r.rc : -1;
  }

  /** cleancache_invalidate_fs at unmount: the backend destroys the pool. */
  unmount(fs: number): void {
    const pool = this.poolIds[fs];
    if (this.tmem === null || pool < 0) return;
    this.tmem.destroyPool(this.domid, pool);
    this.poolIds[fs] = -1;
  }

  enabled(fs: number): boolean {
    return this.poolIds[fs] >= 0;
  }

  /** A clean page leaves the page cache. */
  put(fs: number, inode: number, index: number, content: SyntheticPage): void {
    const pool = this.poolIds[fs];
    if (this.tmem === null || pool < 0) return;
    this.tmem.put(this.domid, pool, this.oidOf(inode), index, content);
    this.stats.puts++;
  }

  /** Page-cache read miss: true when tmem returned the page into `out`. */
  get(fs: number, inode: number, index: number, out: SyntheticPage): boolean {
    const pool = this.poolIds[fs];
    if (this.tmem === null || pool < 0) return false;
    this.stats.gets++;
    const r = this.tmem.get(this.domid, pool, this.oidOf(inode), index, out);
    if (r.ok && r.rc === 1) {
      this.stats.hits++;
      return true;
    }
    return false;
  }

  /** A page leaves the page cache without being up to date and mapped to disk (one a write miss brought in, a truncated page). */
  invalidatePage(fs: number, inode: number, index: number): void {
    const pool = this.poolIds[fs];
    if (this.tmem === null || pool < 0) return;
    this.tmem.flushPage(this.domid, pool, this.oidOf(inode), index);
    this.stats.invalidates++;
  }

  /** Truncate / unlink. */
  invalidateInode(fs: number, inode: number): void {
    const pool = this.poolIds[fs];
    if (this.tmem === null || pool < 0) return;
    // __cleancache_invalidate_inode counts nothing (cleancache_invalidates counts pages).
    this.tmem.flushObject(this.domid, pool, this.oidOf(inode));
  }

  /** cleancacheOid(inode) in the reused array. */
  private oidOf(inode: number): Oid {
    this.oid[0] = inode;
    return this.oid;
  }
}
