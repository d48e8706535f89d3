// The tmem replay vocabulary (issue 3): a `host` line with a `tmem` object
// enables tmem; tmem_new_pool, tmem_put, tmem_get, tmem_flush_page,
// tmem_flush_object, tmem_destroy_pool and tmem_control drive it; physinfo
// gains a `tmem` object. Every request takes an optional `caller` (default:
// the privileged toolstack); a guest caller may act only on its own pools.

import { z } from 'zod';
import { DOMID_FIRST_RESERVED, DOMID_TOOLSTACK } from '../hypervisor/domain.ts';
import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import { poolFlagsOfWord, TMEM_PAGE_BYTES, type Oid, type PageContent, type SyntheticPage, type TmemControlSubop, type TmemHandle } from '../hypervisor/tmem/api.ts';
import { defaultCodec } from '../hypervisor/tmem/codec.ts';
import { fingerprintOf } from '../hypervisor/tmem/fingerprint.ts';
import { Tmem } from '../hypervisor/tmem/tmem.ts';
import { bool, boundedCount, count, describeValue } from './fields.ts';
import type { HostRequest } from './requests.ts';
import type { ReplayExtension, ReplayResult } from './session.ts';

const domid = boundedCount(DOMID_FIRST_RESERVED - 1, 'a domain id');
const caller = domid.optional();
const pool = boundedCount(0x7fffffff, 'a pool id');
const index = boundedCount(0xffffffff, 'a page index');

const oid = z.unknown().superRefine((value, ctx) => {
  const ok = Array.isArray(value) && value.length === 3 && value.every((w) => typeof w === 'number' && Number.isSafeInteger(w) && w >= 0);
  if (ok) return;
  // Three words but one is wrong: name it (describeValue quotes a word past 2^53 − 1 as written).
  const bad = Array.isArray(value) && value.length === 3 ? value.findIndex((w) => typeof w !== 'number' || !Number.isSafeInteger(w) || w < 0) : -1;
  const found = bad >= 0 ? `an array of 3 whose word ${bad} is ${describeValue((value as unknown[])[bad])}` : describeValue(value);
  ctx.addIssue({ code: 'custom', message: `expected an array of three non-negative integers below 2^53, found ${found}` });
}) as unknown as z.ZodType<[number, number, number]>;

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

const page64 = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64_RE.test(value)) {
    ctx.addIssue({ code: 'custom', message: `expected base64 of exactly 4096 bytes, found ${typeof value === 'string' ? 'text that is not base64' : describeValue(value)}` });
    return;
  }
  const n = Buffer.byteLength(value, 'base64');
  if (n !== TMEM_PAGE_BYTES) ctx.addIssue({ code: 'custom', message: `expected base64 of exactly 4096 bytes, found ${n} byte${n === 1 ? '' : 's'}` });
}) as unknown as z.ZodType<string>;

const uuid = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{32}$/.test(value)) ctx.addIssue({ code: 'custom', message: `expected a UUID as 32 hex digits, found ${describeValue(value)}` });
}) as unknown as z.ZodType<string>;

const fp = z.unknown().superRefine((value, ctx) => {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{16}$/.test(value)) ctx.addIssue({ code: 'custom', message: `expected a fingerprint as 16 hex digits, found ${describeValue(value)}` });
}) as unknown as z.ZodType<string>;

const handle = { domid, pool, oid, index, caller };

/** What tmem_new_pool's `flags` word (Xen's TMEM_POOL_* layout) replaces. */
const FLAG_FIELDS = ['persistent', 'shared', 'page_size', 'spec_version'] as const;

const SUBOPS = ['freeze', 'thaw', 'flush', 'query_freeable_mb', 'set_weight', 'set_cap', 'set_compress', 'list', 'shared_auth', 'save_begin', 'save_end', 'enumerate', 'restore_begin'] as const;

/** A page's contents in a request: exactly one of data (base64), fill (a byte) or fp (synthetic store). */
const contentFields = {
  data: page64.optional(),
  fill: boundedCount(255, 'a byte value').optional(),
  fp: fp.optional(),
  compressed_bytes: boundedCount(TMEM_PAGE_BYTES, 'a size in bytes', 1).optional(),
};

function checkContent(r: { data?: string; fill?: number; fp?: string; compressed_bytes?: number }, ctx: z.RefinementCtx): void {
  const given = (r.data !== undefined ? 1 : 0) + (r.fill !== undefined ? 1 : 0) + (r.fp !== undefined ? 1 : 0);
  if (given !== 1) ctx.addIssue({ code: 'custom', message: `give exactly one of "data", "fill" or "fp", found ${given}` });
  if (r.compressed_bytes !== undefined && r.fp === undefined) ctx.addIssue({ code: 'custom', message: '"compressed_bytes" goes with "fp" only' });
}

export const tmemSchemas = {
  tmem_new_pool: z
    .strictObject({
      op: z.literal('tmem_new_pool'),
      domid,
      persistent: bool.optional(),
      shared: bool.optional(),
      uuid: uuid.optional(),
      page_size: count.optional(),
      spec_version: count.optional(),
      flags: boundedCount(0xffffffff, 'a flags word').optional(),
      caller,
    })
    .superRefine((r, ctx) => {
      const fields = FLAG_FIELDS.filter((f) => r[f] !== undefined);
      if (r.flags !== undefined && fields.length > 0) {
        ctx.addIssue({ code: 'custom', message: `"flags" carries ${FLAG_FIELDS.join(', ')}; give it or them, found "flags" and ${fields.map((f) => `"${f}"`).join(', ')}` });
      }
    }),
  tmem_put: z.strictObject({ op: z.literal('tmem_put'), ...handle, ...contentFields }).superRefine(checkContent),
  tmem_get: z.strictObject({ op: z.literal('tmem_get'), ...handle }),
  tmem_flush_page: z.strictObject({ op: z.literal('tmem_flush_page'), ...handle }),
  tmem_flush_object: z.strictObject({ op: z.literal('tmem_flush_object'), domid, pool, oid, caller }),
  tmem_destroy_pool: z.strictObject({ op: z.literal('tmem_destroy_pool'), domid, pool, caller }),
  tmem_set_pools: z.strictObject({
    op: z.literal('tmem_set_pools'),
    domid,
    pools: z.array(
      z.strictObject({
        id: pool,
        flags: boundedCount(0xffffffff, 'a flags word'),
        uuid: uuid.optional(),
        n_pages: count.optional(),
      }),
      { error: 'expected an array of pools ({"id", "flags", "uuid"?, "n_pages"?})' },
    ).max(64, { error: 'at most 64 pools (Xen takes 16 and answers E2BIG beyond)' }),
    caller,
  }),
  tmem_restore_put_page: z.strictObject({ op: z.literal('tmem_restore_put_page'), ...handle, ...contentFields }).superRefine(checkContent),
  tmem_restore_flush_page: z.strictObject({ op: z.literal('tmem_restore_flush_page'), ...handle }),
  tmem_control: z.strictObject({
    op: z.literal('tmem_control'),
    subop: z.enum(SUBOPS, { error: (issue) => `expected one of ${SUBOPS.join(', ')}, found ${describeValue(issue.input)}` }),
    domid: domid.optional(),
    arg: boundedCount(0xffffffff, 'an argument (a u32 in Xen: weight, cap, KB to flush, …)').optional(),
    uuid: uuid.optional(),
    caller,
  }),
};

type TmemRequest = { [K in keyof typeof tmemSchemas]: z.infer<(typeof tmemSchemas)[K]> }[keyof typeof tmemSchemas];

/** Keys of a statistics object in the replay's snake_case. */
function snake(obj: object): ReplayResult {
  const out: ReplayResult = {};
  for (const [k, v] of Object.entries(obj)) out[k.replace(/[A-Z]/g, (m) => '_' + m.toLowerCase())] = v;
  return out;
}

function fpHex(p: SyntheticPage): string {
  return p.fpHi.toString(16).padStart(8, '0') + p.fpLo.toString(16).padStart(8, '0');
}

export function tmemReplayExtension(): ReplayExtension {
  let tmem: Tmem | null = null;
  let hv: Hypervisor | null = null;
  const codec = defaultCodec();
  const scratch = new Uint8Array(codec.boundBytes);
  const page = new Uint8Array(TMEM_PAGE_BYTES);
  const synthetic: SyntheticPage = { fpHi: 0, fpLo: 0, compressedBytes: TMEM_PAGE_BYTES };

  const contentOf = (t: Tmem, r: { data?: string; fill?: number; fp?: string; compressed_bytes?: number }): PageContent | string => {
    if (r.fp !== undefined) {
      if (t.store.kind !== 'synthetic') return 'field "fp": the host\'s tmem store is "bytes"; give "data" or "fill"';
      return { fpHi: parseInt(r.fp.slice(0, 8), 16), fpLo: parseInt(r.fp.slice(8), 16), compressedBytes: r.compressed_bytes ?? TMEM_PAGE_BYTES };
    }
    const bytes = r.data !== undefined ? new Uint8Array(Buffer.from(r.data, 'base64')) : page.fill(r.fill ?? 0);
    return t.store.kind === 'bytes' ? bytes : fingerprintOf(bytes, codec, scratch);
  };

  /** A saved page's contents as a request gives them: base64 data (bytes store) or fingerprint and size (synthetic). */
  const savedContent = (t: Tmem, d: number, h: TmemHandle): ReplayResult => {
    const out: PageContent = t.store.kind === 'bytes' ? page : synthetic;
    if (!t.control.savedPage(d, h, out)) return {};
    if (t.store.kind === 'bytes') return { data: Buffer.from(page).toString('base64') };
    return { fp: fpHex(synthetic), compressed_bytes: synthetic.compressedBytes };
  };

  const execute = (r: TmemRequest): ReplayResult => {
    const who = r.caller ?? DOMID_TOOLSTACK;
    if (tmem === null || hv === null) return { ok: false, errno: 'ENODEV' };
    const t = tmem;
    if (r.op === 'tmem_control') {
      const res = t.control.run(r.subop as TmemControlSubop, r.domid ?? null, r.arg ?? 0, r.uuid, who);
      if (!res.ok) return res;
      if ('global' in res) return { ok: true, rc: res.rc, global: snake(res.global), clients: res.clients.map(snake) };
      if ('pages' in res && r.domid !== undefined) {
        // Each page with its contents, as SAVE_GET_NEXT_PAGE hands them out: what a restore puts back.
        const d = r.domid;
        return { ok: true, rc: res.rc, pages: res.pages.map((h) => ({ ...h, ...savedContent(t, d, h) })) };
      }
      return res;
    }
    // The restore subops are the toolstack's (a sysctl): the domain itself may not call them.
    if (r.op === 'tmem_set_pools') {
      return t.control.setPools(r.domid, r.pools.map((p) => ({ id: p.id, flags: poolFlagsOfWord(p.flags, p.uuid), nPages: p.n_pages })), who);
    }
    if (r.op === 'tmem_restore_put_page') {
      const content = contentOf(t, r);
      if (typeof content === 'string') return { ok: false, error: content };
      return t.control.restorePutPage(r.domid, r.pool, r.oid as Oid, r.index, content, who);
    }
    if (r.op === 'tmem_restore_flush_page') return t.control.restoreFlushPage(r.domid, r.pool, r.oid as Oid, r.index, who);
    const allowed = t.checkCaller(who, r.domid);
    if (!allowed.ok) return allowed;
    switch (r.op) {
      case 'tmem_new_pool':
        if (r.flags !== undefined) return t.newPool(r.domid, poolFlagsOfWord(r.flags, r.uuid));
        return t.newPool(r.domid, {
          persistent: r.persistent ?? false,
          shared: r.shared ?? false,
          uuid: r.uuid,
          pageBytes: r.page_size,
          specVersion: r.spec_version,
        });
      case 'tmem_put': {
        const content = contentOf(t, r);
        if (typeof content === 'string') return { ok: false, error: content };
        return t.put(r.domid, r.pool, r.oid as Oid, r.index, content);
      }
      case 'tmem_get': {
        const out: PageContent = t.store.kind === 'bytes' ? page : synthetic;
        const res = t.get(r.domid, r.pool, r.oid as Oid, r.index, out);
        if (!res.ok || res.rc !== 1) return res;
        if (t.store.kind === 'bytes') return { ok: true, rc: 1, data: Buffer.from(page).toString('base64') };
        return { ok: true, rc: 1, fp: fpHex(synthetic), compressed_bytes: synthetic.compressedBytes };
      }
      case 'tmem_flush_page':
        return t.flushPage(r.domid, r.pool, r.oid as Oid, r.index);
      case 'tmem_flush_object':
        return t.flushObject(r.domid, r.pool, r.oid as Oid);
      case 'tmem_destroy_pool':
        return t.destroyPool(r.domid, r.pool);
    }
  };

  return {
    schemas: tmemSchemas,
    onHost(host: Hypervisor, request: HostRequest): void {
      hv = host;
      const o = request.tmem;
      if (o === undefined) return;
      tmem = new Tmem(host, {
        dedup: o.dedup ?? false,
        tze: o.tze ?? false,
        compress: o.compress ?? false,
        store: o.store ?? 'bytes',
        sharedAuth: o.shared_auth ?? false,
        lowMemPages: o.low_mem_pages,
      });
      host.attachTmem(tmem);
    },
    execute(request: { op: string }): ReplayResult | undefined {
      if (!Object.hasOwn(tmemSchemas, request.op)) return undefined;
      return execute(request as TmemRequest);
    },
    physinfo(): ReplayResult {
      if (tmem === null) return {};
      const s = tmem.stats();
      return {
        tmem: {
          ephemeral_pages: s.ephemeralPages,
          persistent_pages: s.persistentPages,
          frames_used: s.framesUsed,
          unique_contents: s.uniqueContents,
          dedup_hits: s.dedupHits,
          compressed_pages: s.compressedPages,
          evictions: s.evictions,
        },
      };
    },
  };
}
