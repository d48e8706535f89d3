// The domain builder under each launch policy (SEMANTICS.md §6), on a bare
// hypervisor: a competitor takes memory between batches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import { DomainBuilder } from '../../src/toolstack/builder.ts';
import { Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import type { Policy } from '../../src/scenario/types.ts';

/** Builds a 600-page domain in 100-page batches while domain 9 grabs 150 pages after the first batch. */
function race(policy: Policy) {
  const hv = new Hypervisor({ pages: 1000 });
  hv.domainCreate(9, 1000);
  hv.populatePhysmap(9, 300);
  const b = new DomainBuilder(hv, { policy, buildPagesPerS: 1000, buildBatchPages: 100 });
  const launch = b.request(0, 'big', 1, 600, 600);
  let t: number | null = 0;
  let steps = 0;
  while (launch.outcome === 'building' && t !== null) {
    t = b.step(t, launch);
    if (++steps === 1) hv.populatePhysmap(9, 150);
    assert.ok(steps < 100);
  }
  assert.deepEqual(hv.violations(), []);
  return { hv, launch };
}

describe('domain builder', () => {
  test('none: passes the start check, then fails midway; its pages are given back and time wasted', () => {
    const { hv, launch } = race('none');
    assert.equal(launch.outcome, 'failed_midway');
    assert.equal(launch.donePages, 550);
    assert.equal(launch.wastedBuildNs, 500_000_000);
    assert.equal(launch.reason, 'memory ran out after 2.15 MiB of 2.34 MiB (550 of 600 pages); what was built is given back');
    assert.deepEqual(hv.domainInfo(1), { ok: false, errno: 'ESRCH' });
    assert.equal(hv.physinfo().pagesFree, 1000 - 450);
  });

  test('claim: the competitor is refused instead, and the launch completes with no claim left', () => {
    const { hv, launch } = race('claim');
    assert.equal(launch.outcome, 'ok');
    assert.equal(launch.endNs, 600_000_000);
    const d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.tot_pages, 600);
    assert.equal(d.outstanding_pages, 0);
    const competitor = hv.domainInfo(9);
    assert.ok(competitor.ok);
    assert.equal(competitor.tot_pages, 400, 'the competitor got only the 100 unclaimed pages');
  });

  test('claim: a launch that cannot be claimed fails fast, creating nothing', () => {
    const hv = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv, { policy: 'claim', buildPagesPerS: 1000, buildBatchPages: 100 });
    const launch = b.request(0, 'huge', 1, 1200, 1200);
    assert.equal(launch.outcome, 'failed_fast');
    assert.equal(launch.reason, 'claim of 4.69 MiB (1,200 pages) refused: ENOMEM, more than the 3.91 MiB (1,000 pages) of free + freeable memory not yet claimed');
    assert.equal(launch.donePages, 0);
    assert.deepEqual(hv.domainInfo(1), { ok: false, errno: 'ESRCH' });
  });

  test('none: fails fast when free + freeable is short at the start', () => {
    const hv = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv, { policy: 'none', buildPagesPerS: 1000, buildBatchPages: 100 });
    const launch = b.request(0, 'huge', 1, 1001, 1001);
    assert.equal(launch.outcome, 'failed_fast');
    // Sizes for people, pages to tell 1000 from 1001.
    assert.equal(launch.reason, 'only 3.91 MiB (1,000 pages) free + freeable, 3.91 MiB (1,001 pages) needed');
  });

  test('a failure with nothing free says "0 MiB", as the reports write a zero size (not "0 B")', () => {
    const hv = new Hypervisor({ pages: 1000 });
    hv.domainCreate(9, 1000);
    hv.populatePhysmap(9, 1000);
    const none = new DomainBuilder(hv, { policy: 'none', buildPagesPerS: 1000, buildBatchPages: 100 }).request(0, 'late', 1, 100, 100);
    assert.equal(none.outcome, 'failed_fast');
    assert.equal(none.reason, 'only 0 MiB (0 pages) free + freeable, 400 KiB (100 pages) needed');
    // Mid-way before the first page is in: "after 0 MiB of …".
    const hv2 = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv2, { policy: 'none', buildPagesPerS: 1000, buildBatchPages: 100 });
    const launch = b.request(0, 'raced', 1, 600, 600);
    hv2.domainCreate(9, 1000);
    hv2.populatePhysmap(9, 1000);
    assert.equal(b.step(0, launch), null);
    assert.equal(launch.outcome, 'failed_midway');
    assert.equal(launch.reason, 'memory ran out after 0 MiB of 2.34 MiB (0 of 600 pages); what was built is given back');
  });

  test('reservation: launches are serialised; it still races with what the ledger cannot see', () => {
    const { launch } = race('reservation');
    assert.equal(launch.outcome, 'failed_midway');
    const hv = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv, { policy: 'reservation', buildPagesPerS: 1000, buildBatchPages: 100 });
    const first = b.request(0, 'a', 1, 300, 300);
    const second = b.request(0, 'b', 2, 300, 300);
    assert.equal(first.outcome, 'building');
    assert.equal(second.outcome, 'queued');
    assert.equal(b.nextQueued(), null, 'nothing starts while one builds');
    let t: number | null = 0;
    while (t !== null) t = b.step(t, first);
    assert.equal(first.outcome, 'ok');
    assert.equal(b.nextQueued(), second);
  });

  test('reservation: a queued launch that is abandoned (toolstack died, domain destroyed) leaves the queue and never begins (found by mutation testing)', () => {
    const hv = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv, { policy: 'reservation', buildPagesPerS: 1000, buildBatchPages: 100 });
    const first = b.request(0, 'a', 1, 300, 300);
    const second = b.request(0, 'b', 2, 300, 300);
    const third = b.request(0, 'c', 3, 300, 300);
    b.abandon(0, second);
    assert.equal(second.outcome, 'abandoned');
    assert.equal(second.reason, 'the toolstack died while the launch was queued, before its build began');
    let t: number | null = 0;
    while (t !== null) t = b.step(t, first);
    assert.equal(b.nextQueued(), third, 'the abandoned launch is skipped');
    assert.equal(second.startNs, -1);
    assert.equal(hv.domainInfo(2).ok, false, 'no domain was created for it');
  });

  test('batches: 12 GiB at 1 GiB/s in 64 MiB batches is 192 populate steps ending at 12 s, the last step closing the launch', () => {
    const pages = (12 * 2 ** 30) / 4096;
    const hv = new Hypervisor({ pages: pages + 30_000 });
    const b = new DomainBuilder(hv, { policy: 'claim', buildPagesPerS: 2 ** 30 / 4096, buildBatchPages: (64 * 2 ** 20) / 4096 });
    const launch = b.request(0, 'big', 1, pages, pages);
    const times: number[] = [];
    for (let t: number | null = 0; t !== null; t = b.step(t, launch)) times.push(t);
    assert.equal(launch.outcome, 'ok');
    assert.equal(times.length, 193, '192 batches and the step that finds the memory in');
    assert.equal(times[1], 62_500_000);
    assert.equal(launch.endNs, 12e9);
    const info = hv.domainInfo(1);
    assert.ok(info.ok);
    assert.equal(info.tot_pages, pages);
    // A last batch shorter than build_batch takes its own share of the time: 100 MiB is 64 + 36 MiB, 97.65625 ms.
    const small = b.request(13e9, 'small', 2, 25_600, 25_600);
    let end = 13e9;
    for (let t: number | null = 13e9; t !== null; t = b.step(t, small)) end = t;
    assert.equal(small.endNs - 13e9, 97_656_250);
    assert.equal(end, small.endNs);
  });

  test('the toolstack dying after its claim leaves the claim outstanding until destroy', () => {
    const hv = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv, { policy: 'claim', buildPagesPerS: 1000, buildBatchPages: 100 });
    const launch = b.request(0, 'a', 1, 500, 500);
    b.step(0, launch);
    b.abandon(100_000_000, launch);
    assert.equal(launch.outcome, 'abandoned');
    assert.equal(launch.reason, 'the toolstack died during the build');
    assert.equal(hv.physinfo().pagesOutstanding, 400);
    hv.domainDestroy(1);
    assert.equal(hv.physinfo().pagesOutstanding, 0);
  });
  test('claim with compressed tmem data: Xen\'s claim can fail midway, and the reason says the claim was not honoured', () => {
    // Every freeable frame counts as claimable, but 200-byte compressed pages
    // share frames: ten evictions that free no frame end a relinquish.
    const hv = new Hypervisor({ pages: 200 });
    const t = new Tmem(hv, { compress: true, store: 'synthetic', lowMemPages: 0 });
    hv.attachTmem(t);
    hv.domainCreate(2, 200);
    t.control.setCompress(2, true);
    t.newPool(2, { persistent: false, shared: false });
    for (let i = 0; i < 2000; i++) t.put(2, 0, [1, 0, 0], i, { fpHi: 0, fpLo: i + 1, compressedBytes: 200 });
    const b = new DomainBuilder(hv, { policy: 'claim', buildPagesPerS: 1000, buildBatchPages: 50 });
    const launch = b.request(0, 'big', 1, 150, 150);
    let now: number | null = 0;
    for (let steps = 0; now !== null && launch.outcome === 'building'; steps++) {
      assert.ok(steps < 100);
      now = b.step(now, launch);
    }
    assert.equal(launch.outcome, 'failed_midway');
    assert.match(launch.reason, /^memory ran out after .* \(\d+ of 150 pages\) although .* \((\d+) pages\) were still claimed: tmem could not free frames/);
    assert.deepEqual(hv.violations(), []);
  });

  test('none and reservation: the start check counts freeable (tmem ephemeral) pages, and passes at exactly the size', () => {
    for (const policy of ['none', 'reservation'] as const) {
      // 1000 pages: 300 owned by domain 2, 500 held by tmem as ephemeral data, 200 free.
      const hv = new Hypervisor({ pages: 1000 });
      const t = new Tmem(hv, { store: 'synthetic', lowMemPages: 0 });
      hv.attachTmem(t);
      hv.domainCreate(2, 1000);
      hv.populatePhysmap(2, 300);
      t.newPool(2, { persistent: false, shared: false });
      for (let i = 0; i < 500; i++) assert.ok(t.put(2, 0, [1, 0, 0], i, { fpHi: 0, fpLo: i + 1, compressedBytes: 4096 }).ok);
      const s = hv.physinfo();
      assert.equal(s.pagesFree, 200);
      assert.equal(s.pagesFreeable, 500);
      const b = new DomainBuilder(hv, { policy, buildPagesPerS: 1000, buildBatchPages: 100 });
      // free + freeable is exactly 700: the check passes, and eviction makes the room.
      const launch = b.request(0, 'exact', 1, 700, 700);
      assert.equal(launch.outcome, 'building', `${policy}: ${launch.reason}`);
      let now: number | null = 0;
      for (let steps = 0; now !== null; steps++) {
        assert.ok(steps < 100);
        now = b.step(now, launch);
      }
      assert.equal(launch.outcome, 'ok', `${policy}: ${launch.reason}`);
      assert.equal(hv.physinfo().pagesFreeable, 0, 'tmem gave its frames up');
      // One page more than free + freeable fails fast.
      const hv2 = new Hypervisor({ pages: 1000 });
      hv2.domainCreate(2, 1000);
      hv2.populatePhysmap(2, 300);
      const late = new DomainBuilder(hv2, { policy, buildPagesPerS: 1000, buildBatchPages: 100 }).request(0, 'one-more', 1, 701, 701);
      assert.equal(late.outcome, 'failed_fast');
      assert.deepEqual(hv.violations(), []);
    }
  });

  test('claim: the claim is for the memory to build, not maxmem (a guest may balloon up later without holding memory now)', () => {
    const hv = new Hypervisor({ pages: 1000 });
    const b = new DomainBuilder(hv, { policy: 'claim', buildPagesPerS: 1000, buildBatchPages: 100 });
    // memory 600, maxmem 900: only 600 must be there, and only 600 are promised.
    const launch = b.request(0, 'grows', 1, 600, 900);
    assert.equal(launch.outcome, 'building', launch.reason);
    assert.equal(hv.physinfo().pagesOutstanding, 600);
    const d = hv.domainInfo(1);
    assert.ok(d.ok);
    assert.equal(d.max_pages, 900);
    const wide = new DomainBuilder(new Hypervisor({ pages: 1000 }), { policy: 'claim', buildPagesPerS: 1000, buildBatchPages: 100 }).request(0, 'wide', 1, 700, 1200);
    assert.equal(wide.outcome, 'building', 'a maxmem beyond the host does not stop a launch whose memory fits');
  });

  test('claim: after the last batch the builder cancels what is left of the claim (claim_pages 0), as libxc does', () => {
    const hv = new Hypervisor({ pages: 1000 });
    const calls: [number, number][] = [];
    const claimPages = hv.claimPages.bind(hv);
    hv.claimPages = (domid: number, pages: number) => {
      calls.push([domid, pages]);
      return claimPages(domid, pages);
    };
    const b = new DomainBuilder(hv, { policy: 'claim', buildPagesPerS: 1000, buildBatchPages: 100 });
    const launch = b.request(0, 'a', 1, 250, 250);
    let now: number | null = 0;
    for (let steps = 0; now !== null; steps++) {
      assert.ok(steps < 100);
      now = b.step(now, launch);
    }
    assert.equal(launch.outcome, 'ok');
    assert.deepEqual(calls, [
      [1, 250],
      [1, 0],
    ]);
    assert.equal(hv.physinfo().pagesOutstanding, 0);
  });

  test('reservation: a queued launch that fails mid-way wastes the time from its start, not from its request', () => {
    const hv = new Hypervisor({ pages: 1000 });
    hv.domainCreate(9, 1000);
    const b = new DomainBuilder(hv, { policy: 'reservation', buildPagesPerS: 1000, buildBatchPages: 100 });
    const first = b.request(0, 'a', 1, 300, 300);
    const second = b.request(0, 'b', 2, 400, 400);
    let t: number | null = 0;
    while (t !== null) t = b.step(t, first);
    assert.equal(first.outcome, 'ok');
    const startNs = 1_000_000_000;
    assert.equal(b.nextQueued(), second);
    assert.ok(b.begin(startNs, second));
    // Its first batch is in; then a guest the ledger cannot see takes the rest.
    t = b.step(startNs, second);
    assert.ok(t !== null);
    assert.ok(hv.populatePhysmap(9, 600).ok);
    t = b.step(t, second);
    assert.equal(t, null);
    assert.equal(second.outcome, 'failed_midway');
    assert.equal(second.requestNs, 0);
    assert.equal(second.startNs, startNs);
    assert.equal(second.wastedBuildNs, 100_000_000, 'one batch of 100 pages at 1000 pages/s');
  });
});
