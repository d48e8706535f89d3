// Sweep grids: `--grid path=a,b,c` flags, and the runs they make — the
// cartesian product of the grid values (the first --grid varies slowest, the
// last fastest) times the seeds (innermost: seed, seed+1, …, seed+N-1).

import { canonicalPath, flagPath, parsePath, pathProblem } from '../scenario/overrides.ts';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../cli/errors.ts';
import { shorten } from '../scenario/errors.ts';

/** Bound on the runs of one sweep (points × seeds). */
export const MAX_RUNS = 10_000;

export interface Grid {
  /** The flag as given, e.g. "toolstack.policy=none,claim". */
  text: string;
  /** The field path as given, e.g. "guests[0].memory". */
  path: string;
  values: string[];
}

/** One point of the grid: a value per grid, in grid order. */
export interface Point {
  /** 0-based index of the point in enumeration order. */
  index: number;
  values: string[];
}

/** One run: a point and a seed. */
export interface Run {
  /** 1-based, in enumeration order: the row number. */
  run: number;
  point: Point;
  seed: number;
}

/**
 * Splits a value at its top-level commas: commas inside [...], {...} or
 * quotes belong to one YAML value (`{high: 40%, low: 60%}` is one value).
 */
export function splitTopLevel(value: string): string[] {
  return scanTopLevel(value).parts;
}

/** What a value leaves open at its end (an unclosed quote, [ or {), which keeps its later commas from splitting it; null when nothing. */
export function openAtEnd(value: string): string | null {
  return scanTopLevel(value).open;
}

function scanTopLevel(value: string): { parts: string[]; open: string | null } {
  const parts: string[] = [];
  const opened: string[] = [];
  let quote = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quote !== '') {
      // YAML's escapes inside quotes: \" (and any \x) in double quotes, '' in single quotes.
      if (quote === '"' && c === '\\') i++;
      else if (quote === "'" && c === "'" && value[i + 1] === "'") i++;
      else if (c === quote) quote = '';
    } else if ((c === '"' || c === "'") && value.slice(from, i).trim() === '') {
      // A quote opens a quoted scalar only at the start of a value (o'brien is plain text).
      quote = c;
    } else if (c === '[' || c === '{') {
      opened.push(c);
    } else if ((c === ']' || c === '}') && opened.length > 0) {
      opened.pop();
    } else if (c === ',' && opened.length === 0) {
      parts.push(value.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(value.slice(from));
  return { parts, open: quote !== '' ? quote : (opened[opened.length - 1] ?? null) };
}

/**
 * Refuses a value listed twice in a list, also when spelt two ways that
 * mean the same YAML value (`1` and `01`, `on`-less booleans, `{a: 1}` and
 * `{ a: 1 }`). `flag` names the list in the message.
 */
export function refuseRepeats(flag: string, values: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const raw of values) {
    const v = raw.trim();
    let key = v;
    try {
      key = JSON.stringify(parseYaml(v)) ?? v;
    } catch {
      // Not YAML on its own: compared as written (loading the scenario will say what is wrong with it).
    }
    const first = seen.get(key);
    if (first !== undefined) {
      throw new UserError(first === v ? `${flag}: the value ${JSON.stringify(v)} is listed twice` : `${flag}: the values ${JSON.stringify(first)} and ${JSON.stringify(v)} are the same value`);
    }
    seen.set(key, v);
  }
}

/** Parses one `--grid path=a,b,c` (commas inside a YAML flow value or quotes do not split it, as for compare's --set). */
export function parseGrid(text: string): Grid {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--grid ${text}: expected path=a,b,c, such as toolstack.policy=none,claim`);
  const path = text.slice(0, eq).trim();
  if (parsePath(path) === null) {
    throw new UserError(`--grid ${text}: ${JSON.stringify(path)} is not a field path (such as toolstack.policy or guests[0].memory): ${pathProblem(path)}`);
  }
  const rest = text.slice(eq + 1);
  if (rest.trim() === '') throw new UserError(`--grid ${text}: no values after =`);
  const values = splitTopLevel(rest).map((v) => v.trim());
  if (values.some((v) => v === '')) throw new UserError(`--grid ${text}: an empty value in the list`);
  refuseRepeats(`--grid ${text}`, values);
  return { text, path, values };
}

/** The flag for messages: shortened when its list is long. */
export function gridLabel(g: Grid): string {
  if (g.text.length <= 80) return `--grid ${g.text}`;
  return `--grid ${g.path}=${g.values.slice(0, 3).join(',')},… (${g.values.length} values)`;
}

export { canonicalPath, flagPath };

/**
 * How two flag paths relate: 'same' field, one a 'part' of the other
 * ("host" and "host.memory", "guests[0]" and "guests[0].count") — either
 * way one flag's value would silently replace the other's — or null.
 */
export function pathRelation(a: string, b: string): 'same' | 'part' | null {
  const x = canonicalPath(a.trim());
  const y = canonicalPath(b.trim());
  if (x === '' || y === '') return null;
  if (x === y) return 'same';
  // A path that does not parse gets the loader's own message, not a claim of overlap.
  if (parsePath(a.trim()) === null || parsePath(b.trim()) === null) return null;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return long.startsWith(short) && (long[short.length] === '.' || long[short.length] === '[') ? 'part' : null;
}

/**
 * For each path, the first earlier one it clashes with (pathRelation not
 * null) and how, or null: what comparing every pair would find, in one pass
 * (a map of the paths seen and one of the prefixes of those that parse), so
 * that thousands of --set flags are checked at once.
 */
export function earlierOverlaps(paths: readonly string[]): ({ other: number; relation: 'same' | 'part' } | null)[] {
  const seen = new Map<string, number>();
  // A proper prefix (ending before a '.' or '[') of a path that parses → the first such path.
  const extended = new Map<string, number>();
  const prefixes = (key: string): string[] => {
    const out: string[] = [];
    for (let k = 1; k < key.length; k++) if (key[k] === '.' || key[k] === '[') out.push(key.slice(0, k));
    return out;
  };
  return paths.map((raw, i) => {
    const key = canonicalPath(raw.trim());
    if (key === '') return null;
    const parses = parsePath(raw.trim()) !== null;
    let best: { other: number; relation: 'same' | 'part' } | null = null;
    const consider = (other: number | undefined, relation: 'same' | 'part'): void => {
      if (other !== undefined && (best === null || other < best.other)) best = { other, relation };
    };
    consider(seen.get(key), 'same');
    if (parses) {
      consider(extended.get(key), 'part');
      for (const p of prefixes(key)) consider(seen.get(p), 'part');
    }
    if (!seen.has(key)) seen.set(key, i);
    if (parses) for (const p of prefixes(key)) if (!extended.has(p)) extended.set(p, i);
    return best;
  });
}

/** Whether a --grid sweeps the seed itself (its values are the runs' seeds). */
export function isSeedGrid(g: Grid): boolean {
  return canonicalPath(g.path.trim()) === 'seed';
}

/** Parses every --grid and checks they do not clash with each other or with --set. */
export function parseGrids(texts: readonly string[], sets: readonly string[] = []): Grid[] {
  if (texts.length === 0) throw new UserError('sweep: give at least one --grid path=a,b,c');
  const grids = texts.map(parseGrid);
  const clashes = earlierOverlaps(grids.map((g) => g.path));
  for (const [i, g] of grids.entries()) {
    const clash = clashes[i];
    if (clash === null) continue;
    const other = grids[clash.other];
    if (clash.relation === 'same') throw new UserError(`${gridLabel(g)}: ${g.path} is already swept by ${gridLabel(other)}; give one --grid per field`);
    throw new UserError(`${gridLabel(g)}: ${g.path} overlaps ${other.path}, swept by ${gridLabel(other)} (one is part of the other); give one --grid per field`);
  }
  for (const s of sets) {
    const g = grids.find((o) => pathRelation(o.path, flagPath(s)) !== null);
    if (g === undefined) continue;
    if (pathRelation(g.path, flagPath(s)) === 'same') throw new UserError(`--set ${s}: ${g.path} is swept by ${gridLabel(g)}; drop one of them`);
    throw new UserError(`--set ${s}: ${flagPath(s)} overlaps ${g.path}, swept by ${gridLabel(g)} (one is part of the other); drop one of them`);
  }
  return grids;
}

/** Parses a positive integer option (--seeds, --jobs) within [1, max]. */
export function parseCount(name: string, text: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const digits = /^\d+$/.test(text.trim());
  // A whole number too large to hold exactly is still a whole number: past the bound, said as such.
  if (digits && !Number.isSafeInteger(Number(text)) && max < Number.MAX_SAFE_INTEGER) throw new UserError(`${name} ${shorten(text.trim())}: at most ${max}`);
  if (!digits || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new UserError(`${name}: expected a positive integer${max < Number.MAX_SAFE_INTEGER ? ` (at most ${max})` : ''}, found ${JSON.stringify(shorten(text))}`);
  }
  const n = Number(text);
  if (n > max) throw new UserError(`${name} ${text}: at most ${max}`);
  return n;
}

/** Number of points of the grids (the product of their sizes). */
export function pointCount(grids: readonly Grid[]): number {
  return grids.reduce((n, g) => n * g.values.length, 1);
}

/** Checks the sweep stays within MAX_RUNS before anything is enumerated. */
export function checkRunCount(grids: readonly Grid[], seeds: number, max = MAX_RUNS): number {
  const points = pointCount(grids);
  const runs = points * seeds;
  if (runs > max) {
    const sizes = grids.map((g) => String(g.values.length)).join(' × ');
    throw new UserError(
      `sweep: ${runs} runs (${sizes} values${seeds > 1 ? ` × ${seeds} seeds` : ''}) is more than the bound of ${max}; sweep fewer values or seeds`,
    );
  }
  return runs;
}

/** Every point, the first grid varying slowest (like nested loops in --grid order). */
export function enumeratePoints(grids: readonly Grid[]): Point[] {
  const points: Point[] = [];
  const total = pointCount(grids);
  for (let index = 0; index < total; index++) {
    const values: string[] = new Array<string>(grids.length);
    let rest = index;
    for (let g = grids.length - 1; g >= 0; g--) {
      const n = grids[g].values.length;
      values[g] = grids[g].values[rest % n];
      rest = Math.floor(rest / n);
    }
    points.push({ index, values });
  }
  return points;
}

/** The --set flags that put a scenario at `point`. */
export function pointSets(grids: readonly Grid[], point: Point): string[] {
  return grids.map((g, i) => `${g.path}=${point.values[i]}`);
}

/** "a=1, b=2": a point for messages. */
export function describePoint(grids: readonly Grid[], point: Point): string {
  return pointSets(grids, point).join(', ');
}

/** The runs: every point × seeds baseSeed(point), +1, …, +seeds-1. */
export function enumerateRuns(points: readonly Point[], seeds: number, baseSeed: (p: Point) => number): Run[] {
  const runs: Run[] = [];
  for (const point of points) {
    const base = baseSeed(point);
    for (let k = 0; k < seeds; k++) runs.push({ run: runs.length + 1, point, seed: base + k });
  }
  return runs;
}
