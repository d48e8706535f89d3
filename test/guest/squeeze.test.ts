// A guest squeezed by a balloon target: with tmem it swaps into frontswap and
// reads cleancache hits instead of the disk; with tmem off the same guest does
// that I/O on the disk. Run against the fake and against the real Tmem.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import type { TmemOps } from '../../src/hypervisor/tmem/api.ts';
import { Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import type { GuestConfigInput } from '../../src/guest/config.ts';
import type { GuestMetrics } from '../../src/guest/guest.ts';
import { FakeTmem } from './fake-tmem.ts';
import { assertClean, bootGuest, newHost } from './helpers.ts';

const S = 1_000_000_000;

const config: GuestConfigInput = {
  domid: 1,
  memoryPages: 20000,
  maxmemPages: 20000,
  kernelReservePages: 500,
  swapPages: 20000,
  workload: {
    anon: { kind: 'constant', pages: 8000 },
    anonAccessesPerSec: 20000,
    anonSkew: 0.8,
    file: {
      files: 60,
      pagesPerFile: 100,
      filesystems: 1,
      accessesPerSec: 50000,
      pattern: { kind: 'zipf', workingSetPages: 6000, skew: 0.9 },
      writeShare: 0.02,
      unlinksPerSec: 0,
      truncatesPerSec: 0,
    },
  },
};

function run(tmemKind: 'fake' | 'real' | 'none'): { m: GuestMetrics; hv: Hypervisor; tmem: TmemOps | null } {
  const hv = newHost(100000);
  let tmem: TmemOps | null = null;
  if (tmemKind === 'fake') tmem = new FakeTmem();
  if (tmemKind === 'real') {
    const t = new Tmem(hv, { dedup: true, tze: false, compress: true, store: 'synthetic' });
    hv.attachTmem(t);
    tmem = t;
  }
  const g = bootGuest(hv, tmem, config, 42);
  g.runWorkload(0, 10 * S); // warm: the whole file set fits in the page cache
  const warm = g.metrics();
  assert.equal(warm.pageCachePages, 6000);
  assert.equal(warm.anonSwappedPages, 0);
  g.setBalloonTarget(9500); // squeeze: 9000 usable for 8000 anon + 6000 file
  assert.equal(g.balloonWork(10 * S), null);
  g.runWorkload(10 * S, 10 * S);
  assertClean(g);
  assert.deepEqual(hv.violations(), []);
  return { m: g.metrics(), hv, tmem };
}

for (const kind of ['fake', 'real'] as const) {
  test(`squeezed guest: frontswap and cleancache absorb the I/O (${kind} tmem); without tmem the disk does it`, () => {
    const withTmem = run(kind).m;
    const without = run('none').m;
    // Same workload, same seed: same accesses.
    assert.equal(withTmem.fileAccesses, without.fileAccesses);
    assert.equal(withTmem.anonAccesses, without.anonAccesses);

    assert.ok(withTmem.frontswap.stores > 0, 'swapped into frontswap');
    assert.equal(withTmem.disk.swapWrites, 0, 'no swap write reached the disk');
    assert.ok(withTmem.frontswap.loads > 0);
    assert.equal(withTmem.disk.swapReads, 0, 'swap-ins came from frontswap');
    assert.ok(withTmem.cleancache.puts > 0);
    assert.ok(withTmem.cleancache.hits > 0, 'page-cache misses served by cleancache');

    assert.equal(without.frontswap.stores, 0);
    assert.equal(without.cleancache.hits, 0);
    assert.ok(without.disk.swapWrites > 0);
    assert.ok(without.disk.swapReads > 0);
    // Reads cleancache saved went to the disk without tmem.
    assert.ok(without.disk.fileReads > withTmem.disk.fileReads + withTmem.cleancache.hits / 2);
  });
}

test('real tmem: frontswap refused at maxmem (ENOMEM) goes to the disk, no page lost', () => {
  const hv = newHost(50000);
  const t = new Tmem(hv, { dedup: false, tze: false, compress: false, store: 'synthetic' });
  hv.attachTmem(t);
  const g = bootGuest(hv, t, { domid: 1, memoryPages: 5000, maxmemPages: 5000, kernelReservePages: 0, swapPages: 5000 });
  g.setBalloonTarget(4800); // 200 pages of room under maxmem for persistent frames
  assert.equal(g.balloonWork(0), null);
  g.setAnonPages(5500); // 700 pages must be swapped
  let m = g.metrics();
  // At least 700 (reclaim works in batches of SWAP_CLUSTER_MAX, so a few more).
  assert.ok(m.anonSwappedPages >= 700 && m.anonSwappedPages < 700 + 32);
  assert.equal(m.frontswap.stores, 200);
  assert.equal(m.frontswap.rejects, m.anonSwappedPages - 200, 'tot_pages reached max_pages: ENOMEM');
  assert.equal(m.disk.swapWrites, m.frontswap.rejects);
  const info = hv.domainInfo(1);
  assert.ok(info.ok && info.tot_pages === 5000 && info.tmem_pages === 200);
  assertClean(g);
  // The balloon cannot grow back: the persistent frames fill maxmem.
  g.setBalloonTarget(5000);
  assert.equal(g.balloonWork(0), 2 * S);
  // Every page comes back with its contents, from tmem or from the disk.
  for (let id = 0; id < 5500; id++) g.accessAnonPage(id);
  m = g.metrics();
  assert.ok(m.frontswap.loads >= 200);
  assert.ok(m.disk.swapReads >= 500);
  assert.equal(m.oomEvents, 0);
  assertClean(g);
  assert.deepEqual(hv.violations(), []);
  g.setAnonPages(0);
  assert.equal(m.frontswap.failedLoads, 0);
  const after = hv.domainInfo(1);
  assert.ok(after.ok && after.tmem_pages === 0, 'freed slots invalidated the persistent pages');
  assertClean(g);
});
