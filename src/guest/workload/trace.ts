// GCD VM usage traces (../shared/data/gcd-vm-usage/README.md, a copy under
// data/gcd/): one line every 5 minutes, two numbers separated by spaces or
// tabs, CPU % and memory %. Memory % is taken as a share of the guest's maxmem and
// interpolated linearly between samples. The parser is strict: a malformed
// file gets an error naming the file, the line and what was wrong. The
// scenario loader reads every trace through loadGcdTrace when the scenario is
// loaded, so a bad trace is refused by `validate` as well as by `run`.

import { readFileSync, statSync, type Stats } from 'node:fs';
import { bytesBeside } from '../../lib/units.ts';

export const GCD_SAMPLE_INTERVAL_NS = 300_000_000_000;

/**
 * Largest trace file read. A day of 5-minute samples is about 4 KiB; 16 MiB is
 * about a million samples (ten years), and keeps a wrong file (a disk image, a
 * log) from being read into memory whole.
 */
export const MAX_TRACE_BYTES = 16 * 1024 * 1024;

/**
 * Largest memory % accepted on a line. The GCD data goes above 100 (a job's
 * memory is a share of its machine; the shipped traces peak at 118.5), which
 * the guest takes as demand beyond maxmem (swap, then OOM), so values above
 * 100 are kept as they are. Four times maxmem is far beyond where every guest
 * is out of memory, and bounds the anonymous demand the guest model sizes its
 * page records for (src/guest/guest.ts).
 */
export const MAX_TRACE_MEM_PERCENT = 400;

export interface GcdTrace {
  file: string;
  cpuPercent: Float64Array;
  memPercent: Float64Array;
}

export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
  constructor(
    readonly file: string,
    /** 1-based; 0 when the problem is the file as a whole (unreadable, binary, too large). */
    readonly line: number,
    readonly detail: string,
  ) {
    super(line === 0 ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
  }
}

/** A line as shown in a message: quoted, and cut short (a binary or runaway line would drown it). */
function shown(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}…` : text);
}

/**
 * White space the format does not take: anything JavaScript's \s matches
 * (and U+0085, white space to Unicode) but a space or a tab. A no-break space
 * pasted from a document, or a form feed, looks like a separator and is not one.
 */
const OTHER_SPACE = /[^\S \t]|\u0085/u;

/** The names of the white space characters OTHER_SPACE finds, for messages. */
const SPACE_NAMES: Record<number, string> = {
  0x0a: 'line feed',
  0x0b: 'vertical tab',
  0x0c: 'form feed',
  0x0d: 'carriage return',
  0x85: 'next line',
  0xa0: 'no-break space',
  0x1680: 'ogham space mark',
  0x2000: 'en quad',
  0x2001: 'em quad',
  0x2002: 'en space',
  0x2003: 'em space',
  0x2004: 'three-per-em space',
  0x2005: 'four-per-em space',
  0x2006: 'six-per-em space',
  0x2007: 'figure space',
  0x2008: 'punctuation space',
  0x2009: 'thin space',
  0x200a: 'hair space',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202f: 'narrow no-break space',
  0x205f: 'medium mathematical space',
  0x3000: 'ideographic space',
  0xfeff: 'byte order mark',
};

/** "a no-break space (U+00A0)". */
function spaceName(code: number): string {
  const name = SPACE_NAMES[code] ?? 'white space character';
  const article = /^[aeiou]/.test(name) ? 'an' : 'a';
  return `${article} ${name} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** A non-negative number without a sign (the format has none). */
const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * One well-formed line, anchored where the scan stands: two unsigned numbers
 * separated by spaces or tabs, then the line's end. Lines it does not match
 * (other white space, a sign, a third column…) go to parseTraceLine, which accepts
 * what the format allows and names what it does not.
 */
const PLAIN_LINE = /[ \t]*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)[ \t]+((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)[ \t]*\r?(?:\n|$)/y;

/**
 * How to fix the mistakes a trace exported from elsewhere most often has: a
 * header line (the first line, no column a number, a word in one), commas
 * between the columns (a CSV file), or decimal commas (two columns already
 * apart, one a number with a comma for its point: "12,5"). Empty when none
 * applies.
 */
function fixHint(cols: string[], lineNo: number): string {
  const hints: string[] = [];
  if (lineNo === 1 && cols.every((c) => !NUMBER.test(c)) && cols.some((c) => /[A-Za-z]/.test(c))) {
    hints.push('a header line? trace files have none: delete it');
  }
  const decimal = cols.length === 2 ? cols.find((c) => /^\d+,\d+$/.test(c)) : undefined;
  if (decimal !== undefined) hints.push(`a decimal comma? write a point: ${decimal.replace(',', '.')}`);
  else if (cols.some((c) => c.includes(','))) hints.push('separate the columns with spaces or tabs, not commas');
  return hints.length === 0 ? '' : ` (${hints.join('; ')})`;
}

/** Line `lineNo` of a trace, checked: its CPU % and memory %, or a TraceFormatError naming what is wrong. @internal (the model of the fast path's test) */
export function parseTraceLine(raw: string, lineNo: number, file: string): [number, number] {
  const line = raw.replace(/\r$/, '');
  if (/^[ \t]*$/.test(line)) throw new TraceFormatError(file, lineNo, 'empty line; expected "<cpu %> <memory %>"');
  const odd = OTHER_SPACE.exec(line);
  if (odd !== null) {
    // Anything but white space (U+0085 included, which trim() keeps) on each side.
    const text = /[^\s\u0085]/;
    const before = text.test(line.slice(0, odd.index));
    const after = text.test(line.slice(odd.index + 1));
    const where = before && after ? 'between the numbers' : before ? 'after the last number' : after ? 'before the first number' : 'on a line without numbers';
    throw new TraceFormatError(file, lineNo, `${where}: expected spaces or tabs, found ${spaceName(line.charCodeAt(odd.index))}: ${shown(line)}`);
  }
  const cols = line.trim().split(/[ \t]+/);
  if (cols.length !== 2) {
    throw new TraceFormatError(file, lineNo, `expected 2 columns "<cpu %> <memory %>", found ${cols.length}: ${shown(line)}${fixHint(cols, lineNo)}`);
  }
  const names = ['cpu %', 'memory %'];
  const values = cols.map((c, k) => {
    if (!NUMBER.test(c)) {
      const what = c.startsWith('+') ? 'a non-negative number without a sign' : 'a non-negative number';
      throw new TraceFormatError(file, lineNo, `column ${k + 1} (${names[k]}): expected ${what}, found ${shown(c)}${fixHint(cols, lineNo)}`);
    }
    const v = Number(c);
    if (!Number.isFinite(v)) throw new TraceFormatError(file, lineNo, `column ${k + 1} (${names[k]}): not finite: ${shown(c)}`);
    return v;
  });
  if (values[1] > MAX_TRACE_MEM_PERCENT) {
    throw new TraceFormatError(file, lineNo, `column 2 (memory %): expected at most ${MAX_TRACE_MEM_PERCENT} (% of maxmem), found ${shown(cols[1])}`);
  }
  return [values[0], values[1]];
}

/**
 * Parses the text of a GCD trace; `file` names it in errors. Lines are
 * separated by "\n" (a "\r" before it is dropped); a final line break ends
 * the last line; a byte order mark at the start is dropped (one anywhere
 * else is refused, as white space other than spaces and tabs is). Well-formed lines take a fast path (no string per line or
 * column besides the numbers); the rest are checked one by one, with the same
 * results.
 */
export function parseGcdTrace(text: string, file: string): GcdTrace {
  let lines = text.length === 0 ? 0 : 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < text.length - 1; at = text.indexOf('\n', at + 1)) lines++;
  const cpu = new Float64Array(lines);
  const mem = new Float64Array(lines);
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let n = 0; n < lines; n++) {
    PLAIN_LINE.lastIndex = pos;
    const m = PLAIN_LINE.exec(text);
    if (m !== null) {
      const c = Number(m[1]);
      const v = Number(m[2]);
      if (Number.isFinite(c) && Number.isFinite(v) && v <= MAX_TRACE_MEM_PERCENT) {
        cpu[n] = c;
        mem[n] = v;
        pos = PLAIN_LINE.lastIndex;
        continue;
      }
    }
    const end = text.indexOf('\n', pos);
    const stop = end < 0 ? text.length : end;
    [cpu[n], mem[n]] = parseTraceLine(text.slice(pos, stop), n + 1, file);
    pos = stop + 1;
  }
  if (lines === 0) throw new TraceFormatError(file, 1, 'no samples; expected lines of "<cpu %> <memory %>"');
  return { file, cpuPercent: cpu, memPercent: mem };
}

/**
 * Reads and parses a GCD trace file. Refuses, before reading, what is not a
 * regular file (a FIFO would block, /dev/zero never ends) or is larger than
 * MAX_TRACE_BYTES; then binary content (a NUL byte, invalid UTF-8).
 */
export function loadGcdTrace(path: string): GcdTrace {
  let stats: Stats;
  let bytes: Buffer;
  try {
    stats = statSync(path);
    if (stats.isDirectory()) throw new TraceFormatError(path, 0, 'is a directory, not a trace file');
    if (!stats.isFile()) throw new TraceFormatError(path, 0, 'not a regular file');
    if (stats.size > MAX_TRACE_BYTES) {
      const [size, most] = bytesBeside(stats.size, MAX_TRACE_BYTES);
      throw new TraceFormatError(path, 0, `too large for a trace file (${size}; at most ${most})`);
    }
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof TraceFormatError) throw e;
    throw new TraceFormatError(path, 0, `cannot read trace: ${(e as Error).message}`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new TraceFormatError(path, 0, `not a text file (a NUL byte at offset ${nul})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TraceFormatError(path, 0, 'not a text file (not valid UTF-8)');
  }
  return parseGcdTrace(text, path);
}

/**
 * Where a replay at `intervalNs` a sample starts for an offset on the trace's
 * own clock (a sample every 5 minutes): the same share of the trace. At the
 * data's own interval the offset as it is (the division would move a whole
 * number of nanoseconds by a rounding). The simulator (src/sim/guest-config.ts)
 * and the report's workload column (src/report/workload.ts) both use it.
 */
export function replayOffsetNs(offsetNs: number, intervalNs: number): number {
  return intervalNs === GCD_SAMPLE_INTERVAL_NS ? offsetNs : (offsetNs / GCD_SAMPLE_INTERVAL_NS) * intervalNs;
}

/**
 * Memory % at time `tNs` (from the start of the trace), linear between
 * samples. Past the last sample: wraps around to the first (loop) or holds
 * the last value.
 */
export function traceMemPercentAt(memPercent: Float64Array, sampleIntervalNs: number, tNs: number, loop: boolean): number {
  const n = memPercent.length;
  if (n === 1) return memPercent[0];
  const pos = tNs / sampleIntervalNs;
  if (!loop && pos >= n - 1) return memPercent[n - 1];
  const period = loop ? n : n - 1;
  const p = pos % period;
  const i = Math.floor(p);
  const frac = p - i;
  const a = memPercent[i];
  const b = memPercent[(i + 1) % n];
  return a + (b - a) * frac;
}
