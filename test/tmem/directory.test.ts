// The per-object page directory (radix tree) against a Map model: small,
// boundary and full-range u32 indices, so trees grow in height and free
// their nodes as they empty.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PageDirectory } from '../../src/hypervisor/tmem/directory.ts';
import { NONE } from '../../src/lib/typed.ts';

const INDICES = [0, 1, 63, 64, 65, 4095, 4096, 262143, 262144, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 0xfffffffe, 0xffffffff];

test('page directory agrees with a Map through inserts and removes, nodes freed', () => {
  const index = fc.oneof(fc.constantFrom(...INDICES), fc.nat(200), fc.integer({ min: 0, max: 0xffffffff }));
  const op = fc.record({ insert: fc.boolean(), obj: fc.nat(3), index });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const dir = new PageDirectory(2, 1);
      dir.growObjects(4);
      const model = new Map<string, number>();
      let nextPage = 0;
      for (const o of ops) {
        const k = `${o.obj}:${o.index}`;
        const have = model.get(k);
        assert.equal(dir.find(o.obj, o.index), have ?? NONE);
        if (o.insert && have === undefined) {
          dir.insert(o.obj, o.index, nextPage);
          model.set(k, nextPage++);
        } else if (!o.insert && have !== undefined) {
          dir.remove(o.obj, o.index, have);
          model.delete(k);
        }
        assert.equal(dir.count, model.size);
      }
      assert.deepEqual(dir.violations('dir', [0, 1, 2, 3]), []);
      for (const [k, page] of model) {
        const [obj, idx] = k.split(':').map(Number);
        assert.equal(dir.find(obj, idx), page);
      }
      for (const [k, page] of model) {
        const [obj, idx] = k.split(':').map(Number);
        dir.remove(obj, idx, page);
      }
      assert.equal(dir.count, 0);
      for (let obj = 0; obj < 4; obj++) assert.ok(dir.isEmpty(obj));
      assert.deepEqual(dir.violations('dir', [0, 1, 2, 3]), []);
    }),
  );
});

test('first() is the smallest index of the object, in sparse multi-level trees, as pages go', () => {
  const index = fc.oneof(fc.constantFrom(...INDICES), fc.nat(5000), fc.integer({ min: 0, max: 0xffffffff }));
  fc.assert(
    fc.property(fc.uniqueArray(index, { maxLength: 60 }), (indices) => {
      const dir = new PageDirectory(2, 1);
      indices.forEach((idx, page) => dir.insert(1, idx, page));
      const left = [...indices].sort((a, b) => a - b);
      assert.equal(dir.first(0), NONE);
      // Removing the first page each time walks the object in index order, freeing nodes as it goes.
      while (left.length > 0) {
        const idx = left.shift() as number;
        const page = dir.first(1);
        assert.equal(page, indices.indexOf(idx));
        dir.remove(1, idx, page);
      }
      assert.equal(dir.first(1), NONE);
      assert.ok(dir.isEmpty(1));
      assert.deepEqual(dir.violations('dir', [0, 1]), []);
    }),
    { numRuns: 200 },
  );
});
