// The synthetic description of a real page: a 64-bit fingerprint (0:0 only
// for the all-zero page) and the size the default codec compresses it to.
// Lets the replay command and the tests drive the synthetic store with the
// same pages as the bytes store.

import { TMEM_PAGE_BYTES, type SyntheticPage } from './api.ts';
import type { Codec } from './codec.ts';
import { hashStep } from '../../lib/typed.ts';

export function fingerprintOf(page: Uint8Array, codec: Codec, scratch = new Uint8Array(codec.boundBytes)): SyntheticPage {
  let hi = 0x243f6a88;
  let lo = 0x85a308d3;
  let zero = true;
  for (let i = 0; i < page.length; i += 4) {
    const word = page[i] | (page[i + 1] << 8) | (page[i + 2] << 16) | (page[i + 3] << 24);
    if (word !== 0) zero = false;
    hi = hashStep(hi, word);
    lo = hashStep(lo, word ^ i);
  }
  const n = codec.compress(page, scratch);
  const compressedBytes = n > 0 && n < TMEM_PAGE_BYTES ? n : TMEM_PAGE_BYTES;
  if (zero) return { fpHi: 0, fpLo: 0, compressedBytes };
  if (hi === 0 && lo === 0) lo = 1;
  return { fpHi: hi >>> 0, fpLo: lo >>> 0, compressedBytes };
}
