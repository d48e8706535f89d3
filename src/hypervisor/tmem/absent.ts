// The tmem hypercall of a hypervisor running without tmem: Xen 4.12's
// do_tmem_op answers -ENODEV to every operation until tmem is initialised
// (xen/common/tmem.c), which it never is when the host boots without it. A
// guest whose kernel is set up for tmem (tmem.frontswap, tmem.cleancache)
// still makes the calls: its pools are never created, so every frontswap
// store fails and goes to the swap disk, cleancache does nothing, and
// self-ballooning runs all the same (xen_tmem_init asks the guest's own
// settings, never the hypervisor).

import type { TmemOps, TmemRc } from './api.ts';

const NO_TMEM: TmemRc = Object.freeze({ ok: false, errno: 'ENODEV' }) as TmemRc;

/** A TmemOps whose every operation answers ENODEV (a host with tmem off). */
export const ABSENT_TMEM: TmemOps = Object.freeze({
  newPool: () => NO_TMEM,
  put: () => NO_TMEM,
  get: () => NO_TMEM,
  flushPage: () => NO_TMEM,
  flushObject: () => NO_TMEM,
  destroyPool: () => NO_TMEM,
});
