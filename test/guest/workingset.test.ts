// Reclaim balance and workingset detection as in v5.2: get_scan_count's
// SCAN_FILE shortcut (enough inactive page cache: no anonymous page is
// reclaimed), shadow entries left by evicted file pages, refaults within the
// active list's size read straight into the active list, and refaults turning
// the active list's protection off (so anonymous pages are scanned) until the
// next reclaim run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, bootGuest, newHost } from './helpers.ts';
import type { Guest } from '../../src/guest/guest.ts';
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
  // ceil((15804 >> 12) x 60 / 201) = 1 page, file 0. Priority 11: 4095 >> 11
  // = 1 and the list is not low: SCAN_FILE, 1 page; then 3, 7, 15, and 4 of
  // priority 7's 31 complete the run of 32.
  assert.equal(m.swapOuts, 1);
  assert.equal(m.evictedCleanPages, 31);
  assertClean(g);
});

test('SCAN_FRACT: with the inactive file list low, both sides give pages in proportion to swappiness x size', () => {
  const g = fileGuest(40_000, 20_000, 20_000);
  read(g, 0, 8000);
  read(g, 0, 6000); // 6000 active, 2000 inactive: low at ratio 1
  oneReclaimRun(g);
  const m = g.metrics();
  // Priority 12: anon ceil((31900 >> 12) x 60 / 201) = 3, file ceil((8000 >> 12) x 140 / 201) = 1.
  // Priority 11: anon ceil(15 x 60 / 201) = 5, file ceil(3 x 140 / 201) = 3. Priority 10: anon 10, file 5,
  // all taken (27 so far); priority 9 (anon 19, file 11) gives the last 5 in proportion.
  assert.equal(m.swapOuts, 3 + 5 + 10 + 3);
  assert.equal(m.evictedCleanPages, 1 + 3 + 5 + 2);
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
  // Evicted: 500 (clock 101), then 0..30 (clock 102..132). 69 active pages remain.
  g.setAnonPages(700);
  read(g, 500, 501); // distance 132 - 101 = 31 <= 69: activated
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

test('buffered writes do not mark pages accessed: a write miss enters inactive unreferenced, a write hit neither references nor activates', () => {
  const g = fileGuest(1000, 0, 100);
  const pc = g.pageCache;
  g.accessFilePage(0, 0, true); // write miss
  let s = pc.lookup(12, 0);
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
  s = pc.lookup(12, 0);
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
  // Priorities 5..2 (SCAN_FRACT) and 1 (SCAN_FILE) give 7 anonymous and 13 file pages; priority 0
  // the other 12, 10 and 2, in proportion to the lists (33 and 7 pages). Without SCAN_EQUAL it
  // would be file only: 7 and 20, the page cache emptied.
  assert.equal(m.swapOuts, 17);
  assert.equal(m.evictedCleanPages, 15);
  assert.equal(m.freePages, 31);
  assertClean(g);
});
