// Page contents for the synthetic tmem store (api.ts SyntheticPage): a 64-bit
// fingerprint and a compressed size, computed deterministically from where
// the page comes from, so tmem's dedup and compression see realistic input:
// - a share of pages is all zero (fingerprint 0:0);
// - file pages of the original image, and a share of anonymous pages, are
//   identical across guests booted from the same image (fingerprint from the
//   image id, not the guest);
// - the rest is unique to the guest (and to the file's generation, which a
//   truncate bumps, or the anonymous page's generation);
// - each non-zero page falls in a compressibility class by weight.
// The same page always gets the same content, so a get can be checked.

import { assert } from '../lib/assert.ts';
import type { SyntheticPage } from '../hypervisor/tmem/api.ts';

export interface CompressClass {
  /** Relative weight of the class. */
  weight: number;
  /** Size the page compresses to, 1..4096 (4096 = incompressible). */
  compressedBytes: number;
}

export interface ContentConfig {
  /** Guests with the same image id share the contents of image pages. */
  imageId: number;
  /** Share of pages (file and anonymous) that are all zero, in [0, 1]. */
  zeroShare: number;
  /** Share of anonymous pages identical across guests of the same image, in [0, 1]. */
  anonImageShare: number;
  /** Share of original-image file pages identical across guests of the same image, in [0, 1]. */
  fileImageShare: number;
  compressClasses: CompressClass[];
}

export const DEFAULT_CONTENT: ContentConfig = {
  imageId: 1,
  zeroShare: 0.05,
  anonImageShare: 0.05,
  fileImageShare: 0.9,
  compressClasses: [
    { weight: 1, compressedBytes: 1024 },
    { weight: 2, compressedBytes: 2048 },
    { weight: 1, compressedBytes: 4096 },
  ],
};

/** Compressed size of an all-zero page (LZO on 4 KiB of zeros yields a few dozen bytes). */
export const ZERO_PAGE_COMPRESSED_BYTES = 32;

function mix(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x27d4eb2d, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ d, 0x27d4eb2f);
  h ^= h >>> 15;
  return h >>> 0;
}

const U32 = 0x100000000;
const SALT_FILE = 0x46494c45;
const SALT_ANON = 0x414e4f4e;
const SALT_HI = 0x68690000;

export class ContentModel {
  private readonly classCumulative: Float64Array;
  private readonly classBytes: Uint16Array;
  private readonly zeroU32: number;
  private readonly anonImageU32: number;
  private readonly fileImageU32: number;

  constructor(
    readonly config: ContentConfig,
    /** Salt for guest-unique contents (the domid). */
    private readonly guestSalt: number,
  ) {
    assert(config.zeroShare >= 0 && config.zeroShare <= 1, 'zeroShare out of [0, 1]');
    assert(config.anonImageShare >= 0 && config.anonImageShare <= 1, 'anonImageShare out of [0, 1]');
    assert(config.fileImageShare >= 0 && config.fileImageShare <= 1, 'fileImageShare out of [0, 1]');
    assert(config.compressClasses.length > 0, 'need at least one compressibility class');
    let total = 0;
    for (const c of config.compressClasses) {
      assert(c.weight > 0, 'compress class weight must be positive');
      assert(Number.isInteger(c.compressedBytes) && c.compressedBytes >= 1 && c.compressedBytes <= 4096, 'compressedBytes must be 1..4096');
      total += c.weight;
    }
    this.classCumulative = new Float64Array(config.compressClasses.length);
    this.classBytes = new Uint16Array(config.compressClasses.length);
    let acc = 0;
    config.compressClasses.forEach((c, i) => {
      acc += c.weight;
      this.classCumulative[i] = (acc / total) * U32;
      this.classBytes[i] = c.compressedBytes;
    });
    this.zeroU32 = config.zeroShare * U32;
    this.anonImageU32 = config.anonImageShare * U32;
    this.fileImageU32 = config.fileImageShare * U32;
  }

  /** Contents of file page (inode, index) at file generation `gen`; `imageFile` = part of the original image. */
  filePage(inode: number, index: number, gen: number, imageFile: boolean, out: SyntheticPage): SyntheticPage {
    const img = this.config.imageId;
    const u = mix(SALT_FILE, img, inode, index);
    if (u < this.zeroU32) return zero(out);
    const sharedWithImage = imageFile && gen === 0 && mix(SALT_FILE + 1, img, inode, index) < this.fileImageU32;
    const salt = sharedWithImage ? img : mix(this.guestSalt, gen, U32 - 1 - img, 7);
    return this.fill(SALT_FILE, salt, inode, index, out);
  }

  /** Contents of anonymous page `page` at generation `gen` (bumped each time the page is newly allocated). */
  anonPage(page: number, gen: number, out: SyntheticPage): SyntheticPage {
    const img = this.config.imageId;
    const u = mix(SALT_ANON, this.guestSalt, page, gen);
    if (u < this.zeroU32) return zero(out);
    const sharedWithImage = gen === 0 && mix(SALT_ANON + 1, img, page, 0) < this.anonImageU32;
    if (sharedWithImage) return this.fill(SALT_ANON, img, page, 0xffffffff, out);
    return this.fill(SALT_ANON + 2, this.guestSalt, page, gen, out);
  }

  private fill(a: number, b: number, c: number, d: number, out: SyntheticPage): SyntheticPage {
    let hi = mix(a ^ SALT_HI, b, c, d);
    const lo = mix(a, b, c, d);
    if (hi === 0 && lo === 0) hi = 1;
    out.fpHi = hi;
    out.fpLo = lo;
    const v = mix(lo, hi, a, 0x636c6173);
    let k = 0;
    while (k < this.classCumulative.length - 1 && v >= this.classCumulative[k]) k++;
    out.compressedBytes = this.classBytes[k];
    return out;
  }
}

function zero(out: SyntheticPage): SyntheticPage {
  out.fpHi = 0;
  out.fpLo = 0;
  out.compressedBytes = ZERO_PAGE_COMPRESSED_BYTES;
  return out;
}

export function newSyntheticPage(): SyntheticPage {
  return { fpHi: 0, fpLo: 0, compressedBytes: 4096 };
}

export function samePage(a: SyntheticPage, b: SyntheticPage): boolean {
  return a.fpHi === b.fpHi && a.fpLo === b.fpLo && a.compressedBytes === b.compressedBytes;
}
