// The raw shape of a scenario file (docs/scenario.md) as zod schemas: strict
// objects (an unknown key is an error) whose leaves parse units on the way in,
// so a field that passes is already in pages, ns or percent. Defaults that
// depend on other fields (maxmem = memory, cleancache = host tmem) and checks
// across fields are applied afterwards, in load.ts.

import { z } from 'zod';
import {
  describeFound,
  formatNs,
  bytesToPages,
  formatBytes,
  PAGE_BYTES,
  parseBytesPerS,
  parseCountPerS,
  parseDurationNs,
  parsePercent,
  parseSizeBytes,
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

/** Longest number part the unit parsers read (src/lib/units.ts refuses longer ones without saying why). */
const MAX_NUMBER_CHARS = 40;
/** Digits before the point beyond which any value is beyond 2^53-1 in every unit (10^16 > 2^53). */
const MAX_INTEGER_DIGITS = 16;

const SIZE_LIMIT = 'at most 2^53-1 bytes, just under 8192TiB';
const DURATION_LIMIT = 'at most 2^53-1 ns, just over 2501h';

/**
 * A unit parser that explains two refusals of src/lib/units.ts: "(too large)"
 * gets the limit, and a number longer than the parser reads (40 characters)
 * is read for its value rather than refused without a reason. When the parser
 * refuses a number, zeros that do not change its value (leading ones,
 * trailing ones after the point) are dropped and it is read again, so
 * 1.000…0s is exactly 1s, as 1.0s is, and 12.5000000000000000000% is 12.5%;
 * what is left is refused as too large (more than 16 digits before the point)
 * or as having too many digits, never rounded.
 */
function explained<T>(parse: (value: unknown) => T, limit: (value: string) => string): (value: unknown) => T {
  const withLimit = (e: UnitError, value: string): UnitError =>
    e.message.endsWith(' (too large)') ? new UnitError(`${e.message.slice(0, -1)}: ${limit(value)})`) : e;
  return (value) => {
    try {
      return parse(value);
    } catch (e) {
      if (!(e instanceof UnitError) || typeof value !== 'string') throw e;
      const m = /^(\s*[+-]?)(\d+(?:\.\d+)?|\.\d+)(.*)$/s.exec(value);
      if (m === null) throw withLimit(e, value);
      const [, before, number, after] = m;
      const [whole, fraction = ''] = number.split('.');
      const wholeDigits = whole.replace(/^0+/, '');
      const fractionDigits = fraction.replace(/0+$/, '');
      const exact = `${wholeDigits === '' ? '0' : wholeDigits}${fractionDigits === '' ? '' : `.${fractionDigits}`}`;
      // Nothing to drop: the parser's verdict stands (with the limit when too large).
      if (number.length <= MAX_NUMBER_CHARS && exact.length >= number.length) throw withLimit(e, value);
      let standIn: string;
      let tooManyDigits = false;
      if (wholeDigits.length > MAX_INTEGER_DIGITS) standIn = '9'.repeat(MAX_INTEGER_DIGITS + 1);
      else if (exact.length <= MAX_NUMBER_CHARS) standIn = exact;
      else {
        standIn = '1';
        tooManyDigits = true;
      }
      // The same text with a number of the same standing: its message (unit, sign, size) is the value's.
      const candidate = `${before}${standIn}${after}`;
      let parsed: T;
      try {
        parsed = parse(candidate);
      } catch (e2) {
        if (!(e2 instanceof UnitError)) throw e2;
        throw withLimit(new UnitError(e2.message.replace(describeFound(candidate), () => describeFound(value))), value);
      }
      if (tooManyDigits) {
        throw new UnitError(`${e.message} (too many digits: ${number.length} characters in the number, at most ${MAX_NUMBER_CHARS} without zeros that change nothing)`);
      }
      return parsed;
    }
  };
}

const isPercent = (value: string): boolean => value.trim().endsWith('%');
const isCountRate = (value: string): boolean => /(?:^|[\d.\s])\/\s?s\s*$/.test(value.trim());

export const size = (example: string) => leaf(explained((v) => parseSizePages(v, example), () => SIZE_LIMIT), `a size such as ${example}`);

/**
 * Whole pages in `bytes` (per second with `perS`), at least one: a size that
 * must hold something. A smaller one is refused with what was found, exactly
 * ("found 0 B", "found 2 KiB, less than one page", "found 4095 B, …").
 */
function atLeastOnePage(bytes: number, perS = false): number {
  if (bytes >= PAGE_BYTES) return bytesToPages(bytes);
  const exact = bytes > 0 && bytes % 1024 === 0 ? formatBytes(bytes) : `${bytes} B`;
  const found = `${exact}${perS ? '/s' : ''}`;
  const less = perS ? 'less than one page a second' : 'less than one page';
  const expected = perS ? 'at least one page a second (4 KiB/s)' : 'at least one page (4 KiB)';
  throw new UnitError(`expected ${expected}, found ${bytes === 0 ? found : `${found}, ${less}`}`);
}

/**
 * A size that must hold something (a memory, a target, a batch): at least one
 * page (docs/scenario.md). Checked on the value as read, so a number refused
 * for its digits is refused for them, not for a stand-in's size.
 */
export const pageSize = (example: string) =>
  leaf((v) => atLeastOnePage(explained((x) => parseSizeBytes(x, example), () => SIZE_LIMIT)(v)), `a size such as ${example}`);
export const sizeOrPercent = (example: string) =>
  leaf(
    explained(digitsChecked((v) => parseSizeOrPercent(v, example)), (v) => (isPercent(v) ? 'at most 2^53-1%' : SIZE_LIMIT)),
    `a size or a percent such as ${example}`,
  );
export const percent = (example: string) =>
  leaf(explained(digitsChecked((v) => parsePercent(v, example)), () => 'at most 2^53-1%'), `a percent such as ${example}`);

/**
 * A duration; `max` (with why it is the bound) for the times the simulator
 * adds to its clock, so that a number too large for the parser and one above
 * the bound are both refused with the bound.
 */
export const duration = (example: string, max?: { ns: number; why: string }) =>
  leaf((v) => {
    const aboveMax = () => new UnitError(`expected a duration of at most ${formatNs(max!.ns)} (${max!.why}), found ${describeFound(v)}`);
    let ns: number;
    try {
      ns = explained((x) => parseDurationNs(x, example), () => DURATION_LIMIT)(v);
    } catch (e) {
      // Too large to parse is above the bound too, and said the same way.
      if (max !== undefined && e instanceof UnitError && e.message.includes(' (too large: ')) throw aboveMax();
      throw e;
    }
    if (max !== undefined && ns > max.ns) throw aboveMax();
    return ns;
  }, `a duration such as ${example}`);
/** A rate of data, in whole pages per second, at least one. */
export const pagesRate = (example: string) =>
  leaf((v) => atLeastOnePage(explained((x) => parseBytesPerS(x, example), () => 'at most 2^53-1 bytes/s')(v), true), `a rate such as ${example}`);
export const countRate = (example: string) =>
  leaf(
    explained(digitsChecked((v) => parseCountPerS(v, example)), (v) => (isCountRate(v) ? 'at most 2^53-1/s' : 'at most 2^53-1 bytes/s')),
    `a rate such as ${example}`,
  );

/**
 * The longest duration and the longest interval the simulator adds to its
 * clock (duration, sample_interval, workload_tick, selfballoon.interval): its
 * times are whole ns that must stay below 2^53 (about 2501h) with an interval
 * added to the end of the run.
 */
export const MAX_CLOCK_NS = 1000 * 3_600_000_000_000;
const CLOCK = { ns: MAX_CLOCK_NS, why: "the simulator's clock: a time plus an interval stays below 2^53 ns" };

function rangeText(min: number, max: number): string {
  if (min === -Number.MAX_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER) return '(at most 2^53-1 either side of 0)';
  return `from ${min} to ${max === Number.MAX_SAFE_INTEGER ? '2^53-1' : max}`;
}

/** Where a field takes an integer: its range, for checking how a number was written (nodes.ts). */
export interface IntegerRange {
  min: number;
  max: number;
  example: number;
}

/** The integer leaves, by schema object: shapeOf reports their range. */
const integerLeaves = new WeakMap<object, IntegerRange>();

/** "expected an integer from 1 to 10000, such as 4" */
export function expectedInteger(range: IntegerRange): string {
  return `expected an integer ${rangeText(range.min, range.max)}, such as ${range.example}`;
}

export const integer = (min: number, max: number, example: number) => {
  const range: IntegerRange = { min, max, example };
  const schema = leaf((v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new UnitError(`${expectedInteger(range)}, found ${describeFound(v)}`);
    }
    return v;
  }, `an integer such as ${example}`);
  integerLeaves.set(schema, range);
  return schema;
};

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

/**
 * A hint for a number or a boolean where text is expected (`name: 123`,
 * `name: true`): YAML read it as such, quotes make it text. Given only when
 * the quoted text would do (`test` says whether it would).
 */
function quoteHint(v: unknown, what: string, test: (text: string) => boolean = () => true): string {
  // .nan and .inf as written (what quotes would keep), not as "NaN" and "Infinity".
  const written = typeof v === 'number' && !Number.isFinite(v) ? describeFound(v).split(' ')[0] : String(v);
  if ((typeof v !== 'number' && typeof v !== 'boolean') || !test(written)) return '';
  return ` (YAML reads it as ${typeof v === 'number' ? 'a number' : 'a boolean'}: put it in quotes to make it ${what})`;
}

/** Names of characters refused in one-line text, by code point. */
const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x07: 'bell',
  0x08: 'backspace',
  0x0a: 'line feed',
  0x0b: 'vertical tab',
  0x0c: 'form feed',
  0x0d: 'carriage return',
  0x1b: 'escape',
  0x7f: 'delete',
  0x85: 'next line',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x061c: 'Arabic letter mark',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
};

/**
 * Characters one-line text may not hold: control characters (a tab is
 * fine), line and paragraph separators, and the bidirectional controls,
 * which reorder what follows them in a report or a terminal.
 */
const NOT_IN_A_LINE = /(?!\t)[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u;

/** Why `text` is not one line of plain text, or null. */
export function notOneLine(text: string): string | null {
  const m = NOT_IN_A_LINE.exec(text);
  if (m === null) return null;
  const code = m[0].codePointAt(0)!;
  const name = CHARACTER_NAMES[code] ?? (code < 0x20 || (code >= 0x7f && code <= 0x9f) ? 'a control character' : 'a formatting character');
  const position = [...text.slice(0, m.index)].length + 1;
  const hint = code === 0x0a && position === [...text].length ? '; a YAML block scalar (>) keeps a final line break, >- drops it' : '';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} (${name}) at character ${position}${hint}`;
}

/**
 * Text of at most `maxChars`; `oneLine` text (a description) has no control characters but tabs.
 * `expected` is what a missing one is reported as needing ("required: …"), plain "text" unless given.
 */
export const text = (maxChars: number, options: { oneLine?: boolean; expected?: string } = {}) =>
  leaf((v) => {
    if (typeof v !== 'string') throw new UnitError(`expected text, found ${describeFound(v)}${quoteHint(v, 'text')}`);
    // Characters are code points (an emoji is one), not UTF-16 units; a string has at least as many units as code points.
    const chars = v.length > maxChars ? [...v].length : v.length;
    if (chars > maxChars) throw new UnitError(`expected text of at most ${maxChars} characters, found ${chars}`);
    const bad = options.oneLine === true ? notOneLine(v) : null;
    if (bad !== null) throw new UnitError(`expected one line of text without control characters, found ${bad}`);
    return v;
  }, options.expected ?? 'text');

/** Names of scenarios, guests and images: they appear in reports and in timeline references. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** What a name is, for messages. */
export const NAME_RULE = "letters, digits, '.', '_', '-', at most 64";
export const name = (example: string) =>
  leaf((v) => {
    if (typeof v !== 'string' || !NAME_PATTERN.test(v)) {
      throw new UnitError(
        `expected a name such as ${example} (${NAME_RULE}), found ${describeFound(v)}${quoteHint(v, 'a name', (t) => NAME_PATTERN.test(t))}`,
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
  memory: pageSize('64GiB'),
  nodes: integer(1, MAX_NODES, 1).optional(),
  hypervisor_reserve: sizeOrPercent('256MiB or 1%').optional(),
  tmem: tmemSchema.optional(),
});

const selfballoonSchema = z.strictObject({
  enabled: bool.optional(),
  interval: duration('5s', CLOCK).optional(),
  down_hysteresis: integer(1, 1000, 8).optional(),
  up_hysteresis: integer(1, 1000, 1).optional(),
  reserved: sizeOrPercent('10% or 512MiB').optional(),
  min_usable: size('0B or 256MiB').optional(),
  selfshrinking: bool.optional(),
  frontswap_hysteresis: integer(1, 1000, 20).optional(),
  frontswap_inertia: integer(1, 1_000_000, 3).optional(),
});

export const ANON_PROFILES = ['constant', 'step', 'diurnal', 'spikes', 'trace'] as const;
/** trace.at_end: after the last sample, back to the first (loop) or the last sample kept (hold). */
export const TRACE_ENDS = ['loop', 'hold'] as const;

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
    .strictObject({
      file: text(4096, { expected: "a trace file's path, such as data/gcd/vm_1218322450_1" }),
      scale: percent('100%').optional(),
      offset: duration('0s').optional(),
      offset_step: duration('1h').optional(),
      interval: duration('30s').optional(),
      at_end: oneOf(TRACE_ENDS).optional(),
    })
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
  memory: pageSize('4GiB'),
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
  mem_set: z.strictObject({ guest: name('web-1'), target: pageSize('2GiB') }).optional(),
  mem_max: z.strictObject({ guest: name('web-1'), maxmem: pageSize('6GiB') }).optional(),
  destroy: guestRef.optional(),
  tmem_freeze: guestOrAll.optional(),
  tmem_thaw: guestOrAll.optional(),
  tmem_flush: z.strictObject({ size: pageSize('1GiB') }).optional(),
  crash: guestRef.optional(),
  toolstack_dies: guestRef.optional(),
});

export const POLICIES = ['none', 'claim', 'reservation'] as const;

export const scenarioSchema = z.strictObject({
  name: name('claim-race').optional(),
  description: text(1000, { oneLine: true }).optional(),
  seed: integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 42).optional(),
  duration: duration('10m', CLOCK),
  sample_interval: duration('5s', CLOCK).optional(),
  workload_tick: duration('100ms', CLOCK).optional(),
  max_events: integer(1, Number.MAX_SAFE_INTEGER, 50_000_000).optional(),
  host: hostSchema,
  dom0: z.strictObject({ memory: pageSize('2GiB').optional() }).optional(),
  toolstack: z
    .strictObject({
      policy: oneOf(POLICIES).optional(),
      build_rate: pagesRate('4GiB/s').optional(),
      build_batch: pageSize('64MiB').optional(),
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
  | { kind: 'leaf'; integer?: IntegerRange };

interface DefLike {
  type: string;
  shape?: Record<string, { _zod: { def: DefLike } }>;
  element?: { _zod: { def: DefLike } };
  innerType?: { _zod: { def: DefLike } };
}

/** The shape of a zod schema built from the pieces above (objects, arrays, optional, leaves). */
export function shapeOf(schema: { _zod: { def: unknown } }): SchemaShape {
  let node: object = schema;
  let def = schema._zod.def as DefLike;
  while (def.type === 'optional' && def.innerType !== undefined) {
    node = def.innerType;
    def = def.innerType._zod.def;
  }
  if (def.type === 'object' && def.shape !== undefined) {
    const keys = new Map<string, SchemaShape>();
    for (const [key, child] of Object.entries(def.shape)) keys.set(key, shapeOf(child));
    return { kind: 'object', keys };
  }
  if (def.type === 'array' && def.element !== undefined) return { kind: 'array', element: shapeOf(def.element) };
  const integer = integerLeaves.get(node);
  return integer === undefined ? { kind: 'leaf' } : { kind: 'leaf', integer };
}
