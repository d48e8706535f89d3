// Boundaries the reference-model tests reach only by chance (found by
// mutation testing: each test fails when its rule is broken): the allocator's
// mid-size zone (SEMANTICS §4.6: Xen asks tmem for a page when free memory is
// at or below the zone, and only for a page the claim rule lets through), a
// node claim redeemed on its node when that node's free pages are all tmem
// frames (§3), tmem's ten failed evictions before a put gives up, a freeze
// kept across save_begin/save_end, and the 16 shared-pool UUIDs of a client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import { createHostWithTmem } from '../../src/hypervisor/tmem/index.ts';
import { TmemControl } from '../../src/hypervisor/tmem/control.ts';

/** A stand-in tmem backend holding `freeable` pages, counting what it evicts. */
function fake(hv: Hypervisor) {
  const s = { freeable: 0, evicted: 0 };
  hv.attachTmem({
    relinquish(wanted) { const n = Math.min(wanted, s.freeable); s.freeable -= n; s.evicted += n; hv.acct.freeableToFree(n); return n; },
    destroyClient() {}, violations: () => [],
  });
  return s;
}

test('a page past max_pages with free memory exactly at the mid-size zone costs tmem one page', () => {
  const hv = new Hypervisor({ pages: 1280 }); const s = fake(hv);
  hv.domainCreate(1, 5); hv.populatePhysmap(1, 5);
  hv.acct.freeToFreeable(1265); s.freeable = 1265;
  assert.equal(hv.physinfo().pagesFree, 10); // == midsize
  assert.deepEqual(hv.populatePhysmap(1, 1), { ok: false, errno: 'ENOMEM', done: 0 });
  assert.equal(s.evicted, 1);
  assert.equal(hv.physinfo().pagesFree, 11);
});

test('a page past max_pages refused by the claim rule evicts nothing', () => {
  const hv = new Hypervisor({ pages: 1280 }); const s = fake(hv);
  hv.domainCreate(1, 5); hv.populatePhysmap(1, 5);
  hv.acct.freeToFreeable(1270); s.freeable = 1270;
  hv.domainCreate(2, 1280);
  assert.ok(hv.claimPages(2, 1275).ok);
  assert.deepEqual(hv.populatePhysmap(1, 1), { ok: false, errno: 'ENOMEM', done: 0 });
  assert.equal(s.evicted, 0);
  assert.equal(hv.physinfo().pagesFreeable, 1270);
});

test('a node claim whose node holds only tmem frames is redeemed on that node', () => {
  const hv = new Hypervisor({ pages: 2560, nodes: 2 }); const s = fake(hv);
  hv.acct.freeToFreeable(1920); s.freeable = 1920; // node 0: 1280 freeable; node 1: 640 freeable, 640 free
  hv.domainCreate(1, 1000);
  assert.ok(hv.claimMemory(1, [{ node: 0, pages: 100 }]).ok);
  assert.deepEqual(hv.populatePhysmap(1, 100), { ok: true, done: 100 });
  const info = hv.domainInfo(1); assert.ok(info.ok);
  assert.equal(info.outstanding_pages, 0);
  assert.deepEqual(info.claim_by_node, [0, 0]);
  assert.equal(hv.physinfo().nodes[0].pagesOwned, 100);
  assert.deepEqual(hv.violations(), []);
});

test('a guest put gives up after exactly 10 failed evictions (MAX_EVICTS)', () => {
  const { hv, tmem } = createHostWithTmem({ pages: 1280 });
  hv.domainCreate(1, 1280); hv.domainCreate(2, 1280);
  tmem.newPool(1, { persistent: true, shared: false });
  hv.populatePhysmap(2, hv.acct.pagesFree - 15);
  const before = tmem.stats().evictAttempts;
  assert.deepEqual(tmem.put(1, 0, [0, 0, 0], 0, new Uint8Array(4096).fill(1)), { ok: false, errno: 'ENOMEM' });
  assert.equal(tmem.stats().evictAttempts - before, 10);
});

test('save_end keeps a freeze that was there before save_begin', () => {
  const { hv, tmem } = createHostWithTmem({ pages: 4096 });
  hv.domainCreate(1, 1000);
  const ctl = new TmemControl(tmem);
  tmem.newPool(1, { persistent: true, shared: false });
  assert.ok(ctl.freeze(1).ok);
  assert.ok(ctl.saveBegin(1).ok);
  assert.ok(ctl.saveEnd(1).ok);
  assert.deepEqual(tmem.put(1, 0, [0, 0, 0], 0, new Uint8Array(4096).fill(1)), { ok: false, errno: 'EFROZEN' });
});

test('a client authorises at most 16 shared-pool UUIDs', () => {
  const { hv, tmem } = createHostWithTmem({ pages: 4096 });
  hv.domainCreate(1, 1000);
  const ctl = new TmemControl(tmem);
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 16; i++) assert.ok(ctl.sharedAuth(1, i.toString(16).padStart(32, '0'), true).ok);
  assert.deepEqual(ctl.sharedAuth(1, 'f'.repeat(32), true), { ok: false, errno: 'ENOMEM' });
});
