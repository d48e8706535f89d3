// Structural tests of tmem's typed-array building blocks against tiny
// reference models: the index-linked lists (next[prev[i]] === i, counts),
// the open-addressing id table (a Map) and the sub-page allocator (exact
// frame counts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ListSet } from '../../src/hypervisor/tmem/lru.ts';
import { IdTable } from '../../src/hypervisor/tmem/table.ts';
import { SubpageAllocator, SUBPAGE_LIMIT_BYTES } from '../../src/hypervisor/tmem/subpage.ts';
import { NONE, mix32 } from '../../src/hypervisor/tmem/typed.ts';

function walk(ls: ListSet, list: number): number[] {
  const out: number[] = [];
  for (let n = ls.first(list); n !== NONE; n = ls.next[n]) out.push(n);
  return out;
}

test('list set matches an array model under push / remove / move-to-tail, links intact', () => {
  const op = fc.record({ kind: fc.constantFrom('push', 'remove', 'touch'), list: fc.nat(2), node: fc.nat(39) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const ls = new ListSet(4, 1);
      ls.growNodes(40);
      ls.growLists(3);
      const model: number[][] = [[], [], []];
      const where = new Map<number, number>();
      for (const o of ops) {
        const at = where.get(o.node);
        if (o.kind === 'push' && at === undefined) {
          ls.pushTail(o.list, o.node);
          model[o.list].push(o.node);
          where.set(o.node, o.list);
        } else if (o.kind === 'remove' && at !== undefined) {
          ls.remove(at, o.node);
          model[at].splice(model[at].indexOf(o.node), 1);
          where.delete(o.node);
        } else if (o.kind === 'touch' && at !== undefined) {
          ls.moveToTail(at, o.node);
          model[at].splice(model[at].indexOf(o.node), 1);
          model[at].push(o.node);
        }
        for (let l = 0; l < 3; l++) {
          assert.deepEqual(ls.checkList(l, `list ${l}`, () => {}), []);
          assert.deepEqual(walk(ls, l), model[l]);
          assert.equal(ls.count(l), model[l].length);
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('list integrity check reports a broken back link', () => {
  const ls = new ListSet(8, 1);
  ls.pushTail(0, 1);
  ls.pushTail(0, 2);
  ls.pushTail(0, 3);
  ls.prev[3] = 1;
  assert.ok(ls.checkList(0, 'l', () => {}).some((m) => m.includes('prev[3]')));
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
