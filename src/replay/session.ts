// A replay session: feeds parsed requests to a Hypervisor and renders each
// result as the JSON object the replay format promises. The first request
// must describe the host; everything after it acts on that host.

import type { z } from 'zod';
import { Hypervisor } from '../hypervisor/hypervisor.ts';
import { engineSchemas, parseRequest, type EngineRequest, type HostRequest } from './requests.ts';

export type ReplayResult = Record<string, unknown>;

/**
 * Extra vocabulary plugged into a session (tmem adds its ops this way): the
 * schemas of its requests, what a `host` line with its options builds, and
 * how to run each of its requests.
 */
export interface ReplayExtension {
  schemas: Record<string, z.ZodType>;
  /** Called once the host exists; may attach backends to it. */
  onHost(hv: Hypervisor, host: HostRequest): void;
  /** Runs one of this extension's requests; undefined if the op is not its own. */
  execute(request: { op: string }): ReplayResult | undefined;
  /** Extra fields for `physinfo`. */
  physinfo?(): ReplayResult;
}

export class ReplaySession {
  private hv: Hypervisor | null = null;
  private hostLine = 0;
  private readonly schemas: Record<string, z.ZodType>;

  constructor(private readonly extensions: ReplayExtension[] = []) {
    this.schemas = { ...engineSchemas };
    for (const ext of extensions) Object.assign(this.schemas, ext.schemas);
  }

  get hypervisor(): Hypervisor | null {
    return this.hv;
  }

  /**
   * Runs one line. A line error (bad JSON, unknown request, bad field, no host
   * yet) changes nothing and answers `{ok:false, error:"line N: …"}`.
   */
  runLine(line: string, lineNo: number): { result: ReplayResult; lineError: boolean } {
    const parsed = parseRequest<{ op: string }>(line, this.schemas);
    if (!parsed.ok) return this.lineError(lineNo, parsed.error);
    const request = parsed.request;
    if (request.op === 'host') {
      if (this.hv !== null) return this.lineError(lineNo, `the host was already described on line ${this.hostLine}`);
      const host = request as HostRequest;
      if ((host.xen_pages ?? 0) > host.pages) {
        return this.lineError(lineNo, `field "xen_pages": ${host.xen_pages} exceeds the host's ${host.pages} pages`);
      }
      if ((host.nodes ?? 1) > host.pages) return this.lineError(lineNo, `field "nodes": ${host.nodes} nodes for ${host.pages} pages (at most one node a page)`);
      this.hv = new Hypervisor({ pages: host.pages, xenPages: host.xen_pages ?? 0, nodes: host.nodes ?? 1 });
      this.hostLine = lineNo;
      for (const ext of this.extensions) ext.onHost(this.hv, host);
      return { result: { ok: true }, lineError: false };
    }
    if (this.hv === null) return this.lineError(lineNo, 'the first request must be {"op":"host","pages":…}');
    for (const ext of this.extensions) {
      const result = ext.execute(request);
      // An extension reports a line error (input it could only check against the host) as {ok:false, error}.
      if (result !== undefined && result.ok === false && typeof result.error === 'string') return this.lineError(lineNo, result.error);
      if (result !== undefined) return { result, lineError: false };
    }
    return { result: this.executeEngine(this.hv, request as EngineRequest), lineError: false };
  }

  private lineError(lineNo: number, message: string): { result: ReplayResult; lineError: boolean } {
    return { result: { ok: false, error: `line ${lineNo}: ${message}` }, lineError: true };
  }

  private executeEngine(hv: Hypervisor, r: EngineRequest): ReplayResult {
    switch (r.op) {
      case 'host':
        throw new Error('unreachable: host handled by runLine');
      case 'domain_create':
        return hv.domainCreate(r.domid, r.max_pages, r.caller);
      case 'max_mem':
        return hv.setMaxMem(r.domid, r.max_pages, r.caller);
      case 'claim_pages':
        return hv.claimPages(r.domid, r.pages, r.caller);
      case 'claim_memory':
        return hv.claimMemory(
          r.domid,
          r.claims.map((c) => ({ node: c.node === 'global' ? null : c.node, pages: c.pages })),
          r.caller,
        );
      case 'populate_physmap':
        return hv.populatePhysmap(r.domid, r.pages, r.caller);
      case 'decrease_reservation':
        return hv.decreaseReservation(r.domid, r.pages, r.caller);
      case 'domain_destroy':
        return hv.domainDestroy(r.domid, r.caller);
      case 'domain_info': {
        // XEN_DOMCTL_getdomaininfo is XSM_XS_PRIV: the privileged (or xenstore) domain only, not a guest about itself.
        if (!hv.isPrivileged(r.caller ?? 0)) return { ok: false, errno: 'EPERM' };
        const info = hv.domainInfo(r.domid);
        if (!info.ok) return info;
        return {
          ok: true,
          tot_pages: info.tot_pages,
          max_pages: info.max_pages,
          outstanding_pages: info.outstanding_pages,
          claim_by_node: info.claim_by_node,
          tmem_pages: info.tmem_pages,
        };
      }
      case 'physinfo': {
        if (!hv.isPrivileged(r.caller ?? 0)) return { ok: false, errno: 'EPERM' };
        const s = hv.physinfo();
        const extra: ReplayResult = {};
        for (const ext of this.extensions) Object.assign(extra, ext.physinfo?.() ?? {});
        return {
          ok: true,
          total_pages: s.pagesTotal,
          free_pages: s.pagesFree,
          freeable_pages: s.pagesFreeable,
          owned_pages: s.pagesOwned,
          outstanding_pages: s.pagesOutstanding,
          // xl info's free_memory: free pages not promised to claims (0 when claims are backed by tmem's freeable frames).
          free_memory_pages: Math.max(0, s.pagesFree - s.pagesOutstanding),
          nodes: s.nodes.map((n) => ({ free_pages: n.pagesFree, freeable_pages: n.pagesFreeable, owned_pages: n.pagesOwned, outstanding_pages: n.pagesOutstanding })),
          ...extra,
        };
      }
    }
  }
}
