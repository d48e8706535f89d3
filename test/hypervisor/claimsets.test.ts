// Claim sets (XEN_DOMCTL_claim_memory, SEMANTICS §3's newer design): per-node
// claims plus a global claim, staked atomically, replacing the old set; a
// page redeems its node's claim first, then the global one; other domains,
// tmem frames and Xen cannot take a node's claimed pages. Unit cases with
// hand-counted pages, then a model-based test against a page-by-page
// reference on 1-3 nodes (replay requests, every result and the per-node
// counters compared after every line).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import { createHostWithTmem } from '../../src/hypervisor/tmem/index.ts';
import { ReplaySession } from '../../src/replay/session.ts';
import { replayExtensions } from '../../src/replay/extensions.ts';

/** Two nodes of 500 pages (no Xen pages), domains 1 (home node 1) and 2 (home node 0). */
function twoNodes(): Hypervisor {
  const hv = new Hypervisor({ pages: 1000, nodes: 2 });
  assert.deepEqual(hv.domainCreate(1, 1000), { ok: true });
  assert.deepEqual(hv.domainCreate(2, 1000), { ok: true });
  return hv;
}

const nodeFree = (hv: Hypervisor) => hv.physinfo().nodes.map((n) => n.pagesFree);
const nodeClaims = (hv: Hypervisor) => hv.physinfo().nodes.map((n) => n.pagesOutstanding);

describe('claim sets (XEN_DOMCTL_claim_memory)', () => {
  test('a node claim protects its node: others fall back to the other node, then stop', () => {
    const hv = twoNodes();
    assert.deepEqual(hv.claimMemory(1, [{ node: 0, pages: 400 }]), { ok: true });
    assert.deepEqual(nodeClaims(hv), [400, 0]);
    assert.equal(hv.physinfo().pagesOutstanding, 400);
    // Domain 2 (home node 0) may take only node 0's 100 unclaimed pages, then node 1's 500.
    assert.deepEqual(hv.populatePhysmap(2, 700), { ok: false, errno: 'ENOMEM', done: 600 });
    assert.deepEqual(nodeFree(hv), [400, 0]);
    // Domain 1 gets its 400 on node 0, redeeming the node claim page by page.
    assert.deepEqual(hv.populatePhysmap(1, 400), { ok: true, done: 400 });
    assert.deepEqual(nodeFree(hv), [0, 0]);
    assert.deepEqual(nodeClaims(hv), [0, 0]);
    assert.deepEqual(hv.violations(), []);
  });

  test('a page redeems its node claim first, then the global claim; pages elsewhere use the global claim', () => {
    const hv = twoNodes();
    assert.deepEqual(
      hv.claimMemory(1, [
        { node: 0, pages: 100 },
        { node: null, pages: 50 },
      ]),
      { ok: true },
    );
    assert.equal(hv.physinfo().pagesOutstanding, 150);
    // 120 pages: 100 on node 0 (its claimed node comes first) against the node claim; then node 0 has no claim
    // left and the home node 1 comes first: 20 there against the global claim.
    assert.deepEqual(hv.populatePhysmap(1, 120), { ok: true, done: 120 });
    const info = hv.domainInfo(1);
    assert.ok(info.ok);
    assert.equal(info.outstanding_pages, 30);
    assert.deepEqual(info.claim_by_node, [0, 0]);
    assert.deepEqual(nodeFree(hv), [400, 480]);
    // With no claim left on any node, pages come from the home node round, the global claim first, then unclaimed.
    assert.deepEqual(hv.populatePhysmap(1, 40), { ok: true, done: 40 });
    assert.deepEqual(nodeFree(hv), [400, 440]);
    assert.equal(hv.physinfo().pagesOutstanding, 0);
    assert.deepEqual(hv.violations(), []);
  });

  test('staking: EINVAL for malformed sets and beyond max_pages, ENOMEM per node and host-wide; a refused set changes nothing', () => {
    const hv = twoNodes();
    assert.deepEqual(hv.claimMemory(1, []), { ok: false, errno: 'EINVAL' }, 'no entry');
    assert.deepEqual(hv.claimMemory(1, [{ node: 2, pages: 1 }]), { ok: false, errno: 'EINVAL' }, 'no node 2');
    assert.deepEqual(
      hv.claimMemory(1, [
        { node: 0, pages: 1 },
        { node: 0, pages: 1 },
      ]),
      { ok: false, errno: 'EINVAL' },
      'node 0 twice',
    );
    assert.deepEqual(
      hv.claimMemory(1, [
        { node: null, pages: 1 },
        { node: 0, pages: 1 },
        { node: 1, pages: 1 },
        { node: null, pages: 1 },
      ]),
      { ok: false, errno: 'EINVAL' },
      'more entries than nodes + 1',
    );
    assert.deepEqual(hv.claimMemory(9, [{ node: null, pages: 1 }]), { ok: false, errno: 'ESRCH' });
    assert.deepEqual(hv.claimMemory(1, [{ node: null, pages: 1 }], 1), { ok: false, errno: 'EPERM' });
    assert.deepEqual(hv.setMaxMem(1, 300), { ok: true });
    assert.deepEqual(hv.claimMemory(1, [{ node: 0, pages: 301 }]), { ok: false, errno: 'EINVAL' }, 'beyond max_pages');
    assert.deepEqual(hv.setMaxMem(1, 1000), { ok: true });
    assert.deepEqual(hv.claimMemory(1, [{ node: 0, pages: 501 }]), { ok: false, errno: 'ENOMEM' }, 'more than node 0 has');
    assert.deepEqual(hv.claimMemory(2, [{ node: 1, pages: 300 }]), { ok: true });
    // Node 1 keeps 200 for others; host-wide 700 are unclaimed.
    assert.deepEqual(hv.claimMemory(1, [{ node: 1, pages: 201 }]), { ok: false, errno: 'ENOMEM' });
    assert.deepEqual(
      hv.claimMemory(1, [
        { node: 0, pages: 500 },
        { node: null, pages: 201 },
      ]),
      { ok: false, errno: 'ENOMEM' },
      'the set as a whole above the unclaimed 700',
    );
    assert.deepEqual(nodeClaims(hv), [0, 300], 'refused sets left nothing behind');
    assert.equal(hv.physinfo().pagesOutstanding, 300);
    assert.deepEqual(hv.violations(), []);
  });

  test('a new set replaces the old (its availability counted as released); all zero cancels; XENMEM_claim_pages refuses while a set is held', () => {
    const hv = twoNodes();
    assert.deepEqual(hv.claimMemory(1, [{ node: 0, pages: 500 }]), { ok: true });
    // Node 0 is fully claimed by domain 1 itself: moving the claim within its own old set is allowed.
    assert.deepEqual(
      hv.claimMemory(1, [
        { node: 0, pages: 450 },
        { node: 1, pages: 100 },
      ]),
      { ok: true },
    );
    assert.deepEqual(nodeClaims(hv), [450, 100]);
    assert.equal(hv.physinfo().pagesOutstanding, 550);
    assert.deepEqual(hv.claimPages(1, 900), { ok: false, errno: 'EINVAL' }, 'one claim per domain for the legacy call');
    assert.deepEqual(hv.claimMemory(1, [{ node: null, pages: 0 }]), { ok: true });
    assert.deepEqual(nodeClaims(hv), [0, 0]);
    assert.equal(hv.physinfo().pagesOutstanding, 0);
    // The legacy call's cancel releases node claims too, as does destruction.
    assert.deepEqual(hv.claimMemory(1, [{ node: 1, pages: 10 }]), { ok: true });
    assert.deepEqual(hv.claimPages(1, 0), { ok: true });
    assert.deepEqual(nodeClaims(hv), [0, 0]);
    assert.deepEqual(hv.claimMemory(2, [{ node: 0, pages: 10 }]), { ok: true });
    assert.deepEqual(hv.domainDestroy(2), { ok: true });
    assert.deepEqual(nodeClaims(hv), [0, 0]);
    assert.deepEqual(hv.violations(), []);
  });

  test('tmem: ephemeral frames may sit on a claimed node; the claimant still gets its pages, relinquished from that node', () => {
    const { hv, tmem } = createHostWithTmem({ pages: 4096, nodes: 2 });
    assert.deepEqual(hv.domainCreate(1, 4096), { ok: true });
    assert.deepEqual(hv.domainCreate(2, 4096), { ok: true });
    assert.deepEqual(hv.claimMemory(1, [{ node: 0, pages: 1500 }]), { ok: true });
    // Domain 2 fills both nodes' unclaimed pages with ephemeral tmem data (frames count as available, as for host claims).
    const pool = tmem.newPool(2, { persistent: false, shared: false });
    assert.ok(pool.ok);
    const page = new Uint8Array(4096);
    let stored = 0;
    for (let i = 0; i < 3000; i++) {
      page[0] = i & 0xff;
      page[1] = i >> 8;
      const r = tmem.put(2, pool.rc, [1, 0, 0], i, page);
      if (r.ok && r.rc === 1) stored++;
    }
    assert.ok(stored > 1000, `tmem took frames (${stored})`);
    assert.deepEqual(hv.violations(), []);
    // Domain 2 populating all it can leaves node 0's claimed pages (free or freeable) alone.
    const two = hv.populatePhysmap(2, 4096);
    assert.equal(two.ok, false);
    const n0 = hv.physinfo().nodes[0];
    assert.ok(n0.pagesFree + n0.pagesFreeable >= 1500, `node 0 keeps its claim's pages (${n0.pagesFree} free + ${n0.pagesFreeable} freeable)`);
    assert.deepEqual(hv.violations(), []);
    // Domain 1 gets all 1500 on node 0, tmem giving that node's frames back.
    assert.deepEqual(hv.populatePhysmap(1, 1500), { ok: true, done: 1500 });
    const info = hv.domainInfo(1);
    assert.ok(info.ok && info.outstanding_pages === 0);
    assert.equal(hv.physinfo().nodes[0].pagesOwned, n0.pagesOwned + 1500, 'all of them on node 0');
    assert.deepEqual(hv.violations(), []);
  });
});

describe('claim sets with tmem frames elsewhere (regressions from a review)', () => {
  /**
   * A 4000-page host of 2 nodes with tmem: node 0 filled by domain 2, 1200
   * ephemeral tmem pages of domain 3 on node 1, domain 5 taking node 1's free
   * pages down to the mid-size zone, then domain 2 giving 500 back on node 0
   * and domain 4 claiming them there. Node 0's free pages are all claimed;
   * what anyone else gets beyond node 1's last 31 must come from tmem's frames.
   */
  function squeezed(): ReplaySession {
    const session = new ReplaySession(replayExtensions());
    const lines: object[] = [
      { op: 'host', pages: 4000, nodes: 2, tmem: {} },
      ...[2, 3, 4, 5].map((domid) => ({ op: 'domain_create', domid, max_pages: 4000 })),
      { op: 'populate_physmap', domid: 2, pages: 2000 },
      { op: 'tmem_new_pool', domid: 3 },
      ...Array.from({ length: 1200 }, (_, i) => ({ op: 'tmem_put', domid: 3, pool: 0, oid: [1, 0, 0], index: i, fill: (i % 250) + 1 })),
      { op: 'populate_physmap', domid: 5, pages: 769 },
      { op: 'decrease_reservation', domid: 2, pages: 500 },
      { op: 'claim_memory', domid: 4, claims: [{ node: 0, pages: 500 }] },
    ];
    lines.forEach((l, i) => {
      const { lineError, result } = session.runLine(JSON.stringify(l), i + 1);
      assert.equal(lineError, false, JSON.stringify(result));
    });
    const host = session.runLine('{"op":"physinfo"}', 0).result as { free_pages: number; outstanding_pages: number; freeable_pages: number };
    // 31 unclaimed free pages are left (node 1's mid-size zone, 4000 / 128): fewer than the 100 asked below.
    assert.equal(host.free_pages - host.outstanding_pages, 31);
    assert.ok(host.freeable_pages > 1000);
    return session;
  }

  test('a claim elsewhere is honoured from tmem frames: populate takes them, not the claimed node', () => {
    const session = squeezed();
    const run = (l: object) => session.runLine(JSON.stringify(l), 0).result;
    assert.deepEqual(run({ op: 'claim_pages', domid: 3, pages: 100 }), { ok: true });
    assert.deepEqual(run({ op: 'populate_physmap', domid: 3, pages: 100 }), { ok: true, done: 100 });
    assert.deepEqual(run({ op: 'populate_physmap', domid: 3, pages: 1 }), { ok: true, done: 1 }, 'unclaimed pages too, while tmem holds frames');
    assert.deepEqual(session.hypervisor!.violations(), []);
    // Domain 4's claim on node 0 is untouched, and it gets its pages.
    assert.deepEqual(run({ op: 'populate_physmap', domid: 4, pages: 500 }), { ok: true, done: 500 });
  });

  test('a persistent tmem put is served from ephemeral frames, not refused, when the free pages are claimed elsewhere', () => {
    const session = squeezed();
    const run = (l: object) => session.runLine(JSON.stringify(l), 0).result;
    // Node 1's last 31 free pages go first: every free page left is claimed on node 0.
    assert.deepEqual(run({ op: 'populate_physmap', domid: 5, pages: 31 }), { ok: true, done: 31 });
    assert.deepEqual(run({ op: 'tmem_new_pool', domid: 3, persistent: true }), { ok: true, rc: 1 });
    assert.deepEqual(run({ op: 'tmem_put', domid: 3, pool: 1, oid: [9, 0, 0], index: 0, fill: 7 }), { ok: true, rc: 1 });
    assert.deepEqual(session.hypervisor!.violations(), []);
    // A claim backed by freeable frames: outstanding above free; xl info's free_memory stays at 0.
    assert.deepEqual(run({ op: 'claim_pages', domid: 3, pages: 101 }), { ok: true });
    const host = run({ op: 'physinfo' }) as { free_pages: number; outstanding_pages: number; free_memory_pages: number };
    assert.ok(host.outstanding_pages > host.free_pages, `${host.outstanding_pages} claimed, ${host.free_pages} free`);
    assert.equal(host.free_memory_pages, 0, 'free less outstanding, never below 0');
  });

  test('the ephemeral frames given back for a persistent put are evicted for the putter: its own oldest pages while it is over its weighted share', () => {
    // tmem_relinquish_pages -> tmem_evict, whose client is the putting domain's (current).
    const session = new ReplaySession(replayExtensions());
    const lines: object[] = [
      { op: 'host', pages: 4000, nodes: 2, tmem: {} },
      ...[2, 3, 4, 5].map((domid) => ({ op: 'domain_create', domid, max_pages: 4000 })),
      { op: 'populate_physmap', domid: 2, pages: 2000 },
      { op: 'tmem_new_pool', domid: 5 },
      { op: 'tmem_put', domid: 5, pool: 0, oid: [1, 0, 0], index: 0, fill: 9 }, // the oldest ephemeral page: domain 5's
      { op: 'tmem_new_pool', domid: 3 },
      ...Array.from({ length: 1200 }, (_, i) => ({ op: 'tmem_put', domid: 3, pool: 0, oid: [1, 0, 0], index: i, fill: (i % 250) + 1 })),
      { op: 'tmem_control', subop: 'set_weight', domid: 3, arg: 1 },
      { op: 'tmem_control', subop: 'set_weight', domid: 5, arg: 1 },
      { op: 'populate_physmap', domid: 5, pages: 768 }, // the free pages above the mid-size zone (one went to domain 5's tmem page)
      { op: 'decrease_reservation', domid: 2, pages: 500 },
      { op: 'claim_memory', domid: 4, claims: [{ node: 0, pages: 500 }] },
      { op: 'tmem_new_pool', domid: 3, persistent: true },
    ];
    lines.forEach((l, i) => {
      const { lineError, result } = session.runLine(JSON.stringify(l), i + 1);
      assert.equal(lineError, false, `line ${i + 1}: ${JSON.stringify(result)}`);
    });
    const run = (l: object) => session.runLine(JSON.stringify(l), 0).result;
    const before = run({ op: 'physinfo' }) as { free_pages: number; outstanding_pages: number };
    const unclaimed = before.free_pages - before.outstanding_pages;
    assert.deepEqual(run({ op: 'populate_physmap', domid: 5, pages: unclaimed }), { ok: true, done: unclaimed });
    const host = run({ op: 'physinfo' }) as { free_pages: number; outstanding_pages: number };
    assert.equal(host.free_pages - host.outstanding_pages, 0, 'every free page is claimed on node 0');
    assert.deepEqual(run({ op: 'tmem_put', domid: 3, pool: 1, oid: [9, 0, 0], index: 0, fill: 7 }), { ok: true, rc: 1 });
    assert.deepEqual(session.hypervisor!.violations(), []);
    // Domain 3 (1200 of 1201 pages, half the weight) gave its own oldest page; domain 5's older one stays.
    const kept = run({ op: 'tmem_get', domid: 5, pool: 0, oid: [1, 0, 0], index: 0 }) as { ok: boolean; rc: number; data: string };
    assert.deepEqual([kept.ok, kept.rc, Buffer.from(kept.data, 'base64').every((b) => b === 9)], [true, 1, true], 'domain 5 still has its page');
    assert.deepEqual(run({ op: 'tmem_get', domid: 3, pool: 0, oid: [1, 0, 0], index: 0 }), { ok: true, rc: 0 });
  });
});

// ---- Model-based: a page-by-page reference on 1-3 nodes -----------------

interface MDom {
  max: number;
  byNode: number[];
  global: number;
  claimNode: number[];
}

class ClaimModel {
  readonly free: number[];
  readonly xenByNode: number[];
  readonly doms = new Map<number, MDom>();

  constructor(
    readonly total: number,
    xen: number,
    readonly nodes: number,
  ) {
    this.free = [];
    for (let k = 0; k < nodes; k++) this.free.push(Math.floor(total / nodes) + (k < total % nodes ? 1 : 0));
    this.xenByNode = new Array<number>(nodes).fill(0);
    for (let k = 0, left = xen; k < nodes && left > 0; k++) {
      const n = Math.min(left, this.free[k]);
      this.free[k] -= n;
      this.xenByNode[k] += n;
      left -= n;
    }
  }

  claimOf(d: MDom): number {
    return d.global + d.claimNode.reduce((a, b) => a + b, 0);
  }
  tot(d: MDom): number {
    return d.byNode.reduce((a, b) => a + b, 0);
  }
  claims(): number {
    let n = 0;
    for (const d of this.doms.values()) n += this.claimOf(d);
    return n;
  }
  nodeClaims(k: number): number {
    let n = 0;
    for (const d of this.doms.values()) n += d.claimNode[k];
    return n;
  }
  freeSum(): number {
    return this.free.reduce((a, b) => a + b, 0);
  }

  run(r: Record<string, unknown>): Record<string, unknown> {
    const domid = r.domid as number;
    const d = this.doms.get(domid);
    switch (r.op) {
      case 'domain_create':
        if (d) return { ok: false, errno: 'EEXIST' };
        this.doms.set(domid, { max: r.max_pages as number, byNode: new Array(this.nodes).fill(0), global: 0, claimNode: new Array(this.nodes).fill(0) });
        return { ok: true };
      case 'claim_pages': {
        const pages = r.pages as number;
        if (!d) return { ok: false, errno: 'EINVAL' };
        if (pages === 0) {
          d.global = 0;
          d.claimNode.fill(0);
          return { ok: true };
        }
        if (this.claimOf(d) > 0 || pages <= this.tot(d) || pages > d.max) return { ok: false, errno: 'EINVAL' };
        if (pages - this.tot(d) > this.freeSum() - this.claims()) return { ok: false, errno: 'ENOMEM' };
        d.global = pages - this.tot(d);
        return { ok: true };
      }
      case 'claim_memory': {
        if (!d) return { ok: false, errno: 'ESRCH' };
        const claims = r.claims as { node: number | 'global'; pages: number }[];
        if (claims.length === 0 || claims.length > this.nodes + 1) return { ok: false, errno: 'EINVAL' };
        const seen = new Set<unknown>();
        const want = new Array<number>(this.nodes).fill(0);
        let global = 0;
        for (const c of claims) {
          if (seen.has(c.node)) return { ok: false, errno: 'EINVAL' };
          seen.add(c.node);
          if (c.node === 'global') global = c.pages;
          else if (c.node >= this.nodes) return { ok: false, errno: 'EINVAL' };
          else want[c.node] = c.pages;
        }
        const total = global + want.reduce((a, b) => a + b, 0);
        if (total === 0) {
          d.global = 0;
          d.claimNode.fill(0);
          return { ok: true };
        }
        if (this.tot(d) + total > d.max) return { ok: false, errno: 'EINVAL' };
        if (total > this.freeSum() - (this.claims() - this.claimOf(d))) return { ok: false, errno: 'ENOMEM' };
        for (let k = 0; k < this.nodes; k++) if (want[k] > this.free[k] - (this.nodeClaims(k) - d.claimNode[k])) return { ok: false, errno: 'ENOMEM' };
        d.global = global;
        for (let k = 0; k < this.nodes; k++) d.claimNode[k] = want[k];
        return { ok: true };
      }
      case 'populate_physmap': {
        if (!d) return { ok: false, errno: 'ESRCH', done: 0 };
        const wanted = r.pages as number;
        let done = 0;
        // One page at a time: the first node in fill order with a page the domain may take; covered by its claim there, else its global claim, else the unclaimed slack.
        page: while (done < wanted && this.tot(d) < d.max) {
          const order = [...d.claimNode.keys()].filter((k) => d.claimNode[k] > 0);
          for (let i = 0; i < this.nodes; i++) if (!order.includes((domid + i) % this.nodes)) order.push((domid + i) % this.nodes);
          for (const k of order) {
            if (this.free[k] - (this.nodeClaims(k) - d.claimNode[k]) < 1 || this.free[k] < 1) continue;
            if (d.claimNode[k] > 0) d.claimNode[k]--;
            else if (d.global > 0) d.global--;
            else if (this.freeSum() - this.claims() < 1) break page;
            this.free[k]--;
            d.byNode[k]++;
            done++;
            continue page;
          }
          break;
        }
        return done === wanted ? { ok: true, done } : { ok: false, errno: 'ENOMEM', done };
      }
      case 'decrease_reservation': {
        if (!d) return { ok: false, errno: 'ESRCH' };
        const done = Math.min(r.pages as number, this.tot(d));
        for (let k = this.nodes - 1, left = done; k >= 0 && left > 0; k--) {
          const n = Math.min(left, d.byNode[k]);
          d.byNode[k] -= n;
          this.free[k] += n;
          left -= n;
        }
        return { ok: true, done };
      }
      case 'domain_destroy':
        if (!d) return { ok: false, errno: 'ESRCH' };
        for (let k = 0; k < this.nodes; k++) this.free[k] += d.byNode[k];
        this.doms.delete(domid);
        return { ok: true };
      case 'domain_info':
        if (!d) return { ok: false, errno: 'ESRCH' };
        return { ok: true, tot_pages: this.tot(d), max_pages: d.max, outstanding_pages: this.claimOf(d), claim_by_node: [...d.claimNode], tmem_pages: 0 };
      case 'physinfo': {
        const owned = (k: number) => this.xenByNode[k] + [...this.doms.values()].reduce((a, x) => a + x.byNode[k], 0);
        return {
          ok: true,
          total_pages: this.total,
          free_pages: this.freeSum(),
          freeable_pages: 0,
          owned_pages: this.total - this.freeSum(),
          outstanding_pages: this.claims(),
          free_memory_pages: this.freeSum() - this.claims(),
          nodes: this.free.map((f, k) => ({ free_pages: f, freeable_pages: 0, owned_pages: owned(k), outstanding_pages: this.nodeClaims(k) })),
        };
      }
    }
    throw new Error(`model: unknown op ${String(r.op)}`);
  }
}

const dom = fc.integer({ min: 1, max: 3 });
const pages = fc.integer({ min: 0, max: 90 });
const entry = fc.record({ node: fc.oneof(fc.constant('global' as const), fc.integer({ min: 0, max: 3 })), pages });
const request = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('domain_create'), domid: dom, max_pages: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('claim_pages'), domid: dom, pages }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('claim_memory'), domid: dom, claims: fc.array(entry, { minLength: 0, maxLength: 4 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('populate_physmap'), domid: dom, pages }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('decrease_reservation'), domid: dom, pages }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('domain_destroy'), domid: dom }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('domain_info'), domid: dom }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('physinfo') }) },
);

test('claim sets match a page-by-page reference on 1-3 nodes (results, per-node counters, invariants)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 240 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 3 }), fc.array(request, { minLength: 5, maxLength: 60 }), (total, xenRaw, nodes, requests) => {
      fc.pre(nodes <= total);
      const xen = Math.min(xenRaw, total);
      const session = new ReplaySession();
      const model = new ClaimModel(total, xen, nodes);
      session.runLine(JSON.stringify({ op: 'host', pages: total, xen_pages: xen, nodes }), 1);
      requests.forEach((r, i) => {
        const { result, lineError } = session.runLine(JSON.stringify(r), i + 2);
        assert.equal(lineError, false, JSON.stringify(result));
        assert.deepEqual(result, model.run(r as Record<string, unknown>), `request ${i + 2}: ${JSON.stringify(r)}`);
        assert.deepEqual(session.hypervisor!.violations(), [], `invariants after ${JSON.stringify(r)}`);
        assert.deepEqual(session.runLine('{"op":"physinfo"}', 0).result, model.run({ op: 'physinfo' }), `host after ${JSON.stringify(r)}`);
      });
    }),
    { numRuns: 1500 },
  );
});
