// Which variant of a comparison does best, for the HTML report and the
// terminal alike: ranked by launches finished (more is better), then
// launches failed mid-way, build time wasted, OOM events and invariant
// violations (fewer is better). Disk I/O and hit rates are not ranked: they
// depend on how many guests run, which the launches decide.

import { launchCount, type Summary } from '../sim/metrics.ts';
import { fmtCount, fmtDurationsApart, fmtSize, guestSum } from './series.ts';

export interface Ranked {
  label: string;
  summary: Summary;
}

const count = launchCount;
const wastedNs = (s: Summary): number => s.launches.reduce((a, l) => a + l.wasted_build_ns, 0);
const oomEvents = (s: Summary): number => s.guests.reduce((a, g) => a + g.oom_events, 0);

/**
 * The ranked quantities, in rank order: each one's value oriented so that
 * larger is better, what "better" is in words, and the values of the best
 * run and the next as shown (two that differ never read alike).
 */
const CRITERIA: { score: (s: Summary) => number; better: string; shown: (best: Summary, next: Summary) => [string, string] }[] = [
  { score: (s) => count(s, 'ok'), better: 'most launches finished', shown: (a, b) => [a, b].map((s) => `${count(s, 'ok')} of ${s.launches.length}`) as [string, string] },
  { score: (s) => -count(s, 'failed_midway'), better: 'fewest launches failed mid-way', shown: (a, b) => [String(count(a, 'failed_midway')), String(count(b, 'failed_midway'))] },
  { score: (s) => -wastedNs(s), better: 'least build time wasted', shown: (a, b) => fmtDurationsApart(wastedNs(a), wastedNs(b)) },
  { score: (s) => -oomEvents(s), better: 'fewest OOM events', shown: (a, b) => [String(oomEvents(a)), String(oomEvents(b))] },
  { score: (s) => -s.invariant_violations, better: 'fewest invariant violations', shown: (a, b) => [String(a.invariant_violations), String(b.invariant_violations)] },
];

function score(s: Summary): number[] {
  return CRITERIA.map((c) => c.score(s));
}

/** Negative when `a` ranks before `b`, 0 when they tie on every ranked quantity. */
export function rankCompare(a: Summary, b: Summary): number {
  const x = score(a);
  const y = score(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return y[i] - x[i];
  return 0;
}

/** The variants best first (stable: ties keep the given order). */
export function ranked<T extends Ranked>(variants: readonly T[]): T[] {
  return [...variants].sort((a, b) => rankCompare(a.summary, b.summary));
}

/**
 * What "tie" means: equal on every ranked outcome (anything else is not
 * ranked). Runs without --verify were not checked: their violations (all 0)
 * are said to be unchecked rather than equal.
 */
function allEqual(runs: readonly Summary[]): string {
  return runs.some((s) => s.invariant_checks > 0)
    ? 'they are equal on launches finished, launches failed mid-way, build time wasted, OOM events and invariant violations'
    : 'they are equal on launches finished, launches failed mid-way, build time wasted and OOM events (invariant violations: not checked, run with --verify)';
}


const pagesShown = (x: number): string => `${fmtCount(x)} page${Math.round(x) === 1 ? '' : 's'}`;

/**
 * What is not ranked, for naming where tied variants differ, in the order
 * they are named: the disk's I/O first (the outcome), then the cleancache
 * hits and frontswap stores that bring it about (0 by definition where tmem
 * is off, so they would otherwise crowd out the result), then the lowest
 * free memory. Each value as shown, over several seeds the mean (the lowest
 * free memory: the lowest of any seed, as the tables give it), and the least
 * difference worth naming.
 */
const UNRANKED: { name: string; value: (s: Summary) => number; over: 'mean' | 'min'; least: number; shown: (x: number) => string }[] = [
  { name: 'swap I/O on the disk', value: (s) => guestSum(s, (g) => g.disk.swap_reads + g.disk.swap_writes), over: 'mean', least: 100, shown: pagesShown },
  { name: 'file reads from the disk', value: (s) => guestSum(s, (g) => g.disk.file_reads), over: 'mean', least: 100, shown: pagesShown },
  { name: 'write-backs to the disk', value: (s) => guestSum(s, (g) => g.disk.file_writes), over: 'mean', least: 100, shown: pagesShown },
  { name: 'cleancache hits', value: (s) => guestSum(s, (g) => g.cleancache.hits), over: 'mean', least: 100, shown: (x) => fmtCount(x) },
  { name: 'frontswap stores', value: (s) => guestSum(s, (g) => g.frontswap.stores), over: 'mean', least: 100, shown: (x) => fmtCount(x) },
  // What self-ballooning changes (the balloon gives RAM back), when no I/O does; 256 pages: 1 MiB.
  { name: "the guests' mean RAM", value: (s) => guestSum(s, (g) => g.ram_pages_mean), over: 'mean', least: 256, shown: (x) => fmtSize(x) },
  { name: 'the lowest free memory', value: (s) => s.host.min_free_pages, over: 'min', least: 256, shown: (x) => fmtSize(x) },
];

/**
 * Where variants that tie on every ranked outcome differ: the first two
 * unranked measures, in UNRANKED's order, whose values differ by a tenth of
 * the larger at least and by the measure's least difference worth naming
 * (100 pages or events, 1 MiB of memory), each with its lowest and
 * highest variant (over the runs given per variant, as UNRANKED says); when
 * none does, a sentence saying so. Not a ranking: whether less I/O is better
 * depends on what was compared.
 */
export function unrankedDifferences(labels: readonly string[], runs: readonly (readonly Summary[])[]): string {
  const over = (m: (typeof UNRANKED)[number], v: number): number =>
    m.over === 'min' ? Math.min(...runs[v].map((s) => m.value(s))) : runs[v].reduce((a, s) => a + m.value(s), 0) / runs[v].length;
  const found = UNRANKED.map((m) => {
    const values = labels.map((_, v) => over(m, v));
    const lo = values.indexOf(Math.min(...values));
    const hi = values.indexOf(Math.max(...values));
    const spread = values[hi] === 0 ? 0 : (values[hi] - values[lo]) / values[hi];
    return { m, values, lo, hi, spread };
  })
    .filter((d) => d.spread >= 0.1 && d.values[d.hi] - d.values[d.lo] >= d.m.least)
    .slice(0, 2);
  const each = runs.some((r) => r.length > 1) ? ' (over the seeds: means, the lowest free memory the lowest)' : '';
  if (found.length === 0) return ` None of ${listOf(UNRANKED.map((m) => m.name))} differs between them by a tenth and by 100 pages (for memory, 1 MiB)${each}.`;
  return ` Where they differ${each}: ${found.map((d) => `${d.m.name}, ${d.m.shown(d.values[d.lo])} for ${labels[d.lo]} against ${d.m.shown(d.values[d.hi])} for ${labels[d.hi]}`).join('; ')}.`;
}

/** "a", "a and b", "a, b and c". */
/** "a", "a and b", "a, b and c". */
export function listOf(items: readonly string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** One sentence: which variant does best, which tie for best, or that none does better ('' for a single variant). */
export function verdictLead(variants: readonly Ranked[]): string {
  if (variants.length < 2) return '';
  const order = ranked(variants);
  const tied = order.filter((v) => rankCompare(v.summary, order[0].summary) === 0);
  if (tied.length === variants.length) {
    return `No variant does better than the others: ${allEqual(variants.map((v) => v.summary))}.${unrankedDifferences(variants.map((v) => v.label), variants.map((v) => [v.summary]))}`;
  }
  if (tied.length > 1) return `${listOf(tied.map((v) => v.label))} do best, equally.`;
  // Why: the first ranked quantity on which it beats the next best, with both values.
  const [best, next] = order;
  const x = score(best.summary);
  const y = score(next.summary);
  const c = CRITERIA[x.findIndex((v, i) => v !== y[i])];
  const [mine, theirs] = c.shown(best.summary, next.summary);
  return `${best.label} does best: ${c.better}, ${mine} against ${theirs} for ${next.label}.`;
}

export const RANKING_NOTE =
  'Ranked by launches finished, then launches failed mid-way, build time wasted, OOM events and invariant violations. The I/O columns are not ranked: they depend on how many guests run, which the launches decide.';

// ------------------------------------------------------------ over seeds

/** One variant over the seeds of a comparison (`compare --seeds N`): on how many it does best. */
export interface SeedRecord {
  label: string;
  /** Seeds on which it ranks above every other variant. */
  alone: number;
  /** Seeds on which no variant ranks above it but some rank the same (all of them, on an all-tied seed). */
  tied: number;
}

/**
 * Per variant, the seeds on which it does best — no other variant ranks
 * above it — alone or tied, and the seeds on which every variant ties.
 * `runs[v][k]` is variant v's run at the k-th seed; every variant has the
 * same seeds.
 */
export function seedRecords(labels: readonly string[], runs: readonly (readonly Summary[])[]): { records: SeedRecord[]; allTied: number } {
  const seeds = runs.length === 0 ? 0 : runs[0].length;
  const records = labels.map((label) => ({ label, alone: 0, tied: 0 }));
  let allTied = 0;
  for (let k = 0; k < seeds; k++) {
    const best = runs.reduce((b, r, v) => (rankCompare(r[k], runs[b][k]) < 0 ? v : b), 0);
    const tops = runs.map((_, v) => v).filter((v) => rankCompare(runs[v][k], runs[best][k]) === 0);
    if (tops.length === labels.length) allTied++;
    if (tops.length === 1) records[tops[0]].alone++;
    else for (const v of tops) records[v].tied++;
  }
  return { records, allTied };
}

/**
 * The verdict over the seeds: which variant does best on the most seeds (or
 * which share the most, or that all tie on every seed), then each variant's
 * count, and the seeds on which all tie.
 */
export function seedsVerdictLead(labels: readonly string[], runs: readonly (readonly Summary[])[]): string {
  if (labels.length < 2) return '';
  const seeds = runs[0].length;
  const { records, allTied } = seedRecords(labels, runs);
  const plural = (n: number) => `${n} seed${n === 1 ? '' : 's'}`;
  if (allTied === seeds) return `No variant does better than the others on any of the ${plural(seeds)}: on each, ${allEqual(runs.flat())}.${unrankedDifferences(labels, runs)}`;
  const wins = (r: SeedRecord) => r.alone + r.tied;
  const most = Math.max(...records.map(wins));
  const leaders = records.filter((r) => wins(r) === most);
  const of = most === seeds ? `every seed (${seeds})` : `${most} of ${plural(seeds)}`;
  const lead =
    leaders.length === 1
      ? `${leaders[0].label} does best on ${of}${leaders[0].tied === 0 ? '' : leaders[0].alone === 0 ? ', tied on each' : `, alone on ${leaders[0].alone}`}, more than any other variant.`
      : `${listOf(leaders.map((r) => r.label))} each do best on ${of}; no variant does best on more.`;
  const counts = [...records]
    .sort((a, b) => wins(b) - wins(a))
    .map((r) => `${r.label} ${wins(r)}${r.tied > 0 ? ` (${r.tied} tied)` : ''}`)
    .join(', ');
  return `${lead} Seeds on which each does best: ${counts}${allTied > 0 ? `; all variants tie on ${plural(allTied)}` : ''}.`;
}

export const SEEDS_NOTE =
  'Each seed\'s runs are ranked as in a single comparison (launches finished, then launches failed mid-way, build time wasted, OOM events and invariant violations); a variant does best on a seed when no other ranks above it — tied when others rank the same, as on a seed where all tie.';
