// Builds a host, a domain populated as the toolstack would, and a booted guest.

import { Hypervisor } from '../../src/hypervisor/hypervisor.ts';
import type { TmemOps } from '../../src/hypervisor/tmem/api.ts';
import { Prng } from '../../src/lib/prng.ts';
import { guestConfig, type GuestConfigInput } from '../../src/guest/config.ts';
import { Guest } from '../../src/guest/guest.ts';

export function newHost(pages: number): Hypervisor {
  return new Hypervisor({ pages });
}

/** Creates domain `input.domid` with maxmem, populates `memoryPages`, boots a guest on it. */
export function bootGuest(hv: Hypervisor, tmem: TmemOps | null, input: GuestConfigInput, seed = 1): Guest {
  const config = guestConfig(input);
  const c = hv.domainCreate(config.domid, config.maxmemPages);
  if (!c.ok) throw new Error(`domainCreate: ${c.errno}`);
  const p = hv.populatePhysmap(config.domid, config.memoryPages);
  if (!p.ok) throw new Error(`populate: ${p.errno}`);
  const g = new Guest(hv, tmem, config, new Prng(seed, config.name));
  g.boot(0);
  return g;
}

export function assertClean(g: Guest): void {
  const v = g.violations();
  if (v.length > 0) throw new Error(`violations:\n${v.join('\n')}`);
}
