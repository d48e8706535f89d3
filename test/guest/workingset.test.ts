// Reclaim balance and workingset detection as in v5.2: get_scan_count's
// SCAN_FILE shortcut (enough inactive page cache: no anonymous page is
// reclaimed), shadow entries left by evicted file pages, refaults within the
// active list's size read straight into the active list, and refaults turning
// the active list's protection off (so anonymous pages are scanned) until the
// next reclaim run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';
import { scanFractions, type Guest, type ReclaimStat } from '../../src/guest/guest.ts';
import type { GuestConfigInput } from '../../src/guest/config.ts';

/** One file of `pages` pages, accessed only by the test (no workload rates). */
function fileGuest(memoryPages: number, swapPages: number, pages: number, more: Partial<GuestConfigInput> = {}): Guest {
  const hv = newHost(memoryPages * 4);
  return bootGuest(hv, null, {
    domid: 1,
    memoryPages,
    kernelReservePages: 100,
    swapPages,
    workload: {
      file: { files: 1, pagesPerFile: pages, filesystems: 1, accessesPerSec: 0, pattern: { kind: 'uniform', workingSetPages: pages }, writeShare: 0, unlinksPerSec: 0, truncatesPerSec: 0 },
    },
    ...more,
  });
}

function read(g: Guest, from: number, to: number): void {
  for (let i = from; i < to; i++) g.accessFilePage(0, i, false);
}

/** Fills every free page with anonymous memory, then asks for one more page: one reclaim run. */
function oneReclaimRun(g: Guest): void {
  const m = g.metrics();
  g.setAnonPages(m.anonPages + m.freePages + 1);
}

test('SCAN_FILE: with 4096 or more inactive file pages and the list not low, reclaim takes only page cache', () => {
  const g = fileGuest(20_000, 10_000, 10_000);
  read(g, 0, 10_000); // 10000 inactive file pages
  oneReclaimRun(g);
  const m = g.metrics();
  assert.equal(m.swapOuts, 0, 'no anonymous page reclaimed');
  assert.equal(m.evictedCleanPages, 32, 'a run of SWAP_CLUSTER_MAX file pages');
  assertClean(g);
});

test('priorities: below 4096 inactive file pages SCAN_FILE waits for a lower priority, after a small proportional share at DEF_PRIORITY', () => {
  const g = fileGuest(20_000, 10_000, 4095);
  read(g, 0, 4095);
  oneReclaimRun(g);
  const m = g.metrics();
  // Priority 12: 4095 >> 12 = 0 inactive pages to scan, so SCAN_FRACT: anon
  // ceil(3 x 60 / (60 + 286720 + 1)) = 1 page (read-once file pages weigh
  // 140 x 2048 / 1 after the history's halving), file 0 x ... = 0. Priority
  // 11: 4095 >> 11 = 1 and the list is not low: SCAN_FILE, 1 page; then 3, 7,
  // 15, and 5 of priority 7's 31 complete the run of 32.
  assert.equal(m.swapOuts, 1);
  assert.equal(m.evictedCleanPages, 31);
  assertClean(g);
});

test('SCAN_FRACT: with the inactive file list low, both sides give pages in proportion to their sizes and reclaim_stat weights', () => {
  const g = fileGuest(40_000, 20_000, 20_000);
  read(g, 0, 8000);
  read(g, 0, 6000); // 6000 active, 2000 inactive: low at ratio 1
  oneReclaimRun(g);
  const m = g.metrics();
  // The history is first halved, its scans having passed a quarter of each list: anon 15950 scanned / 15950 rotated (every
  // fault is added active), file 7000 / 3000 (8000 pages read in, 6000 activated). So ap = 60 x
  // 15951 / 15951 = 60, fp = 140 x 7001 / 3001 = 326: file pages that were not reused are cheaper.
  // Priority 12: anon ceil(7 x 60 / 387) = 2, file ceil(1 x 326 / 387) = 1; then 3 and 3 at 11,
  // 5 and 6 at 10, and at 9 (10 and 13) the last 12 in proportion.
  assert.equal(m.swapOuts, 15);
  assert.equal(m.evictedCleanPages, 17);
  assertClean(g);
});

test('SCAN_FILE is off while the inactive file list is low (inactive x ratio < active)', () => {
  const g = fileGuest(40_000, 10_000, 20_000);
  read(g, 0, 15_000);
  read(g, 0, 10_000); // second hits: 10000 active, 5000 inactive — low at ratio 1
  oneReclaimRun(g);
  assert.ok(g.metrics().swapOuts > 0);
  assertClean(g);
});

test('workingset: an evicted page read back within the active list size is a refault read into the active list; truncate drops the shadow', () => {
  // No swap: reclaim takes only file pages, so the eviction order is known.
  const g = fileGuest(1000, 0, 2000);
  read(g, 0, 100);
  read(g, 0, 100); // 100 active pages; the clock counts 100 activations
  read(g, 500, 501); // page 500 inactive, alone
  g.setAnonPages(799); // RAM - reserve - 101 cached: full
  g.setAnonPages(800); // one run of 32: the inactive list is low (1 < 100), so each eviction deactivates the active tail first
  let m = g.metrics();
  assert.equal(m.evictedCleanPages, 32);
  assert.equal(m.pageCachePages, 101 - 32);
  // Evicted: 500 (clock 101), then 0..30 (clock 102..132); 32 deactivations leave 68 active pages.
  g.setAnonPages(700);
  read(g, 500, 501); // distance 132 - 101 = 31 <= 68: activated
  m = g.metrics();
  assert.equal(m.workingsetRefaults, 1);
  assert.equal(m.workingsetActivations, 1);
  assert.equal(m.fileHits, 100 + 0, 'a refault is still a miss');
  const hitsBefore = m.fileHits;
  read(g, 500, 501); // already active and referenced: a hit, no activation
  assert.equal(g.metrics().fileHits, hitsBefore + 1);
  assert.equal(g.metrics().workingsetActivations, 1);

  // A page never cached has no shadow.
  read(g, 1500, 1501);
  assert.equal(g.metrics().workingsetRefaults, 1);
  // Page 1 was evicted (clock 103); a truncate drops the shadow: reading it again is no refault.
  g.truncateFile(0);
  read(g, 1, 2);
  assert.equal(g.metrics().workingsetRefaults, 1);
  assertClean(g);
});

test('workingset: a refault from further back than the active list is counted but read into the inactive list', () => {
  const g = fileGuest(1000, 0, 5000);
  read(g, 0, 10);
  read(g, 0, 10); // 10 active pages
  read(g, 100, 880); // 780 inactive: RAM - reserve - 790 = 110 free
  g.setAnonPages(110);
  g.setAnonPages(111); // run of 32: inactive not low (780 >= 10), evicts the inactive tail 100..131
  let m = g.metrics();
  assert.equal(m.evictedCleanPages, 32);
  // Advance the clock: 64 more evictions (132..195).
  g.setAnonPages(111 + 31 + 33);
  m = g.metrics();
  assert.equal(m.evictedCleanPages, 96);
  g.setAnonPages(0);
  const active = m.pageCachePages - (780 - 96);
  assert.equal(active, 10);
  read(g, 100, 101); // evicted first: distance 95 > 10 active pages
  m = g.metrics();
  assert.equal(m.workingsetRefaults, 1);
  assert.equal(m.workingsetActivations, 0);
  read(g, 195, 196); // evicted last: distance 0 <= 10
  assert.equal(g.metrics().workingsetActivations, 1);
  assertClean(g);
});

test('refaults turn the active list protection off until the next reclaim run: anonymous pages are scanned, then SCAN_FILE again', () => {
  const g = fileGuest(20_000, 10_000, 10_000);
  read(g, 0, 10_000);
  read(g, 0, 1000); // 1000 active, 9000 inactive: not low
  oneReclaimRun(g); // SCAN_FILE: evicts 1000..1031
  let m = g.metrics();
  assert.equal(m.swapOuts, 0);
  assert.equal(m.evictedCleanPages, 32);
  read(g, 1000, 1001); // refault within the active list: activated
  assert.equal(g.metrics().workingsetActivations, 1);
  oneReclaimRun(g); // refaults seen since the last run: the file list counts as low, SCAN_FRACT
  m = g.metrics();
  const swapped = m.swapOuts;
  assert.ok(swapped > 0, 'anonymous pages reclaimed after the refault');
  oneReclaimRun(g); // that run snapshotted the refaults: SCAN_FILE again
  assert.equal(g.metrics().swapOuts, swapped);
  assertClean(g);
});

test('a write miss takes the shadow without a refault (the page is added with __GFP_WRITE)', () => {
  const g = fileGuest(1000, 0, 2000);
  read(g, 0, 890); // RAM - reserve = 900: 10 free
  g.setAnonPages(10);
  g.setAnonPages(11); // evicts 0..31
  g.setAnonPages(0);
  g.accessFilePage(0, 0, true); // write miss over page 0's shadow
  assert.equal(g.metrics().workingsetRefaults, 0);
  read(g, 1, 2); // a read of page 1 is a refault
  assert.equal(g.metrics().workingsetRefaults, 1);
  assertClean(g);
});

test('an unmount drops the shadows of its filesystem: a read after the remount is no refault', () => {
  const g = fileGuest(1000, 0, 2000);
  read(g, 0, 890);
  g.setAnonPages(10);
  g.setAnonPages(11); // evicts 0..31: 32 shadows
  g.setAnonPages(0);
  g.remount(0);
  read(g, 0, 32);
  assert.equal(g.metrics().workingsetRefaults, 0);
  assertClean(g);
});

test('an unlink drops the file\'s shadows and pages (private and shared cleancache): the new file under the same page numbers reads without refaults', () => {
  for (const cleancacheShared of [false, true]) {
    const g = fileGuest(1000, 0, 2000, { cleancacheShared });
    read(g, 0, 890);
    g.setAnonPages(10);
    g.setAnonPages(11); // evicts 0..31: 32 shadows
    g.setAnonPages(0);
    // Control: a read of an evicted page is a refault while its file lives.
    read(g, 0, 1);
    assert.equal(g.metrics().workingsetRefaults, 1, `cleancacheShared ${cleancacheShared}`);
    const cachedBefore = g.metrics().pageCachePages;
    assert.ok(cachedBefore > 800);
    g.unlinkFile(0);
    assert.equal(g.metrics().pageCachePages, 0, 'the file\'s pages are dropped');
    read(g, 1, 32); // evicted pages of the old file: no shadow left for the new one
    read(g, 100, 110); // cached pages of the old file: read again from the disk, not hits
    const m = g.metrics();
    assert.equal(m.workingsetRefaults, 1, `cleancacheShared ${cleancacheShared}: no refault after the unlink`);
    assert.equal(m.pageCachePages, 41);
    assertClean(g);
  }
});

test('buffered writes do not mark pages accessed: a write miss enters inactive unreferenced, a write hit neither references nor activates', () => {
  const g = fileGuest(1000, 0, 100);
  const pc = g.pageCache;
  g.accessFilePage(0, 0, true); // write miss
  let s = pc.lookup(0);
  assert.ok(!pc.isReferenced(s));
  assert.equal(pc.inactivePages, 1);
  g.accessFilePage(0, 0, true); // write hit: nothing changes but dirtiness
  assert.ok(!pc.isReferenced(s));
  assert.equal(pc.activePages, 0);
  g.accessFilePage(0, 0, false); // first read: referenced
  assert.ok(pc.isReferenced(s));
  assert.equal(pc.activePages, 0);
  g.accessFilePage(0, 1, false); // a read miss enters referenced
  g.accessFilePage(0, 1, true); // a write hit on it does not activate it
  assert.equal(pc.activePages, 0);
  g.accessFilePage(0, 0, false); // second read: activated
  assert.equal(pc.activePages, 1);
  s = pc.lookup(0);
  assert.ok(!pc.isReferenced(s));
  assertClean(g);
});

test('priority 0 with swappiness is SCAN_EQUAL: a run that still lacks pages takes both lists whole, in proportion to their sizes', () => {
  // 60 usable pages: 20 file (10 active, 10 inactive), 40 anonymous; one more page asks for a run of 32.
  const hv = newHost(4000);
  const g = bootGuest(hv, null, {
    domid: 1,
    memoryPages: 160,
    kernelReservePages: 100,
    swapPages: 200,
    workload: { file: { files: 1, pagesPerFile: 100, filesystems: 1, accessesPerSec: 0, pattern: { kind: 'uniform', workingSetPages: 100 }, writeShare: 0, unlinksPerSec: 0, truncatesPerSec: 0 } },
  });
  read(g, 0, 20);
  read(g, 0, 10);
  g.setAnonPages(40);
  g.setAnonPages(41);
  const m = g.metrics();
  // Priorities 5..1 give 19 pages; priority 0 takes the other 13 from both lists whole, in
  // proportion to them (34 and 7 pages). (Priority 0 as SCAN_FRACT would give 9 and 20.)
  assert.equal(m.swapOuts, 16);
  assert.equal(m.evictedCleanPages, 16);
  assert.equal(m.freePages, 31);
  assertClean(g);
});

test('priority 0 is SCAN_EQUAL only with swappiness (!sc->priority && swappiness): at swappiness 0 the run takes file pages alone, any swappiness above 0 takes both lists whole (found by mutation testing)', () => {
  // The SCAN_EQUAL test's guest: 20 file pages (10 active, 10 inactive), 40 anonymous, one more page asks for a run of 32.
  const squeeze = (swappiness: number) => {
    const g = bootGuest(newHost(4000), null, {
      domid: 1,
      memoryPages: 160,
      kernelReservePages: 100,
      swapPages: 200,
      swappiness,
      workload: { file: { files: 1, pagesPerFile: 100, filesystems: 1, accessesPerSec: 0, pattern: { kind: 'uniform', workingSetPages: 100 }, writeShare: 0, unlinksPerSec: 0, truncatesPerSec: 0 } },
    });
    read(g, 0, 20);
    read(g, 0, 10);
    g.setAnonPages(40);
    g.setAnonPages(41);
    assertClean(g);
    const m = g.metrics();
    return { swapOuts: m.swapOuts, evicted: m.evictedCleanPages, free: m.freePages };
  };
  // Swappiness 0: SCAN_FRACT weighs anonymous pages 0 at every priority, and
  // priority 0 is not SCAN_EQUAL either, so no page is swapped: the 20 file
  // pages are all the run gets (short of 32, but enough for the page asked).
  assert.deepEqual(squeeze(0), { swapOuts: 0, evicted: 20, free: 19 });
  // Any swappiness above 0 makes priority 0 SCAN_EQUAL, whatever its size: as at 60.
  assert.deepEqual(squeeze(1), { swapOuts: 16, evicted: 16, free: 31 });
  assert.deepEqual(squeeze(60), squeeze(1));
});

test('reclaim_stat: what counts as scanned and rotated on each side', () => {
  const g = fileGuest(1000, 500, 200);
  const stat = (): ReclaimStat => g.metrics().reclaimStat;
  g.setAnonPages(10); // 10 faults: each page added active
  assert.deepEqual(stat(), { anonScanned: 10, anonRotated: 10, fileScanned: 0, fileRotated: 0 });
  read(g, 0, 5); // 5 read misses: added inactive
  read(g, 0, 2); // 2 read hits that activate
  g.accessFilePage(0, 9, true); // a write miss: added
  g.accessFilePage(0, 9, true); // a write hit: nothing
  assert.deepEqual(stat(), { anonScanned: 10, anonRotated: 10, fileScanned: 5 + 2 + 1, fileRotated: 2 });
  // A swap-in: added to the LRU, then activated. (Reclaim's own counts are checked through the
  // SCAN_FRACT split above; a run also halves the history, so its deltas are not simple.)
  g.setAnonPages(900 - 6); // RAM - reserve - 6 cached pages: full
  g.setAnonPages(895); // one run of 32
  assert.ok(g.metrics().swapOuts > 0);
  const s0 = stat();
  g.accessAnonPage(0); // the first page faulted is the first swapped out
  assert.equal(g.metrics().swapIns, 1);
  const s1 = stat();
  assert.equal(s1.anonScanned - s0.anonScanned, 2);
  assert.equal(s1.anonRotated - s0.anonRotated, 1);
  assertClean(g);
});

test('SCAN_FRACT weights: swappiness scaled by each side\'s scans per rotation, the history halved past a quarter of the list', () => {
  // No history: 60 and 140.
  assert.deepEqual(scanFractions(60, { anonScanned: 0, anonRotated: 0, fileScanned: 0, fileRotated: 0 }, 1000, 1000), { ap: 60, fp: 140 });
  // Page cache that keeps coming back (every scan a rotation) against anonymous pages never reused: anon weighs more.
  assert.deepEqual(scanFractions(60, { anonScanned: 100, anonRotated: 0, fileScanned: 100, fileRotated: 100 }, 1000, 1000), { ap: 6060, fp: 140 });
  // Integer division as the kernel's: 140 x 7001 / 3001 = 326.6 -> 326.
  assert.deepEqual(scanFractions(60, { anonScanned: 0, anonRotated: 0, fileScanned: 7000, fileRotated: 3000 }, 100_000, 100_000), { ap: 60, fp: 326 });
  // Past a quarter of the list the history is halved (floors), once per call; the ratio survives.
  const st = { anonScanned: 301, anonRotated: 101, fileScanned: 250, fileRotated: 7 };
  const w = scanFractions(60, st, 1200, 1000);
  assert.deepEqual(st, { anonScanned: 150, anonRotated: 50, fileScanned: 250, fileRotated: 7 }, 'anon 301 > 300 halved; file 250 is not > 250');
  assert.deepEqual(w, { ap: 177, fp: 4392 }); // 60 x 151 / 51 = 177.6, 140 x 251 / 8 = 4392.5
  // Swappiness 0: no anonymous weight at all.
  assert.equal(scanFractions(0, { anonScanned: 9, anonRotated: 0, fileScanned: 0, fileRotated: 0 }, 100, 100).ap, 0);
});

test('workingset: the refault distance is compared with the active list inclusively, and activations advance the clock', () => {
  // No swap: only file pages are reclaimed. 10 active pages, one inactive page 500.
  const setUp = (): Guest => {
    const g = fileGuest(1000, 0, 2000);
    read(g, 0, 10);
    read(g, 0, 10); // 10 activations: clock 10
    read(g, 500, 501);
    read(g, 600, 1479); // 879 more inactive pages: RAM - reserve = 900 - 890 = 10 free
    g.setAnonPages(10);
    g.setAnonPages(11); // one run: the inactive tail goes first, 500 (clock 11), then 600.. (12..42); not low: no deactivation
    g.setAnonPages(0);
    assert.equal(g.pageCache.activePages, 10);
    return g;
  };
  // Pages 600..630 left with clocks 12..42: page 620 (clock 32) is at distance 10, page 619 (clock 31) at 11.
  let g = setUp();
  read(g, 620, 621);
  assert.equal(g.metrics().workingsetActivations, 1, 'distance 10 = 10 active pages: activated');
  // That activation moved the clock to 43 (11 active pages): page 619 is now at distance 12.
  read(g, 619, 620); // distance 43 - 31 = 12 > 11
  assert.equal(g.metrics().workingsetActivations, 1, 'distance 12 > 11 active pages: not activated');
  assert.equal(g.metrics().workingsetRefaults, 2);

  // A read hit that activates a page advances the clock too: with it, page 620 falls out of reach.
  g = setUp();
  read(g, 700, 701); // still cached (inactive, referenced): this second read activates it -> clock 43, 11 active
  read(g, 619, 620); // clock 31: distance 12 > 11 (without the tick: 11 <= 11, activated)
  assert.equal(g.metrics().workingsetActivations, 0);
  read(g, 621, 622); // clock 33: distance 10 <= 11
  assert.equal(g.metrics().workingsetActivations, 1);
  assertClean(g);
});

test('refaults turn the active list protection off: each eviction of the next run deactivates the active tail', () => {
  // 1000 active and 9000 inactive pages: not low at ratio 1, so reclaim takes only inactive pages...
  const g = fileGuest(20_000, 0, 10_000);
  read(g, 0, 10_000);
  read(g, 0, 1000);
  oneReclaimRun(g); // evicts 1000..1031, no deactivation
  assert.equal(g.pageCache.activePages, 1000);
  read(g, 1031, 1032); // a refault within the active list: activated (1001 active)
  assert.equal(g.metrics().workingsetActivations, 1);
  oneReclaimRun(g); // ...until refaults are seen: ratio 0, every eviction first deactivates one active page
  assert.equal(g.pageCache.activePages, 1001 - 32);
  oneReclaimRun(g); // snapshotted: protected again
  assert.equal(g.pageCache.activePages, 1001 - 32);
  assertClean(g);
});

test('a refault that is not activated does not count as refaulting (WORKINGSET_ACTIVATE, not WORKINGSET_REFAULT): SCAN_FILE stays on', () => {
  const g = fileGuest(20_000, 10_000, 20_000);
  read(g, 0, 10_000);
  read(g, 0, 10); // 10 active, 9990 inactive; the clock at 10
  oneReclaimRun(g); // SCAN_FILE: 10..41 go (clock 11..42)
  read(g, 10, 11); // a refault from distance 42 - 11 = 31 > 10 active pages: not activated
  assert.equal(g.metrics().workingsetRefaults, 1);
  assert.equal(g.metrics().workingsetActivations, 0);
  oneReclaimRun(g); // were it "refaulting", the 10 active pages would make the file list low: SCAN_FRACT
  assert.equal(g.metrics().swapOuts, 0, 'still SCAN_FILE');
  assertClean(g);
});

test('swapoff brings pages back old (unuse_pte), and leaves the device off', () => {
  // One page at a time, no page cache.
  const hv = newHost(4000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 1000, kernelReservePages: 100, swapPages: 1000, reclaimBatchPages: 1 });
  g.setAnonPages(900);
  g.setAnonPages(901); // all 900 young pages passed over, page 0 swapped out
  g.setAnonPages(900); // page 900 freed: one free page
  for (let i = 1; i < 900; i++) g.accessAnonPage(i); // every resident page young again
  assert.equal(g.anonPageWhere(0), 'disk');
  assert.ok(g.swapoff());
  assert.equal(g.metrics().swapIns, 1);
  assert.equal(g.anonPageWhere(0), 'ram-old', 'installed without the accessed bit');
  assert.equal(g.anonPageWhere(1), 'ram-young');
  // The device is off: more demand than RAM is an OOM, not a swap-out.
  g.setAnonPages(901);
  assert.equal(g.metrics().swapOuts, 1);
  assert.equal(g.metrics().oomEvents, 1);
  assertClean(g);
});

test('self-shrinking brings frontswap pages back old too: the next reclaim takes them first', () => {
  const hv = newHost(8000);
  const tmem = new Tmem(hv, { store: 'synthetic' });
  hv.attachTmem(tmem);
  const g = bootGuest(hv, tmem, { domid: 1, memoryPages: 1000, maxmemPages: 3000, kernelReservePages: 100, swapPages: 1000, reclaimBatchPages: 1 });
  g.setAnonPages(900);
  g.setAnonPages(901); // page 0 into frontswap
  assert.equal(g.metrics().frontswap.pages, 1);
  g.setAnonPages(900);
  for (let i = 1; i < 900; i++) g.accessAnonPage(i);
  g.frontswapShrink(0); // page 0 back, old
  assert.equal(g.metrics().frontswap.pages, 0);
  g.setAnonPages(901);
  g.accessAnonPage(0);
  assert.equal(g.metrics().swapIns, 2, 'page 0 was the one swapped out again');
  assertClean(g);
});

test('truncate drops exactly its file\'s shadows and cached pages, an unmount the shadows of every file of its filesystem and no other; the guest\'s check cost counts the page cache (found by mutation testing)', () => {
  // Four files of 100 pages on two filesystems: files 0 and 2 on filesystem 0, 1 and 3 on filesystem 1.
  const g = fileGuest(2000, 0, 100, {
    kernelReservePages: 0,
    workload: {
      file: { files: 4, pagesPerFile: 100, filesystems: 2, accessesPerSec: 0, pattern: { kind: 'uniform', workingSetPages: 400 }, writeShare: 0, unlinksPerSec: 0, truncatesPerSec: 0 },
    },
  });
  for (let f = 0; f < 4; f++) for (let i = 0; i < 100; i++) g.accessFilePage(f, i, false);
  // The balloon squeezes the page cache out: every page leaves a shadow.
  g.setBalloonTarget(0);
  g.balloonWork(0);
  assert.equal(g.metrics().pageCachePages, 0);
  g.setBalloonTarget(2000);
  g.balloonWork(0);
  const refaultsAfter = (file: number, index: number): number => {
    const before = g.metrics().workingsetRefaults;
    g.accessFilePage(file, index, false);
    return g.metrics().workingsetRefaults - before;
  };
  g.truncateFile(1);
  assert.equal(refaultsAfter(1, 0), 0, 'the truncated file\'s first page has no shadow');
  assert.equal(refaultsAfter(1, 99), 0, 'nor its last');
  assert.equal(refaultsAfter(0, 99), 1, 'the last page of the file before keeps its shadow');
  assert.equal(refaultsAfter(2, 0), 1, 'the first page of the file after keeps its shadow');
  g.remount(0);
  assert.equal(refaultsAfter(0, 0), 0, 'file 0 is on the unmounted filesystem');
  assert.equal(refaultsAfter(2, 99), 0, 'so is file 2');
  assert.equal(refaultsAfter(2, 50), 0);
  assert.equal(refaultsAfter(3, 0), 1, 'file 3 is on the other filesystem: its shadows stay');
  assert.equal(refaultsAfter(3, 99), 1);
  // A truncate drops every cached page of the file, the last one too.
  for (let i = 0; i < 100; i++) g.accessFilePage(1, i, false);
  const cached = g.metrics().pageCachePages;
  g.truncateFile(1);
  assert.equal(g.metrics().pageCachePages, cached - 100);
  // The guest's check cost counts the page cache's (its slots and the entries of the 400 pages).
  assert.ok(g.pageCache.checkCost() >= 400, 'the page cache\'s check cost counts its entries');
  assert.ok(g.checkCost() >= g.pageCache.checkCost(), 'the guest\'s check cost includes the page cache\'s');
  assertClean(g);
});
