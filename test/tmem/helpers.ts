// Shared fixtures for the tmem tests: a host with tmem attached, test pages
// and their synthetic twins.

import { createHostWithTmem } from '../../src/hypervisor/tmem/index.ts';
import { PassThrough, Readable } from 'node:stream';
import { replayStream } from '../../src/cli/replay.ts';
import type { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import type { Tmem, TmemOptions } from '../../src/hypervisor/tmem/tmem.ts';
import { defaultCodec } from '../../src/hypervisor/tmem/codec.ts';
import { fingerprintOf } from '../../src/hypervisor/tmem/fingerprint.ts';
import type { SyntheticPage } from '../../src/hypervisor/tmem/api.ts';

export const PAGE = 4096;

export function host(pages: number, options: TmemOptions = {}, domains: [number, number][] = [[1, 100]]): { hv: Hypervisor; tmem: Tmem } {
  const h = createHostWithTmem({ pages }, options);
  for (const [domid, max] of domains) {
    const r = h.hv.domainCreate(domid, max);
    if (!r.ok) throw new Error(`domainCreate ${domid}: ${r.errno}`);
  }
  return h;
}

export function fill(byte: number): Uint8Array {
  return new Uint8Array(PAGE).fill(byte);
}

/** Deterministic pseudo-random bytes (xorshift), optionally zero after `zeroFrom`. */
export function noise(seed: number, zeroFrom = PAGE): Uint8Array {
  const out = new Uint8Array(PAGE);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < zeroFrom; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  if (zeroFrom > 0 && zeroFrom <= PAGE) out[zeroFrom - 1] |= 1;
  return out;
}

/** Text-like, compressible but not trivially. */
export function text(seed: number): Uint8Array {
  const words = ['tmem', 'xen', 'page', 'claim', 'guest', 'pool', 'evict', 'lru'];
  const out = new Uint8Array(PAGE);
  let x = seed + 1;
  for (let i = 0; i < PAGE; ) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const w = words[(x >>> 16) % words.length];
    for (let j = 0; j < w.length && i < PAGE; j++) out[i++] = w.charCodeAt(j);
    if (i < PAGE) out[i++] = 32;
  }
  return out;
}

const codec = defaultCodec();
export function synth(page: Uint8Array): SyntheticPage {
  return fingerprintOf(page, codec);
}

/** Fails with every violated invariant of the host (accounting and tmem). */
export function assertClean(hv: Hypervisor, where = ''): void {
  const v = hv.violations();
  if (v.length > 0) throw new Error(`invariants violated ${where}:\n  ${v.join('\n  ')}`);
}

/** Runs replay lines (with --check) and returns each output line parsed, and the exit status. */
export async function replay(lines: object[]): Promise<{ out: Record<string, unknown>[]; status: number }> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  const status = await replayStream(Readable.from(lines.map((l) => JSON.stringify(l)).join('\n')), output, new PassThrough(), { check: true });
  return { out: text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), status };
}
