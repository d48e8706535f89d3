// Model-based test: random request sequences run through the replay session
// against a tiny reference model written page by page with plain objects.
// A failure prints fast-check's seed and path; rerun with { seed, path }.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ReplaySession } from '../../src/replay/session.ts';

interface ModelDomain {
  tot: number;
  max: number;
  claim: number;
}

class Model {
  free: number;
  claims = 0;
  readonly doms = new Map<number, ModelDomain>();
  constructor(
    readonly total: number,
    readonly xen: number,
  ) {
    this.free = total - xen;
  }

  run(r: Record<string, number | string>): Record<string, unknown> {
    const d = this.doms.get(r.domid as number);
    switch (r.op) {
      case 'domain_create':
        if (d) return { ok: false, errno: 'EEXIST' };
        this.doms.set(r.domid as number, { tot: 0, max: r.max_pages as number, claim: 0 });
        return { ok: true };
      case 'max_mem':
        if (!d) return { ok: false, errno: 'ESRCH' };
        d.max = r.max_pages as number;
        return { ok: true };
      case 'claim_pages': {
        const pages = r.pages as number;
        if (!d) return { ok: false, errno: 'EINVAL' };
        if (pages === 0) {
          this.claims -= d.claim;
          d.claim = 0;
          return { ok: true };
        }
        if (d.claim > 0 || pages <= d.tot || pages > d.max) return { ok: false, errno: 'EINVAL' };
        if (pages - d.tot > this.free - this.claims) return { ok: false, errno: 'ENOMEM' };
        d.claim = pages - d.tot;
        this.claims += d.claim;
        return { ok: true };
      }
      case 'populate_physmap': {
        if (!d) return { ok: false, errno: 'ESRCH', done: 0 };
        const want = r.pages as number;
        let done = 0;
        // Xen's populate: one page at a time, each under the claim rule.
        while (done < want) {
          if (d.tot >= d.max) break;
          if (this.claims + 1 > this.free && d.claim < 1) break;
          if (this.free === 0) break;
          this.free--;
          d.tot++;
          if (d.claim > 0) {
            d.claim--;
            this.claims--;
          }
          done++;
        }
        return done === want ? { ok: true, done } : { ok: false, errno: 'ENOMEM', done };
      }
      case 'decrease_reservation': {
        if (!d) return { ok: false, errno: 'ESRCH' };
        const done = Math.min(r.pages as number, d.tot);
        d.tot -= done;
        this.free += done;
        return { ok: true, done };
      }
      case 'domain_destroy':
        if (!d) return { ok: false, errno: 'ESRCH' };
        this.free += d.tot;
        this.claims -= d.claim;
        this.doms.delete(r.domid as number);
        return { ok: true };
      case 'domain_info':
        if (!d) return { ok: false, errno: 'ESRCH' };
        return { ok: true, tot_pages: d.tot, max_pages: d.max, outstanding_pages: d.claim, claim_by_node: [0], tmem_pages: 0 };
      case 'physinfo':
        return {
          ok: true,
          total_pages: this.total,
          free_pages: this.free,
          freeable_pages: 0,
          owned_pages: this.total - this.free,
          outstanding_pages: this.claims,
          free_memory_pages: this.free - this.claims,
        };
    }
    throw new Error(`model: unknown op ${r.op}`);
  }
}

const domid = fc.integer({ min: 1, max: 3 });
const pages = fc.integer({ min: 0, max: 120 });
const request = fc.oneof(
  fc.record({ op: fc.constant('domain_create'), domid, max_pages: pages }),
  fc.record({ op: fc.constant('max_mem'), domid, max_pages: pages }),
  fc.record({ op: fc.constant('claim_pages'), domid, pages }),
  fc.record({ op: fc.constant('populate_physmap'), domid, pages }),
  fc.record({ op: fc.constant('decrease_reservation'), domid, pages }),
  fc.record({ op: fc.constant('domain_destroy'), domid }),
  fc.record({ op: fc.constant('domain_info'), domid }),
  fc.record({ op: fc.constant('physinfo') }),
);

test('engine matches the reference model on random request sequences', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 40 }), fc.array(request, { minLength: 5, maxLength: 80, size: 'max' }), (total, xenRaw, requests) => {
      const xen = Math.min(xenRaw, total);
      const session = new ReplaySession();
      const model = new Model(total, xen);
      session.runLine(JSON.stringify({ op: 'host', pages: total, xen_pages: xen }), 1);
      requests.forEach((r, i) => {
        const { result, lineError } = session.runLine(JSON.stringify(r), i + 2);
        assert.equal(lineError, false);
        const expected = model.run(r as Record<string, number | string>);
        if (r.op === 'physinfo') delete (result as Record<string, unknown>).nodes;
        assert.deepEqual(result, expected, `request ${i + 2}: ${JSON.stringify(r)}`);
        const broken = session.hypervisor!.violations();
        assert.deepEqual(broken, [], `invariants after ${JSON.stringify(r)}`);
        const s = session.hypervisor!.physinfo();
        assert.ok(s.pagesOutstanding <= s.pagesFree + s.pagesFreeable);
      });
    }),
    { numRuns: 2000 },
  );
});
