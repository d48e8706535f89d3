// tmem's public surface: the engine (Tmem), its API types, and a helper that
// builds a host with tmem attached.

import { Hypervisor, type HostConfig } from '../hypervisor.ts';
import { Tmem, type TmemOptions } from './tmem.ts';

export * from './api.ts';
export { Tmem, defaultLowMemPages, poolFlagsRefusal, TMEM_MAX_EVICTS, TMEM_MAX_SHARED_POOLS, type PoolFlagsRefusal, type TmemGlobalStats, type TmemOptions } from './tmem.ts';
export { TmemControl, type TmemClientListing, type TmemEnumerateResult, type TmemListResult } from './control.ts';
export { Lz4Codec, defaultCodec, type Codec } from './codec.ts';
export { ABSENT_TMEM } from './absent.ts';

/** A hypervisor with tmem attached (the allocator's reclaimer and domain destruction wired). */
export function createHostWithTmem(config: HostConfig, options: TmemOptions = {}): { hv: Hypervisor; tmem: Tmem } {
  const hv = new Hypervisor(config);
  const tmem = new Tmem(hv, options);
  hv.attachTmem(tmem);
  return { hv, tmem };
}
