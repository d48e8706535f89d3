import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { frontswapIndex, frontswapOid } from '../../src/guest/frontswap.ts';
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
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 5000 });
  g.setAnonPages(4000);
  g.setBalloonTarget(3000);
  g.balloonWork(0);
  assert.equal(tmem.persistentPages(1), 1000);
  g.setAnonPages(0);
  assert.equal(tmem.persistentPages(1), 0);
  assert.equal(g.metrics().frontswap.invalidates, 1000);
  assertClean(g);
});

test('swapoff brings every page back and invalidates the whole area (16 objects)', () => {
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 5000 });
  g.setAnonPages(4000);
  g.setBalloonTarget(3000);
  g.balloonWork(0);
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
