// A domain as the hypervisor sees it (SEMANTICS.md §2): its page counts, its
// claim and whether it is dying. Counters are changed only by accounting.

import { newDomainAccount, type DomainAccount } from './accounting.ts';

/** Domain ids from this value up are reserved (Xen's DOMID_FIRST_RESERVED). */
export const DOMID_FIRST_RESERVED = 0x7ff0;
/**
 * The largest max_pages a domain can have: Xen keeps max_pages (and tot_pages,
 * outstanding_pages) in an unsigned int, and XEN_DOMCTL_max_mem saturates a
 * larger request at this value (xen/common/domctl.c, since 4.6; 4.3 to 4.5
 * truncated it).
 */
export const MAX_DOMAIN_PAGES = 0xffffffff;
/** The privileged toolstack domain: the default caller of every hypercall. */
export const DOMID_TOOLSTACK = 0;

export interface Domain extends DomainAccount {
  /** Of pagesTot, the frames holding tmem persistent data (frontswap). */
  pagesTmemFrames: number;
  dying: boolean;
}

export function newDomain(domid: number, pagesMax: number, nodeCount: number): Domain {
  return { ...newDomainAccount(domid, pagesMax, nodeCount), pagesTmemFrames: 0, dying: false };
}

/** Pages of RAM the domain owns: what populate gave it and decrease_reservation can take back. */
export function pagesRam(d: Domain): number {
  return d.pagesTot - d.pagesTmemFrames;
}

/** Room under max_pages, written so it cannot underflow when max_pages was lowered below tot_pages. */
export function pagesRoom(d: Domain): number {
  return d.pagesTot >= d.pagesMax ? 0 : d.pagesMax - d.pagesTot;
}

export function isValidDomid(domid: number): boolean {
  return Number.isSafeInteger(domid) && domid >= 0 && domid < DOMID_FIRST_RESERVED;
}
