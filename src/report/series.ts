// The numbers behind the report's charts, derived from a run's samples and
// events: human units for the axes, the host's memory over time, per-guest
// levels (with the many-guests case folded into an average), and rates from
// the guests' cumulative counters. Pure functions of the run: same run, same
// numbers.

import type { LoggedEvent, Sample, Summary } from '../sim/metrics.ts';
import type { GuestSpec, Scenario } from '../scenario/types.ts';
import { groupDigits } from '../lib/units.ts';

export const PAGE_BYTES = 4096;

/** An axis unit: its name and how many of the base quantity make one. */
export interface Unit {
  name: string;
  per: number;
}

/**
 * The size unit for a largest value in pages: GiB from 1 GiB up, else MiB,
 * else KiB; MiB for nothing at all (0), as the terminal writes it: "0 MiB".
 */
export function sizeUnit(maxPages: number): Unit {
  if (maxPages * PAGE_BYTES >= 2 ** 30) return { name: 'GiB', per: 2 ** 30 / PAGE_BYTES };
  if (maxPages * PAGE_BYTES >= 2 ** 20 || maxPages === 0) return { name: 'MiB', per: 2 ** 20 / PAGE_BYTES };
  return { name: 'KiB', per: 1024 / PAGE_BYTES };
}

/** The time unit for a run of this length: s up to 2 min, min up to 2 h, then h. */
export function timeUnit(durationNs: number): Unit {
  const s = durationNs / 1e9;
  if (s <= 120) return { name: 's', per: 1e9 };
  if (s <= 7200) return { name: 'min', per: 60e9 };
  return { name: 'h', per: 3600e9 };
}

/** A number for a label: at most `digits` decimals, trailing zeros dropped. */
export function fmtNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '-';
  const fixed = value.toFixed(digits);
  const trimmed = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/** `value` with exactly `decimals` decimals ("1.50", "12.0"); never "-0.00". */
export function fmtFixed(value: number, decimals: number): string {
  const fixed = value.toFixed(decimals);
  return Number(fixed) === 0 ? fixed.replace(/^-/, '') : fixed;
}

/** As fmtFixed, but a quantity that is not zero and would read as zero says it is less than the last digit: "<0.01". */
function fmtAmount(value: number, decimals: number): string {
  const fixed = fmtFixed(value, decimals);
  return value !== 0 && Number(fixed) === 0 ? `<${(10 ** -decimals).toFixed(decimals)}` : fixed;
}

/**
 * The decimals a column of numbers is written with so that they line up: the
 * most any of its values needs, each value at most `digits(value)` decimals,
 * trailing zeros that every value has dropped; a value that is not zero but
 * rounds to zero needs them all. [1.5, 12] → 1 ("1.5", "12.0").
 */
export function columnDecimals(values: number[], digits: number | ((v: number) => number)): number {
  let most = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const d = typeof digits === 'number' ? digits : digits(v);
    const fixed = v.toFixed(d);
    const frac = fixed.includes('.') ? fixed.slice(fixed.indexOf('.') + 1).replace(/0+$/, '') : '';
    most = Math.max(most, v !== 0 && Number(fixed) === 0 ? d : frac.length);
  }
  return most;
}

/** Decimals a size gets in its unit: three significant digits ("851", "12.5", "1.25"), at most two decimals. */
function sizeDigits(v: number): number {
  const a = Math.abs(v);
  return a >= 100 ? 0 : a >= 10 ? 1 : 2;
}

/**
 * A column of sizes in pages, for a table: one unit for the column (from its
 * largest value) and one number of decimals (the most any value needs), so
 * that the numbers line up: [1.5 GiB, 12 GiB, 0] → "1.5 GiB", "12.0 GiB",
 * "0.0 GiB"; a size too small to show in the column's unit is "<0.01 GiB"
 * (not zero). Returns the formatter of the column's values.
 */
export function sizeColumn(pages: number[]): (pages: number) => string {
  const finite = pages.filter((p) => Number.isFinite(p));
  const u = sizeUnit(Math.max(0, ...finite.map((p) => Math.abs(p))));
  const d = columnDecimals(finite.map((p) => p / u.per), sizeDigits);
  return (p) => (Number.isFinite(p) ? `${fmtAmount(p / u.per, d)} ${u.name}` : '-');
}

/** Pages as a human size: "12 GiB", "1.5 GiB", "851 MiB", "64 KiB", "0 MiB" (a column of one). */
export function fmtSize(pages: number): string {
  return sizeColumn([pages])(pages);
}

/** The unit for durations up to `ns`: ms below 1 s, s up to 2 min, min up to 2 h, then h; and the decimals it takes at most. */
function durationUnit(ns: number): Unit & { digits: number } {
  if (ns > 0 && ns < 1e9) return { name: 'ms', per: 1e6, digits: 0 };
  if (ns < 120e9) return { name: 's', per: 1e9, digits: 1 };
  if (ns < 7200e9) return { name: 'min', per: 60e9, digits: 1 };
  return { name: 'h', per: 3600e9, digits: 1 };
}

/**
 * A column of durations in ns: one unit (from the largest) and one number of
 * decimals (the most any value needs, at most one; none for ms); a negative
 * value is "-", one too short to show in the unit "<0.1 s" (not zero).
 * [18.1 s, 0, 6 s] → "18.1 s", "0.0 s", "6.0 s". With `apart`, as many
 * more decimals as keep that value from reading like any other: [2.375 s,
 * 2.4375 s] apart 2.375 s → "2.38 s", "2.44 s".
 */
export function durationColumn(ns: number[], apart?: number): (ns: number) => string {
  const valid = ns.filter((x) => Number.isFinite(x) && x >= 0);
  const u = durationUnit(Math.max(0, ...valid));
  let d = columnDecimals(valid.map((x) => x / u.per), u.digits);
  // `apart` (a ranked column's best, marked) never reads like another value of the column: more decimals until it does not
  // (20 tell apart any two durations of whole ns in any unit: an hour is 3.6e12 ns).
  if (apart !== undefined) while (d < 20 && valid.some((x) => x !== apart && fmtAmount(x / u.per, d) === fmtAmount(apart / u.per, d))) d++;
  return (x) => (Number.isFinite(x) && x >= 0 ? `${fmtAmount(x / u.per, d)} ${u.name}` : '-');
}

/** Nanoseconds as a human duration: "850 ms", "12.5 s", "4.2 min", "3.1 h" (a column of one). */
export function fmtDuration(ns: number): string {
  return durationColumn([ns])(ns);
}

/**
 * Two durations read against each other ("2.4 s against 5.1 s"): each as
 * fmtDuration writes it, unless two different durations would read as the
 * same amount — the same text ("2.4 s against 2.4 s" for 2.375 s and
 * 2.4375 s), or the same amount in two units ("120 s against 2 min" for
 * 119.96 s and 120 s), which shows as one amount in the unit of the larger;
 * then both in that unit, with as many decimals as it takes to tell them
 * apart ("2.38 s against 2.44 s", "1.999 min against 2.000 min").
 */
export function fmtDurationsApart(a: number, b: number): [string, string] {
  const alone: [string, string] = [fmtDuration(a), fmtDuration(b)];
  if (a === b) return alone;
  const u = durationUnit(Math.max(a, b));
  if (alone[0] !== alone[1] && fmtAmount(a / u.per, u.digits) !== fmtAmount(b / u.per, u.digits)) return alone;
  // A column of the two, its decimals keeping them apart.
  const column = durationColumn([a, b], a);
  return [column(a), column(b)];
}

/**
 * A column of points in time, in the run's time unit, with one number of
 * decimals (the most any value needs: at most one for s, two for min and h);
 * a negative time (never happened) is "-".
 */
export function timeColumn(ns: number[], unit: Unit): (ns: number) => string {
  const d = columnDecimals(ns.filter((x) => x >= 0).map((x) => x / unit.per), unit.name === 's' ? 1 : 2);
  return (x) => (Number.isFinite(x) && x >= 0 ? `${fmtFixed(x / unit.per, d)} ${unit.name}` : '-');
}

/** A column of shares as percentages, with one number of decimals (the most any value needs, at most `digits`); "-" when there is nothing to share. */
export function percentColumn(shares: [num: number, den: number][], digits = 1): (num: number, den: number) => string {
  const d = columnDecimals(shares.filter(([, den]) => den !== 0).map(([num, den]) => (100 * num) / den), digits);
  return (num, den) => (den === 0 ? '-' : `${fmtFixed((100 * num) / den, d)}%`);
}

/** A share as a percentage, or "-" when there is nothing to share. */
export function fmtPercent(num: number, den: number, digits = 1): string {
  return den === 0 ? '-' : `${fmtNumber((100 * num) / den, digits)}%`;
}

/** A summary's quantity summed over its guests. */
export function guestSum(s: Summary, pick: (g: Summary['guests'][number]) => number): number {
  return s.guests.reduce((a, g) => a + pick(g), 0);
}

/**
 * A guest's disk I/O in pages, every cause: file reads, write-backs of dirty
 * page-cache pages, swap-ins and swap-outs (the pages its disk time, busy_ns,
 * is made of). The reports' totals of "disk I/O" are this.
 */
export function diskIo(g: Summary['guests'][number]): number {
  return g.disk.file_reads + g.disk.file_writes + g.disk.swap_reads + g.disk.swap_writes;
}

/** A count with thin grouping: 1234567 → "1,234,567". */
export function fmtCount(n: number): string {
  return groupDigits(n);
}

/**
 * A column of counts, or of means of counts (over a sweep's seeds), grouped in
 * thousands, with one number of decimals: the most any value needs, at most
 * `digits`. Whole counts keep none ("1,234"); [2.5, 2] → "2.5", "2.0"; a mean
 * that is not zero but would round to zero is "<0.1" (not zero); not a number
 * is "-".
 */
export function countColumn(values: number[], digits = 1): (n: number) => string {
  const d = columnDecimals(values.filter((v) => Number.isFinite(v)), digits);
  return (n) => (Number.isFinite(n) ? fmtAmount(n, d).replace(/^-?\d+/, (whole) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')) : '-');
}

/**
 * A y axis from 0 that fits v: a round step (1, 2, 2.5 or 5 × 10^k) giving 3
 * to 8 intervals, with the lowest top (the smaller step on a tie).
 */
export function niceAxis(v: number): { max: number; interval: number } {
  if (!(v > 0) || !Number.isFinite(v)) return { max: 1, interval: 0.2 };
  const exp = Math.floor(Math.log10(v / 8));
  let best = { max: Infinity, interval: 1 };
  for (let e = exp - 1; e <= exp + 2; e++) {
    for (const m of [1, 2, 2.5, 5]) {
      const step = m * 10 ** e;
      const n = Math.ceil(v / step - 1e-9);
      if (n < 3 || n > 8) continue;
      const max = Number((n * step).toPrecision(12));
      if (max < best.max - 1e-12) best = { max, interval: Number(step.toPrecision(12)) };
    }
  }
  return best;
}

/** The indices of `count` samples that `thin` keeps: every stride-th from the first, and the last. */
function keptIndices(count: number, max: number): number[] {
  const stride = count <= max ? 1 : Math.ceil(count / max);
  const out: number[] = [];
  for (let i = 0; i < count; i += stride) out.push(i);
  if (count > 0 && out[out.length - 1] !== count - 1) out.push(count - 1);
  return out;
}

/** At most `max` samples (and the last), evenly strided, always keeping the last one. */
export function thin(samples: Sample[], max: number): Sample[] {
  if (samples.length <= max) return samples;
  return keptIndices(samples.length, max).map((i) => samples[i]);
}

/** Most points a series carries in the report (keeps the file small on long runs). */
export const MAX_POINTS = 600;

export type Point = [number, number | null];

/** The guests in the order they started (their guest_start events: the order of summary.json's guests). */
export function startOrder(events: readonly LoggedEvent[]): string[] {
  const names: string[] = [];
  for (const e of events) if (e.kind === 'guest_start' && typeof e.guest === 'string') names.push(e.guest);
  return names;
}

/** Every guest of the scenario by name, in its order: the ones at the start, then the timeline's launches (names are unique in a scenario). */
export function scenarioGuestSpecs(scenario: Scenario): Map<string, GuestSpec> {
  const specs = new Map<string, GuestSpec>();
  for (const g of scenario.guests) specs.set(g.name, g);
  for (const e of scenario.timeline) if (e.action.kind === 'launch') specs.set(e.action.guest.name, e.action.guest);
  return specs;
}

/** The scenario's guests in its order: its guests, then its launches in timeline order (the start order when no events are at hand). */
export function scenarioGuestNames(scenario: Scenario): string[] {
  return [...scenarioGuestSpecs(scenario).keys()];
}

/**
 * Every guest that appears in any sample, in the order of `known` (the order
 * they started, startOrder), then any other in order of first appearance. A
 * sample's guests are an object keyed by name, whose key order is not the
 * start order when names look like numbers ("10" before "web").
 */
export function guestOrder(samples: Sample[], known: readonly string[] = []): string[] {
  const seen = new Set<string>();
  for (const s of samples) for (const name of Object.keys(s.guests)) seen.add(name);
  const order = [...new Set(known)].filter((n) => seen.has(n));
  const listed = new Set(order);
  for (const n of seen) if (!listed.has(n)) order.push(n);
  return order;
}

/** A launch's moments, and a guest's OOM event (drawn on the same row of markers). */
export type MarkerKind = 'start' | 'ok' | 'failed_fast' | 'failed_midway' | 'abandoned' | 'oom';

export interface LaunchMarker {
  kind: MarkerKind;
  timeNs: number;
  guest: string;
}

const MARKER_EVENTS: Record<string, MarkerKind> = {
  launch_start: 'start',
  launch_ok: 'ok',
  launch_failed_fast: 'failed_fast',
  launch_failed_midway: 'failed_midway',
  launch_abandoned: 'abandoned',
  oom: 'oom',
};

export function launchMarkers(events: LoggedEvent[]): LaunchMarker[] {
  const out: LaunchMarker[] = [];
  for (const e of events) {
    const kind = MARKER_EVENTS[e.kind];
    if (kind !== undefined) out.push({ kind, timeNs: e.timeNs, guest: String(e.guest ?? '') });
  }
  return out;
}

/** Why each launch ended as it did, from the event log (empty when it did not fail). */
export function launchReasons(events: LoggedEvent[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) {
    if (e.kind in MARKER_EVENTS && e.kind !== 'launch_start' && e.kind !== 'oom' && typeof e.reason === 'string' && e.reason !== '') {
      out.set(String(e.guest), e.reason);
    }
  }
  return out;
}

export interface GuestLevels {
  label: string;
  /** How many guests the panel stands for (1, or the number averaged). */
  count: number;
  ram: Point[];
  target: Point[];
  committed: Point[];
  /** The domain's max_pages (maxmem). */
  maxmem: Point[];
}

/**
 * Which guests get a panel of their own: all of them up to `max`, else the
 * `max - 1` that matter most — the ones with OOM events first (most first),
 * then the most swap I/O to disk, then the highest peak of RAM or demand
 * (ties in start order) — the rest averaged into one panel. Returns
 * the names shown (in start order) and the names folded.
 */
export function pickGuests(samples: Sample[], max = 8, events: LoggedEvent[] = []): { shown: string[]; rest: string[] } {
  const order = guestOrder(samples, startOrder(events));
  if (order.length <= max) return { shown: order, rest: [] };
  const peak = new Map<string, number>(order.map((n) => [n, 0]));
  const swap = new Map<string, number>(order.map((n) => [n, 0]));
  const oom = new Map<string, number>(order.map((n) => [n, 0]));
  for (const s of samples) {
    for (const [n, g] of Object.entries(s.guests)) {
      peak.set(n, Math.max(peak.get(n) ?? 0, g.ramPages, g.committedPages));
      // Cumulative counters: the largest seen is the run's total (several runs: the largest of them).
      swap.set(n, Math.max(swap.get(n) ?? 0, g.swapReads + g.swapWrites));
    }
  }
  for (const e of events) if (e.kind === 'oom' && oom.has(String(e.guest))) oom.set(String(e.guest), (oom.get(String(e.guest)) ?? 0) + 1);
  const by = (m: Map<string, number>, a: string, b: string): number => (m.get(b) ?? 0) - (m.get(a) ?? 0);
  const ranked = [...order].sort((a, b) => by(oom, a, b) || by(swap, a, b) || by(peak, a, b) || order.indexOf(a) - order.indexOf(b));
  const chosen = new Set(ranked.slice(0, max - 1));
  return { shown: order.filter((n) => chosen.has(n)), rest: order.filter((n) => !chosen.has(n)) };
}

/** RAM, balloon target and Committed_AS over time, in pages, for one guest or the mean of several. */
export function guestLevels(samples: Sample[], names: string[], label: string): GuestLevels {
  const ram: Point[] = [];
  const target: Point[] = [];
  const committed: Point[] = [];
  const maxmem: Point[] = [];
  for (const s of samples) {
    let n = 0;
    let r = 0;
    let t = 0;
    let c = 0;
    let x = 0;
    for (const name of names) {
      const g = s.guests[name];
      if (g === undefined) continue;
      n++;
      r += g.ramPages;
      t += g.targetPages;
      c += g.committedPages;
      x += g.maxPages;
    }
    ram.push([s.timeNs, n === 0 ? null : r / n]);
    target.push([s.timeNs, n === 0 ? null : t / n]);
    committed.push([s.timeNs, n === 0 ? null : c / n]);
    maxmem.push([s.timeNs, n === 0 ? null : x / n]);
  }
  return { label, count: names.length, ram, target, committed, maxmem };
}

/** Per-interval increase of a cumulative per-guest counter, summed over the guests (a counter that went down restarted). */
function deltas(samples: Sample[], names: string[] | null, pick: (g: Sample['guests'][string]) => number): number[] {
  // None for no samples: the rates of an empty run are no points, not one.
  const out: number[] = samples.length === 0 ? [] : [0];
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1].guests;
    let sum = 0;
    for (const [name, g] of Object.entries(samples[i].guests)) {
      if (names !== null && !names.includes(name)) continue;
      const before = prev[name] === undefined ? 0 : pick(prev[name]);
      const now = pick(g);
      sum += now >= before ? now - before : now;
    }
    out.push(sum);
  }
  return out;
}

/**
 * Per-interval sums of `d` (per-sample deltas) between the samples `thin`
 * keeps: the interval ending at a kept sample takes every delta since the
 * kept one before, so nothing between two points is lost — not even the
 * last values of a guest that ended (its row of final counters) at a
 * sample that was not kept.
 */
function summedBetweenKept(d: number[], max: number): { kept: number[]; sums: number[] } {
  const kept = keptIndices(d.length, max);
  const sums = kept.map((i, k) => {
    let sum = 0;
    for (let x = k === 0 ? i + 1 : kept[k - 1] + 1; x <= i; x++) sum += d[x];
    return sum;
  });
  return { kept, sums };
}

/**
 * A counter's rate per second between samples, summed over the guests; with
 * `max`, at the samples `thin(samples, max)` keeps, each point the rate over
 * all the samples since the point before.
 */
export function ratePerSecond(samples: Sample[], pick: (g: Sample['guests'][string]) => number, max = Infinity): Point[] {
  const { kept, sums } = summedBetweenKept(deltas(samples, null, pick), max);
  return kept.map((i, k) => {
    if (k === 0) return [samples[i].timeNs, null];
    const dt = (samples[i].timeNs - samples[kept[k - 1]].timeNs) / 1e9;
    return [samples[i].timeNs, dt > 0 ? sums[k] / dt : null];
  });
}

/** Cleancache hits per get in each interval, in percent (null where there were no gets); with `max`, as ratePerSecond. */
export function hitRate(samples: Sample[], names: string[] | null, max = Infinity): Point[] {
  const gets = summedBetweenKept(deltas(samples, names, (g) => g.cleancacheGets), max);
  const hits = summedBetweenKept(deltas(samples, names, (g) => g.cleancacheHits), max).sums;
  return gets.kept.map((i, k) => [samples[i].timeNs, k === 0 || gets.sums[k] === 0 ? null : (100 * hits[k]) / gets.sums[k]]);
}

/** Guests with cleancache grouped by their scenario group, in the order they started (`events`): group label → member names. */
export function cleancacheGroups(samples: Sample[], scenario: Scenario, events?: readonly LoggedEvent[]): Map<string, string[]> {
  const specs = scenarioGuestSpecs(scenario);
  const groups = new Map<string, string[]>();
  for (const name of guestOrder(samples, events === undefined ? scenarioGuestNames(scenario) : startOrder(events))) {
    const spec = specs.get(name);
    if (spec !== undefined && !spec.cleancache) continue;
    const group = spec?.group ?? name;
    const list = groups.get(group) ?? [];
    list.push(name);
    groups.set(group, list);
  }
  return groups;
}
