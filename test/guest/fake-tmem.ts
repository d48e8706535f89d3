// A small in-memory TmemOps for guest tests: pools of pages keyed by
// (pool, oid[0], index), private ephemeral gets exclusive, shared ephemeral
// and persistent gets non-exclusive, one global ephemeral LRU with a
// capacity, persistent puts refused (ENOMEM) past a per-client limit, and a
// freeze switch (EFROZEN). It does not charge the hypervisor: the real
// accounting is exercised by the tests that use `Tmem`.

import type { NewPoolFlags, Oid, PageContent, SyntheticPage, TmemOps, TmemRc } from '../../src/hypervisor/tmem/api.ts';

interface FakePool {
  owner: number;
  persistent: boolean;
  shared: boolean;
  uuid: string;
  pages: Map<string, SyntheticPage>;
}

export class FakeTmem implements TmemOps {
  readonly pools = new Map<number, FakePool>();
  private nextPool = 0;
  /** Persistent pages a client may hold. */
  persistentLimit = Number.MAX_SAFE_INTEGER;
  ephemeralCapacity = Number.MAX_SAFE_INTEGER;
  frozen = new Set<number>();
  private readonly ephemeralLru = new Map<string, number>();
  readonly calls = { put: 0, get: 0, flushPage: 0, flushObject: 0, destroyPool: 0 };

  newPool(caller: number, flags: NewPoolFlags): TmemRc {
    if (flags.shared && flags.persistent) return { ok: false, errno: 'EPERM' };
    if (flags.shared) {
      for (const [id, p] of this.pools) if (p.shared && p.uuid === flags.uuid) return { ok: true, rc: id };
    }
    const id = this.nextPool++;
    this.pools.set(id, { owner: caller, persistent: flags.persistent, shared: flags.shared, uuid: flags.uuid ?? '', pages: new Map() });
    return { ok: true, rc: id };
  }

  persistentPages(caller: number): number {
    let n = 0;
    for (const p of this.pools.values()) if (p.persistent && p.owner === caller) n += p.pages.size;
    return n;
  }

  ephemeralPages(): number {
    return this.ephemeralLru.size;
  }

  holds(pool: number, oid: Oid, index: number): boolean {
    return this.pools.get(pool)?.pages.has(`${oid[0]}:${index}`) ?? false;
  }

  put(caller: number, pool: number, oid: Oid, index: number, content: PageContent): TmemRc {
    this.calls.put++;
    const p = this.pools.get(pool);
    if (p === undefined) return { ok: false, errno: 'ENODEV' };
    const key = `${oid[0]}:${index}`;
    const had = p.pages.has(key);
    if (this.frozen.has(caller) && !had) return { ok: false, errno: 'EFROZEN' };
    const c = content as SyntheticPage;
    if (p.persistent && !had && this.persistentPages(caller) >= this.persistentLimit) return { ok: false, errno: 'ENOMEM' };
    p.pages.set(key, { fpHi: c.fpHi, fpLo: c.fpLo, compressedBytes: c.compressedBytes });
    if (!p.persistent) {
      const lk = `${pool}/${key}`;
      this.ephemeralLru.delete(lk);
      this.ephemeralLru.set(lk, pool);
      while (this.ephemeralLru.size > this.ephemeralCapacity) {
        const [oldest, op] = this.ephemeralLru.entries().next().value as [string, number];
        this.ephemeralLru.delete(oldest);
        this.pools.get(op)?.pages.delete(oldest.slice(oldest.indexOf('/') + 1));
      }
    }
    return { ok: true, rc: 1 };
  }

  get(_caller: number, pool: number, oid: Oid, index: number, out: PageContent): TmemRc {
    this.calls.get++;
    const p = this.pools.get(pool);
    if (p === undefined) return { ok: false, errno: 'ENODEV' };
    if (p.pages.size === 0) return { ok: false, errno: 'EEMPTY' };
    const key = `${oid[0]}:${index}`;
    const c = p.pages.get(key);
    if (c === undefined) return { ok: true, rc: 0 };
    const o = out as SyntheticPage;
    o.fpHi = c.fpHi;
    o.fpLo = c.fpLo;
    o.compressedBytes = c.compressedBytes;
    if (!p.persistent && !p.shared) {
      p.pages.delete(key);
      this.ephemeralLru.delete(`${pool}/${key}`);
    }
    return { ok: true, rc: 1 };
  }

  flushPage(_caller: number, pool: number, oid: Oid, index: number): TmemRc {
    this.calls.flushPage++;
    const p = this.pools.get(pool);
    if (p === undefined) return { ok: false, errno: 'ENODEV' };
    const key = `${oid[0]}:${index}`;
    p.pages.delete(key);
    this.ephemeralLru.delete(`${pool}/${key}`);
    return { ok: true, rc: 1 };
  }

  flushObject(_caller: number, pool: number, oid: Oid): TmemRc {
    this.calls.flushObject++;
    const p = this.pools.get(pool);
    if (p === undefined) return { ok: false, errno: 'ENODEV' };
    for (const key of [...p.pages.keys()]) {
      if (key.startsWith(`${oid[0]}:`)) {
        p.pages.delete(key);
        this.ephemeralLru.delete(`${pool}/${key}`);
      }
    }
    return { ok: true, rc: 1 };
  }

  destroyPool(_caller: number, pool: number): TmemRc {
    this.calls.destroyPool++;
    const p = this.pools.get(pool);
    if (p === undefined) return { ok: false, errno: 'ENODEV' };
    for (const key of p.pages.keys()) this.ephemeralLru.delete(`${pool}/${key}`);
    this.pools.delete(pool);
    return { ok: true, rc: 1 };
  }
}
