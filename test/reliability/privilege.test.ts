// Privilege (issue 8): replay requests may carry "caller": D (default 0, the
// privileged toolstack). Only the privileged caller creates and destroys
// domains, claims, sets max_mem and uses tmem control; a guest's tmem
// requests act only on its own pools; joining a shared pool needs
// authorisation for its UUID when the host asks for it. Each refusal answers
// EPERM and changes nothing: the whole observable state (physinfo with its
// tmem object, every domain_info, tmem list, the stored data) is the same
// before and after.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplaySession } from '../../src/replay/session.ts';
import { replayExtensions } from '../../src/replay/extensions.ts';

type Res = Record<string, unknown>;
const UUID = '0123456789abcdef0123456789abcdef';
const HANDLE = { oid: [1, 2, 3], index: 4 };

class Replay {
  readonly session = new ReplaySession(replayExtensions());
  private line = 0;
  run(request: object): Res {
    const { result, lineError } = this.session.runLine(JSON.stringify(request), ++this.line);
    assert.equal(lineError, false, JSON.stringify(result));
    return result;
  }
  /**
   * Everything a refusal must not change (tmem's op counters aside: a refused
   * op is still counted; and the clients' get counts, which this snapshot's
   * own `enumerate` raises, as Xen's save counts a get per page it copies out).
   */
  state(): string {
    const parts: unknown[] = [this.run({ op: 'physinfo' })];
    for (const d of [1, 2, 3]) parts.push(this.run({ op: 'domain_info', domid: d }));
    const list = this.run({ op: 'tmem_control', subop: 'list' });
    const global = { ...(list.global as Res) };
    for (const k of ['total_ops', 'errored_ops']) delete global[k];
    const clients = (list.clients as Res[]).map((c) => {
      const { persistent_gets: _, ...rest } = c;
      return rest;
    });
    parts.push(global, clients);
    for (const d of [1, 2]) parts.push(this.run({ op: 'tmem_control', subop: 'enumerate', domid: d }));
    return JSON.stringify(parts);
  }
}

/**
 * A host with two guests, each with RAM, a private ephemeral pool (0), a
 * persistent pool (1) holding one page, and a shared pool (2); domain 1 has
 * an outstanding claim; domain 3 exists with no tmem.
 */
function world(sharedAuth = false): Replay {
  const r = new Replay();
  r.run({ op: 'host', pages: 4096, tmem: { store: 'bytes', shared_auth: sharedAuth } });
  for (const d of [1, 2, 3]) r.run({ op: 'domain_create', domid: d, max_pages: 1000 });
  for (const d of [1, 2]) {
    r.run({ op: 'populate_physmap', domid: d, pages: 100 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: d, caller: d }), { ok: true, rc: 0 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: d, persistent: true, caller: d }), { ok: true, rc: 1 });
    if (sharedAuth) assert.deepEqual(r.run({ op: 'tmem_control', subop: 'shared_auth', domid: d, uuid: UUID, arg: 1 }), { ok: true, rc: 1 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: d, shared: true, uuid: UUID, caller: d }), { ok: true, rc: 2 });
    for (const pool of [0, 1, 2]) assert.deepEqual(r.run({ op: 'tmem_put', domid: d, pool, ...HANDLE, fill: d, caller: d }), { ok: true, rc: 1 });
  }
  assert.deepEqual(r.run({ op: 'claim_pages', domid: 1, pages: 500 }), { ok: true });
  return r;
}

/** Runs `request` from `caller`: it must answer `expected` (EPERM) and change nothing. */
function refused(r: Replay, request: object, caller: number, expected: Res = { ok: false, errno: 'EPERM' }): void {
  const before = r.state();
  assert.deepEqual(r.run({ ...request, caller }), expected, JSON.stringify(request));
  assert.equal(r.state(), before, `${JSON.stringify(request)} from ${caller} changed the state`);
}

describe('only the privileged caller manages domains', () => {
  test('domain_create: EPERM from a guest, for another domain or itself', () => {
    const r = world();
    refused(r, { op: 'domain_create', domid: 7, max_pages: 10 }, 1);
    refused(r, { op: 'domain_create', domid: 7, max_pages: 10 }, 7);
    assert.deepEqual(r.run({ op: 'domain_info', domid: 7 }), { ok: false, errno: 'ESRCH' });
  });

  test('domain_destroy: EPERM from a guest, even of itself; its memory, claim and tmem stay', () => {
    const r = world();
    refused(r, { op: 'domain_destroy', domid: 2 }, 1);
    refused(r, { op: 'domain_destroy', domid: 1 }, 1);
  });

  test('claim_pages: EPERM from a guest (staking, and cancelling its own claim)', () => {
    const r = world();
    refused(r, { op: 'claim_pages', domid: 2, pages: 300 }, 2);
    refused(r, { op: 'claim_pages', domid: 1, pages: 0 }, 1);
    refused(r, { op: 'claim_pages', domid: 1, pages: 0 }, 2);
  });

  test('max_mem: EPERM from a guest, raising its own or lowering another', () => {
    const r = world();
    refused(r, { op: 'max_mem', domid: 1, max_pages: 4000 }, 1);
    refused(r, { op: 'max_mem', domid: 2, max_pages: 0 }, 1);
  });

  test('populate and decrease another domain\'s reservation: EPERM', () => {
    const r = world();
    refused(r, { op: 'populate_physmap', domid: 2, pages: 10 }, 1, { ok: false, errno: 'EPERM', done: 0 });
    refused(r, { op: 'decrease_reservation', domid: 2, pages: 10 }, 1);
    // Its own: allowed.
    assert.deepEqual(r.run({ op: 'decrease_reservation', domid: 2, pages: 10, caller: 2 }), { ok: true, done: 10 });
  });

  test('physinfo and domain_info, also of itself (getdomaininfo is XSM_XS_PRIV): EPERM', () => {
    const r = world();
    refused(r, { op: 'physinfo' }, 1);
    refused(r, { op: 'domain_info', domid: 2 }, 1);
    refused(r, { op: 'domain_info', domid: 1 }, 1);
  });
});

describe('only the privileged caller uses tmem control', () => {
  const subops: Res[] = [
    { subop: 'freeze', domid: 1 },
    { subop: 'freeze' },
    { subop: 'thaw', domid: 1 },
    { subop: 'flush', arg: 1024 },
    { subop: 'query_freeable_mb' },
    { subop: 'set_weight', domid: 1, arg: 5 },
    { subop: 'set_cap', domid: 1, arg: 5 },
    { subop: 'set_compress', domid: 1, arg: 1 },
    { subop: 'list' },
    { subop: 'list', domid: 2 },
    { subop: 'shared_auth', domid: 1, uuid: UUID, arg: 1 },
    { subop: 'shared_auth', arg: 1 },
    { subop: 'save_begin', domid: 1 },
    { subop: 'save_end', domid: 1 },
    { subop: 'enumerate', domid: 2 },
  ];
  for (const s of subops) {
    test(`tmem_control ${JSON.stringify(s)} from a guest: EPERM, nothing changes`, () => {
      const r = world();
      refused(r, { op: 'tmem_control', ...s }, 1);
      refused(r, { op: 'tmem_control', ...s }, 2);
    });
  }

  test('a guest cannot freeze itself: after the refusal its puts still succeed', () => {
    const r = world();
    refused(r, { op: 'tmem_control', subop: 'freeze', domid: 1 }, 1);
    assert.deepEqual(r.run({ op: 'tmem_put', domid: 1, pool: 0, oid: [9, 9, 9], index: 0, fill: 1, caller: 1 }), { ok: true, rc: 1 });
  });
});

describe("a guest's tmem requests act only on its own pools", () => {
  const own = { domid: 1 };
  const cases: [string, Res][] = [
    ['tmem_new_pool for another domain', { op: 'tmem_new_pool', ...own, persistent: true }],
    ['tmem_put into another client\'s private pool', { op: 'tmem_put', ...own, pool: 0, ...HANDLE, fill: 9 }],
    ['tmem_put into another client\'s persistent pool', { op: 'tmem_put', ...own, pool: 1, ...HANDLE, fill: 9 }],
    ['tmem_get from another client\'s private pool (an exclusive get would consume it)', { op: 'tmem_get', ...own, pool: 0, ...HANDLE }],
    ['tmem_get from another client\'s persistent pool', { op: 'tmem_get', ...own, pool: 1, ...HANDLE }],
    ['tmem_flush_page in another client\'s pool', { op: 'tmem_flush_page', ...own, pool: 1, ...HANDLE }],
    ['tmem_flush_object in another client\'s pool', { op: 'tmem_flush_object', ...own, pool: 1, oid: HANDLE.oid }],
    ['tmem_destroy_pool of another client\'s pool', { op: 'tmem_destroy_pool', ...own, pool: 1 }],
    ['tmem_destroy_pool of another client\'s shared pool slot', { op: 'tmem_destroy_pool', ...own, pool: 2 }],
  ];
  for (const [what, request] of cases) {
    test(`${what}: EPERM, nothing changes`, () => {
      const r = world();
      refused(r, request, 2);
      refused(r, request, 3);
      refused(r, request, 9);
      // The owner still has its data.
      assert.deepEqual(r.run({ op: 'tmem_get', domid: 1, pool: 1, ...HANDLE, caller: 1 }).rc, 1);
    });
  }

  test('a pool id is local to its client: guest 2 naming its own pool 0 reaches its own pool, not guest 1\'s', () => {
    const r = world();
    const got = r.run({ op: 'tmem_get', domid: 2, pool: 0, ...HANDLE, caller: 2 });
    assert.deepEqual(got, { ok: true, rc: 1, data: Buffer.alloc(4096, 2).toString('base64') });
    assert.equal(r.run({ op: 'tmem_get', domid: 1, pool: 0, ...HANDLE, caller: 1 }).data, Buffer.alloc(4096, 1).toString('base64'));
  });
});

describe('joining a shared pool needs authorisation for its UUID (host option shared_auth)', () => {
  const OTHER = 'fedcba9876543210fedcba9876543210';

  test('an unauthorised client does not join: it gets a private pool (Xen), and the shared pool is untouched', () => {
    const r = world(true);
    // Domain 3 is not authorised for UUID: its "shared" pool is its own private pool.
    const before = r.run({ op: 'tmem_get', domid: 1, pool: 2, ...HANDLE, caller: 1 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: 3, shared: true, uuid: UUID, caller: 3 }), { ok: true, rc: 0 });
    assert.deepEqual(r.run({ op: 'tmem_get', domid: 3, pool: 0, ...HANDLE, caller: 3 }), { ok: false, errno: 'EEMPTY' }, 'sees none of the shared data');
    assert.deepEqual(r.run({ op: 'tmem_put', domid: 3, pool: 0, ...HANDLE, fill: 3, caller: 3 }), { ok: true, rc: 1 });
    assert.deepEqual(r.run({ op: 'tmem_get', domid: 1, pool: 2, ...HANDLE, caller: 1 }), before, 'the shared pool still holds its own data');
    const list = r.run({ op: 'tmem_control', subop: 'list' });
    assert.equal((list.global as Res).shared_pools, 1);
  });

  test('a guest cannot authorise itself (EPERM, nothing changes); the toolstack can, and then the guest joins', () => {
    const r = world(true);
    refused(r, { op: 'tmem_control', subop: 'shared_auth', domid: 3, uuid: UUID, arg: 1 }, 3);
    r.run({ op: 'tmem_new_pool', domid: 3, persistent: true, caller: 3 }); // domain 3 becomes a tmem client
    refused(r, { op: 'tmem_control', subop: 'shared_auth', domid: 3, uuid: UUID, arg: 1 }, 3);
    refused(r, { op: 'tmem_control', subop: 'shared_auth', arg: 1 }, 3);
    assert.deepEqual(r.run({ op: 'tmem_control', subop: 'shared_auth', domid: 3, uuid: UUID, arg: 1 }), { ok: true, rc: 1 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: 3, shared: true, uuid: UUID, caller: 3 }), { ok: true, rc: 1 });
    assert.deepEqual(r.run({ op: 'tmem_get', domid: 3, pool: 1, ...HANDLE, caller: 3 }), { ok: true, rc: 1, data: Buffer.alloc(4096, 2).toString('base64') });
  });

  test('authorisation is per UUID: authorised for one UUID does not let a client join another', () => {
    const r = world(true);
    r.run({ op: 'tmem_control', subop: 'shared_auth', domid: 2, uuid: OTHER, arg: 1 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: 1, shared: true, uuid: OTHER, caller: 1 }), { ok: true, rc: 3 });
    // Domain 1 is not authorised for OTHER: private; domain 2 is: it creates the shared pool OTHER, which 1 is not in.
    assert.deepEqual(r.run({ op: 'tmem_put', domid: 1, pool: 3, ...HANDLE, fill: 7, caller: 1 }), { ok: true, rc: 1 });
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: 2, shared: true, uuid: OTHER, caller: 2 }), { ok: true, rc: 3 });
    assert.deepEqual(r.run({ op: 'tmem_get', domid: 2, pool: 3, ...HANDLE, caller: 2 }), { ok: false, errno: 'EEMPTY' });
  });

  test('de-authorising keeps existing membership but stops new joins', () => {
    const r = world(true);
    assert.deepEqual(r.run({ op: 'tmem_control', subop: 'shared_auth', domid: 2, uuid: UUID, arg: 0 }), { ok: true, rc: 1 });
    assert.equal(r.run({ op: 'tmem_get', domid: 2, pool: 2, ...HANDLE, caller: 2 }).rc, 1);
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: 2, shared: true, uuid: UUID, caller: 2 }), { ok: true, rc: 3 });
    assert.deepEqual(r.run({ op: 'tmem_get', domid: 2, pool: 3, ...HANDLE, caller: 2 }), { ok: false, errno: 'EEMPTY' });
  });

  test('without the host option anyone may join (Xen 4.3 default)', () => {
    const r = world(false);
    assert.deepEqual(r.run({ op: 'tmem_new_pool', domid: 3, shared: true, uuid: UUID, caller: 3 }), { ok: true, rc: 0 });
    assert.equal(r.run({ op: 'tmem_get', domid: 3, pool: 0, ...HANDLE, caller: 3 }).rc, 1);
  });
});
