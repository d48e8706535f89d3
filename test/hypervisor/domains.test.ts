// Domains, populate, decrease reservation, max_mem, NUMA counts (SEMANTICS.md §1-2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';

describe('domains', () => {
  test('create, existing domid EEXIST, reserved domid EINVAL, unknown ESRCH', () => {
    const hv = new Hypervisor({ pages: 100 });
    assert.deepEqual(hv.domainCreate(1, 10), { ok: true });
    assert.deepEqual(hv.domainCreate(1, 10), { ok: false, errno: 'EEXIST' });
    assert.deepEqual(hv.domainCreate(0x7ff0, 10), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.domainInfo(2), { ok: false, errno: 'ESRCH' });
    assert.deepEqual(hv.setMaxMem(2, 5), { ok: false, errno: 'ESRCH' });
    assert.deepEqual(hv.decreaseReservation(2, 5), { ok: false, errno: 'ESRCH' });
    assert.deepEqual(hv.domainDestroy(2), { ok: false, errno: 'ESRCH' });
  });

  test('an unknown domain is ESRCH before the privilege check (do_domctl looks it up first); a domain cannot destroy itself', () => {
    const hv = new Hypervisor({ pages: 100 });
    hv.domainCreate(1, 10);
    assert.deepEqual(hv.setMaxMem(7, 5, 1), { ok: false, errno: 'ESRCH' });
    assert.deepEqual(hv.domainDestroy(7, 1), { ok: false, errno: 'ESRCH' });
    assert.deepEqual(hv.setMaxMem(1, 5, 1), { ok: false, errno: 'EPERM' });
    assert.deepEqual(hv.domainDestroy(1, 1), { ok: false, errno: 'EPERM' });
    // domain_kill refuses current->domain: domain 0 destroying itself.
    assert.deepEqual(hv.domainCreate(0, 20), { ok: true });
    assert.deepEqual(hv.populatePhysmap(0, 20), { ok: true, done: 20 });
    assert.deepEqual(hv.domainDestroy(0, 0), { ok: false, errno: 'EINVAL' });
    const info = hv.domainInfo(0);
    assert.ok(info.ok && info.tot_pages === 20, 'its pages stay');
    assert.deepEqual(hv.domainDestroy(1, 0), { ok: true });
  });

  test('more extents than a continuation can encode (UINT_MAX >> 6) do nothing', () => {
    const hv = new Hypervisor({ pages: 2 ** 27 });
    hv.domainCreate(1, 2 ** 27);
    assert.deepEqual(hv.populatePhysmap(1, 67_108_864), { ok: false, errno: 'EINVAL', done: 0 });
    assert.deepEqual(hv.decreaseReservation(1, 67_108_864), { ok: false, errno: 'EINVAL' });
    assert.equal(hv.physinfo().pagesFree, 2 ** 27);
    assert.deepEqual(hv.populatePhysmap(1, 67_108_863), { ok: true, done: 67_108_863 });
    assert.deepEqual(hv.decreaseReservation(1, 67_108_863), { ok: true, done: 67_108_863 });
  });

  test('the invariants check each node: no negative pages, and no more domain pages on a node than it owns', () => {
    const hv = new Hypervisor({ pages: 200, nodes: 2 });
    hv.domainCreate(1, 50);
    hv.populatePhysmap(1, 10);
    assert.deepEqual(hv.violations(), []);
    const d = (hv as unknown as { domains: Map<number, { pagesByNode: number[] }> }).domains.get(1);
    assert.ok(d !== undefined);
    const node = d.pagesByNode[0] > 0 ? 0 : 1;
    const other = 1 - node;
    // The total stays right; only the split over the nodes is wrong.
    d.pagesByNode[other] -= 1;
    d.pagesByNode[node] += 1;
    assert.ok(hv.violations().some((v) => v.includes(`negative pages on node ${other}`) || v.includes(`domains hold`)), hv.violations().join('; '));
  });

  test('populate stops at max_pages and keeps what it got', () => {
    const hv = new Hypervisor({ pages: 100 });
    hv.domainCreate(1, 30);
    assert.deepEqual(hv.populatePhysmap(1, 50), { ok: false, errno: 'ENOMEM', done: 30 });
    const d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.tot_pages, 30);
    assert.equal(hv.physinfo().pagesFree, 70);
  });

  test('populate stops when the host runs out, keeping the pages', () => {
    const hv = new Hypervisor({ pages: 100, xenPages: 10 });
    hv.domainCreate(1, 1000);
    assert.deepEqual(hv.populatePhysmap(1, 200), { ok: false, errno: 'ENOMEM', done: 90 });
    assert.deepEqual(hv.populatePhysmap(1, 0), { ok: true, done: 0 });
  });

  test('max_mem below tot_pages: every new allocation is refused, nothing is taken away', () => {
    const hv = new Hypervisor({ pages: 100 });
    hv.domainCreate(1, 50);
    hv.populatePhysmap(1, 40);
    assert.deepEqual(hv.setMaxMem(1, 20), { ok: true });
    assert.deepEqual(hv.populatePhysmap(1, 1), { ok: false, errno: 'ENOMEM', done: 0 });
    const d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.tot_pages, 40);
    assert.equal(d.max_pages, 20);
    assert.deepEqual(hv.claimPages(1, 30), { ok: false, errno: 'EINVAL' });
  });

  test('max_pages saturates at 2^32 - 1 pages (Xen keeps it in an unsigned int; XEN_DOMCTL_max_mem clamps)', () => {
    const hv = new Hypervisor({ pages: 2 ** 33 });
    assert.deepEqual(hv.domainCreate(1, 2 ** 33), { ok: true });
    let d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.max_pages, 0xffffffff);
    // A claim target above the saturated max_pages is EINVAL, as in Xen; the largest one fits.
    assert.deepEqual(hv.claimPages(1, 2 ** 32), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimPages(1, 0xffffffff), { ok: true });
    assert.deepEqual(hv.setMaxMem(1, 2 ** 40), { ok: true });
    d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.max_pages, 0xffffffff);
    assert.deepEqual(hv.setMaxMem(1, 0xfffffffe), { ok: true });
    d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.max_pages, 0xfffffffe, 'values that fit are kept as they are');
  });

  test('a count of the wrong type from plain JavaScript is named with its type, not printed as if it were the number', () => {
    const hv = new Hypervisor({ pages: 100 });
    hv.domainCreate(1, 10);
    const untyped = hv as unknown as { populatePhysmap(d: number, n: unknown): unknown; claimPages(d: number, n: unknown): unknown };
    assert.throws(() => untyped.populatePhysmap(1, '5'), { name: 'AssertionError', message: 'pages must be a non-negative safe integer, got the string "5"' });
    assert.throws(() => untyped.claimPages(1, undefined), { message: 'pages must be a non-negative safe integer, got undefined' });
    assert.throws(() => untyped.claimPages(1, 10n), { message: 'pages must be a non-negative safe integer, got the bigint 10n' });
    assert.throws(() => untyped.claimPages(1, 1.5), { message: 'pages must be a non-negative safe integer, got 1.5' });
    // replay writes the global entry "global"; the library takes null, and says so rather than answering EINVAL.
    const claims = hv as unknown as { claimMemory(d: number, e: { node: unknown; pages: number }[]): unknown };
    assert.throws(() => claims.claimMemory(1, [{ node: 'global', pages: 5 }]), { name: 'AssertionError', message: 'claim node must be a node number, or null for the global entry, got the string "global"' });
    assert.throws(() => claims.claimMemory(1, [{ node: 0.5, pages: 5 }]), { message: 'claim node must be a node number, or null for the global entry, got 0.5' });
    // A node number the host does not have is the hypercall's answer, as Xen's.
    assert.deepEqual(hv.claimMemory(1, [{ node: 3, pages: 5 }]), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimMemory(1, [{ node: null, pages: 5 }]), { ok: true });
  });

  test('decrease_reservation frees at most what the domain owns', () => {
    const hv = new Hypervisor({ pages: 100 });
    hv.domainCreate(1, 50);
    hv.populatePhysmap(1, 40);
    assert.deepEqual(hv.decreaseReservation(1, 15), { ok: true, done: 15 });
    assert.deepEqual(hv.decreaseReservation(1, 100), { ok: true, done: 25 });
    assert.equal(hv.physinfo().pagesFree, 100);
  });

  test('destroy frees everything the domain owns', () => {
    const hv = new Hypervisor({ pages: 100, xenPages: 5 });
    hv.domainCreate(1, 50);
    hv.populatePhysmap(1, 50);
    assert.equal(hv.physinfo().pagesOwned, 55);
    hv.domainDestroy(1);
    assert.equal(hv.physinfo().pagesOwned, 5);
    assert.equal(hv.physinfo().pagesFree, 95);
    assert.deepEqual(hv.domainCreate(1, 5), { ok: true });
  });

  test('a guest may populate and decrease only its own reservation; management is privileged', () => {
    const hv = new Hypervisor({ pages: 100 });
    hv.domainCreate(1, 50);
    hv.domainCreate(2, 50);
    assert.deepEqual(hv.populatePhysmap(1, 10, 1), { ok: true, done: 10 });
    assert.deepEqual(hv.populatePhysmap(1, 10, 2), { ok: false, errno: 'EPERM', done: 0 });
    assert.deepEqual(hv.decreaseReservation(1, 5, 2), { ok: false, errno: 'EPERM' });
    assert.deepEqual(hv.domainCreate(3, 5, 1), { ok: false, errno: 'EPERM' });
    assert.deepEqual(hv.setMaxMem(1, 500, 1), { ok: false, errno: 'EPERM' });
    assert.deepEqual(hv.domainDestroy(2, 1), { ok: false, errno: 'EPERM' });
  });

  test('NUMA: pages split across nodes; per-node counts sum to the host counts', () => {
    const hv = new Hypervisor({ pages: 1001, nodes: 4, xenPages: 3 });
    const s = hv.physinfo();
    assert.deepEqual(
      s.nodes.map((n) => n.pagesFree + n.pagesFreeable + n.pagesOwned),
      [251, 250, 250, 250],
    );
    hv.domainCreate(1, 1000);
    hv.domainCreate(2, 1000);
    hv.populatePhysmap(1, 300);
    hv.populatePhysmap(2, 300);
    hv.decreaseReservation(1, 120);
    const t = hv.physinfo();
    assert.equal(t.nodes.reduce((a, n) => a + n.pagesFree, 0), t.pagesFree);
    assert.equal(t.nodes.reduce((a, n) => a + n.pagesOwned, 0), t.pagesOwned);
    assert.deepEqual(hv.violations(), []);
  });
});
