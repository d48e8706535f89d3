// Model-based test of tmem against a reference (fast-check): a Map from
// handle to the last content put, knowing which handles may miss
// (ephemeral: evicted at any time) and which never may (persistent). After
// every step: no get returns data other than the last put to that handle,
// persistent data is never lost, a private ephemeral hit is exclusive, and
// every invariant of the host holds (hv.violations()). All host options on
// and off, both stores. A failure prints fast-check's seed and path.
// Also: the bytes and synthetic stores give the same results for the same
// random operations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { host, fill, noise, text, synth, PAGE } from './helpers.ts';
import type { PageContent, SyntheticPage } from '../../src/hypervisor/tmem/api.ts';
import type { TmemOptions } from '../../src/hypervisor/tmem/tmem.ts';

const UUID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const DOMS = [1, 2];
/** Pool slot per domain: 0 private ephemeral, 1 persistent, 2 shared ephemeral. */
const KINDS = ['private', 'persistent', 'shared'] as const;

/** Contents: zero, fills, text (compressible), noise (incompressible), noise with a zero tail (TZE). */
const CONTENTS: Uint8Array[] = [fill(0), fill(1), fill(2), text(1), text(2), noise(1), noise(2), noise(3, 1000), noise(4, 3000)];
const SYNTH: SyntheticPage[] = CONTENTS.map(synth);
/** The contents on which the synthetic store can decide exactly as the bytes store (no partial zero tail). */
const SAME_DECISIONS = [0, 1, 2, 3, 4, 5, 6];

type Cmd =
  | { t: 'put'; dom: number; slot: number; obj: number; idx: number; c: number }
  | { t: 'get'; dom: number; slot: number; obj: number; idx: number }
  | { t: 'flush'; dom: number; slot: number; obj: number; idx: number }
  | { t: 'flushObj'; dom: number; slot: number; obj: number }
  | { t: 'recreate'; dom: number; slot: number }
  | { t: 'populate'; dom: number; pages: number }
  | { t: 'balloon'; dom: number; pages: number }
  | { t: 'relinquish'; pages: number }
  | { t: 'freeze'; dom: number; on: boolean }
  | { t: 'weight'; dom: number; w: number }
  | { t: 'compress'; dom: number; on: boolean }
  | { t: 'destroy'; dom: number };

function cmdArb(contents: number[]): fc.Arbitrary<Cmd> {
  const dom = fc.constantFrom(...DOMS);
  const slot = fc.nat(2);
  const obj = fc.nat(2);
  const idx = fc.nat(5);
  return fc.oneof(
    { weight: 10, arbitrary: fc.record({ t: fc.constant('put' as const), dom, slot, obj, idx, c: fc.constantFrom(...contents) }) },
    { weight: 8, arbitrary: fc.record({ t: fc.constant('get' as const), dom, slot, obj, idx }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('flush' as const), dom, slot, obj, idx }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('flushObj' as const), dom, slot, obj }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('recreate' as const), dom, slot }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('populate' as const), dom, pages: fc.integer({ min: 1, max: 20 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('balloon' as const), dom, pages: fc.integer({ min: 1, max: 20 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('relinquish' as const), pages: fc.integer({ min: 1, max: 8 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('freeze' as const), dom, on: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('weight' as const), dom, w: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('compress' as const), dom, on: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('destroy' as const), dom }) },
  );
}

/** The reference: handle -> content index; shared handles are keyed by the shared pool, not the domain. */
class Reference {
  readonly data = new Map<string, number>();
  /**
   * Shared objects: their last client — the pool's owner after a put (Xen's
   * do_tmem_put records pool->client), the caller after a get; a leaving
   * domain takes its objects with it.
   */
  readonly sharedLast = new Map<number, number>();
  /** The shared pool's sharers in the order they joined; the first is its owner (the pool's client). */
  readonly sharers: number[] = [];
  get sharedOwner(): number {
    return this.sharers[0];
  }
  joinShared(dom: number): void {
    this.sharers.push(dom);
  }
  leaveShared(dom: number): void {
    this.sharers.splice(this.sharers.indexOf(dom), 1);
    for (const k of [...this.data.keys()]) {
      if (!k.startsWith('s/')) continue;
      const obj = Number(k.split('/')[1]);
      if (this.sharers.length === 0 || this.sharedLast.get(obj) === dom) this.data.delete(k);
    }
  }
  key(dom: number, slot: number, obj: number, idx: number): string {
    return KINDS[slot] === 'shared' ? `s/${obj}/${idx}` : `${dom}/${slot}/${obj}/${idx}`;
  }
  dropPool(dom: number, slot: number): void {
    const prefix = KINDS[slot] === 'shared' ? null : `${dom}/${slot}/`;
    for (const k of [...this.data.keys()]) if (prefix !== null && k.startsWith(prefix)) this.data.delete(k);
  }
  persistentOf(dom: number): number {
    let n = 0;
    for (const k of this.data.keys()) if (k.startsWith(`${dom}/1/`)) n++;
    return n;
  }
}

interface Run {
  results: string[];
}

function run(options: TmemOptions, cmds: Cmd[], checkEveryStep: boolean): Run {
  const { hv, tmem } = host(160, { lowMemPages: 6, ...options }, []);
  const bytes = (options.store ?? 'bytes') === 'bytes';
  const ref = new Reference();
  const results: string[] = [];
  const frozen = new Set<number>();
  const alive = new Set<number>();
  const start = (d: number): void => {
    hv.domainCreate(d, 40);
    alive.add(d);
    for (const kind of KINDS) {
      const r = tmem.newPool(d, { persistent: kind === 'persistent', shared: kind === 'shared', uuid: UUID });
      assert.equal(r.ok, true);
    }
    ref.joinShared(d);
  };
  for (const d of DOMS) start(d);
  const outBytes = new Uint8Array(PAGE);
  const outSynth: SyntheticPage = { fpHi: 0, fpLo: 0, compressedBytes: 1 };
  const content = (c: number): PageContent => (bytes ? CONTENTS[c] : SYNTH[c]);
  const matches = (c: number): boolean =>
    bytes ? Buffer.from(outBytes).equals(Buffer.from(CONTENTS[c])) : outSynth.fpHi === SYNTH[c].fpHi && outSynth.fpLo === SYNTH[c].fpLo && outSynth.compressedBytes === SYNTH[c].compressedBytes;
  const shared = (slot: number): boolean => KINDS[slot] === 'shared';
  /** The client whose frozen flag a put or flush answers to: the pool's (a shared pool's owner). */
  const poolClient = (dom: number, slot: number): number => (shared(slot) ? ref.sharedOwner : dom);

  for (const [step, cmd] of cmds.entries()) {
    const where = `step ${step} ${JSON.stringify(cmd)}`;
    if ('dom' in cmd && !alive.has(cmd.dom) && cmd.t !== 'destroy') {
      start(cmd.dom);
      frozen.delete(cmd.dom);
    }
    switch (cmd.t) {
      case 'put': {
        const k = ref.key(cmd.dom, cmd.slot, cmd.obj, cmd.idx);
        const had = ref.data.has(k);
        const owner = poolClient(cmd.dom, cmd.slot);
        const r = tmem.put(cmd.dom, cmd.slot, [cmd.obj, 0, 0], cmd.idx, content(cmd.c));
        results.push(r.ok ? `put ${r.rc}` : `put ${r.errno}`);
        if (r.ok) {
          assert.equal(r.rc, 1, where);
          ref.data.set(k, cmd.c);
          if (shared(cmd.slot)) ref.sharedLast.set(cmd.obj, owner);
        } else if (r.errno === 'ENOSPC') {
          ref.data.delete(k);
        } else if (r.errno === 'EFROZEN') {
          assert.ok(frozen.has(owner), `${where}: EFROZEN while the pool's client is not frozen`);
        } else {
          assert.equal(r.errno, 'ENOMEM', where);
          // 4.12: ENOMEM before looking at the handle: an existing ephemeral handle may have been evicted meanwhile.
          if (had && KINDS[cmd.slot] === 'persistent') assert.ok(ref.data.has(k));
        }
        break;
      }
      case 'get': {
        const k = ref.key(cmd.dom, cmd.slot, cmd.obj, cmd.idx);
        const r = tmem.get(cmd.dom, cmd.slot, [cmd.obj, 0, 0], cmd.idx, bytes ? outBytes : outSynth);
        const expected = ref.data.get(k);
        results.push(r.ok ? `get ${r.rc}` : `get ${r.errno}`);
        if (!r.ok) {
          assert.equal(r.errno, 'EEMPTY', where);
          if (KINDS[cmd.slot] === 'persistent') assert.equal(ref.persistentOf(cmd.dom), 0, `${where}: persistent data lost (EEMPTY)`);
          if (expected !== undefined) ref.data.delete(k);
        } else if (r.rc === 1) {
          assert.ok(expected !== undefined, `${where}: hit on a handle with no data`);
          assert.ok(matches(expected), `${where}: get returned other data than the last put`);
          if (KINDS[cmd.slot] === 'private') ref.data.delete(k);
          if (shared(cmd.slot)) ref.sharedLast.set(cmd.obj, cmd.dom);
        } else {
          assert.equal(r.rc, 0, where);
          assert.ok(KINDS[cmd.slot] !== 'persistent' || expected === undefined, `${where}: persistent data lost`);
          ref.data.delete(k);
        }
        break;
      }
      case 'flush': {
        const r = tmem.flushPage(cmd.dom, cmd.slot, [cmd.obj, 0, 0], cmd.idx);
        const frozenPool = frozen.has(poolClient(cmd.dom, cmd.slot));
        assert.ok(r.ok ? r.rc === 1 && !frozenPool : r.errno === 'EFROZEN' && frozenPool, where);
        ref.data.delete(ref.key(cmd.dom, cmd.slot, cmd.obj, cmd.idx));
        break;
      }
      case 'flushObj': {
        tmem.flushObject(cmd.dom, cmd.slot, [cmd.obj, 0, 0]);
        for (let i = 0; i < 6; i++) ref.data.delete(ref.key(cmd.dom, cmd.slot, cmd.obj, i));
        break;
      }
      case 'recreate': {
        assert.deepEqual(tmem.destroyPool(cmd.dom, cmd.slot), { ok: true, rc: 1 }, where);
        ref.dropPool(cmd.dom, cmd.slot);
        if (shared(cmd.slot)) ref.leaveShared(cmd.dom);
        const kind = KINDS[cmd.slot];
        const r = tmem.newPool(cmd.dom, { persistent: kind === 'persistent', shared: kind === 'shared', uuid: UUID });
        assert.deepEqual(r, { ok: true, rc: cmd.slot }, where);
        if (shared(cmd.slot)) ref.joinShared(cmd.dom);
        break;
      }
      case 'populate':
        hv.populatePhysmap(cmd.dom, cmd.pages);
        break;
      case 'balloon':
        hv.decreaseReservation(cmd.dom, cmd.pages);
        break;
      case 'relinquish':
        tmem.relinquish(cmd.pages);
        break;
      case 'freeze':
        if (cmd.on) tmem.control.freeze(cmd.dom);
        else tmem.control.thaw(cmd.dom);
        if (cmd.on) frozen.add(cmd.dom);
        else frozen.delete(cmd.dom);
        break;
      case 'weight':
        tmem.control.setWeight(cmd.dom, cmd.w);
        break;
      case 'compress':
        tmem.control.setCompress(cmd.dom, cmd.on);
        break;
      case 'destroy': {
        if (!alive.has(cmd.dom)) break;
        hv.domainDestroy(cmd.dom);
        alive.delete(cmd.dom);
        frozen.delete(cmd.dom);
        for (const slot of [0, 1]) ref.dropPool(cmd.dom, slot);
        ref.leaveShared(cmd.dom);
        break;
      }
    }
    if (checkEveryStep) {
      const v = hv.violations();
      assert.deepEqual(v, [], `${where}: invariants`);
    }
  }
  return { results };
}

const OPTION_SETS: TmemOptions[] = [];
for (const store of ['bytes', 'synthetic'] as const) {
  for (let bits = 0; bits < 8; bits++) {
    OPTION_SETS.push({ store, dedup: (bits & 1) !== 0, tze: (bits & 2) !== 0, compress: (bits & 4) !== 0 });
  }
}

for (const options of OPTION_SETS) {
  test(`model: tmem agrees with the reference, invariants every step (${JSON.stringify(options)})`, () => {
    fc.assert(
      fc.property(fc.array(cmdArb([...CONTENTS.keys()]), { minLength: 20, maxLength: 200 }), (cmds) => {
        run(options, cmds, true);
      }),
      { numRuns: 100 },
    );
  });
}

test('bytes and synthetic stores: the same results for the same random operations', () => {
  fc.assert(
    fc.property(
      fc.array(cmdArb(SAME_DECISIONS), { minLength: 20, maxLength: 150 }),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      (cmds, dedup, tze, compress) => {
        const a = run({ store: 'bytes', dedup, tze, compress }, cmds, false);
        const b = run({ store: 'synthetic', dedup, tze, compress }, cmds, false);
        assert.deepEqual(b.results, a.results);
      },
    ),
    { numRuns: 150 },
  );
});
