// Structural tests of tmem's typed-array building blocks against tiny
// reference models: the index-linked lists (next[prev[i]] === i, counts),
// the open-addressing id table (a Map) and the sub-page allocator (exact
// frame counts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LinkedLists } from '../../src/lib/lists.ts';
import { IdTable } from '../../src/hypervisor/tmem/table.ts';
import { SubpageAllocator, SUBPAGE_LIMIT_BYTES } from '../../src/hypervisor/tmem/subpage.ts';
import { NONE, mix32 } from '../../src/lib/typed.ts';

function walk(ls: LinkedLists, list: number): number[] {
  const out: number[] = [];
  for (let n = ls.head(list); n !== NONE; n = ls.nextOf(n)) out.push(n);
  return out;
}

// Two list sets sharing one record array (stride 5: a payload word, then each set's link pair), as tmem's page records.
test('linked lists (own array and shared records) match an array model under push / remove / move at both ends', () => {
  const op = fc.record({ kind: fc.constantFrom('pushTail', 'pushHead', 'remove', 'toTail', 'toHead'), set: fc.nat(1), list: fc.nat(2), node: fc.nat(39) });
  fc.assert(
    fc.property(fc.boolean(), fc.array(op, { minLength: 10, maxLength: 200, size: 'medium' }), fc.nat(40), (shared, ops, growAt) => {
      // Room for nodes 0..19 first; grown to 40 nodes and 3 lists part-way, with links in place.
      let rec = new Uint32Array(5 * 20).fill(NONE);
      const sets = shared
        ? [new LinkedLists(20, 1, 5, 1, rec), new LinkedLists(20, 1, 5, 3, rec)]
        : [new LinkedLists(20, 1), new LinkedLists(20, 1)];
      for (let n = 0; n < 20; n++) rec[5 * n] = n * 7; // payload words must survive list operations and growth
      let grown = false;
      const grow = (): void => {
        grown = true;
        if (shared) {
          const bigger = new Uint32Array(5 * 40).fill(NONE);
          bigger.set(rec);
          rec = bigger;
          for (let n = 20; n < 40; n++) rec[5 * n] = n * 7;
          for (const ls of sets) ls.attach(rec);
        } else {
          for (const ls of sets) ls.growNodes(40);
        }
        for (const ls of sets) ls.growLists(3);
      };
      const model: number[][][] = [[[], [], []], [[], [], []]];
      const where = [new Map<number, number>(), new Map<number, number>()];
      for (const [step, o] of ops.entries()) {
        if (step === growAt) grow();
        if (!grown && (o.node >= 20 || o.list >= 1)) continue;
        const ls = sets[o.set];
        const m = model[o.set];
        const at = where[o.set].get(o.node);
        if ((o.kind === 'pushTail' || o.kind === 'pushHead') && at === undefined) {
          if (o.kind === 'pushTail') {
            ls.pushTail(o.list, o.node);
            m[o.list].push(o.node);
          } else {
            ls.pushHead(o.list, o.node);
            m[o.list].unshift(o.node);
          }
          where[o.set].set(o.node, o.list);
        } else if (o.kind === 'remove' && at !== undefined) {
          ls.remove(at, o.node);
          m[at].splice(m[at].indexOf(o.node), 1);
          where[o.set].delete(o.node);
        } else if (o.kind === 'toTail' && at !== undefined) {
          ls.moveToTail(at, o.node);
          m[at].splice(m[at].indexOf(o.node), 1);
          m[at].push(o.node);
        } else if (o.kind === 'toHead' && at !== undefined) {
          ls.moveToHead(at, o.list, o.node);
          m[at].splice(m[at].indexOf(o.node), 1);
          m[o.list].unshift(o.node);
          where[o.set].set(o.node, o.list);
        }
        for (let s = 0; s < 2; s++) {
          for (let l = 0; l < (grown ? 3 : 1); l++) {
            assert.deepEqual(sets[s].check(l, `set ${s} list ${l}`), []);
            assert.deepEqual(walk(sets[s], l), model[s][l]);
            assert.equal(sets[s].count(l), model[s][l].length);
          }
        }
      }
      if (shared) for (let n = 0; n < (grown ? 40 : 20); n++) assert.equal(rec[5 * n], n * 7);
    }),
    { numRuns: 200 },
  );
});

test('list integrity check reports a broken back link', () => {
  const ls = new LinkedLists(8, 1);
  ls.pushTail(0, 1);
  ls.pushTail(0, 2);
  ls.pushTail(0, 3);
  ls.setPrev(3, 1);
  assert.ok(ls.check(0, 'l').some((m) => m.includes('prev[3]')));
});

test('id table agrees with a Map through inserts, removes and growth', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ add: fc.boolean(), key: fc.nat(300) }), { maxLength: 400 }), (ops) => {
      const keyOf = new Uint32Array(1000);
      const t = new IdTable((id) => mix32(keyOf[id]) & 0xff, 2); // many collisions on purpose
      const model = new Map<number, number>();
      let nextId = 0;
      const find = (key: number): number => {
        for (let s = t.start(mix32(key) & 0xff); ; s = t.next(s)) {
          const id = t.at(s);
          if (id === NONE || keyOf[id] === key) return id;
        }
      };
      for (const o of ops) {
        const present = model.get(o.key);
        if (o.add && present === undefined) {
          const id = nextId++;
          keyOf[id] = o.key;
          t.insert(id, mix32(o.key) & 0xff);
          model.set(o.key, id);
        } else if (!o.add && present !== undefined) {
          t.remove(present, mix32(o.key) & 0xff);
          model.delete(o.key);
        }
      }
      for (let k = 0; k <= 300; k++) assert.equal(find(k), model.get(k) ?? NONE);
      assert.equal(t.count, model.size);
      assert.deepEqual(t.violations('t'), []);
    }),
    { numRuns: 150 },
  );
});

test('sub-page allocator: frames held are exactly the groups with live slots', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ alloc: fc.boolean(), size: fc.integer({ min: 1, max: SUBPAGE_LIMIT_BYTES - 1 }), pick: fc.nat() }), { maxLength: 300 }), (ops) => {
      const sub = new SubpageAllocator(true);
      const live: { h: number; size: number; byte: number }[] = [];
      for (const o of ops) {
        if (o.alloc || live.length === 0) {
          const need = sub.framesNeeded(o.size);
          const before = sub.framesUsed;
          const h = sub.alloc(o.size);
          assert.equal(sub.framesUsed - before, need);
          const byte = (live.length * 7 + 1) & 0xff;
          sub.buffer(h).fill(byte, sub.offset(h), sub.offset(h) + o.size);
          live.push({ h, size: o.size, byte });
        } else {
          const [gone] = live.splice(o.pick % live.length, 1);
          sub.free(gone.h);
        }
        assert.deepEqual(sub.violations('sub'), []);
      }
      // No slot overlaps another: every live slot still holds its own bytes.
      for (const l of live) {
        const b = sub.buffer(l.h).subarray(sub.offset(l.h), sub.offset(l.h) + l.size);
        assert.ok(b.every((x) => x === l.byte));
      }
      for (const l of live) sub.free(l.h);
      assert.equal(sub.framesUsed, 0);
    }),
    { numRuns: 100 },
  );
});
