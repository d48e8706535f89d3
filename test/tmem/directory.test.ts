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
