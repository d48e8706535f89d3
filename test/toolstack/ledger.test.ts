// The reservation policy's ledger (SEMANTICS.md §6): the toolstack admits a
// launch against free + freeable less what it promised itself (the rest of
// the launch it builds, the balloon targets it set with mem-set), and cannot
// see what guests decide on their own (self-ballooning), so it still races.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import { DomainBuilder } from '../../src/toolstack/builder.ts';
import { Tmem } from '../../src/hypervisor/tmem/tmem.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { Policy } from '../../src/scenario/types.ts';

const MiB = 256;

/**
 * 2 GiB host, 1888 MiB for guests: web (256 MiB, maxmem 1 GiB) and db
 * (1536 MiB) leave 96 MiB free. db is destroyed at 1.5 s, and a 1 GiB
 * launch asked for at 1.6 s. tmem is on only when `guests` wants it.
 */
function run(policy: Policy, web: string, timeline: string[], tmem = false, duration = '8s') {
  const text = `name: ledger
seed: 1
duration: ${duration}
sample_interval: 1s
host: {memory: 2GiB, hypervisor_reserve: 32MiB, tmem: {enabled: ${tmem}}}
dom0: {memory: 128MiB}
toolstack: {policy: ${policy}, build_rate: 256MiB/s, build_batch: 16MiB}
guests:
  - ${web}
  - {name: db, memory: 1536MiB, maxmem: 1536MiB, swap: 64MiB}
timeline:
${timeline.map((e) => `  - ${e}`).join('\n')}
`;
  const r = new Simulation(parseScenario(text, 'ledger.yaml'), {}).run();
  // Each launch as summarised, with the outcome's event: its reason and the pages built.
  const launches = new Map(
    r.summary.launches.map((l) => {
      const ended = r.events.find((e) => e.kind === `launch_${l.outcome}` && e.guest === l.name);
      return [l.name, { ...l, reason: String(ended?.reason), done_pages: Number(ended?.done_pages) }];
    }),
  );
  return { launches, events: r.events };
}

const plainWeb = '{name: web, memory: 256MiB, maxmem: 1GiB, swap: 64MiB}';
/** web is told to grow to 1 GiB while the host is full: it takes the 96 MiB free and backs off (retry at 3 s). */
const memSetRace = ['{at: 1s, mem_set: {guest: web, target: 1GiB}}', '{at: 1500ms, destroy: {guest: db}}', '{at: 1600ms, launch: {name: big, memory: 1GiB}}'];

describe('reservation ledger', () => {
  test('the ledger as the toolstack reads it: mem-set targets less tot_pages (up to max_pages and the boot maxmem), the launch building, forget on destroy', () => {
    const hv = new Hypervisor({ pages: 2000 });
    hv.domainCreate(9, 1000);
    hv.populatePhysmap(9, 300);
    const b = new DomainBuilder(hv, { policy: 'reservation', buildPagesPerS: 1000, buildBatchPages: 100 });
    assert.deepEqual(b.ledger(), []);
    b.noteMemSet(9, 'web', 800, 1000);
    assert.deepEqual(b.ledger(), [{ what: 'mem-set of web', pages: 500 }]);
    hv.populatePhysmap(9, 100);
    assert.deepEqual(b.ledger(), [{ what: 'mem-set of web', pages: 400 }], 'shrinks as the guest deflates');
    hv.setMaxMem(9, 600);
    assert.deepEqual(b.ledger(), [{ what: 'mem-set of web', pages: 200 }], 'the guest cannot grow past max_pages');
    const launch = b.request(0, 'big', 1, 300, 300);
    assert.deepEqual(b.ledger(launch), [{ what: 'mem-set of web', pages: 200 }], 'the launch itself is not its own promise');
    b.step(0, launch);
    assert.deepEqual(b.ledger(), [
      { what: 'launch of big', pages: 200 },
      { what: 'mem-set of web', pages: 200 },
    ]);
    b.noteMemSet(9, 'web', 300, 1000);
    assert.deepEqual(b.ledger(launch), [], 'a later mem-set replaces the promise; one below tot_pages promises nothing');
    hv.setMaxMem(9, 2000);
    b.noteMemSet(9, 'web', 1500, 1000);
    assert.deepEqual(b.ledger(launch), [{ what: 'mem-set of web', pages: 600 }], 'a raised max_pages does not carry the promise past the maxmem the guest booted with');
    b.noteMemSet(9, 'web', 900, 1000);
    assert.deepEqual(b.ledger(launch), [{ what: 'mem-set of web', pages: 500 }], 'a target below the boot maxmem is promised in full');
    hv.domainDestroy(9);
    assert.throws(() => b.ledger(), /mem-set of web \(domain 9\), which no longer exists/);
    b.forget(9);
    assert.deepEqual(b.ledger(launch), []);
  });

  test('blind to persistent puts: the ledger reads tot_pages, which counts the guest\'s frontswap frames in tmem, so it promises less than the balloon will take', () => {
    const hv = new Hypervisor({ pages: 2000 });
    const t = new Tmem(hv, { store: 'synthetic', lowMemPages: 0 });
    hv.attachTmem(t);
    hv.domainCreate(9, 1000);
    hv.populatePhysmap(9, 300);
    const pool = t.newPool(9, { persistent: true, shared: false });
    assert.ok(pool.ok);
    for (let i = 0; i < 100; i++) assert.ok(t.put(9, pool.rc, [1, 0, 0], i, { fpHi: 0, fpLo: i + 1, compressedBytes: 4096 }).ok);
    const info = hv.domainInfo(9);
    assert.ok(info.ok);
    assert.deepEqual([info.tot_pages, info.tmem_pages], [400, 100]);
    const b = new DomainBuilder(hv, { policy: 'reservation', buildPagesPerS: 1000, buildBatchPages: 100 });
    b.noteMemSet(9, 'web', 800, 1000);
    // The guest's RAM is 300 pages: deflating to 800 it takes 500 more, but the ledger sees 800 − 400.
    assert.deepEqual(b.ledger(), [{ what: 'mem-set of web', pages: 400 }]);
  });

  test('a launch that free + freeable would admit is refused fast for memory promised by a mem-set (none admits it and runs out mid-way)', () => {
    const res = run('reservation', plainWeb, memSetRace).launches.get('big');
    assert.equal(res?.outcome, 'failed_fast');
    // 1536 MiB free; web took 96 of its 768 MiB: 672 still promised.
    assert.equal(
      res.reason,
      'only 1.5 GiB (393,216 pages) free + freeable, of which 672 MiB (172,032 pages) promised by the toolstack (mem-set of web: 672 MiB); 1 GiB (262,144 pages) needed',
    );
    const none = run('none', plainWeb, memSetRace).launches.get('big');
    assert.equal(none?.outcome, 'failed_midway', 'admitted, then web deflates to its target at its retry (3 s)');
    assert.equal(none.start_ns, 1_600_000_000);
    assert.equal(none.done_pages, 864 * MiB);
  });

  test('the promise shrinks as the guest deflates: once web has its 1 GiB, a launch that fits what is left is admitted', () => {
    const { launches } = run('reservation', plainWeb, [...memSetRace, '{at: 4s, launch: {name: small, memory: 512MiB}}']);
    // 1536 - 768 = 768 MiB free at 4 s, none of it promised any more.
    assert.equal(launches.get('small')?.outcome, 'ok', launches.get('small')?.reason);
  });

  test('a mem_max raise does not carry the promise past the maxmem the guest booted with (its max_pfn); the mem_set event says how far it can go', () => {
    // web boots with maxmem 512 MiB, is raised to 1 GiB at 500 ms and told to
    // grow to 1 GiB at 1 s: it can reach 512 MiB only, so 160 MiB are promised
    // at 1.6 s (it took the 96 MiB free at 1 s), not 672.
    const raised = run('reservation', '{name: web, memory: 256MiB, maxmem: 512MiB, swap: 64MiB}', ['{at: 500ms, mem_max: {guest: web, maxmem: 1GiB}}', ...memSetRace]);
    const big = raised.launches.get('big');
    assert.equal(big?.outcome, 'ok', big?.reason);
    const memSet = raised.events.find((e) => e.kind === 'mem_set');
    assert.deepEqual(memSet && { target: memSet.target_pages, reachable: memSet.reachable_pages, note: memSet.note }, {
      target: 1024 * MiB,
      reachable: 512 * MiB,
      note: "above web's max_pfn, 512 MiB (the maxmem it booted with): a running PV guest's balloon cannot grow past it, whatever max_pages is, so the target is not reached",
    });
    // Booted with maxmem 1 GiB and raised to 2 GiB, the same target is reachable: promised in full (672 MiB), as before, and the event has no new field.
    const full = run('reservation', plainWeb, ['{at: 500ms, mem_max: {guest: web, maxmem: 2GiB}}', ...memSetRace]);
    assert.equal(full.launches.get('big')?.outcome, 'failed_fast');
    assert.match(full.launches.get('big')?.reason ?? '', /promised by the toolstack \(mem-set of web: 672 MiB\)/);
    assert.deepEqual(Object.keys(full.events.find((e) => e.kind === 'mem_set') ?? {}), ['timeNs', 'kind', 'guest', 'target_pages']);
  });

  test('a mem-set that cannot raise the guest past its boot maxmem is not held during a build, whatever a mem_max raise set', () => {
    // web booted at its maxmem (256 MiB), max_pages raised to 1 GiB: a 1 GiB target cannot take a page, so it is done at once.
    const timeline = ['{at: 500ms, mem_max: {guest: web, maxmem: 1GiB}}', '{at: 1s, destroy: {guest: db}}', '{at: 1200ms, launch: {name: big, memory: 1GiB}}', '{at: 2s, mem_set: {guest: web, target: 1GiB}}'];
    const r = run('reservation', '{name: web, memory: 256MiB, maxmem: 256MiB, swap: 64MiB}', timeline);
    assert.ok(!r.events.some((e) => e.kind === 'mem_set_held'), 'not held');
    assert.equal(r.events.find((e) => e.kind === 'mem_set')?.timeNs, 2e9);
    assert.equal(r.launches.get('big')?.outcome, 'ok');
  });

  test('a mem_set above the 11-times cap of a PV guest\'s physmap says why its max_pfn is below its boot maxmem', () => {
    const { events } = run('reservation', '{name: web, memory: 64MiB, maxmem: 1GiB, swap: 64MiB}', ['{at: 1s, mem_set: {guest: web, target: 1GiB}}']);
    const memSet = events.find((e) => e.kind === 'mem_set');
    assert.equal(memSet?.reachable_pages, 11 * 64 * MiB);
    assert.equal(memSet.note, "above web's max_pfn, 704 MiB (11 times its boot memory of 64 MiB, below its boot maxmem of 1 GiB): a running PV guest's balloon cannot grow past it, whatever max_pages is, so the target is not reached");
  });

  test('a destroyed guest\'s promise leaves the ledger', () => {
    const { launches } = run('reservation', plainWeb, [...memSetRace, '{at: 1550ms, destroy: {guest: web}}']);
    assert.equal(launches.get('big')?.outcome, 'ok', launches.get('big')?.reason);
  });

  test('its own mem-set during a build waits for the build to end (the ledger sees it); none and claim do it at once', () => {
    // db goes at 1 s; big (1 GiB) builds from 1.2 s to 5.2 s; at 2 s web is told to grow to 1 GiB.
    const timeline = ['{at: 1s, destroy: {guest: db}}', '{at: 1200ms, launch: {name: big, memory: 1GiB}}', '{at: 2s, mem_set: {guest: web, target: 1GiB}}', '{at: 2100ms, launch: {name: late, memory: 64MiB}}'];
    const res = run('reservation', plainWeb, timeline);
    assert.equal(res.launches.get('big')?.outcome, 'ok', res.launches.get('big')?.reason);
    const held = res.events.find((e) => e.kind === 'mem_set_held');
    assert.deepEqual(held && { t: held.timeNs, guest: held.guest, note: held.note }, { t: 2e9, guest: 'web', note: 'the toolstack holds it until the build of big ends (reservation)' });
    // In the order asked: late, asked after the mem-set, comes after it, and the ledger then holds web's promise.
    const order = res.events.filter((e) => e.kind === 'mem_set' || e.kind.startsWith('launch_') && e.kind !== 'launch_request').map((e) => `${e.kind} ${String(e.guest)} ${e.timeNs / 1e6}`);
    assert.deepEqual(order, ['launch_start big 1200', 'launch_ok big 5200', 'mem_set web 5200', 'launch_failed_fast late 5200']);
    assert.match(res.launches.get('late')?.reason ?? '', /promised by the toolstack \(mem-set of web: 768 MiB\); 64 MiB/);
    assert.equal(res.events.find((e) => e.kind === 'mem_set')?.held_ns, 3.2e9);
    // Without a ledger the mem-set is done at 2 s and web takes memory big was populating into.
    const none = run('none', plainWeb, timeline);
    assert.equal(none.launches.get('big')?.outcome, 'failed_midway', none.launches.get('big')?.reason);
    assert.ok(!none.events.some((e) => e.kind === 'mem_set_held'));
    assert.equal(none.events.find((e) => e.kind === 'mem_set')?.timeNs, 2e9);
    // A lowering mem-set gives memory back: done at once, also under reservation.
    const lower = run('reservation', plainWeb, ['{at: 1s, destroy: {guest: db}}', '{at: 1200ms, launch: {name: big, memory: 1GiB}}', '{at: 2s, mem_set: {guest: web, target: 128MiB}}']);
    assert.equal(lower.events.find((e) => e.kind === 'mem_set')?.timeNs, 2e9);
    // A later mem-set of the same guest waits behind the held one, lowering or not: the last asked is the last done.
    const twice = run('reservation', plainWeb, [...timeline.slice(0, 3), '{at: 3s, mem_set: {guest: web, target: 200MiB}}']);
    assert.deepEqual(
      twice.events.filter((e) => e.kind.startsWith('mem_set')).map((e) => `${e.kind} ${e.timeNs / 1e6} ${String(e.target_pages)}`),
      ['mem_set_held 2000 262144', 'mem_set_held 3000 51200', 'mem_set 5200 262144', 'mem_set 5200 51200'],
    );
    // The run ends while the build (and the mem-set) wait: the mem-set is named as not done.
    const cut = run('reservation', plainWeb, timeline.slice(0, 3), false, '3s');
    assert.deepEqual(
      cut.events.filter((e) => e.kind === 'skipped').map((e) => [e.timeNs, e.where, e.note]),
      [[3e9, 'timeline[2]', 'held by the toolstack until the build of big ends, which the run did not reach']],
    );
    // A guest destroyed while its mem-set waits: the mem-set does nothing, said so.
    const gone = run('reservation', plainWeb, [...timeline.slice(0, 3), '{at: 3s, destroy: {guest: web}}']);
    assert.ok(!gone.events.some((e) => e.kind === 'mem_set'));
    assert.deepEqual(gone.events.filter((e) => e.kind === 'skipped').map((e) => [e.where, e.note]), [['timeline[2]', 'the guest is not running']]);
  });

  test('blind to self-ballooning: a launch admitted while a self-ballooning guest waits to grow fails mid-way when it does', () => {
    // web's demand steps up at 1 s; at 2 s self-ballooning raises its own
    // target to its maxmem, but the host is full and the driver backs off.
    // The toolstack never set that target: it admits big, and web's retry at
    // 4 s takes the memory big is populating.
    const selfballooning = `name: web
    memory: 256MiB
    maxmem: 1GiB
    swap: 1GiB
    selfballoon: {enabled: true, interval: 1s}
    workload:
      anon: {profile: step, level: 10%, rate: 300/s, step: {at: 1s, level: 90%}}
      files: {working_set: 16MiB, rate: 100/s}`;
    const { launches, events } = run('reservation', selfballooning, ['{at: 2500ms, destroy: {guest: db}}', '{at: 2600ms, launch: {name: big, memory: 1GiB}}'], true);
    const big = launches.get('big');
    assert.equal(big?.outcome, 'failed_midway', big?.reason);
    assert.equal(big.start_ns, 2_600_000_000, 'admitted at once');
    assert.match(big.reason, /^memory ran out after /);
    assert.ok(!events.some((e) => e.kind === 'mem_set'));
  });
});
