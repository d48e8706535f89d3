// OrderedBitset: a two-level bitmap whose next(from) must give the smallest
// member at or above `from`, as a sorted set would, across growth and clears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OrderedBitset } from '../../src/lib/bitset.ts';

test('next() walks the members in order, across word and summary boundaries', () => {
  const b = new OrderedBitset(5000);
  for (const i of [0, 31, 32, 1023, 1024, 1025, 4999]) b.add(i);
  const seen: number[] = [];
  for (let i = b.next(0); i >= 0; i = b.next(i + 1)) seen.push(i);
  assert.deepEqual(seen, [0, 31, 32, 1023, 1024, 1025, 4999]);
  assert.equal(b.size, 7);
  assert.equal(b.next(5000), -1);
  assert.equal(b.next(1026), 4999);
  b.delete(4999);
  assert.equal(b.next(1026), -1);
  b.clear();
  assert.equal(b.next(0), -1);
  assert.equal(b.size, 0);
});

test('model: add, delete, grow, clear and next agree with a sorted set', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('add' as const), i: fc.nat(70_000) }),
    fc.record({ k: fc.constant('delete' as const), i: fc.nat(70_000) }),
    fc.record({ k: fc.constant('next' as const), i: fc.integer({ min: -3, max: 80_000 }) }),
    fc.record({ k: fc.constant('grow' as const), i: fc.nat(80_000) }),
    fc.record({ k: fc.constant('clear' as const), i: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.nat(3000), fc.array(op, { maxLength: 300 }), (initial, ops) => {
      const b = new OrderedBitset(initial);
      const model = new Set<number>();
      for (const { k, i } of ops) {
        if (k === 'add') {
          if (i >= b.capacity) b.grow(i + 1);
          b.add(i);
          model.add(i);
        } else if (k === 'delete') {
          b.delete(i);
          model.delete(i);
        } else if (k === 'grow') {
          const before = b.capacity;
          b.grow(i);
          assert.ok(b.capacity >= Math.max(before, i));
        } else if (k === 'clear') {
          b.clear();
          model.clear();
        } else {
          const want = [...model].filter((m) => m >= i).sort((x, y) => x - y)[0] ?? -1;
          assert.equal(b.next(i), want);
        }
        assert.equal(b.size, model.size);
      }
      for (const m of model) assert.ok(b.has(m));
    }),
    { numRuns: 300, seed: 20261127 },
  );
});
