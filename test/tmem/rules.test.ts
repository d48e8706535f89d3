// Unit tests, one per rule of SEMANTICS §4 and the upstream facts in
// docs/tmem.md: pools and flags, return codes, exclusive gets, frozen,
// put-put-get, eviction and fairness, accounting, dedup, TZE, compression,
// control.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { host, fill, noise, text, assertClean, synth, PAGE } from './helpers.ts';
import { poolFlagsOfWord, type Oid } from '../../src/hypervisor/tmem/api.ts';
import { poolFlagsRefusal, type Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import { AssertionError } from '../../src/lib/assert.ts';
import type { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import { defaultCodec } from '../../src/hypervisor/tmem/codec.ts';
import { SUBPAGE_LIMIT_BYTES } from '../../src/hypervisor/tmem/subpage.ts';

const O: Oid = [1, 2, 3];
const UUID = '0123456789abcdef0123456789abcdef';
const out = (): Uint8Array => new Uint8Array(PAGE);

test('pools: ids from 0, lowest free slot reused, 16 at most, bad flags EPERM', () => {
  const { tmem } = host(2000);
  assert.deepEqual(tmem.newPool(1, { persistent: false, shared: false }), { ok: true, rc: 0 });
  assert.deepEqual(tmem.newPool(1, { persistent: true, shared: false }), { ok: true, rc: 1 });
  assert.deepEqual(tmem.destroyPool(1, 0), { ok: true, rc: 1 });
  assert.deepEqual(tmem.newPool(1, { persistent: false, shared: false }), { ok: true, rc: 0 });
  for (let i = 2; i < 16; i++) assert.deepEqual(tmem.newPool(1, { persistent: false, shared: false }), { ok: true, rc: i });
  assert.deepEqual(tmem.newPool(1, { persistent: false, shared: false }), { ok: false, errno: 'EPERM' });
  const { tmem: t2 } = host(2000);
  assert.deepEqual(t2.newPool(1, { persistent: false, shared: false, specVersion: 2 }), { ok: false, errno: 'EPERM' });
  assert.deepEqual(t2.newPool(1, { persistent: false, shared: false, pageBytes: 8192 }), { ok: false, errno: 'EPERM' });
  assert.deepEqual(t2.newPool(1, { persistent: true, shared: true, uuid: UUID }), { ok: false, errno: 'EPERM' });
  assert.deepEqual(t2.destroyPool(1, 9), { ok: true, rc: 0 });
  assert.deepEqual(t2.destroyPool(1, 99), { ok: true, rc: 0 });
});

test('new_pool flags word (Xen\'s TMEM_POOL_* layout): version, shared+persistent, page size, precompressed, reserved bits each EPERM', () => {
  const V1 = 0x01000000; // spec version 1 in bits 24-31
  const { tmem, hv } = host(2000, { lowMemPages: 0 });
  assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(V1)), { ok: true, rc: 0 }, 'ephemeral private');
  assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(V1 | 0x1)), { ok: true, rc: 1 }, 'persistent');
  tmem.put(1, 1, O, 0, fill(1));
  assert.equal(tmem.stats().persistentPages, 1, 'bit 0 made pool 1 persistent');
  assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(V1 | 0x2, UUID)), { ok: true, rc: 2 }, 'shared');
  assert.equal(tmem.stats().sharedPools, 1, 'bit 1 made pool 2 shared');
  assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(V1 | 0x8)), { ok: true, rc: 3 }, 'bit 3 is neither used nor reserved');
  const refused: [number, string][] = [
    [0x00000000, 'version 0'],
    [0x02000000, 'version 2'],
    [0x81000000, 'version 0x81'],
    [V1 | 0x3, 'shared and persistent'],
    [V1 | (1 << 4), 'page size 8 KiB'],
    [V1 | (0xf << 4), 'page size field 15'],
    [V1 | 0x4, 'precompressed'],
    [V1 | 0x100, 'reserved bit 8'],
    [V1 | 0x800000, 'reserved bit 23'],
  ];
  for (const [word, what] of refused) {
    assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(word, UUID)), { ok: false, errno: 'EPERM' }, what);
  }
  assert.equal(tmem.stats().pools, 4, 'no refused request made a pool');
  // The flags are checked before the UUID is even read: bad flags with a bad UUID are EPERM, not EINVAL.
  assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(V1 | 0x4, 'not a uuid')), { ok: false, errno: 'EPERM' });
  assert.deepEqual(tmem.newPool(1, poolFlagsOfWord(V1 | 0x2, 'not a uuid')), { ok: false, errno: 'EINVAL' });
  // The word replaces the fields; they may not contradict it.
  assert.throws(() => tmem.newPool(1, { persistent: false, shared: false, rawFlags: V1 | 0x1 }), AssertionError);
  assert.throws(() => tmem.newPool(1, { persistent: false, shared: false, rawFlags: V1, specVersion: 1 }), AssertionError);
  assert.throws(() => tmem.newPool(1, { persistent: false, shared: false, rawFlags: 2 ** 32 }), AssertionError);
  assertClean(hv);
});

test('new_pool flags: the first refusal in do_tmem_new_pool\'s order decides (version, shared+persistent, page size, precompressed, reserved)', () => {
  const all = 0x02000000 | 0x3 | (1 << 4) | 0x4 | 0x100;
  const order: [number, string | null][] = [
    [all, 'spec_version'],
    [(all & 0x00ffffff) | 0x01000000, 'shared_persistent'],
    [0x01000000 | (1 << 4) | 0x4 | 0x100 | 0x1, 'page_size'],
    [0x01000000 | 0x4 | 0x100 | 0x2, 'precompressed'],
    [0x01000000 | 0x100 | 0x1, 'reserved_bits'],
    [0x01000000 | 0x1, null],
  ];
  for (const [word, first] of order) assert.equal(poolFlagsRefusal(poolFlagsOfWord(word)), first, `0x${word.toString(16)}`);
  // The fields go through the same checks, in the same order.
  assert.equal(poolFlagsRefusal({ persistent: true, shared: true, pageBytes: 8192, specVersion: 2 }), 'spec_version');
  assert.equal(poolFlagsRefusal({ persistent: false, shared: false, specVersion: 257 }), 'spec_version', 'not 1 once masked to 8 bits');
  assert.equal(poolFlagsRefusal({ persistent: true, shared: true, pageBytes: 8192 }), 'shared_persistent');
  assert.equal(poolFlagsRefusal({ persistent: false, shared: false, pageBytes: 3000 }), 'page_size');
  assert.equal(poolFlagsRefusal({ persistent: true, shared: false, pageBytes: 4096, specVersion: 1 }), null);
});

test('bad pool id and unknown or dying domain: ENODEV', () => {
  const { tmem, hv } = host(2000);
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(1)), { ok: false, errno: 'ENODEV' });
  assert.deepEqual(tmem.get(1, 16, O, 0, out()), { ok: false, errno: 'ENODEV' });
  assert.deepEqual(tmem.newPool(7, { persistent: false, shared: false }), { ok: false, errno: 'ENODEV' });
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  hv.domainDestroy(1);
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(1)), { ok: false, errno: 'ENODEV' });
  assertClean(hv);
});

test('oid words are integers in [0, 2^53): the largest works, one past it is a caller\'s bug', () => {
  const { tmem, hv } = host(2000);
  tmem.newPool(1, { persistent: true, shared: false });
  const top = 2 ** 53 - 1;
  assert.deepEqual(tmem.put(1, 0, [top, top, top], 0, fill(1)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(1, 0, [top, top, top - 1], 0, out()), { ok: true, rc: 0 }, 'a different object');
  assert.deepEqual(tmem.get(1, 0, [top, top, top], 0, out()), { ok: true, rc: 1 });
  for (const bad of [[2 ** 53, 0, 0], [0, -1, 0], [0, 0, 1.5]] as const) {
    assert.throws(() => tmem.put(1, 0, bad, 0, fill(1)), AssertionError, `put ${bad.join(',')}`);
    assert.throws(() => tmem.flushObject(1, 0, bad), AssertionError, `flush_object ${bad.join(',')}`);
  }
  assertClean(hv);
});

test('a guest may not touch another domain\'s pools; the toolstack may', () => {
  const { tmem } = host(2000, {}, [[1, 100], [2, 100]]);
  assert.deepEqual(tmem.checkCaller(2, 1), { ok: false, errno: 'EPERM' });
  assert.equal(tmem.checkCaller(1, 1).ok, true);
  assert.equal(tmem.checkCaller(0, 1).ok, true);
  assert.equal(tmem.control.freeze(null, 1).ok, false);
});

test('get: EEMPTY on an empty pool, 0 on a miss, 1 and the data on a hit', () => {
  const { tmem } = host(2000);
  tmem.newPool(1, { persistent: true, shared: false });
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' });
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(3)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(1, 0, O, 1, out()), { ok: true, rc: 0 });
  const o = out();
  assert.deepEqual(tmem.get(1, 0, O, 0, o), { ok: true, rc: 1 });
  assert.deepEqual(o, noise(3));
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 1 }, 'persistent get keeps the page');
});

test('private ephemeral get is exclusive; shared ephemeral get keeps the page and moves it to the MRU end', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, fill(5));
  assert.equal(tmem.get(1, 0, O, 0, out()).ok, true);
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' });
  assert.equal(tmem.newPool(1, { persistent: false, shared: true, uuid: UUID }).ok, true);
  assert.deepEqual(tmem.newPool(2, { persistent: false, shared: true, uuid: UUID }), { ok: true, rc: 0 });
  tmem.put(1, 1, O, 0, fill(1));
  tmem.put(1, 1, O, 1, fill(2));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'the other sharer sees the page');
  assert.deepEqual(tmem.get(1, 1, O, 0, out()), { ok: true, rc: 1 }, 'still there');
  // Index 0 was just used: relinquishing one frame evicts index 1, the oldest.
  assert.equal(tmem.relinquish(1), 1);
  assert.deepEqual(tmem.get(1, 1, O, 1, out()), { ok: true, rc: 0 });
  assert.deepEqual(tmem.get(1, 1, O, 0, out()), { ok: true, rc: 1 });
  assertClean(hv);
});

test('a shared ephemeral get makes the page most recently used on the pool owner\'s own LRU too', () => {
  // Xen do_tmem_get: a found shared ephemeral page goes to the tail of the
  // global list and of the pool owner's list, so weighted eviction from the
  // owner's own list takes another page first.
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 64], [2, 64], [3, 64]]);
  tmem.newPool(2, { persistent: false, shared: false }); // pool 0 of domain 2
  tmem.put(2, 0, O, 0, noise(1)); // the oldest page on the global LRU
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID }); // owned by domain 1
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID }); // pool 1 of domain 2
  tmem.put(1, 0, O, 0, noise(10)); // A
  tmem.put(1, 0, O, 1, noise(11)); // B
  assert.deepEqual(tmem.get(2, 1, O, 0, out()), { ok: true, rc: 1 }, 'the other sharer reads A: A is now newer than B');
  tmem.control.setWeight(1, 1);
  tmem.control.setWeight(2, 1);
  hv.populatePhysmap(3, hv.acct.pagesFree - 3); // below the mark
  // Domain 1 holds 2 of 3 pages with half the weight: one page of its own list goes.
  tmem.put(1, 0, [9, 9, 9], 0, noise(30));
  assert.deepEqual(tmem.get(1, 0, O, 1, out()), { ok: true, rc: 0 }, 'B, the oldest on the owner\'s list, went');
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 1 }, 'A, just read, stayed');
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'not the global LRU\'s oldest');
  assertClean(hv);
});

test('shared pools: an unauthorised client gets a private pool when authorisation is required', () => {
  const { tmem } = host(2000, { sharedAuth: true, lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.put(1, 0, O, 0, fill(1));
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' }, 'private, not joined');
  assert.deepEqual(tmem.control.sharedAuth(1, UUID, true), { ok: true, rc: 1 });
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, true), { ok: true, rc: 1 });
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.put(1, 1, O, 0, fill(1));
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  assert.deepEqual(tmem.get(2, 1, O, 0, out()), { ok: true, rc: 1 });
});

test('shared_auth: each authorisation takes one of 16 entries, a repeated UUID too; de-authorising frees one entry (tmemc_shared_pool_auth)', () => {
  const { tmem, hv } = host(2000, { sharedAuth: true, lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: false });
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, true), { ok: true, rc: 1 });
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, true), { ok: true, rc: 1 }, 'a second entry for the same UUID');
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, false), { ok: true, rc: 1 });
  // One entry is left: still authorised, so client 2 joins client 1's pool (as it would with the two entries).
  tmem.newPool(1, { persistent: false, shared: false });
  assert.deepEqual(tmem.control.sharedAuth(1, UUID, true), { ok: true, rc: 1 });
  assert.deepEqual(tmem.newPool(1, { persistent: false, shared: true, uuid: UUID }), { ok: true, rc: 2 });
  assert.deepEqual(tmem.newPool(2, { persistent: false, shared: true, uuid: UUID }), { ok: true, rc: 1 });
  tmem.put(1, 2, O, 0, fill(1));
  assert.deepEqual(tmem.get(2, 1, O, 0, out()), { ok: true, rc: 1 }, 'joined: the UUID was authorised twice, de-authorised once');
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, false), { ok: true, rc: 1 });
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, false), { ok: true, rc: 0 }, 'no entry left');
  // 16 entries, whatever they hold: the 17th authorisation of one UUID is ENOMEM.
  for (let i = 0; i < 16; i++) assert.deepEqual(tmem.control.sharedAuth(2, UUID, true), { ok: true, rc: 1 }, `entry ${i}`);
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, true), { ok: false, errno: 'ENOMEM' });
  assert.deepEqual(tmem.control.sharedAuth(2, 'a'.repeat(32), true), { ok: false, errno: 'ENOMEM' });
  assert.deepEqual(tmem.control.sharedAuth(2, UUID, false), { ok: true, rc: 1 });
  assert.deepEqual(tmem.control.sharedAuth(2, 'a'.repeat(32), true), { ok: true, rc: 1 }, 'a freed entry is taken again');
  assertClean(hv);
});

test('shared pools: a shared request with no UUID or the all-ones UUID gets a private pool', () => {
  // Xen do_tmem_new_pool: uuid -1:-1 is "invalid uuid, create non shared pool instead".
  for (const uuid of [undefined, 'f'.repeat(32), 'F'.repeat(32)]) {
    const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
    assert.deepEqual(tmem.newPool(1, { persistent: false, shared: true, uuid }), { ok: true, rc: 0 });
    assert.deepEqual(tmem.newPool(2, { persistent: false, shared: true, uuid }), { ok: true, rc: 0 });
    assert.equal(tmem.stats().sharedPools, 0, `uuid ${uuid}: no shared pool`);
    tmem.put(1, 0, O, 0, fill(1));
    assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' }, `uuid ${uuid}: not joined`);
    assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 1 });
    assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' }, `uuid ${uuid}: private, so the get was exclusive`);
    assertClean(hv);
  }
});

test('shared pools: 16 host-wide; a 17th UUID is refused with EPERM, joining an existing one still works', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  const uuidOf = (i: number): string => i.toString(16).padStart(32, '0');
  for (let i = 0; i < 16; i++) assert.deepEqual(tmem.newPool(1, { persistent: false, shared: true, uuid: uuidOf(i) }), { ok: true, rc: i });
  assert.equal(tmem.stats().sharedPools, 16);
  assert.deepEqual(tmem.newPool(2, { persistent: false, shared: true, uuid: uuidOf(16) }), { ok: false, errno: 'EPERM' });
  assert.equal(tmem.stats().sharedPools, 16);
  // The refused request took no pool slot: domain 2's next pool is still 0.
  assert.deepEqual(tmem.newPool(2, { persistent: false, shared: true, uuid: uuidOf(5) }), { ok: true, rc: 0 });
  tmem.put(1, 5, O, 0, fill(1));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'joined the existing shared pool');
  // A freed shared slot can be named again.
  hv.domainDestroy(1);
  assert.equal(tmem.stats().sharedPools, 1);
  assert.deepEqual(tmem.newPool(2, { persistent: false, shared: true, uuid: uuidOf(16) }), { ok: true, rc: 1 });
  assert.equal(tmem.stats().sharedPools, 2);
  assertClean(hv);
});

test('a shared pool outlives the client that created it: objects whose last client was the leaver go (a put, a repeat put too, records the pool\'s owner, a get the caller)', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  tmem.put(2, 0, O, 0, fill(1));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }); // got last by 2
  tmem.put(2, 0, [7, 7, 7], 0, fill(3)); // put by 2: do_tmem_put records the pool's client, 1
  tmem.put(1, 0, [9, 9, 9], 0, fill(2));
  tmem.put(2, 0, [5, 5, 5], 0, fill(4));
  assert.deepEqual(tmem.get(2, 0, [5, 5, 5], 0, out()), { ok: true, rc: 1 }); // got last by 2 ...
  assert.deepEqual(tmem.put(2, 0, [5, 5, 5], 0, fill(5)), { ok: true, rc: 1 }); // ... then a repeat put: do_tmem_dup_put records the pool's client, 1
  hv.domainDestroy(1);
  assertClean(hv);
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'got last by 2: kept');
  assert.deepEqual(tmem.get(2, 0, [5, 5, 5], 0, out()), { ok: true, rc: 0 }, 'put again after 2\'s get: last client 1, gone with it');
  assert.deepEqual(tmem.get(2, 0, [7, 7, 7], 0, out()), { ok: true, rc: 0 }, 'put by 2 into 1\'s pool: last client 1, gone with it');
  assert.deepEqual(tmem.get(2, 0, [9, 9, 9], 0, out()), { ok: true, rc: 0 }, 'put last by 1: gone with it');
  hv.domainDestroy(2);
  assert.equal(tmem.stats().sharedPools, 0);
  assertClean(hv);
});

test('when the owner leaves a shared pool, the sharer that joined first owns it (shared_pool_reassign takes the head of the share list)', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100], [3, 100]]);
  for (const d of [1, 2, 3]) tmem.newPool(d, { persistent: false, shared: true, uuid: UUID });
  hv.domainDestroy(1);
  tmem.control.freeze(2);
  assert.deepEqual(tmem.put(3, 0, O, 0, fill(1)), { ok: false, errno: 'EFROZEN' }, 'client 2 owns the pool now: its flag governs');
  tmem.control.thaw(2);
  tmem.control.freeze(3);
  assert.deepEqual(tmem.put(3, 0, O, 0, fill(1)), { ok: true, rc: 1 }, 'client 3 is only a sharer');
  assertClean(hv);
});

test('a shared pool answers to its client, the owner: frozen puts and flushes by any sharer follow the owner\'s flag', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  tmem.control.freeze(1);
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(1)), { ok: false, errno: 'EFROZEN' }, 'the owner is frozen: a sharer\'s put too');
  assert.deepEqual(tmem.flushPage(2, 0, O, 0), { ok: false, errno: 'EFROZEN' });
  tmem.control.thaw(1);
  tmem.control.freeze(2);
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(1)), { ok: true, rc: 1 }, 'a frozen sharer still puts into a thawed owner\'s pool');
  assert.deepEqual(tmem.flushPage(2, 0, O, 0), { ok: true, rc: 1 });
  assertClean(hv);
});

test('after a sharer leaves, a shared pool is dying: its pages are never evicted (pool_destroy_objs sets is_dying on the selective flush)', () => {
  const { tmem, hv } = host(32, { lowMemPages: 4 }, [[1, 32], [2, 32], [3, 32]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(3, { persistent: false, shared: true, uuid: UUID });
  for (let i = 0; i < 3; i++) {
    tmem.put(2, 0, O, i, noise(10 + i));
    assert.deepEqual(tmem.get(2, 0, O, i, out()), { ok: true, rc: 1 }); // last client 2: survives 3 leaving
  }
  assert.deepEqual(tmem.control.flush(12), { ok: true, rc: 12 });
  assert.equal(tmem.stats().ephemeralPages, 0, 'a live shared pool is evictable');
  for (let i = 0; i < 3; i++) {
    tmem.put(2, 0, O, i, noise(10 + i));
    tmem.get(2, 0, O, i, out());
  }
  hv.domainDestroy(3); // a sharer leaves; 1 and 2 stay
  assert.deepEqual(tmem.control.flush(12), { ok: true, rc: 0 }, 'nothing could be evicted');
  assert.equal(tmem.stats().ephemeralPages, 3);
  assert.equal(tmem.relinquish(1), 0);
  assertClean(hv);
});

test('frozen: new puts EFROZEN, a put to an existing handle still served, flushes done but answer EFROZEN', () => {
  const { tmem, hv } = host(2000);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  tmem.put(1, 0, O, 1, fill(1));
  assert.equal(tmem.control.freeze(1).ok, true);
  assert.deepEqual(tmem.put(1, 0, O, 2, fill(2)), { ok: false, errno: 'EFROZEN' });
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(3)), { ok: true, rc: 1 });
  const o = out();
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, fill(3));
  assert.deepEqual(tmem.flushPage(1, 0, O, 1), { ok: false, errno: 'EFROZEN' });
  assert.deepEqual(tmem.get(1, 0, O, 1, out()), { ok: true, rc: 0 });
  assert.deepEqual(tmem.flushObject(1, 0, O), { ok: false, errno: 'EFROZEN' });
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' });
  tmem.control.thaw(null);
  assert.deepEqual(tmem.put(1, 0, O, 2, fill(2)), { ok: true, rc: 1 });
  assertClean(hv);
});

test('flushes answer 1 whether or not the page was there', () => {
  const { tmem } = host(2000);
  tmem.newPool(1, { persistent: false, shared: false });
  assert.deepEqual(tmem.flushPage(1, 0, O, 5), { ok: true, rc: 1 });
  assert.deepEqual(tmem.flushObject(1, 0, O), { ok: true, rc: 1 });
});

test('persistent frames are owned by the domain: tot_pages, claim consumed, ENOMEM at max_pages', () => {
  const { tmem, hv } = host(2000, {}, [[1, 3]]);
  assert.equal(hv.claimPages(1, 2).ok, true);
  tmem.newPool(1, { persistent: true, shared: false });
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(1)), { ok: true, rc: 1 });
  const d = hv.domain(1);
  assert.ok(d !== undefined);
  assert.equal(d.pagesTot, 1);
  assert.equal(d.pagesTmemFrames, 1);
  assert.equal(d.pagesOutstanding, 1);
  tmem.put(1, 0, O, 1, noise(2));
  tmem.put(1, 0, O, 2, noise(3));
  assert.deepEqual(tmem.put(1, 0, O, 3, noise(4)), { ok: false, errno: 'ENOMEM' });
  // A put to an existing handle at max_pages reuses the frame of the old data.
  assert.deepEqual(tmem.put(1, 0, O, 2, noise(5)), { ok: true, rc: 1 });
  assert.equal(hv.decreaseReservation(1, 10).ok && d.pagesTot, 3, 'tmem frames are not RAM to decrease');
  assertClean(hv);
  hv.domainDestroy(1);
  assertClean(hv);
  assert.equal(hv.physinfo().pagesFree, 2000);
});

test('ephemeral frames are freeable, refused by the claim rule, and given to a claimant by eviction', () => {
  const { tmem, hv } = host(100, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 60; i++) assert.equal(tmem.put(1, 0, O, i, noise(i)).ok, true);
  assert.equal(hv.physinfo().pagesFreeable, 60);
  assert.equal(hv.claimPages(2, 100).ok, true, 'freeable counts as available for a claim');
  assert.deepEqual(tmem.put(1, 0, O, 99, noise(99)), { ok: false, errno: 'ENOMEM' }, 'all capacity is claimed');
  const r = hv.populatePhysmap(2, 100);
  assert.equal(r.ok, true);
  assert.equal(hv.physinfo().pagesFreeable, 0);
  assert.equal(tmem.stats().evictions, 60);
  assertClean(hv);
});

test('a put when free memory is low first evicts the oldest ephemeral page', () => {
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 64]]);
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 70; i++) assert.equal(tmem.put(1, 0, O, i, noise(i)).ok, true);
  assert.equal(hv.physinfo().pagesFree, 3);
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 0 }, 'oldest evicted');
  assert.deepEqual(tmem.get(1, 0, O, 69, out()), { ok: true, rc: 1 });
  hv.populatePhysmap(1, 64);
  assert.equal(hv.physinfo().pagesFreeable, 0);
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(0)), { ok: false, errno: 'ENOMEM' }, 'nothing to evict, memory low');
  assertClean(hv);
});

test('weight fairness: a client over its weighted share loses its own oldest pages first', () => {
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 64], [2, 64]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  for (let i = 0; i < 10; i++) tmem.put(2, 0, O, i, noise(100 + i));
  for (let i = 0; i < 50; i++) tmem.put(1, 0, O, i, noise(i));
  tmem.control.setWeight(1, 1);
  tmem.control.setWeight(2, 1);
  // Domain 1 holds 50 of 60 pages with half the weight: its own pages go.
  for (let i = 50; i < 60; i++) tmem.put(1, 0, O, i, noise(i));
  for (let i = 0; i < 10; i++) assert.deepEqual(tmem.get(2, 0, O, i, out()), { ok: true, rc: 1 }, `domain 2 page ${i} kept`);
  assertClean(hv);
});

test('weight fairness: a share of pages equal to the weight share is not over quota', () => {
  // Xen client_over_quota compares integer percentages with a strict
  // greater-than: a client holding exactly its weighted share is not over it.
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 64], [2, 64], [3, 64]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  tmem.put(2, 0, O, 0, noise(1)); // the oldest page
  tmem.put(1, 0, O, 0, noise(2));
  tmem.control.setWeight(1, 1);
  tmem.control.setWeight(2, 1);
  hv.populatePhysmap(3, hv.acct.pagesFree - 3); // below the mark
  // Domain 1 holds 50% of the pages with 50% of the weight: plain global LRU.
  tmem.put(1, 0, O, 1, noise(3));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' }, 'the oldest page, domain 2\'s, went');
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 1 }, 'domain 1 kept its own page');
  assertClean(hv);
});

/**
 * Gives domains 1 and 2 these weights, then has domain 3 take free memory
 * down to just below the low-memory mark (4 pages): the next put evicts one
 * page, chosen by the fairness rule for the putter.
 */
function squeezeWithWeights(tmem: Tmem, hv: Hypervisor, [weight1, weight2]: [number, number]): void {
  tmem.control.setWeight(1, weight1);
  tmem.control.setWeight(2, weight2);
  hv.populatePhysmap(3, hv.acct.pagesFree - 3);
}

test('weight fairness: integer percentages decide, as Xen; a share a little over the weight share is not over quota', () => {
  // Domain 1 holds 2 of 17 pages (11.76%) with 1 of 9 weight (11.11%):
  // over its share in real numbers, but 11 > 11 is false in Xen's integer
  // percentages, so the oldest page of the global LRU goes.
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 64], [2, 64], [3, 64]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  tmem.put(2, 0, O, 0, noise(1)); // the oldest page
  tmem.put(1, 0, O, 0, noise(2)); // domain 1's oldest page
  tmem.put(1, 0, O, 1, noise(3));
  for (let i = 1; i < 15; i++) tmem.put(2, 0, O, i, noise(10 + i));
  squeezeWithWeights(tmem, hv, [1, 8]);
  tmem.put(1, 0, O, 2, noise(4));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 0 }, 'the oldest page, domain 2\'s, went');
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 1 }, 'domain 1 kept its own oldest page');
  assertClean(hv);
});

test('weight fairness with overQuotaAsCoded: Xen\'s inverted inequality takes a client\'s own pages when it holds less than its share', () => {
  // Xen's client_over_quota as coded: global*100/mine > total*100/weight.
  // Domain 1 holds 1 of 3 pages with half the weight: 300 > 200, "over", so
  // its own page goes; the intended rule (33% > 50% false) takes domain 2's,
  // the oldest.
  const run = (overQuotaAsCoded: boolean): { mine: number; oldest: number } => {
    const { tmem, hv } = host(64, { lowMemPages: 4, overQuotaAsCoded }, [[1, 64], [2, 64], [3, 64]]);
    tmem.newPool(1, { persistent: false, shared: false });
    tmem.newPool(2, { persistent: false, shared: false });
    tmem.put(2, 0, O, 0, noise(1)); // the oldest page
    tmem.put(2, 0, O, 1, noise(2));
    tmem.put(1, 0, O, 0, noise(3));
    squeezeWithWeights(tmem, hv, [1, 1]);
    tmem.put(1, 0, O, 1, noise(4));
    const mine = tmem.get(1, 0, O, 0, out());
    const oldest = tmem.get(2, 0, O, 0, out());
    assertClean(hv);
    return { mine: mine.ok ? mine.rc : -1, oldest: oldest.ok ? oldest.rc : -1 };
  };
  assert.deepEqual(run(true), { mine: 0, oldest: 1 }, 'as coded: domain 1\'s own page went');
  assert.deepEqual(run(false), { mine: 1, oldest: 0 }, 'as intended: the global LRU\'s oldest went');
});

test('weight 0 (the default): plain global LRU, whoever owns the oldest page', () => {
  const { tmem } = host(64, { lowMemPages: 4 }, [[1, 64], [2, 64]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  tmem.put(2, 0, O, 0, noise(1));
  for (let i = 0; i < 62; i++) tmem.put(1, 0, O, i, noise(10 + i));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' });
});

test('persistent pages are never evicted', () => {
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 30], [2, 64]]);
  tmem.newPool(1, { persistent: true, shared: false });
  for (let i = 0; i < 30; i++) assert.equal(tmem.put(1, 0, O, i, noise(i)).ok, true);
  assert.equal(hv.populatePhysmap(2, 64).ok, false);
  for (let i = 0; i < 30; i++) assert.deepEqual(tmem.get(1, 0, O, i, out()), { ok: true, rc: 1 });
  assertClean(hv);
});

test('relinquish evicts at most 10 pages per frame wanted', () => {
  const { tmem, hv } = host(1000, { dedup: true, lowMemPages: 0 });
  tmem.newPool(1, { persistent: false, shared: false });
  // 30 handles sharing one content: evicting 29 of them frees no frame.
  for (let i = 0; i < 30; i++) tmem.put(1, 0, O, i, fill(7));
  assert.equal(tmem.stats().framesUsed, 1);
  assert.equal(tmem.relinquish(1), 0);
  assert.ok(tmem.stats().evictions <= 10);
  assertClean(hv);
});

test('relinquish gives up after exactly 10 evictions that free no frame', () => {
  // Xen tmem_relinquish_pages tries at most 10 evictions (MAX_EVICTS) for a
  // frame. 1,184-byte slots come 10 to a group of 3 frames, 736-byte slots 11
  // to a group of 2: the group's frames come back with its last page.
  const ten = host(1000, { store: 'synthetic', compress: true, lowMemPages: 0 });
  ten.tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 10; i++) ten.tmem.put(1, 0, O, i, { fpHi: 0, fpLo: i + 1, compressedBytes: 1184 });
  assert.equal(ten.tmem.stats().framesEphemeral, 3);
  assert.equal(ten.tmem.relinquish(1), 3, '9 fruitless evictions, the 10th frees the group');
  assert.equal(ten.tmem.stats().evictions, 10);
  assertClean(ten.hv);
  const eleven = host(1000, { store: 'synthetic', compress: true, lowMemPages: 0 });
  eleven.tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 11; i++) eleven.tmem.put(1, 0, O, i, { fpHi: 0, fpLo: i + 1, compressedBytes: 736 });
  assert.equal(eleven.tmem.stats().framesEphemeral, 2);
  assert.equal(eleven.tmem.relinquish(1), 0, '10 fruitless evictions: given up');
  assert.equal(eleven.tmem.stats().evictions, 10);
  assert.deepEqual(eleven.tmem.get(1, 0, O, 10, { fpHi: 0, fpLo: 0, compressedBytes: 1 }), { ok: true, rc: 1 }, 'the 11th page stayed');
  assertClean(eleven.hv);
});

test('dedup: identical ephemeral contents across clients stored once, refcounted; persistent never', () => {
  const { tmem, hv } = host(2000, { dedup: true }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, noise(9));
  tmem.put(2, 0, O, 0, noise(9));
  tmem.put(2, 0, O, 1, noise(8));
  tmem.put(2, 1, O, 0, noise(9));
  const s = tmem.stats();
  assert.equal(s.dedupHits, 1);
  assert.equal(s.uniqueContents, 3);
  assert.equal(s.framesEphemeral, 2);
  assert.equal(s.framesPersistent, 1);
  const o = out();
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, noise(9));
  assert.equal(tmem.stats().framesEphemeral, 2, 'the other handle keeps the content');
  tmem.get(2, 0, O, 0, o);
  assert.equal(tmem.stats().framesEphemeral, 1);
  assertClean(hv);
});

test('TZE (with dedup): trailing zeros not stored, an all-zero page stores nothing; data read back exactly', () => {
  const { tmem, hv } = host(2000, { dedup: true, tze: true });
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, fill(0));
  assert.equal(tmem.stats().framesUsed, 0);
  for (let i = 1; i <= 8; i++) tmem.put(1, 0, O, i, noise(i, 400));
  // 400-byte prefixes go in 416-byte slots, 39 to a group of 4 frames.
  assert.equal(tmem.stats().framesUsed, 4, 'eight 400-byte prefixes share one group');
  const o = out();
  tmem.get(1, 0, O, 3, o);
  assert.deepEqual(o, noise(3, 400));
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, fill(0));
  assertClean(hv);
  const { tmem: off } = host(2000, { dedup: true, tze: true, compress: true });
  assert.equal(off.tzeEnabled, false, 'TZE is off when dedup and compression are both on');
});

test('dedup with TZE follows 4.3\'s pcd_associate: trimmed and all-zero pages are never deduplicated, whole pages are', () => {
  const { tmem, hv } = host(2000, { dedup: true, tze: true });
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, noise(5, 400));
  tmem.put(1, 0, O, 1, noise(5, 400)); // the same 400-byte prefix
  tmem.put(1, 0, O, 2, fill(0));
  tmem.put(1, 0, O, 3, fill(0));
  let st = tmem.stats();
  assert.equal(st.dedupHits, 0, 'no match for trimmed or zero pages');
  assert.equal(st.uniqueContents, 4);
  tmem.put(1, 0, O, 4, noise(6));
  tmem.put(1, 0, O, 5, noise(6)); // whole pages: matched
  st = tmem.stats();
  assert.equal(st.dedupHits, 1);
  assert.equal(st.uniqueContents, 5);
  const o = out();
  tmem.get(1, 0, O, 1, o);
  assert.deepEqual(o, noise(5, 400));
  assertClean(hv);
});

test('dedup: an uncompressed put takes a frame before looking for a match (4.3 do_tmem_put), so a duplicate needs room too', () => {
  const { tmem, hv } = host(4096, { dedup: true }, [[1, 1024], [2, 8192]]);
  tmem.newPool(1, { persistent: false, shared: false });
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(90)), { ok: true, rc: 1 });
  const p = hv.physinfo();
  assert.deepEqual(hv.claimPages(2, p.pagesFree + p.pagesFreeable), { ok: true });
  assert.deepEqual(tmem.put(1, 0, O, 1, fill(90)), { ok: false, errno: 'ENOMEM' }, 'the copy\'s frame is refused by the claim rule');
  assert.equal(tmem.stats().dedupHits, 0);
  assertClean(hv);
  // With room, the match gives the frame back: one frame for both handles.
  const h = host(4096, { dedup: true }, [[1, 1024]]);
  h.tmem.newPool(1, { persistent: false, shared: false });
  h.tmem.put(1, 0, O, 0, fill(90));
  h.tmem.put(1, 0, O, 1, fill(90));
  assert.equal(h.tmem.stats().framesUsed, 1);
  assert.equal(h.tmem.stats().dedupHits, 1);
  assertClean(h.hv);
});

test('dedup with TZE: a trimmed page that gets no room for its short copy stays whole in the frame it was copied into (4.3 pcd_associate)', () => {
  const { tmem, hv } = host(4096, { dedup: true, tze: true, lowMemPages: 0 }, [[1, 1024], [2, 8192]]);
  tmem.newPool(1, { persistent: false, shared: false });
  // One free page above the zone, and tmem holds nothing to relinquish: the copy's frame, and no more.
  assert.equal(hv.populatePhysmap(2, hv.acct.pagesFree - hv.alloc.midsizePages - 1).ok, true);
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(5, 400)), { ok: true, rc: 1 });
  assert.equal(tmem.stats().framesUsed, 1, 'stored whole: one frame');
  const o = out();
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, noise(5, 400));
  assertClean(hv);
});

test('a repeat put into a shared pool is the owner\'s: refused (ENOSPC, the old copy gone) while the owner migrates, whoever puts', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(1)), { ok: true, rc: 1 });
  tmem.control.saveBegin(2, undefined, 1); // the sharer migrates (and is frozen): its flag does not govern the owner's pool
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(2)), { ok: true, rc: 1 });
  tmem.control.saveEnd(2);
  tmem.control.saveBegin(1, undefined, 1); // the owner migrates
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(3)), { ok: false, errno: 'ENOSPC' });
  tmem.control.saveEnd(1);
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' }, 'the old copy went with the refused put');
  assertClean(hv);
});

test('compression: really compressed, packed into sub-page slots, poor pages stored whole', () => {
  const { tmem, hv } = host(2000, { compress: true, lowMemPages: 0 });
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 200; i++) tmem.put(1, 0, O, i, text(i));
  const s = tmem.stats();
  assert.equal(s.compressedPages, 200);
  assert.ok(s.framesUsed < 150, `200 text pages in ${s.framesUsed} frames`);
  tmem.put(1, 0, O, 999, noise(1));
  assert.equal(tmem.stats().compressedPages, 200, 'random bytes do not compress');
  const list = tmem.control.list(1);
  assert.ok(list.ok && list.clients[0].compressPoor === 1);
  const o = out();
  tmem.get(1, 0, O, 4, o);
  assert.deepEqual(o, text(4));
  assertClean(hv);
});

/** The client's count of poor compressions (domain 1). */
function compressPoor(t: Tmem): number {
  const l = t.control.list(1);
  assert.ok(l.ok);
  return l.clients[0].compressPoor;
}

test('synthetic store: a page compressing to under 4064 bytes is stored compressed; to 4064 it is stored whole and counted poor', () => {
  // Xen: compressed data must fit tmem's largest sub-allocation (4096 - 2*16
  // bytes on x86-64); data that does not is a poor compression, stored whole.
  assert.equal(SUBPAGE_LIMIT_BYTES, 4064);
  const { tmem, hv } = host(2000, { store: 'synthetic', compress: true, lowMemPages: 0 });
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, { fpHi: 0, fpLo: 1, compressedBytes: SUBPAGE_LIMIT_BYTES - 1 });
  assert.equal(tmem.stats().compressedPages, 1, 'limit - 1 bytes: compressed');
  assert.equal(compressPoor(tmem), 0);
  tmem.put(1, 0, O, 1, { fpHi: 0, fpLo: 2, compressedBytes: SUBPAGE_LIMIT_BYTES });
  assert.equal(tmem.stats().compressedPages, 1, 'limit bytes: stored whole');
  assert.equal(compressPoor(tmem), 1);
  assertClean(hv);
});

test('bytes store: a page compressing to under 4064 bytes is stored compressed; to 4064 it is stored whole and counted poor', () => {
  // Xen: compressed data must fit tmem's largest sub-allocation (4096 - 2*16
  // bytes on x86-64); data that does not is a poor compression, stored whole.
  const codec = defaultCodec();
  const scratch = new Uint8Array(codec.boundBytes);
  const under = noise(1, 4026);
  const at = noise(1, 4027);
  assert.equal(codec.compress(under, scratch), SUBPAGE_LIMIT_BYTES - 1, 'fixture: compresses to limit - 1 bytes');
  assert.equal(codec.compress(at, scratch), SUBPAGE_LIMIT_BYTES, 'fixture: compresses to limit bytes');
  const { tmem, hv } = host(2000, { compress: true, lowMemPages: 0 });
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, under);
  assert.equal(tmem.stats().compressedPages, 1, 'limit - 1 bytes: compressed');
  assert.equal(compressPoor(tmem), 0);
  tmem.put(1, 0, O, 1, at);
  assert.equal(tmem.stats().compressedPages, 1, 'limit bytes: stored whole');
  assert.equal(compressPoor(tmem), 1);
  const o = out();
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, under);
  tmem.get(1, 0, O, 1, o);
  assert.deepEqual(o, at);
  assertClean(hv);
});

test('compression lets a domain hold more persistent pages than max_pages, frames within it', () => {
  const { tmem, hv } = host(2000, { compress: true }, [[1, 4]]);
  tmem.newPool(1, { persistent: true, shared: false });
  let stored = 0;
  for (let i = 0; i < 1000 && tmem.put(1, 0, O, i, fill(i & 0xff)).ok; i++) stored++;
  const d = hv.domain(1);
  assert.ok(d !== undefined);
  assert.ok(stored > 4, `stored ${stored}`);
  assert.ok(d.pagesTot <= 4 && d.pagesTmemFrames === d.pagesTot);
  const e = tmem.control.enumerate(1);
  assert.ok(e.ok && e.rc === stored);
  assertClean(hv);
});

test('set_compress leaves the flag alone while dedup is on, yet answers 0 (4.3 tmemc_set_var drops the refusal); set_cap is stored only', () => {
  const { tmem } = host(2000, { dedup: true });
  tmem.newPool(1, { persistent: false, shared: false });
  assert.deepEqual(tmem.control.setCompress(1, true), { ok: true, rc: 0 });
  assert.deepEqual(tmem.control.setCompress(null, true), { ok: true, rc: 0 });
  assert.equal(tmem.control.setCap(1, 5).ok, true);
  const l = tmem.control.list(1);
  assert.ok(l.ok && l.clients[0].cap === 5);
  assert.equal(l.clients[0].compress, false, 'the flag did not change');
  assert.equal(l.global.erroredOps, 0, 'not an errored operation');
  const { tmem: t2 } = host(2000);
  t2.newPool(1, { persistent: false, shared: false });
  assert.deepEqual(t2.control.setCompress(1, true), { ok: true, rc: 0 });
  const l2 = t2.control.list(1);
  assert.ok(l2.ok && l2.clients[0].compress, 'without dedup the flag changes');
});

test('control on a domain with no tmem client: -1 in Xen (EPERM) for freeze, thaw, list, set_weight, set_cap, set_compress and a client flush; save subops ENOENT', () => {
  const { tmem } = host(2000, {}, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: false });
  const EPERM = { ok: false, errno: 'EPERM' };
  assert.deepEqual(tmem.control.freeze(2), EPERM);
  assert.deepEqual(tmem.control.thaw(2), EPERM);
  assert.deepEqual(tmem.control.list(2), EPERM);
  assert.deepEqual(tmem.control.setWeight(2, 3), EPERM);
  assert.deepEqual(tmem.control.setCap(2, 3), EPERM);
  assert.deepEqual(tmem.control.setCompress(2, true), EPERM);
  assert.deepEqual(tmem.control.flush(4, 1), EPERM, 'a client flush, even for a client that exists');
  assert.deepEqual(tmem.control.saveBegin(2), { ok: false, errno: 'ENOENT' });
  assert.deepEqual(tmem.control.freeze(null), { ok: true, rc: 0 });
});

test('control flush evicts as tmem_evict does for its caller: dom0, a client over its weighted share, loses its own oldest pages first', () => {
  // tmemc_flush_mem -> tmem_flush_npages -> tmem_evict, whose client is
  // current->domain's: the control caller's (domain 0), not nobody's.
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[0, 100], [1, 100]]);
  tmem.newPool(0, { persistent: false, shared: false });
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 2; i++) tmem.put(1, 0, O, i, noise(100 + i)); // the oldest pages: domain 1's
  for (let i = 0; i < 8; i++) tmem.put(0, 0, O, i, noise(i));
  tmem.control.setWeight(0, 1);
  tmem.control.setWeight(1, 1);
  // Domain 0 holds 8 of 10 pages with half the weight: over its share.
  assert.deepEqual(tmem.control.flush(8), { ok: true, rc: 8 });
  for (let i = 0; i < 2; i++) assert.deepEqual(tmem.get(1, 0, O, i, out()), { ok: true, rc: 1 }, `domain 1 page ${i} kept`);
  for (let i = 0; i < 2; i++) assert.deepEqual(tmem.get(0, 0, O, i, out()), { ok: true, rc: 0 }, `domain 0 page ${i} evicted (a miss)`);
  assert.equal(tmem.stats().ephemeralPages, 6, 'domain 0 pages 2 to 7 (the gets of domain 1 took its pages: private gets are exclusive)');
  assertClean(hv);
});

test('control flush returns KB freed; query_freeable_mb floors to MiB', () => {
  const { tmem, hv } = host(4000, { lowMemPages: 0 });
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 600; i++) tmem.put(1, 0, O, i, noise(i));
  assert.deepEqual(tmem.control.queryFreeableMb(), { ok: true, rc: 2 });
  assert.deepEqual(tmem.control.flush(10), { ok: true, rc: 12 });
  assert.deepEqual(tmem.control.flush(10, 1), { ok: false, errno: 'EPERM' });
  // tmemc_flush_mem rounds KiB up to pages in 32 bits: within 3 of 2^32 it wraps to 0 pages.
  assert.deepEqual(tmem.control.flush(0xfffffffd), { ok: true, rc: 0 });
  assert.deepEqual(tmem.control.flush(0xffffffff), { ok: true, rc: 0 });
  assert.equal(tmem.stats().ephemeralPages, 597);
  assert.deepEqual(tmem.control.flush(0xfffffffc), { ok: true, rc: 597 * 4 });
  assert.equal(hv.physinfo().pagesFreeable, 0);
});

test('save: begin freezes, enumerate lists the persistent handles, end restores', () => {
  const { tmem } = host(2000);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 1, [4, 5, 6], 7, fill(1));
  tmem.put(1, 1, O, 8, fill(2));
  tmem.put(1, 0, O, 9, fill(3));
  assert.equal(tmem.control.saveBegin(1).ok, true);
  assert.deepEqual(tmem.put(1, 1, O, 10, fill(2)), { ok: false, errno: 'EFROZEN' });
  const e = tmem.control.enumerate(1);
  assert.deepEqual(e, { ok: true, rc: 2, pages: [{ pool: 1, oid: [4, 5, 6], index: 7 }, { pool: 1, oid: [1, 2, 3], index: 8 }] });
  tmem.control.saveEnd(1);
  assert.deepEqual(tmem.put(1, 1, O, 10, fill(2)), { ok: true, rc: 1 });
});

test('put-put-get: a second put replaces; a failed second put leaves a miss (ENOSPC), never the old data', () => {
  const { tmem, hv } = host(2000, { compress: true }, [[1, 1]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  tmem.put(1, 0, O, 1, fill(2));
  tmem.put(1, 0, O, 2, fill(3));
  // The frame is shared by three compressed pages: replacing one by an
  // incompressible page needs a second frame, beyond max_pages.
  assert.deepEqual(tmem.put(1, 0, O, 1, noise(1)), { ok: false, errno: 'ENOSPC' });
  assert.deepEqual(tmem.get(1, 0, O, 1, out()), { ok: true, rc: 0 });
  const o = out();
  tmem.get(1, 0, O, 2, o);
  assert.deepEqual(o, fill(3));
  assertClean(hv);
});

test('synthetic store: same decisions as bytes, fingerprints round-trip', () => {
  const { tmem, hv } = host(2000, { store: 'synthetic', dedup: true, compress: true });
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, synth(text(1)));
  tmem.put(1, 0, O, 1, synth(text(1)));
  assert.equal(tmem.stats().dedupHits, 1);
  const o = { fpHi: 0, fpLo: 0, compressedBytes: 1 };
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, synth(text(1)));
  assertClean(hv);
});

test('thousands of pages: records grow past their first capacity, objects flushed and pools destroyed in index order, all consistent', () => {
  const { hv, tmem } = host(20000, { store: 'synthetic' }, [[1, 20000], [2, 20000]]);
  const eph = tmem.newPool(1, { persistent: false, shared: false });
  const pers = tmem.newPool(2, { persistent: true, shared: false });
  assert.ok(eph.ok && pers.ok);
  const page = { fpHi: 1, fpLo: 0, compressedBytes: 4096 };
  // 3 objects x 1500 pages each per pool, sparse indices so trees are several levels tall.
  for (let obj = 0; obj < 3; obj++) {
    for (let i = 0; i < 1500; i++) {
      page.fpLo = obj * 100000 + i + 1;
      const idx = i * 977 + obj;
      assert.deepEqual(tmem.put(1, eph.ok ? eph.rc : -1, [obj, 0, 0], idx, page), { ok: true, rc: 1 });
      assert.deepEqual(tmem.put(2, pers.ok ? pers.rc : -1, [obj, 0, 0], idx, page), { ok: true, rc: 1 });
    }
  }
  assertClean(hv, 'after 9000 puts');
  assert.equal(tmem.stats().ephemeralPages, 4500);
  assert.equal(tmem.stats().persistentPages, 4500);
  // A get through the grown records finds the right content.
  const out = { fpHi: 0, fpLo: 0, compressedBytes: 0 };
  assert.deepEqual(tmem.get(2, pers.ok ? pers.rc : -1, [1, 0, 0], 700 * 977 + 1, out), { ok: true, rc: 1 });
  assert.equal(out.fpLo, 100000 + 700 + 1);
  assert.deepEqual(tmem.flushObject(1, eph.ok ? eph.rc : -1, [1, 0, 0]), { ok: true, rc: 1 });
  assert.equal(tmem.stats().ephemeralPages, 3000);
  assertClean(hv, 'after flush object');
  assert.deepEqual(tmem.destroyPool(2, pers.ok ? pers.rc : -1), { ok: true, rc: 1 });
  assert.equal(tmem.stats().persistentPages, 0);
  assertClean(hv, 'after destroy pool');
});

test('dedup eviction: a walk that passes over every page meets the first again and evicts it', () => {
  // Xen 4.3 tmem_evict walks with list_for_each_entry_safe: pages passed
  // over go to the tail and the walk reaches them again in the same call.
  const { tmem, hv } = host(4096, { dedup: true }, [[1, 1024]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, fill(90));
  tmem.put(1, 0, O, 1, fill(90));
  assert.deepEqual(tmem.control.flush(4), { ok: true, rc: 4 }, 'one call frees the shared frame');
  assert.equal(tmem.stats().ephemeralPages, 0);
  assertClean(hv);
  const h = host(4096, { dedup: true }, [[1, 1024]]);
  h.tmem.newPool(1, { persistent: false, shared: false });
  h.tmem.put(1, 0, O, 0, fill(90));
  h.tmem.put(1, 0, O, 1, fill(90));
  assert.equal(h.tmem.relinquish(1), 1);
  assertClean(h.hv);
});

test('dedup eviction: a repeat put clears the passed-over mark', () => {
  const { tmem, hv } = host(4096, { dedup: true }, [[1, 1024]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.put(1, 0, O, 0, fill(1)); // A = X
  tmem.put(1, 0, O, 1, fill(1)); // B = X
  tmem.put(1, 0, O, 2, fill(3)); // C unique
  tmem.control.flush(4); // passes over A and B (marked), evicts C
  tmem.put(1, 0, O, 3, fill(2)); // D = Y
  tmem.put(1, 0, O, 0, fill(2)); // A := Y, its mark cleared (pcd_associate)
  tmem.put(1, 0, O, 4, fill(3)); // E unique, newest
  tmem.control.flush(4); // B (marked, X now its own) goes; A is passed over again
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 1 }, 'A kept');
  assert.deepEqual(tmem.get(1, 0, O, 1, out()), { ok: true, rc: 0 }, 'B evicted');
  assertClean(hv);
});

test('a repeat put compresses only if the old copy was compressed; poor compressions of repeat puts are not counted', () => {
  const { tmem, hv } = host(4096, { compress: true }, [[1, 1024]]);
  tmem.newPool(1, { persistent: true, shared: false });
  const client = () => {
    const l = tmem.control.list(1);
    assert.ok(l.ok);
    return l.clients[0];
  };
  tmem.put(1, 0, O, 0, noise(7)); // incompressible: stored whole, one poor compression
  assert.equal(client().compressPoor, 1);
  tmem.put(1, 0, O, 0, text(1)); // old copy whole: the new one is stored whole too
  assert.equal(tmem.stats().compressedPages, 0);
  assert.equal(client().compressedPages, 0);
  const o = out();
  tmem.get(1, 0, O, 0, o);
  assert.deepEqual(o, text(1));
  tmem.put(1, 0, O, 1, text(2)); // a new page: compressed
  assert.equal(tmem.stats().compressedPages, 1);
  tmem.put(1, 0, O, 1, text(3)); // old copy compressed: compressed again
  assert.equal(tmem.stats().compressedPages, 1);
  assert.equal(client().compressedPages, 1, 'the client counts compressed pages held now (cp)');
  tmem.put(1, 0, O, 1, noise(8)); // tried, poor: stored whole, not counted as poor
  assert.equal(tmem.stats().compressedPages, 0);
  assert.equal(client().compressedPages, 0);
  assert.equal(client().compressedBytes, 0);
  assert.equal(client().compressPoor, 1);
  assertClean(hv);
});

test('a client\'s compressed pages and bytes (cp, cb) are what it holds now, each dedup match counted at its size', () => {
  const { tmem, hv } = host(4096, { compress: true, dedup: true }, [[1, 1024]]);
  tmem.newPool(1, { persistent: false, shared: false });
  const client = () => {
    const l = tmem.control.list(1);
    assert.ok(l.ok);
    return l.clients[0];
  };
  for (let i = 0; i < 3; i++) assert.deepEqual(tmem.put(1, 0, O, i, text(5)), { ok: true, rc: 1 });
  assert.equal(tmem.stats().dedupHits, 2);
  const one = client().compressedBytes / 3;
  assert.ok(Number.isInteger(one) && one > 0 && one < PAGE, `three handles of ${one} bytes`);
  assert.equal(client().compressedPages, 3);
  for (let i = 3; i < 6; i++) tmem.put(1, 0, O, i, text(10 + i));
  const held = client().compressedBytes;
  assert.equal(client().compressedPages, 6);
  assert.deepEqual(tmem.flushPage(1, 0, O, 0), { ok: true, rc: 1 });
  assert.equal(client().compressedPages, 5);
  assert.equal(client().compressedBytes, held - one);
  assert.deepEqual(tmem.flushObject(1, 0, O), { ok: true, rc: 1 });
  assert.equal(client().compressedPages, 0);
  assert.equal(client().compressedBytes, 0);
  assertClean(hv);
});

test('save for a live migration: a repeat put fails with ENOSPC and flushes the old data until save_end', () => {
  const { tmem, hv } = host(4096, {}, [[1, 1000]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  tmem.put(1, 0, O, 1, fill(1));
  assert.deepEqual(tmem.control.run('save_begin', 1, 1, undefined), { ok: true, rc: 0 });
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(2)), { ok: false, errno: 'ENOSPC' });
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 0 });
  tmem.control.saveEnd(1);
  assert.deepEqual(tmem.put(1, 0, O, 1, fill(2)), { ok: true, rc: 1 });
  // A plain save (argument 0) only freezes: repeat puts are served.
  tmem.control.run('save_begin', 1, 0, undefined);
  assert.deepEqual(tmem.put(1, 0, O, 1, fill(3)), { ok: true, rc: 1 });
  assertClean(hv);
});

test('put-put-get: a put refused for low memory still removes the old copy', () => {
  const { tmem, hv } = host(1024, { lowMemPages: 8 }, [[1, 1024], [2, 1024]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.put(1, 0, O, 0, fill(1));
  tmem.put(1, 0, O, 1, fill(1));
  // 3 pages above the mid-size zone (1024 / 128 = 8), under the mark of 8; nothing to evict.
  hv.populatePhysmap(2, hv.acct.pagesFree - 11);
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(2)), { ok: false, errno: 'ENOMEM' });
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 0 }, 'neither the old data nor the new');
  assert.deepEqual(tmem.get(1, 0, O, 1, out()), { ok: true, rc: 1 }, 'other handles untouched');
  assertClean(hv);
});

test('a shared pool changing owner: its surviving pages join the new owner\'s LRU and count for its share, but are never evicted', () => {
  const { tmem, hv } = host(32, { lowMemPages: 4 }, [[1, 32], [2, 32], [3, 32]]);
  tmem.newPool(3, { persistent: false, shared: false });
  tmem.put(3, 0, O, 0, noise(1));
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID }); // pool 0 of domain 2
  tmem.newPool(2, { persistent: false, shared: false }); // pool 1
  for (let i = 0; i < 3; i++) {
    tmem.put(2, 0, O, i, noise(10 + i)); // on owner 1's LRU
    tmem.get(2, 0, O, i, out()); // got last by 2: survives 1 leaving
  }
  for (let i = 0; i < 3; i++) tmem.put(2, 1, O, i, noise(20 + i));
  hv.domainDestroy(1); // the shared pool passes to domain 2 (shared_pool_reassign), dying
  tmem.control.setWeight(2, 1);
  tmem.control.setWeight(3, 1);
  hv.populatePhysmap(3, hv.acct.pagesFree - 3); // below the mark
  // Domain 2 holds 6 of 7 pages with half the weight: its own LRU is walked,
  // the shared pool's pages (now at its oldest end) are passed over.
  tmem.put(2, 1, O, 3, noise(30));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'the dying shared pool\'s oldest page stayed');
  assert.deepEqual(tmem.get(2, 1, O, 0, out()), { ok: true, rc: 0 }, 'the oldest private page went');
  assert.deepEqual(tmem.get(3, 0, O, 0, out()), { ok: true, rc: 1 }, 'the other client\'s page stayed');
  assertClean(hv);
});

test('a destroyed client\'s weight stays in the total (client_weight_total changes only in set_weight)', () => {
  const { tmem, hv } = host(4096, { lowMemPages: 4062 }, [[1, 1024], [2, 1024], [3, 1024]]);
  for (const d of [1, 2, 3]) tmem.newPool(d, { persistent: false, shared: false });
  tmem.control.setWeight(1, 1);
  tmem.control.setWeight(2, 1);
  tmem.put(3, 0, O, 0, noise(3));
  tmem.put(1, 0, O, 0, noise(1));
  tmem.put(1, 0, O, 1, noise(2));
  hv.domainDestroy(2);
  // The total is still 2: domain 1, with 2 of 3 pages (66 %) against half the weight, is over its share.
  tmem.put(1, 0, O, 2, noise(4));
  assert.deepEqual(tmem.get(3, 0, O, 0, out()), { ok: true, rc: 1 }, 'the other client\'s page stayed');
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 0 }, 'domain 1 lost its own oldest page');
  assertClean(hv);
});

test('a put that needs a frame inside the mid-size zone evicts for the putter: its own LRU when it is over its share', () => {
  const { tmem, hv } = host(4096, { lowMemPages: 0 }, [[1, 1024], [2, 1024], [3, 8192]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  tmem.control.setWeight(1, 1);
  tmem.control.setWeight(2, 1);
  tmem.put(2, 0, O, 0, noise(2));
  for (let i = 0; i < 3; i++) tmem.put(1, 0, O, i, noise(10 + i));
  const zone = hv.alloc.midsizePages;
  hv.populatePhysmap(3, hv.acct.pagesFree - zone); // free = the zone: the next frame comes from tmem
  assert.deepEqual(tmem.put(1, 0, [2, 0, 0], 0, noise(5)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'the other client\'s older page stayed');
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 0 }, 'domain 1, over its share, lost its own oldest page');
  assertClean(hv);
});

test('a repeat put whose compressed data finds no room is ENOSPC and counts no out-of-memory compression; a new put counts one (do_tmem_dup_put, do_tmem_put)', () => {
  const { tmem, hv } = host(2000, { store: 'synthetic', compress: true, lowMemPages: 0 }, [[1, 3]]);
  tmem.newPool(1, { persistent: true, shared: false });
  // 1,500 bytes: one group of three frames, the domain's whole max_pages, with room for more slots.
  assert.deepEqual(tmem.put(1, 0, O, 0, { fpHi: 1, fpLo: 1, compressedBytes: 1500 }), { ok: true, rc: 1 });
  assert.deepEqual(tmem.put(1, 0, O, 1, { fpHi: 1, fpLo: 2, compressedBytes: 1500 }), { ok: true, rc: 1 });
  assert.equal(hv.domain(1)?.pagesTot, 3);
  // 100 bytes need a group of their own: no frame under max_pages.
  assert.deepEqual(tmem.put(1, 0, O, 0, { fpHi: 1, fpLo: 3, compressedBytes: 100 }), { ok: false, errno: 'ENOSPC' });
  const nomem = (): number => {
    const l = tmem.control.list(1);
    assert.ok(l.ok);
    return l.clients[0].compressNomem;
  };
  assert.equal(nomem(), 0, 'a repeat put counts no compress_nomem');
  assert.deepEqual(tmem.put(1, 0, O, 2, { fpHi: 1, fpLo: 4, compressedBytes: 100 }), { ok: false, errno: 'ENOMEM' });
  assert.equal(nomem(), 1, 'a new put counts one');
  assertClean(hv);
});

test('a sub-page group that needs frames inside the mid-size zone takes the rest from the free list once tmem holds nothing freeable', () => {
  const { tmem, hv } = host(4096, { store: 'synthetic', compress: true, lowMemPages: 0 }, [[1, 1024], [2, 1024], [3, 8192]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  assert.deepEqual(tmem.put(2, 0, O, 0, { fpHi: 2, fpLo: 2, compressedBytes: 4096 }), { ok: true, rc: 1 }); // one whole frame
  const zone = hv.alloc.midsizePages;
  hv.populatePhysmap(3, hv.acct.pagesFree - zone - 1); // one free page above the zone
  // 1,500 bytes: a group of three frames; one comes from above the zone, tmem gives back its one frame, the third is free.
  assert.deepEqual(tmem.put(1, 0, O, 0, { fpHi: 1, fpLo: 1, compressedBytes: 1500 }), { ok: true, rc: 1 });
  assert.equal(tmem.stats().evictions, 1);
  assert.equal(hv.acct.pagesFree, zone - 1);
  assert.equal(hv.acct.pagesFreeable, 3);
  assertClean(hv);
});

test('the default low-memory mark is Xen\'s 1 MiB, 1/128 of smaller hosts, at least 4 pages', () => {
  for (const [pages, mark] of [[256, 4], [1024, 8], [16384, 128], [32768, 256], [262144, 256]]) {
    assert.equal(host(pages, {}, []).tmem.lowMemPages, mark, `${pages} pages`);
  }
});

test('compressed ephemeral data needs one unclaimed page, not one per frame of its sub-page group', () => {
  // Xen takes the frames one at a time; moving a page from free to freeable
  // leaves free + freeable as it was, so each passes the claim rule as long
  // as some capacity is unclaimed.
  const { tmem, hv } = host(100, { store: 'synthetic', compress: true, lowMemPages: 0 }, [[1, 100], [2, 100]]);
  assert.deepEqual(hv.claimPages(1, 98), { ok: true });
  tmem.newPool(2, { persistent: false, shared: false });
  // 1,500 bytes: a size class whose slots come in groups of three frames.
  assert.deepEqual(tmem.put(2, 0, O, 0, { fpHi: 1, fpLo: 2, compressedBytes: 1500 }), { ok: true, rc: 1 });
  assert.equal(hv.physinfo().pagesFreeable, 3);
  assertClean(hv);
  // With no capacity unclaimed, nothing new is taken.
  const h = host(100, { store: 'synthetic', compress: true, lowMemPages: 0 }, [[1, 100], [2, 100]]);
  h.hv.claimPages(1, 100);
  h.tmem.newPool(2, { persistent: false, shared: false });
  assert.deepEqual(h.tmem.put(2, 0, O, 0, { fpHi: 1, fpLo: 2, compressedBytes: 1500 }), { ok: false, errno: 'ENOMEM' });
  assertClean(h.hv);
});

test('the mid-size zone: below 1/128 of memory, single pages come from tmem while it holds freeable frames', () => {
  // page_alloc.c: with tmem on, an order-0 allocation at or below
  // midsize_alloc_zone_pages goes to tmem_relinquish_pages, and fails when
  // tmem gives up, even with free pages left.
  const { tmem, hv } = host(1280, {}, [[1, 1280], [2, 1280]]);
  assert.equal(hv.alloc.midsizePages, 10);
  tmem.newPool(2, { persistent: false, shared: false });
  for (let i = 0; i < 1000; i++) tmem.put(2, 0, O, i, noise(i));
  assert.equal(hv.acct.pagesFree, 280);
  assert.deepEqual(hv.populatePhysmap(1, 500), { ok: true, done: 500 });
  assert.equal(hv.acct.pagesFree, 10, 'the zone was left alone');
  assert.equal(hv.acct.pagesFreeable, 770, '230 pages came from tmem');
  // One tmem_relinquish_pages call per page, each an attempt (Xen's Ra).
  assert.equal(tmem.stats().relinquishAttempts, 230);
  assertClean(hv);
  // Compressed pages share frames: ten evictions free none, tmem gives up,
  // and the populate fails with the zone's pages still free.
  const h = host(1280, { store: 'synthetic', compress: true }, [[1, 1280], [2, 1280]]);
  h.tmem.newPool(2, { persistent: false, shared: false });
  for (let i = 0; i < 10000; i++) h.tmem.put(2, 0, O, i, { fpHi: 0, fpLo: i + 1, compressedBytes: 200 });
  const free = h.hv.acct.pagesFree;
  assert.deepEqual(h.hv.populatePhysmap(1, free), { ok: false, errno: 'ENOMEM', done: free - 10 });
  assert.equal(h.hv.acct.pagesFree, 10);
  assertClean(h.hv);
});

test('the mid-size zone: tmem puts keep clear of it; in it, tmem\'s own frames come from evicting older ephemeral pages', () => {
  const { tmem, hv } = host(1280, {}, [[1, 1280], [2, 1280]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.newPool(1, { persistent: false, shared: false });
  // 15 free: 5 above the zone of 10, under the mark of 10, nothing to evict.
  hv.populatePhysmap(2, hv.acct.pagesFree - 15);
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(1)), { ok: false, errno: 'ENOMEM' });
  // Others allocate into the zone (tmem holds nothing to relinquish): below it,
  // Xen's unsigned free-minus-zone is huge and the put goes ahead.
  assert.deepEqual(hv.populatePhysmap(2, 10), { ok: true, done: 10 });
  assert.equal(hv.acct.pagesFree, 5);
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(1)), { ok: true, rc: 1 }, 'persistent, tmem holds nothing freeable');
  assert.deepEqual(tmem.put(1, 1, O, 0, fill(2)), { ok: true, rc: 1 }, 'the first ephemeral frame, from the free list');
  assert.equal(hv.acct.pagesFree, 3);
  // Now tmem holds a freeable frame: in the zone, a frame of its own comes
  // from relinquishing (an older ephemeral page is evicted), not the free list
  // — never a page of the object being written (Xen holds its lock).
  assert.deepEqual(tmem.put(1, 1, O, 1, fill(3)), { ok: false, errno: 'ENOMEM' }, 'the only older page is in the same object');
  assert.deepEqual(tmem.put(1, 1, [9, 9, 9], 1, fill(3)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.get(1, 1, O, 0, out()), { ok: true, rc: 0 }, 'the older page gave its frame');
  assert.equal(hv.acct.pagesFree, 3, 'the free list is untouched');
  assert.deepEqual(tmem.put(1, 0, O, 1, fill(4)), { ok: true, rc: 1 }, 'a persistent frame too');
  assert.equal(hv.acct.pagesFree, 3);
  assert.equal(hv.acct.pagesFreeable, 0);
  // tmem holds nothing freeable any more: the free list gives.
  assert.deepEqual(tmem.put(1, 0, O, 2, fill(5)), { ok: true, rc: 1 });
  assert.equal(hv.acct.pagesFree, 2);
  assertClean(hv);
});

test('the mid-size zone: a frame refused at max_pages or by a claim evicts nothing (Xen checks both before relinquishing)', () => {
  // Dom 3 is at its max_pages; dom 5 will claim everything. The others fill
  // the host into the zone while tmem holds nothing, then dom 2 puts one
  // ephemeral page: the only page a relinquish could evict.
  const { tmem, hv } = host(1280, {}, [[1, 1280], [2, 100], [3, 4], [5, 1280]]);
  assert.equal(hv.populatePhysmap(3, 4).ok, true);
  tmem.newPool(3, { persistent: true, shared: false });
  tmem.newPool(2, { persistent: false, shared: false });
  hv.populatePhysmap(1, hv.acct.pagesFree - 5);
  assert.ok(hv.acct.pagesFree < hv.alloc.midsizePages, 'in the zone');
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(1)), { ok: true, rc: 1 });
  assert.equal(hv.acct.pagesFreeable, 1);
  // __tmem_alloc_page_thispool refuses at max_pages before any allocation.
  assert.deepEqual(tmem.put(3, 0, O, 0, fill(2)), { ok: false, errno: 'ENOMEM' });
  assert.equal(tmem.stats().evictions, 0, 'max_pages: nothing evicted');
  // alloc_heap_pages applies the claim rule before its tmem branch.
  assert.deepEqual(hv.claimPages(5, hv.acct.pagesFree + hv.acct.pagesFreeable), { ok: true });
  assert.deepEqual(tmem.put(2, 0, [9, 9, 9], 0, fill(3)), { ok: false, errno: 'ENOMEM' });
  assert.equal(tmem.stats().evictions, 0, 'claim: nothing evicted');
  const got = out();
  assert.deepEqual(tmem.get(2, 0, O, 0, got), { ok: true, rc: 1 }, 'the ephemeral page is still there');
  assert.equal(got[0], 1);
  assertClean(hv);
});

// ---- Facts an audit against Xen's tmem.c found unguarded (a mutation of the source survived each).

test('a repeat put keeps the page where it was on the LRUs: do_tmem_dup_put replaces the data and re-lists nothing', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 });
  tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 0; i < 4; i++) assert.deepEqual(tmem.put(1, 0, O, i, noise(i)), { ok: true, rc: 1 });
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(9)), { ok: true, rc: 1 }, 'new data for the oldest handle');
  assert.equal(tmem.relinquish(1), 1);
  assert.deepEqual(tmem.get(1, 0, O, 0, out()), { ok: true, rc: 0 }, 'still the oldest: evicted first');
  const got = out();
  assert.deepEqual(tmem.get(1, 0, O, 1, got), { ok: true, rc: 1 });
  assert.deepEqual(got, noise(1));
  assertClean(hv);
});

test('a put under the low-memory mark fails after exactly ten evictions that found nothing (4.12 tmem_ensure_avail_pages)', () => {
  const { tmem, hv } = host(64, { lowMemPages: 4 }, [[1, 64]]);
  tmem.newPool(1, { persistent: false, shared: false });
  assert.equal(hv.populatePhysmap(1, 62).ok, true);
  assert.ok(hv.acct.pagesFree - hv.alloc.midsizePages < tmem.lowMemPages, 'under the mark');
  const before = tmem.stats().evictAttempts;
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(1)), { ok: false, errno: 'ENOMEM' });
  assert.equal(tmem.stats().evictAttempts - before, 10, 'ten tries, then ENOMEM');
  assertClean(hv);
});

test('TZE applies only where dedup does (4.3 pcd_associate): not without dedup, never to persistent pages', () => {
  // Eight 400-byte prefixes would share one 4-frame group if trimmed (see the TZE test above).
  const alone = host(2000, { tze: true });
  alone.tmem.newPool(1, { persistent: false, shared: false });
  for (let i = 1; i <= 8; i++) alone.tmem.put(1, 0, O, i, noise(i, 400));
  assert.equal(alone.tmem.stats().framesEphemeral, 8, 'tze without dedup: stored whole');
  assertClean(alone.hv);
  const pers = host(2000, { dedup: true, tze: true });
  pers.tmem.newPool(1, { persistent: true, shared: false });
  for (let i = 1; i <= 8; i++) pers.tmem.put(1, 0, O, i, noise(i, 400));
  assert.equal(pers.tmem.stats().framesPersistent, 8, 'persistent pages: stored whole');
  const got = out();
  assert.deepEqual(pers.tmem.get(1, 0, O, 3, got), { ok: true, rc: 1 });
  assert.deepEqual(got, noise(3, 400));
  assertClean(pers.hv);
});

test('a persistent frame passes the claim rule: another domain\'s claim refuses it (ENOMEM), nothing charged', () => {
  const { tmem, hv } = host(100, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: true, shared: false });
  assert.deepEqual(hv.claimPages(2, 100), { ok: true });
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(1)), { ok: false, errno: 'ENOMEM' });
  const d1 = hv.domain(1);
  const d2 = hv.domain(2);
  assert.ok(d1 !== undefined && d2 !== undefined);
  assert.equal(d1.pagesTot, 0);
  assert.equal(d1.pagesTmemFrames, 0);
  assert.equal(d2.pagesOutstanding, 100, 'the claim is intact');
  assert.deepEqual(hv.claimPages(2, 0), { ok: true });
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(1)), { ok: true, rc: 1 }, 'claim cancelled: stored');
  assert.equal(d1.pagesTot, 1);
  assertClean(hv);
});

test('a persistent frame is covered by its own domain\'s claim when every page is claimed (alloc_heap_pages: d->outstanding_pages >= request)', () => {
  const { tmem, hv } = host(100, { lowMemPages: 0 }, [[1, 100]]);
  tmem.newPool(1, { persistent: true, shared: false });
  assert.deepEqual(hv.claimPages(1, 100), { ok: true });
  assert.equal(hv.acct.pagesUnclaimed, 0);
  assert.deepEqual(tmem.put(1, 0, O, 0, noise(1)), { ok: true, rc: 1 }, 'the claimant\'s own claim covers the frame');
  const d = hv.domain(1);
  assert.ok(d !== undefined);
  assert.equal(d.pagesTot, 1);
  assert.equal(d.pagesOutstanding, 99, 'the frame consumed one claimed page');
  assert.equal(hv.physinfo().pagesOutstanding, 99);
  assertClean(hv);
});

test('an ephemeral frame needs exactly one unclaimed page: outstanding + 1 <= free + freeable passes', () => {
  const { tmem, hv } = host(100, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(2, { persistent: false, shared: false });
  assert.deepEqual(hv.claimPages(1, 99), { ok: true });
  assert.equal(hv.acct.pagesUnclaimed, 1);
  assert.deepEqual(tmem.put(2, 0, O, 0, noise(1)), { ok: true, rc: 1 });
  assert.equal(hv.physinfo().pagesFreeable, 1);
  assertClean(hv);
});

test('flush_object in a shared pool answers to the owner\'s frozen flag, whoever calls, and is done either way', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  tmem.put(2, 0, O, 0, fill(1));
  tmem.put(2, 0, [4, 4, 4], 0, fill(2));
  tmem.control.freeze(1);
  assert.deepEqual(tmem.flushObject(2, 0, O), { ok: false, errno: 'EFROZEN' }, 'the owner is frozen');
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 0 }, 'flushed all the same');
  tmem.control.thaw(1);
  tmem.control.freeze(2);
  assert.deepEqual(tmem.flushObject(2, 0, [4, 4, 4]), { ok: true, rc: 1 }, 'a frozen sharer, a thawed owner');
  assert.equal(tmem.stats().ephemeralPages, 0);
  assertClean(hv);
});

test('control shared_auth with no client lets every client join shared pools; clearing it needs authorisation again', () => {
  const { tmem, hv } = host(2000, { sharedAuth: true, lowMemPages: 0 }, [[1, 100], [2, 100], [3, 100]]);
  assert.deepEqual(tmem.control.sharedAuth(null, '', true), { ok: true, rc: 1 });
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  assert.equal(tmem.stats().sharedPools, 1);
  tmem.put(1, 0, O, 0, fill(1));
  assert.deepEqual(tmem.get(2, 0, O, 0, out()), { ok: true, rc: 1 }, 'joined without a per-client authorisation');
  assert.deepEqual(tmem.control.sharedAuth(null, '', false), { ok: true, rc: 1 });
  tmem.newPool(3, { persistent: false, shared: true, uuid: UUID });
  assert.deepEqual(tmem.get(3, 0, O, 0, out()), { ok: false, errno: 'EEMPTY' }, 'not authorised: a private pool');
  assertClean(hv);
});

test('list counts per client what Xen counts: successful persistent puts (new and repeat) and gets, found ephemeral gets (a shared pool\'s for its owner); misses and refusals not', () => {
  const { tmem, hv } = host(2000, { lowMemPages: 0 }, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: false, shared: false });
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.newPool(1, { persistent: false, shared: true, uuid: UUID });
  tmem.newPool(2, { persistent: false, shared: true, uuid: UUID });
  tmem.put(1, 1, O, 0, fill(1));
  tmem.put(1, 1, O, 0, fill(2)); // a repeat put: do_tmem_dup_put counts it too
  tmem.get(1, 1, O, 0, out());
  tmem.get(1, 1, O, 1, out()); // a miss
  tmem.put(1, 0, O, 0, fill(3));
  tmem.get(1, 0, O, 0, out());
  tmem.get(1, 0, O, 0, out()); // exclusive: now a miss
  tmem.put(2, 0, O, 0, fill(4));
  tmem.get(2, 0, O, 0, out()); // domain 2's get in domain 1's shared pool
  tmem.control.freeze(1);
  tmem.put(1, 1, O, 5, fill(5)); // EFROZEN
  const errored = tmem.stats().erroredOps;
  assert.deepEqual(tmem.flushPage(1, 1, O, 5), { ok: false, errno: 'EFROZEN' });
  assert.equal(tmem.stats().erroredOps, errored + 1, 'an EFROZEN answer is an errored operation (rc < 0)');
  const l = tmem.control.list(null);
  assert.ok(l.ok);
  const [c1, c2] = l.clients;
  assert.deepEqual([c1.persistentPuts, c1.persistentGets, c1.ephemeralGets], [2, 1, 2], 'Pp, Gp, Ge of the owner');
  assert.deepEqual([c2.persistentPuts, c2.persistentGets, c2.ephemeralGets], [0, 0, 0], 'the sharer counts nothing');
  assertClean(hv);
});

test('save_end puts back the frozen state from before save_begin; save_begin needs a client with a pool (ENOENT)', () => {
  const { tmem } = host(2000, {}, [[1, 100], [2, 100]]);
  tmem.newPool(1, { persistent: true, shared: false });
  tmem.control.freeze(1);
  assert.deepEqual(tmem.control.saveBegin(1), { ok: true, rc: 0 });
  assert.deepEqual(tmem.control.saveEnd(1), { ok: true, rc: 0 });
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(1)), { ok: false, errno: 'EFROZEN' }, 'frozen before the save: still frozen');
  tmem.control.thaw(1);
  tmem.control.saveBegin(1);
  tmem.control.saveEnd(1);
  assert.deepEqual(tmem.put(1, 0, O, 0, fill(1)), { ok: true, rc: 1 }, 'thawed before the save: thawed again');
  tmem.newPool(2, { persistent: false, shared: false });
  tmem.destroyPool(2, 0);
  assert.deepEqual(tmem.control.saveBegin(2), { ok: false, errno: 'ENOENT' }, 'a client with no pool');
  assert.deepEqual(tmem.put(2, 0, O, 0, fill(1)), { ok: false, errno: 'ENODEV' });
  assert.equal((tmem.control.list(2) as { clients: { frozen: boolean }[] }).clients[0].frozen, false, 'not frozen by the refused save');
});
