// The invariant checker itself (SEMANTICS.md §1 and §3): each host-wide
// invariant, broken on purpose, is reported. Every other test expects no
// violation, so without these a check deleted from violations() went unseen
// (found by mutation testing: removing any of them failed no test).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';

/** The accounting's private counters, to break them on purpose. */
interface Counters {
  free: number[];
  pagesFreeSum: number;
  pagesOutstandingSum: number;
}

/** 1000 pages, 10 Xen's; domain 1 owns 100 and claims 200 more. */
function host() {
  const hv = new Hypervisor({ pages: 1000, xenPages: 10 });
  hv.domainCreate(1, 500);
  hv.populatePhysmap(1, 100);
  assert.deepEqual(hv.claimPages(1, 300), { ok: true });
  assert.deepEqual(hv.violations(), []);
  const d = hv.domain(1);
  assert.ok(d !== undefined);
  return { hv, d, c: hv.acct as unknown as Counters };
}

function reports(hv: Hypervisor, pattern: RegExp): void {
  const v = hv.violations();
  assert.ok(
    v.some((s) => pattern.test(s)),
    `expected a violation matching ${pattern}, got: ${JSON.stringify(v)}`,
  );
}

describe('invariant checker', () => {
  test('§1: free + freeable + owned must equal total', () => {
    const { hv, c } = host();
    // A page appears from nowhere on the free list (node and host counts agree).
    c.free[0] += 1;
    c.pagesFreeSum += 1;
    reports(hv, /^free \+ freeable \+ owned = 1001 != total 1000$/);
  });

  test('§3: outstanding_claims must equal the sum of the domains\' claims', () => {
    const { hv, c } = host();
    c.pagesOutstandingSum += 1;
    reports(hv, /^outstanding_claims 201 != sum of domain claims 200$/);
  });

  test('§3: outstanding_claims must not exceed free + freeable', () => {
    const { hv, d, c } = host();
    // The claim and the host total agree, but promise more than is free.
    d.pagesOutstanding += 700;
    c.pagesOutstandingSum += 700;
    reports(hv, /^outstanding_claims 900 > free \+ freeable 890$/);
  });

  test('§3: a domain\'s claim is never negative', () => {
    const { hv, d, c } = host();
    c.pagesOutstandingSum -= d.pagesOutstanding + 1;
    d.pagesOutstanding = -1;
    reports(hv, /^domain 1: negative outstanding_pages$/);
  });

  test('§1-2: owned pages are the domains\' plus Xen\'s', () => {
    const { hv, d } = host();
    // The domain counts a page the host does not (its per-node split agrees with its total).
    d.pagesTot += 1;
    d.pagesByNode[0] += 1;
    reports(hv, /^owned 110 != domains 101 \+ xen 10$/);
  });

  test('§3 (claim sets): a node\'s claims must not exceed its free + freeable pages', () => {
    const hv = new Hypervisor({ pages: 1000, nodes: 2 });
    hv.domainCreate(1, 500);
    assert.deepEqual(hv.claimMemory(1, [{ node: 0, pages: 300 }]), { ok: true });
    assert.deepEqual(hv.violations(), []);
    // 250 free pages move from node 0 to node 1: the host totals still agree, node 0 no longer backs its claim.
    const c = hv.acct as unknown as Counters;
    c.free[0] -= 250;
    c.free[1] += 250;
    reports(hv, /^node 0: claims 300 > free \+ freeable 250$/);
  });

  test('§2: tmem frames lie within the domain\'s tot_pages', () => {
    const { hv, d } = host();
    d.pagesTmemFrames = 101;
    reports(hv, /^domain 1: tmem frames 101 outside \[0, tot_pages 100\]$/);
  });
});
