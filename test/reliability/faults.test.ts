// Faults on the timeline (issue 8), each scenario in test/faults/ run in
// verify mode (every invariant of the host, tmem and every guest after every
// event): a guest crash (with persistent tmem pages) and a crash mid-build
// (with a claim outstanding); the toolstack dying between claim and populate
// (the claim stays until the domain is destroyed, visible in the report's
// timeseries.csv); a burst of launches at one instant; host-wide tmem
// flushes under pressure. After each: no violation, the summary counts the
// fault, and no persistent page of a live domain is lost (no failed
// frontswap load, no page back with other contents).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load } from '../../src/cli/run.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { LoggedEvent } from '../../src/sim/metrics.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const faults = `${root}test/faults/`;

function verified(name: string, sets: string[] = []) {
  const sim = new Simulation(load(`${faults}${name}.yaml`, sets), { verify: 'every-event' });
  const result = sim.run();
  assert.equal(result.summary.invariant_violations, 0, result.violations.join('\n'));
  // No persistent page of a live domain lost, nothing came back altered.
  for (const g of sim.liveGuests()) {
    assert.equal(g.metrics.frontswap.failedLoads, 0, `${g.name}: frontswap loads missed`);
    assert.deepEqual(g.violations, [], g.name);
  }
  return { sim, result, events: result.events };
}

const only = (events: LoggedEvent[], kind: string, guest?: string): LoggedEvent[] =>
  events.filter((e) => e.kind === kind && (guest === undefined || e.guest === guest));

describe('faults on the timeline, in verify mode', () => {
  test('crash: a guest with persistent tmem pages, and a launch mid-build with its claim outstanding', () => {
    const { sim, result, events } = verified('crash');
    assert.equal(result.summary.faults.crashes, 2);
    const [big] = only(events, 'crash', 'big');
    assert.ok((big.claim_released as number) > 0, `the crashed build held a claim: ${JSON.stringify(big)}`);
    assert.ok((big.freed_pages as number) > 0, 'and some populated pages');
    assert.equal(result.summary.launches[0].outcome, 'abandoned');
    const [web] = only(events, 'crash', 'web-1');
    assert.ok((web.persistent_frames as number) > 0, `web-1 held persistent tmem frames when it crashed: ${JSON.stringify(web)}`);
    assert.ok((web.freed_pages as number) > (web.persistent_frames as number));
    // The hypervisor forgot both domains: no pages, no claim, no tmem client.
    for (const domid of [big.domid as number, web.domid as number]) assert.deepEqual(sim.hv.domainInfo(domid), { ok: false, errno: 'ESRCH' });
    assert.equal(sim.hv.physinfo().pagesOutstanding, 0);
    const list = sim.tmem!.control.list();
    assert.ok(list.ok);
    assert.deepEqual(
      list.clients.map((c) => c.domid),
      sim.liveGuests().map((g) => g.domid).filter((d) => list.clients.some((c) => c.domid === d)),
    );
    // The survivor kept every persistent page it stored (its loads all hit).
    const survivor = sim.liveGuests().find((g) => g.name === 'web-2');
    assert.ok(survivor !== undefined && survivor.metrics.frontswap.loads > 0);
  });

  test('toolstack dies between claim and populate: the claim stays until the domain is destroyed (timeseries.csv)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hypermem-faults-')), 'run');
    const r = spawnSync(process.execPath, [`${root}bin/hypermem.js`, 'run', `${faults}toolstack-dies.yaml`, '--verify', '--quiet', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(readFileSync(`${out}/summary.json`, 'utf8'));
    assert.equal(summary.invariant_violations, 0);
    assert.equal(summary.faults.toolstack_deaths, 1);
    const events = readFileSync(`${out}/events.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LoggedEvent);
    const [dies] = only(events, 'toolstack_dies', 'big');
    const [destroy] = only(events, 'destroy', 'big');
    assert.ok((dies.claim_left_pages as number) > 0, JSON.stringify(dies));
    assert.equal(destroy.claim_released, dies.claim_left_pages, 'the claim was still whole when the domain was destroyed');
    assert.equal(only(events, 'skipped', 'big').length, 0);
    const [header, ...rows] = readFileSync(`${out}/timeseries.csv`, 'utf8').trim().split('\n');
    const col = header.split(',').indexOf('outstanding_claims');
    const series = rows.map((row) => ({ t: Number(row.split(',')[0]), claims: Number(row.split(',')[col]) }));
    const dieS = (dies.timeNs as number) / 1e9;
    const destroyS = (destroy.timeNs as number) / 1e9;
    const between = series.filter((s) => s.t >= dieS && s.t < destroyS);
    assert.ok(between.length >= 5);
    assert.ok(between.every((s) => s.claims === dies.claim_left_pages), JSON.stringify(between));
    assert.ok(series.filter((s) => s.t >= destroyS).every((s) => s.claims === 0));
  });

  test('toolstack dies under every policy: no violation, the fault counted, outstanding claims only under claim', () => {
    for (const policy of ['none', 'reservation']) {
      const { result, sim } = verified('toolstack-dies', [`toolstack.policy=${policy}`]);
      assert.equal(result.summary.faults.toolstack_deaths, 1, policy);
      assert.equal(result.summary.host.max_outstanding_pages, 0, policy);
      assert.equal(sim.hv.physinfo().pagesOutstanding, 0);
    }
  });

  test('a burst of launches at one instant: counted; under claim each completes or fails at once', () => {
    const { result } = verified('burst');
    assert.equal(result.summary.faults.launch_bursts, 1);
    assert.equal(result.summary.launches.length, 5);
    assert.ok(result.summary.launches.every((l) => l.outcome === 'ok' || l.outcome === 'failed_fast'), JSON.stringify(result.summary.launches));
    assert.ok(result.summary.launches.some((l) => l.outcome === 'ok'));
    assert.ok(result.summary.launches.some((l) => l.outcome === 'failed_fast'));
  });

  test('a burst under no claim: counted, no violation (launches may fail midway)', () => {
    const { result } = verified('burst', ['toolstack.policy=none']);
    assert.equal(result.summary.faults.launch_bursts, 1);
  });

  test('tmem flushes under pressure: counted, ephemeral pages freed, persistent pages untouched', () => {
    const { result, events } = verified('tmem-flush');
    assert.equal(result.summary.faults.tmem_flushes, 2);
    const flushes = only(events, 'tmem_flush');
    assert.ok((flushes[0].freed_pages as number) > 0, JSON.stringify(flushes));
    assert.ok(result.summary.tmem.persistent_pages_max > 0, 'the guests had persistent pages to lose');
    assert.equal(result.summary.launches[0].outcome, 'ok');
  });

  test('a tmem flush event counts pages, as it asks them: a flush smaller than the ephemeral data frees exactly that', () => {
    // Without compression one eviction frees one frame, so a 4 MiB flush of a
    // host holding more ephemeral data than that frees 1024 pages.
    const { events } = verified('tmem-flush', ['host.tmem.compress=false', 'timeline[0].tmem_flush.size=4MiB']);
    const [first, second] = only(events, 'tmem_flush');
    assert.deepEqual(Object.keys(first).sort(), ['asked_pages', 'freed_pages', 'kind', 'timeNs']);
    assert.equal(first.asked_pages, 1024);
    assert.equal(first.freed_pages, first.asked_pages, JSON.stringify(first));
    // The second asks for the whole host and gets what tmem held: less.
    assert.ok((second.freed_pages as number) > 0 && (second.freed_pages as number) < (second.asked_pages as number), JSON.stringify(second));
  });

  test('tmem actions on a host with tmem off are skipped, and said so in the event log', () => {
    const { result, events } = verified('tmem-flush', ['host.tmem.enabled=false']);
    assert.equal(result.summary.faults.tmem_flushes, 0);
    assert.equal(only(events, 'tmem_flush').length, 0);
    const skipped = only(events, 'skipped');
    assert.equal(skipped.length, 2, JSON.stringify(skipped));
    for (const e of skipped) assert.equal(e.note, 'tmem is off on this host');
    assert.match(String(skipped[0].where), /timeline\[\d+\]/);
  });

  test('crash of a launch while it is building and while it is queued (reservation): neither boots', () => {
    const { result, events, sim } = verified('crash-queued');
    assert.equal(result.summary.faults.crashes, 2);
    for (const name of ['q-1', 'q-3']) {
      assert.equal(result.summary.launches.find((l) => l.name === name)?.outcome, 'abandoned', name);
      assert.equal(only(events, 'guest_start', name).length, 0, `${name} never boots`);
    }
    // q-1 was building: its domain went with its pages; q-3 was queued: no domain yet, nothing to free.
    assert.ok((only(events, 'crash', 'q-1')[0].freed_pages as number) > 0);
    assert.equal(only(events, 'crash', 'q-3')[0].note, 'the launch was queued: no domain yet');
    assert.equal(only(events, 'skipped').length, 0);
    assert.equal(result.summary.launches.find((l) => l.name === 'q-2')?.outcome, 'ok');
    assert.equal(sim.hv.physinfo().pagesOutstanding, 0);
    assert.equal(only(events, 'launch_abandoned', 'q-1')[0].reason, 'the domain was crashed during the build');
    assert.equal(only(events, 'launch_abandoned', 'q-3')[0].reason, 'the guest was crashed while its launch was queued, before its build began');
  });

  test('toolstack death, destroy and crash of launches still queued (reservation): the reasons say no build had begun', () => {
    const { result, events } = verified('queued-stops');
    const reasons = Object.fromEntries(only(events, 'launch_abandoned').map((e) => [e.guest, e.reason]));
    assert.deepEqual(reasons, {
      'q-2': 'the toolstack died while the launch was queued, before its build began',
      'q-3': 'the guest was destroyed while its launch was queued, before its build began',
      'q-4': 'the guest was crashed while its launch was queued, before its build began',
    });
    for (const name of ['q-2', 'q-3', 'q-4']) assert.equal(result.summary.launches.find((l) => l.name === name)?.start_ns, -1, `${name} never began`);
    assert.equal(result.summary.launches.find((l) => l.name === 'q-1')?.outcome, 'ok');
    assert.equal(only(events, 'skipped').length, 0);
  });
});
