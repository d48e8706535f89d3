// Anonymous reclaim gives referenced pages a second chance (the PTE young bit
// checked by page_check_references): a page touched since reclaim last looked
// stays resident while unreferenced pages around it are swapped out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';

test('anonymous reclaim: a page referenced since the last scan survives, its unreferenced neighbours go to swap', () => {
  const hv = newHost(4000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 1000, kernelReservePages: 100, swapPages: 1000 });
  g.setAnonPages(900); // exactly fills RAM - reserve: no reclaim yet
  assert.equal(g.metrics().swapOuts, 0);
  // One more page: reclaim a batch of 32. Every page is young from its first
  // touch, so the scan first clears all 900 bits, then swaps out the oldest 32.
  g.setAnonPages(901);
  let m = g.metrics();
  assert.equal(m.swapOuts, 32);
  assert.equal(m.anonResidentPages, 901 - 32);
  g.accessAnonPage(40); // young again
  // 31 free pages are used up, the 32nd needs another batch of 32: pages 32..39 and 41..64 go, 40 is passed over.
  g.setAnonPages(933);
  m = g.metrics();
  assert.equal(m.swapOuts, 64);
  const swapInsBefore = m.swapIns;
  g.accessAnonPage(40);
  assert.equal(g.metrics().swapIns, swapInsBefore, 'the referenced page stayed resident');
  g.accessAnonPage(65);
  assert.equal(g.metrics().swapIns, swapInsBefore, 'the page after the batch stayed resident');
  g.accessAnonPage(41);
  assert.equal(g.metrics().swapIns, swapInsBefore + 1, 'an unreferenced neighbour was swapped out');
  assertClean(g);
});

test('a page-cache miss with no page to read into does not ask cleancache: the copy stays in tmem, the data comes from the disk', () => {
  const hv = newHost(4000);
  const tmem = new Tmem(hv, { store: 'synthetic' });
  hv.attachTmem(tmem);
  const g = bootGuest(hv, tmem, {
    domid: 1,
    memoryPages: 1000,
    kernelReservePages: 100,
    swapPages: 0,
    workload: {
      file: { files: 4, pagesPerFile: 16, filesystems: 1, accessesPerSec: 0, pattern: { kind: 'uniform', workingSetPages: 64 }, writeShare: 0, unlinksPerSec: 0, truncatesPerSec: 0 },
    },
  });
  g.accessFilePage(0, 0, false); // read from disk into the page cache
  g.setAnonPages(900); // the last anonymous page needs the file page: dropped clean into cleancache
  let m = g.metrics();
  assert.equal(m.pageCachePages, 0);
  assert.equal(m.cleancache.puts, 1);
  assert.equal(m.freePages, 0);
  assert.equal(tmem.stats().ephemeralPages, 1);
  const reads = m.disk.fileReads;
  const gets = m.cleancache.gets; // the first read asked cleancache (a miss) before the disk
  g.accessFilePage(0, 0, false); // nothing to reclaim (no swap, no page cache): out of memory
  m = g.metrics();
  assert.equal(m.cleancache.gets, gets, 'cleancache was not asked');
  assert.equal(tmem.stats().ephemeralPages, 1, 'the cleancache copy is still there');
  assert.equal(m.disk.fileReads, reads + 1);
  assert.equal(m.oomEvents, 1);
  assertClean(g);
  assert.deepEqual(hv.violations(), []);
});

test('anonymous accesses do not reorder the LRU: of two pages touched since the last scan, the one the scan reaches first is older afterwards', () => {
  // Reclaim one page at a time so the victim order is visible.
  const hv = newHost(6000);
  const g = bootGuest(hv, null, { domid: 1, memoryPages: 1000, kernelReservePages: 100, swapPages: 2000, reclaimBatchPages: 1 });
  g.setAnonPages(900);
  g.setAnonPages(901); // the scan clears all 900 referenced bits and swaps out page 0
  assert.equal(g.metrics().swapOuts, 1);
  // Touch 41, then 40. The kernel does not see the order: at the next scan 40
  // is nearer the tail, is passed over first and so lands behind 41, and is
  // swapped out before 41. (Moving pages on access, the old model, would
  // have put 40 after 41 and swapped 41 first.)
  g.accessAnonPage(41);
  g.accessAnonPage(40);
  // Victims, one per new page: 1..39, then 42..899 (40 and 41 rotated), then 900
  // and the pages faulted in since are young and rotate, then 40: 898 new pages.
  g.setAnonPages(901 + 898);
  const m = g.metrics();
  assert.equal(m.swapOuts, 1 + 898);
  g.accessAnonPage(41);
  assert.equal(g.metrics().swapIns, m.swapIns, '41 is still resident');
  g.accessAnonPage(40);
  assert.equal(g.metrics().swapIns, m.swapIns + 1, '40 was swapped out first');
  assertClean(g);
});

test('an OOM episode counts its overflow once, at its largest, whatever the workload step; a new episode counts again', () => {
  // RAM 4096 - reserve 96 = 4000 pages for anonymous memory, no swap.
  for (const stepNs of [100_000_000, 10_000_000]) {
    const hv = newHost(8000);
    const g = bootGuest(hv, null, { domid: 1, memoryPages: 4096, kernelReservePages: 96, swapPages: 0, workload: { anon: { kind: 'constant', pages: 5000 }, stepNs } });
    g.runWorkload(0, 10e9); // every step asks for the 5000 pages again
    const m = g.metrics();
    assert.equal(m.oomEvents, 1, `step ${stepNs}`);
    assert.equal(m.oomKilledPages, 1000, `step ${stepNs}`);
  }
  const g = bootGuest(newHost(8000), null, { domid: 1, memoryPages: 4096, kernelReservePages: 96, swapPages: 0 });
  g.setAnonPages(5000); // 1000 pages over
  g.setAnonPages(4600); // less over: nothing more
  g.setAnonPages(5300); // more over: 300 more
  let m = g.metrics();
  assert.equal(m.oomEvents, 1);
  assert.equal(m.oomKilledPages, 1300);
  g.setAnonPages(3000); // fits: the episode ends
  g.setAnonPages(4500); // a new episode, 500 over
  m = g.metrics();
  assert.equal(m.oomEvents, 2);
  assert.equal(m.oomKilledPages, 1800);
  assertClean(g);
});

test('a swap-in with no free page and nothing to reclaim (swap full, no page cache) is an OOM event, once an episode; the page stays on the disk (found by mutation testing)', () => {
  // 100 pages for anonymous memory, a swap device of 10 pages, no tmem.
  const g = bootGuest(newHost(4000), null, { domid: 1, memoryPages: 200, kernelReservePages: 100, swapPages: 10 });
  g.setAnonPages(100);
  g.setAnonPages(110); // a run of 32 swaps out what the device holds (pages 0..9), the rest fits: no OOM
  let m = g.metrics();
  assert.deepEqual([m.swapOuts, m.swap.freeSlots, m.freePages, m.pageCachePages, m.oomEvents], [10, 0, 0, 0, 0]);
  assert.equal(g.anonPageWhere(0), 'disk');
  g.accessAnonPage(0); // do_swap_page cannot get a page: VM_FAULT_OOM
  m = g.metrics();
  assert.equal(m.oomEvents, 1, 'the failed swap-in is an OOM event');
  assert.equal(m.oomKilledPages, 0, 'no demand left unmet');
  assert.deepEqual([m.swapIns, m.disk.swapReads], [0, 0]);
  assert.equal(g.anonPageWhere(0), 'disk', 'the page stays swapped out');
  g.accessAnonPage(1); // the same episode
  assert.equal(g.metrics().oomEvents, 1);
  g.setAnonPages(110); // the same demand on the same pages (the next workload step): no relief
  g.accessAnonPage(0);
  assert.equal(g.metrics().oomEvents, 1, 'still the same episode');
  g.setAnonPages(109); // one page freed
  g.accessAnonPage(0); // swapped in: memory was found, the episode ends
  m = g.metrics();
  assert.deepEqual([m.oomEvents, m.swapIns, m.disk.swapReads], [1, 1, 1]);
  assert.equal(g.anonPageWhere(0), 'ram-young');
  g.setAnonPages(110); // the freed slot takes a page out, RAM and swap are full again
  g.accessAnonPage(1);
  assert.equal(g.metrics().oomEvents, 2, 'a new episode');
  assertClean(g);
});

test('an OOM episode ends when a swap-in or a page-cache read gets its page (here after the balloon deflates), not only when demand changes', () => {
  for (const via of ['swap-in', 'file read'] as const) {
    // 100 pages for anonymous memory (200 up to a maxmem of 300), 10 of swap (none for the file read).
    const g = bootGuest(newHost(4000), null, {
      domid: 1, memoryPages: 200, maxmemPages: 300, kernelReservePages: 100, swapPages: via === 'swap-in' ? 10 : 0, cleancache: false,
      workload: { file: { files: 4, pagesPerFile: 16, filesystems: 1, accessesPerSec: 0, pattern: { kind: 'uniform', workingSetPages: 64 }, writeShare: 0, unlinksPerSec: 0, truncatesPerSec: 0 } },
    });
    g.setAnonPages(via === 'swap-in' ? 110 : 100); // RAM (and swap) full
    const touch = (): void => (via === 'swap-in' ? g.accessAnonPage(0) : g.accessFilePage(0, 0, false));
    touch();
    assert.equal(g.metrics().oomEvents, 1, `${via}: no page for it`);
    g.setBalloonTarget(300);
    assert.equal(g.balloonWork(0), null);
    assert.equal(g.metrics().freePages, 100, `${via}: the balloon gave 100 pages`);
    touch(); // gets its page: the episode ends
    assert.equal(g.metrics().oomEvents, 1, via);
    g.setAnonPages(400); // far above RAM and swap: a new shortage
    assert.equal(g.metrics().oomEvents, 2, `${via}: a new episode`);
    assertClean(g);
  }
});

test('a shortage that lasts is one OOM event whatever the workload step: a step asking for the same pages again does not end it', () => {
  // 100 pages for anonymous memory, 10 of swap, 110 pages of demand touched
  // uniformly: every touch of a swapped-out page fails for want of a page.
  for (const stepNs of [100_000_000, 10_000_000]) {
    const g = bootGuest(newHost(4000), null, {
      domid: 1,
      memoryPages: 200,
      kernelReservePages: 100,
      swapPages: 10,
      workload: { anon: { kind: 'constant', pages: 110 }, anonAccessesPerSec: 1000, anonSkew: 0, stepNs },
    });
    g.runWorkload(0, 10e9);
    const m = g.metrics();
    assert.ok(m.anonAccesses > 5000 && m.swapIns === 0, `step ${stepNs}: ${m.anonAccesses} accesses, ${m.swapIns} swap-ins`);
    assert.equal(m.oomEvents, 1, `step ${stepNs}`);
    assert.equal(m.oomKilledPages, 0, `step ${stepNs}: no demand left unmet`);
    assertClean(g);
  }
});

test('an OOM episode also ends when the demand is met in full again: the same demand once the balloon gave pages, or a lower demand met by the pages already there', () => {
  // 100 pages for anonymous memory (200 up to a maxmem of 300), no swap.
  const S = 1e9;
  const g = bootGuest(newHost(4000), null, {
    domid: 1, memoryPages: 200, maxmemPages: 300, kernelReservePages: 100, swapPages: 0,
    workload: {
      anon: { kind: 'step', initialPages: 150, steps: [{ atNs: S, pages: 100 }, { atNs: 2 * S, pages: 150 }, { atNs: 4 * S, pages: 400 }] },
      anonAccessesPerSec: 0,
      stepNs: 100_000_000,
    },
  });
  g.runWorkload(0, S);
  assert.deepEqual([g.metrics().oomEvents, g.metrics().anonPages], [1, 100], '150 pages asked, 100 there');
  g.runWorkload(S, S); // 100 asked: met by the pages there, none allocated
  assert.equal(g.metrics().oomEvents, 1);
  g.runWorkload(2 * S, S); // 150 again: a new shortage
  assert.equal(g.metrics().oomEvents, 2, 'the demand was met in between');
  g.setBalloonTarget(300);
  assert.equal(g.balloonWork(3 * S), null);
  g.runWorkload(3 * S, S); // the same 150, met now that the balloon gave 100 pages
  assert.deepEqual([g.metrics().oomEvents, g.metrics().anonPages], [2, 150]);
  g.runWorkload(4 * S, S); // 400: a new shortage
  assert.equal(g.metrics().oomEvents, 3, 'the same demand was met in between');
  assertClean(g);
});
