// The sub-page allocator: carves compressed (and trailing-zero-trimmed) page
// data out of whole frames, so the frames tmem uses are counted exactly.
//
// Xen allocates such data with tmem_malloc from an xmem (TLSF) pool that grows
// one page at a time: a global pool for ephemeral data, whose frames are
// freeable, and one pool per client for persistent data, whose frames are
// charged to the domain (xen/common/tmem_xen.c and xen/include/xen/tmem_xen.h:
// tmem_malloc, tmem_mempool_page_get, __tmem_alloc_page_thispool). The largest
// sub-allocation is 4096 - 2*16 = 4064 bytes. Here the carving follows
// zsmalloc's size classes instead of TLSF: 127 classes of 32-byte steps; a
// class's slots live in groups of 1 to 4 frames chosen to waste the least, a
// group's frames are taken when its first slot is used and given back when
// its last slot is freed. One allocator per owner (the global ephemeral pool,
// or one client's persistent pool), as in Xen.
//
// Optionally (the bytes store) each class keeps the slot bytes in its own
// growable buffer, slot i at offset i * slotBytes.

import { assert } from '../../lib/assert.ts';
import { TMEM_PAGE_BYTES } from './api.ts';
import { growU32, growU8, NONE } from '../../lib/typed.ts';

/** Data of this many bytes or more is stored in a whole frame (Xen: tmem_mempool_maxalloc on x86-64). */
export const SUBPAGE_LIMIT_BYTES = 4064;
const CLASS_STEP_BYTES = 32;
const CLASS_COUNT = SUBPAGE_LIMIT_BYTES / CLASS_STEP_BYTES; // 127
const GROUP_FRAMES_MAX = 4;
/** A handle is slot * CLASS_SPAN + class; it must fit a u32 below NONE. */
const CLASS_SPAN = 128;
const SLOTS_PER_CLASS_MAX = Math.floor((NONE - 1) / CLASS_SPAN);

/** Frames per group and slots per group for a slot size: least waste, fewest frames on ties. */
function groupShape(slotBytes: number): { frames: number; slots: number } {
  let best = { frames: 1, slots: Math.floor(TMEM_PAGE_BYTES / slotBytes) };
  let bestWaste = TMEM_PAGE_BYTES - best.slots * slotBytes;
  for (let frames = 2; frames <= GROUP_FRAMES_MAX; frames++) {
    const slots = Math.floor((frames * TMEM_PAGE_BYTES) / slotBytes);
    const waste = frames * TMEM_PAGE_BYTES - slots * slotBytes;
    // waste/frames < bestWaste/best.frames, cross-multiplied (small integers).
    if (waste * best.frames < bestWaste * frames) {
      best = { frames, slots };
      bestWaste = waste;
    }
  }
  return best;
}

class SizeClass {
  readonly slotBytes: number;
  readonly framesPerGroup: number;
  readonly slotsPerGroup: number;
  /** Per group: slots in use; 0 means the group holds no frames. */
  groupUsed = new Uint32Array(4);
  /** Per group: slots handed out at least once since the group was backed. */
  groupFresh = new Uint32Array(4);
  /** Per group: head of its free-slot stack (slot ids), NONE if empty. */
  groupFreeHead = new Uint32Array(4).fill(NONE);
  /** Partial groups (backed, not full): a doubly linked list of group ids. */
  partialPrev = new Uint32Array(4).fill(NONE);
  partialNext = new Uint32Array(4).fill(NONE);
  partialHead = NONE;
  /** Groups with no frames, ready to be backed again (stack threaded through partialNext). */
  idleHead = NONE;
  groupCount = 0;
  /** Per slot: next free slot of the same group (the free stack). */
  slotNext = new Uint32Array(0);
  bytes: Uint8Array | null;
  slotsUsed = 0;

  constructor(unit: number, withBytes: boolean) {
    this.slotBytes = unit * CLASS_STEP_BYTES;
    const shape = groupShape(this.slotBytes);
    this.framesPerGroup = shape.frames;
    this.slotsPerGroup = shape.slots;
    this.bytes = withBytes ? new Uint8Array(0) : null;
  }

  /** Frames the next allocation takes: 0 when a partial group has room. */
  framesNeeded(): number {
    return this.partialHead === NONE ? this.framesPerGroup : 0;
  }

  alloc(): { slot: number; frames: number } {
    let frames = 0;
    let g = this.partialHead;
    if (g === NONE) {
      g = this.backGroup();
      frames = this.framesPerGroup;
    }
    let slot = this.groupFreeHead[g];
    if (slot !== NONE) {
      this.groupFreeHead[g] = this.slotNext[slot];
      this.slotNext[slot] = NONE;
    } else {
      assert(this.groupFresh[g] < this.slotsPerGroup, 'subpage: partial group without room');
      slot = g * this.slotsPerGroup + this.groupFresh[g];
      this.groupFresh[g]++;
    }
    this.groupUsed[g]++;
    this.slotsUsed++;
    if (this.groupUsed[g] === this.slotsPerGroup) this.unlinkPartial(g);
    return { slot, frames };
  }

  /** Frees a slot; returns the frames given back (its group's, when it was the last slot). */
  free(slot: number): number {
    const g = Math.floor(slot / this.slotsPerGroup);
    assert(g < this.groupCount && this.groupUsed[g] > 0, 'subpage: freeing a slot of an empty group');
    assert(this.slotsUsed > 0, 'subpage: slot count underflow');
    if (this.groupUsed[g] === this.slotsPerGroup) this.linkPartial(g);
    this.groupUsed[g]--;
    this.slotsUsed--;
    if (this.groupUsed[g] === 0) {
      this.unlinkPartial(g);
      this.groupFreeHead[g] = NONE;
      this.groupFresh[g] = 0;
      this.partialNext[g] = this.idleHead;
      this.idleHead = g;
      return this.framesPerGroup;
    }
    this.slotNext[slot] = this.groupFreeHead[g];
    this.groupFreeHead[g] = slot;
    return 0;
  }

  private backGroup(): number {
    let g = this.idleHead;
    if (g !== NONE) {
      this.idleHead = this.partialNext[g];
      this.partialNext[g] = NONE;
    } else {
      g = this.groupCount++;
      assert(this.groupCount * this.slotsPerGroup <= SLOTS_PER_CLASS_MAX, 'subpage: slot id space exhausted');
      if (g >= this.groupUsed.length) this.growGroups(this.groupUsed.length * 2);
      const slots = this.groupCount * this.slotsPerGroup;
      if (slots > this.slotNext.length) {
        this.slotNext = growU32(this.slotNext, Math.max(slots, this.slotNext.length * 2), NONE);
        if (this.bytes !== null) this.bytes = growU8(this.bytes, this.slotNext.length * this.slotBytes);
      }
    }
    this.linkPartial(g);
    return g;
  }

  private growGroups(capacity: number): void {
    this.groupUsed = growU32(this.groupUsed, capacity, 0);
    this.groupFresh = growU32(this.groupFresh, capacity, 0);
    this.groupFreeHead = growU32(this.groupFreeHead, capacity, NONE);
    this.partialPrev = growU32(this.partialPrev, capacity, NONE);
    this.partialNext = growU32(this.partialNext, capacity, NONE);
  }

  private linkPartial(g: number): void {
    this.partialPrev[g] = NONE;
    this.partialNext[g] = this.partialHead;
    if (this.partialHead !== NONE) this.partialPrev[this.partialHead] = g;
    this.partialHead = g;
  }

  private unlinkPartial(g: number): void {
    const p = this.partialPrev[g];
    const n = this.partialNext[g];
    if (p === NONE) {
      assert(this.partialHead === g, 'subpage: group not on the partial list');
      this.partialHead = n;
    } else this.partialNext[p] = n;
    if (n !== NONE) this.partialPrev[n] = p;
    this.partialPrev[g] = NONE;
    this.partialNext[g] = NONE;
  }

  framesHeld(): number {
    let backed = 0;
    for (let g = 0; g < this.groupCount; g++) if (this.groupUsed[g] > 0) backed++;
    return backed * this.framesPerGroup;
  }

  violations(name: string): string[] {
    const out: string[] = [];
    let used = 0;
    for (let g = 0; g < this.groupCount; g++) {
      used += this.groupUsed[g];
      if (this.groupUsed[g] > this.groupFresh[g]) out.push(`${name}: group ${g} uses more slots than handed out`);
    }
    if (used !== this.slotsUsed) out.push(`${name}: group sum ${used} != slots used ${this.slotsUsed}`);
    let partial = 0;
    for (let g = this.partialHead, prev = NONE; g !== NONE; prev = g, g = this.partialNext[g]) {
      if (++partial > this.groupCount) {
        out.push(`${name}: partial list cycles`);
        break;
      }
      if (this.partialPrev[g] !== prev) out.push(`${name}: partial prev[${g}] wrong`);
      if (this.groupUsed[g] === 0 || this.groupUsed[g] >= this.slotsPerGroup) out.push(`${name}: group ${g} on partial list with ${this.groupUsed[g]} used`);
    }
    let expectPartial = 0;
    for (let g = 0; g < this.groupCount; g++) if (this.groupUsed[g] > 0 && this.groupUsed[g] < this.slotsPerGroup) expectPartial++;
    if (partial !== expectPartial) out.push(`${name}: ${partial} partial groups listed, ${expectPartial} expected`);
    return out;
  }
}

export class SubpageAllocator {
  private readonly classes: (SizeClass | null)[] = new Array<SizeClass | null>(CLASS_COUNT + 1).fill(null);
  /** Frames currently backing slots. */
  framesUsed = 0;

  constructor(readonly withBytes: boolean) {}

  private classFor(sizeBytes: number): SizeClass {
    assert(Number.isInteger(sizeBytes) && sizeBytes > 0 && sizeBytes < SUBPAGE_LIMIT_BYTES, `subpage: size ${sizeBytes} out of range`);
    const unit = Math.ceil(sizeBytes / CLASS_STEP_BYTES);
    let c = this.classes[unit];
    if (c === null) {
      c = new SizeClass(unit, this.withBytes);
      this.classes[unit] = c;
    }
    return c;
  }

  /** Frames an allocation of `sizeBytes` would take now (the caller checks it may have them). */
  framesNeeded(sizeBytes: number): number {
    return this.classFor(sizeBytes).framesNeeded();
  }

  /** Allocates a slot of at least `sizeBytes`; the frames it took are added to framesUsed. */
  alloc(sizeBytes: number): number {
    const unit = Math.ceil(sizeBytes / CLASS_STEP_BYTES);
    const { slot, frames } = this.classFor(sizeBytes).alloc();
    this.framesUsed += frames;
    return slot * CLASS_SPAN + unit;
  }

  /** Frees a slot; returns the frames given back. */
  free(handle: number): number {
    const c = this.classes[handle % CLASS_SPAN];
    assert(c !== null && c !== undefined, 'subpage: handle of an unknown class');
    const frames = c.free(Math.floor(handle / CLASS_SPAN));
    assert(frames <= this.framesUsed, 'subpage: frame count underflow');
    this.framesUsed -= frames;
    return frames;
  }

  /** The bytes of a slot (bytes mode only): the class buffer and the slot's offset in it. */
  buffer(handle: number): Uint8Array {
    const c = this.classes[handle % CLASS_SPAN];
    assert(c !== null && c.bytes !== null, 'subpage: no bytes for this handle');
    return c.bytes;
  }

  offset(handle: number): number {
    const c = this.classes[handle % CLASS_SPAN];
    assert(c !== null, 'subpage: handle of an unknown class');
    return Math.floor(handle / CLASS_SPAN) * c.slotBytes;
  }

  get slotsUsed(): number {
    let n = 0;
    for (const c of this.classes) if (c !== null) n += c.slotsUsed;
    return n;
  }

  violations(name: string): string[] {
    const out: string[] = [];
    let frames = 0;
    for (const c of this.classes) {
      if (c === null) continue;
      out.push(...c.violations(`${name} class ${c.slotBytes}B`));
      frames += c.framesHeld();
    }
    if (frames !== this.framesUsed) out.push(`${name}: groups hold ${frames} frames, framesUsed says ${this.framesUsed}`);
    return out;
  }
}
