// Index-linked doubly linked lists over u32 node ids, many lists sharing one
// pair of link arrays (a node is on at most one list of a set). tmem uses
// them for the one global ephemeral LRU and the per-client ephemeral LRUs
// (xen/common/tmem.c: tmem_global.ephemeral_page_list, client
// ephemeral_page_list; put appends at the tail, eviction starts at the head),
// the per-pool persistent page lists (pool->persistent_page_list, walked by
// save/migration), the pages of each object and the objects of each pool.
// Shape after lru-cache (isaacs/node-lru-cache: prev/next in typed arrays).

import { assert } from '../../lib/assert.ts';
import { growU32, NONE } from './typed.ts';

export class ListSet {
  prev: Uint32Array;
  next: Uint32Array;
  head: Uint32Array;
  tail: Uint32Array;
  size: Uint32Array;

  constructor(nodeCapacity: number, listCapacity: number) {
    this.prev = new Uint32Array(nodeCapacity).fill(NONE);
    this.next = new Uint32Array(nodeCapacity).fill(NONE);
    this.head = new Uint32Array(listCapacity).fill(NONE);
    this.tail = new Uint32Array(listCapacity).fill(NONE);
    this.size = new Uint32Array(listCapacity);
  }

  growNodes(capacity: number): void {
    if (capacity <= this.prev.length) return;
    this.prev = growU32(this.prev, capacity, NONE);
    this.next = growU32(this.next, capacity, NONE);
  }

  growLists(capacity: number): void {
    if (capacity <= this.head.length) return;
    this.head = growU32(this.head, capacity, NONE);
    this.tail = growU32(this.tail, capacity, NONE);
    this.size = growU32(this.size, capacity, 0);
  }

  get listCapacity(): number {
    return this.head.length;
  }

  count(list: number): number {
    return this.size[list];
  }

  first(list: number): number {
    return this.head[list];
  }

  pushTail(list: number, node: number): void {
    assert(this.prev[node] === NONE && this.next[node] === NONE && this.head[list] !== node, 'list: node already linked');
    const t = this.tail[list];
    this.prev[node] = t;
    this.next[node] = NONE;
    if (t === NONE) this.head[list] = node;
    else this.next[t] = node;
    this.tail[list] = node;
    this.size[list]++;
  }

  remove(list: number, node: number): void {
    assert(this.size[list] > 0, 'list: remove from an empty list');
    const p = this.prev[node];
    const n = this.next[node];
    assert(p === NONE ? this.head[list] === node : this.next[p] === node, 'list: node not on this list');
    if (p === NONE) this.head[list] = n;
    else this.next[p] = n;
    if (n === NONE) this.tail[list] = p;
    else this.prev[n] = p;
    this.prev[node] = NONE;
    this.next[node] = NONE;
    this.size[list]--;
  }

  moveToTail(list: number, node: number): void {
    if (this.tail[list] === node) return;
    this.remove(list, node);
    this.pushTail(list, node);
  }

  /** Resets a list that has been emptied node by node (or never used). */
  clear(list: number): void {
    assert(this.size[list] === 0, 'list: clearing a non-empty list');
    this.head[list] = NONE;
    this.tail[list] = NONE;
  }

  /**
   * Whole-structure check of one list: links agree both ways
   * (next[prev[i]] === i), the walk ends at the tail after exactly `size`
   * nodes. Calls `visit` on every node (to check membership elsewhere).
   */
  checkList(list: number, name: string, visit: (node: number) => void): string[] {
    const out: string[] = [];
    let node = this.head[list];
    let prev = NONE;
    let steps = 0;
    const bound = this.size[list];
    while (node !== NONE) {
      if (steps >= bound) {
        out.push(`${name}: more than ${bound} nodes (cycle or bad count)`);
        return out;
      }
      if (this.prev[node] !== prev) out.push(`${name}: prev[${node}] = ${this.prev[node]}, expected ${prev}`);
      if (prev !== NONE && this.next[prev] !== node) out.push(`${name}: next[prev[${node}]] != ${node}`);
      visit(node);
      prev = node;
      node = this.next[node];
      steps++;
    }
    if (steps !== bound) out.push(`${name}: walked ${steps} nodes, size says ${bound}`);
    if (this.tail[list] !== prev) out.push(`${name}: tail ${this.tail[list]} != last node ${prev}`);
    return out;
  }
}
