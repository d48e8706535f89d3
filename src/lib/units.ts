// Units of user input: sizes (IEC binary units only), percents, durations and
// rates, as written in scenario files (docs/scenario.md) and CLI flags.
// Arithmetic is exact: a decimal like "1.5GiB" is scaled with BigInt and must
// land on a whole number of bytes (or nanoseconds), and every result is a safe
// integer. A parse failure throws UnitError, whose message says what was
// expected and what was found; the caller adds the place (file, line, path).

export const PAGE_BYTES = 4096;

export class UnitError extends Error {
  override name = 'UnitError';
}

export const SIZE_UNITS_BYTES: Readonly<Record<string, bigint>> = Object.freeze({
  B: 1n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
});

export const DURATION_UNITS_NS: Readonly<Record<string, bigint>> = Object.freeze({
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
});

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// A number, optionally a space, then the unit; the sign is captured so that a
// negative value gets its own message rather than "not a size".
const QUANTITY = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)[ \t]?([A-Za-z%]*)$/;

/** How a found value is shown in a message: strings quoted, others as YAML would read them. */
export function describeFound(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  if (value === null || value === undefined) return 'nothing';
  // YAML's .nan and .inf: "NaN" and "Infinity" are not what the file says.
  if (typeof value === 'number' && Number.isNaN(value)) return ".nan (YAML's not-a-number)";
  if (value === Infinity || value === -Infinity) return `${value < 0 ? '-' : ''}.inf (YAML's infinity)`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

interface Quantity {
  negative: boolean;
  /** The digits without the decimal point, and how many were after it. */
  mantissa: bigint;
  scale: number;
  unit: string;
}

function splitQuantity(text: string): Quantity | null {
  const m = QUANTITY.exec(text.trim());
  if (m === null) return null;
  const [, sign, number, unit] = m;
  // Longer than any sensible value; also keeps BigInt work small on hostile input.
  if (number.length > 40) return null;
  const dot = number.indexOf('.');
  const digits = dot < 0 ? number : number.slice(0, dot) + number.slice(dot + 1);
  const scale = dot < 0 ? 0 : number.length - dot - 1;
  return { negative: sign === '-', mantissa: BigInt(digits), scale, unit };
}

/** mantissa * factor / 10^scale when it is a whole number, else null. */
function scaleExact(q: Quantity, factor: bigint): bigint | null {
  const numerator = q.mantissa * factor;
  const divisor = 10n ** BigInt(q.scale);
  if (numerator % divisor !== 0n) return null;
  return numerator / divisor;
}

/** The hint for a number written without its unit (" (say %)"); none for .nan or .inf, which no unit mends. */
function bareNumberHint(input: number, hint: string): string {
  return Number.isFinite(input) ? hint : '';
}

function unitHint(unit: string, units: Readonly<Record<string, bigint>>): string {
  if (unit === '') return ' (a bare number: say the unit)';
  const known = Object.keys(units);
  const same = known.find((u) => u.toLowerCase() === unit.toLowerCase());
  if (same !== undefined) return ` (units are case-sensitive: ${same})`;
  if (units === SIZE_UNITS_BYTES && /^[kmgt]b$/i.test(unit)) {
    return ` (only IEC units: ${unit[0].toUpperCase()}iB)`;
  }
  return ` (units: ${known.join(', ')})`;
}

/**
 * For a value written as several quantities ("7m30s", "1h 30m", "1GiB 512MiB"),
 * the one quantity it means, in the largest unit that keeps it whole
 * (" (one number and one unit: 450s)"); '' when it is not such a sum.
 */
function compoundHint(text: string, units: Readonly<Record<string, bigint>>): string {
  if (text.length > 64) return '';
  const parts = text.trim().match(/(?:\d+(?:\.\d+)?|\.\d+)[ \t]?[A-Za-z]+/g);
  if (parts === null || parts.length < 2 || parts.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) return '';
  let total = 0n;
  for (const part of parts) {
    const q = splitQuantity(part);
    if (q === null || !Object.hasOwn(units, q.unit)) return '';
    const v = scaleExact(q, units[q.unit]);
    if (v === null) return '';
    total += v;
  }
  const [unit, factor] = Object.entries(units).reduce((a, b) => (b[1] < a[1] ? b : a));
  // Nothing at all ("0m0s"): the smallest unit reads plainest ("0ms", not "0h").
  if (total === 0n) return ` (one number and one unit: 0${unit})`;
  const whole = Object.entries(units).filter(([, f]) => total % f === 0n);
  if (whole.length > 0) {
    const [wholeUnit, wholeFactor] = whole.reduce((a, b) => (b[1] > a[1] ? b : a));
    return ` (one number and one unit: ${total / wholeFactor}${wholeUnit})`;
  }
  // No unit keeps it whole (1m 0.5ms is 60000.5ms): a decimal of the smallest unit, when it ends.
  const decimal = exactDecimal(total, factor);
  return decimal === null ? '' : ` (one number and one unit: ${decimal}${unit})`;
}

/** n / d written out exactly ("60000.5"), or null when the decimal does not end within 20 digits. */
function exactDecimal(n: bigint, d: bigint): string | null {
  let rest = n % d;
  let digits = '';
  while (rest !== 0n && digits.length < 20) {
    rest *= 10n;
    digits += String(rest / d);
    rest %= d;
  }
  return rest === 0n ? `${n / d}.${digits}` : null;
}

function scaled(
  input: unknown,
  units: Readonly<Record<string, bigint>>,
  expected: string,
  what: string,
): bigint {
  const bad = (why = ''): UnitError => new UnitError(`expected ${expected}, found ${describeFound(input)}${why}`);
  if (typeof input === 'number') throw bad(bareNumberHint(input, unitHint('', units)));
  if (typeof input !== 'string') throw bad();
  const q = splitQuantity(input);
  if (q === null) throw bad(compoundHint(input, units));
  if (!Object.hasOwn(units, q.unit)) throw bad(unitHint(q.unit, units));
  const factor = units[q.unit];
  if (q.negative && q.mantissa !== 0n) throw bad(` (${what} cannot be negative)`);
  const value = scaleExact(q, factor);
  if (value === null) throw bad(` (not a whole number of ${what === 'a duration' ? 'nanoseconds' : 'bytes'})`);
  if (value > MAX_SAFE) throw bad(' (too large)');
  return value;
}

/** A size such as "64GiB", "1.5GiB" or "0B", in bytes. */
export function parseSizeBytes(input: unknown, example = '64GiB or 512MiB'): number {
  return Number(scaled(input, SIZE_UNITS_BYTES, `a size such as ${example}`, 'a size'));
}

/** Whole pages in a number of bytes, rounding down. */
export function bytesToPages(sizeBytes: number): number {
  return Math.floor(sizeBytes / PAGE_BYTES);
}

/** A size in whole pages of 4096 bytes, rounding down. */
export function parseSizePages(input: unknown, example?: string): number {
  return bytesToPages(parseSizeBytes(input, example));
}

/** A percent such as "40%" or "12.5%", as the number before the sign (40, 12.5); not range-checked. */
export function parsePercent(input: unknown, example = '40%'): number {
  const bad = (why = ''): UnitError => new UnitError(`expected a percent such as ${example}, found ${describeFound(input)}${why}`);
  if (typeof input === 'number') throw bad(bareNumberHint(input, ' (say %)'));
  if (typeof input !== 'string') throw bad();
  const q = splitQuantity(input);
  if (q === null || q.unit !== '%') throw bad();
  if (q.negative && q.mantissa !== 0n) throw bad(' (a percent cannot be negative)');
  const value = Number(q.mantissa) / 10 ** q.scale;
  if (!Number.isFinite(value) || q.mantissa > MAX_SAFE) throw bad(' (too large)');
  return value;
}

export type SizeOrPercent = { pages: number } | { percent: number };

/** Either a size (in pages, rounding down) or a percent of something the caller knows. */
export function parseSizeOrPercent(input: unknown, example = '1GiB or 10%'): SizeOrPercent {
  if (typeof input === 'string' && input.trim().endsWith('%')) return { percent: parsePercent(input, example) };
  return { pages: bytesToPages(Number(scaled(input, SIZE_UNITS_BYTES, `a size or a percent such as ${example}`, 'a size'))) };
}

/** A duration such as "250ms", "5s", "30m", "24h" or "1.5s", in whole nanoseconds. */
export function parseDurationNs(input: unknown, example = '5s or 250ms'): number {
  return Number(scaled(input, DURATION_UNITS_NS, `a duration such as ${example}`, 'a duration'));
}

export type Rate = { kind: 'pages'; perS: number } | { kind: 'count'; perS: number };

/**
 * A rate: "<size>/s" gives whole pages per second (rounding down), "<n>/s" a
 * count per second (decimals allowed: "0.5/s").
 */
export function parseRate(input: unknown, example = '2GiB/s or 20000/s'): Rate {
  const rate = rateOf(input, example);
  return rate.kind === 'bytes' ? { kind: 'pages', perS: bytesToPages(rate.perS) } : rate;
}

/** parseRate before a size rate is rounded down to whole pages: bytes per second. */
function rateOf(input: unknown, example: string): { kind: 'bytes'; perS: number } | { kind: 'count'; perS: number } {
  const bad = (why = ''): UnitError => new UnitError(`expected a rate such as ${example}, found ${describeFound(input)}${why}`);
  if (typeof input !== 'string') throw bad(typeof input === 'number' ? bareNumberHint(input, ' (say /s)') : '');
  const m = /^(.*?)\s?\/\s?s$/.exec(input.trim());
  if (m === null) throw bad();
  const amount = m[1];
  const q = splitQuantity(amount);
  if (q === null) throw bad();
  if (q.negative && q.mantissa !== 0n) throw bad(' (a rate cannot be negative)');
  if (q.unit === '') {
    const perS = Number(q.mantissa) / 10 ** q.scale;
    if (q.mantissa > MAX_SAFE) throw bad(' (too large)');
    return { kind: 'count', perS };
  }
  if (!Object.hasOwn(SIZE_UNITS_BYTES, q.unit)) throw bad(unitHint(q.unit, SIZE_UNITS_BYTES));
  const bytesPerS = scaleExact(q, SIZE_UNITS_BYTES[q.unit]);
  if (bytesPerS === null) throw bad(' (not a whole number of bytes)');
  if (bytesPerS > MAX_SAFE) throw bad(' (too large)');
  return { kind: 'bytes', perS: Number(bytesPerS) };
}

/** A rate of data such as "4GiB/s", in whole pages per second. */
export function parsePagesPerS(input: unknown, example = '4GiB/s'): number {
  return bytesToPages(parseBytesPerS(input, example));
}

/** A rate of data such as "4GiB/s", in bytes per second (not rounded to pages). */
export function parseBytesPerS(input: unknown, example = '4GiB/s'): number {
  const rate = rateOf(input, example);
  if (rate.kind !== 'bytes') throw new UnitError(`expected a rate such as ${example}, found ${describeFound(input)} (say the size unit)`);
  return rate.perS;
}

/** A rate such as "20000/s", as a count per second; a size rate counts pages ("80MiB/s" = 20480/s). */
export function parseCountPerS(input: unknown, example = '20000/s'): number {
  return parseRate(input, example).perS;
}

/** A size for people: "64 GiB", "1.5 GiB", "4 KiB", "0 B" (two decimals at most). */
export function formatBytes(sizeBytes: number): string {
  const names = ['TiB', 'GiB', 'MiB', 'KiB'];
  for (const name of names) {
    const unit = Number(SIZE_UNITS_BYTES[name]);
    if (sizeBytes >= unit) return `${Number((sizeBytes / unit).toFixed(2))} ${name}`;
  }
  return `${sizeBytes} B`;
}

/**
 * A number of pages for people, as a size; no pages at all is "0 MiB", as the
 * reports and the terminal write a zero size (launch failure reasons appear in
 * the reports' "why" column). formatBytes keeps "0 B" for a file of 0 bytes.
 */
export function formatPages(pages: number): string {
  return pages === 0 ? '0 MiB' : formatBytes(pages * PAGE_BYTES);
}

/** An integer with its digits grouped in threes, as the reports' tables write counts: 1234567 → "1,234,567". */
export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A size and the limit it is compared with, for a message: formatBytes of
 * each, unless rounding would show two different sizes alike ("found 2 GiB,
 * at most 2 GiB"); then both exactly, in the largest unit that divides both
 * ("2097156 KiB" and "2097152 KiB"), or in bytes.
 */
export function bytesBeside(bytes: number, limit: number): [string, string] {
  const shown: [string, string] = [formatBytes(bytes), formatBytes(limit)];
  if (bytes === limit || shown[0] !== shown[1]) return shown;
  if (!Number.isInteger(bytes) || !Number.isInteger(limit)) return [`${bytes} B`, `${limit} B`];
  const [a, b] = [BigInt(bytes), BigInt(limit)];
  const name = ['TiB', 'GiB', 'MiB', 'KiB'].find((n) => a % SIZE_UNITS_BYTES[n] === 0n && b % SIZE_UNITS_BYTES[n] === 0n);
  return name === undefined ? [`${bytes} B`, `${limit} B`] : [`${a / SIZE_UNITS_BYTES[name]} ${name}`, `${b / SIZE_UNITS_BYTES[name]} ${name}`];
}

/** bytesBeside for page counts (no pages at all is "0 MiB", as formatPages writes it). */
export function pagesBeside(pages: number, limit: number): [string, string] {
  const [a, b] = bytesBeside(pages * PAGE_BYTES, limit * PAGE_BYTES);
  return [pages === 0 ? formatPages(0) : a, limit === 0 ? formatPages(0) : b];
}

/** A duration for people, in the largest unit that divides it exactly: "5m", "30s", "250ms", "1500ns". */
export function formatNs(durationNs: number): string {
  const big = BigInt(durationNs);
  for (const name of ['h', 'm', 's', 'ms']) {
    const unit = DURATION_UNITS_NS[name];
    if (big !== 0n && big % unit === 0n) return `${big / unit}${name}`;
  }
  if (big === 0n) return '0s';
  // Not a whole ms: ms with the decimals it needs (exact, and the form a scenario takes), not ns, which it does not.
  const ms = DURATION_UNITS_NS.ms;
  const frac = String(big % ms).padStart(6, '0').replace(/0+$/, '');
  return `${big / ms}.${frac}ms`;
}
