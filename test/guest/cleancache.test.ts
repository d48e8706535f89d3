import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleancacheOid } from '../../src/guest/cleancache.ts';
import { FIRST_INODE } from '../../src/guest/guest.ts';
import type { GuestConfigInput } from '../../src/guest/config.ts';
import { FakeTmem } from './fake-tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';

const fileGuest = (over: Partial<GuestConfigInput> = {}): GuestConfigInput => ({
  domid: 1,
  memoryPages: 2000,
  kernelReservePages: 0,
  swapPages: 0,
  workload: {
    file: {
      files: 4,
      pagesPerFile: 100,
      filesystems: 2,
      accessesPerSec: 0,
      pattern: { kind: 'uniform', workingSetPages: 400 },
      writeShare: 0,
      unlinksPerSec: 0,
      truncatesPerSec: 0,
    },
  },
  ...over,
});

test('a pool per filesystem; oid [inode, 0, 0], index = page index', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  assert.equal(g.cleancache.poolIds.length, 2);
  assert.notEqual(g.cleancache.poolIds[0], g.cleancache.poolIds[1]);
  assert.deepEqual(cleancacheOid(FIRST_INODE + 3), [FIRST_INODE + 3, 0, 0]);
  for (let i = 0; i < 10; i++) g.accessFilePage(1, i, false);
  g.setBalloonTarget(5); // squeeze everything out of the page cache
  g.balloonWork(0);
  assert.equal(g.metrics().pageCachePages, 0);
  assert.equal(g.metrics().cleancache.puts, 10);
  const pool1 = g.cleancache.poolIds[1]; // file 1 lives on fs 1
  for (let i = 0; i < 10; i++) assert.ok(tmem.holds(pool1, [FIRST_INODE + 1, 0, 0], i));
  assertClean(g);
});

test('exclusive gets as the guest sees them: a hit saves the disk read and the tmem copy is gone', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  const pool0 = g.cleancache.poolIds[0];
  g.accessFilePage(0, 7, false); // miss: disk read
  assert.equal(g.metrics().disk.fileReads, 1);
  assert.equal(g.metrics().cleancache.gets, 1);
  g.setBalloonTarget(0);
  g.balloonWork(0); // evicted clean -> put
  assert.ok(tmem.holds(pool0, [FIRST_INODE, 0, 0], 7));
  g.setBalloonTarget(2000);
  g.balloonWork(0);
  g.accessFilePage(0, 7, false); // page-cache miss -> cleancache hit
  let m = g.metrics();
  assert.equal(m.cleancache.hits, 1);
  assert.equal(m.disk.fileReads, 1);
  assert.ok(!tmem.holds(pool0, [FIRST_INODE, 0, 0], 7), 'private ephemeral get is exclusive');
  // Drop it without a put (truncate invalidates): the next read misses in tmem and goes to disk.
  g.truncateFile(0);
  g.accessFilePage(0, 7, false);
  m = g.metrics();
  assert.equal(m.cleancache.hits, 1);
  assert.equal(m.cleancache.gets, 3);
  assert.equal(m.disk.fileReads, 2);
  assertClean(g);
});

test('a write miss does not ask cleancache (ext4 write_begin): one disk read; the page is not mapped to disk, so its eviction invalidates', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  const pool0 = g.cleancache.poolIds[0];
  g.accessFilePage(0, 7, false);
  g.setBalloonTarget(0);
  g.balloonWork(0); // evicted clean -> put
  assert.ok(tmem.holds(pool0, [FIRST_INODE, 0, 0], 7));
  g.setBalloonTarget(2000);
  g.balloonWork(0);
  const before = g.metrics();
  g.accessFilePage(0, 7, true); // a write to the page: not in the page cache
  let m = g.metrics();
  assert.equal(m.cleancache.gets, before.cleancache.gets, 'no get');
  assert.equal(m.disk.fileReads, before.disk.fileReads + 1, 'the rest of the block from the disk');
  assert.ok(tmem.holds(pool0, [FIRST_INODE, 0, 0], 7), 'the old copy is still in tmem');
  g.accessFilePage(0, 7, false); // a read hit does not make the page mapped to disk
  // Evicted again: written back, then dropped without PG_mappedtodisk, so
  // __delete_from_page_cache invalidates the old copy instead of a put.
  g.setBalloonTarget(0);
  g.balloonWork(0);
  m = g.metrics();
  assert.equal(m.disk.fileWrites, 1);
  assert.equal(m.cleancache.puts, before.cleancache.puts, 'no put');
  assert.equal(m.cleancache.invalidates, before.cleancache.invalidates + 1);
  assert.ok(!tmem.holds(pool0, [FIRST_INODE, 0, 0], 7), 'the stale copy is gone');
  // So the next read misses in tmem and goes to the disk.
  g.setBalloonTarget(2000);
  g.balloonWork(0);
  g.accessFilePage(0, 7, false);
  const after = g.metrics();
  assert.equal(after.cleancache.hits, m.cleancache.hits);
  assert.equal(after.disk.fileReads, m.disk.fileReads + 1);
  assertClean(g);
});

test('dirty pages that came in through a read are written back before the put', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  g.accessFilePage(2, 1, false); // read miss: readpage, mapped to disk
  g.accessFilePage(2, 1, true); // write hit: dirty
  g.setBalloonTarget(0);
  g.balloonWork(0);
  const m = g.metrics();
  assert.equal(m.disk.fileWrites, 1);
  assert.equal(m.cleancache.puts, 1);
  assert.ok(tmem.holds(g.cleancache.poolIds[0], [FIRST_INODE + 2, 0, 0], 1));
});

test('truncate as v5.2\'s truncate_inode_pages_range: each cached page invalidated, then the inode once, also for a file with no pages', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  const calls = (): [number, number] => [tmem.calls.flushObject, tmem.calls.flushPage];
  // Nothing cached: the inode alone (the early exit goes to the final invalidate).
  let before = calls();
  g.truncateFile(1);
  assert.deepEqual(calls(), [before[0] + 1, before[1]]);
  // cleancache_invalidates counts pages only (__cleancache_invalidate_inode counts nothing).
  assert.equal(g.metrics().cleancache.invalidates, 0);
  // Three cached pages: the three pages, then the inode.
  for (let i = 0; i < 3; i++) g.accessFilePage(0, i, false);
  before = calls();
  g.truncateFile(0);
  assert.deepEqual(calls(), [before[0] + 1, before[1] + 3]);
  assert.equal(g.metrics().cleancache.invalidates, 3);
  assert.equal(g.metrics().pageCachePages, 0);
  assertClean(g);
});

test('truncate / unlink invalidate the inode; unmount destroys the pool', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  for (let f = 0; f < 4; f++) for (let i = 0; i < 5; i++) g.accessFilePage(f, i, false);
  g.setBalloonTarget(0);
  g.balloonWork(0);
  g.setBalloonTarget(2000);
  g.balloonWork(0);
  const [p0, p1] = g.cleancache.poolIds;
  g.truncateFile(0);
  assert.ok(!tmem.holds(p0, [FIRST_INODE, 0, 0], 0));
  assert.ok(tmem.holds(p0, [FIRST_INODE + 2, 0, 0], 0));
  g.unlinkFile(2);
  assert.ok(!tmem.holds(p0, [FIRST_INODE + 2, 0, 0], 0));
  g.accessFilePage(2, 0, false); // the new file's page: a tmem miss, a disk read
  assert.equal(g.metrics().cleancache.hits, 0);
  assert.ok(tmem.holds(p1, [FIRST_INODE + 1, 0, 0], 0));
  g.remount(1);
  assert.ok(!tmem.pools.has(p1), 'unmount destroys the pool');
  assert.notEqual(g.cleancache.poolIds[1], -1, 'mounted again with a new pool');
  g.accessFilePage(1, 0, false);
  assert.equal(g.metrics().cleancache.hits, 0);
  assertClean(g);
});

test('shared pools: guests of one image share pages by filesystem UUID, gets are not exclusive', () => {
  const hv = newHost(20000);
  const tmem = new FakeTmem();
  const a = bootGuest(hv, tmem, fileGuest({ domid: 1, cleancacheShared: true }));
  const b = bootGuest(hv, tmem, fileGuest({ domid: 2, cleancacheShared: true }));
  assert.deepEqual(a.cleancache.poolIds, b.cleancache.poolIds);
  a.accessFilePage(0, 3, false);
  a.setBalloonTarget(0);
  a.balloonWork(0);
  b.accessFilePage(0, 3, false); // served from A's put
  b.accessFilePage(2, 3, false);
  assert.equal(b.metrics().cleancache.hits, 1);
  assert.equal(b.metrics().disk.fileReads, 1);
  assert.ok(tmem.holds(a.cleancache.poolIds[0], [FIRST_INODE, 0, 0], 3));
  assertClean(a);
  assertClean(b);
});

test('an unmount writes the filesystem\'s dirty pages to the disk before dropping them (found by mutation testing)', () => {
  const hv = newHost(10000);
  const g = bootGuest(hv, new FakeTmem(), fileGuest());
  // Three write misses on file 0 (filesystem 0): dirty pages; one read on file 1 (the other filesystem), clean.
  for (let i = 0; i < 3; i++) g.accessFilePage(0, i, true);
  g.accessFilePage(1, 0, false);
  assert.equal(g.metrics().pageCacheDirtyPages, 3);
  const writes = g.metrics().disk.fileWrites;
  g.remount(0);
  assert.equal(g.metrics().disk.fileWrites - writes, 3, 'each dirty page is written once');
  assert.equal(g.metrics().pageCacheDirtyPages, 0);
  assert.equal(g.metrics().pageCachePages, 1, 'the other filesystem keeps its page');
  assertClean(g);
});

test('eviction of written-back pages as v5.2\'s __delete_from_page_cache: a read-in page dirtied later is put once clean, a write-miss page is invalidated; each counts as evicted dirty (found by mutation testing)', () => {
  const hv = newHost(10000);
  const tmem = new FakeTmem();
  const g = bootGuest(hv, tmem, fileGuest());
  const pool0 = g.cleancache.poolIds[0];
  g.accessFilePage(0, 1, false); // read miss: up to date, PG_mappedtodisk, clean
  g.accessFilePage(0, 2, false); // read miss, then a write hit: mapped to disk and dirty
  g.accessFilePage(0, 2, true);
  g.accessFilePage(0, 3, true); // write miss: dirty, not mapped to disk
  const before = g.metrics();
  assert.equal(before.pageCacheDirtyPages, 2);
  assert.equal(before.disk.fileReads, 3);
  // The balloon takes every page: reclaim drops all three from the inactive tail.
  g.setBalloonTarget(0);
  g.balloonWork(0);
  let m = g.metrics();
  assert.equal(m.pageCachePages, 0);
  assert.equal(m.pageCacheDirtyPages, 0);
  assert.equal(m.disk.fileWrites, 2, 'both dirty pages written back (pageout), the clean one not');
  assert.equal(m.evictedCleanPages, 1);
  assert.equal(m.evictedDirtyPages, 2);
  // Written back, page 2 is up to date, clean and mapped to disk when it
  // leaves: put. Page 3 never had PG_mappedtodisk: invalidated, not put.
  assert.equal(m.cleancache.puts, 2, 'pages 1 and 2 put');
  assert.equal(m.cleancache.invalidates, 1, 'page 3 invalidated');
  assert.ok(tmem.holds(pool0, [FIRST_INODE, 0, 0], 1));
  assert.ok(tmem.holds(pool0, [FIRST_INODE, 0, 0], 2), 'the written-back page is in cleancache');
  assert.ok(!tmem.holds(pool0, [FIRST_INODE, 0, 0], 3), 'the write-miss page is not');
  // Read back: page 2 comes from cleancache (no disk read) with the contents
  // the disk has; page 3 misses in tmem and is read from the disk.
  g.setBalloonTarget(2000);
  g.balloonWork(0);
  g.accessFilePage(0, 2, false);
  m = g.metrics();
  assert.equal(m.cleancache.hits, 1);
  assert.equal(m.disk.fileReads, 3, 'page 2 was not read from the disk');
  g.accessFilePage(0, 3, false);
  m = g.metrics();
  assert.equal(m.cleancache.hits, 1);
  assert.equal(m.disk.fileReads, 4, 'page 3 was');
  assertClean(g); // no page came back from tmem with other contents
});
