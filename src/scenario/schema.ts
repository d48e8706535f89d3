// The raw shape of a scenario file (docs/scenario.md) as zod schemas: strict
// objects (an unknown key is an error) whose leaves parse units on the way in,
// so a field that passes is already in pages, ns or percent. Defaults that
// depend on other fields (maxmem = memory, cleancache = host tmem) and checks
// across fields are applied afterwards, in load.ts.

import { z } from 'zod';
import {
  describeFound,
  parseCountPerS,
  parseDurationNs,
  parsePagesPerS,
  parsePercent,
  parseSizeOrPercent,
  parseSizePages,
  UnitError,
} from '../lib/units.ts';

/** A leaf: `parse` turns the YAML value into ours or throws UnitError; absent means "required". */
function leaf<T>(parse: (value: unknown) => T, expected: string) {
  return z.unknown().transform((value, ctx): T => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `required: ${expected}` });
      return z.NEVER;
    }
    try {
      return parse(value);
    } catch (e) {
      if (!(e instanceof UnitError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
      return z.NEVER;
    }
  });
}

/**
 * The unit parsers keep a decimal's digits as an exact integer and call it
 * "too large" beyond 2^53, which is wrong for 12.50000000000000000001%: the
 * value is small, it has more digits than a double keeps. Percents and count
 * rates are doubles anyway, so such a value is refused as having too many
 * digits (not rounded: a value written that precisely means something).
 */
function digitsChecked<T>(parse: (value: unknown) => T): (value: unknown) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (e) {
      if (!(e instanceof UnitError) || !e.message.endsWith(' (too large)') || typeof value !== 'string') throw e;
      // Only a percent or a bare count rate: a size ("8192.0TiB") that is too large is too large.
      const number = /^\s*\+?(\d*\.\d+)\s?(?:%|\/\s?s)\s*$/.exec(value)?.[1];
      if (number === undefined || Number(number) > Number.MAX_SAFE_INTEGER) throw e;
      throw new UnitError(`${e.message.slice(0, -' (too large)'.length)} (too many digits: at most 15 significant digits)`);
    }
  };
}

export const size = (example: string) => leaf((v) => parseSizePages(v, example), `a size such as ${example}`);
export const sizeOrPercent = (example: string) =>
  leaf(digitsChecked((v) => parseSizeOrPercent(v, example)), `a size or a percent such as ${example}`);
export const percent = (example: string) => leaf(digitsChecked((v) => parsePercent(v, example)), `a percent such as ${example}`);
export const duration = (example: string) => leaf((v) => parseDurationNs(v, example), `a duration such as ${example}`);
export const pagesRate = (example: string) => leaf((v) => parsePagesPerS(v, example), `a rate such as ${example}`);
export const countRate = (example: string) => leaf(digitsChecked((v) => parseCountPerS(v, example)), `a rate such as ${example}`);

function rangeText(min: number, max: number): string {
  if (min === -Number.MAX_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER) return '(at most 2^53-1 either side of 0)';
  return `from ${min} to ${max === Number.MAX_SAFE_INTEGER ? '2^53-1' : max}`;
}

export const integer = (min: number, max: number, example: number) =>
  leaf((v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new UnitError(`expected an integer ${rangeText(min, max)}, such as ${example}, found ${describeFound(v)}`);
    }
    return v;
  }, `an integer such as ${example}`);

export const real = (min: number, max: number, example: number) =>
  leaf((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new UnitError(`expected a number from ${min} to ${max}, such as ${example}, found ${describeFound(v)}`);
    }
    return v;
  }, `a number such as ${example}`);

export const bool = leaf((v) => {
  if (typeof v !== 'boolean') throw new UnitError(`expected true or false, found ${describeFound(v)}`);
  return v;
}, 'true or false');

export function oneOf<const T extends string>(choices: readonly T[]) {
  const expected = `one of ${choices.join(', ')}`;
  return leaf((v): T => {
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      throw new UnitError(`expected ${expected}, found ${describeFound(v)}`);
    }
    return v as T;
  }, expected);
}

export const text = (maxChars: number) =>
  leaf((v) => {
    if (typeof v !== 'string') throw new UnitError(`expected text, found ${describeFound(v)}`);
    if (v.length > maxChars) throw new UnitError(`expected text of at most ${maxChars} characters, found ${v.length}`);
    return v;
  }, 'text');

/** Names of scenarios, guests and images: they appear in reports and in timeline references. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const name = (example: string) =>
  leaf((v) => {
    if (typeof v !== 'string' || !NAME_PATTERN.test(v)) {
      throw new UnitError(
        `expected a name such as ${example} (letters, digits, '.', '_', '-', at most 64), found ${describeFound(v)}`,
      );
    }
    return v;
  }, `a name such as ${example}`);

export const MAX_GROUP_COUNT = 10_000;
export const MAX_NODES = 64;

const tmemSchema = z.strictObject({
  enabled: bool.optional(),
  dedup: bool.optional(),
  tze: bool.optional(),
  compress: bool.optional(),
  store: oneOf(['synthetic', 'bytes'] as const).optional(),
});

const hostSchema = z.strictObject({
  memory: size('64GiB'),
  nodes: integer(1, MAX_NODES, 1).optional(),
  hypervisor_reserve: sizeOrPercent('256MiB or 1%').optional(),
  tmem: tmemSchema.optional(),
});

const selfballoonSchema = z.strictObject({
  enabled: bool.optional(),
  interval: duration('5s').optional(),
  down_hysteresis: integer(1, 1000, 8).optional(),
  up_hysteresis: integer(1, 1000, 1).optional(),
  reserved: sizeOrPercent('10% or 512MiB').optional(),
  min_usable: size('0B or 256MiB').optional(),
  selfshrinking: bool.optional(),
  frontswap_hysteresis: integer(1, 1000, 20).optional(),
  frontswap_inertia: integer(0, 1_000_000, 3).optional(),
});

export const ANON_PROFILES = ['constant', 'step', 'diurnal', 'spikes', 'trace'] as const;

const anonSchema = z.strictObject({
  profile: oneOf(ANON_PROFILES).optional(),
  level: percent('40%').optional(),
  rate: countRate('5000/s').optional(),
  zipf: real(0, 100, 0.9).optional(),
  step: z.strictObject({ at: duration('5m'), level: percent('70%') }).optional(),
  diurnal: z
    .strictObject({ peak: percent('80%'), period: duration('24h').optional(), phase: duration('0s').optional() })
    .optional(),
  spikes: z
    .strictObject({
      peak: percent('95%'),
      every: duration('60s'),
      length: duration('3s'),
      jitter: duration('20s').optional(),
    })
    .optional(),
  trace: z
    .strictObject({ file: text(4096), scale: percent('100%').optional(), offset: duration('0s').optional() })
    .optional(),
});

const filesSchema = z.strictObject({
  working_set: sizeOrPercent('1GiB or 25%').optional(),
  rate: countRate('20000/s').optional(),
  zipf: real(0, 100, 0.9).optional(),
  scan_share: percent('10%').optional(),
  write_share: percent('5%').optional(),
  delete_every: duration('0s or 10m').optional(),
});

const contentsSchema = z.strictObject({
  zero_share: percent('5%').optional(),
  image_share: percent('30%').optional(),
  compressibility: z
    .strictObject({ high: percent('40%'), medium: percent('40%'), low: percent('20%') })
    .optional(),
});

export const guestGroupSchema = z.strictObject({
  name: name('web'),
  count: integer(1, MAX_GROUP_COUNT, 4).optional(),
  memory: size('4GiB'),
  maxmem: size('8GiB').optional(),
  swap: size('2GiB').optional(),
  kernel_reserve: sizeOrPercent('64MiB or 2%').optional(),
  image: name('debian-12').optional(),
  cleancache: bool.optional(),
  cleancache_shared: bool.optional(),
  frontswap: bool.optional(),
  disk_latency: duration('5ms').optional(),
  selfballoon: selfballoonSchema.optional(),
  workload: z
    .strictObject({ anon: anonSchema.optional(), files: filesSchema.optional(), contents: contentsSchema.optional() })
    .optional(),
});

const guestRef = z.strictObject({ guest: name('web-1') });
const guestOrAll = z.strictObject({ guest: name('web-1').optional(), all: bool.optional() });

/** The action keys of a timeline entry; exactly one of them appears beside `at`. */
export const TIMELINE_ACTIONS = [
  'launch',
  'mem_set',
  'mem_max',
  'destroy',
  'tmem_freeze',
  'tmem_thaw',
  'tmem_flush',
  'crash',
  'toolstack_dies',
] as const;

const timelineEntrySchema = z.strictObject({
  at: duration('30s'),
  launch: guestGroupSchema.optional(),
  mem_set: z.strictObject({ guest: name('web-1'), target: size('2GiB') }).optional(),
  mem_max: z.strictObject({ guest: name('web-1'), maxmem: size('6GiB') }).optional(),
  destroy: guestRef.optional(),
  tmem_freeze: guestOrAll.optional(),
  tmem_thaw: guestOrAll.optional(),
  tmem_flush: z.strictObject({ size: size('1GiB') }).optional(),
  crash: guestRef.optional(),
  toolstack_dies: guestRef.optional(),
});

export const POLICIES = ['none', 'claim', 'reservation'] as const;

export const scenarioSchema = z.strictObject({
  name: name('claim-race').optional(),
  description: text(1000).optional(),
  seed: integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 42).optional(),
  duration: duration('10m'),
  sample_interval: duration('5s').optional(),
  workload_tick: duration('100ms').optional(),
  max_events: integer(1, Number.MAX_SAFE_INTEGER, 50_000_000).optional(),
  host: hostSchema,
  dom0: z.strictObject({ memory: size('2GiB').optional() }).optional(),
  toolstack: z
    .strictObject({
      policy: oneOf(POLICIES).optional(),
      build_rate: pagesRate('4GiB/s').optional(),
      build_batch: size('64MiB').optional(),
    })
    .optional(),
  guests: z.array(guestGroupSchema).optional(),
  timeline: z.array(timelineEntrySchema).optional(),
});

export type RawScenario = z.output<typeof scenarioSchema>;
export type RawGuestGroup = z.output<typeof guestGroupSchema>;
export type RawTimelineEntry = z.output<typeof timelineEntrySchema>;

/** What a schema node is, for checking `--set` paths against the format rather than the file. */
export type SchemaShape =
  | { kind: 'object'; keys: ReadonlyMap<string, SchemaShape> }
  | { kind: 'array'; element: SchemaShape }
  | { kind: 'leaf' };

interface DefLike {
  type: string;
  shape?: Record<string, { _zod: { def: DefLike } }>;
  element?: { _zod: { def: DefLike } };
  innerType?: { _zod: { def: DefLike } };
}

/** The shape of a zod schema built from the pieces above (objects, arrays, optional, leaves). */
export function shapeOf(schema: { _zod: { def: unknown } }): SchemaShape {
  let def = schema._zod.def as DefLike;
  while (def.type === 'optional' && def.innerType !== undefined) def = def.innerType._zod.def;
  if (def.type === 'object' && def.shape !== undefined) {
    const keys = new Map<string, SchemaShape>();
    for (const [key, child] of Object.entries(def.shape)) keys.set(key, shapeOf(child));
    return { kind: 'object', keys };
  }
  if (def.type === 'array' && def.element !== undefined) return { kind: 'array', element: shapeOf(def.element) };
  return { kind: 'leaf' };
}
