// GCD VM usage traces (../shared/data/gcd-vm-usage/README.md, a copy under
// data/gcd/): one line every 5 minutes, two numbers separated by white space,
// CPU % and memory %. Memory % is taken as a share of the guest's maxmem and
// interpolated linearly between samples. The parser is strict: a malformed
// file gets an error naming the file, the line and what was wrong.

import { readFileSync } from 'node:fs';

export const GCD_SAMPLE_INTERVAL_NS = 300_000_000_000;

export interface GcdTrace {
  file: string;
  cpuPercent: Float64Array;
  memPercent: Float64Array;
}

export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses the text of a GCD trace; `file` names it in errors. */
export function parseGcdTrace(text: string, file: string): GcdTrace {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const cpu: number[] = [];
  const mem: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') throw new TraceFormatError(file, lineNo, 'empty line; expected "<cpu %> <memory %>"');
    const cols = line.trim().split(/\s+/);
    if (cols.length !== 2) {
      throw new TraceFormatError(file, lineNo, `expected 2 columns "<cpu %> <memory %>", found ${cols.length}: ${JSON.stringify(line)}`);
    }
    const names = ['cpu %', 'memory %'];
    const values = cols.map((c, k) => {
      if (!NUMBER.test(c)) throw new TraceFormatError(file, lineNo, `column ${k + 1} (${names[k]}): expected a non-negative number, found ${JSON.stringify(c)}`);
      const v = Number(c);
      if (!Number.isFinite(v)) throw new TraceFormatError(file, lineNo, `column ${k + 1} (${names[k]}): not finite: ${JSON.stringify(c)}`);
      return v;
    });
    cpu.push(values[0]);
    mem.push(values[1]);
  }
  if (mem.length === 0) throw new TraceFormatError(file, 1, 'no samples; expected lines of "<cpu %> <memory %>"');
  return { file, cpuPercent: Float64Array.from(cpu), memPercent: Float64Array.from(mem) };
}

export function loadGcdTrace(path: string): GcdTrace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TraceFormatError(path, 0, `cannot read trace: ${(e as Error).message}`);
  }
  return parseGcdTrace(text, path);
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
