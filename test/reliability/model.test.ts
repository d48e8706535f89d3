// Long model-based runs (issue 8): fast-check over the whole replay vocabulary
// (engine ops, tmem ops, tmem_control, with caller variations), driven
// through ReplaySession exactly as `hypermem replay` drives it, against a
// reference: a page-by-page engine model (domains, RAM, claims, max_pages)
// and a reference tmem Map that knows which handles may miss (ephemeral) and
// which never may (persistent). Every tmem option on and off (dedup, tze,
// compress; bytes store). Every invariant (hv.violations()) after every line.
//
// A failure prints the seed and path and WRITES the failing sequence as a
// replay file (os.tmpdir()/hypermem-fail-<seed>.jsonl): `hypermem replay FILE
// --check` runs it. Rerun the property with HYPERMEM_SEED=<seed>
// HYPERMEM_PATH=<path>. HYPERMEM_LONG=1 runs ten times more sequences.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ReplaySession } from '../../src/replay/session.ts';
import { replayExtensions } from '../../src/replay/extensions.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LONG = process.env.HYPERMEM_LONG === '1';
const RUNS_PER_OPTION_SET = (LONG ? 10 : 1) * 300;
/** HYPERMEM_STATS=1 prints how often each op gave each answer (to see what the runs reach). */
const STATS = process.env.HYPERMEM_STATS === '1' ? new Map<string, number>() : null;

type Req = Record<string, unknown> & { op: string };
type Res = Record<string, unknown>;

// ------------------------------------------------------------------ contents

const PAGE = 4096;
function pageOf(kind: number): Buffer {
  const b = Buffer.alloc(PAGE);
  let x = kind * 2654435761 + 1;
  const rnd = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  };
  switch (kind) {
    case 0: // text-like, compressible
      for (let i = 0; i < PAGE; i++) b[i] = 'tmem claim xen '.charCodeAt(i % 15);
      break;
    case 1: // noise, incompressible
      for (let i = 0; i < PAGE; i++) b[i] = rnd();
      break;
    case 2: // noise then a zero tail (TZE)
      for (let i = 0; i < 1000; i++) b[i] = rnd() | 1;
      break;
    default: // another noise page
      for (let i = 0; i < PAGE; i++) b[i] = rnd();
  }
  return b;
}
const DATA = [0, 1, 2, 3].map((k) => pageOf(k).toString('base64'));
const FILLS = [0, 1, 0x5a];
const FILL64 = new Map(FILLS.map((f) => [f, Buffer.alloc(PAGE, f).toString('base64')]));
const UUIDS = ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'];

// ---------------------------------------------------------------- generators

const DOMS = [1, 2, 3];
const dom = fc.constantFrom(...DOMS);
/** Who calls: mostly the default (privileged), sometimes explicit 0, the domain itself, another domain or a stranger. */
const callerFor = (domid: number | undefined): fc.Arbitrary<number | undefined> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.constant(domid ?? 1) },
    { weight: 1, arbitrary: fc.constantFrom(...DOMS) },
    { weight: 1, arbitrary: fc.constant(9) },
  );
const withCaller = (r: fc.Arbitrary<Req>): fc.Arbitrary<Req> =>
  r.chain((req) =>
    callerFor(req.domid as number | undefined).map((caller) => (caller === undefined ? req : { ...req, caller })),
  );
const pages = fc.integer({ min: 0, max: 60 });
/** tmem ops mostly name the domains that have pools from the prefix (1 and 2), few handles, so gets find what puts stored. */
const tdom = fc.constantFrom(1, 1, 2, 2, 3);
const pool = fc.oneof({ weight: 12, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.constantFrom(3, 15, 16, 1000) });
const oid = fc.oneof({ weight: 8, arbitrary: fc.tuple(fc.nat(1), fc.constant(0), fc.constant(0)) }, { weight: 1, arbitrary: fc.constant([1, 2 ** 53 - 1, 7]) });
const index = fc.oneof({ weight: 8, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.constant(0xffffffff) });
const content = fc.oneof(
  fc.constantFrom(...FILLS).map((fill) => ({ fill })),
  fc.nat(DATA.length - 1).map((k) => ({ data: DATA[k] })),
);
const rec = <T extends Record<string, fc.Arbitrary<unknown>>>(op: string, fields: T): fc.Arbitrary<Req> =>
  fc.record({ op: fc.constant(op), ...fields }) as unknown as fc.Arbitrary<Req>;

const SUBOPS = ['freeze', 'thaw', 'flush', 'query_freeable_mb', 'set_weight', 'set_cap', 'set_compress', 'list', 'shared_auth', 'save_begin', 'save_end', 'enumerate'];

const controlReq: fc.Arbitrary<Req> = fc
  .record({
    subop: fc.constantFrom(...SUBOPS),
    domid: fc.option(dom, { nil: undefined, freq: 4 }),
    arg: fc.option(fc.constantFrom(0, 1, 4, 64, 4096), { nil: undefined }),
    uuid: fc.option(fc.constantFrom(...UUIDS), { nil: undefined }),
  })
  .map((r) => {
    const out: Req = { op: 'tmem_control', subop: r.subop };
    if (r.domid !== undefined) out.domid = r.domid;
    if (r.arg !== undefined) out.arg = r.arg;
    if (r.uuid !== undefined && r.subop === 'shared_auth') out.uuid = r.uuid;
    return out;
  });

const request: fc.Arbitrary<Req> = fc.oneof(
  { weight: 2, arbitrary: withCaller(rec('domain_create', { domid: dom, max_pages: pages })) },
  { weight: 1, arbitrary: withCaller(rec('max_mem', { domid: dom, max_pages: pages })) },
  { weight: 2, arbitrary: withCaller(rec('claim_pages', { domid: dom, pages })) },
  { weight: 3, arbitrary: withCaller(rec('populate_physmap', { domid: dom, pages })) },
  { weight: 2, arbitrary: withCaller(rec('decrease_reservation', { domid: dom, pages })) },
  { weight: 1, arbitrary: withCaller(rec('domain_destroy', { domid: dom })) },
  { weight: 1, arbitrary: withCaller(rec('domain_info', { domid: dom })) },
  { weight: 1, arbitrary: withCaller(rec('physinfo', {})) },
  {
    weight: 2,
    arbitrary: withCaller(
      fc
        .record({
          domid: dom,
          persistent: fc.boolean(),
          shared: fc.boolean(),
          uuid: fc.option(fc.constantFrom(...UUIDS), { nil: undefined }),
          bad: fc.constantFrom(0, 0, 0, 0, 1, 2),
        })
        .map((r) => {
          const out: Req = { op: 'tmem_new_pool', domid: r.domid, persistent: r.persistent, shared: r.shared };
          if (r.uuid !== undefined) out.uuid = r.uuid;
          if (r.bad === 1) out.page_size = 8192;
          if (r.bad === 2) out.spec_version = 2;
          return out;
        }),
    ),
  },
  {
    weight: 12,
    arbitrary: withCaller(fc.tuple(rec('tmem_put', { domid: tdom, pool, oid, index }), content).map(([r, c]) => ({ ...r, ...c }))),
  },
  { weight: 16, arbitrary: withCaller(rec('tmem_get', { domid: tdom, pool, oid, index })) },
  { weight: 2, arbitrary: withCaller(rec('tmem_flush_page', { domid: tdom, pool, oid, index })) },
  { weight: 1, arbitrary: withCaller(rec('tmem_flush_object', { domid: tdom, pool, oid })) },
  { weight: 1, arbitrary: withCaller(rec('tmem_destroy_pool', { domid: tdom, pool })) },
  { weight: 3, arbitrary: withCaller(controlReq) },
);

interface Options {
  dedup: boolean;
  tze: boolean;
  compress: boolean;
}

/** A whole replay: the host line and the requests after it. */
const sequence = (o: Options): fc.Arbitrary<Req[]> =>
  fc
    .record({
      pages: fc.integer({ min: 48, max: 320 }),
      xen: fc.integer({ min: 0, max: 16 }),
      nodes: fc.constantFrom(1, 1, 2),
      sharedAuth: fc.boolean(),
      lowMem: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
      maxes: fc.tuple(pages, pages, pages),
      body: fc.array(request, { minLength: 10, maxLength: 120, size: 'max' }),
    })
    .map((r) => {
      const tmem: Record<string, unknown> = { dedup: o.dedup, tze: o.tze, compress: o.compress, store: 'bytes', shared_auth: r.sharedAuth };
      if (r.lowMem !== undefined) tmem.low_mem_pages = r.lowMem;
      const prefix: Req[] = [{ op: 'host', pages: r.pages, xen_pages: r.xen, nodes: r.nodes, tmem }];
      DOMS.forEach((d, i) => prefix.push({ op: 'domain_create', domid: d, max_pages: r.maxes[i] + 10 }));
      for (const d of [1, 2]) {
        prefix.push({ op: 'populate_physmap', domid: d, pages: 5 });
        prefix.push({ op: 'tmem_new_pool', domid: d, persistent: false, shared: false });
        prefix.push({ op: 'tmem_new_pool', domid: d, persistent: true, shared: false });
        prefix.push({ op: 'tmem_new_pool', domid: d, persistent: false, shared: true, uuid: UUIDS[0] });
      }
      return [...prefix, ...r.body];
    });

// ----------------------------------------------------------------- the model

type PoolKind = 'private' | 'persistent' | 'shared';
interface MPool {
  kind: PoolKind;
  uuid: string | null;
}
interface MDomain {
  ram: number;
  max: number;
  claim: number;
  /** Persistent frames as last observed (exact when frames are predictable). */
  frames: number;
  client: MClient | null;
}
interface MClient {
  pools: (MPool | null)[];
  frozen: boolean;
  wasFrozen: boolean;
  compress: boolean;
  /** Compression was on at some time: persistent frames are no longer one per page. */
  everCompressed: boolean;
  /** Xen's 16 shared_auth_uuid entries, all-ones free: a UUID authorised twice takes two. */
  auth: string[];
}

class ModelMismatch extends Error {}

function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ModelMismatch(message);
}

class Model {
  readonly doms = new Map<number, MDomain>();
  claims = 0;
  /** Handle -> base64 content of the last put that may still be there. */
  readonly data = new Map<string, string>();
  /** Shared pool UUID -> its sharers, one entry per pool slot that joined (a client may join twice). */
  readonly sharers = new Map<string, number[]>();
  sharedAuthOpen = false;
  readonly tzeOn: boolean;
  /**
   * A put to an existing persistent handle frees the old frame and takes a
   * new one (do_tmem_dup_put): tot_pages dips and grows back, so the claim
   * may fall by that frame although the frame count is unchanged.
   */
  claimSlack: { domid: number; pages: number } | null = null;
  /** Xen's mid-size zone (tmem is always on here): 1/128 of the heap after Xen's own pages. */
  readonly zone: number;

  constructor(
    readonly total: number,
    readonly xen: number,
    readonly o: Options,
    readonly sharedAuth: boolean,
  ) {
    this.tzeOn = o.tze && !(o.dedup && o.compress);
    this.zone = Math.floor((total - xen) / 128);
  }

  key(d: number, poolId: number, p: MPool, oid: number[], idx: number): string {
    return p.kind === 'shared' ? `s/${p.uuid}/${oid.join(':')}/${idx}` : `${d}/${poolId}/${oid.join(':')}/${idx}`;
  }

  /** Frames are one per persistent page: no TZE, and compression never on for the client. */
  exactFrames(c: MClient): boolean {
    return !this.tzeOn && !c.everCompressed;
  }

  persistentHandles(d: number): string[] {
    const out: string[] = [];
    for (const k of this.data.keys()) {
      const [kd, kp] = k.split('/');
      if (kd !== String(d)) continue;
      const p = this.doms.get(d)?.client?.pools[Number(kp)];
      if (p?.kind === 'persistent') out.push(k);
    }
    return out.sort();
  }

  dropPool(d: number, poolId: number, p: MPool): void {
    if (p.kind === 'shared') {
      const s = this.sharers.get(p.uuid!)!;
      s.splice(s.indexOf(d), 1);
      if (s.length === 0) {
        this.sharers.delete(p.uuid!);
        for (const k of [...this.data.keys()]) if (k.startsWith(`s/${p.uuid}/`)) this.data.delete(k);
      }
      return;
    }
    for (const k of [...this.data.keys()]) if (k.startsWith(`${d}/${poolId}/`)) this.data.delete(k);
  }

  destroyDomain(d: number): void {
    const m = this.doms.get(d)!;
    m.client?.pools.forEach((p, i) => {
      if (p !== null) this.dropPool(d, i, p);
    });
    this.claims -= m.claim;
    this.doms.delete(d);
  }

  client(d: number): MClient | null {
    const m = this.doms.get(d);
    if (m === undefined) return null;
    m.client ??= { pools: new Array<MPool | null>(16).fill(null), frozen: false, wasFrozen: false, compress: this.o.compress, everCompressed: this.o.compress, auth: new Array<string>(16).fill('f'.repeat(32)) };
    return m.client;
  }

  sumTot(): number {
    let n = 0;
    for (const m of this.doms.values()) n += m.ram + m.frames;
    return n;
  }
}

interface Observed {
  free: number;
  freeable: number;
}

/**
 * Checks one result against the model and advances the model. `before` is
 * the host as observed before the line (the model owns domains, RAM, claims
 * and tmem handles; tmem's frame use is observed, and checked by the
 * hypervisor's own invariants).
 */
function step(model: Model, r: Req, res: Res, before: Observed): void {
  const caller = (r.caller as number | undefined) ?? 0;
  const priv = caller === 0;
  const d = r.domid as number;
  const md = model.doms.get(d);
  const errno = res.ok === false ? (res.errno as string) : undefined;
  const is = (expected: Res, what = ''): void => check(JSON.stringify(res) === JSON.stringify(expected), `${what}expected ${JSON.stringify(expected)}`);
  switch (r.op) {
    case 'domain_create':
      if (!priv) return is({ ok: false, errno: 'EPERM' });
      if (md) return is({ ok: false, errno: 'EEXIST' });
      model.doms.set(d, { ram: 0, max: r.max_pages as number, claim: 0, frames: 0, client: null });
      return is({ ok: true });
    case 'max_mem':
      // do_domctl looks the domain up before asking XSM.
      if (!md) return is({ ok: false, errno: 'ESRCH' });
      if (!priv) return is({ ok: false, errno: 'EPERM' });
      md.max = r.max_pages as number;
      return is({ ok: true });
    case 'claim_pages': {
      // memory.c looks the domain up before the privilege check.
      if (!md) return is({ ok: false, errno: 'EINVAL' });
      if (!priv) return is({ ok: false, errno: 'EPERM' });
      const target = r.pages as number;
      const tot = md.ram + md.frames;
      if (target === 0) {
        model.claims -= md.claim;
        md.claim = 0;
        return is({ ok: true });
      }
      if (md.claim > 0 || target <= tot || target > md.max) return is({ ok: false, errno: 'EINVAL' });
      if (target - tot > before.free + before.freeable - model.claims) return is({ ok: false, errno: 'ENOMEM' });
      md.claim = target - tot;
      model.claims += md.claim;
      return is({ ok: true });
    }
    case 'populate_physmap': {
      if (!priv && caller !== d) return is({ ok: false, errno: 'EPERM', done: 0 });
      if (!md) return is({ ok: false, errno: 'ESRCH', done: 0 });
      const want = r.pages as number;
      // Xen's populate, page by page: the fewest pages (tmem gives nothing back) and the most (tmem gives every freeable frame).
      // At or below the mid-size zone a page comes from tmem while it holds freeable frames, then from the free list.
      const bound = (reclaim: boolean): number => {
        let free = before.free;
        let freeable = before.freeable;
        let tot = md.ram + md.frames;
        let claim = md.claim;
        let claims = model.claims;
        let done = 0;
        while (done < want) {
          if (tot >= md.max) break;
          if (claims + 1 > free + freeable && claim < 1) break;
          if (free <= model.zone && freeable > 0) {
            if (!reclaim) break;
            freeable--;
            free++;
          } else if (free === 0) break;
          free--;
          tot++;
          if (claim > 0) {
            claim--;
            claims--;
          }
          done++;
        }
        return done;
      };
      const lo = bound(false);
      const hi = bound(true);
      const done = res.done as number;
      check(Number.isInteger(done) && done >= lo && done <= hi, `populate done ${done} outside [${lo}, ${hi}]`);
      check(res.ok === (done === want) && (res.ok === true || errno === 'ENOMEM'), 'populate: ok iff every page was given, else ENOMEM');
      md.ram += done;
      const used = Math.min(done, md.claim);
      md.claim -= used;
      model.claims -= used;
      return;
    }
    case 'decrease_reservation': {
      if (!priv && caller !== d) return is({ ok: false, errno: 'EPERM' });
      if (!md) return is({ ok: false, errno: 'ESRCH' });
      const done = Math.min(r.pages as number, md.ram);
      md.ram -= done;
      return is({ ok: true, done });
    }
    case 'domain_destroy':
      if (!md) return is({ ok: false, errno: 'ESRCH' });
      if (!priv) return is({ ok: false, errno: 'EPERM' });
      // domain_kill: a domain cannot destroy itself.
      if (caller === d) return is({ ok: false, errno: 'EINVAL' });
      model.destroyDomain(d);
      return is({ ok: true });
    case 'domain_info':
      // getdomaininfo is XSM_XS_PRIV: not even a guest about itself.
      if (!priv) return is({ ok: false, errno: 'EPERM' });
      if (!md) return is({ ok: false, errno: 'ESRCH' });
      // No claim sets in this model: every node claim is 0.
      return is({ ok: true, tot_pages: md.ram + md.frames, max_pages: md.max, outstanding_pages: md.claim, claim_by_node: Array.isArray(res.claim_by_node) ? res.claim_by_node.map(() => 0) : [], tmem_pages: md.frames });
    case 'physinfo': {
      if (!priv) return is({ ok: false, errno: 'EPERM' });
      check(res.ok === true && res.total_pages === model.total && res.outstanding_pages === model.claims, 'physinfo: total and outstanding');
      check(res.owned_pages === model.xen + model.sumTot(), `physinfo: owned ${String(res.owned_pages)} != xen + Σ tot_pages ${model.xen + model.sumTot()}`);
      return;
    }
    case 'tmem_control':
      return control(model, r, res, before, priv);
  }
  // tmem hypercalls: a guest acts only on its own pools; a client needs a live domain.
  if (!priv && caller !== d) return is({ ok: false, errno: 'EPERM' });
  const c = model.client(d);
  if (c === null) return is({ ok: false, errno: 'ENODEV' });
  if (r.op === 'tmem_new_pool') {
    if (r.spec_version !== undefined && r.spec_version !== 1) return is({ ok: false, errno: 'EPERM' });
    if (r.shared === true && r.persistent === true) return is({ ok: false, errno: 'EPERM' });
    if (r.page_size !== undefined && r.page_size !== PAGE) return is({ ok: false, errno: 'EPERM' });
    const slot = c.pools.indexOf(null);
    if (slot < 0) return is({ ok: false, errno: 'EPERM' });
    const uuid = (r.uuid as string | undefined) ?? null;
    let shared = r.shared === true && uuid !== null;
    if (shared && model.sharedAuth && !model.sharedAuthOpen && !c.auth.includes(uuid!)) shared = false;
    if (shared) {
      if (!model.sharers.has(uuid!)) model.sharers.set(uuid!, []);
      model.sharers.get(uuid!)!.push(d);
      c.pools[slot] = { kind: 'shared', uuid };
    } else {
      c.pools[slot] = { kind: r.persistent === true ? 'persistent' : 'private', uuid: null };
    }
    return is({ ok: true, rc: slot });
  }
  const poolId = r.pool as number;
  const p = poolId < 16 ? c.pools[poolId] : null;
  if (r.op === 'tmem_destroy_pool') {
    if (p === null) return is({ ok: true, rc: 0 });
    c.pools[poolId] = null;
    model.dropPool(d, poolId, p);
    return is({ ok: true, rc: 1 });
  }
  if (p === null) return is({ ok: false, errno: 'ENODEV' });
  const oidv = r.oid as number[];
  const where = `${r.op} on a ${p.kind} pool: `;
  // A shared pool answers to its client, the owner (the first sharer still in it), whoever calls.
  const frozen = p.kind === 'shared' ? model.doms.get(model.sharers.get(p.uuid!)![0])!.client!.frozen : c.frozen;
  switch (r.op) {
    case 'tmem_put': {
      const k = model.key(d, poolId, p, oidv, r.index as number);
      const had = model.data.has(k);
      const payload = r.data !== undefined ? (r.data as string) : FILL64.get(r.fill as number)!;
      // With compression the frames come in sub-page groups of up to 4 (subpage.ts).
      if (p.kind === 'persistent' && had) model.claimSlack = { domid: d, pages: model.exactFrames(c) ? 1 : 4 };
      if (res.ok === true) {
        is({ ok: true, rc: 1 }, where);
        if (p.kind === 'persistent' && !had && model.exactFrames(c)) {
          check(md!.ram + md!.frames < md!.max, `${where}a new persistent page stored at or above max_pages`);
        }
        if (frozen) check(had, `${where}a new handle was stored while the pool's client is frozen`);
        model.data.set(k, payload);
        return;
      }
      check(['ENOMEM', 'ENOSPC', 'EFROZEN'].includes(errno!), `${where}unexpected errno ${errno}`);
      if (errno === 'EFROZEN') check(frozen, `${where}EFROZEN while the pool's client is not frozen`);
      // A failed put never leaves the old data readable (SEMANTICS §4.1).
      if (errno === 'ENOSPC' || errno === 'ENOMEM') model.data.delete(k);
      if (errno === 'EFROZEN' || errno === 'ENOMEM') check(!(p.kind === 'persistent' && had && errno === 'EFROZEN'), `${where}a put to an existing persistent handle refused as frozen`);
      return;
    }
    case 'tmem_get': {
      const k = model.key(d, poolId, p, oidv, r.index as number);
      const expected = model.data.get(k);
      if (res.ok === false) {
        check(errno === 'EEMPTY', `${where}unexpected errno ${errno}`);
        if (p.kind === 'persistent') check(model.persistentHandles(d).every((h) => !h.startsWith(`${d}/${poolId}/`)), `${where}EEMPTY but persistent data was put and never flushed: LOST`);
        model.data.delete(k);
        return;
      }
      if (res.rc === 0) {
        is({ ok: true, rc: 0 }, where);
        check(p.kind !== 'persistent' || expected === undefined, `${where}persistent data LOST (miss on a handle that holds data)`);
        model.data.delete(k);
        return;
      }
      check(expected !== undefined, `${where}hit on a handle that holds no data`);
      is({ ok: true, rc: 1, data: expected }, `${where}data other than the last put: `);
      if (p.kind === 'private') model.data.delete(k);
      return;
    }
    case 'tmem_flush_page':
      model.data.delete(model.key(d, poolId, p, oidv, r.index as number));
      return is(frozen ? { ok: false, errno: 'EFROZEN' } : { ok: true, rc: 1 }, where);
    case 'tmem_flush_object': {
      const prefix = model.key(d, poolId, p, oidv, 0).replace(/\/0$/, '/');
      for (const k of [...model.data.keys()]) if (k.startsWith(prefix)) model.data.delete(k);
      return is(frozen ? { ok: false, errno: 'EFROZEN' } : { ok: true, rc: 1 }, where);
    }
  }
  throw new Error(`model: unknown op ${r.op}`);
}

function control(model: Model, r: Req, res: Res, before: Observed, priv: boolean): void {
  const is = (expected: Res): void => check(JSON.stringify(res) === JSON.stringify(expected), `tmem_control ${String(r.subop)}: expected ${JSON.stringify(expected)}`);
  const d = r.domid as number | undefined;
  const subop = r.subop as string;
  if (!priv) return is({ ok: false, errno: 'EPERM' });
  if (['save_begin', 'save_end', 'enumerate'].includes(subop) && d === undefined) return is({ ok: false, errno: 'EINVAL' });
  const existing = d === undefined ? null : (model.doms.get(d)?.client ?? null);
  const clients = [...model.doms.values()].map((m) => m.client).filter((c): c is MClient => c !== null);
  const each = (apply: (c: MClient) => void): void => {
    if (d === undefined) {
      clients.forEach(apply);
      return is({ ok: true, rc: 0 });
    }
    // Xen's -1 for a client id with no client.
    if (existing === null) return is({ ok: false, errno: 'EPERM' });
    apply(existing);
    return is({ ok: true, rc: 0 });
  };
  const arg = (r.arg as number | undefined) ?? 0;
  switch (subop) {
    case 'freeze':
      return each((c) => (c.frozen = true));
    case 'thaw':
      return each((c) => (c.frozen = false));
    case 'set_weight':
    case 'set_cap':
      return each(() => undefined);
    case 'set_compress':
      // With dedup on the flag stays as it is, and the answer is still 0.
      return each((c) => {
        if (model.o.dedup) return;
        c.compress = arg !== 0;
        if (c.compress) c.everCompressed = true;
      });
    case 'flush':
      if (d !== undefined) return is({ ok: false, errno: 'EPERM' });
      check(res.ok === true && Number.isInteger(res.rc) && (res.rc as number) % 4 === 0 && (res.rc as number) >= 0, 'flush: rc is KiB freed');
      return;
    case 'query_freeable_mb':
      return is({ ok: true, rc: Math.floor(before.freeable / 256) });
    case 'list': {
      if (d !== undefined && existing === null) return is({ ok: false, errno: 'EPERM' });
      check(res.ok === true && Array.isArray(res.clients), 'list: ok with clients');
      for (const l of res.clients as Res[]) {
        const want = model.persistentHandles(l.domid as number).length;
        check(l.persistent_pages === want, `list: client ${String(l.domid)} has ${String(l.persistent_pages)} persistent pages, the model ${want}`);
      }
      return;
    }
    case 'shared_auth': {
      if (d === undefined) {
        model.sharedAuthOpen = arg !== 0;
        return is({ ok: true, rc: 1 });
      }
      const uuid = r.uuid as string | undefined;
      if (uuid === undefined || existing === null) return is({ ok: false, errno: 'EINVAL' });
      const at = existing.auth.indexOf(arg === 0 ? uuid.toLowerCase() : 'f'.repeat(32));
      if (at < 0) return is(arg === 0 ? { ok: true, rc: 0 } : { ok: false, errno: 'ENOMEM' });
      existing.auth[at] = arg === 0 ? 'f'.repeat(32) : uuid.toLowerCase();
      return is({ ok: true, rc: 1 });
    }
    case 'save_begin':
      if (existing === null || existing.pools.every((p) => p === null)) return is({ ok: false, errno: 'ENOENT' });
      existing.wasFrozen = existing.frozen;
      existing.frozen = true;
      return is({ ok: true, rc: 0 });
    case 'save_end':
      if (existing === null) return is({ ok: false, errno: 'ENOENT' });
      existing.frozen = existing.wasFrozen;
      return is({ ok: true, rc: 0 });
    case 'enumerate': {
      if (existing === null) return is({ ok: false, errno: 'ENOENT' });
      const want = model.persistentHandles(d!);
      check(res.ok === true && res.rc === want.length, `enumerate: rc ${String(res.rc)}, the model has ${want.length} persistent pages`);
      const got = (res.pages as { pool: number; oid: number[]; index: number }[]).map((h) => `${d}/${h.pool}/${h.oid.join(':')}/${h.index}`).sort();
      check(JSON.stringify(got) === JSON.stringify(want), `enumerate: handles ${JSON.stringify(got)}, the model ${JSON.stringify(want)}`);
      return;
    }
  }
  throw new Error(`model: unknown subop ${subop}`);
}

/** After every line: the model's domains against the hypervisor's, and every invariant. */
function compareState(model: Model, session: ReplaySession): void {
  const hv = session.hypervisor!;
  const v = hv.violations();
  check(v.length === 0, `invariants: ${v.join('; ')}`);
  const ids = hv.domainIds();
  check(JSON.stringify(ids) === JSON.stringify([...model.doms.keys()].sort((a, b) => a - b)), `domains ${JSON.stringify(ids)}`);
  for (const [d, m] of model.doms) {
    const info = hv.domainInfo(d);
    assert.ok(info.ok);
    // Persistent frames are observed; then the claim they consumed follows exactly.
    const grown = info.tmem_pages - m.frames;
    if (grown > 0) {
      const used = Math.min(grown, m.claim);
      m.claim -= used;
      model.claims -= used;
    }
    m.frames = info.tmem_pages;
    const slack = model.claimSlack?.domid === d ? model.claimSlack.pages : 0;
    if (info.outstanding_pages < m.claim && m.claim - info.outstanding_pages <= slack) {
      model.claims -= m.claim - info.outstanding_pages;
      m.claim = info.outstanding_pages;
    }
    if (m.client !== null && model.exactFrames(m.client)) {
      check(m.frames === model.persistentHandles(d).length, `domain ${d}: ${m.frames} persistent frames, the model has ${model.persistentHandles(d).length} persistent pages`);
    }
    check(info.tot_pages === m.ram + m.frames, `domain ${d}: tot_pages ${info.tot_pages} != RAM ${m.ram} + tmem frames ${m.frames}`);
    check(info.max_pages === m.max && info.outstanding_pages === m.claim, `domain ${d}: max ${info.max_pages}/${m.max}, claim ${info.outstanding_pages}/${m.claim}`);
  }
  model.claimSlack = null;
  const s = hv.physinfo();
  check(s.pagesOutstanding === model.claims, `outstanding ${s.pagesOutstanding} != model ${model.claims}`);
  check(s.pagesOwned === model.xen + model.sumTot(), `owned ${s.pagesOwned} != xen + Σ tot`);
  check(s.pagesFree + s.pagesFreeable + s.pagesOwned === model.total, 'free + freeable + owned != total');
}

/** Runs one sequence; throws ModelMismatch (or an assertion) at the first disagreement, naming the line. */
function runSequence(o: Options, lines: Req[]): void {
  const session = new ReplaySession(replayExtensions());
  const host = lines[0];
  const model = new Model(host.pages as number, (host.xen_pages as number | undefined) ?? 0, o, (host.tmem as Res).shared_auth === true);
  assert.deepEqual(session.runLine(JSON.stringify(host), 1).result, { ok: true });
  for (let i = 1; i < lines.length; i++) {
    const r = lines[i];
    const s = session.hypervisor!.physinfo();
    const before = { free: s.pagesFree, freeable: s.pagesFreeable };
    const { result, lineError } = session.runLine(JSON.stringify(r), i + 1);
    if (STATS !== null) {
      const k = `${r.op}${r.op === "tmem_control" ? " " + String(r.subop) : ""}${r.pool !== undefined ? " pool " + String(r.pool) : ""} -> ${result.ok === true ? `ok${result.rc !== undefined ? ' rc ' + String(result.rc).slice(0, 2) : ''}` : String(result.errno ?? 'line error')}`;
      STATS.set(k, (STATS.get(k) ?? 0) + 1);
    }
    try {
      check(!lineError, `line error: ${String(result.error)}`);
      step(model, r, result, before);
      compareState(model, session);
    } catch (e) {
      throw new ModelMismatch(`line ${i + 1} ${JSON.stringify(r).slice(0, 300)}\n  answered ${JSON.stringify(result).slice(0, 300)}\n  ${(e as Error).message}`);
    }
  }
}

/** Writes the failing sequence as a replay file; returns its path. */
export function writeReplayFile(seed: number, lines: Req[]): string {
  const file = join(tmpdir(), `hypermem-fail-${seed}.jsonl`);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

function assertModel(o: Options, numRuns: number): void {
  const seed = process.env.HYPERMEM_SEED !== undefined ? Number(process.env.HYPERMEM_SEED) : Date.now() ^ (Math.random() * 2 ** 31);
  const path = process.env.HYPERMEM_PATH;
  const details = fc.check(
    fc.property(sequence(o), (lines) => runSequence(o, lines)),
    { numRuns, seed, ...(path !== undefined ? { path } : {}) },
  );
  if (!details.failed) return;
  const lines = details.counterexample?.[0] as Req[] | undefined;
  const file = lines === undefined ? '(no counterexample)' : writeReplayFile(details.seed, lines);
  assert.fail(
    `model-based run failed (options ${JSON.stringify(o)}); seed ${details.seed}, path "${details.counterexamplePath}"\n` +
      `replay file: ${file}  (reproduce: npx hypermem replay ${file} --check;` +
      ` rerun: HYPERMEM_SEED=${details.seed} HYPERMEM_PATH="${details.counterexamplePath}" node --import tsx --test test/reliability/model.test.ts)\n` +
      `${(details.errorInstance as Error | undefined)?.message ?? String(details.errorInstance)}`,
  );
}

after(() => {
  if (STATS !== null) console.log([...STATS].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
});

for (let bits = 0; bits < 8; bits++) {
  const o: Options = { dedup: (bits & 1) !== 0, tze: (bits & 2) !== 0, compress: (bits & 4) !== 0 };
  test(`model: the whole replay vocabulary agrees with the reference (${JSON.stringify(o)}, bytes store)`, () => assertModel(o, RUNS_PER_OPTION_SET));
}

test('a failure writes a replay file that `hypermem replay --check` runs', () => {
  const lines: Req[] = [
    { op: 'host', pages: 64, tmem: { store: 'bytes' } },
    { op: 'domain_create', domid: 1, max_pages: 10 },
    { op: 'tmem_new_pool', domid: 1, persistent: true },
    { op: 'tmem_put', domid: 1, pool: 0, oid: [1, 0, 0], index: 0, fill: 1, caller: 1 },
    { op: 'tmem_get', domid: 1, pool: 0, oid: [1, 0, 0], index: 0 },
  ];
  runSequence({ dedup: false, tze: false, compress: false }, lines);
  const file = writeReplayFile(424242, lines);
  assert.ok(existsSync(file));
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, lines.length);
  const r = spawnSync(process.execPath, [`${root}bin/hypermem.js`, 'replay', file, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Res);
  assert.deepEqual(out[4], { ok: true, rc: 1, data: FILL64.get(1) });
});
