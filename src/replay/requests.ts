// The replay vocabulary: one JSON request per line, validated strictly (an
// unknown field is an error, so a typo never silently means a default).

import { z } from 'zod';
import { DOMID_FIRST_RESERVED } from '../hypervisor/domain.ts';
import { bool, boundedCount, count, describeValue, formatIssues, withBigIntegers } from './fields.ts';
import { scanJsonText } from './json-text.ts';

/** Pages of a host: at least one, at most 2^40 (4 PiB), a bound that keeps every sum exact. */
export const MAX_HOST_PAGES = 2 ** 40;
export const MAX_NODES = 64;

const domid = boundedCount(DOMID_FIRST_RESERVED - 1, 'a domain id');
const caller = { caller: domid.optional() };

const tmemHostOptions = z.strictObject({
  dedup: bool.optional(),
  tze: bool.optional(),
  compress: bool.optional(),
  store: z.enum(['bytes', 'synthetic'], { error: (issue) => `expected "bytes" or "synthetic", found ${describeValue(issue.input)}` }).optional(),
  shared_auth: bool.optional(),
  low_mem_pages: count.optional(),
});

/** A claim entry's node: a number (range-checked by the engine, EINVAL as Xen), or "global". */
const claimNode = z.unknown().superRefine((value, ctx) => {
  if (value === 'global' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_NODES * 4)) return;
  ctx.addIssue({ code: 'custom', message: `expected a node number (an integer from 0 to ${MAX_NODES * 4}) or "global" (the claim on no particular node), found ${describeValue(value)}` });
}) as unknown as z.ZodType<number | 'global'>;

export const engineSchemas = {
  host: z.strictObject({
    op: z.literal('host'),
    pages: boundedCount(MAX_HOST_PAGES, 'a page count', 1),
    xen_pages: count.optional(),
    nodes: boundedCount(MAX_NODES, 'a node count', 1).optional(),
    tmem: tmemHostOptions.optional(),
  }),
  domain_create: z.strictObject({ op: z.literal('domain_create'), domid, max_pages: count, ...caller }),
  max_mem: z.strictObject({ op: z.literal('max_mem'), domid, max_pages: count, ...caller }),
  claim_pages: z.strictObject({ op: z.literal('claim_pages'), domid, pages: count, ...caller }),
  claim_memory: z.strictObject({
    op: z.literal('claim_memory'),
    domid,
    // Entries are checked by the engine (EINVAL for a node out of range or named twice), as Xen checks them.
    // (The library's claimMemory takes node: null for the global entry; a line says "global".)
    claims: z
      .array(
        z.strictObject({
          node: claimNode,
          pages: count,
        }),
      )
      // Said in our words, as every other field (zod's own: "Too big: expected array to have <=65 items").
      .max(MAX_NODES + 1, { error: (issue) => `expected at most ${MAX_NODES + 1} entries (one per node of at most ${MAX_NODES}, and the global one), found ${describeValue(issue.input)}` }),
    ...caller,
  }),
  populate_physmap: z.strictObject({ op: z.literal('populate_physmap'), domid, pages: count, ...caller }),
  decrease_reservation: z.strictObject({ op: z.literal('decrease_reservation'), domid, pages: count, ...caller }),
  domain_destroy: z.strictObject({ op: z.literal('domain_destroy'), domid, ...caller }),
  domain_info: z.strictObject({ op: z.literal('domain_info'), domid, ...caller }),
  physinfo: z.strictObject({ op: z.literal('physinfo'), ...caller }),
};

export type EngineRequest = { [K in keyof typeof engineSchemas]: z.infer<(typeof engineSchemas)[K]> }[keyof typeof engineSchemas];
export type HostRequest = z.infer<typeof engineSchemas.host>;

export type Parsed<R> = { ok: true; request: R } | { ok: false; error: string };

/**
 * Parses one line against a table of schemas keyed by `op`. The message does
 * not carry the line number; the caller adds it. A key given twice in one
 * object is refused (JSON.parse would keep the last one silently), and a
 * message quotes an integer beyond 2^53 − 1 as written, not as rounded.
 */
export function parseRequest<R>(line: string, schemas: Record<string, z.ZodType>): Parsed<R> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not valid JSON (${(e as Error).message})` };
  }
  const facts = scanJsonText(line);
  return withBigIntegers(facts.bigIntegers, () => parseValue<R>(value, facts.duplicate, schemas));
}

function parseValue<R>(value: unknown, duplicate: string | null, schemas: Record<string, z.ZodType>): Parsed<R> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: `expected a JSON object with an "op" field, found ${describeValue(value)}` };
  }
  if (duplicate !== null) {
    const shown = duplicate.length > 80 ? duplicate.slice(0, 80) + '…' : duplicate;
    return { ok: false, error: `field ${JSON.stringify(shown)} is given twice (a field may appear only once)` };
  }
  const op = (value as Record<string, unknown>).op;
  if (typeof op !== 'string') return { ok: false, error: `field "op": expected a string naming the request, found ${describeValue(op)}` };
  if (!Object.hasOwn(schemas, op)) {
    return { ok: false, error: `unknown op ${JSON.stringify(op)} (known: ${Object.keys(schemas).join(', ')})` };
  }
  const parsed = schemas[op].safeParse(value);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error, value) };
  return { ok: true, request: parsed.data as R };
}
