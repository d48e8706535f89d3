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

test('SCAN_FRACT below 4096 inactive file pages (inactive >> DEF_PRIORITY is 0): anonymous pages are swapped in proportion', () => {
  const g = fileGuest(20_000, 10_000, 4095);
  read(g, 0, 4095);
  oneReclaimRun(g);
  const m = g.metrics();
  assert.ok(m.swapOuts > 0, 'some anonymous pages reclaimed');
  assert.equal(m.swapOuts + m.evictedCleanPages, 32);
  // swappiness 60: anon weighs 60 x ~15800 against file 140 x 4095 — most of the run is anonymous.
  assert.ok(m.swapOuts > m.evictedCleanPages, `swap-outs ${m.swapOuts}, file ${m.evictedCleanPages}`);
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
