// Page compression behind a small codec interface. Xen compressed tmem pages
// with LZO1X-1 (xen/common/tmem_xen.c: tmem_compress_from_client,
// tmem_decompress_to_client); hypermem uses LZ4 from the native `lz4`
// package by default, and any codec with the same two calls can be plugged in.

import lz4 from 'lz4';
import { assert } from '../../lib/assert.ts';
import { TMEM_PAGE_BYTES } from './api.ts';

export interface Codec {
  readonly name: string;
  /** Worst-case output size for one page (the scratch buffer is this big). */
  readonly boundBytes: number;
  /** Compresses one page into `dst`; returns the compressed size, 0 when it does not compress. */
  compress(src: Uint8Array, dst: Uint8Array): number;
  /** Decompresses `src` (exactly what `compress` produced) into the 4096 bytes of `dst`. */
  decompress(src: Uint8Array, dst: Uint8Array): void;
}

function asBuffer(a: Uint8Array): Buffer {
  return Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export class Lz4Codec implements Codec {
  readonly name = 'lz4';
  readonly boundBytes = lz4.encodeBound(TMEM_PAGE_BYTES);

  compress(src: Uint8Array, dst: Uint8Array): number {
    assert(src.length === TMEM_PAGE_BYTES && dst.length >= this.boundBytes, 'lz4: bad buffer sizes');
    return lz4.encodeBlock(asBuffer(src), asBuffer(dst));
  }

  decompress(src: Uint8Array, dst: Uint8Array): void {
    const n = lz4.decodeBlock(asBuffer(src), asBuffer(dst));
    assert(n === TMEM_PAGE_BYTES, `lz4: decoded ${n} bytes, expected a page`);
  }
}

export function defaultCodec(): Codec {
  return new Lz4Codec();
}
