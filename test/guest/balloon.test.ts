import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Balloon, DEFAULT_BALLOON, type BalloonHost } from '../../src/guest/balloon.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';

const S = 1_000_000_000;

test('deflate: populate refused -> back-off doubling to 32 s, reset after success', () => {
  const hv = newHost(10000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 5000, maxmemPages: 9000 });
  assert.ok(hv.domainCreate(2, 5000).ok);
  assert.ok(hv.populatePhysmap(2, 5000).ok); // the host is now full
  g.setBalloonTarget(8000);
  const delays: (number | null)[] = [];
  for (let i = 0; i < 7; i++) delays.push(g.balloonWork(i * S));
  assert.deepEqual(delays, [2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 32 * S, 32 * S]);
  assert.equal(g.metrics().ramPages, 5000);
  assert.ok(hv.decreaseReservation(2, 5000).ok);
  assert.equal(g.balloonWork(100 * S), null);
  assert.equal(g.metrics().ramPages, 8000);
  assert.equal(g.metrics().balloon.scheduleDelayS, 1);
  assertClean(g);
});

test('deflate: a partial populate keeps what it got, the next batch fails and backs off', () => {
  const hv = newHost(10000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 5000, maxmemPages: 9000 });
  assert.ok(hv.domainCreate(2, 5000).ok);
  assert.ok(hv.populatePhysmap(2, 4000).ok); // 1000 pages free
  g.setBalloonTarget(8000);
  assert.equal(g.balloonWork(0), 2 * S);
  assert.equal(g.metrics().ramPages, 6000);
  assert.equal(g.metrics().balloon.deflatedPages, 1000);
});

test('deflate stops at max_pfn (maxmem); maxmem refusal backs off', () => {
  const hv = newHost(20000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 5000, maxmemPages: 6000 });
  g.setBalloonTarget(9000);
  assert.equal(g.balloonWork(0), null);
  assert.equal(g.metrics().ramPages, 6000);
  // The toolstack lowers maxmem below what the guest wants back.
  g.setBalloonTarget(4000);
  assert.equal(g.balloonWork(0), null);
  assert.ok(hv.setMaxMem(1, 4500).ok);
  g.setBalloonTarget(6000);
  assert.equal(g.balloonWork(0), 2 * S);
  assert.equal(g.metrics().ramPages, 4500);
});

test('max_pfn is at most eleven times the initial memory (a PV guest\'s extra memory, EXTRA_MEM_RATIO 10), whatever maxmem says', () => {
  const hv = newHost(100000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 1000, maxmemPages: 50000 });
  assert.equal(g.maxPfn, 11000);
  g.setBalloonTarget(50000);
  assert.equal(g.balloonWork(0), null);
  assert.equal(g.metrics().ramPages, 11000, 'the balloon stops at max_pfn, below the domain\'s max_pages');
  const within = bootGuest(hv, null, { domid: 2, memoryPages: 1000, maxmemPages: 7000 });
  assert.equal(within.maxPfn, 7000, 'maxmem under the cap');
});

test('inflate: guest pages it cannot free (no swap, anon everywhere) -> partial inflate and back-off', () => {
  const hv = newHost(10000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 5000, kernelReservePages: 0, swapPages: 0, workload: { anon: { kind: 'constant', pages: 4900 } } });
  g.runWorkload(0, 1_000_000);
  g.setBalloonTarget(4000);
  assert.equal(g.balloonWork(0), 2 * S);
  assert.equal(g.metrics().ramPages, 4900);
  assert.equal(g.metrics().oomEvents, 0, 'GFP_BALLOON never triggers the OOM killer');
  const info = hv.domainInfo(1);
  assert.ok(info.ok && info.tot_pages === 4900);
  assertClean(g);
});

test('inflate in batches of 512 returns pages to the host free list', () => {
  const hv = newHost(10000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 5000 });
  const free0 = hv.physinfo().pagesFree;
  g.setBalloonTarget(3000);
  assert.equal(g.balloonWork(0), null);
  assert.equal(hv.physinfo().pagesFree - free0, 2000);
  assert.equal(g.metrics().balloon.inflatedPages, 2000);
  assertClean(g);
});

test('the balloon worker moves at most 512 pages a batch each way (the driver\'s page list size), back-off from 1 s to 32 s', () => {
  assert.deepEqual(DEFAULT_BALLOON, { batchPages: 512, scheduleDelayMinS: 1, scheduleDelayMaxS: 32 });
  let pages = 5000;
  const calls: string[] = [];
  const host: BalloonHost = {
    currentPages: () => pages,
    maxPages: () => 8000,
    inflate: (n) => {
      calls.push(`inflate ${n}`);
      pages -= n;
      return n;
    },
    deflate: (n) => {
      calls.push(`deflate ${n}`);
      pages += n;
      return n;
    },
  };
  const b = new Balloon(5000);
  b.setTarget(3000);
  assert.equal(b.work(host), null);
  b.setTarget(4100);
  assert.equal(b.work(host), null);
  assert.deepEqual(calls, ['inflate 512', 'inflate 512', 'inflate 512', 'inflate 464', 'deflate 512', 'deflate 512', 'deflate 76']);
});

test('inflate: a short batch gives back what it got and backs off, even if the next batch could have gone through (decrease_reservation answers BP_EAGAIN; found by mutation testing)', () => {
  let pages = 5000;
  let short = true;
  const calls: string[] = [];
  const host: BalloonHost = {
    currentPages: () => pages,
    maxPages: () => 5000,
    inflate: (n) => {
      // The first batch finds one page fewer than it asked for; later ones would find them all.
      const got = short ? n - 1 : n;
      short = false;
      calls.push(`inflate ${n} -> ${got}`);
      pages -= got;
      return got;
    },
    deflate: () => assert.fail('no deflation expected'),
  };
  const b = new Balloon(5000);
  b.setTarget(4000);
  assert.equal(b.work(host), 2 * S);
  assert.deepEqual(calls, ['inflate 512 -> 511']);
  assert.equal(pages, 4489);
  assert.equal(b.stats.failedPasses, 1);
  assert.equal(b.work(host), null, 'the retry finishes the job and resets the delay');
  assert.equal(pages, 4000);
  assert.equal(b.scheduleDelayS, 1);
});

test('deflate: a partial populate after failures is a successful pass: the delay restarts at 1 s, so the failed batch after it waits 2 s, not the doubled 8 s (increase_reservation answers BP_DONE when it got any page; found by mutation testing)', () => {
  const hv = newHost(10000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 5000, maxmemPages: 9000 });
  assert.ok(hv.domainCreate(2, 5000).ok);
  assert.ok(hv.populatePhysmap(2, 5000).ok); // the host is full
  g.setBalloonTarget(8000);
  assert.equal(g.balloonWork(0), 2 * S);
  assert.equal(g.balloonWork(2 * S), 4 * S);
  assert.ok(hv.decreaseReservation(2, 300).ok); // room for part of one batch
  assert.equal(g.balloonWork(6 * S), 2 * S);
  assert.equal(g.metrics().ramPages, 5300);
  assert.equal(g.metrics().balloon.failedPasses, 3);
  assertClean(g);
});
