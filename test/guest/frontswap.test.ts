import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SyntheticPage } from '../../src/hypervisor/tmem/api.ts';
import { Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import { Frontswap, frontswapIndex, frontswapOid } from '../../src/guest/frontswap.ts';
import { FakeTmem } from './fake-tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';

test('swizzle: oid [(type << 4) | (offset & 15), 0, 0], index offset >> 4', () => {
  assert.deepEqual(frontswapOid(0, 0), [0, 0, 0]);
  assert.deepEqual(frontswapOid(0, 1), [1, 0, 0]);
  assert.deepEqual(frontswapOid(0, 15), [15, 0, 0]);
  assert.deepEqual(frontswapOid(0, 16), [0, 0, 0]);
  assert.equal(frontswapIndex(16), 1);
  assert.deepEqual(frontswapOid(1, 0x12345), [0x15, 0, 0]);
  assert.equal(frontswapIndex(0x12345), 0x1234);
  assert.deepEqual(frontswapOid(2, 0xffffffff), [0x2f, 0, 0]);
  assert.equal(frontswapIndex(0xffffffff), 0x0fffffff);
});

test('swizzle is a bijection from (type, offset) to (oid, index), 16 objects per type', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 0xffffffff }), (type, off) => {
      const [o] = frontswapOid(type, off);
      const idx = frontswapIndex(off);
      assert.equal(o >> 4, type);
      assert.equal(idx * 16 + (o & 15), off);
    }),
  );
});

test('a swap slot lands in tmem at object type * 16 + offset mod 16, page index offset / 16, on swap types 0 and 1', () => {
  // Upstream frontswap spreads each swap device over 16 objects: the low 4 offset bits
  // pick the object (above the type), the rest of the offset is the page index.
  const hv = newHost(10000);
  const tmem = new Tmem(hv, { store: 'synthetic', lowMemPages: 0 });
  hv.attachTmem(tmem);
  assert.ok(hv.domainCreate(1, 1000).ok);
  const page = (n: number): SyntheticPage => ({ fpHi: 7, fpLo: n, compressedBytes: 4096 });
  const swap0 = new Frontswap(tmem, 1, 0, 256);
  const swap1 = new Frontswap(tmem, 1, 1, 256);
  swap0.init();
  swap1.init();
  // (Upstream shares one pool between swap devices; a guest here has one device, and each Frontswap makes its own pool.)
  // offset 0x25 -> object 5 (type 0) or 0x15 (type 1), index 2; offset 0x3a -> object 0x1a, index 3.
  const stored: [Frontswap, number, number, number][] = [
    [swap0, 0x01, 0x01, 0],
    [swap0, 0x25, 0x05, 2],
    [swap1, 0x25, 0x15, 2],
    [swap1, 0x3a, 0x1a, 3],
  ];
  for (const [fs, offset] of stored) assert.equal(fs.store(offset, page(offset)), true);
  const e = tmem.control.enumerate(1);
  assert.ok(e.ok);
  const handles = e.pages.map((h) => `${h.pool}/${h.oid.join(',')}/${h.index}`).sort();
  const want = stored.map(([fs, , oid, index]) => `${fs.poolId}/${oid},0,0/${index}`).sort();
  assert.deepEqual(handles, want);
  // An explicit get at each handle finds the page stored at that slot.
  for (const [fs, offset, oid, index] of stored) {
    const out: SyntheticPage = { fpHi: 0, fpLo: 0, compressedBytes: 0 };
    assert.deepEqual(tmem.get(1, fs.poolId, [oid, 0, 0], index, out), { ok: true, rc: 1 });
    assert.equal(out.fpLo, offset);
  }
  // Freeing a slot flushes that same handle.
  swap1.invalidatePage(0x3a);
  const out: SyntheticPage = { fpHi: 0, fpLo: 0, compressedBytes: 0 };
  assert.deepEqual(tmem.get(1, swap1.poolId, [0x1a, 0, 0], 3, out), { ok: true, rc: 0 });
  assert.deepEqual(tmem.violations(), []);
});

test('frontswap falls back to the swap disk when tmem refuses (ENOMEM at maxmem); no page lost', () => {
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  tmem.persistentLimit = 300; // the client's room under maxmem
  const g = bootGuest(hv, tmem, {
    domid: 1,
    memoryPages: 5000,
    kernelReservePages: 0,
    swapPages: 5000,
    workload: { anon: { kind: 'constant', pages: 4000 } },
  });
  g.runWorkload(0, 1_000_000);
  g.setBalloonTarget(3000);
  assert.equal(g.balloonWork(0), null);
  const m = g.metrics();
  assert.equal(m.anonSwappedPages, 1000);
  assert.equal(m.frontswap.stores, 300);
  assert.equal(m.frontswap.rejects, 700);
  assert.equal(m.disk.swapWrites, 700);
  assert.equal(tmem.persistentPages(1), 300);
  assertClean(g);
  // Every page comes back with its contents: 300 from tmem, 700 from the disk.
  g.setBalloonTarget(5000);
  assert.equal(g.balloonWork(0), null);
  for (let id = 0; id < 4000; id++) g.accessAnonPage(id);
  const m2 = g.metrics();
  assert.equal(m2.anonResidentPages, 4000);
  assert.equal(m2.frontswap.loads, 300);
  assert.equal(m2.disk.swapReads, 700);
  assert.equal(m2.frontswap.pages, 0);
  assert.equal(tmem.persistentPages(1), 0); // slot free -> invalidate_page
  assertClean(g);
});

test('frontswap refused while the client is frozen (EFROZEN): disk instead', () => {
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 5000, workload: { anon: { kind: 'constant', pages: 4000 } } });
  g.runWorkload(0, 1_000_000);
  tmem.frozen.add(1);
  g.setBalloonTarget(3500);
  assert.equal(g.balloonWork(0), null);
  const m = g.metrics();
  assert.equal(m.anonSwappedPages, 500);
  assert.equal(m.frontswap.stores, 0);
  assert.equal(m.frontswap.rejects, 500);
  assert.equal(m.disk.swapWrites, 500);
  assertClean(g);
});

test('freeing anonymous memory invalidates its frontswap pages', () => {
  const tmem = new FakeTmem();
  const g = ballooned(tmem);
  assert.equal(tmem.persistentPages(1), 1000);
  g.setAnonPages(0);
  assert.equal(tmem.persistentPages(1), 0);
  assert.equal(g.metrics().frontswap.invalidates, 1000);
  assertClean(g);
});

test('swapoff brings every page back and invalidates the whole area (16 objects)', () => {
  const tmem = new FakeTmem();
  const g = ballooned(tmem);
  assert.equal(g.swapoff(), false, 'not enough RAM: ENOMEM');
  assertClean(g);
  g.setBalloonTarget(5000);
  g.balloonWork(0);
  const before = tmem.calls.flushObject;
  assert.equal(g.swapoff(), true);
  assert.equal(tmem.calls.flushObject - before, 16);
  assert.equal(g.metrics().anonSwappedPages, 0);
  assert.equal(tmem.persistentPages(1), 0);
  assertClean(g);
});

/**
 * A guest whose frontswap pages are not in swap-slot order by page id: 1500
 * anonymous pages on 2000 of RAM, a first squeeze that clears every PTE young
 * bit, pages 100-599 touched again, then squeezes down to 300 pages of RAM —
 * reclaim passes over 100-599 and swaps 600-1499 before them.
 */
/** A 5000-page guest with 5000 swap pages and 4000 anonymous pages, ballooned to 3000: 1000 pages swapped out (into frontswap while tmem takes them). */
function ballooned(tmem: FakeTmem): ReturnType<typeof bootGuest> {
  const g = bootGuest(newHost(100000), tmem, { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 5000 });
  g.setAnonPages(4000);
  g.setBalloonTarget(3000);
  assert.equal(g.balloonWork(0), null);
  return g;
}

function mixedSwapGuest(): { g: ReturnType<typeof bootGuest>; inFrontswap: number[] } {
  const hv = newHost(20000);
  const tmem = new Tmem(hv, { store: 'synthetic' });
  hv.attachTmem(tmem);
  const g = bootGuest(hv, tmem, { domid: 1, memoryPages: 2000, maxmemPages: 4000, kernelReservePages: 0, swapPages: 4000 });
  const balloon = (target: number): void => {
    g.setBalloonTarget(target);
    for (let i = 0; i < 100 && g.balloonWork(0) !== null; i++);
  };
  g.setAnonPages(1500);
  balloon(1450);
  for (let p = 100; p < 600; p++) g.accessAnonPage(p);
  balloon(1000);
  balloon(300);
  const inFrontswap = Array.from({ length: 1500 }, (_, p) => p).filter((p) => g.anonPageWhere(p) === 'frontswap');
  // Swapped in the order 0-99, 600-1499, then 100-299.
  assert.equal(inFrontswap.length, 1200);
  assert.deepEqual([inFrontswap[99], inFrontswap[100], inFrontswap[299], inFrontswap[300]], [99, 100, 299, 600]);
  assert.equal(g.metrics().swapIns, 0);
  balloon(4000); // room to bring pages back
  return { g, inFrontswap };
}

test('self-shrinking brings back the lowest-address frontswap pages first (v5.2 try_to_unuse walks the page tables), not the oldest slots', () => {
  const { g, inFrontswap } = mixedSwapGuest();
  g.frontswapShrink(inFrontswap.length - 250);
  const back = inFrontswap.filter((p) => g.anonPageWhere(p).startsWith('ram'));
  // Slot order would have brought back 0-99 and 600-749.
  assert.deepEqual(back, inFrontswap.slice(0, 250));
  assert.equal(g.metrics().frontswap.pages, inFrontswap.length - 250);
  // unuse_pte maps them old (pte_mkold): the next reclaim may take them back at once, no second chance (found by mutation testing).
  assert.deepEqual(new Set(back.map((p) => g.anonPageWhere(p))), new Set(['ram-old']));
  // A page brought back by a fault is young.
  const faulted = inFrontswap[250];
  g.accessAnonPage(faulted);
  assert.equal(g.anonPageWhere(faulted), 'ram-young');
  assertClean(g);
});

test('swapoff brings pages back in address order', () => {
  const { g, inFrontswap } = mixedSwapGuest();
  // Only 250 pages can come back: the balloon takes the rest of RAM (swapoff never swaps to make room).
  g.setBalloonTarget(300 + 250);
  for (let i = 0; i < 100 && g.balloonWork(0) !== null; i++);
  assert.equal(g.swapoff(), false, 'not enough RAM: ENOMEM');
  const back = inFrontswap.filter((p) => g.anonPageWhere(p).startsWith('ram'));
  assert.deepEqual(back, inFrontswap.slice(0, 250));
  assertClean(g);
});

test('after a successful swapoff the device is off: reclaim swaps no more (no frontswap store, no swap write)', () => {
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 5000 });
  g.setAnonPages(4000);
  assert.equal(g.swapoff(), true);
  const before = g.metrics();
  g.setBalloonTarget(3000);
  g.balloonWork(0);
  const m = g.metrics();
  assert.equal(m.swapOuts, before.swapOuts);
  assert.equal(m.frontswap.stores, before.frontswap.stores);
  assert.equal(m.disk.swapWrites, before.disk.swapWrites);
  assert.ok(m.ramPages > 3000, 'the balloon could take only free pages: nothing could be swapped out');
  assertClean(g);
});

/** A tmem that refuses persistent pools: frontswap gets no pool at swapon. */
class NoPersistentPools extends FakeTmem {
  override newPool(caller: number, flags: Parameters<FakeTmem['newPool']>[1]): ReturnType<FakeTmem['newPool']> {
    return flags.persistent ? { ok: false, errno: 'EPERM' } : super.newPool(caller, flags);
  }
}

test('without a frontswap pool every swap-out is a failed store (tmem_frontswap_store refuses: failed_stores), then goes to the disk', () => {
  const hv = newHost(100000);
  const g = bootGuest(hv, new NoPersistentPools(), { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 5000 });
  g.setAnonPages(4000);
  g.setBalloonTarget(3000);
  g.balloonWork(0);
  const m = g.metrics();
  assert.ok(m.swapOuts >= 1000);
  assert.equal(m.frontswap.rejects, m.swapOuts);
  assert.equal(m.frontswap.stores, 0);
  assert.equal(m.disk.swapWrites, m.swapOuts);
  assertClean(g);
});

test('a freed swap slot counts a frontswap invalidate, and flushes tmem, only when its page is in frontswap (__frontswap_invalidate_page tests the bit first; found by mutation testing)', () => {
  const tmem = new FakeTmem();
  tmem.persistentLimit = 300;
  const g = ballooned(tmem);
  assert.equal(g.metrics().frontswap.pages, 300);
  assert.equal(g.metrics().disk.swapWrites, 700);
  const flushes = tmem.calls.flushPage;
  g.setAnonPages(0); // frees all 1000 slots: 300 in frontswap, 700 on the disk only
  const m = g.metrics();
  assert.equal(m.frontswap.invalidates, 300);
  assert.equal(tmem.calls.flushPage - flushes, 300);
  assert.equal(m.frontswap.pages, 0);
  assert.equal(m.swap.usedSlots, 0);
  assertClean(g);
});

test('a load tmem misses although the slot\'s bit is set reads the swap disk instead (swap_readpage), counted as a failed load and reported (found by mutation testing)', () => {
  const tmem = new FakeTmem();
  const g = ballooned(tmem);
  const page = Array.from({ length: 4000 }, (_, p) => p).find((p) => g.anonPageWhere(p) === 'frontswap');
  assert.ok(page !== undefined);
  g.setBalloonTarget(5000);
  assert.equal(g.balloonWork(0), null);
  // The persistent data goes behind the guest's back (it never should): the get answers EEMPTY.
  for (const p of tmem.pools.values()) if (p.persistent) p.pages.clear();
  const before = g.metrics();
  g.accessAnonPage(page);
  const m = g.metrics();
  assert.equal(g.anonPageWhere(page), 'ram-young');
  assert.equal(m.frontswap.loads, before.frontswap.loads);
  assert.equal(m.frontswap.failedLoads, 1);
  assert.equal(m.disk.swapReads - before.disk.swapReads, 1);
  assert.equal(m.swapIns - before.swapIns, 1);
  assert.ok(g.violations().some((v) => v.includes('1 frontswap loads missed')));
});

test('the frontswap pool is made at swapon: a guest without swap creates none (tmem_frontswap_init; found by mutation testing)', () => {
  const persistentPools = (t: FakeTmem): number => [...t.pools.values()].filter((p) => p.persistent).length;
  const hv = newHost(100000);
  const noSwap = new FakeTmem();
  const g0 = bootGuest(hv, noSwap, { domid: 1, memoryPages: 5000, swapPages: 0 });
  assert.equal(persistentPools(noSwap), 0);
  assert.equal(g0.frontswap.enabled, false);
  const withSwap = new FakeTmem();
  const g1 = bootGuest(hv, withSwap, { domid: 2, memoryPages: 5000, swapPages: 100 });
  assert.equal(persistentPools(withSwap), 1);
  assert.equal(g1.frontswap.enabled, true);
});

test('self-shrinking makes room only by dropping page cache, never by swapping other pages out (the documented choice for try_to_unuse; found by mutation testing)', () => {
  const tmem = new FakeTmem();
  const g = ballooned(tmem);
  g.setBalloonTarget(5000);
  assert.equal(g.balloonWork(0), null);
  g.setAnonPages(6000); // RAM full of anonymous pages, no page cache: 2000 resident ones more
  const before = g.metrics();
  assert.equal(before.freePages, 0);
  assert.equal(before.pageCachePages, 0);
  assert.ok(before.frontswap.pages > 0);
  g.frontswapShrink(0);
  const m = g.metrics();
  assert.equal(m.frontswap.selfShrunkPages, 0);
  assert.equal(m.frontswap.pages, before.frontswap.pages);
  assert.equal(m.swapOuts, before.swapOuts);
  assertClean(g);
});
