import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NONE } from '../../src/lib/lists.ts';
import { inactiveRatio, PAGECACHE_BYTES_PER_SLOT, PageCache } from '../../src/guest/pagecache.ts';

type Cmd =
  | { op: 'insert'; inode: number; index: number; dirty: boolean; referenced: boolean }
  | { op: 'touch'; inode: number; index: number }
  | { op: 'evict'; refaulting: boolean }
  | { op: 'refault'; inode: number; index: number }
  | { op: 'remove'; inode: number; index: number }
  | { op: 'dirty'; inode: number; index: number; dirty: boolean };

const key = fc.record({ inode: fc.integer({ min: 0, max: 12 }), index: fc.integer({ min: 0, max: 40 }) });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  key.chain((k) => fc.tuple(fc.boolean(), fc.boolean()).map(([dirty, referenced]) => ({ op: 'insert' as const, ...k, dirty, referenced }))),
  key.map((k) => ({ op: 'touch' as const, ...k })),
  fc.boolean().map((refaulting) => ({ op: 'evict' as const, refaulting })),
  key.map((k) => ({ op: 'refault' as const, ...k })),
  key.map((k) => ({ op: 'remove' as const, ...k })),
  key.chain((k) => fc.boolean().map((dirty) => ({ op: 'dirty' as const, ...k, dirty }))),
);

/** Reference model: two arrays of keys (index 0 = the head), a dirty set and a PG_referenced set. */
class Model {
  inactive: string[] = [];
  active: string[] = [];
  dirty = new Set<string>();
  referenced = new Set<string>();
  has(k: string): boolean {
    return this.inactive.includes(k) || this.active.includes(k);
  }
}

test('page cache against a reference model (LRU order, PG_referenced, lookups, dirty counts, structure)', () => {
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 400 }), (cmds) => {
      const pc = new PageCache(2); // tiny, so growth by doubling is exercised
      const m = new Model();
      for (const c of cmds) {
        if (c.op === 'evict') {
          // inactive_list_is_low below 1 GiB: ratio 1, or 0 while refaulting.
          if (m.inactive.length * (c.refaulting ? 0 : 1) < m.active.length) {
            const k = m.active.pop()!;
            m.inactive.unshift(k);
          }
          const s = pc.reclaimCandidate(c.refaulting);
          if (m.inactive.length === 0) {
            assert.equal(s, NONE);
            continue;
          }
          const k = m.inactive.pop()!;
          assert.equal(`${pc.inodeOf(s)}:${pc.indexOf(s)}`, k);
          pc.remove(s);
          m.dirty.delete(k);
          m.referenced.delete(k);
          continue;
        }
        const k = `${c.inode}:${c.index}`;
        const s = pc.lookup(c.inode, c.index);
        assert.equal(s !== NONE, m.has(k));
        if (c.op === 'insert') {
          if (s !== NONE) continue;
          pc.insert(c.inode, c.index, c.inode % 3, c.dirty, false, c.referenced);
          m.inactive.unshift(k);
          if (c.referenced) m.referenced.add(k);
          if (c.dirty) m.dirty.add(k);
        } else if (c.op === 'refault') {
          // A page read back within the working set: straight to the active head, referenced.
          if (s !== NONE) continue;
          pc.insert(c.inode, c.index, c.inode % 3, false, true);
          m.active.unshift(k);
          m.referenced.add(k);
        } else if (c.op === 'touch') {
          if (s === NONE) continue;
          const activated = pc.touch(s);
          // mark_page_accessed: inactive + referenced -> active head, unreferenced; else referenced, no move.
          if (m.inactive.includes(k) && m.referenced.has(k)) {
            assert.ok(activated);
            m.inactive = m.inactive.filter((x) => x !== k);
            m.active.unshift(k);
            m.referenced.delete(k);
          } else {
            assert.ok(!activated);
            m.referenced.add(k);
          }
        } else if (c.op === 'remove') {
          if (s === NONE) continue;
          assert.equal(pc.fsOf(s), c.inode % 3);
          pc.remove(s);
          m.inactive = m.inactive.filter((x) => x !== k);
          m.active = m.active.filter((x) => x !== k);
          m.dirty.delete(k);
          m.referenced.delete(k);
        } else {
          if (s === NONE) continue;
          pc.setDirty(s, c.dirty);
          if (c.dirty) m.dirty.add(k);
          else m.dirty.delete(k);
        }
      }
      assert.deepEqual(pc.violations(), []);
      assert.equal(pc.size, m.inactive.length + m.active.length);
      assert.equal(pc.dirty, m.dirty.size);
      const walk = (list: number): string[] => {
        const out: string[] = [];
        for (let s = pc.lists.head(list); s !== NONE; s = pc.lists.nextOf(s)) {
          out.push(`${pc.inodeOf(s)}:${pc.indexOf(s)}`);
          assert.equal(pc.isReferenced(s), m.referenced.has(`${pc.inodeOf(s)}:${pc.indexOf(s)}`));
        }
        return out;
      };
      assert.deepEqual(walk(0), m.inactive);
      assert.deepEqual(walk(1), m.active);
    }),
    { numRuns: 300 },
  );
});

test('page cache structural checks catch broken links', () => {
  const pc = new PageCache(4);
  for (let i = 0; i < 10; i++) pc.insert(1, i, 0, false);
  assert.deepEqual(pc.violations(), []);
  const s = pc.lists.head(0);
  const n = pc.lists.nextOf(s);
  pc.lists.setPrev(n, NONE); // break next[prev[n]] == n
  assert.ok(pc.violations().some((v) => v.includes('prev')));
});

test('page cache metadata stays within 32 bytes per cached page at scale', () => {
  const pc = new PageCache(1024);
  const n = 1 << 18;
  for (let i = 0; i < n; i++) pc.insert(12 + (i >>> 10), i & 1023, 0, false);
  assert.equal(pc.size, n);
  assert.ok(PAGECACHE_BYTES_PER_SLOT <= 32);
  // Full table after a doubling: capacity == n exactly here.
  assert.ok(pc.metadataBytes() / n <= 32, `bytes/page ${pc.metadataBytes() / n}`);
  // Many removals keep the table consistent (backward-shift deletion).
  for (let i = 0; i < n; i += 3) pc.remove(pc.lookup(12 + (i >>> 10), i & 1023));
  for (let i = 0; i < n; i++) assert.equal(pc.lookup(12 + (i >>> 10), i & 1023) !== NONE, i % 3 !== 0);
  assert.deepEqual(pc.violations(), []);
});

test('page cache follows mark_page_accessed: active hits do not reorder, a deactivated page needs PG_referenced to come back', () => {
  const pc = new PageCache(8);
  const a = pc.insert(1, 0, 0, false);
  const b = pc.insert(1, 1, 0, false);
  const c = pc.insert(1, 2, 0, false);
  // Read in = referenced: the first hit activates.
  pc.touch(a);
  pc.touch(b);
  assert.equal(pc.activePages, 2);
  // Active order is by activation (b at the head); hits on a do not move it.
  pc.touch(a);
  pc.touch(a);
  assert.equal(pc.lists.head(1), b);
  assert.equal(pc.lists.tail(1), a);
  // Refill: active tail (a, referenced by the hits above) goes to the inactive head, keeping PG_referenced.
  assert.ok(pc.deactivateOne());
  assert.equal(pc.lists.head(0), a);
  assert.ok(pc.isReferenced(a));
  pc.touch(a); // referenced + inactive: back to the active head
  assert.equal(pc.lists.head(1), a);
  assert.ok(!pc.isReferenced(a));
  // b was never hit while active: deactivated unreferenced, its next hit only marks it.
  assert.ok(pc.deactivateOne());
  assert.equal(pc.lists.head(0), b);
  assert.ok(!pc.isReferenced(b));
  pc.touch(b);
  assert.ok(pc.isReferenced(b));
  assert.equal(pc.lists.head(0), b);
  assert.equal(pc.inactivePages, 2);
  assert.equal(pc.lists.tail(0), c);
  assert.deepEqual(pc.violations(), []);
});

test('inactive_list_is_low: ratio 1 under 1 GiB of file pages, int_sqrt(10 x GiB) above, 0 while refaulting', () => {
  const GiB = 1 << 18;
  assert.equal(inactiveRatio(0), 1);
  assert.equal(inactiveRatio(GiB - 1), 1);
  assert.equal(inactiveRatio(GiB), 3); // int_sqrt(10)
  assert.equal(inactiveRatio(4 * GiB), 6); // int_sqrt(40)
  assert.equal(inactiveRatio(10 * GiB), 10);
  assert.equal(inactiveRatio(1024 * GiB), 101); // the 1 TB row of the kernel's table

  const pc = new PageCache(8);
  const a = pc.insert(1, 0, 0, false);
  pc.insert(1, 1, 0, false);
  pc.touch(a); // a active: 1 inactive, 1 active — not low at ratio 1 (1 x 1 < 1 is false)
  assert.equal(pc.inactiveIsLow(false), false);
  assert.equal(pc.inactiveIsLow(true), true); // ratio 0: low whenever the active list has pages
  const before = pc.activePages;
  pc.reclaimCandidate(false);
  assert.equal(pc.activePages, before, 'not low: no deactivation');
  pc.reclaimCandidate(true);
  assert.equal(pc.activePages, before - 1, 'refaulting: the active tail is deactivated');
  // A refault inserted active goes to the active head, referenced.
  const r = pc.insert(2, 0, 0, false, true);
  assert.equal(pc.lists.head(1), r);
  assert.ok(pc.isReferenced(r));
  assert.deepEqual(pc.violations(), []);
});
