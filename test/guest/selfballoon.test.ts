import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultReservedPages,
  FrontswapSelfshrink,
  mbToPages,
  selfballoonFloor,
  selfballoonGoal,
  selfballoonTarget,
  type SelfballoonParams,
  type SelfballoonState,
} from '../../src/guest/selfballoon.ts';
import { defaultKernelReservePages, guestConfig } from '../../src/guest/config.ts';
import { FakeTmem } from './fake-tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';

const params = (p: Partial<SelfballoonParams> = {}): SelfballoonParams => ({
  downHysteresis: 8,
  upHysteresis: 1,
  minUsablePages: 0,
  reservedPages: 0,
  selfShrinking: false,
  ...p,
});

test('default reserved: 10% of totalram truncated to whole MB', () => {
  // 262144 / 10 = 26214 pages = 102.4 MB -> 102 MB = 26112 pages.
  assert.equal(defaultReservedPages(262144), 26112);
  assert.equal(defaultReservedPages(2559), 0); // 255 pages < 1 MB
  assert.equal(defaultReservedPages(2560), 256);
});

test('goal = Committed_AS + totalreserve + reserved (+ frontswap pages when self-shrinking)', () => {
  const s: SelfballoonState = { curPages: 262144, committedPages: 100000, totalreservePages: 1548, frontswapPages: 5000, maxPfn: 262144 };
  assert.equal(selfballoonGoal(s, params({ reservedPages: 26112 })), 127660);
  assert.equal(selfballoonGoal(s, params({ reservedPages: 26112, selfShrinking: true })), 132660);
});

test('going down moves 1/8 of the gap (truncating), floor not binding', () => {
  const s: SelfballoonState = { curPages: 262144, committedPages: 100000, totalreservePages: 1548, frontswapPages: 0, maxPfn: 262144 };
  // gap 134484, /8 = 16810.5 -> 16810
  assert.equal(selfballoonTarget(s, params({ reservedPages: 26112 })), 245334);
});

test('each down-hysteresis step against hand-computed values', () => {
  const p = params();
  let cur = 80000;
  const expected = [75000, 70625, 66797];
  for (const want of expected) {
    cur = selfballoonTarget({ curPages: cur, committedPages: 40000, totalreservePages: 0, frontswapPages: 0, maxPfn: 80000 }, p);
    assert.equal(cur, want);
  }
});

test('going up: uphysteresis 1 jumps to the goal, 2 moves half the gap; equal stays', () => {
  const s: SelfballoonState = { curPages: 100000, committedPages: 127660, totalreservePages: 0, frontswapPages: 0, maxPfn: 262144 };
  assert.equal(selfballoonTarget(s, params()), 127660);
  assert.equal(selfballoonTarget(s, params({ upHysteresis: 2 })), 113830);
  // An odd gap: the half truncates (27659 / 2 = 13829.5 -> 13829), as the kernel's unsigned division.
  assert.equal(selfballoonTarget({ ...s, committedPages: 127659 }, params({ upHysteresis: 2 })), 113829);
  assert.equal(selfballoonTarget({ ...s, curPages: 127660 }, params()), 127660);
  // No upper clamp in selfballoon itself: the goal may exceed max_pfn.
  assert.equal(selfballoonTarget({ ...s, committedPages: 300000 }, params()), 300000);
});

test('each floor band against hand-computed values', () => {
  assert.equal(selfballoonFloor(4000, 0, 0), 4000); // useful < 16 MB: no ballooning
  assert.equal(selfballoonFloor(4195, 100, 0), 4195); // useful 4095 < 4096
  assert.equal(selfballoonFloor(4196, 100, 0), 100 + 4096); // useful = 16 MB exactly: band 2
  assert.equal(selfballoonFloor(10000, 100, 0), 100 + 4096 + 2902); // (9900-4096)/2
  assert.equal(selfballoonFloor(16384 + 7, 7, 0), 7 + 10240 + 768); // useful = 64 MB: band 3
  assert.equal(selfballoonFloor(65536, 1000, 0), 1000 + 10240 + 6787); // (64536-10240)/8
  assert.equal(selfballoonFloor(131072, 0, 0), 25344 + 3304); // useful = 512 MB: band 4
  assert.equal(selfballoonFloor(1048576, 2000, 0), 2000 + 25344 + 31913); // (1046576-25344)/32
  assert.equal(selfballoonFloor(1048576, 2000, 5120), 7120); // min_usable_mb set
  // The floor binds: a guest with tiny demand stops at it.
  assert.equal(selfballoonTarget({ curPages: 65536, committedPages: 0, totalreservePages: 1000, frontswapPages: 0, maxPfn: 65536 }, params()), 65536 - Math.floor((65536 - 1000) / 8));
  assert.equal(selfballoonTarget({ curPages: 19000, committedPages: 0, totalreservePages: 1000, frontswapPages: 0, maxPfn: 65536 }, params()), 18027);
});

test('frontswap self-shrink: inertia 3, hysteresis 20', () => {
  const s = new FrontswapSelfshrink(20, 3);
  assert.equal(s.tick(0), null);
  assert.equal(s.tick(100), null); // growing: counter = 3
  assert.equal(s.tick(100), null); // 2
  assert.equal(s.tick(100), null); // 1
  assert.equal(s.tick(100), 95); // 0: shrink by 100/20
  assert.equal(s.tick(95), null); // counter reset to 3 -> 2
  assert.equal(s.tick(95), null); // 1
  assert.equal(s.tick(95), 91); // 95 - 4
  assert.equal(s.tick(120), null); // growth resets
  assert.equal(s.tick(20), null);
  assert.equal(s.tick(20), null);
  assert.equal(s.tick(20), 0); // <= hysteresis: drain completely
});

test('guest selfballoon passes walk the balloon down by 1/8 and the worker follows', () => {
  const hv = newHost(200000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, {
    domid: 1,
    memoryPages: 80000,
    kernelReservePages: 0,
    swapPages: 1000,
    selfballoon: { enabled: true, reservedPages: 0 },
    workload: { anon: { kind: 'constant', pages: 40000 } },
  });
  g.runWorkload(0, 1_000_000);
  assert.equal(g.metrics().committedPages, 40000);
  for (const want of [75000, 70625, 66797]) {
    g.selfballoonTick(0);
    assert.equal(g.metrics().balloonTargetPages, want);
    assert.equal(g.balloonWork(0), null);
    assert.equal(g.metrics().ramPages, want);
    const info = hv.domainInfo(1);
    assert.ok(info.ok && info.tot_pages === want);
  }
  assertClean(g);
});

test('selfballooning is off without tmem (xen_tmem_init), unless requireTmem is false', () => {
  const hv = newHost(100000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 20000, selfballoon: { enabled: true } });
  g.selfballoonTick(0);
  assert.equal(g.metrics().selfballoon.active, false);
  assert.equal(g.metrics().balloonTargetPages, 20000);
  const g2 = bootGuest(hv, null, { domid: 2, memoryPages: 20000, selfballoon: { enabled: true, requireTmem: false } });
  g2.selfballoonTick(0);
  assert.ok(g2.metrics().balloonTargetPages < 20000);
});

/**
 * A 20000-page guest (no kernel reserve, self-shrinking on, self-ballooning
 * off) with 15000 anonymous pages, `swapped` of them squeezed into frontswap
 * by a balloon dip, then given its RAM back.
 */
function withFrontswapPages(swapped: number): ReturnType<typeof bootGuest> {
  const g = bootGuest(newHost(100000), new FakeTmem(), {
    domid: 1,
    memoryPages: 20000,
    kernelReservePages: 0,
    swapPages: 20000,
    reclaimBatchPages: 1,
    selfballoon: { enabled: false, selfShrinking: true },
    workload: { anon: { kind: 'constant', pages: 15000 } },
  });
  g.runWorkload(0, 1_000_000);
  g.setBalloonTarget(15000 - swapped);
  assert.equal(g.balloonWork(0), null);
  assert.equal(g.metrics().frontswap.pages, swapped);
  g.setBalloonTarget(20000);
  assert.equal(g.balloonWork(0), null);
  return g;
}

test('self-shrinking pulls frontswap pages back into RAM after 3 quiet passes', () => {
  const g = withFrontswapPages(5000);
  g.selfballoonTick(0); // growth from 0: counter 3
  g.selfballoonTick(0);
  g.selfballoonTick(0);
  assert.equal(g.metrics().frontswap.pages, 5000);
  g.selfballoonTick(0);
  assert.equal(g.metrics().frontswap.pages, 4750);
  assert.equal(g.metrics().frontswap.selfShrunkPages, 250);
  assert.equal(g.metrics().anonResidentPages, 10250);
  assertClean(g);
});

test('guestConfig fills in upstream self-balloon defaults: 5 s interval, down 8, up 1, reserved 10% of RAM, frontswap 20 and 3', () => {
  // The guest does not schedule its own passes (the simulation does), so the interval can only be read from the filled-in config.
  assert.deepEqual(guestConfig({ domid: 1, memoryPages: 25600 }).selfballoon, {
    enabled: false,
    intervalNs: 5_000_000_000,
    downHysteresis: 8,
    upHysteresis: 1,
    reservedPages: null,
    reservedPercent: 10,
    minUsablePages: 0,
    selfShrinking: true,
    frontswapHysteresis: 20,
    frontswapInertia: 3,
    requireTmem: true,
  });
});

test('default uphysteresis is 1: one going-up pass sets the target to the goal at once', () => {
  const hv = newHost(200000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, {
    domid: 1,
    memoryPages: 25600,
    maxmemPages: 51200,
    kernelReservePages: 0,
    selfballoon: { enabled: true, reservedPages: 2560 },
    workload: { anon: { kind: 'constant', pages: 24000 } },
  });
  g.runWorkload(0, 1_000_000);
  g.selfballoonTick(0);
  const m = g.metrics();
  assert.equal(m.selfballoon.lastGoalPages, 24000 + 2560);
  assert.equal(m.balloonTargetPages, 26560); // uphysteresis 2 would stop half way, at 26080
  assert.equal(g.balloonWork(0), null);
  assert.equal(g.metrics().ramPages, 26560);
  g.selfballoonTick(0); // at the goal: no further move
  assert.equal(g.metrics().balloonTargetPages, 26560);
  assertClean(g);
});

test('default reserved is 10% of boot RAM (whole MB), not of maxmem: the goal is Committed_AS + totalreserve + 10 MB for a guest booted with 100 MB of 200 MB', () => {
  const hv = newHost(200000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, {
    domid: 1,
    memoryPages: 25600,
    maxmemPages: 51200,
    kernelReservePages: 100,
    selfballoon: { enabled: true },
    workload: { anon: { kind: 'constant', pages: 20000 } },
  });
  g.runWorkload(0, 1_000_000);
  g.selfballoonTick(0);
  const m = g.metrics();
  assert.equal(m.selfballoon.lastGoalPages, 20000 + 100 + 2560);
  assert.equal(m.balloonTargetPages, 25600 - Math.floor((25600 - 22660) / 8));
  assertClean(g);
});

test('with self-shrinking on, the guest goal counts its frontswap pages (off: it does not)', () => {
  for (const selfShrinking of [true, false]) {
    const hv = newHost(100000);
    const tmem = new FakeTmem();
    const g = bootGuest(hv, tmem, {
      domid: 1,
      memoryPages: 20000,
      kernelReservePages: 0,
      swapPages: 20000,
      selfballoon: { enabled: true, reservedPages: 0, selfShrinking },
      workload: { anon: { kind: 'constant', pages: 15000 } },
    });
    g.runWorkload(0, 1_000_000);
    g.setBalloonTarget(10000);
    assert.equal(g.balloonWork(0), null);
    assert.equal(g.metrics().frontswap.pages, 5000);
    g.selfballoonTick(0);
    const m = g.metrics();
    assert.equal(m.frontswap.pages, 5000, 'no self-shrink on the first pass');
    const goal = selfShrinking ? 15000 + 5000 : 15000;
    assert.equal(m.selfballoon.lastGoalPages, goal);
    assert.equal(m.balloonTargetPages, goal);
    assertClean(g);
  }
});

test('self-shrinking needs tmem with frontswap: without either the worker does not run for it (xen_tmem_init forces selfshrinking off; found by mutation testing)', () => {
  const hv = newHost(100000);
  const noTmem = bootGuest(hv, null, { domid: 1, memoryPages: 5000, swapPages: 1000 });
  const noFrontswap = bootGuest(hv, new FakeTmem(), { domid: 2, memoryPages: 5000, swapPages: 1000, frontswap: false });
  const both = bootGuest(hv, new FakeTmem(), { domid: 3, memoryPages: 5000, swapPages: 1000 });
  // Self-shrinking is on by default and self-ballooning off.
  assert.equal(noTmem.selfballoonWorkerRuns, false);
  assert.equal(noFrontswap.selfballoonWorkerRuns, false);
  assert.equal(both.selfballoonWorkerRuns, true);
  for (const g of [noTmem, noFrontswap, both]) g.selfballoonTick(0);
  assert.deepEqual([noTmem, noFrontswap, both].map((g) => g.metrics().selfballoon.ticks), [0, 0, 1]);
});

test('a pass sets the balloon target first, then self-shrinks: the goal counts the frontswap pages the same pass pulls back (selfballoon_process; found by mutation testing)', () => {
  const hv = newHost(100000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, {
    domid: 1,
    memoryPages: 20000,
    kernelReservePages: 0,
    swapPages: 20000,
    selfballoon: { enabled: true, reservedPages: 0, selfShrinking: true },
    workload: { anon: { kind: 'constant', pages: 15000 } },
  });
  g.runWorkload(0, 1_000_000);
  g.setBalloonTarget(10000);
  assert.equal(g.balloonWork(0), null);
  g.setBalloonTarget(20000);
  assert.equal(g.balloonWork(0), null);
  assert.equal(g.metrics().frontswap.pages, 5000);
  for (let pass = 0; pass < 3; pass++) {
    g.selfballoonTick(0); // goal 15000 + 5000 = RAM: no move; the shrink waits out its inertia
    assert.equal(g.metrics().balloonTargetPages, 20000);
  }
  g.selfballoonTick(0);
  const m = g.metrics();
  assert.equal(m.frontswap.pages, 4750, 'this pass shrank 5000 / 20 pages');
  assert.equal(m.selfballoon.lastGoalPages, 20000, 'the goal was taken before the shrink');
  assert.equal(m.balloonTargetPages, 20000);
  assertClean(g);
});

test('the guest\'s floor comes from max_pfn (maxmem, the ballooned-out part too; found by mutation testing)', () => {
  const hv = newHost(200000);
  // 100 MB booted, 200 MB maxmem: max_pfn is 51200 pages, useful 200 MB, floor 40 MB + (200 - 40) MB / 8 = 60 MB.
  const floorGuest = bootGuest(hv, new FakeTmem(), {
    domid: 1,
    memoryPages: 25600,
    maxmemPages: 51200,
    kernelReservePages: 0,
    selfballoon: { enabled: true, reservedPages: 0, downHysteresis: 1 },
  });
  floorGuest.selfballoonTick(0); // goal 0, down-hysteresis 1: straight to the floor
  assert.equal(floorGuest.metrics().selfballoon.lastTargetPages, mbToPages(60)); // max_pfn = memory would give 47.5 MB
  assertClean(floorGuest);
});

test('the engine\'s default totalreserve is v5.2\'s high watermark of one zone, in pages as the kernel counts it: min = min_free_kbytes >> 2, high = min + 2 x max(min >> 2, managed x 10 / 10000)', () => {
  // 4 GiB: min_free_kbytes = sqrt(16 x 4194304 KiB) = 8192 -> 2048 pages; max(512, 1048) = 1048; 2048 + 2096.
  assert.equal(defaultKernelReservePages(1048576), 4144);
  // 100 MiB: sqrt(1638400) = 1280 KiB -> 320 pages; max(80, 25) = 80.
  assert.equal(defaultKernelReservePages(25600), 480);
  // 64 KiB: sqrt(1024) = 32, raised to 128 KiB -> 32 pages; max(8, 0) = 8.
  assert.equal(defaultKernelReservePages(16), 48);
  // 1 TiB: sqrt(16 x 2^30) = 131072, capped at 65536 KiB -> 16384 pages; max(4096, 268435) = 268435.
  assert.equal(defaultKernelReservePages(268435456), 553254);
  // 3 GiB + 1 page: int_sqrt(16 x 3145732) = 7094 KiB -> 1773 pages (the KiB are truncated to pages first); max(443, 786) = 786.
  assert.equal(defaultKernelReservePages(786433), 1773 + 2 * 786);
  assert.equal(guestConfig({ domid: 1, memoryPages: 1048576 }).kernelReservePages, 4144);
});

test('self-ballooning needs frontswap, not only tmem: a guest with tmem and frontswap off does not self-balloon (xen_tmem_init clears selfballooning without frontswap; found by mutation testing)', () => {
  const hv = newHost(100000);
  const g = bootGuest(hv, new FakeTmem(), { domid: 1, memoryPages: 20000, frontswap: false, selfballoon: { enabled: true } });
  g.selfballoonTick(0);
  assert.equal(g.metrics().selfballoon.active, false);
  assert.equal(g.metrics().balloonTargetPages, 20000);
});

test('self-shrinking at 20 frontswap pages or fewer pulls every one back (the shrink target is 0; found by mutation testing)', () => {
  const g = withFrontswapPages(20);
  for (let pass = 0; pass < 3; pass++) g.selfballoonTick(0); // growth from 0, then two quiet passes
  assert.equal(g.metrics().frontswap.pages, 20);
  g.selfballoonTick(0);
  assert.equal(g.metrics().frontswap.pages, 0);
  assert.equal(g.metrics().frontswap.selfShrunkPages, 20);
  assertClean(g);
});
