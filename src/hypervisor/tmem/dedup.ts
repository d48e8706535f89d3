// The dedup index (ephemeral pools only, host option): identical contents,
// across all clients, stored once with a reference count. Xen 4.3 kept page
// content descriptors in 256 rb-trees keyed by the first byte and ordered by
// a full comparison (xen/common/tmem.c: pcd_associate, pcd_disassociate);
// here a hash of the full contents finds candidates in an open-addressing
// table and the store confirms equality on the full stored form.

import { assert } from '../../lib/assert.ts';
import type { ContentTable } from './contents.ts';
import { IdTable } from './table.ts';
import { NONE } from '../../lib/typed.ts';

export class DedupIndex {
  private readonly table: IdTable;

  constructor(private readonly contents: ContentTable) {
    assert(contents.hash !== null && contents.ref !== null, 'dedup needs hashes and reference counts');
    this.table = new IdTable((cd) => (this.contents.hash as Uint32Array)[cd], 10);
  }

  get count(): number {
    return this.table.count;
  }

  /** The first stored content with hash `h` for which `same(cd)` holds, or NONE. */
  find(h: number, same: (cd: number) => boolean): number {
    const hashes = this.contents.hash as Uint32Array;
    for (let s = this.table.start(h), probes = 0; ; s = this.table.next(s), probes++) {
      assert(probes <= this.table.capacity, 'dedup: probe loop unbounded');
      const cd = this.table.at(s);
      if (cd === NONE) return NONE;
      if (hashes[cd] === h && same(cd)) return cd;
    }
  }

  insert(cd: number): void {
    this.table.insert(cd, (this.contents.hash as Uint32Array)[cd]);
  }

  remove(cd: number): void {
    this.table.remove(cd, (this.contents.hash as Uint32Array)[cd]);
  }

  violations(): string[] {
    return this.table.violations('dedup index');
  }

  ids(): IterableIterator<number> {
    return this.table.ids();
  }
}
