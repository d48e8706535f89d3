// The event queue against a reference model: a stable sort by (time, insertion).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EventQueue } from '../../src/sim/queue.ts';

test('pops in (time, sequence) order: ties keep insertion order', () => {
  const q = new EventQueue<string>(2);
  q.push(5, 'a');
  q.push(1, 'b');
  q.push(5, 'c');
  q.push(0, 'd');
  q.push(1, 'e');
  const out: string[] = [];
  while (q.size > 0) out.push(q.pop());
  assert.deepEqual(out, ['d', 'b', 'e', 'a', 'c']);
  assert.equal(q.peekTime(), Infinity);
});

test('matches a stable sort under random interleaved pushes and pops', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 300, size: 'max' }), (ops) => {
      const q = new EventQueue<number>(1);
      const model: { t: number; id: number }[] = [];
      let id = 0;
      for (const op of ops) {
        if (op === -1) {
          if (model.length === 0) continue;
          model.sort((a, b) => a.t - b.t || a.id - b.id);
          const want = model.shift()!;
          assert.equal(q.peekTime(), want.t);
          assert.equal(q.pop(), want.id);
        } else {
          q.push(op, id);
          model.push({ t: op, id });
          id++;
        }
        assert.equal(q.size, model.length);
      }
    }),
    { numRuns: 300 },
  );
});

test('late events (samples) run after every other event of their instant, in insertion order among themselves', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.boolean()), fc.constant(null)), { maxLength: 300, size: 'max' }), (ops) => {
      const q = new EventQueue<number>(1);
      const model: { t: number; late: boolean; id: number }[] = [];
      let id = 0;
      for (const op of ops) {
        if (op === null) {
          if (model.length === 0) continue;
          model.sort((a, b) => a.t - b.t || Number(a.late) - Number(b.late) || a.id - b.id);
          const want = model.shift()!;
          assert.equal(q.peekTime(), want.t);
          assert.equal(q.pop(), want.id);
        } else {
          q.push(op[0], id, op[1]);
          model.push({ t: op[0], late: op[1], id });
          id++;
        }
      }
    }),
    { numRuns: 300 },
  );
  const q = new EventQueue<string>(2);
  q.push(5, 'sample', true);
  q.push(5, 'tick');
  q.push(4, 'late-but-earlier', true);
  q.push(5, 'timeline');
  const out: string[] = [];
  while (q.size > 0) out.push(q.pop());
  assert.deepEqual(out, ['late-but-earlier', 'tick', 'timeline', 'sample']);
});

test('refuses a time that is not a non-negative integer', () => {
  const q = new EventQueue<number>();
  assert.throws(() => q.push(1.5, 0));
  assert.throws(() => q.push(-1, 0));
});
