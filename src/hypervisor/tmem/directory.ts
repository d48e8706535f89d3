// The per-object page directory: (object, index) -> page id, a radix tree per
// object of 64-slot nodes, as Xen keeps a tmem object's pages
// (xen/common/tmem.c: pgp_lookup_in_obj, pgp_add_to_obj, pgp_delete_from_obj
// over xen/common/radix-tree.c). An object's tree is as tall as its largest
// index needs (height h covers indices < 64^h; 6 levels cover u32), so a
// dense object of up to 64 pages is one node and a lookup one array read.
//
// Nodes live in one Uint32Array, 64 slots each: a leaf slot holds a page id,
// an inner slot a node id, NONE when empty. `used` counts the filled slots of
// each node; a node that empties is freed (and its parent slot cleared), so
// an object with no pages has no nodes. Free node ids are threaded through
// slot 0.

import { assert } from '../../lib/assert.ts';
import { growU32, growU8, NONE } from '../../lib/typed.ts';

const BITS = 6;
const FAN = 1 << BITS;
const MASK = FAN - 1;
/** Levels needed to cover every u32 index. */
const MAX_HEIGHT = 6;

/** The smallest height whose tree covers `index`. */
function heightFor(index: number): number {
  let h = 1;
  while (h < MAX_HEIGHT && index >>> (BITS * h) !== 0) h++;
  return h;
}

export class PageDirectory {
  /** Node slots, FAN per node. */
  private nodes: Uint32Array;
  /** Filled slots per node. */
  private used: Uint8Array;
  private nodeFree = NONE;
  private nodeHigh = 0;
  private nodesLive = 0;
  /** Root node per object (NONE: no pages). */
  private root: Uint32Array;
  /** Tree height per object (0: no pages). */
  private height: Uint8Array;
  private entries = 0;
  /** The path of the last remove, root first. */
  private readonly path = new Uint32Array(MAX_HEIGHT);

  constructor(objectCapacity: number, nodeCapacity: number) {
    this.nodes = new Uint32Array(nodeCapacity * FAN).fill(NONE);
    this.used = new Uint8Array(nodeCapacity);
    this.root = new Uint32Array(objectCapacity).fill(NONE);
    this.height = new Uint8Array(objectCapacity);
  }

  get count(): number {
    return this.entries;
  }

  growObjects(capacity: number): void {
    if (capacity <= this.root.length) return;
    this.root = growU32(this.root, capacity, NONE);
    this.height = growU8(this.height, capacity);
  }

  /** True if the object has no pages (and so no nodes). */
  isEmpty(obj: number): boolean {
    return this.height[obj] === 0;
  }

  /** The page at (obj, index), or NONE. */
  find(obj: number, index: number): number {
    let h = this.height[obj];
    if (h === 0 || (h < MAX_HEIGHT && index >>> (BITS * h) !== 0)) return NONE;
    const nodes = this.nodes;
    let n = this.root[obj];
    while (--h > 0) {
      n = nodes[n * FAN + ((index >>> (BITS * h)) & MASK)];
      if (n === NONE) return NONE;
    }
    return nodes[n * FAN + (index & MASK)];
  }

  /** The page with the smallest index in the object, or NONE when it has none (radix-tree order, as Xen destroys an object's pages). */
  first(obj: number): number {
    let h = this.height[obj];
    if (h === 0) return NONE;
    const nodes = this.nodes;
    let n = this.root[obj];
    // Bounded: h levels, FAN slots each; every live node has a filled slot.
    for (; h > 0; h--) {
      let v = NONE;
      for (let i = 0; i < FAN && v === NONE; i++) v = nodes[n * FAN + i];
      assert(v !== NONE, 'directory: live node with no filled slot');
      n = v;
    }
    return n;
  }

  /** Records `page` at (obj, index), which must be empty. */
  insert(obj: number, index: number, page: number): void {
    assert(page !== NONE, 'directory: inserting NONE');
    const need = heightFor(index);
    let h = this.height[obj];
    if (h === 0) {
      this.root[obj] = this.allocNode();
      h = need;
    } else {
      for (; h < need; h++) {
        const r = this.allocNode();
        this.nodes[r * FAN] = this.root[obj];
        this.used[r] = 1;
        this.root[obj] = r;
      }
    }
    this.height[obj] = h;
    let n = this.root[obj];
    for (let l = h - 1; l > 0; l--) {
      const s = n * FAN + ((index >>> (BITS * l)) & MASK);
      let child = this.nodes[s];
      if (child === NONE) {
        child = this.allocNode();
        this.nodes[s] = child;
        this.used[n]++;
      }
      n = child;
    }
    const s = n * FAN + (index & MASK);
    assert(this.nodes[s] === NONE, 'directory: slot already filled');
    this.nodes[s] = page;
    this.used[n]++;
    this.entries++;
  }

  /** Removes `page`, which must be at (obj, index); frees nodes left empty. */
  remove(obj: number, index: number, page: number): void {
    const h = this.height[obj];
    assert(h > 0, 'directory: removing from an empty object');
    const nodes = this.nodes;
    const path = this.path;
    let n = this.root[obj];
    path[0] = n;
    for (let l = h - 1, d = 1; l > 0; l--, d++) {
      n = nodes[n * FAN + ((index >>> (BITS * l)) & MASK)];
      assert(n !== NONE, 'directory: removing an absent page');
      path[d] = n;
    }
    const s = n * FAN + (index & MASK);
    assert(nodes[s] === page, 'directory: removing an absent page');
    nodes[s] = NONE;
    this.used[n]--;
    this.entries--;
    for (let d = h - 1; d >= 0 && this.used[path[d]] === 0; d--) {
      this.freeNode(path[d]);
      if (d === 0) {
        this.root[obj] = NONE;
        this.height[obj] = 0;
      } else {
        const parent = path[d - 1];
        nodes[parent * FAN + ((index >>> (BITS * (h - d))) & MASK)] = NONE;
        this.used[parent]--;
      }
    }
  }

  private allocNode(): number {
    let n = this.nodeFree;
    if (n !== NONE) {
      this.nodeFree = this.nodes[n * FAN];
      this.nodes[n * FAN] = NONE;
    } else {
      if (this.nodeHigh === this.used.length) {
        const cap = this.used.length * 2;
        this.nodes = growU32(this.nodes, cap * FAN, NONE);
        this.used = growU8(this.used, cap);
      }
      n = this.nodeHigh++;
    }
    this.nodesLive++;
    return n;
  }

  private freeNode(n: number): void {
    assert(this.used[n] === 0, 'directory: freeing a non-empty node');
    this.nodes[n * FAN] = this.nodeFree;
    this.nodeFree = n;
    this.nodesLive--;
  }

  /** What violations() walks: every slot of every node used so far. */
  checkCost(): number {
    return this.nodeHigh * FAN;
  }

  /** Whole-structure check: fill counts match the slots, every live node is reachable from a root exactly once, the entry count matches. */
  violations(name: string, objects: Iterable<number>): string[] {
    const out: string[] = [];
    const seen = new Uint8Array(this.nodeHigh);
    let pages = 0;
    const walk = (n: number, level: number): void => {
      if (seen[n] !== 0) {
        out.push(`${name}: node ${n} reached twice`);
        return;
      }
      seen[n] = 1;
      let filled = 0;
      for (let i = 0; i < FAN; i++) {
        const v = this.nodes[n * FAN + i];
        if (v === NONE) continue;
        filled++;
        if (level > 1) walk(v, level - 1);
        else pages++;
      }
      if (filled !== this.used[n]) out.push(`${name}: node ${n} has ${filled} filled slots, count says ${this.used[n]}`);
      if (filled === 0) out.push(`${name}: node ${n} live but empty`);
    };
    let reached = 0;
    for (const obj of objects) {
      if (this.height[obj] === 0) {
        if (this.root[obj] !== NONE) out.push(`${name}: object ${obj} has a root but no height`);
        continue;
      }
      walk(this.root[obj], this.height[obj]);
    }
    for (let n = 0; n < this.nodeHigh; n++) reached += seen[n];
    if (reached !== this.nodesLive) out.push(`${name}: ${reached} nodes reachable, ${this.nodesLive} live`);
    if (pages !== this.entries) out.push(`${name}: ${pages} pages in the trees, count says ${this.entries}`);
    return out;
  }
}
