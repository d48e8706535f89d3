import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NONE } from '../../src/lib/lists.ts';
import { inactiveRatio, PAGECACHE_BYTES_PER_PAGE, PAGECACHE_BYTES_PER_SLOT, PageCache } from '../../src/guest/pagecache.ts';

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

/** Pages per file in the model test: page number = inode x 41 + index. */
const PPF = 41;
const keyOf = (p: number): string => `${Math.floor(p / PPF)}:${p % PPF}`;

/** Reference model: two arrays of keys (index 0 = the head), a dirty set, a PG_referenced set and the shadows evictions left. */
class Model {
  inactive: string[] = [];
  active: string[] = [];
  dirty = new Set<string>();
  referenced = new Set<string>();
  shadow = new Map<string, number>();
  has(k: string): boolean {
    return this.inactive.includes(k) || this.active.includes(k);
  }
}

test('page cache against a reference model (LRU order, PG_referenced, lookups, shadows, dirty counts, structure)', () => {
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 400 }), (cmds) => {
      const pc = new PageCache(13 * PPF, 2); // tiny, so growth by doubling is exercised
      const m = new Model();
      let clock = 0;
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
          assert.equal(keyOf(pc.pageOf(s)), k);
          // An eviction leaves a shadow in the page's entry.
          pc.remove(s, ++clock);
          m.shadow.set(k, clock);
          m.dirty.delete(k);
          m.referenced.delete(k);
          continue;
        }
        const k = `${c.inode}:${c.index}`;
        const p = c.inode * PPF + c.index;
        const s = pc.lookup(p);
        assert.equal(s !== NONE, m.has(k));
        assert.equal(pc.shadowOf(p), m.shadow.get(k) ?? 0);
        if (c.op === 'insert') {
          if (s !== NONE) continue;
          // The page takes its shadow's place.
          pc.insert(p, c.inode % 3, c.dirty, false, c.referenced);
          m.shadow.delete(k);
          m.inactive.unshift(k);
          if (c.referenced) m.referenced.add(k);
          if (c.dirty) m.dirty.add(k);
        } else if (c.op === 'refault') {
          // A page read back within the working set: straight to the active head, referenced.
          if (s !== NONE) continue;
          pc.insert(p, c.inode % 3, false, true);
          m.shadow.delete(k);
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
          out.push(keyOf(pc.pageOf(s)));
          assert.equal(pc.isReferenced(s), m.referenced.has(keyOf(pc.pageOf(s))));
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
  const pc = new PageCache(10, 4);
  for (let i = 0; i < 10; i++) pc.insert(i, 0, false);
  assert.deepEqual(pc.violations(), []);
  const s = pc.lists.head(0);
  const n = pc.lists.nextOf(s);
  pc.lists.setPrev(n, NONE); // break next[prev[n]] == n
  assert.ok(pc.violations().some((v) => v.includes('prev')));
});

test('page cache metadata stays within 32 bytes per cached page at scale', () => {
  const n = 1 << 18;
  const pc = new PageCache(n, 1024);
  for (let i = 0; i < n; i++) pc.insert(i, 0, false);
  assert.equal(pc.size, n);
  assert.ok(PAGECACHE_BYTES_PER_SLOT + PAGECACHE_BYTES_PER_PAGE <= 32);
  // Slots after doublings: capacity == n exactly here.
  assert.equal(pc.metadataBytes() / n, PAGECACHE_BYTES_PER_SLOT + PAGECACHE_BYTES_PER_PAGE);
  // A whole-structure check walks the slots (three times) and every page's entry: its cost says so.
  assert.equal(pc.checkCost(), 3 * pc.capacity + n);
  // Many removals, a third with shadows, keep entries and slots consistent.
  for (let i = 0; i < n; i += 3) pc.remove(pc.lookup(i), i % 2 === 0 ? i + 1 : 0);
  for (let i = 0; i < n; i++) {
    assert.equal(pc.lookup(i) !== NONE, i % 3 !== 0);
    assert.equal(pc.shadowOf(i), i % 3 === 0 && i % 2 === 0 ? i + 1 : 0);
  }
  assert.deepEqual(pc.violations(), []);
  // Dropping a range of shadows (a truncated file) leaves the others.
  pc.clearShadows(0, 600);
  assert.equal(pc.shadowOf(6), 0);
  assert.equal(pc.shadowOf(600), 601);
  // A re-inserted page reuses a freed slot and has no shadow.
  const s = pc.insert(600, 0, false);
  assert.ok(s < n);
  assert.equal(pc.shadowOf(600), 0);
  assert.deepEqual(pc.violations(), []);
});

test('page cache checks catch an entry that does not point back, and a cached page with a shadow', () => {
  const pc = new PageCache(8, 4);
  const a = pc.insert(3, 0, false);
  pc.insert(5, 0, false);
  assert.deepEqual(pc.violations(), []);
  // Break the entry of page 3 (a white-box poke at the private array).
  const entry = (pc as unknown as { entry: Uint32Array }).entry;
  entry[2 * 3] = NONE;
  assert.ok(pc.violations().some((v) => v.includes(`slot ${a} (page 3) not found through its entry`)));
  entry[2 * 3] = a;
  entry[2 * 3 + 1] = 7;
  assert.ok(pc.violations().some((v) => v.includes('page 3 is cached and has a shadow')));
});

test('page cache follows mark_page_accessed: active hits do not reorder, a deactivated page needs PG_referenced to come back', () => {
  const pc = new PageCache(3, 8);
  const a = pc.insert(0, 0, false);
  const b = pc.insert(1, 0, false);
  const c = pc.insert(2, 0, false);
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

  const pc = new PageCache(3, 8);
  const a = pc.insert(0, 0, false);
  pc.insert(1, 0, false);
  pc.touch(a); // a active: 1 inactive, 1 active — not low at ratio 1 (1 x 1 < 1 is false)
  assert.equal(pc.inactiveIsLow(false), false);
  assert.equal(pc.inactiveIsLow(true), true); // ratio 0: low whenever the active list has pages
  const before = pc.activePages;
  pc.reclaimCandidate(false);
  assert.equal(pc.activePages, before, 'not low: no deactivation');
  pc.reclaimCandidate(true);
  assert.equal(pc.activePages, before - 1, 'refaulting: the active tail is deactivated');
  // A refault inserted active goes to the active head, referenced.
  const r = pc.insert(2, 0, false, true);
  assert.equal(pc.lists.head(1), r);
  assert.ok(pc.isReferenced(r));
  assert.deepEqual(pc.violations(), []);
});

test('page cache checks catch each kind of corrupted bookkeeping: list flags, free slots, counts, entries', () => {
  /** A small cache: pages 0..5 cached (1 and 4 active, 2 dirty), 6 free slots; a white-box handle on its private fields. */
  const fresh = () => {
    const pc = new PageCache(16, 4);
    for (let p = 0; p < 6; p++) pc.insert(p, 0, p === 2, p === 1 || p === 4);
    assert.deepEqual(pc.violations(), []);
    const w = pc as unknown as { rec: Uint32Array; entry: Uint32Array; freeCount: number; dirtyPages: number; freeHead: number };
    return { pc, w };
  };
  const expect = (pc: PageCache, what: string) => {
    const v = pc.violations();
    assert.ok(v.some((x) => x.includes(what)), `expected "${what}" among ${JSON.stringify(v)}`);
  };
  const FLAGS = 1; // the flags word of a slot record
  {
    // An inactive page flagged active.
    const { pc, w } = fresh();
    const s = pc.lookup(0);
    w.rec[4 * s + FLAGS] |= 2;
    expect(pc, `slot ${s} flags ${w.rec[4 * s + FLAGS]} on the inactive list`);
  }
  {
    // An active page not flagged active.
    const { pc, w } = fresh();
    const s = pc.lookup(1);
    w.rec[4 * s + FLAGS] &= ~2;
    expect(pc, `slot ${s} flags ${w.rec[4 * s + FLAGS]} on the active list`);
  }
  {
    // A free slot with a flag other than in-use (dirty) left over.
    const { pc, w } = fresh();
    w.rec[4 * w.freeHead + FLAGS] = 4;
    expect(pc, `free slot ${w.freeHead} has flags`);
  }
  {
    // A free slot marked in use, its page's entry pointing at it, but on no list.
    const { pc, w } = fresh();
    const s = w.freeHead;
    w.rec[4 * s] = 9;
    w.rec[4 * s + FLAGS] = 1;
    w.entry[2 * 9] = s;
    expect(pc, '7 slots in use, lists hold 6');
  }
  {
    // The free count off by one: the sum with the used slots and the chain's length disagree with it.
    const { pc, w } = fresh();
    w.freeCount++;
    expect(pc, `6 used + ${w.freeCount} free != capacity ${pc.capacity}`);
    expect(pc, `free chain holds ${w.freeCount - 1} slots, counted ${w.freeCount}`);
  }
  {
    // A free slot dropped from the chain, the count not: only the chain walk notices.
    const { pc, w } = fresh();
    w.freeHead = pc.lists.nextOf(w.freeHead);
    assert.deepEqual(pc.violations(), [`page cache: free chain holds ${w.freeCount - 1} slots, counted ${w.freeCount}`]);
  }
  {
    // An uncached page whose entry points at a slot (a stale entry a remove failed to clear).
    const { pc, w } = fresh();
    w.entry[2 * 12] = pc.lookup(3);
    expect(pc, '7 pages have a slot, 6 slots in use');
  }
  {
    // The dirty count off.
    const { pc, w } = fresh();
    w.dirtyPages = 2;
    expect(pc, 'dirty count 2, found 1');
  }
});

test('page cache clearShadows drops exactly the shadows of [from, to)', () => {
  const pc = new PageCache(12, 2);
  for (let p = 0; p < 12; p++) pc.insert(p, 0, false);
  for (let p = 0; p < 12; p++) pc.remove(pc.lookup(p), 100 + p);
  pc.clearShadows(4, 8);
  for (let p = 0; p < 12; p++) assert.equal(pc.shadowOf(p), p >= 4 && p < 8 ? 0 : 100 + p, `page ${p}`);
  pc.clearShadows(0, 2);
  pc.clearShadows(11, 12);
  pc.clearShadows(9, 9); // empty
  for (let p = 0; p < 12; p++) assert.equal(pc.shadowOf(p), p < 2 || (p >= 4 && p < 8) || p === 11 ? 0 : 100 + p, `page ${p}`);
  assert.deepEqual(pc.violations(), []);
});

test('page cache hands out free slots lowest first, also after growth, and reuses the last freed slot first', () => {
  const pc = new PageCache(20, 4);
  const got = [];
  for (let p = 0; p < 10; p++) got.push(pc.insert(p, 0, false));
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // 4 slots, grown to 8, then to 16
  assert.equal(pc.capacity, 16);
  pc.remove(pc.lookup(7));
  pc.remove(pc.lookup(2));
  assert.equal(pc.insert(10, 0, false), 2);
  assert.equal(pc.insert(11, 0, false), 7);
  assert.equal(pc.insert(12, 0, false), 10);
  assert.deepEqual(pc.violations(), []);
});
