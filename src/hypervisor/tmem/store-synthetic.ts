// The `synthetic` content store (the simulator's): a page is a 64-bit
// fingerprint plus the size it compresses to. Two pages with equal
// fingerprints have equal contents, so dedup compares fingerprints; compression
// uses the size class; TZE can only recognise the all-zero page (fingerprint
// 0:0), which stores no data. Same decisions and metadata as the bytes store.

import { assert } from '../../lib/assert.ts';
import { TMEM_PAGE_BYTES, type PageContent, type SyntheticPage } from './api.ts';
import { KIND_COMPRESSED, KIND_TZE, KIND_WHOLE, lenKind, type ContentStore } from './store.ts';
import { SUBPAGE_LIMIT_BYTES, type SubpageAllocator } from './subpage.ts';
import { growU32, growU8, hashStep, NONE } from './typed.ts';

function isSynthetic(content: PageContent): content is SyntheticPage {
  return !(content instanceof Uint8Array);
}

function isU32(x: unknown): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

export class SyntheticStore implements ContentStore {
  readonly kind = 'synthetic' as const;
  private fpHi = new Uint32Array(0);
  private fpLo = new Uint32Array(0);
  // compressedBytes - 1 (0..4095, 12 bits) per content, in 1.5 bytes: the
  // low 8 bits in `sizeLo`, the high 4 in a nibble of `sizeHi` (two contents a byte).
  private sizeLo = new Uint8Array(0);
  private sizeHi = new Uint8Array(0);
  private last: SyntheticPage = { fpHi: 0, fpLo: 0, compressedBytes: TMEM_PAGE_BYTES };
  private lastLk = 0;
  private held = 0;
  lastPoor = false;

  get wholeFramesHeld(): number {
    return this.held;
  }

  ensureCapacity(capacity: number): void {
    if (capacity <= this.fpHi.length) return;
    const cap = capacity;
    this.fpHi = growU32(this.fpHi, cap, 0);
    this.fpLo = growU32(this.fpLo, cap, 0);
    this.sizeLo = growU8(this.sizeLo, cap);
    this.sizeHi = growU8(this.sizeHi, (cap + 1) >>> 1);
  }

  reject(content: PageContent): string | null {
    if (!isSynthetic(content)) return 'the synthetic store takes a SyntheticPage';
    if (!isU32(content.fpHi) || !isU32(content.fpLo)) return 'fingerprint halves must be unsigned 32-bit integers';
    const cb = content.compressedBytes;
    if (!Number.isInteger(cb) || cb < 1 || cb > TMEM_PAGE_BYTES) return `compressedBytes must be 1..4096, got ${cb}`;
    return null;
  }

  encode(content: PageContent, compress: boolean, tze: boolean): number {
    assert(isSynthetic(content), 'synthetic store: content is not a SyntheticPage');
    this.last = content;
    this.lastPoor = false;
    if (compress) {
      if (content.compressedBytes < SUBPAGE_LIMIT_BYTES) return (this.lastLk = lenKind(KIND_COMPRESSED, content.compressedBytes));
      this.lastPoor = true;
    }
    if (tze && content.fpHi === 0 && content.fpLo === 0) return (this.lastLk = lenKind(KIND_TZE, 0));
    return (this.lastLk = lenKind(KIND_WHOLE, TMEM_PAGE_BYTES));
  }

  hashLast(): number {
    return hashStep(hashStep(0, this.last.fpHi), this.last.fpLo);
  }

  sameAsLast(cd: number, lk: number): boolean {
    return lk === this.lastLk && this.fpHi[cd] === this.last.fpHi && this.fpLo[cd] === this.last.fpLo;
  }

  commit(cd: number, lk: number, slot: number, _sub: SubpageAllocator | null): number {
    assert(cd < this.fpHi.length, 'synthetic store: content id beyond capacity');
    this.fpHi[cd] = this.last.fpHi;
    this.fpLo[cd] = this.last.fpLo;
    const size = this.last.compressedBytes - 1;
    const shift = (cd & 1) << 2;
    const at = cd >>> 1;
    this.sizeLo[cd] = size & 0xff;
    this.sizeHi[at] = (this.sizeHi[at] & ~(0xf << shift)) | ((size >>> 8) << shift);
    if (lk >>> 13 === KIND_WHOLE) {
      this.held++;
      return NONE;
    }
    return slot;
  }

  read(cd: number, _lk: number, _loc: number, _sub: SubpageAllocator | null, out: PageContent): void {
    assert(isSynthetic(out), 'synthetic store: get needs a SyntheticPage to fill');
    out.fpHi = this.fpHi[cd];
    out.fpLo = this.fpLo[cd];
    out.compressedBytes = ((((this.sizeHi[cd >>> 1] >>> ((cd & 1) << 2)) & 0xf) << 8) | this.sizeLo[cd]) + 1;
  }

  release(_cd: number, lk: number): void {
    if (lk >>> 13 !== KIND_WHOLE) return;
    assert(this.held > 0, 'synthetic store: whole-frame count underflow');
    this.held--;
  }
}

