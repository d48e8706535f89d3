// The `bytes` content store: real page contents. Whole pages live in slabs
// of one growable arena (256 frames per 1 MiB slab, a free stack of frame
// slots); compressed and TZE data live in the sub-page allocator's slots.
// `get` returns exactly what `put` stored. Dedup candidates are found by a
// hash and confirmed on the full stored form (xen/common/tmem.c 4.3:
// pcd_associate compares whole pages word by word, compressed data by length
// then bytes).

import { assert } from '../../lib/assert.ts';
import { TMEM_PAGE_BYTES, type PageContent } from './api.ts';
import type { Codec } from './codec.ts';
import { KIND_COMPRESSED, KIND_TZE, KIND_WHOLE, kindOf, lenKind, lenOf, TZE_MAX_BYTES, type ContentStore } from './store.ts';
import { SUBPAGE_LIMIT_BYTES, type SubpageAllocator } from './subpage.ts';
import { growU32, hashStep, NONE } from '../../lib/typed.ts';

const SLAB_FRAMES_LOG2 = 8;
const SLAB_FRAMES = 1 << SLAB_FRAMES_LOG2;

/** Hash of a page's 1024 32-bit words (little-endian), the same for bytes wherever they sit. */
function hashWords(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = hashStep(h, words[i]);
  return h;
}

function isPage(content: PageContent): content is Uint8Array {
  return content instanceof Uint8Array;
}

export class BytesStore implements ContentStore {
  readonly kind = 'bytes' as const;
  private readonly slabs: Uint8Array[] = [];
  private arenaFree = new Uint32Array(SLAB_FRAMES);
  private arenaFreeTop = 0;
  private arenaHigh = 0;
  private framesHeld = 0;
  private readonly scratch: Uint8Array;
  private readonly aligned = new Uint8Array(TMEM_PAGE_BYTES);
  private readonly alignedWords = new Uint32Array(this.aligned.buffer);
  private last: Uint8Array = this.aligned;
  private lastLk = 0;
  lastPoor = false;

  constructor(private readonly codec: Codec) {
    this.scratch = new Uint8Array(codec.boundBytes);
  }

  get wholeFramesHeld(): number {
    return this.framesHeld;
  }

  ensureCapacity(_capacity: number): void {
    // No per-content arrays: the location (frame or slot) is kept by the caller.
  }

  reject(content: PageContent): string | null {
    if (!isPage(content)) return 'the bytes store takes a Uint8Array of 4096 bytes';
    if (content.length !== TMEM_PAGE_BYTES) return `a page is 4096 bytes, got ${content.length}`;
    return null;
  }

  encode(content: PageContent, compress: boolean, tze: boolean): number {
    assert(isPage(content) && content.length === TMEM_PAGE_BYTES, 'bytes store: content is not a 4096-byte page');
    this.last = content;
    this.lastPoor = false;
    if (compress) {
      const n = this.codec.compress(content, this.scratch);
      if (n > 0 && n < SUBPAGE_LIMIT_BYTES) return (this.lastLk = lenKind(KIND_COMPRESSED, n));
      this.lastPoor = true;
    }
    if (tze) {
      const len = trimmedBytes(content);
      if (len <= TZE_MAX_BYTES) return (this.lastLk = lenKind(KIND_TZE, len));
    }
    return (this.lastLk = lenKind(KIND_WHOLE, TMEM_PAGE_BYTES));
  }

  hashLast(): number {
    this.aligned.set(this.last);
    return hashWords(this.alignedWords);
  }

  sameAsLast(_cd: number, lk: number, loc: number, sub: SubpageAllocator | null): boolean {
    if (lk !== this.lastLk) return false;
    const len = lenOf(lk);
    switch (kindOf(lk)) {
      case KIND_WHOLE:
        return bytesEqual(this.frame(loc), 0, this.last, 0, TMEM_PAGE_BYTES);
      case KIND_COMPRESSED:
        assert(sub !== null, 'bytes store: compressed content without an allocator');
        return bytesEqual(sub.buffer(loc), sub.offset(loc), this.scratch, 0, len);
      default:
        if (len === 0) return true;
        assert(sub !== null, 'bytes store: TZE content without an allocator');
        return bytesEqual(sub.buffer(loc), sub.offset(loc), this.last, 0, len);
    }
  }

  commit(_cd: number, lk: number, slot: number, sub: SubpageAllocator | null): number {
    const len = lenOf(lk);
    switch (kindOf(lk)) {
      case KIND_WHOLE: {
        const frame = this.allocFrame();
        // Straight into the slab at the frame's offset (no view of the frame to make).
        this.slabs[frame >>> SLAB_FRAMES_LOG2].set(this.last, (frame & (SLAB_FRAMES - 1)) * TMEM_PAGE_BYTES);
        return frame;
      }
      case KIND_COMPRESSED:
        assert(sub !== null && slot !== NONE, 'bytes store: compressed content without a slot');
        sub.buffer(slot).set(this.scratch.subarray(0, len), sub.offset(slot));
        return slot;
      default:
        if (len === 0) return NONE;
        assert(sub !== null && slot !== NONE, 'bytes store: TZE content without a slot');
        sub.buffer(slot).set(this.last.subarray(0, len), sub.offset(slot));
        return slot;
    }
  }

  read(_cd: number, lk: number, loc: number, sub: SubpageAllocator | null, out: PageContent): void {
    assert(isPage(out) && out.length === TMEM_PAGE_BYTES, 'bytes store: get needs a 4096-byte Uint8Array');
    const len = lenOf(lk);
    switch (kindOf(lk)) {
      case KIND_WHOLE:
        out.set(this.frame(loc));
        return;
      case KIND_COMPRESSED: {
        assert(sub !== null, 'bytes store: compressed content without an allocator');
        const off = sub.offset(loc);
        this.codec.decompress(sub.buffer(loc).subarray(off, off + len), out);
        return;
      }
      default:
        if (len > 0) {
          assert(sub !== null, 'bytes store: TZE content without an allocator');
          const off = sub.offset(loc);
          out.set(sub.buffer(loc).subarray(off, off + len));
        }
        out.fill(0, len);
    }
  }

  release(_cd: number, lk: number, loc: number): void {
    if (kindOf(lk) !== KIND_WHOLE) return;
    assert(loc < this.arenaHigh && this.framesHeld > 0, 'bytes store: releasing a frame it does not hold');
    if (this.arenaFreeTop === this.arenaFree.length) this.arenaFree = growU32(this.arenaFree, this.arenaFree.length * 2, 0);
    this.arenaFree[this.arenaFreeTop++] = loc;
    this.framesHeld--;
  }

  private allocFrame(): number {
    this.framesHeld++;
    if (this.arenaFreeTop > 0) return this.arenaFree[--this.arenaFreeTop];
    const frame = this.arenaHigh++;
    assert(frame < NONE, 'bytes store: arena full');
    if (frame >>> SLAB_FRAMES_LOG2 >= this.slabs.length) this.slabs.push(new Uint8Array(SLAB_FRAMES * TMEM_PAGE_BYTES));
    return frame;
  }

  private frame(frame: number): Uint8Array {
    const off = (frame & (SLAB_FRAMES - 1)) * TMEM_PAGE_BYTES;
    return this.slabs[frame >>> SLAB_FRAMES_LOG2].subarray(off, off + TMEM_PAGE_BYTES);
  }
}

/** Page length once trailing all-zero 8-byte words are dropped (Xen 4.3: tmh_tze_pfp_scan). */
export function trimmedBytes(page: Uint8Array): number {
  let end = page.length;
  while (end > 0) {
    let zero = true;
    for (let i = end - 8; i < end; i++) {
      if (page[i] !== 0) {
        zero = false;
        break;
      }
    }
    if (!zero) break;
    end -= 8;
  }
  return end;
}

function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  return Buffer.from(a.buffer, a.byteOffset + aOff, len).equals(Buffer.from(b.buffer, b.byteOffset + bOff, len));
}
