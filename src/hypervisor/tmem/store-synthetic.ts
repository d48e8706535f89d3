// The `synthetic` content store (the simulator's): a page is a 64-bit
// fingerprint plus the size it compresses to. Two pages with equal
// fingerprints have equal contents, so dedup compares fingerprints; compression
// uses the size class; TZE can only recognise the all-zero page (fingerprint
// 0:0), which stores no data. Same decisions and metadata as the bytes store.

import { assert } from '../../lib/assert.ts';
import { TMEM_PAGE_BYTES, type PageContent, type SyntheticPage } from './api.ts';
import { KIND_COMPRESSED, KIND_TZE, KIND_WHOLE, lenKind, type ContentStore } from './store.ts';
import { SUBPAGE_LIMIT_BYTES, type SubpageAllocator } from './subpage.ts';
import { growU32, hashStep, NONE } from '../../lib/typed.ts';

function isSynthetic(content: PageContent): content is SyntheticPage {
  return !(content instanceof Uint8Array);
}

function isU32(x: unknown): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

export class SyntheticStore implements ContentStore {
  readonly kind = 'synthetic' as const;
  // Per content, three adjacent words (one cache line for a put or a get):
  // fingerprint high, fingerprint low, compressedBytes - 1.
  private rec = new Uint32Array(0);
  private last: SyntheticPage = { fpHi: 0, fpLo: 0, compressedBytes: TMEM_PAGE_BYTES };
  private lastLk = 0;
  private held = 0;
  lastPoor = false;

  get wholeFramesHeld(): number {
    return this.held;
  }

  ensureCapacity(capacity: number): void {
    if (3 * capacity <= this.rec.length) return;
    this.rec = growU32(this.rec, 3 * capacity, 0);
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
    return lk === this.lastLk && this.rec[3 * cd] === this.last.fpHi && this.rec[3 * cd + 1] === this.last.fpLo;
  }

  commit(cd: number, lk: number, slot: number, _sub: SubpageAllocator | null): number {
    assert(3 * cd < this.rec.length, 'synthetic store: content id beyond capacity');
    const r = this.rec;
    const o = 3 * cd;
    r[o] = this.last.fpHi;
    r[o + 1] = this.last.fpLo;
    r[o + 2] = this.last.compressedBytes - 1;
    if (lk >>> 13 === KIND_WHOLE) {
      this.held++;
      return NONE;
    }
    return slot;
  }

  read(cd: number, _lk: number, _loc: number, _sub: SubpageAllocator | null, out: PageContent): void {
    assert(isSynthetic(out), 'synthetic store: get needs a SyntheticPage to fill');
    const r = this.rec;
    const o = 3 * cd;
    out.fpHi = r[o];
    out.fpLo = r[o + 1];
    out.compressedBytes = r[o + 2] + 1;
  }

  release(_cd: number, lk: number): void {
    if (lk >>> 13 !== KIND_WHOLE) return;
    assert(this.held > 0, 'synthetic store: whole-frame count underflow');
    this.held--;
  }
}

