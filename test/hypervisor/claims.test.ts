// Claims (SEMANTICS.md §3): every rule, in Xen's order, and the lifecycle of
// tools/tests/mem-claim/test-mem-claim.c.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';

function host(pages = 1000, xenPages = 0): Hypervisor {
  return new Hypervisor({ pages, xenPages });
}

function info(hv: Hypervisor, domid: number) {
  const r = hv.domainInfo(domid);
  assert.ok(r.ok);
  return r;
}

describe('claim_pages', () => {
  test('the mem-claim lifecycle: claim, populate half, half outstanding, destroy, zero outstanding', () => {
    const hv = host(4096);
    assert.deepEqual(hv.domainCreate(1, 1024), { ok: true });
    assert.deepEqual(hv.claimPages(1, 1024), { ok: true });
    assert.equal(hv.physinfo().pagesOutstanding, 1024);
    assert.deepEqual(hv.populatePhysmap(1, 512), { ok: true, done: 512 });
    assert.equal(info(hv, 1).outstanding_pages, 512);
    assert.equal(hv.physinfo().pagesOutstanding, 512);
    assert.deepEqual(hv.domainDestroy(1), { ok: true });
    assert.equal(hv.physinfo().pagesOutstanding, 0);
    assert.equal(hv.physinfo().pagesFree, 4096);
    assert.deepEqual(hv.violations(), []);
  });

  test('the target is absolute: the claim is target minus tot_pages', () => {
    const hv = host();
    hv.domainCreate(1, 500);
    hv.populatePhysmap(1, 100);
    assert.deepEqual(hv.claimPages(1, 300), { ok: true });
    assert.equal(info(hv, 1).outstanding_pages, 200);
  });

  test('0 cancels a claim, and succeeds with no claim at all', () => {
    const hv = host();
    hv.domainCreate(1, 500);
    assert.deepEqual(hv.claimPages(1, 0), { ok: true });
    hv.claimPages(1, 400);
    assert.deepEqual(hv.claimPages(1, 0), { ok: true });
    assert.equal(info(hv, 1).outstanding_pages, 0);
    assert.equal(hv.physinfo().pagesOutstanding, 0);
  });

  test('one claim per domain: a second non-zero claim is EINVAL, even a smaller one', () => {
    const hv = host();
    hv.domainCreate(1, 500);
    hv.claimPages(1, 400);
    assert.deepEqual(hv.claimPages(1, 300), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimPages(1, 450), { ok: false, errno: 'EINVAL' });
    assert.equal(info(hv, 1).outstanding_pages, 400);
  });

  test('a target not above tot_pages, or above max_pages, is EINVAL', () => {
    const hv = host();
    hv.domainCreate(1, 500);
    hv.populatePhysmap(1, 100);
    assert.deepEqual(hv.claimPages(1, 100), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimPages(1, 50), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimPages(1, 501), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimPages(1, 500), { ok: true });
  });

  test('EINVAL comes before ENOMEM: an impossible target above max_pages is EINVAL', () => {
    const hv = host(100);
    hv.domainCreate(1, 150);
    assert.deepEqual(hv.claimPages(1, 200), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.claimPages(1, 150), { ok: false, errno: 'ENOMEM' });
  });

  test('ENOMEM when the claim exceeds free + freeable - outstanding; nothing changes', () => {
    const hv = host(1000, 100);
    hv.domainCreate(1, 1000);
    hv.domainCreate(2, 1000);
    assert.deepEqual(hv.claimPages(1, 600), { ok: true });
    assert.deepEqual(hv.claimPages(2, 301), { ok: false, errno: 'ENOMEM' });
    assert.equal(info(hv, 2).outstanding_pages, 0);
    assert.equal(hv.physinfo().pagesOutstanding, 600);
    assert.deepEqual(hv.claimPages(2, 300), { ok: true });
    assert.equal(hv.physinfo().pagesOutstanding, 900);
  });

  test('an unknown domain is EINVAL for claim_pages (ESRCH elsewhere)', () => {
    const hv = host();
    assert.deepEqual(hv.claimPages(9, 10), { ok: false, errno: 'EINVAL' });
    assert.deepEqual(hv.populatePhysmap(9, 10), { ok: false, errno: 'ESRCH', done: 0 });
  });

  test('freeable pages count as available, and the claimant gets them back by eviction', () => {
    const hv = host(1000);
    // A stand-in for tmem: 600 pages of ephemeral data, evicted on demand.
    hv.acct.freeToFreeable(600);
    let freeable = 600;
    hv.attachTmem({
      relinquish(wanted) {
        const n = Math.min(wanted, freeable);
        freeable -= n;
        hv.acct.freeableToFree(n);
        return n;
      },
      destroyClient() {},
      violations: () => [],
    });
    hv.domainCreate(1, 900);
    assert.deepEqual(hv.claimPages(1, 900), { ok: true });
    assert.deepEqual(hv.populatePhysmap(1, 900), { ok: true, done: 900 });
    // The free list gave what lay above the mid-size zone (1000 / 128 = 7
    // pages), tmem the rest: 393 free + 507 of the 600 freeable.
    assert.equal(hv.physinfo().pagesFreeable, 93);
    assert.equal(hv.physinfo().pagesFree, 7);
    assert.deepEqual(hv.violations(), []);
  });

  test('a populate past max_pages in the mid-size zone still costs tmem one page (Xen 4.12: allocated, then refused by assign_pages, then freed)', () => {
    const hv = host(1280); // mid-size zone: 1280 / 128 = 10 pages
    let freeable = 0;
    let evicted = 0;
    hv.attachTmem({
      relinquish(wanted) {
        const n = Math.min(wanted, freeable);
        freeable -= n;
        evicted += n;
        hv.acct.freeableToFree(n);
        return n;
      },
      destroyClient() {},
      violations: () => [],
    });
    hv.domainCreate(1, 5);
    assert.deepEqual(hv.populatePhysmap(1, 5), { ok: true, done: 5 });
    // Above the zone the extra page comes from the free list and goes back: nothing changes.
    assert.deepEqual(hv.populatePhysmap(1, 3), { ok: false, errno: 'ENOMEM', done: 0 });
    assert.equal(evicted, 0);
    hv.acct.freeToFreeable(1270);
    freeable = 1270;
    assert.equal(hv.physinfo().pagesFree, 5);
    // In the zone it comes from tmem: one eviction, its frame ends up free.
    assert.deepEqual(hv.populatePhysmap(1, 1), { ok: false, errno: 'ENOMEM', done: 0 });
    assert.equal(evicted, 1);
    assert.equal(hv.physinfo().pagesFree, 6);
    assert.equal(hv.physinfo().pagesFreeable, 1269);
    // A populate that stops for another reason than max_pages, or asks no more than the room, evicts nothing more.
    hv.setMaxMem(1, 10);
    assert.deepEqual(hv.populatePhysmap(1, 2), { ok: true, done: 2 });
    assert.equal(evicted, 3, 'the two pages themselves came from tmem (zone), no extra one');
    assert.deepEqual(hv.violations(), []);
  });

  test('the claim is consumed as pages are populated and does not grow back when pages are freed', () => {
    const hv = host();
    hv.domainCreate(1, 500);
    hv.claimPages(1, 400);
    hv.populatePhysmap(1, 150);
    assert.equal(info(hv, 1).outstanding_pages, 250);
    assert.deepEqual(hv.decreaseReservation(1, 100), { ok: true, done: 100 });
    assert.equal(info(hv, 1).outstanding_pages, 250);
    hv.populatePhysmap(1, 300);
    assert.equal(info(hv, 1).outstanding_pages, 0);
    assert.equal(hv.physinfo().pagesOutstanding, 0);
  });

  test('claimed capacity is protected from other domains', () => {
    const hv = host(1000);
    hv.domainCreate(1, 1000);
    hv.domainCreate(2, 1000);
    hv.claimPages(1, 700);
    assert.deepEqual(hv.populatePhysmap(2, 500), { ok: false, errno: 'ENOMEM', done: 300 });
    assert.deepEqual(hv.populatePhysmap(1, 700), { ok: true, done: 700 });
    assert.equal(hv.physinfo().pagesFree, 0);
  });

  test('claimed capacity is protected from the hypervisor itself', () => {
    const hv = host(1000);
    hv.domainCreate(1, 1000);
    hv.claimPages(1, 900);
    assert.equal(hv.acct.assignToXen(101), false);
    assert.equal(hv.acct.assignToXen(100), true);
    assert.deepEqual(hv.populatePhysmap(1, 900), { ok: true, done: 900 });
  });

  test('a claimant beyond its claim competes for the unclaimed rest like anyone', () => {
    const hv = host(1000);
    hv.domainCreate(1, 1000);
    hv.domainCreate(2, 1000);
    hv.claimPages(1, 300);
    hv.claimPages(2, 300);
    // Domain 1: its 300 claimed pages, then 400 of the 400 unclaimed.
    assert.deepEqual(hv.populatePhysmap(1, 800), { ok: false, errno: 'ENOMEM', done: 700 });
    assert.deepEqual(hv.populatePhysmap(2, 300), { ok: true, done: 300 });
  });

  test('destroy releases the claim', () => {
    const hv = host();
    hv.domainCreate(1, 800);
    hv.claimPages(1, 800);
    hv.domainDestroy(1);
    hv.domainCreate(2, 1000);
    assert.deepEqual(hv.claimPages(2, 1000), { ok: true });
  });

  test('only the privileged caller may claim', () => {
    const hv = host();
    hv.domainCreate(1, 800);
    assert.deepEqual(hv.claimPages(1, 100, 1), { ok: false, errno: 'EPERM' });
    assert.equal(info(hv, 1).outstanding_pages, 0);
    // memory.c looks the domain up before asking XSM: no such domain is EINVAL for anyone.
    assert.deepEqual(hv.claimPages(9, 100, 1), { ok: false, errno: 'EINVAL' });
  });
});
