// Index-linked doubly linked lists over typed arrays (the lru-cache layout,
// STYLE.md habit 5): nodes are u32 indices, each node's prev and next sit side
// by side in a Uint32Array with NONE as the sentinel, and several lists share
// them (a node is on at most one list of a set). No object per node, O(1)
// push / remove / move at either end.
//
// The link array may be shared with other per-node fields: node n's links are
// at n * stride + at and n * stride + at + 1. tmem keeps a page's key and its
// two list memberships in one record of six words, so touching a page's links
// and key costs one cache line instead of three arrays. An owner that shares
// the array grows it and hands the new one over with `attach`; a set with its
// own array (stride 2) grows itself with `growNodes`.
//
// Used by the guest (page-cache LRUs, anonymous LRU) and by tmem (the global
// ephemeral LRU and per-client LRUs: put appends at the tail, eviction starts
// at the head, as xen/common/tmem.c's ephemeral_page_list; per-pool persistent
// page lists; the objects of each pool).

import { beforeAllocating } from './alloc-check.ts';
import { assert } from './assert.ts';
import { NONE } from './typed.ts';

export { NONE };

export class LinkedLists {
  /** prev of node n at n * stride + at, next at n * stride + at + 1. */
  links: Uint32Array;
  private heads: Uint32Array;
  private tails: Uint32Array;
  private counts: Uint32Array;
  /** False when the link array belongs to an owner that grows it (shared records). */
  private readonly ownsLinks: boolean;

  /**
   * `nodeCapacity` nodes in an array of its own (stride 2), or, with
   * `shared`, in that array at offset `at` of each `stride`-word record.
   */
  constructor(
    nodeCapacity: number,
    listCapacity: number,
    readonly stride = 2,
    readonly at = 0,
    shared?: Uint32Array,
  ) {
    assert(listCapacity > 0 && stride >= 2 && at + 2 <= stride, 'linked lists need a list and room for two links per node');
    this.ownsLinks = shared === undefined;
    this.links = shared ?? new Uint32Array(nodeCapacity * stride).fill(NONE);
    assert(this.links.length % stride === 0, 'linked lists: shared array is not whole records');
    this.heads = new Uint32Array(listCapacity).fill(NONE);
    this.tails = new Uint32Array(listCapacity).fill(NONE);
    this.counts = new Uint32Array(listCapacity);
  }

  /** Nodes the link array has room for. */
  get capacity(): number {
    return this.links.length / this.stride;
  }

  get listCapacity(): number {
    return this.heads.length;
  }

  /** Grows a set's own link array to `capacity` nodes (never shrinks). */
  growNodes(capacity: number): void {
    assert(this.ownsLinks, 'linked lists: a shared record array is grown by its owner (attach)');
    if (capacity <= this.capacity) return;
    beforeAllocating(capacity * this.stride * 4);
    const links = new Uint32Array(capacity * this.stride).fill(NONE);
    links.set(this.links);
    this.links = links;
  }

  /** Takes over a grown shared array (the owner copied the old records and set new links to NONE). */
  attach(links: Uint32Array): void {
    assert(links.length >= this.links.length && links.length % this.stride === 0, 'linked lists: attached array smaller or not whole records');
    this.links = links;
  }

  growLists(capacity: number): void {
    if (capacity <= this.heads.length) return;
    const grow = (a: Uint32Array, fill: number): Uint32Array => {
      const b = new Uint32Array(capacity).fill(fill);
      b.set(a);
      return b;
    };
    this.heads = grow(this.heads, NONE);
    this.tails = grow(this.tails, NONE);
    this.counts = grow(this.counts, 0);
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

  prevOf(node: number): number {
    return this.links[node * this.stride + this.at];
  }

  nextOf(node: number): number {
    return this.links[node * this.stride + this.at + 1];
  }

  /** Sets a node's next link directly: for free chains threaded through nodes on no list. */
  setNext(node: number, next: number): void {
    this.links[node * this.stride + this.at + 1] = next;
  }

  /** Sets a node's prev link directly (tests break links with it). */
  setPrev(node: number, prev: number): void {
    this.links[node * this.stride + this.at] = prev;
  }

  /** Inserts `node` (on no list) at the head of `list`. */
  pushHead(list: number, node: number): void {
    const l = this.links;
    const s = this.stride;
    const o = node * s + this.at;
    const h = this.heads[list];
    assert(h !== node, 'list: node already at the head');
    l[o] = NONE;
    l[o + 1] = h;
    if (h === NONE) this.tails[list] = node;
    else l[h * s + this.at] = node;
    this.heads[list] = node;
    this.counts[list]++;
  }

  /** Appends `node` (on no list) at the tail of `list`. */
  pushTail(list: number, node: number): void {
    const l = this.links;
    const s = this.stride;
    const o = node * s + this.at;
    assert(l[o] === NONE && l[o + 1] === NONE && this.heads[list] !== node, 'list: node already linked');
    const t = this.tails[list];
    l[o] = t;
    l[o + 1] = NONE;
    if (t === NONE) this.heads[list] = node;
    else l[t * s + this.at + 1] = node;
    this.tails[list] = node;
    this.counts[list]++;
  }

  /** Removes `node` from `list` (the caller knows which list it is on). */
  remove(list: number, node: number): void {
    const l = this.links;
    const s = this.stride;
    const at = this.at;
    const o = node * s + at;
    const p = l[o];
    const n = l[o + 1];
    assert(this.counts[list] > 0, 'list remove: count underflow');
    if (p === NONE) {
      assert(this.heads[list] === node, 'list remove: node is not on this list');
      this.heads[list] = n;
    } else {
      assert(l[p * s + at + 1] === node, 'list remove: broken link before the node');
      l[p * s + at + 1] = n;
    }
    if (n === NONE) {
      assert(this.tails[list] === node, 'list remove: node is not on this list');
      this.tails[list] = p;
    } else {
      assert(l[n * s + at] === node, 'list remove: broken link after the node');
      l[n * s + at] = p;
    }
    l[o] = NONE;
    l[o + 1] = NONE;
    this.counts[list]--;
  }

  /** Moves `node` from list `from` to the head of list `to` (may be the same list). */
  moveToHead(from: number, to: number, node: number): void {
    if (from === to && this.heads[from] === node) return;
    this.remove(from, node);
    this.pushHead(to, node);
  }

  /** Moves `node` to the tail of its list `list`. */
  moveToTail(list: number, node: number): void {
    if (this.tails[list] === node) return;
    this.remove(list, node);
    this.pushTail(list, node);
  }

  /** Resets a list that has been emptied node by node (or never used). */
  clear(list: number): void {
    assert(this.counts[list] === 0, 'list: clearing a non-empty list');
    this.heads[list] = NONE;
    this.tails[list] = NONE;
  }

  /**
   * Checks `list` end to end: links agree in both directions, the walk is
   * bounded by the count and the capacity, it ends at the tail. Calls `visit`
   * on each node; a string it returns is reported.
   */
  check(list: number, name: string, visit?: (node: number) => string | null | void): string[] {
    const out: string[] = [];
    const cap = this.capacity;
    let node = this.heads[list];
    let prev = NONE;
    let seen = 0;
    while (node !== NONE) {
      if (node >= cap) {
        out.push(`${name}: node ${node} beyond capacity ${cap}`);
        return out;
      }
      if (seen >= this.counts[list]) {
        out.push(`${name}: more than ${this.counts[list]} nodes (cycle or bad count)`);
        return out;
      }
      if (this.prevOf(node) !== prev) out.push(`${name}: prev[${node}] = ${this.prevOf(node)}, expected ${prev}`);
      if (visit !== undefined) {
        const v = visit(node);
        if (typeof v === 'string') out.push(`${name}: ${v}`);
      }
      seen++;
      prev = node;
      node = this.nextOf(node);
    }
    if (this.tails[list] !== prev) out.push(`${name}: tail ${this.tails[list]}, walk ended at ${prev}`);
    if (seen !== this.counts[list]) out.push(`${name}: count ${this.counts[list]}, walked ${seen}`);
    return out;
  }
}
