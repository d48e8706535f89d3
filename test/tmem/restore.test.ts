// The restore side of migration (Xen 4.12 RESTORE_BEGIN, SET_POOLS,
// RESTORE_PUT_PAGE, RESTORE_FLUSH_PAGE): a client made on the target, pools at
// their saved ids with new_pool's checks, pages put and flushed on the
// client's behalf; and a save -> restore round trip through replay, the
// enumerated pages carrying their contents.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { host, fill, assertClean, PAGE, replay } from './helpers.ts';
import { TMEM_POOL_PERSIST, TMEM_POOL_SHARED, TMEM_SPEC_VERSION, TMEM_POOL_VERSION_SHIFT, poolFlagsOfWord, type Oid } from '../../src/hypervisor/tmem/api.ts';

const O: Oid = [7, 0, 1];
const out = (): Uint8Array => new Uint8Array(PAGE);
const V = TMEM_SPEC_VERSION << TMEM_POOL_VERSION_SHIFT;
const PERSIST = V | TMEM_POOL_PERSIST;

test('restore_begin makes the client once (EEXIST after), ENOMEM for a domain that does not exist, EPERM for a guest', () => {
  const { tmem, hv } = host(4096, {}, [[1, 1000], [2, 1000]]);
  const c = tmem.control;
  assert.deepEqual(c.restoreBegin(1, 2), { ok: false, errno: 'EPERM' });
  assert.deepEqual(c.restoreBegin(1), { ok: true, rc: 0 });
  assert.deepEqual(c.restoreBegin(1), { ok: false, errno: 'EEXIST' });
  assert.deepEqual(c.run('restore_begin', 1, 0, undefined), { ok: false, errno: 'EEXIST' });
  assert.deepEqual(c.restoreBegin(9), { ok: false, errno: 'ENOMEM' });
  // A domain that already used tmem has its client.
  tmem.newPool(2, { persistent: false, shared: false });
  assert.deepEqual(c.restoreBegin(2), { ok: false, errno: 'EEXIST' });
  assertClean(hv);
});

test('set_pools puts each pool at its saved id with new_pool\'s checks; rc is Xen\'s `rc ? : i`', () => {
  const { tmem, hv } = host(4096, {}, [[1, 1000], [2, 1000], [3, 1000]]);
  const c = tmem.control;
  // No client yet: one is made. Pools at ids 3 and 0; rc is the count when the last id is 0.
  assert.deepEqual(c.setPools(1, [{ id: 3, flags: poolFlagsOfWord(PERSIST) }, { id: 0, flags: poolFlagsOfWord(V) }]), { ok: true, rc: 2 });
  // ...and the last id when it is not 0.
  assert.deepEqual(c.setPools(2, [{ id: 0, flags: poolFlagsOfWord(V) }, { id: 5, flags: poolFlagsOfWord(PERSIST) }]), { ok: true, rc: 5 });
  // The pools are where they were saved: a put to pool 3 of domain 1 is persistent, pool 0 ephemeral.
  assert.deepEqual(tmem.put(1, 3, O, 0, fill(1)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(1, 3, O, 0, out()), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(1, 3, O, 0, out()), { ok: true, rc: 1 }, 'persistent: the get leaves it');
  // A guest's new pool takes the lowest free slot, past the restored ones.
  assert.deepEqual(tmem.newPool(1, { persistent: false, shared: false }), { ok: true, rc: 1 });
  // Refusals: a taken id, an id past 15, a bad flags word (each EPERM, the pools before stay); n_pages; too many; a guest.
  assert.deepEqual(c.setPools(1, [{ id: 2, flags: poolFlagsOfWord(V) }, { id: 3, flags: poolFlagsOfWord(V) }]), { ok: false, errno: 'EPERM' });
  assert.deepEqual(tmem.put(1, 2, O, 0, fill(2)), { ok: true, rc: 1 }, 'pool 2 was made before the refusal');
  assert.deepEqual(c.setPools(3, [{ id: 16, flags: poolFlagsOfWord(V) }]), { ok: false, errno: 'EPERM' });
  assert.deepEqual(c.setPools(3, [{ id: 0, flags: poolFlagsOfWord(V | TMEM_POOL_PERSIST | TMEM_POOL_SHARED) }]), { ok: false, errno: 'EPERM' });
  assert.deepEqual(c.setPools(3, [{ id: 0, flags: poolFlagsOfWord(0) }]), { ok: false, errno: 'EPERM' }, 'spec version 0');
  assert.deepEqual(c.setPools(3, [{ id: 0, flags: poolFlagsOfWord(V), nPages: 4 }]), { ok: false, errno: 'EINVAL' });
  assert.deepEqual(c.setPools(3, Array.from({ length: 17 }, (_, id) => ({ id, flags: poolFlagsOfWord(V) }))), { ok: false, errno: 'E2BIG' });
  assert.deepEqual(c.setPools(3, [{ id: 0, flags: poolFlagsOfWord(V) }], 3), { ok: false, errno: 'EPERM' });
  assert.deepEqual(c.setPools(42, [{ id: 0, flags: poolFlagsOfWord(V) }]), { ok: false, errno: 'ENOMEM' });
  assertClean(hv);
});

test('restore_put_page and restore_flush_page act for the client; EPERM without its pool', () => {
  const { tmem, hv } = host(4096, {}, [[1, 1000]]);
  const c = tmem.control;
  assert.deepEqual(c.restorePutPage(1, 0, O, 0, fill(3)), { ok: false, errno: 'EPERM' }, 'no client yet');
  c.restoreBegin(1);
  assert.deepEqual(c.restorePutPage(1, 0, O, 0, fill(3)), { ok: false, errno: 'EPERM' }, 'no pool 0');
  c.setPools(1, [{ id: 0, flags: poolFlagsOfWord(PERSIST) }]);
  assert.deepEqual(c.restorePutPage(1, 0, O, 0, fill(3)), { ok: true, rc: 1 });
  assert.deepEqual(c.restorePutPage(1, 0, O, 0, fill(3), 1), { ok: false, errno: 'EPERM' }, 'the guest may not');
  const page = out();
  assert.deepEqual(tmem.get(1, 0, O, 0, page), { ok: true, rc: 1 });
  assert.deepEqual(page, fill(3));
  // The put is charged to the domain, as the guest's own would be.
  const info = hv.domainInfo(1);
  assert.ok(info.ok && info.tmem_pages === 1);
  assert.deepEqual(c.restoreFlushPage(1, 0, O, 0), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' });
  assert.deepEqual(c.restoreFlushPage(1, 4, O, 0), { ok: false, errno: 'EPERM' });
  assertClean(hv);
});


test('a restore put skips the guest\'s low-memory check (do_tmem_put, not do_tmem_op): under the mark it is stored, nothing evicted', () => {
  const { tmem, hv } = host(1024, { lowMemPages: 8 }, [[1, 1024], [2, 1024]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  // 3 pages above the mid-size zone, under the mark of 8: a guest put is refused, and drops the old copy.
  hv.populatePhysmap(2, hv.acct.pagesFree - 11);
  assert.deepEqual(tmem.put(1, 0, O, 1, fill(2)), { ok: false, errno: 'ENOMEM' });
  // The toolstack's restore put to the same pool is stored, and replaces a page in place.
  assert.deepEqual(tmem.control.restorePutPage(1, 0, O, 1, fill(2)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.control.restorePutPage(1, 0, O, 0, fill(3)), { ok: true, rc: 1 });
  const page = out();
  assert.deepEqual(tmem.get(1, 0, O, 0, page), { ok: true, rc: 1 });
  assert.deepEqual(page, fill(3));
  assertClean(hv);
});

test('saving a page out counts a get, as do_tmem_get does; set_pools is one operation', () => {
  const { tmem, hv } = host(4096, {}, [[1, 1000], [2, 1000]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  tmem.put(1, 0, O, 1, fill(2));
  const c = tmem.control;
  const e = c.enumerate(1);
  assert.ok(e.ok);
  const page = out();
  for (const h of e.pages) assert.ok(c.savedPage(1, h, page));
  assert.deepEqual(page, fill(2));
  const listing = c.list(1);
  assert.ok(listing.ok);
  assert.equal(listing.clients[0].persistentGets, 2);
  const before = tmem.stats().totalOps;
  c.setPools(2, [{ id: 0, flags: poolFlagsOfWord(V) }, { id: 1, flags: poolFlagsOfWord(PERSIST) }, { id: 2, flags: poolFlagsOfWord(V) }]);
  assert.equal(tmem.stats().totalOps - before, 1);
  c.setPools(2, [{ id: 2, flags: poolFlagsOfWord(V) }]);
  assert.equal(tmem.stats().totalOps - before, 2, 'a refused one too');
  assert.deepEqual(c.run('restore_begin', null, 0, undefined), { ok: false, errno: 'ENOMEM' }, 'no client id: client_create fails');
  assertClean(hv);
});

test('replay: save on one domain, restore on another, every page back with its contents', async () => {
  const a = Buffer.alloc(4096, 0x11).toString('base64');
  const b = Buffer.alloc(4096, 0x22).toString('base64');
  const saved = await replay([
    { op: 'host', pages: 8192, tmem: {} },
    { op: 'domain_create', domid: 1, max_pages: 500 },
    { op: 'tmem_new_pool', domid: 1, persistent: false },
    { op: 'tmem_new_pool', domid: 1, persistent: true },
    { op: 'tmem_put', domid: 1, pool: 1, oid: [5, 0, 0], index: 3, data: a },
    { op: 'tmem_put', domid: 1, pool: 1, oid: [5, 0, 0], index: 4, data: b },
    { op: 'tmem_control', subop: 'save_begin', domid: 1 },
    { op: 'tmem_control', subop: 'enumerate', domid: 1 },
    { op: 'tmem_control', subop: 'save_end', domid: 1 },
  ]);
  assert.equal(saved.status, 0);
  const pages = saved.out[7].pages as { pool: number; oid: number[]; index: number; data: string }[];
  assert.deepEqual(pages, [
    { pool: 1, oid: [5, 0, 0], index: 3, data: a },
    { pool: 1, oid: [5, 0, 0], index: 4, data: b },
  ]);
  // The target: a new domain, its client, the pools at their ids, the pages put back.
  const restored = await replay([
    { op: 'host', pages: 8192, tmem: {} },
    { op: 'domain_create', domid: 7, max_pages: 500 },
    { op: 'tmem_control', subop: 'restore_begin', domid: 7 },
    { op: 'tmem_set_pools', domid: 7, pools: [{ id: 1, flags: PERSIST }] },
    ...pages.map((p) => ({ op: 'tmem_restore_put_page', domid: 7, pool: p.pool, oid: p.oid, index: p.index, data: p.data })),
    { op: 'tmem_get', domid: 7, pool: 1, oid: [5, 0, 0], index: 4, caller: 7 },
    { op: 'tmem_restore_flush_page', domid: 7, pool: 1, oid: [5, 0, 0], index: 3 },
    { op: 'tmem_get', domid: 7, pool: 1, oid: [5, 0, 0], index: 3, caller: 7 },
    { op: 'tmem_set_pools', domid: 7, pools: [{ id: 1, flags: PERSIST }], caller: 7 },
    { op: 'tmem_set_pools', domid: 7, pools: [{ id: 'one', flags: PERSIST }] },
  ]);
  assert.equal(restored.status, 2, 'the last line is malformed');
  assert.deepEqual(restored.out.slice(2, 7), [
    { ok: true, rc: 0 },
    // SET_POOLS answers the last pool's id when it is not 0 (Xen's `rc ? : i`).
    { ok: true, rc: 1 },
    { ok: true, rc: 1 },
    { ok: true, rc: 1 },
    { ok: true, rc: 1, data: b },
  ]);
  assert.deepEqual(restored.out[7], { ok: true, rc: 1 });
  assert.deepEqual(restored.out[8], { ok: true, rc: 0 });
  assert.deepEqual(restored.out[9], { ok: false, errno: 'EPERM' }, 'a guest may not restore');
  assert.deepEqual(restored.out[10], { ok: false, error: 'line 11: field "pools.0.id": expected a pool id (an integer from 0 to 2147483647), found the string "one"' });
});
