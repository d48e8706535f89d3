// Index-linked doubly linked lists over typed arrays (the lru-cache layout,
// STYLE.md habit 5): nodes are u32 indices, `prev`/`next` hold neighbours with
// NONE as the sentinel, several lists share the arrays (a node is on at most
// one). Used for the page-cache LRUs and the anonymous-page LRU. No object per
// node, O(1) push / remove / move, growth by doubling.

import { assert } from '../lib/assert.ts';

/** The "no node" sentinel for u32 indices. */
export const NONE = 0xffffffff;

export class IndexLists {
  prev: Uint32Array;
  next: Uint32Array;
  private readonly heads: Uint32Array;
  private readonly tails: Uint32Array;
  private readonly counts: Float64Array;

  constructor(capacity: number, lists: number) {
    assert(capacity > 0 && lists > 0, 'index lists need a capacity and at least one list');
    this.prev = new Uint32Array(capacity).fill(NONE);
    this.next = new Uint32Array(capacity).fill(NONE);
    this.heads = new Uint32Array(lists).fill(NONE);
    this.tails = new Uint32Array(lists).fill(NONE);
    this.counts = new Float64Array(lists);
  }

  get capacity(): number {
    return this.prev.length;
  }

  /** Grows the node arrays to `capacity` (never shrinks). */
  grow(capacity: number): void {
    if (capacity <= this.prev.length) return;
    const prev = new Uint32Array(capacity).fill(NONE);
    const next = new Uint32Array(capacity).fill(NONE);
    prev.set(this.prev);
    next.set(this.next);
    this.prev = prev;
    this.next = next;
  }

  head(list: number): number {
    return this.heads[list];
  }

  tail(list: number): number {
    return this.tails[list];
  }

  count(list: number): number {
    return this.counts[list];
  }

  /** Inserts `node` (on no list) at the most-recently-used end of `list`. */
  pushHead(list: number, node: number): void {
    const h = this.heads[list];
    this.prev[node] = NONE;
    this.next[node] = h;
    if (h === NONE) this.tails[list] = node;
    else this.prev[h] = node;
    this.heads[list] = node;
    this.counts[list]++;
  }

  /** Removes `node` from `list` (the caller knows which list it is on). */
  remove(list: number, node: number): void {
    const p = this.prev[node];
    const n = this.next[node];
    if (p === NONE) {
      assert(this.heads[list] === node, 'list remove: node is not on this list');
      this.heads[list] = n;
    } else {
      this.next[p] = n;
    }
    if (n === NONE) this.tails[list] = p;
    else this.prev[n] = p;
    this.prev[node] = NONE;
    this.next[node] = NONE;
    assert(this.counts[list] > 0, 'list remove: count underflow');
    this.counts[list]--;
  }

  /** Moves `node` from list `from` to the head of list `to` (may be the same list). */
  moveToHead(from: number, to: number, node: number): void {
    if (from === to && this.heads[from] === node) return;
    this.remove(from, node);
    this.pushHead(to, node);
  }

  /**
   * Checks `list` end to end: links agree in both directions, the walk is
   * bounded by the capacity, the count matches. Calls `visit` for each node.
   */
  check(list: number, name: string, visit?: (node: number) => string | null): string[] {
    const out: string[] = [];
    let node = this.heads[list];
    let prev = NONE;
    let seen = 0;
    while (node !== NONE) {
      if (node >= this.prev.length) {
        out.push(`${name}: node ${node} beyond capacity ${this.prev.length}`);
        return out;
      }
      if (this.prev[node] !== prev) out.push(`${name}: prev[${node}] = ${this.prev[node]}, expected ${prev}`);
      if (visit !== undefined) {
        const v = visit(node);
        if (v !== null) out.push(`${name}: ${v}`);
      }
      seen++;
      if (seen > this.prev.length) {
        out.push(`${name}: cycle (walked more nodes than the capacity)`);
        return out;
      }
      prev = node;
      node = this.next[node];
    }
    if (this.tails[list] !== prev) out.push(`${name}: tail ${this.tails[list]}, walk ended at ${prev}`);
    if (seen !== this.counts[list]) out.push(`${name}: count ${this.counts[list]}, walked ${seen}`);
    return out;
  }
}
