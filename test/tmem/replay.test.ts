// The tmem replay vocabulary end to end: requests in, results out, line
// errors with their line number, physinfo's tmem object.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replay } from './helpers.ts';

const PAGE_B64 = Buffer.alloc(4096, 0x5a).toString('base64');

test('replay: pools, put (data and fill), get returns the data, exclusive, EEMPTY, physinfo tmem', async () => {
  const { out, status } = await replay([
    { op: 'host', pages: 4096, tmem: { dedup: true, compress: false } },
    { op: 'domain_create', domid: 1, max_pages: 100 },
    { op: 'tmem_new_pool', domid: 1, persistent: false, shared: false },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 0, data: PAGE_B64 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 1, fill: 0x5a },
    { op: 'physinfo' },
    { op: 'tmem_get', domid: 1, pool: 0, oid: [1, 2, 3], index: 0 },
    { op: 'tmem_get', domid: 1, pool: 0, oid: [1, 2, 3], index: 0 },
    { op: 'tmem_flush_object', domid: 1, pool: 0, oid: [1, 2, 3] },
    { op: 'tmem_get', domid: 1, pool: 0, oid: [1, 2, 3], index: 1 },
    { op: 'tmem_destroy_pool', domid: 1, pool: 0 },
  ]);
  assert.equal(status, 0);
  assert.deepEqual(out[2], { ok: true, rc: 0 });
  assert.deepEqual(out[3], { ok: true, rc: 1 });
  assert.deepEqual(out[5].tmem, { ephemeral_pages: 2, persistent_pages: 0, frames_used: 1, unique_contents: 1, dedup_hits: 1, compressed_pages: 0, evictions: 0 });
  assert.deepEqual(out[6], { ok: true, rc: 1, data: PAGE_B64 });
  assert.deepEqual(out[7], { ok: true, rc: 0 });
  assert.deepEqual(out[9], { ok: false, errno: 'EEMPTY' });
  assert.deepEqual(out[10], { ok: true, rc: 1 });
});

test('replay: line errors name the line and the field; status 2', async () => {
  const { out, status } = await replay([
    { op: 'host', pages: 1000, tmem: {} },
    { op: 'domain_create', domid: 1, max_pages: 100 },
    { op: 'tmem_new_pool', domid: 1, shared: true, uuid: 'xyz' },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 0, data: 'QUJD' },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2], index: 0, fill: 1 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 0 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 0, fill: 1, data: PAGE_B64 },
    { op: 'tmem_control', subop: 'explode' },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 0, data: '!!!!' },
    { op: 'tmem_get', domid: 1, pool: 0, oid: [1, 2 ** 53, 3], index: 0 },
  ]);
  assert.equal(status, 2);
  assert.match(String(out[2].error), /^line 3: field "uuid": expected a UUID as 32 hex digits/);
  assert.match(String(out[3].error), /^line 4: field "data": expected base64 of exactly 4096 bytes, found 3 bytes/);
  assert.match(String(out[4].error), /^line 5: field "oid"/);
  assert.match(String(out[5].error), /^line 6: give exactly one of "data", "fill" or "fp"/);
  assert.match(String(out[6].error), /^line 7: give exactly one/);
  assert.match(String(out[7].error), /^line 8: field "subop"/);
  assert.match(String(out[8].error), /^line 9: field "data": expected base64/);
  assert.match(String(out[9].error), /^line 10: field "oid": expected an array of three non-negative integers below 2\^53, found an array of 3 whose word 1 is 9007199254740992/);
});

test('replay: tmem_new_pool "flags" is Xen\'s flags word; it replaces the flag fields', async () => {
  const { out, status } = await replay([
    { op: 'host', pages: 1000, tmem: {} },
    { op: 'domain_create', domid: 1, max_pages: 100 },
    { op: 'tmem_new_pool', domid: 1, flags: 0x01000001 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 2, 3], index: 0, fill: 1 },
    { op: 'physinfo' },
    { op: 'tmem_new_pool', domid: 1, flags: 0x01000004 },
    { op: 'tmem_new_pool', domid: 1, flags: 0x01000100 },
    { op: 'tmem_new_pool', domid: 1, flags: 0x01000002, uuid: '0123456789abcdef0123456789abcdef' },
    { op: 'tmem_new_pool', domid: 1, flags: 0x01000000, persistent: true },
    { op: 'tmem_new_pool', domid: 1, flags: 2 ** 32 },
  ]);
  assert.equal(status, 2);
  assert.deepEqual(out[2], { ok: true, rc: 0 });
  assert.equal((out[4].tmem as Record<string, unknown>).persistent_pages, 1, 'bit 0: persistent');
  assert.deepEqual(out[5], { ok: false, errno: 'EPERM' }, 'precompressed');
  assert.deepEqual(out[6], { ok: false, errno: 'EPERM' }, 'reserved bit');
  assert.deepEqual(out[7], { ok: true, rc: 1 }, 'shared');
  assert.match(String(out[8].error), /^line 9: "flags" carries persistent, shared, page_size, spec_version; give it or them, found "flags" and "persistent"/);
  assert.match(String(out[9].error), /^line 10: field "flags": expected a flags word \(an integer from 0 to 4294967295\)/);
});

test('replay: tmem off -> ENODEV; caller rules; control list and flush', async () => {
  const off = await replay([
    { op: 'host', pages: 1000 },
    { op: 'domain_create', domid: 1, max_pages: 100 },
    { op: 'tmem_new_pool', domid: 1 },
  ]);
  assert.deepEqual(off.out[2], { ok: false, errno: 'ENODEV' });
  const { out } = await replay([
    { op: 'host', pages: 1000, tmem: { store: 'synthetic' } },
    { op: 'domain_create', domid: 1, max_pages: 100 },
    { op: 'domain_create', domid: 2, max_pages: 100 },
    { op: 'tmem_new_pool', domid: 1, caller: 1 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [0, 0, 0], index: 0, fill: 3, caller: 2 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [0, 0, 0], index: 0, fp: '00000000000000ff', compressed_bytes: 100, caller: 1 },
    { op: 'tmem_control', subop: 'freeze', domid: 1, caller: 1 },
    { op: 'tmem_control', subop: 'freeze', domid: 1 },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [0, 0, 0], index: 1, fill: 3 },
    { op: 'tmem_control', subop: 'list', domid: 1 },
    { op: 'tmem_control', subop: 'flush', arg: 4 },
    { op: 'tmem_control', subop: 'query_freeable_mb' },
  ]);
  assert.deepEqual(out[3], { ok: true, rc: 0 });
  assert.deepEqual(out[4], { ok: false, errno: 'EPERM' });
  assert.deepEqual(out[5], { ok: true, rc: 1 });
  assert.deepEqual(out[6], { ok: false, errno: 'EPERM' });
  assert.deepEqual(out[7], { ok: true, rc: 0 });
  assert.deepEqual(out[8], { ok: false, errno: 'EFROZEN' });
  const clients = out[9].clients as Record<string, unknown>[];
  assert.equal(clients[0].frozen, true);
  assert.equal(clients[0].ephemeral_pages, 1);
  assert.deepEqual(out[10], { ok: true, rc: 4 });
  assert.deepEqual(out[11], { ok: true, rc: 0 });
});
